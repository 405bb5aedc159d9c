"""Expected marts computed straight from the generated files, without any pipeline code:
plain csv + the county config's header map, the documented rules (latest version wins,
cancelled records vanish, unreadable dates are quarantined, visits = outpatient+emergency)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from pathlib import Path

import yaml

FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y/%m/%d %H:%M", "%Y%m%d%H%M%S")
VISIT = {"outpatient", "emergency", "门诊", "急诊"}
INPATIENT = {"inpatient", "住院"}


def _when(text: str) -> dt.datetime | None:
    for fmt in FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            pass
    return None


def _rows(path: Path, header_map: dict[str, str]) -> list[dict[str, str]]:
    if not path.exists():
        return []
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("gb18030")
    back = {v: k for k, v in header_map.items()}
    reader = csv.DictReader(io.StringIO(text))
    return [{back.get(k, k): v for k, v in row.items()} for row in reader]


def expected(config_path: Path, landing: Path, nights: list[dt.date]) -> dict:
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    latest: dict[tuple[str, str], tuple] = {}
    identities: set[str] = set()  # facility|local patient id, as truth.json names them
    for f in config["facilities"]:
        columns = f.get("columns") or {}
        for order, night in enumerate(nights):
            folder = landing / f["code"] / night.isoformat()
            if not (folder / "manifest.json").exists():
                continue  # not delivered (yet)
            for row in _rows(folder / "patients.csv", columns.get("patients", {})):
                identities.add(f"{f['code']}|{row['record_id']}")
            for pos, row in enumerate(_rows(folder / "encounters.csv",
                                            columns.get("encounters", {}))):
                start = _when(row["start_time"])
                if start is None or start > dt.datetime.combine(night, dt.time()) + \
                        dt.timedelta(days=2):
                    continue  # quarantined: unreadable or after the export night
                key = (f["code"], row["record_id"])
                version = (_when(row["updated_at"]), order, pos)
                if key not in latest or version > latest[key][0]:
                    latest[key] = (version, row["change_flag"], f["level"], start,
                                   row["encounter_class"])
    visits: Counter = Counter()
    admissions: Counter = Counter()
    for _, flag, level, start, cls in latest.values():
        if flag == "3":
            continue
        if cls in VISIT:
            visits[(start.date(), level)] += 1
        elif cls in INPATIENT:
            admissions[(start.date(), level)] += 1
    return {"visits": visits, "admissions": admissions, "identities": identities}
