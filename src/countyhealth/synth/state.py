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
    department: str = ""
    total_cost: float | None = None


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
    # what the indicators count besides encounters and settlements, as delivered (the night
    # and facility of the delivery decide whether a held delivery keeps them out)
    events: dict[str, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    recording: bool = True  # False: no truth is computed, so events are not kept


    def record(self, kind: str, *event: Any) -> None:
        """An event of `kind` (referral, chronic_diagnosis, lab, followup, discharge), for
        truth.json's indicators: (night, facility, ...) first, as truth_indicators reads."""
        if self.recording:
            self.events[kind].append(event)
