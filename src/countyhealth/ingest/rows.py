"""Checks one canonical row before it may enter `raw`: the reasons a row is quarantined.

Real exports carry dates in several formats (2026-03-01, 2026/3/1, 20260301, 2026年3月1日,
with or without a time); they are normalised to ISO here so staging can cast without guessing.
A date after the export night is impossible for a nightly export and is quarantined.
"""

from __future__ import annotations

import datetime as dt
import functools
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
EMPTY = frozenset({"", "-", "null", "NULL", "None"})  # values that mean "no value"
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
    if len(text) in (8, 12, 14) and text.isascii() and text.isdigit():
        return _compact(text)
    return _by_pattern(text)


def _compact(text: str) -> dt.datetime | None:
    """YYYYMMDD[HHMM[SS]], the spelling most hospital systems export, read by slicing: the
    reading _by_pattern gives it (a tested property), several times faster."""
    try:
        return dt.datetime(int(text[:4]), int(text[4:6]), int(text[6:8]),
                           int(text[8:10] or 0), int(text[10:12] or 0), int(text[12:] or 0))
    except ValueError:
        return None


def _by_pattern(text: str) -> dt.datetime | None:
    m = _DATE.match(text)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    try:
        return dt.datetime(y, mo, d, h, mi, s)
    except ValueError:
        return None


@functools.lru_cache(maxsize=65536)
def normalised_when(raw: str) -> tuple[dt.datetime, str, str] | None:
    """parse_when + the ISO texts we store for it (as a date, as a date and time), cached:
    exports repeat the same times a lot. The set-based CSV path (csv_copy) uses this too, so
    a date means the same thing whichever path loads it."""
    when = parse_when(raw)
    if when is None:
        return None
    iso = when.isoformat(sep=" ")  # whole seconds: YYYY-MM-DD HH:MM:SS
    return when, iso[:10], iso


@functools.lru_cache(maxsize=64)
def _plan(table: CanonicalTable) -> tuple[tuple[int, str, bool, bool], ...]:
    """(index, column, is a date (not a time), may lie in the future) per date column."""
    return tuple((table.columns.index(c), c, c in table.dates, c in table.future_allowed)
                 for c in (*table.dates, *table.timestamps))


def check_row(
    table: CanonicalTable, values: dict[str, str | None], export_date: dt.date
) -> tuple[tuple[str | None, ...] | None, Rejection | None]:
    """Return the row as a list in canonical column order, or the reason it is rejected.
    The hot path of ingest: written for speed (one pass, cached date parsing)."""
    clean: list[str | None] = []
    for col in table.columns:
        v = values.get(col)
        if v is not None:
            if type(v) is not str:
                v = str(v)
            v = v.strip()
            if v in EMPTY:
                v = None
            elif "\x00" in v:
                return None, Rejection("nul_byte", "a field holds a NUL byte (binary data in "
                                                   "a text export)")
        clean.append(v)
    row = dict(zip(table.columns, clean, strict=True))
    for col in table.required:
        if row[col] is None:
            return None, Rejection("missing_required", f"required field '{col}' is empty")
    if row["change_flag"] not in CHANGE_FLAGS:
        return None, Rejection(
            "bad_change_flag",
            f"change flag '{row['change_flag']}' is not 1 (new), 2 (modified) or 3 (cancelled)",
        )
    latest = latest_moment(export_date)
    for index, col, as_date, future_ok in _plan(table):
        raw = clean[index]
        if raw is None:
            continue
        parsed = normalised_when(raw)
        if parsed is None:
            return None, Rejection("bad_date", f"{col} '{raw}' is not a date we can read")
        if parsed[0] > latest and not future_ok:
            return None, Rejection(
                "future_date", f"{col} {parsed[0]:%Y-%m-%d} is after the export night "
                               f"{export_date}")
        clean[index] = parsed[1] if as_date else parsed[2]
    return tuple(clean), None


@functools.lru_cache(maxsize=64)
def latest_moment(export_date: dt.date) -> dt.datetime:
    """The last moment a nightly export may mention: the end of the day after the night."""
    return dt.datetime.combine(export_date + dt.timedelta(days=1), dt.time(23, 59, 59))
