"""Corrections and cancellations in the EHR core, with real dbt on the real PostgreSQL: the
latest version wins, and a cancelled encounter takes its diagnoses and results with it."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import psycopg

from countyhealth.dbt_group import run_dbt
from countyhealth.identity import make_id_number
from countyhealth.ingest.loader import ensure_schema

from ..raw_rows import load_rows as _load

NIGHT = dt.date(2026, 3, 1)


def _encounter(record_id: str, flag: str, updated: str) -> dict:
    return {"record_id": record_id, "patient_id": "p1", "encounter_class": "outpatient",
            "start_time": "2026-03-01 08:00:00", "updated_at": updated, "change_flag": flag}


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


def test_incremental_nights_follow_people_the_empi_links_later(fresh_db, tmp_path: Path):
    """Old encounters move to the right person when the link changes without the encounter
    changing: a registration that arrives a night after the visit, and a registration at
    another facility through which the EMPI links an older one (by demographics)."""
    resident = {"sex": "1", "birth_date": "1960-01-01", "name": "张三", "phone": "13800000000",
                "address_code": "370322101001", "updated_at": "2026-03-01 08:00:00",
                "change_flag": "1"}

    def build(n: int) -> None:
        done = run_dbt(["build", "--select", "+encounter"], fresh_db, tmp_path / f"n{n}")
        assert done.returncode == 0, done.stdout[-4000:]

    def persons() -> tuple[dict, dict]:
        with psycopg.connect(fresh_db) as conn:
            encounters = dict(conn.execute(
                "select encounter_key, person_key from ehr__candidate.encounter"))
            identities = dict(conn.execute(
                "select facility_code || '|' || local_patient_id, person_key "
                "from chw_intermediate.int_person_identity"))
        return encounters, identities

    key = {e: hashlib.md5(f"T1|{e}".encode()).hexdigest() for e in ("e7", "e8")}
    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322'), ('H1', 'h', 'county_hospital', "
                     "null, 'csv', false, '370322')")
        # night 1: p7 registered at T1 without an ID number; p8 visits before registering
        _load(conn, "patients", [{**resident, "record_id": "p7"}], NIGHT, batch=1)
        _load(conn, "encounters", [{**_encounter("e7", "1", "2026-03-01 09:00:00"),
                                    "patient_id": "p7"},
                                   {**_encounter("e8", "1", "2026-03-01 09:00:00"),
                                    "patient_id": "p8"}], NIGHT, batch=1)
        conn.commit()
    build(1)
    encounters, identities = persons()
    assert encounters[key["e7"]] == identities["T1|p7"]
    with psycopg.connect(fresh_db) as conn:
        # night 2: the same man registers at the hospital with his ID number; p8 registers
        id_number = make_id_number("110105", dt.date(1960, 1, 1), 1)
        _load(conn, "patients", [{**resident, "record_id": "h7", "id_type": "01",
                                  "id_number": id_number}],
              NIGHT + dt.timedelta(days=1), batch=2, facility="H1")
        _load(conn, "patients", [{**resident, "record_id": "p8", "name": "李四",
                                  "phone": "13900000000", "birth_date": "1970-05-05"}],
              NIGHT + dt.timedelta(days=1), batch=2)
        _load(conn, "encounters", [{**_encounter("e9", "1", "2026-03-02 09:00:00"),
                                    "patient_id": "h7"}],
              NIGHT + dt.timedelta(days=1), batch=2, facility="H1")
        conn.commit()
    build(2)
    encounters, identities = persons()
    assert identities["T1|p7"] == identities["H1|h7"]  # linked by demographics
    assert encounters[key["e7"]] == identities["H1|h7"]  # e7 unchanged, its person moved
    assert encounters[key["e8"]] == identities["T1|p8"]  # registered now: the EMPI's key
    e9 = hashlib.md5(b"H1|e9").hexdigest()
    id_person = identities["H1|h7"]
    assert encounters[e9] == id_person
    with psycopg.connect(fresh_db) as conn:  # night 3: the hospital cancels h7's registration
        _load(conn, "patients", [{**resident, "record_id": "h7", "change_flag": "3",
                                  "updated_at": "2026-03-03 08:00:00"}],
              NIGHT + dt.timedelta(days=2), batch=3, facility="H1")
        conn.commit()
    build(3)
    encounters, identities = persons()
    assert "H1|h7" not in identities
    assert encounters[e9] != id_person  # a local key of its own now, like a full rebuild
    assert encounters[key["e7"]] == identities["T1|p7"] != id_person  # unlinked too


def test_incremental_nights_follow_people_named_by_id_number(fresh_db, tmp_path: Path):
    """Follow-ups and settlements name people by ID number, and their rows do not change
    when the person does: a follow-up and a settlement recorded before the resident's
    registration arrives are on no registered person; the registration arriving a night
    later puts them on it; a correction of the registration's ID number the night after
    takes them off again (the old ID is in the registration's older version only); the
    registration sent again with its person unchanged rewrites neither. Each night's
    incremental state equals a full rebuild of the same batches."""
    old_id = make_id_number("110105", dt.date(1950, 6, 1), 3)
    new_id = make_id_number("110105", dt.date(1951, 6, 1), 3)
    selection = ["--select", "+chronic_followup", "+insurance_settlement",
                 "--indirect-selection", "cautious"]  # not observation's test on follow-ups

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def registered() -> tuple:
        """f1's and s1's person; f2 and s2 (other people) only move the tables' watermark."""
        with psycopg.connect(fresh_db) as conn:
            return (conn.execute("select person_registered, person_key from "
                                 "ehr__candidate.chronic_followup "
                                 "where followup_key = md5('T1|f1')").fetchall(),
                    conn.execute("select person_registered, person_key from "
                                 "ehr__candidate.insurance_settlement "
                                 "where settlement_key = md5('T1|s1')").fetchall())

    def followup(record_id: str, id_number: str, updated: str) -> dict:
        return {"record_id": record_id, "id_number": id_number, "disease": "diabetes",
                "followup_date": "2026-02-20", "fasting_glucose": "6.5",
                "updated_at": updated, "change_flag": "1"}

    def settlement(record_id: str, id_number: str, updated: str) -> dict:
        return {"record_id": record_id, "id_number": id_number, "insured_area": "370322",
                "facility_code": "T1", "in_county": "1", "visit_type": "11",
                "admit_date": "2026-02-20", "total_cost": "80", "fund_paid": "50",
                "updated_at": updated, "change_flag": "1"}

    def registration(flag: str, id_number: str, updated: str) -> dict:
        return {"record_id": "p1", "id_type": "01", "id_number": id_number, "name": "王五",
                "sex": "1", "birth_date": "1950-06-01", "updated_at": updated,
                "change_flag": flag}

    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322')")
        _load(conn, "chronic_followups", [followup("f1", old_id, "2026-03-01 09:00")],
              NIGHT, batch=1)
        _load(conn, "insurance_settlements", [settlement("s1", old_id, "2026-03-01 09:00")],
              NIGHT, batch=1)
        conn.commit()
    build([], "n1")
    assert [r[0] for r in registered()[0] + registered()[1]] == [False, False]
    nights = [(2, registration("1", old_id, "2026-03-02 08:00")),
              (3, registration("2", new_id, "2026-03-03 08:00"))]
    for batch, row in nights:
        night = NIGHT + dt.timedelta(days=batch - 1)
        other = make_id_number("110105", dt.date(1960 + batch, 1, 1), 5)
        with psycopg.connect(fresh_db) as conn:
            _load(conn, "patients", [row], night, batch=batch)
            _load(conn, "chronic_followups", [followup(f"f{batch}", other, "2026-03-02")],
                  night, batch=batch)
            _load(conn, "insurance_settlements", [settlement(f"s{batch}", other,
                                                             "2026-03-02")], night, batch=batch)
            conn.commit()
        build([], f"n{batch}")
        incremental = registered()
        build(["--full-refresh"], f"full{batch}")
        assert incremental == registered(), batch  # what a rebuild of the same batches gives
        flag = [r[0] for r in incremental[0] + incremental[1]]
        assert flag == [batch == 2] * 2, (batch, incremental)

    # night 4: the registration sent again (a new name), its ID number and person the same:
    # neither ID number's person changed, so f1 and s1 are not written again (the same row
    # versions), and still equal a rebuild
    def versions() -> list:
        with psycopg.connect(fresh_db) as conn:
            return conn.execute(
                "select xmin::text from ehr__candidate.chronic_followup "
                "where followup_key = md5('T1|f1') union all "
                "select xmin::text from ehr__candidate.insurance_settlement "
                "where settlement_key = md5('T1|s1')").fetchall()

    before = versions()
    with psycopg.connect(fresh_db) as conn:
        resent = {**registration("2", new_id, "2026-03-04 08:00"), "name": "王武"}
        _load(conn, "patients", [resent], NIGHT + dt.timedelta(days=3), batch=4)
        _load(conn, "insurance_settlements", [settlement("s4", new_id, "2026-03-04")],
              NIGHT + dt.timedelta(days=3), batch=4)
        conn.commit()
    build([], "n4")
    assert len(before) == 2 and versions() == before
    incremental = registered()
    build(["--full-refresh"], "full4")
    assert incremental == registered()


def test_a_settlement_row_follows_its_persons_township(fresh_db, tmp_path: Path):
    """indicator_settlements places a settlement by the resident's township, from their
    latest registration; a settlement names its person by ID number. When the latest
    registration is one without the ID number (linked by the health card) and it moves the
    address, neither the settlement nor any registration carrying its ID changed: the
    incremental row table must still rewrite the settlement (the person's ehr.patient row
    was written again), as a full rebuild does."""
    id_number = make_id_number("370322", dt.date(1950, 6, 1), 3)
    selection = ["--select", "+indicator_settlements", "--indirect-selection", "cautious"]

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def township() -> list:
        with psycopg.connect(fresh_db) as conn:
            return conn.execute("select township_code from quality__candidate."
                                "indicator_settlements where subject_key = md5('T1|s1')"
                                ).fetchall()

    def registration(record_id: str, id_number: str, address: str, updated: str,
                     flag: str = "1") -> dict:
        return {"record_id": record_id, "id_type": "01", "id_number": id_number,
                "name": "王五", "sex": "1", "birth_date": "1950-06-01",
                "address_code": address, "health_card_no": "CARD0001",
                "updated_at": updated, "change_flag": flag}

    def settlement(record_id: str, updated: str) -> dict:
        return {"record_id": record_id, "id_number": id_number, "insured_area": "370322",
                "facility_code": "T1", "in_county": "1", "visit_type": "11",
                "admit_date": "2026-02-20", "total_cost": "80", "fund_paid": "50",
                "updated_at": updated, "change_flag": "1"}

    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322'), ('V1', 'v', 'village_clinic', "
                     "'370322102', 'csv', true, '370322')")
        _load(conn, "patients", [registration("p1", id_number, "370322101001",
                                              "2026-03-01 08:00")], NIGHT, batch=1)
        _load(conn, "patients", [registration("q1", "", "370322101001", "2026-03-01 09:00")],
              NIGHT, batch=1, facility="V1")
        _load(conn, "insurance_settlements", [settlement("s1", "2026-03-01 09:00")], NIGHT,
              batch=1)
        conn.commit()
    build([], "n1")
    assert township() == [("370322101",)]
    night2 = NIGHT + dt.timedelta(days=1)
    with psycopg.connect(fresh_db) as conn:  # the village clinic's registration moves him
        _load(conn, "patients", [registration("q1", "", "370322102001", "2026-03-02 09:00",
                                              "2")], night2, batch=2, facility="V1")
        # another settlement moves the table's watermark, as any night does
        _load(conn, "insurance_settlements", [settlement("s2", "2026-03-02 09:00")], night2,
              batch=2)
        conn.commit()
    build([], "n2")
    incremental = township()
    build(["--full-refresh"], "full2")
    assert township() == [("370322102",)]
    assert incremental == township()


def test_a_person_gone_stays_gone_for_the_candidate_two_nights_behind(fresh_db,
                                                                      tmp_path: Path):
    """A person the EMPI relinks into another is gone: int_indicator_people keeps their row,
    gone, with the batch they went, in every later build. The recycled quality candidate a
    night builds was last built two nights before (countyhealth.publish): it deletes the
    gone person's months only if it still finds them gone then (kept one build, the
    candidate kept a gone person's closed months: the year's benchmark found one)."""
    selection = ["--select", "+int_indicator_people", "--indirect-selection", "cautious"]

    def build(n: str) -> None:
        done = run_dbt(["build", *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def people() -> list:
        with psycopg.connect(fresh_db) as conn:
            return conn.execute("select person_key, gone, changed_batch_id from "
                                "chw_intermediate.int_indicator_people order by 1").fetchall()

    def registration(record_id: str, id_number: str, card: str, updated: str,
                     flag: str = "1") -> dict:
        return {"record_id": record_id, "id_type": "01", "id_number": id_number,
                "name": "王五", "sex": "1", "birth_date": "1950-06-01",
                "address_code": "370322101001", "health_card_no": card,
                "updated_at": updated, "change_flag": flag}

    id_number = make_id_number("370322", dt.date(1950, 6, 1), 3)
    nights = [
        # night 1: p1 carries the ID number; q1 (no ID, another card) is a person of its own
        [("T1", registration("p1", id_number, "CARD0001", "2026-03-01 08:00")),
         ("V1", registration("q1", "", "CARD0002", "2026-03-01 09:00"))],
        # night 2: q1 shows p1's card: the EMPI links it to p1's person, q1's is gone
        [("V1", registration("q1", "", "CARD0001", "2026-03-02 09:00", "2"))],
        # night 3: someone else registers; nothing about either of them changes
        [("T1", registration("r1", make_id_number("370322", dt.date(1960, 1, 1), 5),
                             "CARD0003", "2026-03-03 08:00"))],
    ]
    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322'), ('V1', 'v', 'village_clinic', "
                     "'370322102', 'csv', true, '370322')")
        conn.commit()
    seen = []
    for batch, rows in enumerate(nights, start=1):
        with psycopg.connect(fresh_db) as conn:
            for facility, row in rows:
                _load(conn, "patients", [row], NIGHT + dt.timedelta(days=batch - 1),
                      batch=batch, facility=facility)
            conn.commit()
        build(f"n{batch}")
        seen.append(people())
    assert len(seen[0]) == 2 and not any(gone for _, gone, _ in seen[0])
    gone = [row for row in seen[1] if row[1]]
    assert len(gone) == 1 and gone[0][2] == 2, seen[1]  # q1's person went at batch 2
    assert [row for row in seen[2] if row[1]] == gone  # still there, still batch 2


def test_a_closed_months_managed_patients_follow_their_followups(fresh_db, tmp_path: Path):
    """A closed month is not measured again: its person-month rows change only for the
    people whose indicator inputs changed. In March, one February follow-up is corrected
    (the reading is no longer controlled: the patient stays, rewritten) and another is
    cancelled (that patient leaves February's managed patients and the admission rate's
    denominator, which reads them); the third patient's rows are kept as they were. Each
    table equals a full rebuild of the same batches."""
    selection = ["--select", "+managed_chronic_admission_rate__denominator",
                 "--indirect-selection", "cautious"]
    ids = {p: make_id_number("370322", dt.date(1950, 6, n), 3)
           for n, p in ((1, "p1"), (2, "p2"), (3, "p3"))}

    def build(args: list[str], n: str) -> None:
        done = run_dbt(["build", *args, *selection], fresh_db, tmp_path / n)
        assert done.returncode == 0, done.stdout[-4000:]

    def february(column: str) -> dict[str, list]:
        """Each table's February rows: person, whether controlled (managed patients) and
        `column` (batch_id: which run wrote it; a full rebuild's differ by nature)."""
        with psycopg.connect(fresh_db) as conn:
            return {table: conn.execute(
                f"select person_key, {controlled}, {column} from quality__candidate.{table} "
                "where period_date = '2026-02-01' order by 1").fetchall()
                for table, controlled in (
                    ("indicator_managed_patients", "latest_controlled"),
                    ("managed_chronic_admission_rate__denominator", "null"))}

    def followup(patient: str, flag: str, sbp: str, updated: str) -> dict:
        return {"record_id": f"f{patient}", "id_number": ids[patient],
                "disease": "hypertension", "followup_date": "2026-02-20", "sbp": sbp,
                "dbp": "80", "updated_at": updated, "change_flag": flag}

    with psycopg.connect(fresh_db) as conn:
        ensure_schema(conn)
        conn.execute("insert into ingest.facilities values ('T1', 't', 'township_center', "
                     "'370322101', 'csv', true, '370322')")
        _load(conn, "patients", [{"record_id": p, "id_type": "01", "id_number": ids[p],
                                  "name": "王五", "sex": "1", "birth_date": "1950-06-01",
                                  "address_code": "370322101001",
                                  "updated_at": "2026-03-01 08:00", "change_flag": "1"}
                                 for p in ids], NIGHT, batch=1)
        _load(conn, "encounters", [  # February and March have data: two months measured
            {**_encounter("e1", "1", "2026-03-01 09:00"), "start_time": "2026-02-20 08:00:00"},
            _encounter("e2", "1", "2026-03-01 09:00")], NIGHT, batch=1)
        _load(conn, "chronic_followups", [followup(p, "1", "130", "2026-03-01 09:00")
                                          for p in ids], NIGHT, batch=1)
        conn.commit()
    build([], "n1")
    first = february("batch_id")
    assert [len(rows) for rows in first.values()] == [3, 3], first
    night2 = NIGHT + dt.timedelta(days=1)
    with psycopg.connect(fresh_db) as conn:
        _load(conn, "chronic_followups", [followup("p1", "2", "150", "2026-03-02 09:00"),
                                          followup("p2", "3", "130", "2026-03-02 09:00")],
              night2, batch=2)
        _load(conn, "encounters", [_encounter("e3", "1", "2026-03-02 09:00")], night2,
              batch=2)
        conn.commit()
    build([], "n2")
    incremental = february("batch_id")
    build(["--full-refresh"], "full2")
    assert {t: [r[:2] for r in rows] for t, rows in incremental.items()} == \
        {t: [r[:2] for r in rows] for t, rows in february("null").items()}
    managed = incremental["indicator_managed_patients"]
    assert len(managed) == 2 and len(incremental[
        "managed_chronic_admission_rate__denominator"]) == 2, incremental
    # p1 rewritten, no longer controlled; p3 kept as the first night wrote it
    assert sorted((controlled, batch) for _, controlled, batch in managed) == \
        [(False, 2), (True, 1)], managed


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
