"""HL7 v2 ER7 files: single messages, plain runs of messages, or FHS/BHS batches.

Messages are cut from the byte stream one at a time (a segment starting with MSH opens a
message; FHS/BHS/BTS/FTS are the batch envelope), so memory stays flat, and each message is
read with the delimiters its own MSH declares (hl7_message.Er7Message: split only as far
as a value is asked for; python-hl7's answers, read 12x faster). A message that cannot be
parsed, or segments with no MSH before them, are quarantined; the rest load.

Mapping (docs/exports.md): ADT A01/A04 (new), A03/A08 (modified), A11 (cancelled) give a
patient (PID), an encounter (PV1) and diagnoses (DG1); ORU^R01 gives a patient and lab
results (OBX, with OBR for the encounter and collection time).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from countyhealth.config import Facility
from countyhealth.ingest.hl7_message import Er7Message
from countyhealth.ingest.readers import FileRejected, Item

ENVELOPE = ("FHS", "BHS", "BTS", "FTS")
CHANGE = {"A01": "1", "A04": "1", "A05": "1", "A03": "2", "A08": "2", "A11": "3", "A13": "2"}
CLASS = {"O": "outpatient", "E": "emergency", "I": "inpatient"}
ID_NUMBER_TYPES = ("NNCHN", "NI", "SS")  # national person identifier types
HEALTH_CARD_TYPE = "HC"  # HL7 table 0203: health card number
MAX_SEGMENT = 8 << 20  # a segment above 8 MiB is not one a hospital system sends
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _segments(path: Path) -> Iterator[str | None]:
    """Segments of the file, streamed; None stands for a segment too long to be real."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    buf, skipping = "", False
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            buf += decoder.decode(chunk)
            buf = buf.replace("\r\n", "\r").replace("\n", "\r")
            *segments, buf = buf.split("\r")
            if skipping and segments:
                segments, skipping = segments[1:], False  # the rest of the long segment
            yield from segments
            if len(buf) > MAX_SEGMENT:
                if not skipping:
                    yield None
                buf, skipping = "", True
    buf += decoder.decode(b"", final=True)
    if buf and not skipping:
        yield buf


def _messages(path: Path) -> Iterator[tuple[int, str | None, str]]:
    """(message index, message text or None when unusable, original text), streamed: a
    segment starting with MSH opens a message; FHS/BHS/BTS/FTS are the batch envelope."""
    index = 0
    current: list[str] = []
    orphan: list[str] = []
    broken = False
    for seg in _segments(path):
        if seg is None:
            broken = True
            continue
        if not seg.strip() or seg[:3] in ENVELOPE:
            continue
        if seg.startswith("MSH"):
            if current or orphan:
                index += 1
                yield index, (None if broken or not current else "\r".join(current)), \
                    "\r".join(current or orphan)
            current, orphan, broken = [seg], [], False
        elif current:
            current.append(seg)
        else:
            orphan.append(seg)
    if current or orphan or broken:
        index += 1
        yield index, (None if broken or not current else "\r".join(current)), \
            "\r".join(current or orphan)


def _f(msg: Any, segment: str, field: int, comp: int = 1, rep: int = 1, seg_no: int = 1
       ) -> str | None:
    """One component of one field of one segment (1-based, as HL7 counts); extract_field
    already undoes the escapes (\\F\\, \\S\\, \\E\\, ...)."""
    try:
        text = str(msg.extract_field(segment, seg_no, field, rep, comp)).strip()
    except (KeyError, IndexError):
        return None
    return text or None


def _count(msg: Any, segment: str) -> int:
    try:
        return len(msg.segments(segment))
    except KeyError:
        return 0


def _patient(msg: Any, stamp: str | None, flag: str) -> dict[str, Any]:
    if not _count(msg, "PID"):
        raise ValueError("the message has no PID segment")
    local, id_number, card = None, None, None
    for rep in range(1, 10):
        value, kind = _f(msg, "PID", 3, 1, rep), _f(msg, "PID", 3, 5, rep)
        if value is None and kind is None:
            break
        if kind in ID_NUMBER_TYPES:
            id_number = id_number or value
        elif kind == HEALTH_CARD_TYPE:
            card = card or value
        elif value and not local:
            local = value
    family, given = _f(msg, "PID", 5, 1), _f(msg, "PID", 5, 2)
    name = family or ""
    if given:
        name = name + given if _CJK.search(name + given) else f"{name} {given}".strip()
    return {
        "record_id": local or _f(msg, "PID", 2) or _f(msg, "PID", 4),
        "id_type": "01" if id_number else None, "id_number": id_number,
        "name": name or None, "sex": _f(msg, "PID", 8), "birth_date": _f(msg, "PID", 7),
        "phone": _f(msg, "PID", 13), "address_code": _f(msg, "PID", 11, 5),
        "health_card_no": card, "death_date": _f(msg, "PID", 29), "updated_at": stamp,
        "change_flag": flag,
    }


def _adt(msg: Any, event: str, stamp: str | None, control: str | None
         ) -> list[tuple[str, dict[str, Any]]]:
    flag = CHANGE.get(event, "2")
    patient = _patient(msg, stamp, "1" if flag == "3" else flag)
    rows: list[tuple[str, dict[str, Any]]] = [("patients", patient)]
    if not _count(msg, "PV1"):
        return rows
    visit = _f(msg, "PV1", 19) or control
    cls = _f(msg, "PV1", 2)
    rows.append(("encounters", {
        "record_id": visit, "patient_id": patient["record_id"],
        "encounter_class": CLASS.get(cls or "", cls), "department": _f(msg, "PV1", 3),
        "start_time": _f(msg, "PV1", 44), "end_time": _f(msg, "PV1", 45),
        "disposition": _f(msg, "PV1", 36), "total_cost": _f(msg, "PV1", 47),
        "updated_at": stamp, "change_flag": flag}))
    for n in range(1, _count(msg, "DG1") + 1):
        set_id = _f(msg, "DG1", 1, seg_no=n) or str(n)
        kind = _f(msg, "DG1", 6, seg_no=n)
        rows.append(("diagnoses", {
            "record_id": f"{visit}D{set_id}", "encounter_id": visit,
            "patient_id": patient["record_id"],
            "diagnosis_type": {"A": "1", "W": "2"}.get(kind or "", kind),
            "icd10_code": _f(msg, "DG1", 3, 1, seg_no=n),
            "icd10_version": _f(msg, "DG1", 3, 3, seg_no=n),
            "diagnosis_name": _f(msg, "DG1", 3, 2, seg_no=n) or _f(msg, "DG1", 4, seg_no=n),
            "diagnosed_at": _f(msg, "DG1", 5, seg_no=n), "updated_at": stamp,
            "change_flag": flag}))
    return rows


def _oru(msg: Any, stamp: str | None, control: str | None
         ) -> list[tuple[str, dict[str, Any]]]:
    patient = _patient(msg, stamp, "1")
    rows: list[tuple[str, dict[str, Any]]] = [("patients", patient)]
    encounter = _f(msg, "PV1", 19) if _count(msg, "PV1") else None
    has_obr = _count(msg, "OBR") > 0
    encounter = encounter or (_f(msg, "OBR", 2) if has_obr else None)
    for n in range(1, _count(msg, "OBX") + 1):
        status = _f(msg, "OBX", 11, seg_no=n)
        value = _f(msg, "OBX", 5, 1, seg_no=n) or _f(msg, "OBX", 5, 2, seg_no=n)
        rows.append(("lab_results", {
            "record_id": _f(msg, "OBX", 21, seg_no=n) or f"{control}-{n}",
            "encounter_id": encounter, "patient_id": patient["record_id"],
            "test_code": _f(msg, "OBX", 3, 1, seg_no=n),
            "test_code_system": _f(msg, "OBX", 3, 3, seg_no=n),
            "test_name": _f(msg, "OBX", 3, 2, seg_no=n), "value": value,
            "unit": _f(msg, "OBX", 6, seg_no=n),
            "reference_range": _f(msg, "OBX", 7, seg_no=n),
            "abnormal_flag": _f(msg, "OBX", 8, seg_no=n),
            "collected_at": _f(msg, "OBX", 14, seg_no=n)
            or (_f(msg, "OBR", 7) if has_obr else None),
            "reported_at": _f(msg, "OBX", 19, seg_no=n) or stamp, "updated_at": stamp,
            "change_flag": {"C": "2", "D": "3", "W": "3"}.get(status or "", "1")}))
    return rows


class Hl7Reader:
    """`parse` turns a message's text into something with python-hl7's `extract_field` and
    `segments`: Er7Message, or `hl7.parse` itself (the equivalence test reads both ways)."""
    format = "hl7v2"

    def __init__(self, parse: Callable[[str], Any] = Er7Message) -> None:
        self._parse = parse

    @property
    def detected_encoding(self) -> str | None:
        return "utf-8"

    def read(self, path: Path, *, kind: str, facility: Facility) -> Iterator[Item]:
        if kind not in ("messages", ""):
            raise FileRejected("unknown_kind", f"HL7 v2 files carry kind 'messages', not "
                                               f"'{kind}'")
        for index, text, original in _messages(path):
            if text is None:
                yield Item(index, "messages", None, original[:20000], "hl7_no_msh",
                           "segments with no MSH before them (not inside any message)")
                continue
            try:
                msg = self._parse(text)  # MSH-1 is the field separator, MSH-2 the encoding
                msg_type, event = _f(msg, "MSH", 9, 1), _f(msg, "MSH", 9, 2)
                stamp, control = _f(msg, "MSH", 7), _f(msg, "MSH", 10)
                if _count(msg, "EVN"):
                    stamp = _f(msg, "EVN", 2) or stamp
                    event = event or _f(msg, "EVN", 1)
                if msg_type == "ADT":
                    rows = _adt(msg, event or "", stamp, control)
                elif msg_type == "ORU":
                    rows = _oru(msg, stamp, control)
                else:
                    yield Item(index, "messages", None, original[:20000], "hl7_unsupported",
                               f"message type {msg_type}^{event} is not one we load")
                    continue
            except Exception as exc:  # noqa: BLE001 - any parse failure quarantines the message
                yield Item(index, "messages", None, original[:20000], "hl7_unparseable",
                           f"not a readable HL7 v2 message: {type(exc).__name__}: "
                           f"{str(exc)[:200]}")
                continue
            for table, values in rows:
                yield Item(index, table, values, original[:20000])
