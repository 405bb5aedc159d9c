"""Care over the nights: who visits which facility, registrations, corrections, cancellations.

Rates are per resident per day, at the order of real county figures: most visits at primary
care (village clinics, then township centres), about 11% of residents admitted a year.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from countyhealth.synth.county import SynthFacility
from countyhealth.synth.people import Resident

# visits per resident per day by level, and the hospital's admission rate
VILLAGE_VISIT = 0.0045
TOWNSHIP_VISIT = 0.0030
HOSPITAL_OUTPATIENT = 0.0020
HOSPITAL_EMERGENCY = 0.0003
HOSPITAL_ADMISSION = 0.11 / 365

DEPARTMENTS = {
    "county_hospital": ["内科", "外科", "儿科", "妇产科", "急诊科", "心血管内科"],
    "township_center": ["全科", "中医科", "预防保健科"],
    "village_clinic": ["全科"],
}


@dataclass
class Encounter:
    record_id: str
    facility: str
    patient_id: str
    resident: int
    encounter_class: str  # outpatient | emergency | inpatient
    department: str
    start: dt.datetime
    end: dt.datetime | None
    disposition: str | None
    total_cost: float
    updated: dt.datetime
    change_flag: str = "1"
    cancelled: bool = False
    bad_date: bool = False  # exported with an unreadable start time (quarantined)


@dataclass
class Night:
    date: dt.date
    patients: dict[str, list[tuple[str, Resident, dt.datetime]]] = field(default_factory=dict)
    encounters: dict[str, list[Encounter]] = field(default_factory=dict)


@dataclass
class CareState:
    """Everything the generator did, the source of truth.json's right answers."""

    local_ids: dict[tuple[str, int], str] = field(default_factory=dict)
    encounters: dict[str, Encounter] = field(default_factory=dict)  # latest version by id
    nights: list[Night] = field(default_factory=list)
    # the latest version of every encounter as it stood after each night (truth "as of")
    snapshots: dict[dt.date, dict[str, Encounter]] = field(default_factory=dict)


def _facility_for(level: str, r: Resident, facilities: list[SynthFacility]) -> SynthFacility:
    if level == "county_hospital":
        return facilities[0]
    t = next(f for f in facilities if f.level == "township_center" and f.township == r.township)
    if level == "township_center":
        return t
    villages = [f for f in facilities if f.level == "village_clinic" and f.township == r.township]
    return villages[(r.village - 1) % len(villages)]


def simulate(residents: list[Resident], facilities: list[SynthFacility], start: dt.date,
             days: int, seed: int, bad_date_rate: float = 0.01) -> CareState:
    rng = random.Random(seed * 7919 + 1)
    state = CareState()
    serial: dict[str, int] = {}
    next_patient: dict[str, int] = {}
    for d in range(days):
        day = start + dt.timedelta(days=d)
        night = Night(day, {f.code: [] for f in facilities}, {f.code: [] for f in facilities})
        for r in residents:
            events = []
            if rng.random() < VILLAGE_VISIT:
                events.append(("village_clinic", "outpatient"))
            if rng.random() < TOWNSHIP_VISIT:
                events.append(("township_center", "outpatient"))
            if rng.random() < HOSPITAL_OUTPATIENT:
                events.append(("county_hospital", "outpatient"))
            if rng.random() < HOSPITAL_EMERGENCY:
                events.append(("county_hospital", "emergency"))
            if rng.random() < HOSPITAL_ADMISSION:
                events.append(("county_hospital", "inpatient"))
            for level, cls in events:
                f = _facility_for(level, r, facilities)
                start_time = dt.datetime.combine(day, dt.time(rng.randint(7, 17),
                                                              rng.randrange(60)))
                key = (f.code, r.index)
                if key not in state.local_ids:
                    next_patient[f.code] = next_patient.get(f.code, 0) + 1
                    pid = f"{f.code}P{next_patient[f.code]:06d}"
                    state.local_ids[key] = pid
                    night.patients[f.code].append((pid, r, start_time))
                serial[f.code] = serial.get(f.code, 0) + 1
                # an admission is exported on the night it starts: discharge not yet known
                cost = round(rng.uniform(3000, 30000) if cls == "inpatient"
                             else rng.uniform(20, 400), 2)
                end, disposition = None, None
                enc = Encounter(
                    record_id=f"{f.code}{day:%Y%m%d}{serial[f.code]:05d}", facility=f.code,
                    patient_id=state.local_ids[key], resident=r.index, encounter_class=cls,
                    department=rng.choice(DEPARTMENTS[f.level]), start=start_time, end=end,
                    disposition=disposition, total_cost=cost,
                    updated=start_time + dt.timedelta(minutes=30),
                    bad_date=rng.random() < bad_date_rate,
                )
                night.encounters[f.code].append(enc)
                if not enc.bad_date:
                    state.encounters[enc.record_id] = enc
        _amend_earlier(rng, state, night, day)
        state.nights.append(night)
        state.snapshots[day] = dict(state.encounters)
    return state


def _amend_earlier(rng: random.Random, state: CareState, night: Night, day: dt.date) -> None:
    """On later nights each facility re-sends one earlier visit corrected (flag 2) and cancels
    one (flag 3): the latest version must win downstream."""
    earlier = [e for e in state.encounters.values()
               if e.start.date() < day and not e.cancelled and e.change_flag == "1"]
    by_facility: dict[str, list[Encounter]] = {}
    for e in earlier:
        by_facility.setdefault(e.facility, []).append(e)
    stamp = dt.datetime.combine(day, dt.time(20, 0))
    for code in sorted(by_facility):
        pool = sorted(by_facility[code], key=lambda e: e.record_id)
        if len(pool) < 2:
            continue
        fixed, gone = rng.sample(pool, 2)
        corrected = Encounter(**{**fixed.__dict__, "department": fixed.department + "(更正)",
                                 "updated": stamp, "change_flag": "2", "bad_date": False})
        cancelled = Encounter(**{**gone.__dict__, "updated": stamp, "change_flag": "3",
                                 "cancelled": True, "bad_date": False})
        state.encounters[corrected.record_id] = corrected
        state.encounters[cancelled.record_id] = cancelled
        night.encounters[code].extend([corrected, cancelled])
