"""FHIR out: the official FHIR R4 examples go in as a hospital's delivery, through the real
loader and dbt into `ehr`, and come back out of `chw export-fhir`'s exporter as R4 NDJSON that
validates and keeps the clinical facts (codes with their systems, values, units, times,
gender and birth date, the patient each fact belongs to)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import Counter
from pathlib import Path

import psycopg
import pytest
import yaml
from fhir.resources.R4B import get_fhir_model_class

from countyhealth.config import load_config
from countyhealth.dbt_group import run_dbt
from countyhealth.fhir_export import ExportError, export_fhir
from countyhealth.ingest import ingest_night

from ..databases import create_database, drop_database
from .external import EXTERNAL, FHIR_EXAMPLES, deliver, fhir_resources

NIGHT = dt.date(2026, 3, 1)
FACILITY = "EXTFHIR"
MODELS = ["+patient", "+encounter", "+condition", "+observation", "+medication_request",
          "+referral"]

pytestmark = pytest.mark.skipif(not EXTERNAL.is_dir(), reason="shared/testdata is not beside "
                                "the repository on this machine")


def _key(source_id: str) -> str:
    return hashlib.md5(f"{FACILITY}|{source_id}".encode()).hexdigest()


def _instant(text: str | None) -> dt.datetime | None:
    """An instant to compare: FHIR dateTimes with an offset; a date alone is not one."""
    if not text or len(text) <= 10:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _first_coding(concept: dict | None) -> tuple[str | None, str | None]:
    coding = ((concept or {}).get("coding") or [{}])[0]
    return coding.get("system"), coding.get("code")


@pytest.fixture(scope="module")
def exported(tmp_path_factory, server_url):
    """Examples landed, ingested, built into the candidate schemas, exported (all)."""
    work = tmp_path_factory.mktemp("fhir_round_trip")
    files = sorted(FHIR_EXAMPLES.glob("*.json"))
    deliver(work / "landing" / FACILITY / NIGHT.isoformat(),
            [(p, "fhir-r4", "bundle", len(fhir_resources(p))) for p in files])
    (work / "county.yaml").write_text(yaml.safe_dump({
        "county": {"code": "370322", "name": "test"},
        "facilities": [{"code": FACILITY, "name": "FHIR examples", "level": "tcm_hospital",
                        "format": "fhir-r4"}]}), encoding="utf-8")
    url = create_database(server_url)
    with psycopg.connect(url) as conn:
        ingest_night(conn, load_config(work / "county.yaml"), work / "landing", NIGHT)
        conn.commit()
    for step in (["seed"], ["run", "--select", *MODELS]):
        done = run_dbt(step, url, work)
        assert done.returncode == 0, done.stdout[-4000:]
    with psycopg.connect(url) as conn:
        result = export_fhir(conn, work / "out", schema="ehr__candidate")
        persons = dict(conn.execute(
            "select local_patient_id, person_key from chw_intermediate.int_person_identity "
            "where facility_code = %s", (FACILITY,)).fetchall())
        loaded = {(t, r) for t, r in conn.execute(
            "select 'Observation', record_id from raw.lab_results union all "
            "select 'Condition', record_id from raw.diagnoses union all "
            "select 'MedicationRequest', record_id from raw.prescriptions union all "
            "select 'Encounter', record_id from raw.encounters union all "
            "select 'Patient', record_id from raw.patients")}
    out = {}
    for path in (work / "out").glob("*.ndjson"):
        out[path.stem] = {r["id"]: r for r in map(json.loads, path.read_text().splitlines())}
    yield {"result": result, "out": out, "persons": persons, "loaded": loaded, "url": url,
           "work": work}
    drop_database(url)


def _examples() -> dict[tuple[str, str], dict]:
    """Every example resource by (type, id); ids sent twice (two versions) are left out,
    since which one is current is the EHR's rule, tested elsewhere."""
    seen: Counter = Counter()
    found: dict[tuple[str, str], dict] = {}
    for path in sorted(FHIR_EXAMPLES.glob("*.json")):
        for res in fhir_resources(path):
            if isinstance(res, dict) and res.get("id"):
                key = (res["resourceType"], res["id"])
                seen[key] += 1
                found[key] = res
    return {k: v for k, v in found.items() if seen[k] == 1
            and v.get("status") != "entered-in-error"}


def test_every_exported_line_is_valid_fhir_r4(exported):
    counts = exported["result"].counts
    assert all(counts[t] > 0 for t in ("Patient", "Encounter", "Condition", "Observation",
                                       "MedicationRequest")), counts
    for resource_type, resources in exported["out"].items():
        model = get_fhir_model_class(resource_type)
        for resource in resources.values():
            model.model_validate(resource)
        assert len(resources) == counts[resource_type]
    manifest = json.loads((exported["work"] / "out" / "manifest.json").read_text())
    assert {o["type"]: o["count"] for o in manifest["output"]} == counts


def test_the_round_trip_keeps_the_clinical_facts(exported):
    out, persons, loaded = exported["out"], exported["persons"], exported["loaded"]
    checked: Counter = Counter()
    for (rtype, rid), res in _examples().items():
        if (rtype, rid) not in loaded:
            continue  # quarantined with a reason at ingest (test_external_data)
        subject = (res.get("subject") or {}).get("reference", "").rsplit("/", 1)[-1]
        if rtype == "Patient":
            back = out["Patient"][persons[rid]]
            assert back.get("gender", "unknown") == (res.get("gender") or "unknown") \
                or res.get("gender") == "other", rid
            assert back.get("birthDate") == res.get("birthDate"), rid
        elif rtype == "Observation":
            back = out["Observation"][_key(rid)]
            codings = {(c.get("system"), c.get("code")) for c in back["code"]["coding"]}
            assert _first_coding(res.get("code")) in codings, rid
            if "valueQuantity" in res and "value" in res["valueQuantity"]:
                sent, got = res["valueQuantity"], back["valueQuantity"]
                assert float(got["value"]) == float(sent["value"]), rid
                assert got.get("unit") == sent.get("unit"), rid
            sent_at = _instant(res.get("effectiveDateTime"))
            if sent_at:
                assert _instant(back["effectiveDateTime"]) == sent_at, rid
            for comp in res.get("component") or []:  # each component, a value of its own
                system, code = _first_coding(comp.get("code"))
                part = out["Observation"][_key(f"{rid}#{code}")]
                assert (system, code) in {(c.get("system"), c.get("code"))
                                          for c in part["code"]["coding"]}, rid
                if "value" in (comp.get("valueQuantity") or {}):
                    assert float(part["valueQuantity"]["value"]) == \
                        float(comp["valueQuantity"]["value"]), rid
                    assert part["valueQuantity"].get("unit") == comp["valueQuantity"].get(
                        "unit"), rid
                if code in ("8480-6", "8462-4"):  # blood pressure, as vital signs
                    assert part["category"][0]["coding"][0]["code"] == "vital-signs", rid
                checked["component"] += 1
        elif rtype == "Condition":
            back = out["Condition"][_key(rid)]
            assert _first_coding(back["code"]) == _first_coding(res.get("code")), rid
        elif rtype == "MedicationRequest":
            back = out["MedicationRequest"][_key(rid)]
            sent = res.get("medicationCodeableConcept")
            if sent:
                assert _first_coding(back["medicationCodeableConcept"]) == \
                    _first_coding(sent), rid
        elif rtype == "Encounter":
            back = out["Encounter"][_key(rid)]
            sent_at = _instant((res.get("period") or {}).get("start"))
            if sent_at:
                assert _instant(back["period"]["start"]) == sent_at, rid
        else:
            continue
        if rtype != "Patient" and subject in persons:  # the fact stays with its patient
            assert back["subject"]["reference"] == f"Patient/{persons[subject]}", rid
        checked[rtype] += 1
    # enough facts crossed both ways that the test means something
    assert checked["Observation"] >= 100 and checked["Patient"] >= 20, checked
    assert checked["Condition"] >= 5 and checked["MedicationRequest"] >= 5, checked
    assert checked["component"] >= 10, checked


def test_one_person_only(exported):
    (person, n_obs) = max(Counter(
        o["subject"]["reference"].split("/")[1] for o in exported["out"]["Observation"].values()
    ).items(), key=lambda kv: kv[1])
    with psycopg.connect(exported["url"]) as conn:
        one = export_fhir(conn, exported["work"] / "one", person_key=person,
                          schema="ehr__candidate")
        with pytest.raises(ExportError, match="no person"):
            export_fhir(conn, exported["work"] / "none", person_key="P-nobody",
                        schema="ehr__candidate")
    assert one.counts["Patient"] == 1 and one.counts["Observation"] == n_obs
    for line in (exported["work"] / "one" / "Observation.ndjson").read_text().splitlines():
        assert json.loads(line)["subject"]["reference"] == f"Patient/{person}"


def test_cli_writes_the_export(exported, tmp_path: Path, monkeypatch):
    from countyhealth.cli import main

    monkeypatch.setenv("CHW_DATABASE_URL", exported["url"])
    # the CLI reads the published schema: publish the candidate as the DAG would (last test
    # of the module: ehr__candidate is ehr afterwards)
    from countyhealth.publish import publish

    with psycopg.connect(exported["url"]) as conn:
        publish(conn, NIGHT, schemas=("ehr",))
    assert main(["export-fhir", "--all", "--out", str(tmp_path / "x")]) == 0
    assert main(["export-fhir", "--person", "P-nobody", "--out", str(tmp_path / "y")]) == 2
    written = {p.stem: len(p.read_text().splitlines())
               for p in (tmp_path / "x").glob("*.ndjson")}
    assert written == exported["result"].counts
