"""truth.json: the right answers, from the generator's own state, never from the pipeline.

`as_of[night]` is what a run of that night must publish: every current encounter version
delivered up to that night, without quarantined rows (unreadable or future dates), cancelled
encounters, care outside the county (no county facility sees it) or deliveries held back
(a late manifest, a truncated file).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from countyhealth.synth.county import SynthFacility
from countyhealth.synth.people import Resident
from countyhealth.synth.state import CareState, Encounter
from countyhealth.synth.truth_indicators import indicators_as_of

QUALITY_NIGHTS = 7  # as_of[date]["quality"] for the last nights only: each costs O(residents)

PRIMARY = ("township_center", "village_clinic")


def indicators(encounters: dict[str, Encounter]) -> dict[str, Any]:
    visits: Counter[tuple[str, str]] = Counter()
    admissions: Counter[tuple[str, str]] = Counter()
    for e in encounters.values():
        if e.cancelled or e.quarantined or not e.in_county:
            continue
        key = (e.start.date().isoformat(), e.level)
        if e.encounter_class == "inpatient":
            admissions[key] += 1
        else:
            visits[key] += 1
    share = {}
    for day in sorted({d for d, _ in visits}):
        total = sum(v for (d, _), v in visits.items() if d == day)
        primary = sum(v for (d, lvl), v in visits.items() if d == day and lvl in PRIMARY)
        share[day] = {"numerator": primary, "denominator": total,
                      "value": round(primary / total, 6) if total else None}
    return {
        "visits_by_level_daily": {f"{d}|{lvl}": n for (d, lvl), n in sorted(visits.items())},
        "admissions_by_level_daily": {f"{d}|{lvl}": n
                                      for (d, lvl), n in sorted(admissions.items())},
        "primary_care_visit_share_daily": share,
    }


def _published(state: CareState, night: dt.date, held: set[tuple[str, str]]
               ) -> dict[str, Encounter]:
    """The encounter versions a run of `night` sees: held deliveries keep yesterday's."""
    now = state.snapshots[night]
    blocked = {f for f, d in held if d == night.isoformat()}
    if not blocked:
        return now
    before = state.snapshots.get(night - dt.timedelta(days=1), {})
    out = {k: e for k, e in now.items() if e.facility not in blocked}
    out.update({k: e for k, e in before.items() if e.facility in blocked})
    return out


def truth_document(state: CareState, facilities: list[SynthFacility],
                   residents: list[Resident], rows: dict, written: int,
                   held: list[dict[str, str]]) -> dict[str, Any]:
    held_keys = {(h["facility"], h["date"]) for h in held}
    defects = {
        n.date.isoformat(): {f: {t: dict(kinds) for t, kinds in tables.items()}
                             for f, tables in n.defects.items()}
        for n in state.nights
    }
    settlements = state.settlements
    as_of = {n.date.isoformat(): indicators(_published(state, n.date, held_keys))
             for n in state.nights}
    for n in state.nights[-QUALITY_NIGHTS:]:
        as_of[n.date.isoformat()]["quality"] = indicators_as_of(
            state, residents, n.date, _published(state, n.date, held_keys), held_keys)
    return {
        "rows_written": written,
        "rows": rows,
        "defects": defects,
        "held_deliveries": held,
        "facilities": {f.code: {"level": f.level, "format": f.config_format}
                       for f in facilities},
        "population": {
            "residents": len(residents),
            "hypertension": sum(r.hypertension for r in residents),
            "diabetes": sum(r.diabetes for r in residents),
            "insured": sum(r.insured for r in residents),
            "contracted": sum(r.contract_signed is not None for r in residents),
            "deaths": state.deaths,
        },
        "settlements": {
            "count": len(settlements),
            "in_county": sum(s["in_county"] == "1" for s in settlements),
            "fund_paid_in_county": round(sum(s["fund_paid"] for s in settlements
                                             if s["in_county"] == "1"), 2),
            "fund_paid_total": round(sum(s["fund_paid"] for s in settlements), 2),
        },
        **as_of[state.nights[-1].date.isoformat()],
        "as_of": as_of,
    }
