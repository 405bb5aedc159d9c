"""Checks one canonical row before it may enter `raw`: the reasons a row is quarantined.

Real exports carry dates in several formats (2026-03-01, 2026/3/1, 20260301, 2026年3月1日,
with or without a time); they are normalised to ISO here so staging can cast without guessing.
A date after the export night is impossible for a nightly export and is quarantined.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from countyhealth.ingest.tables import CanonicalTable

_DATE = re.compile(
    r"^\s*(\d{4})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})日?"
    r"(?:[ T]?(\d{1,2})[:时]?(\d{2})(?:[:分]?(\d{2})(?:\.\d+)?秒?)?)?\s*$"
)
_ZONE = re.compile(r"[+-]\d{2}:?\d{2}$")
LOCAL = ZoneInfo("Asia/Shanghai")
_EMPTY = {"", "-", "null", "NULL", "None"}
CHANGE_FLAGS = {"1", "2", "3"}


@dataclass(frozen=True)
class Rejection:
    code: str
    message: str


def parse_when(text: str) -> dt.datetime | None:
    """Parse the date/time spellings facilities use; None when it is not a real moment.
    ISO times with a zone (2023-01-27T16:17:47Z, ...+08:00) become county local time."""
    if "T" in text and (text.endswith("Z") or _ZONE.search(text)):
        try:
            moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.astimezone(LOCAL).replace(tzinfo=None)
    m = _DATE.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    try:
        return dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


def check_row(
    table: CanonicalTable, values: dict[str, str | None], export_date: dt.date
) -> tuple[tuple[str | None, ...] | None, Rejection | None]:
    """Return the row as a tuple in canonical column order, or the reason it is rejected."""
    clean: dict[str, str | None] = {}
    for col in table.columns:
        v = values.get(col)
        v = v.strip() if isinstance(v, str) else (None if v is None else str(v))
        clean[col] = None if v is None or v in _EMPTY else v
    if any(v is not None and "\x00" in v for v in clean.values()):
        return None, Rejection("nul_byte", "a field holds a NUL byte (binary data in a text "
                                           "export)")
    for col in table.required:
        if clean[col] is None:
            return None, Rejection("missing_required", f"required field '{col}' is empty")
    if clean["change_flag"] not in CHANGE_FLAGS:
        return None, Rejection(
            "bad_change_flag",
            f"change flag '{clean['change_flag']}' is not 1 (new), 2 (modified) or 3 (cancelled)",
        )
    latest = dt.datetime.combine(export_date + dt.timedelta(days=1), dt.time(23, 59, 59))
    for col in (*table.dates, *table.timestamps):
        raw = clean[col]
        if raw is None:
            continue
        when = parse_when(raw)
        if when is None:
            return None, Rejection("bad_date", f"{col} '{raw}' is not a date we can read")
        if when > latest and col not in table.future_allowed:
            return None, Rejection(
                "future_date", f"{col} {when:%Y-%m-%d} is after the export night {export_date}"
            )
        clean[col] = when.date().isoformat() if col in table.dates else when.isoformat(sep=" ")
    return tuple(clean[c] for c in table.columns), None
