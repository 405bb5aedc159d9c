"""A synthetic county whose right answers are known: config, landing folders and truth.json.

Deterministic: the same arguments give the same bytes on any day.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from countyhealth.synth.care import CareState, Encounter, simulate
from countyhealth.synth.county import build_facilities, county_config
from countyhealth.synth.exports import encounter_rows, patient_rows, write_delivery
from countyhealth.synth.people import make_residents


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    config_path: Path
    landing: Path
    rows_written: int
    facilities: int


def _indicators(encounters: dict[str, Encounter], levels: dict[str, str]) -> dict:
    """Expected marts for a set of current encounter versions (the generator's own state)."""
    visits: Counter[tuple[str, str]] = Counter()
    admissions: Counter[tuple[str, str]] = Counter()
    for e in encounters.values():
        if e.cancelled:
            continue
        key = (e.start.date().isoformat(), levels[e.facility])
        if e.encounter_class == "inpatient":
            admissions[key] += 1
        else:
            visits[key] += 1
    days = sorted({d for d, _ in visits} | {d for d, _ in admissions})
    share = {}
    for d in days:
        total = sum(v for (day, _), v in visits.items() if day == d)
        primary = sum(v for (day, lvl), v in visits.items()
                      if day == d and lvl in ("township_center", "village_clinic"))
        share[d] = {"numerator": primary, "denominator": total,
                    "value": round(primary / total, 6) if total else None}
    return {
        "visits_by_level_daily": {f"{d}|{lvl}": n for (d, lvl), n in sorted(visits.items())},
        "admissions_by_level_daily": {f"{d}|{lvl}": n
                                      for (d, lvl), n in sorted(admissions.items())},
        "primary_care_visit_share_daily": share,
    }


def _truth(state: CareState, levels: dict[str, str], rows: dict, written: int) -> dict:
    """Right answers from the generator's state, never from running the pipeline: after the
    last night, and `as_of` each night (what a run of that night must publish)."""
    return {
        "rows_written": written,
        "rows": rows,
        **_indicators(state.encounters, levels),
        "as_of": {d.isoformat(): _indicators(snap, levels)
                  for d, snap in state.snapshots.items()},
    }


def generate(out: Path, population: int = 1000, days: int = 2,
             start: dt.date = dt.date(2026, 3, 1), seed: int = 42, townships: int = 2,
             villages_per_township: int = 2) -> GenerateResult:
    if population < 1:
        raise ValueError("population must be at least 1")
    if days < 1:
        raise ValueError("days must be at least 1")
    out = Path(out)
    facilities = build_facilities(townships, villages_per_township)
    residents = make_residents(population, townships, villages_per_township, seed)
    state = simulate(residents, facilities, start, days, seed)
    landing = out / "landing"
    rows: dict[str, dict[str, dict[str, int]]] = {}
    written = 0
    for night in state.nights:
        for f in facilities:
            tables = {
                "patients": patient_rows(f, night.patients[f.code]),
                "encounters": encounter_rows(f, night.encounters[f.code]),
            }
            folder = landing / f.code / night.date.isoformat()
            counts = write_delivery(folder, f, night.date, tables)
            rows.setdefault(night.date.isoformat(), {})[f.code] = counts
            written += sum(counts.values())
    config = county_config(facilities, population)
    config_path = out / "county.yaml"
    out.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    truth = _truth(state, {f.code: f.level for f in facilities}, rows, written)
    truth["arguments"] = {"population": population, "days": days, "start": start.isoformat(),
                          "seed": seed}
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1,
                                               sort_keys=True), encoding="utf-8")
    return GenerateResult(out, config_path, landing, written, len(facilities))
