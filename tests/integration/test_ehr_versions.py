"""Corrections and cancellations in the EHR core, with real dbt on the real PostgreSQL: the
latest version wins, and a cancelled encounter takes its diagnoses and results with it.
How incremental nights follow people whose records did not change: test_incremental_people."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import psycopg

from countyhealth.dbt_group import run_dbt
from countyhealth.ingest.loader import ensure_schema

from ..raw_rows import load_rows as _load
from ..raw_rows import outpatient_visit as _encounter

NIGHT = dt.date(2026, 3, 1)


def _diagnosis(record_id: str, encounter: str, code: str, flag: str, updated: str) -> dict:
    return {"record_id": record_id, "encounter_id": encounter, "patient_id": "p1",
            "diagnosis_type": "1", "icd10_code": code, "icd10_version": "clinical-2.0",
            "diagnosed_at": "2026-03-01 08:10:00", "updated_at": updated, "change_flag": flag}


def _lab(record_id: str, encounter: str, code: str) -> dict:
    return {"record_id": record_id, "encounter_id": encounter, "patient_id": "p1",
            "test_code": code, "value": "6.1", "collected_at": "2026-03-01 08:20:00",
            "updated_at": "2026-03-01 09:00:00", "change_flag": "1"}


def test_latest_version_wins_and_cancellations_take_what_was_built_on_them(fresh_db,
                                                                             tmp_path: Path):
    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322'), ('H1', 'h', 'county_hospital', "
                     "null, 'csv', false, '370322'), ('V1', 'v', 'village_clinic', "
                     "'370322101', 'csv', true, '370322')")
        _load(conn, "patients", [{"record_id": "p1", "id_number": "11010519491231002X",
                                  "updated_at": "2026-03-01 08:00:00", "change_flag": "1"}],
              NIGHT)
        _load(conn, "encounters", [_encounter("e1", "1", "2026-03-01 08:00:00"),
                                   _encounter("e2", "1", "2026-03-01 08:00:00")], NIGHT)
        _load(conn, "diagnoses", [_diagnosis("d1", "e1", "J06.900", "1", "2026-03-01 09:00"),
                                  _diagnosis("d2", "e2", "K29.700", "1", "2026-03-01 09:00"),
                                  _diagnosis("d3", "e1", "ZZZ.999", "1", "2026-03-01 09:00")],
              NIGHT)
        _load(conn, "lab_results", [_lab("l1", "e1", "XT01"), _lab("l2", "e2", "XT01"),
                                    _lab("l3", "e1", "NOPE")], NIGHT)
        _load(conn, "prescriptions", [
            {"record_id": f"r{e}", "encounter_id": e, "patient_id": "p1", "drug_code": "X1",
             "updated_at": "2026-03-01 09:00:00", "change_flag": "1"} for e in ("e1", "e2")],
            NIGHT)
        _load(conn, "referrals", [
            {"record_id": f"z{n}", "patient_id": "p1", "from_facility": a, "to_facility": b,
             "direction": "UP", "updated_at": "2026-03-01 09:00:00", "change_flag": "1"}
            for n, (a, b) in enumerate((("T1", "H1"), ("H1", "T1"), ("V1", "T1"),
                                        ("T1", "T1"), ("T1", "X9")))], NIGHT)
        # public health names people by ID number: the registered one, and one never seen
        _load(conn, "family_doctor_contracts", [
            {"record_id": "c1", "id_number": "11010519491231002x", "signed_date": "2026-01-05",
             "priority_groups": "elderly_65;hypertension", "updated_at": "2026-03-01 09:00",
             "change_flag": "1"},
            {"record_id": "c2", "id_number": "", "signed_date": "2026-01-05",
             "updated_at": "2026-03-01 09:00", "change_flag": "1"}], NIGHT)
        _load(conn, "chronic_followups", [
            {"record_id": f"f{n}", "id_number": "11010519491231002X", "disease": "Hypertension",
             "followup_date": "2026-02-20", "sbp": "150", "dbp": "95",
             "updated_at": "2026-03-01 09:00", "change_flag": flag}
            for n, flag in ((1, "1"), (2, "1"))], NIGHT)
        # the next night: d1 corrected to pneumonia, d3 cancelled, the whole visit e2 cancelled
        night2 = NIGHT + dt.timedelta(days=1)
        _load(conn, "diagnoses", [_diagnosis("d1", "e1", "J18.900", "2", "2026-03-02 10:00"),
                                  _diagnosis("d3", "e1", "ZZZ.999", "3", "2026-03-02 10:00")],
              night2)
        _load(conn, "encounters", [_encounter("e2", "3", "2026-03-02 10:00:00")], night2)
        _load(conn, "chronic_followups", [
            {"record_id": "f2", "id_number": "11010519491231002X", "disease": "hypertension",
             "followup_date": "2026-02-20", "updated_at": "2026-03-02 10:00",
             "change_flag": "3"}], night2)
        conn.commit()
    done = run_dbt(["build", "--select", "+condition", "+observation", "+terminology_coverage",
                    "+encounter", "+medication_request", "+referral", "+patient",
                    "+family_doctor_contract", "+chronic_followup"], fresh_db, tmp_path)
    assert done.returncode == 0, done.stdout[-4000:]
    with psycopg.connect(fresh_db) as conn:
        conditions = conn.execute("select code, code_in_value_set, icd10_block, icd10_chapter "
                                  "from ehr__candidate.condition").fetchall()
        observations = conn.execute("select local_code, loinc_code, code_mapped from "
                                    "ehr__candidate.observation where category = 'laboratory' "
                                    "order by 1").fetchall()
        vitals = conn.execute("select loinc_code, value_numeric, unit, category, person_key, "
                              "followup_key from ehr__candidate.observation "
                              "where followup_key is not null order by 1").fetchall()
        encounters = conn.execute("select count(*) from ehr__candidate.encounter").fetchone()
        coverage = conn.execute("select code_list, records, unmapped from "
                                "quality__candidate.terminology_coverage order by 1").fetchall()
        prescriptions = conn.execute("select encounter_key from "
                                     "ehr__candidate.medication_request").fetchall()
        directions = conn.execute("select referral_key, direction, direction_as_sent from "
                                  "ehr__candidate.referral").fetchall()
        patient = conn.execute("select person_key from ehr__candidate.patient").fetchall()
        contracts = dict(conn.execute(
            "select person_registered, person_key from ehr__candidate.family_doctor_contract"))
        followups = conn.execute("select person_key, disease, sbp from "
                                 "ehr__candidate.chronic_followup").fetchall()
    assert conditions == [("J18.900", True, "J09-J18", "X")]  # corrected; d3 cancelled; e2's gone
    assert observations == [("NOPE", None, False), ("XT01", "14771-0", True)]
    assert encounters == (1,)
    assert coverage == [("icd10_blocks", 1, 0), ("lab_map", 2, 1)]
    assert len(prescriptions) == 1  # e2's prescription went with e2
    key = {f"z{n}": hashlib.md5(f"T1|z{n}".encode()).hexdigest() for n in range(5)}
    got = {k: (d, sent) for k, d, sent in directions}
    assert [got[key[f"z{n}"]][0] for n in range(5)] == ["up", "down", "up", "lateral",
                                                       "unknown"]
    assert {sent for _, sent in got.values()} == {"up"}  # as sent, lower-cased
    (person,) = patient[0]
    assert len(patient) == 1 and contracts[True] == person  # by ID, lower-case x or not
    assert contracts[False] != person  # no ID: its own key, kept, never dropped
    assert followups == [(person, "hypertension", 150)]  # f2 cancelled
    # f1's blood pressure as vital-sign observations (no glucose measured: no row); f2's gone
    f1 = hashlib.md5(b"T1|f1").hexdigest()
    assert vitals == [("8462-4", 95, "mm[Hg]", "vital-signs", person, f1),
                      ("8480-6", 150, "mm[Hg]", "vital-signs", person, f1)]


def test_incremental_nights_keep_the_latest_version_and_carry_cancellations(fresh_db,
                                                                            tmp_path: Path):
    """Night by night (incremental runs): a version that arrives late but is older does not
    win; a cancellation arriving later removes the encounter and its diagnosis, whose own
    row did not change that night."""
    def build(n: int) -> None:
        done = run_dbt(["build", "--select", "+condition", "+encounter", "+observation"],
                       fresh_db, tmp_path / f"n{n}")
        assert done.returncode == 0, done.stdout[-4000:]

    def current() -> tuple[list, list]:
        with psycopg.connect(fresh_db) as conn:
            return (conn.execute("select department from ehr__candidate.encounter "
                                 "order by 1").fetchall(),
                    conn.execute("select code from ehr__candidate.condition "
                                 "order by 1").fetchall())

    def vitals() -> list:
        with psycopg.connect(fresh_db) as conn:
            return conn.execute("select loinc_code, value_numeric from "
                                "ehr__candidate.observation where followup_key is not null "
                                "order by 1").fetchall()

    def followup(flag: str, updated: str, **values) -> dict:
        return {"record_id": "f5", "id_number": "11010519491231002X",
                "disease": "hypertension", "followup_date": "2026-02-20",
                "updated_at": updated, "change_flag": flag, **values}

    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322')")
        _load(conn, "encounters", [{**_encounter("e1", "2", "2026-03-01 10:00:00"),
                                    "department": "new"}], NIGHT, batch=1)
        _load(conn, "diagnoses", [_diagnosis("d1", "e1", "I10", "1", "2026-03-01 10:00")],
              NIGHT, batch=1)
        _load(conn, "chronic_followups", [followup("1", "2026-03-01 09:00", sbp="150",
                                                   dbp="95")], NIGHT, batch=1)
        conn.commit()
    build(1)
    assert vitals() == [("8462-4", 95), ("8480-6", 150)]
    with psycopg.connect(fresh_db) as conn:  # the older version, delivered late; the
        # follow-up corrected: a new systolic, the diastolic taken out
        _load(conn, "encounters", [{**_encounter("e1", "1", "2026-03-01 09:00:00"),
                                    "department": "old"}], NIGHT, batch=2)
        _load(conn, "chronic_followups", [followup("2", "2026-03-02 09:00", sbp="140")],
              NIGHT, batch=2)
        conn.commit()
    build(2)
    assert current() == ([("new",)], [("I10",)])
    assert vitals() == [("8480-6", 140)]
    with psycopg.connect(fresh_db) as conn:  # the encounter cancelled, a night later; and
        # the follow-up
        _load(conn, "encounters", [_encounter("e1", "3", "2026-03-02 08:00:00")],
              NIGHT + dt.timedelta(days=1), batch=3)
        _load(conn, "chronic_followups", [followup("3", "2026-03-03 09:00")],
              NIGHT + dt.timedelta(days=1), batch=3)
        conn.commit()
    build(3)
    assert current() == ([], [])
    assert vitals() == []


def _index_columns(url: str, schema: str, table: str) -> list[str]:
    """The column lists of a table's indexes, e.g. 'btree (encounter_date)', sorted."""
    with psycopg.connect(url) as conn:
        return sorted(d.split(" USING ", 1)[1] for (d,) in conn.execute(
            "select indexdef from pg_indexes where schemaname = %s and tablename = %s",
            (schema, table)))


def test_an_incremental_ehr_table_gets_the_indexes_its_config_gained(fresh_db,
                                                                      tmp_path: Path):
    """dbt creates a model's configured indexes only with its table, and a recycled
    candidate is never created again: an index added to the config (ehr.encounter's
    encounter_date) reaches an existing table through add_missing_indexes, once."""
    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322')")
        _load(conn, "patients", [{"record_id": "p1", "id_number": "11010519491231002X",
                                  "updated_at": "2026-03-01 08:00:00", "change_flag": "1"}],
              NIGHT)
        _load(conn, "encounters", [_encounter("e1", "1", "2026-03-01 08:00:00")], NIGHT)
        conn.commit()

    def build(run: str) -> None:
        done = run_dbt(["build", "--select", "+encounter"], fresh_db, tmp_path / run)
        assert done.returncode == 0, done.stdout[-4000:]

    build("created")
    created = _index_columns(fresh_db, "ehr__candidate", "encounter")
    assert "btree (encounter_date)" in created and "btree (export_date)" in created
    with psycopg.connect(fresh_db) as conn:  # a table built before the index was configured
        (name,) = conn.execute(
            "select indexname from pg_indexes where schemaname = 'ehr__candidate' "
            "and tablename = 'encounter' and indexdef like '%(encounter_date)'").fetchone()
        conn.execute(f'drop index ehr__candidate."{name}"')
    build("incremental")
    assert _index_columns(fresh_db, "ehr__candidate", "encounter") == created
    build("again")  # nothing missing: nothing added
    assert _index_columns(fresh_db, "ehr__candidate", "encounter") == created
