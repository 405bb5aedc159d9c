"""The generator's record of what happened: encounters as they stand, each night's rows and
injected defects, and the whole state truth.json is computed from."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass
class Encounter:
    """What the generator knows of one encounter (its current version)."""

    record_id: str
    facility: str
    level: str
    resident: int
    encounter_class: str
    start: dt.datetime
    end: dt.datetime | None = None
    cancelled: bool = False
    quarantined: bool = False  # sent with an unreadable or future start time
    in_county: bool = True


@dataclass
class Night:
    date: dt.date
    rows: dict[str, dict[str, list[Row]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list)))
    defects: dict[str, dict[str, dict[str, int]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(int))))

    def add(self, facility: str, table: str, row: Row) -> None:
        self.rows[facility][table].append(row)

    def defect(self, facility: str, table: str, kind: str) -> None:
        self.defects[facility][table][kind] += 1


@dataclass
class CareState:
    encounters: dict[str, Encounter] = field(default_factory=dict)
    local_ids: dict[tuple[str, int], str] = field(default_factory=dict)
    nights: list[Night] = field(default_factory=list)
    snapshots: dict[dt.date, dict[str, Encounter]] = field(default_factory=dict)
    settlements: list[Row] = field(default_factory=list)
    followups: int = 0
    deaths: int = 0
