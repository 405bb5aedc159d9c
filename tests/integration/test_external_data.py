"""Real data nobody on this project wrote (../shared/testdata/external), through the real
loader into the real PostgreSQL: HL7 v2 samples (malformed ones too), the official FHIR R4
examples, and a Synthea CSV export mapped by a county config."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import psycopg
import pytest
import yaml
from fhir.resources.R4B import get_fhir_model_class

from countyhealth.config import load_config
from countyhealth.ingest import ingest_night
from countyhealth.ingest.fhir_reader import SUPPORTED

from .external import EXTERNAL, deliver, fhir_resources

NIGHT = dt.date(2026, 3, 1)
SYNTHEA = {
    "patients": {"record_id": "Id", "birth_date": "BIRTHDATE", "death_date": "DEATHDATE",
                 "sex": "GENDER", "address_code": "ZIP", "name": "FIRST+LAST"},
    "encounters": {"record_id": "Id", "patient_id": "PATIENT", "encounter_class":
                   "ENCOUNTERCLASS", "start_time": "START", "end_time": "STOP",
                   "department": "DESCRIPTION", "total_cost": "TOTAL_CLAIM_COST"},
    "diagnoses": {"record_id": "ENCOUNTER+CODE", "encounter_id": "ENCOUNTER",
                  "patient_id": "PATIENT", "icd10_code": "CODE", "diagnosis_name":
                  "DESCRIPTION", "diagnosed_at": "START"},
    "lab_results": {"record_id": "ENCOUNTER+CODE+DATE", "encounter_id": "ENCOUNTER",
                    "patient_id": "PATIENT", "test_code": "CODE", "test_name": "DESCRIPTION",
                    "value": "VALUE", "unit": "UNITS", "collected_at": "DATE"},
    "prescriptions": {"record_id": "ENCOUNTER+CODE+START", "encounter_id": "ENCOUNTER",
                      "patient_id": "PATIENT", "drug_code": "CODE", "drug_name": "DESCRIPTION",
                      "quantity": "DISPENSES", "prescribed_at": "START"},
}
SYNTHEA_FILES = {"patients": "patients.csv", "encounters": "encounters.csv",
                 "diagnoses": "conditions.csv", "lab_results": "observations.csv",
                 "prescriptions": "medications.csv"}

pytestmark = pytest.mark.skipif(not EXTERNAL.is_dir(), reason="shared/testdata is not beside "
                                "the repository on this machine")


def _hl7_records(text: str) -> int:
    """Messages as a sender counts them, plus one for segments before any MSH."""
    segments = [s for s in text.replace("\r\n", "\r").replace("\n", "\r").split("\r")
                if s.strip() and s[:3] not in ("FHS", "BHS", "BTS", "FTS")]
    orphan = 1 if segments and not segments[0].startswith("MSH") else 0
    return sum(s.startswith("MSH") for s in segments) + orphan


@pytest.fixture()
def landing(tmp_path: Path):
    land = tmp_path / "landing"
    hl7_files = sorted((EXTERNAL / "hl7v2-python-hl7").glob("*.hl7"))
    deliver(land / "EXTHL7" / NIGHT.isoformat(), [
        (p, "hl7v2", "messages", _hl7_records(p.read_bytes().decode("utf-8", "replace")))
        for p in hl7_files])
    fhir_files = sorted((EXTERNAL / "fhir-r4-examples").glob("*.json"))
    deliver(land / "EXTFHIR" / NIGHT.isoformat(), [
        (p, "fhir-r4", "bundle", len(fhir_resources(p))) for p in fhir_files])
    syn = EXTERNAL / "synthea-csv-27"
    syn_files = []
    for kind, name in SYNTHEA_FILES.items():
        with (syn / name).open(encoding="utf-8", newline="") as fh:
            syn_files.append((syn / name, "csv", kind, sum(1 for _ in csv.reader(fh)) - 1))
    deliver(land / "SYNTHEA" / NIGHT.isoformat(), syn_files)
    config = {
        "county": {"code": "370322", "name": "test"},
        "facilities": [
            {"code": "EXTHL7", "name": "HL7 samples", "level": "county_hospital",
             "format": "hl7v2"},
            {"code": "EXTFHIR", "name": "FHIR examples", "level": "tcm_hospital",
             "format": "fhir-r4"},
            {"code": "SYNTHEA", "name": "Synthea hospital", "level": "county_hospital",
             "format": "csv", "columns": SYNTHEA,
             "defaults": {t: {"updated_at": "2026-03-01 00:00:00", "change_flag": "1"}
                          for t in SYNTHEA}},
        ],
    }
    (tmp_path / "county.yaml").write_text(yaml.safe_dump(config, allow_unicode=True),
                                          encoding="utf-8")
    return tmp_path


def _ingest(landing: Path, url: str):
    cfg = load_config(landing / "county.yaml")
    with psycopg.connect(url) as conn:
        night = ingest_night(conn, cfg, landing / "landing", NIGHT)
        conn.commit()
    return {d.facility: d for d in night.deliveries}


def test_every_external_file_is_loaded_or_quarantined_with_a_reason(landing, fresh_db):
    deliveries = _ingest(landing, fresh_db)
    assert {k: d.status for k, d in deliveries.items()} == \
        {"EXTHL7": "loaded", "EXTFHIR": "loaded", "SYNTHEA": "loaded"}, \
        {k: d.reason for k, d in deliveries.items()}
    with psycopg.connect(fresh_db) as conn:
        files = conn.execute("select facility_code, count(*), sum(records_read), "
                             "sum(rows_manifest), sum(rows_read), "
                             "sum(rows_loaded + rows_rejected) from ingest.files "
                             "group by 1").fetchall()
        for facility, _, records, manifest, read, accounted in files:
            assert records == manifest and read == accounted, facility
        reasons = dict(conn.execute(
            "select facility_code || ':' || reason_code, count(*) from ingest.rejected "
            "group by 1").fetchall())
    # the three python-hl7 samples whose segments come before any MSH
    assert reasons["EXTHL7:hl7_no_msh"] == 3
    assert not any(k.startswith("SYNTHEA:") and not k.endswith("bad_date") for k in reasons)


def test_hl7_counts_per_table(landing, fresh_db):
    _ingest(landing, fresh_db)
    with psycopg.connect(fresh_db) as conn:
        patients = conn.execute("select count(*) from raw.patients where _facility='EXTHL7'"
                                ).fetchone()[0]
        labs = conn.execute("select count(*), count(distinct test_code) from raw.lab_results "
                            "where _facility='EXTHL7'").fetchone()
        enc_reasons = dict(conn.execute(
            "select reason_code, count(*) from ingest.rejected where facility_code='EXTHL7' "
            "and target_table='encounters' group by 1").fetchall())
    hl7_files = sorted((EXTERNAL / "hl7v2-python-hl7").glob("*.hl7"))
    with_msh = sum(p.read_bytes().count(b"MSH|") for p in hl7_files)
    assert with_msh - 3 <= patients <= with_msh  # one PID a message; a few lack usable ids
    assert labs[0] >= 2 and labs[1] >= 1  # the ORU glucose samples
    # the samples' PV1 carries no admission time (PV1-44) or an impossible one: quarantined
    assert enc_reasons and set(enc_reasons) <= {"missing_required", "bad_date"}


def test_fhir_counts_match_an_independent_validation(landing, fresh_db):
    _ingest(landing, fresh_db)
    expected: dict[str, int] = {}
    unsupported = invalid = no_resource = 0
    for path in sorted((EXTERNAL / "fhir-r4-examples").glob("*.json")):
        for res in fhir_resources(path):
            if not isinstance(res, dict):
                no_resource += 1  # e.g. request-only entries of a batch Bundle
                continue
            rtype = res.get("resourceType")
            if rtype not in SUPPORTED:
                unsupported += 1
                continue
            try:
                get_fhir_model_class(rtype).model_validate(res)
            except Exception:  # noqa: BLE001
                invalid += 1
                continue
            # an Observation panel's coded components are results of their own
            parts = sum(1 for c in res.get("component") or []
                        if ((c.get("code") or {}).get("coding") or [{}])[0].get("code")) \
                if rtype == "Observation" else 0
            expected[rtype] = expected.get(rtype, 0) + 1 + parts
    tables = {"Patient": "patients", "Encounter": "encounters", "Condition": "diagnoses",
              "Observation": "lab_results", "MedicationRequest": "prescriptions",
              "ServiceRequest": "referrals"}
    with psycopg.connect(fresh_db) as conn:
        for rtype, table in tables.items():
            loaded = conn.execute(f"select count(*) from raw.{table} where _facility='EXTFHIR'"
                                  ).fetchone()[0]
            row_rejects = conn.execute(
                "select count(*) from ingest.rejected where facility_code='EXTFHIR' and "
                "target_table=%s", (table,)).fetchone()[0]
            assert loaded + row_rejects == expected.get(rtype, 0), rtype
        reasons = dict(conn.execute(
            "select reason_code, count(*) from ingest.rejected where facility_code='EXTFHIR' "
            "and target_table is null group by 1").fetchall())
    assert reasons.get("fhir_unsupported", 0) == unsupported
    assert reasons.get("fhir_invalid", 0) == invalid
    assert reasons.get("fhir_unreadable", 0) == no_resource
    assert expected["Patient"] > 0 and expected["Observation"] > 0


def test_synthea_through_a_config_mapping(landing, fresh_db):
    _ingest(landing, fresh_db)
    syn = EXTERNAL / "synthea-csv-27"
    with psycopg.connect(fresh_db) as conn:
        for kind, name in SYNTHEA_FILES.items():
            with (syn / name).open(encoding="utf-8", newline="") as fh:
                rows = sum(1 for _ in csv.DictReader(fh))
            loaded = conn.execute(f"select count(*) from raw.{kind} where _facility='SYNTHEA'"
                                  ).fetchone()[0]
            rejected = conn.execute("select count(*) from ingest.rejected where "
                                    "facility_code='SYNTHEA' and target_table=%s",
                                    (kind,)).fetchone()[0]
            assert loaded + rejected == rows and loaded >= rows * 0.95, kind
        start = conn.execute("select start_time from raw.encounters where _facility='SYNTHEA' "
                             "and record_id = '57f2562b-445c-f11c-ba40-edc55af3c84f'"
                             ).fetchone()[0]
    assert start == "2023-01-28 00:17:47"  # 16:17:47Z in Asia/Shanghai
