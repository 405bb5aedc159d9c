"""One published `ehr` row -> one FHIR R4 resource (plain dicts, JSON-ready).

Pure functions, one per `ehr` table, so each mapping can be read and tested on its own. The
resources are pseudonymous like `ehr` itself: a Patient is its person key, sex, birth and
death dates and township, never a name, ID number or phone. `ehr` keeps local time without
a zone; FHIR wants an offset when a time is given, so times are placed in the county's zone.
Codes keep the system they were sent in (`code_system` columns), so what came in as LOINC or
SNOMED goes out as LOINC or SNOMED.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

Row = Mapping[str, Any]
Resource = dict[str, Any]

PERSON_SYSTEM = "urn:chw:person"
FACILITY_SYSTEM = "urn:chw:facility"
LOINC = "http://loinc.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
DISPOSITION_SYSTEM = "urn:chw:lyfs"  # WS 445 discharge disposition (离院方式)
REFERRAL_DIRECTION_SYSTEM = "urn:chw:referral-direction"
REFERRAL_CATEGORY = {"system": "http://snomed.info/sct", "code": "3457005",
                     "display": "Patient referral"}
GENDER = {"1": "male", "2": "female", "0": "unknown", "9": "unknown"}  # GB/T 2261.1
INTERPRETATIONS = {"H", "L", "N", "A", "HH", "LL", "AA"}


def _when(value: dt.datetime | dt.date | None, zone: ZoneInfo) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=zone).isoformat() if value.tzinfo is None \
            else value.isoformat()
    return value.isoformat()


def _number(value: Decimal | float | int) -> int | float:
    return int(value) if value == int(value) else float(value)


def _patient_ref(row: Row) -> dict[str, str]:
    return {"reference": f"Patient/{row['person_key']}"}


def _encounter_ref(row: Row) -> dict[str, str] | None:
    return {"reference": f"Encounter/{row['encounter_key']}"} if row["encounter_key"] else None


def _facility(code: str | None) -> dict[str, Any] | None:
    return {"identifier": {"system": FACILITY_SYSTEM, "value": code}} if code else None


def _drop_empty(resource: Resource) -> Resource:
    """FHIR forbids empty elements: leave out what is None, empty or all-empty."""
    out: Resource = {}
    for key, value in resource.items():
        if isinstance(value, dict):
            value = _drop_empty(value)
        elif isinstance(value, list):
            value = [_drop_empty(v) if isinstance(v, dict) else v for v in value]
            value = [v for v in value if v not in (None, {}, "")]
        if value not in (None, {}, [], ""):
            out[key] = value
    return out


def patient(row: Row, zone: ZoneInfo) -> Resource:
    return _drop_empty({
        "resourceType": "Patient", "id": row["person_key"],
        "identifier": [{"system": PERSON_SYSTEM, "value": row["person_key"]}],
        "gender": GENDER.get(row["sex_code"] or "0", "unknown"),
        "birthDate": _when(row["birth_date"], zone),
        "deceasedDateTime": _when(row["death_date"], zone),
        "address": [{"district": row["township_code"]}],
    })


def encounter(row: Row, zone: ZoneInfo) -> Resource:
    code = row["fhir_class_code"]
    klass = {"system": ACT_CODE, "code": code} if code in ("AMB", "EMER", "IMP") \
        else {"system": NULL_FLAVOR, "code": "UNK"}
    finished = row["end_time"] is not None or row["is_visit"]
    disposition = row["disposition"]
    return _drop_empty({
        "resourceType": "Encounter", "id": row["encounter_key"],
        "status": "finished" if finished else "in-progress",
        "class": klass,
        "serviceType": {"text": row["department"]},
        "subject": _patient_ref(row),
        "period": {"start": _when(row["start_time"], zone),
                   "end": _when(row["end_time"], zone)},
        "hospitalization": {"dischargeDisposition": {"coding": [
            {"system": DISPOSITION_SYSTEM, "code": disposition}]}} if disposition else None,
        "serviceProvider": _facility(row["facility_code"]),
    })


def condition(row: Row, zone: ZoneInfo) -> Resource:
    return _drop_empty({
        "resourceType": "Condition", "id": row["condition_key"],
        "category": [{"coding": [{"system": CONDITION_CATEGORY,
                                  "code": "encounter-diagnosis"}]}],
        "code": {"coding": [{"system": row["code_system"], "code": row["code"],
                             "display": row["display"]}], "text": row["display"]},
        "subject": _patient_ref(row),
        "encounter": _encounter_ref(row),
        "recordedDate": _when(row["recorded_at"], zone),
    })


def observation(row: Row, zone: ZoneInfo) -> Resource:
    codings = [{"system": row["code_system"], "code": row["local_code"],
                "display": row["display"]}]
    if row["loinc_code"] and (row["code_system"], row["local_code"]) != (LOINC,
                                                                         row["loinc_code"]):
        codings.insert(0, {"system": LOINC, "code": row["loinc_code"]})
    if row["value_numeric"] is not None:
        value: Resource = {"valueQuantity": {"value": _number(row["value_numeric"]),
                                             "unit": row["unit"]}}
    else:
        value = {"valueString": row["value_text"]}
    flag = row["abnormal_flag"]
    return _drop_empty({
        "resourceType": "Observation", "id": row["observation_key"], "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": row["category"]}]}],
        "code": {"coding": codings, "text": row["display"]},
        "subject": _patient_ref(row),
        "encounter": _encounter_ref(row),
        "effectiveDateTime": _when(row["effective_at"], zone),
        **value,
        "interpretation": [{"coding": [{"system": INTERPRETATION, "code": flag}]}]
        if flag in INTERPRETATIONS else None,
    })


def medication_request(row: Row, zone: ZoneInfo) -> Resource:
    supply = row["days_supply"]
    quantity = row["quantity"]
    return _drop_empty({
        "resourceType": "MedicationRequest", "id": row["medication_request_key"],
        "status": "active", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": row["code_system"],
                                                  "code": row["drug_code"],
                                                  "display": row["display"]}],
                                      "text": row["display"]},
        "subject": _patient_ref(row),
        "encounter": _encounter_ref(row),
        "authoredOn": _when(row["authored_at"], zone),
        "dosageInstruction": [{"text": " ".join(
            p for p in (row["dose"], row["frequency"]) if p)}],
        "dispenseRequest": {
            "quantity": {"value": _number(quantity)} if quantity is not None else None,
            "expectedSupplyDuration": {"value": _number(supply), "unit": "d",
                                       "system": "http://unitsofmeasure.org", "code": "d"}
            if supply is not None else None},
    })


def referral(row: Row, zone: ZoneInfo) -> Resource:
    return _drop_empty({
        "resourceType": "ServiceRequest", "id": row["referral_key"],
        "status": "active", "intent": "order",
        "category": [{"coding": [REFERRAL_CATEGORY]},
                     {"coding": [{"system": REFERRAL_DIRECTION_SYSTEM,
                                  "code": row["direction"]}]}],
        "subject": _patient_ref(row),
        "authoredOn": _when(row["referred_at"], zone),
        "requester": _facility(row["from_facility_code"]),
        "performer": [_facility(row["to_facility_code"])],
        "reasonCode": [{"coding": [{"code": row["reason_code"]}]}]
        if row["reason_code"] else None,
    })


# ehr table -> (FHIR resource type, key column, mapping)
MAPPINGS: dict[str, tuple[str, str, Callable[[Row, ZoneInfo], Resource]]] = {
    "patient": ("Patient", "person_key", patient),
    "encounter": ("Encounter", "encounter_key", encounter),
    "condition": ("Condition", "condition_key", condition),
    "observation": ("Observation", "observation_key", observation),
    "medication_request": ("MedicationRequest", "medication_request_key",
                           medication_request),
    "referral": ("ServiceRequest", "referral_key", referral),
}
