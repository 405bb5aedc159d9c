"""FHIR R4 resources as a hospital's FHIR facade exports them: NDJSON (one resource a line)
or a collection Bundle. Patient, Encounter, Condition, Observation, MedicationRequest and
ServiceRequest (referrals). Cancelled encounters are sent with status entered-in-error.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from countyhealth.synth.county import SynthFacility
from countyhealth.synth.exports import FileOut

# Identifier systems (documented in docs/synthetic.md and docs/exports.md)
ID_CARD_SYSTEM = "urn:oid:2.16.156.10011.1.3"  # resident ID card number
LOCAL_PATIENT_SYSTEM = "urn:chw:facility:{code}:patient"
HEALTH_CARD_SYSTEM = "urn:chw:id:ehealth-card"  # the resident electronic health card
ICD10_CLINICAL_SYSTEM = "urn:chw:icd-10-cn:clinical-2.0"
LOCAL_LAB_SYSTEM = "urn:chw:facility:{code}:lab"
DRUG_SYSTEM = "urn:chw:nhsa:drug"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLASS = {"outpatient": ("AMB", "ambulatory"), "emergency": ("EMER", "emergency"),
         "inpatient": ("IMP", "inpatient encounter")}


def instant(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.replace(" ", "T")  # a defect: sent as the source had it
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return value.isoformat()


def _meta(row: dict[str, Any]) -> dict[str, Any]:
    return {"lastUpdated": instant(row["updated_at"]),
            "tag": [{"system": "urn:chw:change-flag", "code": row["change_flag"]}]}


def patient(f: SynthFacility, p: dict[str, Any]) -> dict[str, Any]:
    ids = [{"system": LOCAL_PATIENT_SYSTEM.format(code=f.code), "value": p["record_id"]}]
    if p.get("id_number"):
        ids.append({"system": ID_CARD_SYSTEM, "value": p["id_number"]})
    if p.get("health_card_no"):
        ids.append({"system": HEALTH_CARD_SYSTEM, "value": p["health_card_no"]})
    res: dict[str, Any] = {
        "resourceType": "Patient", "id": p["record_id"], "meta": _meta(p), "identifier": ids,
        "name": [{"text": p["name"]}],
        "gender": {"1": "male", "2": "female"}.get(p.get("sex") or "", "unknown"),
        "birthDate": instant(p.get("birth_date")),
        "telecom": [{"system": "phone", "value": p["phone"]}] if p.get("phone") else [],
        "address": [{"district": p.get("address_code")}],
    }
    if p.get("death_date"):
        res["deceasedDateTime"] = instant(p["death_date"])
    return res


def encounter(f: SynthFacility, e: dict[str, Any]) -> dict[str, Any]:
    code, display = CLASS.get(e["encounter_class"], (e["encounter_class"], ""))
    status = "entered-in-error" if e["change_flag"] == "3" else (
        "finished" if e["encounter_class"] != "inpatient" or e.get("end_time") else "in-progress")
    res: dict[str, Any] = {
        "resourceType": "Encounter", "id": e["record_id"], "meta": _meta(e), "status": status,
        "class": {"system": ACT_CODE, "code": code, "display": display},
        "subject": {"reference": f"Patient/{e['patient_id']}"},
        "serviceType": {"text": e.get("department")},
        "period": {k: v for k, v in (("start", instant(e["start_time"])),
                                     ("end", instant(e.get("end_time")))) if v},
        "serviceProvider": {"identifier": {"value": f.code}, "display": f.name},
        "extension": [{"url": "urn:chw:total-cost", "valueDecimal": e.get("total_cost")}],
    }
    if e.get("disposition"):
        res["hospitalization"] = {"dischargeDisposition": {"coding": [
            {"system": "urn:chw:lyfs", "code": e["disposition"]}]}}
    return res


def condition(d: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Condition", "id": d["record_id"], "meta": _meta(d),
        "code": {"coding": [{"system": ICD10_CLINICAL_SYSTEM, "code": d["icd10_code"],
                             "display": d["diagnosis_name"]}]},
        "category": [{"coding": [{"system": "urn:chw:diagnosis-type",
                                  "code": d["diagnosis_type"]}]}],
        "subject": {"reference": f"Patient/{d['patient_id']}"},
        "encounter": {"reference": f"Encounter/{d['encounter_id']}"},
        "recordedDate": instant(d["diagnosed_at"]),
    }


def observation(f: SynthFacility, r: dict[str, Any]) -> dict[str, Any]:
    low, _, high = r["reference_range"].partition("-")
    return {
        "resourceType": "Observation", "id": r["record_id"], "meta": _meta(r),
        "status": "final",
        "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                  "observation-category", "code": "laboratory"}]}],
        "code": {"coding": [{"system": LOCAL_LAB_SYSTEM.format(code=f.code),
                             "code": r["test_code"], "display": r["test_name"]}]},
        "subject": {"reference": f"Patient/{r['patient_id']}"},
        "encounter": {"reference": f"Encounter/{r['encounter_id']}"},
        "effectiveDateTime": instant(r["collected_at"]),
        "issued": instant(r["reported_at"]),
        "valueQuantity": {"value": r["value"], "unit": r["unit"]},
        "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/"
                                        "v3-ObservationInterpretation",
                                        "code": r["abnormal_flag"]}]}],
        "referenceRange": [{"low": {"value": float(low), "unit": r["unit"]},
                            "high": {"value": float(high), "unit": r["unit"]}}],
    }


def medication_request(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "MedicationRequest", "id": p["record_id"], "meta": _meta(p),
        "status": "active", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": DRUG_SYSTEM, "code": p["drug_code"],
                                                  "display": p["drug_name"]}]},
        "subject": {"reference": f"Patient/{p['patient_id']}"},
        "encounter": {"reference": f"Encounter/{p['encounter_id']}"},
        "authoredOn": instant(p["prescribed_at"]),
        "dosageInstruction": [{"text": f"{p['dose']} {p['frequency']}"}],
        "dispenseRequest": {"quantity": {"value": p["quantity"]},
                            "expectedSupplyDuration": {"value": p["days_supply"],
                                                       "unit": "d"}},
    }


def service_request(r: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest", "id": r["record_id"], "meta": _meta(r),
        "status": "active", "intent": "order",
        "category": [{"coding": [{"system": "urn:chw:referral-direction",
                                  "code": r["direction"]}]}],
        "code": {"text": "referral"},
        "subject": {"reference": f"Patient/{r['patient_id']}"},
        "authoredOn": instant(r["referred_at"]),
        "requester": {"identifier": {"value": r["from_facility"]}},
        "performer": [{"identifier": {"value": r["to_facility"]}}],
        "reasonCode": [{"coding": [{"system": ICD10_CLINICAL_SYSTEM,
                                    "code": r["reason_code"]}]}],
    }


def resources(f: SynthFacility, tables: dict[str, list[dict[str, Any]]]) -> list[dict]:
    out = [patient(f, p) for p in tables.get("patients", [])]
    out += [encounter(f, e) for e in tables.get("encounters", [])]
    out += [condition(d) for d in tables.get("diagnoses", [])]
    out += [observation(f, r) for r in tables.get("lab_results", [])]
    out += [medication_request(p) for p in tables.get("prescriptions", [])]
    out += [service_request(r) for r in tables.get("referrals", [])]
    return out


def ndjson(f: SynthFacility, tables: dict[str, list[dict[str, Any]]]) -> FileOut:
    items = resources(f, tables)
    text = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n"
                   for r in items)
    return FileOut("resources.ndjson", "fhir-r4", "resources", text.encode("utf-8"), len(items))


def bundle(f: SynthFacility, night: dt.date, tables: dict[str, list[dict[str, Any]]]) -> FileOut:
    items = resources(f, tables)
    doc = {"resourceType": "Bundle", "id": f"{f.code}-{night.isoformat()}", "type": "collection",
           "timestamp": f"{night.isoformat()}T23:30:00+08:00",
           "entry": [{"fullUrl": f"urn:chw:{f.code}:{r['resourceType']}/{r['id']}",
                      "resource": r} for r in items]}
    return FileOut("bundle.json", "fhir-r4", "bundle",
                   json.dumps(doc, ensure_ascii=False).encode("utf-8"), len(items))
