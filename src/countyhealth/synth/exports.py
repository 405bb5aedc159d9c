"""Writes one facility-night the way that facility writes it, data files first and
`manifest.json` last (its presence means the delivery is complete).

CSV facilities: their own headers, encoding and date spelling. HL7 v2 and FHIR facilities:
see hl7.py and fhir.py; their prescriptions and referrals come as pinyin CSV beside them, as
hospital information systems commonly export those tables separately.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from countyhealth.ingest.tables import TABLES
from countyhealth.synth.county import CHINESE, PINYIN, SynthFacility

SEX = {"pinyin": {"1": "1", "2": "2"}, "chinese": {"1": "男", "2": "女"},
       "canonical": {"1": "M", "2": "F"}}
CLASS_ZH = {"outpatient": "门诊", "emergency": "急诊", "inpatient": "住院"}


@dataclass
class FileOut:
    name: str
    format: str
    kind: str
    data: bytes
    records: int
    encoding: str | None = None


def when(style: str, t: Any) -> str:
    """A date or time as this style of export spells it (strings pass through: defects)."""
    if t is None:
        return "-" if style == "pinyin" else ""
    if isinstance(t, str):
        return t
    if isinstance(t, dt.datetime):
        if style == "pinyin":
            return t.strftime("%Y-%m-%d %H:%M:%S")
        if style == "chinese":
            return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"
        return t.strftime("%Y%m%d%H%M%S")
    if isinstance(t, dt.date):
        if style == "chinese":
            return f"{t.year}年{t.month}月{t.day}日"
        return t.strftime("%Y%m%d") if style == "canonical" else t.isoformat()
    return str(t)


def _cell(style: str, column: str, value: Any) -> str:
    if type(value) is str:  # the common case first: most cells are text already
        if column == "sex":
            return SEX[style].get(value, value)
        if column == "encounter_class" and style == "chinese":
            return CLASS_ZH.get(value, value)
        return value
    if isinstance(value, float):
        return f"{value:.2f}" if column in ("total_cost", "fund_paid", "self_paid") \
            else f"{value:g}"
    return when(style, value)


def csv_file(f: SynthFacility, table: str, rows: list[dict[str, Any]], encoding: str,
             style: str | None = None) -> FileOut:
    style = style or f.style
    mapping = {"pinyin": PINYIN, "chinese": CHINESE}.get(style, {}).get(table, {})
    columns = TABLES[table].columns
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow([mapping.get(c, c) for c in columns])
    for row in rows:
        w.writerow([_cell(style, c, row.get(c)) for c in columns])
    return FileOut(f"{table}.csv", "csv", table, buf.getvalue().encode(encoding), len(rows),
                   encoding)


def truncate(out: FileOut) -> FileOut:
    """Cut the file in the middle of a record; the manifest keeps the full file's figures."""
    cut = out.data[: max(1, len(out.data) * 2 // 3)]
    return FileOut(out.name, out.format, out.kind, cut, out.records, out.encoding)


def write_delivery(folder: Path, f: SynthFacility, night: dt.date, files: list[FileOut],
                   late: bool = False, truncated: str | None = None) -> dict[str, int]:
    """Write the files, then the manifest (named manifest.json.late for a late delivery:
    rename it to deliver). `truncated` names a file written short of what the manifest says.
    Returns records per file."""
    folder.mkdir(parents=True, exist_ok=True)
    entries, counts = [], {}
    for out in files:
        written = truncate(out) if out.name == truncated else out
        (folder / out.name).write_bytes(written.data)
        entry = {"name": out.name, "format": out.format, "kind": out.kind,
                 "rows": out.records, "sha256": hashlib.sha256(out.data).hexdigest()}
        if out.encoding:
            entry["encoding"] = out.encoding
        entries.append(entry)
        counts[out.name] = out.records
    manifest = {"facility": f.code, "export_date": night.isoformat(), "files": entries}
    name = "manifest.json.late" if late else "manifest.json"
    (folder / name).write_text(json.dumps(manifest, ensure_ascii=False, indent=1),
                               encoding="utf-8")
    return counts
