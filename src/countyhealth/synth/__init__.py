"""A synthetic county whose right answers are known: `county.yaml`, `landing/` and
`truth.json` (see docs/synthetic.md).

Deterministic: the same arguments give the same bytes on any day; nothing reads the clock.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

from countyhealth.synth import fhir, hl7
from countyhealth.synth.care import simulate, simulate_nights
from countyhealth.synth.county import SynthFacility, build_facilities, county_config
from countyhealth.synth.defects import DefectRates
from countyhealth.synth.exports import FileOut, csv_file, write_delivery
from countyhealth.synth.people import make_residents
from countyhealth.synth.state import Night
from countyhealth.synth.truth import truth_document

__all__ = ["DefectRates", "GenerateResult", "generate"]


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    config_path: Path
    landing: Path
    rows_written: int
    facilities: int


def facility_files(f: SynthFacility, night: dt.date, tables: dict[str, list[dict]],
                   patients: dict[str, dict], encoding: str) -> list[FileOut]:
    """The files one facility writes for one night, in its own format."""
    if f.format == "hl7v2":
        files = [hl7.adt_batch(f, night, tables.get("encounters", []), patients,
                               tables.get("diagnoses", []))]
        if tables.get("lab_results"):
            files.append(hl7.oru_messages(f, night, tables["lab_results"], patients))
        files += [csv_file(f, t, tables[t], "utf-8", "pinyin")
                  for t in ("prescriptions", "referrals") if tables.get(t)]
        return files
    if f.format == "fhir-ndjson":
        return [fhir.ndjson(f, tables)]
    if f.format == "fhir-bundle":
        return [fhir.bundle(f, night, tables)]
    return [csv_file(f, t, rows, encoding) for t, rows in tables.items() if rows]


def _file_defect_targets(facilities: list[SynthFacility], defects: DefectRates,
                         last_night: dict[str, dict[str, list]]) -> tuple[set[str], set[str]]:
    """Which facilities' last night is late, and which one's file is truncated: village
    clinics from the end of the list (so the hospitals and centres always deliver); a
    truncated file needs a clinic that has something to send that night."""
    villages = [f.code for f in facilities if f.level == "village_clinic"][::-1]
    late = set(villages[: defects.late_deliveries])
    busy = [v for v in villages[defects.late_deliveries:]
            if any(last_night.get(v, {}).values())]
    return late, set(busy[: defects.truncated_files])


def generate(out: Path, population: int = 1000, days: int = 2,
             start: dt.date = dt.date(2026, 3, 1), seed: int = 42, townships: int = 12,
             villages_per_township: int = 10, hospital_format: str = "native",
             defects: DefectRates | None = None, truth: bool = True) -> GenerateResult:
    """Write the county. `truth=False` (long histories, benchmarks) writes each night as it
    is simulated and keeps nothing of it: memory stays flat, truth.json holds only what
    was written."""
    if not 1 <= population <= 2_000_000:
        raise ValueError("population must be between 1 and 2,000,000")
    if days < 1:
        raise ValueError("days must be at least 1")
    if townships < 1 or villages_per_township < 1:
        raise ValueError("a county needs at least one township with one village clinic")
    defects = defects or DefectRates()
    out = Path(out)
    landing = out / "landing"
    facilities = build_facilities(townships, villages_per_township, hospital_format)
    residents = make_residents(population, townships, villages_per_township, seed)
    if truth:
        state = simulate(residents, facilities, start, days, seed, defects)
        nights: Iterable[Night] = state.nights
    else:  # written as simulated, nothing kept: a year of a large county in flat memory
        nights = simulate_nights(residents, facilities, start, days, seed, defects)
    enc_rng = random.Random(seed * 31 + 7)
    patients: dict[str, dict] = {}
    rows: dict[str, dict[str, dict[str, int]]] = {}
    held: list[dict[str, str]] = []
    written = 0
    for i, night in enumerate(nights):
        last = i == days - 1
        late, truncated_at = _file_defect_targets(facilities, defects, night.rows) \
            if last else (set(), set())
        for f in facilities:
            tables = night.rows.get(f.code, {})
            for p in tables.get("patients", []):
                patients[p["record_id"]] = p
            encoding = f.encoding
            if f.format == "csv" and f.encoding == "utf-8" and \
                    enc_rng.random() < defects.mixed_encoding:
                encoding = "gb18030"
                night.defect(f.code, "files", "saved_as_gbk")
            files = facility_files(f, night.date, tables, patients, encoding)
            is_late = f.code in late
            cut = files[0].name if f.code in truncated_at and files else None
            folder = landing / f.code / night.date.isoformat()
            counts = write_delivery(folder, f, night.date, files, late=is_late, truncated=cut)
            if is_late:
                night.defect(f.code, "files", "late_delivery")
                held.append({"facility": f.code, "date": night.date.isoformat(),
                             "why": "late"})
            if cut:
                night.defect(f.code, "files", "truncated_file")
                held.append({"facility": f.code, "date": night.date.isoformat(),
                             "why": "truncated"})
            rows.setdefault(night.date.isoformat(), {})[f.code] = counts
            written += sum(counts.values())
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "county.yaml"
    config_path.write_text(yaml.safe_dump(county_config(facilities, population),
                                          allow_unicode=True, sort_keys=False),
                           encoding="utf-8")
    arguments = {"population": population, "days": days, "start": start.isoformat(),
                 "seed": seed, "townships": townships,
                 "villages_per_township": villages_per_township,
                 "hospital_format": hospital_format, "defects": asdict(defects)}
    if not truth:  # what was written, no right answers
        (out / "truth.json").write_text(json.dumps(
            {"truth": False, "rows_written": written, "rows": rows, "held_deliveries": held,
             "arguments": arguments}, indent=1, sort_keys=True), encoding="utf-8")
        return GenerateResult(out, config_path, landing, written, len(facilities))
    truth = truth_document(state, facilities, residents, rows, written, held)
    # the true person of every source identity (facility|local patient id), for the EMPI
    truth["identities"] = {f"{p['_facility']}|{record_id}": p["_resident"]
                           for record_id, p in sorted(patients.items())}
    truth["arguments"] = arguments
    (out / "truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1,
                                               sort_keys=True, default=str), encoding="utf-8")
    return GenerateResult(out, config_path, landing, written, len(facilities))
