"""Writes one facility-night as the facility would: its headers, encoding and date spelling,
its data files first and `manifest.json` last (its presence means the delivery is complete).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path

from countyhealth.ingest.tables import TABLES
from countyhealth.synth.care import Encounter
from countyhealth.synth.county import CHINESE, PINYIN, SynthFacility
from countyhealth.synth.people import Resident

SEX = {"pinyin": {"1": "1", "2": "2"}, "chinese": {"1": "男", "2": "女"},
       "canonical": {"1": "M", "2": "F"}}
CLASS_ZH = {"outpatient": "门诊", "emergency": "急诊", "inpatient": "住院"}


def _when(style: str, t: dt.datetime | None) -> str:
    if t is None:
        return "-" if style == "pinyin" else ""
    if style == "pinyin":
        return t.strftime("%Y-%m-%d %H:%M:%S")
    if style == "chinese":
        return f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}"
    return t.strftime("%Y%m%d%H%M%S")


def _day(style: str, d: dt.date) -> str:
    if style == "chinese":
        return f"{d.year}年{d.month}月{d.day}日"
    if style == "canonical":
        return d.strftime("%Y%m%d")
    return d.isoformat()


def _headers(f: SynthFacility, table: str) -> list[str]:
    mapping = {"pinyin": PINYIN, "chinese": CHINESE}.get(f.style, {}).get(table, {})
    return [mapping.get(c, c) for c in TABLES[table].columns]


def patient_rows(f: SynthFacility, regs: list[tuple[str, Resident, dt.datetime]]) -> list[list]:
    rows = []
    for pid, r, when in regs:
        rows.append([pid, "01", r.id_number, r.name, SEX[f.style][r.sex],
                     _day(f.style, r.birth_date), r.phone, f"{r.township}{r.village:03d}", "",
                     _when(f.style, when), "1"])
    return rows


def encounter_rows(f: SynthFacility, encounters: list[Encounter]) -> list[list]:
    rows = []
    for e in encounters:
        cls = CLASS_ZH[e.encounter_class] if f.style == "chinese" else e.encounter_class
        start = "2026-02-30 25:61" if e.bad_date else _when(f.style, e.start)
        rows.append([e.record_id, e.patient_id, cls, e.department, start, _when(f.style, e.end),
                     e.disposition or "", f"{e.total_cost:.2f}", _when(f.style, e.updated),
                     e.change_flag])
    return rows


def _csv_bytes(header: list[str], rows: list[list], encoding: str) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode(encoding)


def write_delivery(folder: Path, f: SynthFacility, night: dt.date,
                   tables: dict[str, list[list]]) -> dict[str, int]:
    """Write the files and then the manifest; returns rows per file."""
    folder.mkdir(parents=True, exist_ok=True)
    files, counts = [], {}
    for table, rows in tables.items():
        name = f"{table}.csv"
        data = _csv_bytes(_headers(f, table), rows, f.encoding)
        (folder / name).write_bytes(data)
        files.append({"name": name, "format": "csv", "kind": table, "encoding": f.encoding,
                      "rows": len(rows), "sha256": hashlib.sha256(data).hexdigest()})
        counts[name] = len(rows)
    manifest = {"facility": f.code, "export_date": night.isoformat(), "files": files}
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2),
                                          encoding="utf-8")
    return counts
