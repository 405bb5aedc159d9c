"""HL7 v2.5 ER7 messages as a county hospital's interface engine sends them.

ADT: A04 (outpatient/emergency registration), A01 (admission), A03 (discharge), A08
(update: a correction), A11 (cancel a visit). ORU^R01 for lab results. The ADT file is one
FHS/BHS batch; the ORU file holds plain messages one after another. Segments end in CR.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from countyhealth.synth.county import SynthFacility
from countyhealth.synth.exports import FileOut

ID_CARD_TYPE = "NNCHN"  # HL7 identifier type for a national person identifier (China)
HEALTH_CARD_TYPE = "HC"  # HL7 table 0203: health card number (the electronic health card)
CLASS = {"outpatient": "O", "emergency": "E", "inpatient": "I"}


def escape(value: Any) -> str:
    """HL7 escaping of the delimiters inside a field value."""
    text = "" if value is None else str(value)
    return (text.replace("\\", "\\E\\").replace("|", "\\F\\").replace("^", "\\S\\")
            .replace("~", "\\R\\").replace("&", "\\T\\").replace("\r", " ").replace("\n", " "))


def ts(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return escape(value)  # a defect: sent as the source system had it
    if isinstance(value, dt.datetime):
        return value.strftime("%Y%m%d%H%M%S")
    return value.strftime("%Y%m%d")


def _seg(*fields: str) -> str:
    return "|".join(fields)


def _msh(f: SynthFacility, when: dt.datetime, msg_type: str, control: str) -> str:
    return _seg("MSH", "^~\\&", "HIS", f.code, "CHW", "370322", when.strftime("%Y%m%d%H%M%S"),
                "", msg_type, control, "P", "2.5", "", "", "", "", "CHN", "UNICODE UTF-8")


def _pid(p: dict[str, Any]) -> str:
    ids = f"{escape(p['record_id'])}^^^{escape(p['_facility'])}^PI"
    if p.get("id_number"):
        ids += f"~{escape(p['id_number'])}^^^CHN^{ID_CARD_TYPE}"
    if p.get("health_card_no"):
        ids += f"~{escape(p['health_card_no'])}^^^CHN^{HEALTH_CARD_TYPE}"
    sex = {"1": "M", "2": "F"}.get(p.get("sex") or "", escape(p.get("sex") or "U"))
    return _seg("PID", "1", "", ids, "", escape(p.get("name")), "", ts(p.get("birth_date")),
                sex, "", "", f"^^^^{escape(p.get('address_code'))}", "",
                escape(p.get("phone")), "", "", "", "", "", "", "", "", "", "", "", "", "",
                "", "", ts(p.get("death_date")), "Y" if p.get("death_date") else "")


def _pv1(e: dict[str, Any]) -> str:
    fields = ["PV1", "1", CLASS.get(e["encounter_class"], escape(e["encounter_class"])),
              f"{escape(e.get('department'))}^^^", "", "", "", "", "", "", "", "", "", "", "",
              "", "", "", "", escape(e["record_id"]), "", "", "", "", "", "", "", "", "", "", "",
              "", "", "", "", "", escape(e.get("disposition")), "", "", "", "", "", "", "",
              ts(e.get("start_time")), ts(e.get("end_time")), "",
              f"{e.get('total_cost') or ''}"]  # PV1-44 admit, PV1-45 discharge, PV1-47 charges
    return _seg(*fields)


def _dg1(i: int, d: dict[str, Any]) -> str:
    return _seg("DG1", str(i), "", f"{escape(d['icd10_code'])}^{escape(d['diagnosis_name'])}"
                "^ICD10-CN-CLINICAL-2.0", "", ts(d.get("diagnosed_at")),
                "A" if d.get("diagnosis_type") == "1" else "W")


def _event(e: dict[str, Any]) -> str:
    if e["change_flag"] == "3":
        return "A11"
    if e["change_flag"] == "2":
        return "A03" if e.get("end_time") and e["encounter_class"] == "inpatient" else "A08"
    return "A01" if e["encounter_class"] == "inpatient" else "A04"


def adt_batch(f: SynthFacility, night: dt.date, encounters: list[dict[str, Any]],
              patients: dict[str, dict[str, Any]], diagnoses: list[dict[str, Any]]) -> FileOut:
    dx_by_enc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for d in diagnoses:
        dx_by_enc[d["encounter_id"]].append(d)
    stamp = dt.datetime.combine(night, dt.time(23, 30))
    messages = []
    for n, e in enumerate(encounters, start=1):
        event = _event(e)
        when = e["updated_at"]
        segs = [_msh(f, when, f"ADT^{event}^ADT_A01", f"{f.code}{night:%Y%m%d}A{n:06d}"),
                _seg("EVN", event, ts(when)), _pid(patients[e["patient_id"]]), _pv1(e)]
        if event in ("A01", "A04"):
            segs += [_dg1(i, d) for i, d in enumerate(dx_by_enc.get(e["record_id"], []), 1)]
        messages.append("\r".join(segs) + "\r")
    head = [_seg("FHS", "^~\\&", "HIS", f.code, "CHW", "370322", stamp.strftime("%Y%m%d%H%M%S")),
            _seg("BHS", "^~\\&", "HIS", f.code, "CHW", "370322", stamp.strftime("%Y%m%d%H%M%S"))]
    tail = [_seg("BTS", str(len(messages))), _seg("FTS", "1")]
    text = "\r".join(head) + "\r" + "".join(messages) + "\r".join(tail) + "\r"
    return FileOut("adt.hl7", "hl7v2", "messages", text.encode("utf-8"), len(messages))


def oru_messages(f: SynthFacility, night: dt.date, labs: list[dict[str, Any]],
                 patients: dict[str, dict[str, Any]]) -> FileOut:
    by_enc: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for lab in labs:
        by_enc[lab["encounter_id"]].append(lab)
    messages = []
    for n, (enc_id, results) in enumerate(by_enc.items(), start=1):
        first = results[0]
        segs = [_msh(f, first["reported_at"], "ORU^R01^ORU_R01",
                     f"{f.code}{night:%Y%m%d}R{n:06d}"),
                _pid(patients[first["patient_id"]]),
                _seg("PV1", "1", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "",
                     "", escape(enc_id)),
                _seg("OBR", "1", escape(enc_id), escape(first["record_id"]), "LAB^检验", "", "",
                     ts(first["collected_at"]))]
        for i, r in enumerate(results, start=1):
            segs.append(_seg("OBX", str(i), "NM",
                             f"{escape(r['test_code'])}^{escape(r['test_name'])}^L", "",
                             escape(r["value"]), escape(r["unit"]),
                             escape(r["reference_range"]), escape(r["abnormal_flag"]), "", "",
                             "F", "", "", ts(r["collected_at"]), "", "", "",
                             ts(r["reported_at"]), "", "", "", escape(r["record_id"])))
        messages.append("\r".join(segs) + "\r")
    return FileOut("oru.hl7", "hl7v2", "messages", "\n".join(messages).encode("utf-8"),
                   len(messages))
