"""Resident ID numbers (GB 11643-1999) and the pseudonymous person key.

The ID number is the strongest identifier a county has, so its check must be exact:
an 18-character ID carries a check character over its first 17 digits, a birth date that
must be a real day not in the future, and a sequence digit whose parity gives the sex.
Legacy 15-digit IDs (two-digit year, no check character) still circulate. Address codes
are never checked against the current division list: old IDs carry abolished codes.
"""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"


def check_character(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("the check character is computed over exactly 17 digits")
    total = sum(map(operator.mul, map(int, first17), WEIGHTS))
    return CHECK_CHARS[total % 11]


@dataclass(frozen=True)
class IdCheck:
    """The outcome of checking one ID number; `reason` is None when it is valid."""

    normalized: str | None
    birth_date: dt.date | None
    sex: str | None  # GB/T 2261.1: "1" male, "2" female
    reason: str | None

    @property
    def valid(self) -> bool:
        return self.reason is None


def _birth(text: str, today: dt.date) -> dt.date | None:
    try:
        born = dt.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None
    if born > today or born.year < 1880:
        return None
    return born


def check_id_number(value: str | None, *, today: dt.date | None = None) -> IdCheck:
    """Check a resident ID number. 15-digit legacy IDs are valid when their date is real."""
    today = today or dt.date.today()
    if value is None or not value.strip():
        return IdCheck(None, None, None, "missing")
    text = value.strip().upper()
    if len(text) == 15:
        if not text.isdigit():
            return IdCheck(None, None, None, "bad_characters")
        born = _birth("19" + text[6:12], today)
        if born is None:
            return IdCheck(None, None, None, "impossible_birth_date")
        sex = "1" if int(text[14]) % 2 == 1 else "2"
        return IdCheck(text, born, sex, None)
    if len(text) != 18:
        return IdCheck(None, None, None, "bad_length")
    if not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return IdCheck(None, None, None, "bad_characters")
    born = _birth(text[6:14], today)
    if born is None:
        return IdCheck(None, None, None, "impossible_birth_date")
    if check_character(text[:17]) != text[17]:
        return IdCheck(None, None, None, "bad_check_character")
    sex = "1" if int(text[16]) % 2 == 1 else "2"
    return IdCheck(text, born, sex, None)


def make_id_number(area_code: str, birth: dt.date, sequence: int) -> str:
    """Build a valid 18-character ID: the sequence's parity carries the sex (odd = male)."""
    if len(area_code) != 6 or not area_code.isdigit():
        raise ValueError("area code must be 6 digits")
    if not 0 <= sequence <= 999:
        raise ValueError("sequence must be 0..999")
    first17 = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_character(first17)


def sex_agrees(id_sex: str | None, recorded_sex: str | None) -> bool:
    """True unless both sexes are known and differ (0/9 mean unknown/unspecified)."""
    if id_sex is None or recorded_sex not in ("1", "2"):
        return True
    return id_sex == recorded_sex


def upgrade_legacy_id(legacy: str) -> str:
    """The 18-character form of a 15-digit legacy ID (GB 11643-1999 appendix): the century
    "19" goes into the birth date and a check character is appended. The same person's two
    forms must match in the EMPI; the SQL twin is the dbt macro gb11643_to_18."""
    if len(legacy) != 15 or not legacy.isdigit():
        raise ValueError("a legacy ID has exactly 15 digits")
    first17 = legacy[:6] + "19" + legacy[6:]
    return first17 + check_character(first17)
