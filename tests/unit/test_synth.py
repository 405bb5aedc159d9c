"""The synthetic county: deterministic, realistic in shape, honest about its defects, and
every format it writes parses with the well-kept libraries the readers will use."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import hl7
import pytest
from fhir.resources.R4B import get_fhir_model_class

from countyhealth.config import load_config
from countyhealth.identity import check_id_number
from countyhealth.synth import DefectRates, generate

START = dt.date(2026, 3, 1)


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("synth") / "c", population=20000, days=3,
                    start=START, seed=5)


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_same_arguments_same_bytes(tmp_path: Path):
    a = generate(tmp_path / "a", population=2000, days=2, seed=3)
    b = generate(tmp_path / "b", population=2000, days=2, seed=3)
    c = generate(tmp_path / "c", population=2000, days=2, seed=4)
    assert _digest(a.out) == _digest(b.out) != _digest(c.out)


def test_without_truth_the_same_exports_in_flat_memory(tmp_path: Path):
    """--no-truth writes each night as it is simulated and keeps nothing: the same files,
    and encounters older than the amendment window are forgotten (a year fits in memory)."""
    from countyhealth.synth.care import AMEND_WINDOW_DAYS, Simulation
    from countyhealth.synth.county import build_facilities
    from countyhealth.synth.people import make_residents

    a = generate(tmp_path / "a", population=2000, days=3, seed=3)
    b = generate(tmp_path / "b", population=2000, days=3, seed=3, truth=False)
    assert _digest(a.landing) == _digest(b.landing)
    assert json.loads((b.out / "truth.json").read_text())["truth"] is False

    facilities = build_facilities(2, 2, "csv")
    sim = Simulation(make_residents(3000, 2, 2, 1), facilities, 1, DefectRates(),
                     keep_history=False)
    days = AMEND_WINDOW_DAYS + 20
    for d in range(days):
        sim.day(START + dt.timedelta(days=d), first=d == 0)
    oldest = min(e.start.date() for e in sim.state.encounters.values())
    assert oldest >= START + dt.timedelta(days=days - 1 - AMEND_WINDOW_DAYS)
    assert not sim.state.nights and not sim.state.snapshots and not sim.state.events


def test_nothing_reads_the_clock():
    src = Path(__file__).parents[2] / "src" / "countyhealth" / "synth"
    for path in src.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "today()" not in text and ".now(" not in text, path.name


def test_county_structure_and_config(county):
    cfg = load_config(county.config_path)
    levels = [f.level for f in cfg.facilities]
    assert levels[:3] == ["county_hospital", "tcm_hospital", "mch_hospital"]
    assert levels.count("township_center") == 12
    assert levels.count("village_clinic") == 120
    assert levels.count("insurance") == 1 and levels.count("public_health") == 1
    formats = {f.code: f.format for f in cfg.facilities}
    assert formats["H001"] == "hl7v2" and formats["H002"] == formats["H003"] == "fhir-r4"
    assert all(f.township for f in cfg.facilities if f.is_primary_care)


def test_rates_are_those_of_a_real_county(county):
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    pop = truth["population"]
    assert 0.60 <= pop["contracted"] / pop["residents"] <= 0.72
    assert 0.12 <= pop["hypertension"] / pop["residents"] <= 0.30
    assert 0.03 <= pop["diabetes"] / pop["residents"] <= 0.12
    s = truth["settlements"]
    assert 0.07 <= 1 - s["in_county"] / s["count"] <= 0.16  # care outside the county
    share = truth["as_of"]["2026-03-01"]["primary_care_visit_share_daily"]["2026-03-01"]
    assert 0.55 <= share["value"] <= 0.85
    admissions = sum(truth["admissions_by_level_daily"].values())
    per_year = admissions / pop["residents"] * 365 / 3
    assert 0.05 <= per_year <= 0.2


def test_manifests_count_what_the_files_hold(county):
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    held = {(h["facility"], h["date"]) for h in truth["held_deliveries"]}
    checked = 0
    for manifest_path in county.landing.glob("*/*/manifest.json*"):
        facility, night = manifest_path.parts[-3], manifest_path.parts[-2]
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for f in manifest["files"]:
            data = (manifest_path.parent / f["name"]).read_bytes()
            if f["format"] == "csv":
                text = data.decode(f.get("encoding", "utf-8"), errors="replace")
                count = len(text.splitlines()) - 1
            elif f["format"] == "hl7v2":
                count = data.count(b"MSH|")
            elif f["name"].endswith(".ndjson"):
                count = len(data.splitlines())
            else:
                count = len(json.loads(data)["entry"])
            intact = hashlib.sha256(data).hexdigest() == f["sha256"]
            if (facility, night) in held and not manifest_path.name.endswith(".late"):
                continue  # the truncated file: checked below
            assert intact and count == f["rows"], (facility, night, f["name"])
            checked += 1
    assert checked > 300


def test_file_defects_are_where_truth_says(county):
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    kinds = {h["why"] for h in truth["held_deliveries"]}
    assert kinds == {"late", "truncated"}
    for h in truth["held_deliveries"]:
        folder = county.landing / h["facility"] / h["date"]
        if h["why"] == "late":
            assert not (folder / "manifest.json").exists()
            assert (folder / "manifest.json.late").exists()
        else:
            manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
            first = manifest["files"][0]
            data = (folder / first["name"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() != first["sha256"]


def test_registry_ids_are_valid_except_injected_defects(county):
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    path = county.landing / "PH01" / START.isoformat() / "patients.csv"
    lines = path.read_text(encoding="utf-8").splitlines()[1:]
    invalid = sum(not check_id_number(line.split(",")[2], today=dt.date(2026, 12, 31)).valid
                  for line in lines)
    injected = truth["defects"][START.isoformat()]["PH01"]["patients"]
    assert invalid == injected.get("bad_check_character", 0) + injected.get("missing_id", 0)
    assert any(len(line.split(",")[2]) == 15 for line in lines)  # a few legacy IDs
    assert any(not line.split(",")[2].startswith("370322") for line in lines)  # born elsewhere


def test_hl7_files_parse_with_python_hl7(county):
    folder = county.landing / "H001" / START.isoformat()
    batch = hl7.parse_file((folder / "adt.hl7").read_bytes().decode("utf-8"))
    messages = [m for b in batch for m in b]
    assert messages and all(str(m.segment("MSH")[9][0][0]) == "ADT" for m in messages)
    events = {str(m.segment("EVN")[1]) for m in messages}
    assert events <= {"A01", "A03", "A04", "A08", "A11"} and "A04" in events
    oru = list(hl7.split_file((folder / "oru.hl7").read_bytes().decode("utf-8")))
    parsed = [hl7.parse(m) for m in oru]
    assert parsed and all(p.segments("OBX") for p in parsed)


@pytest.mark.parametrize("facility,name", [("H002", "resources.ndjson"), ("H003", "bundle.json")])
def test_fhir_files_validate_as_r4(county, facility, name):
    path = county.landing / facility / START.isoformat() / name
    if name.endswith(".ndjson"):
        resources = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    else:
        bundle = json.loads(path.read_text(encoding="utf-8"))
        get_fhir_model_class("Bundle").model_validate(bundle)
        resources = [e["resource"] for e in bundle["entry"]]
    types = {r["resourceType"] for r in resources}
    assert {"Patient", "Encounter", "Condition"} <= types
    for r in resources:
        if "2026-02-30" in json.dumps(r):
            continue  # an injected unreadable date must fail validation, not pass it
        get_fhir_model_class(r["resourceType"]).model_validate(r)


def test_defects_can_be_switched_off(tmp_path: Path):
    g = generate(tmp_path / "clean", population=3000, days=2, defects=DefectRates.none())
    truth = json.loads((g.out / "truth.json").read_text(encoding="utf-8"))
    assert truth["held_deliveries"] == []
    assert all(not kinds for night in truth["defects"].values()
               for tables in night.values() for kinds in tables.values())
    with pytest.raises(ValueError, match="unknown defect"):
        DefectRates.parse("no_such_defect=1")
    assert DefectRates.parse("missing_id=0.5,late_deliveries=0").missing_id == 0.5


def test_generated_addresses_are_divisions_of_the_county_seed():
    """The demo county's divisions seed covers every township and village the generator can
    place a resident in (up to 20 townships of 20 villages), under the generator's county."""
    import csv

    from countyhealth.config import settings
    from countyhealth.synth.county import COUNTY_CODE, township_code

    seed = settings().dbt_project_dir / "seeds" / "county_divisions.csv"
    with seed.open(encoding="utf-8") as f:
        rows = {r["division_code"]: r for r in csv.DictReader(f)}
    assert rows[COUNTY_CODE]["division_level"] == "county"
    for t in range(1, 21):
        assert rows[township_code(t)]["parent_code"] == COUNTY_CODE
        for v in range(1, 21):
            assert rows[f"{township_code(t)}{v:03d}"]["parent_code"] == township_code(t)
