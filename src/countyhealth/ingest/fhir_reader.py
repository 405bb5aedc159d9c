"""FHIR R4 files: NDJSON (one resource a line) or a Bundle, validated with fhir.resources'
R4B models (R4; the package's default models are R5).

Patient, Encounter, Condition, Observation, MedicationRequest and ServiceRequest map to
the canonical tables; anything else, or a resource that does not validate, is quarantined
with the validator's words. NDJSON streams line by line; a Bundle is one JSON document and is
read whole (bounded by MAX_BUNDLE). Times are turned into the county's local time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from countyhealth.config import Facility
from countyhealth.ingest.readers import FileRejected, Item
from countyhealth.ingest.rows import parse_when

ID_CARD_SYSTEMS = ("urn:oid:2.16.156.10011.1.3",)
HEALTH_CARD_SYSTEMS = ("urn:chw:id:ehealth-card",)  # docs/exports.md
MAX_LINE = 16 << 20  # one resource above 16 MiB is not a resource
MAX_BUNDLE = 512 << 20
SUPPORTED = ("Patient", "Encounter", "Condition", "Observation", "MedicationRequest",
             "ServiceRequest")


def local_time(value: Any) -> str | None:
    """FHIR date/dateTime/instant -> local 'YYYY-MM-DD[ HH:MM:SS]' (unparseable: as sent)."""
    if not value or not isinstance(value, str):
        return None
    if len(value) <= 10:
        return value
    moment = parse_when(value)
    return moment.isoformat(sep=" ") if moment else value


def _ref(value: Any) -> str | None:
    """'Patient/abc' -> 'abc'; an identifier-only reference -> its value."""
    if not isinstance(value, dict):
        return None
    ref = value.get("reference")
    if isinstance(ref, str) and ref:
        return ref.rsplit("/", 1)[-1]
    ident = value.get("identifier")
    return ident.get("value") if isinstance(ident, dict) else None


def _coding(concept: Any) -> dict[str, Any]:
    if isinstance(concept, dict):
        codings = concept.get("coding") or []
        if codings and isinstance(codings[0], dict):
            return {**codings[0], "text": concept.get("text")}
        return {"text": concept.get("text")}
    return {}


def _flag(res: dict[str, Any]) -> str:
    for tag in (res.get("meta") or {}).get("tag") or []:
        if isinstance(tag, dict) and tag.get("system") == "urn:chw:change-flag":
            return str(tag.get("code"))
    return "3" if res.get("status") == "entered-in-error" else "1"


def _updated(res: dict[str, Any], fallback: str) -> str:
    """meta.lastUpdated; resources without it count as changed on the export night."""
    return local_time((res.get("meta") or {}).get("lastUpdated")) or fallback


def _patient(res: dict[str, Any], facility: Facility, stamp: str) -> tuple[str, dict]:
    local, id_number, card = res.get("id"), None, None
    for ident in res.get("identifier") or []:
        system, value = ident.get("system"), ident.get("value")
        kind = _coding(ident.get("type")).get("code")
        if system in ID_CARD_SYSTEMS or kind == "NNCHN":
            id_number = id_number or value
        elif system in HEALTH_CARD_SYSTEMS or kind == "HC":
            card = card or value
    names = res.get("name") or [{}]
    name = names[0].get("text") or " ".join(
        [*(names[0].get("given") or []), names[0].get("family") or ""]).strip()
    phone = next((t.get("value") for t in res.get("telecom") or []
                  if t.get("system") == "phone"), None)
    address = (res.get("address") or [{}])[0]
    return "patients", {
        "record_id": local, "id_type": "01" if id_number else None, "id_number": id_number,
        "name": name or None, "sex": res.get("gender"), "birth_date": res.get("birthDate"),
        "phone": phone, "address_code": address.get("district") or address.get("postalCode"),
        "health_card_no": card, "death_date": local_time(res.get("deceasedDateTime")),
        "updated_at": _updated(res, stamp), "change_flag": _flag(res)}


def _encounter(res: dict[str, Any], stamp: str) -> tuple[str, dict]:
    period = res.get("period") or {}
    cls = res.get("class") or {}
    cost = next((e.get("valueDecimal") for e in res.get("extension") or []
                 if e.get("url") == "urn:chw:total-cost"), None)
    service = res.get("serviceType") or (res.get("type") or [{}])[0]
    return "encounters", {
        "record_id": res.get("id"), "patient_id": _ref(res.get("subject")),
        "encounter_class": cls.get("code"), "department": _coding(service).get("text")
        or _coding(service).get("display"),
        "start_time": local_time(period.get("start")), "end_time": local_time(period.get("end")),
        "disposition": _coding((res.get("hospitalization") or {})
                               .get("dischargeDisposition")).get("code"),
        "total_cost": None if cost is None else str(cost),
        "updated_at": _updated(res, stamp), "change_flag": _flag(res)}


def _condition(res: dict[str, Any], stamp: str) -> tuple[str, dict]:
    code = _coding(res.get("code"))
    category = _coding((res.get("category") or [{}])[0])
    return "diagnoses", {
        "record_id": res.get("id"), "encounter_id": _ref(res.get("encounter")),
        "patient_id": _ref(res.get("subject")), "diagnosis_type": category.get("code"),
        "icd10_code": code.get("code"), "icd10_version": code.get("system"),
        "diagnosis_name": code.get("display") or code.get("text"),
        "diagnosed_at": local_time(res.get("recordedDate") or res.get("onsetDateTime")),
        "updated_at": _updated(res, stamp), "change_flag": _flag(res)}


def _observation(res: dict[str, Any], stamp: str) -> tuple[str, dict]:
    code = _coding(res.get("code"))
    qty = res.get("valueQuantity") or {}
    value = qty.get("value", res.get("valueString"))
    ref = (res.get("referenceRange") or [{}])[0]
    low, high = (ref.get("low") or {}).get("value"), (ref.get("high") or {}).get("value")
    return "lab_results", {
        "record_id": res.get("id"), "encounter_id": _ref(res.get("encounter")),
        "patient_id": _ref(res.get("subject")), "test_code": code.get("code"),
        "test_code_system": code.get("system"),
        "test_name": code.get("display") or code.get("text"),
        "value": None if value is None else str(value), "unit": qty.get("unit"),
        "reference_range": f"{low}-{high}" if low is not None or high is not None
        else ref.get("text"),
        "abnormal_flag": _coding((res.get("interpretation") or [{}])[0]).get("code"),
        "collected_at": local_time(res.get("effectiveDateTime")),
        "reported_at": local_time(res.get("issued")),
        "updated_at": _updated(res, stamp), "change_flag": _flag(res)}


def _components(res: dict[str, Any], row: dict[str, Any]) -> list[dict[str, Any]]:
    """A panel's components (blood pressure: systolic and diastolic) as results of their own,
    keyed '<id>#<code>', sharing the panel's patient, encounter, times and change flag: the
    values a panel carries are not lost because the panel itself has none."""
    out = []
    for comp in res.get("component") or []:
        code = _coding(comp.get("code")) if isinstance(comp, dict) else {}
        if not code.get("code"):
            continue
        qty = comp.get("valueQuantity") or {}
        value = qty.get("value", comp.get("valueString"))
        out.append({**row, "record_id": f"{row['record_id']}#{code['code']}",
                    "test_code": code["code"], "test_code_system": code.get("system"),
                    "test_name": code.get("display") or code.get("text"),
                    "value": None if value is None else str(value), "unit": qty.get("unit"),
                    "reference_range": None,
                    "abnormal_flag": _coding((comp.get("interpretation") or [{}])[0]).get(
                        "code")})
    return out


def _medication(res: dict[str, Any], stamp: str) -> tuple[str, dict]:
    med = _coding(res.get("medicationCodeableConcept"))
    dosage = (res.get("dosageInstruction") or [{}])[0]
    supply = (res.get("dispenseRequest") or {})
    return "prescriptions", {
        "record_id": res.get("id"), "encounter_id": _ref(res.get("encounter")),
        "patient_id": _ref(res.get("subject")),
        "drug_code": med.get("code") or _ref(res.get("medicationReference")),
        "drug_code_system": med.get("system"),
        "drug_name": med.get("display") or med.get("text"), "dose": dosage.get("text"),
        "frequency": None,
        "days_supply": (supply.get("expectedSupplyDuration") or {}).get("value"),
        "quantity": (supply.get("quantity") or {}).get("value"),
        "prescribed_at": local_time(res.get("authoredOn")),
        "updated_at": _updated(res, stamp), "change_flag": _flag(res)}


def _service_request(res: dict[str, Any], stamp: str) -> tuple[str, dict]:
    performer = (res.get("performer") or [{}])[0]
    return "referrals", {
        "record_id": res.get("id"), "patient_id": _ref(res.get("subject")),
        "from_facility": _ref(res.get("requester")), "to_facility": _ref(performer),
        "direction": _coding((res.get("category") or [{}])[0]).get("code"),
        "reason_code": _coding((res.get("reasonCode") or [{}])[0]).get("code"),
        "referred_at": local_time(res.get("authoredOn")),
        "updated_at": _updated(res, stamp), "change_flag": _flag(res)}


MAPPERS = {"Encounter": _encounter, "Condition": _condition, "Observation": _observation,
           "MedicationRequest": _medication, "ServiceRequest": _service_request}


def _validate(res: dict[str, Any]) -> str | None:
    """None when the resource is valid FHIR R4, else the validator's first words."""
    from fhir.resources.R4B import get_fhir_model_class

    try:
        get_fhir_model_class(res["resourceType"]).model_validate(res)
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError and lookup errors
        return " ".join(str(exc).split())[:300]
    return None


class FhirReader:
    format = "fhir-r4"

    @property
    def detected_encoding(self) -> str | None:
        return "utf-8"

    def _resources(self, path: Path, kind: str) -> Iterator[tuple[int, Any, str, str | None]]:
        """(position, resource or None, original, error)."""
        if path.suffix == ".ndjson" or kind == "resources":
            with path.open("rb") as fh:
                for n, raw in enumerate(iter(lambda: fh.readline(MAX_LINE + 1), b""), 1):
                    if len(raw) > MAX_LINE:
                        while raw and not raw.endswith(b"\n"):
                            raw = fh.readline(MAX_LINE + 1)
                        yield n, None, "", "line longer than 16 MiB"
                        continue
                    text = raw.decode("utf-8", errors="replace")
                    try:
                        yield n, json.loads(text), text, None
                    except (ValueError, RecursionError) as exc:
                        yield n, None, text[:20000], f"not JSON: {str(exc)[:200]}"
            return
        if path.stat().st_size > MAX_BUNDLE:
            raise FileRejected("too_large", "a Bundle over 512 MiB: send NDJSON instead")
        try:
            doc = json.loads(path.read_bytes().decode("utf-8", errors="replace"))
        except (ValueError, RecursionError) as exc:
            raise FileRejected("bad_json", f"the Bundle is not JSON: {str(exc)[:200]}") from exc
        if not isinstance(doc, dict) or doc.get("resourceType") != "Bundle":
            if isinstance(doc, dict) and doc.get("resourceType"):
                yield 1, doc, json.dumps(doc, ensure_ascii=False)[:20000], None
                return
            raise FileRejected("not_a_bundle", "the file is neither a Bundle nor a resource")
        for n, entry in enumerate(doc.get("entry") or [], 1):
            res = entry.get("resource") if isinstance(entry, dict) else None
            original = json.dumps(entry, ensure_ascii=False)[:20000]
            yield n, res, original, None if isinstance(res, dict) else "entry without resource"

    def read(self, path: Path, *, kind: str, facility: Facility) -> Iterator[Item]:
        # resources without meta.lastUpdated count as changed on the export night, which the
        # delivery folder (landing/<facility>/<YYYY-MM-DD>/) names
        night = path.parent.name
        stamp = f"{night} 00:00:00" if len(night) == 10 else "1970-01-01 00:00:00"
        for position, res, original, error in self._resources(path, kind):
            if error or not isinstance(res, dict):
                yield Item(position, "resources", None, original, "fhir_unreadable",
                           error or "not a JSON object")
                continue
            rtype = res.get("resourceType")
            if rtype not in SUPPORTED:
                yield Item(position, "resources", None, original, "fhir_unsupported",
                           f"resource type {rtype!r} is not one we load")
                continue
            invalid = _validate(res)
            if invalid:
                yield Item(position, "resources", None, original, "fhir_invalid",
                           f"{rtype} is not valid FHIR R4: {invalid}")
                continue
            try:
                table, values = (_patient(res, facility, stamp) if rtype == "Patient"
                                 else MAPPERS[rtype](res, stamp))
            except (AttributeError, TypeError, IndexError) as exc:
                yield Item(position, "resources", None, original, "fhir_unmappable",
                           f"{rtype} has a shape we cannot map: {exc}")
                continue
            yield Item(position, table, values, original)
            if rtype == "Observation" and values.get("record_id"):
                for component in _components(res, values):
                    yield Item(position, table, component, original)
