"""Who may read what, proven by connecting as each role to a published warehouse (real
ingest, real dbt, the real publish): the analyst reads ehr and quality and nothing else; a
facility reads only its own patients' records (from every facility, through row-level
security); the loader writes raw but reads nothing published; the transformer reads what dbt
needs and may not write raw."""

from __future__ import annotations

import datetime as dt

import psycopg
import pytest
from psycopg import errors

from countyhealth.access import facility_role
from countyhealth.publish import publish
from countyhealth.synth import generate

from ..databases import create_database
from ..nights import dbt_build, ingest

NIGHTS = [dt.date(2026, 3, 1), dt.date(2026, 3, 2)]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, server_url) -> str:
    work = tmp_path_factory.mktemp("access")
    county = generate(work / "county", population=3000, days=len(NIGHTS), start=NIGHTS[0],
                      seed=9, townships=2, villages_per_township=2)
    url = create_database(server_url)
    for night in NIGHTS:  # two published nights: the first ehr is kept, closed, as the
        # next candidate
        ingest(url, county, night)
        dbt_build(url, work, data_tests=False)
        with psycopg.connect(url) as conn:
            publish(conn, night)
    return url


def _as(url: str, role: str) -> psycopg.Connection:
    return psycopg.connect(url.replace("://postgres@", f"://{role}@", 1), autocommit=True)


def _denied(conn: psycopg.Connection, statement: str) -> bool:
    try:
        conn.execute(statement)
    except errors.InsufficientPrivilege:
        return True
    return False


def test_analyst_reads_ehr_and_quality_only(warehouse):
    with psycopg.connect(warehouse) as owner:
        patients = owner.execute("select count(*) from ehr.patient").fetchone()[0]
    with _as(warehouse, "chw_analyst") as conn:
        assert conn.execute("select count(*) from ehr.patient").fetchone()[0] == patients > 0
        assert conn.execute("select count(*) from quality.indicator_summary").fetchone()[0] > 0
        for table in ("pii.person", "raw.patients", "ingest.files", "ingest.rejected",
                      "chw_intermediate.int_person_identity", "ehr__candidate.patient",
                      "quality__candidate.indicator_contracted_residents"):
            assert _denied(conn, f"select 1 from {table} limit 1"), table


def test_facility_sees_only_its_own_patients_records_from_every_facility(warehouse):
    facility = "T001"
    with psycopg.connect(warehouse) as owner:
        # one of T001's patients also seen at the county hospital (a copy of a T001 visit
        # recorded at H001): what the facility must see beyond its own walls
        owner.execute(
            "insert into ehr.encounter select md5('probe'), person_key, 'H001', "
            "'county_hospital', false, null, encounter_class, fhir_class_code, is_visit, "
            "department, start_time, end_time, encounter_date, disposition, total_cost, "
            "patient_unregistered, export_date, batch_id from ehr.encounter "
            "where facility_code = %s limit 1", (facility,))
        owner.commit()
        total = owner.execute("select count(*) from ehr.encounter").fetchone()[0]
        own = owner.execute(
            "select count(*), count(*) filter (where e.facility_code <> %s) "
            "from ehr.encounter e where e.person_key in (select person_key from "
            "ehr.patient_registration where facility_code = %s)", (facility, facility)
        ).fetchone()
        own_people = owner.execute("select count(*) from ehr.patient_registration where "
                                   "facility_code = %s", (facility,)).fetchone()[0]
    assert 0 < own[0] < total and own[1] > 0
    with _as(warehouse, facility_role(facility)) as conn:
        seen = conn.execute("select count(*), count(*) filter (where facility_code <> %s) "
                            "from ehr.encounter", (facility,)).fetchone()
        assert seen == own  # its patients' visits, at its own and at other facilities
        assert conn.execute("select count(*) from ehr.patient").fetchone()[0] == own_people
        assert conn.execute("select distinct facility_code from "
                            "ehr.patient_registration").fetchall() == [(facility,)]
        strangers = conn.execute(
            "select count(*) from ehr.condition c where not exists (select 1 from "
            "ehr.patient_registration r where r.person_key = c.person_key)").fetchone()[0]
        assert strangers == 0
        for table in ("quality.indicator_summary", "pii.person", "raw.encounters",
                      "ingest.files"):
            assert _denied(conn, f"select 1 from {table} limit 1"), table
    with _as(warehouse, facility_role("PH01")) as conn:  # registers everyone: sees them all
        assert conn.execute("select count(*) from ehr.encounter").fetchone()[0] == total


def test_loader_writes_raw_and_reads_nothing_published(warehouse):
    with _as(warehouse, "chw_loader") as conn:
        with conn.transaction(force_rollback=True):
            conn.execute("insert into raw.patients (record_id, _batch_id, _file_id, "
                         "_facility, _export_date, _position) values ('x', 1, 1, 'T001', "
                         "'2026-03-02', 1)")
        assert conn.execute("select count(*) from ingest.files").fetchone()[0] > 0
        for table in ("ehr.patient", "quality.indicator_summary", "pii.person"):
            assert _denied(conn, f"select 1 from {table} limit 1"), table


def test_transformer_reads_what_dbt_needs_and_may_not_write_raw(warehouse):
    with _as(warehouse, "chw_transformer") as conn:
        for table in ("raw.patients", "ingest.files", "pii.pseudonym_secret", "pii.person",
                      "ehr.patient", "chw_intermediate.int_person_identity"):
            conn.execute(f"select 1 from {table} limit 1")
        with conn.transaction(force_rollback=True):
            conn.execute("create table chw_intermediate.t_probe (x int)")
        assert _denied(conn, "insert into raw.patients (record_id) values ('x')")
        assert _denied(conn, "delete from ingest.files")
