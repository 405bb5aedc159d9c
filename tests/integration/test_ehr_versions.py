"""Corrections and cancellations in the EHR core, with real dbt on the real PostgreSQL: the
latest version wins, and a cancelled encounter takes its diagnoses and results with it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg

from countyhealth.dbt_group import run_dbt
from countyhealth.ingest.loader import ensure_schema
from countyhealth.ingest.tables import LINEAGE_COLUMNS, TABLES

NIGHT = dt.date(2026, 3, 1)


def _load(conn: psycopg.Connection, table: str, rows: list[dict], night: dt.date) -> None:
    columns = (*TABLES[table].columns, *LINEAGE_COLUMNS)
    with conn.cursor().copy(f"copy raw.{table} ({', '.join(columns)}) from stdin") as copy:
        for position, row in enumerate(rows, start=2):
            full = {**dict.fromkeys(TABLES[table].columns), **row}
            copy.write_row((*(full[c] for c in TABLES[table].columns), 1, 1, "T1", night,
                            position))


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
        # the next night: d1 corrected to pneumonia, d3 cancelled, the whole visit e2 cancelled
        night2 = NIGHT + dt.timedelta(days=1)
        _load(conn, "diagnoses", [_diagnosis("d1", "e1", "J18.900", "2", "2026-03-02 10:00"),
                                  _diagnosis("d3", "e1", "ZZZ.999", "3", "2026-03-02 10:00")],
              night2)
        _load(conn, "encounters", [_encounter("e2", "3", "2026-03-02 10:00:00")], night2)
        conn.commit()
    done = run_dbt(["build", "--select", "+condition", "+observation", "+terminology_coverage",
                    "+encounter"], fresh_db, tmp_path)
    assert done.returncode == 0, done.stdout[-4000:]
    with psycopg.connect(fresh_db) as conn:
        conditions = conn.execute("select code, code_in_value_set, icd10_chapter from "
                                  "ehr__candidate.condition").fetchall()
        observations = conn.execute("select local_code, loinc_code, code_mapped from "
                                    "ehr__candidate.observation order by 1").fetchall()
        encounters = conn.execute("select count(*) from ehr__candidate.encounter").fetchone()
        coverage = conn.execute("select code_list, records, unmapped from "
                                "quality__candidate.terminology_coverage order by 1").fetchall()
    assert conditions == [("J18.900", True, "X")]  # corrected; d3 cancelled; e2's gone
    assert observations == [("NOPE", None, False), ("XT01", "1558-6", True)]
    assert encounters == (1,)
    assert coverage == [("icd10_chapters", 1, 0), ("lab_map", 2, 1)]
