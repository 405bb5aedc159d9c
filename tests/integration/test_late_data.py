"""Late data: a facility whose delivery is missing when its night runs does not hold up the
others; the next night's run loads it (under its own night), the indicators it touches are
recomputed from it, validation covers it, and the report keeps the gap marked. Real ingest,
real dbt, real GX, real PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import psycopg
import pytest

from countyhealth.config import load_config
from countyhealth.dbt_group import run_dbt
from countyhealth.ingest import ingest_night
from countyhealth.report_data import data_quality
from countyhealth.report_html import render
from countyhealth.synth import DefectRates, generate
from countyhealth.validate import run_layer

from ..databases import create_database

START = dt.date(2026, 3, 1)
NIGHTS = [START + dt.timedelta(days=i) for i in range(3)]
EXPECTATIONS = Path(__file__).parents[2] / "expectations"


def _visits(url: str, day: dt.date) -> tuple[int, int]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "select numerator::int, denominator::int from quality__candidate.indicator_summary "
            "where indicator_id = 'primary_care_visit_share' and breakdown = 'county' "
            "and period_grain = 'day' and period_start = %s", (day,)).fetchone()


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    return generate(tmp_path_factory.mktemp("late") / "c", population=4000, days=len(NIGHTS),
                    start=START, seed=12, townships=2, villages_per_township=2,
                    defects=DefectRates.parse("late_deliveries=0,truncated_files=0"))


def test_a_late_delivery_is_picked_up_by_the_next_run(county, server_url, tmp_path):
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    config = load_config(county.config_path)
    url = create_database(server_url)
    late_facility = "T001"  # a township centre: visits every night
    folder = county.landing / late_facility / NIGHTS[1].isoformat()
    away = tmp_path / "not-yet"
    shutil.move(folder, away)
    with psycopg.connect(url) as conn:
        for night in NIGHTS[:2]:
            result = ingest_night(conn, config, county.landing, night)
            conn.commit()
        assert {d.facility: d.status for d in result.deliveries}[late_facility] == "missing"
        assert sum(d.status == "loaded" for d in result.deliveries) >= 5  # the others went on
    done = run_dbt(["build"], url, tmp_path / "n2")
    assert done.returncode == 0, done.stdout[-3000:]
    day = NIGHTS[1].isoformat()
    full = truth["as_of"][NIGHTS[2].isoformat()]["primary_care_visit_share_daily"][day]
    without = _visits(url, NIGHTS[1])
    assert without[1] < full["denominator"]  # the gap: T001's visits of that day are missing

    shutil.move(away, folder)  # the delivery comes in during the next day
    with psycopg.connect(url) as conn:
        result = ingest_night(conn, config, county.landing, NIGHTS[2])
        conn.commit()
        status, reason = conn.execute(
            "select status, reason from ingest.deliveries where facility_code = %s and "
            "export_date = %s", (late_facility, NIGHTS[1])).fetchone()
        loaded = conn.execute("select count(*) from raw.encounters where _facility = %s and "
                              "_export_date = %s and _batch_id = %s",
                              (late_facility, NIGHTS[1], result.batch_id)).fetchone()[0]
    assert [(n, d.facility) for n, d in result.late] == [(NIGHTS[1], late_facility)]
    assert status == "loaded" and reason.startswith("late") and loaded > 0
    # validated with the night that loaded it
    outcomes = run_layer("raw", url, NIGHTS[2], EXPECTATIONS, config.thresholds)
    assert all(o.success for o in outcomes)
    with psycopg.connect(url) as conn:
        batch_rows = conn.execute("select count(*) from raw.encounters where _batch_id = %s",
                                  (result.batch_id,)).fetchone()[0]
    checked = [o.observed["element_count"] for o in outcomes if o.table == "raw.encounters"
               and o.expectation == "expect_column_values_to_not_be_null"]
    assert checked and checked[0] == batch_rows  # the late rows were in the night's batch
    done = run_dbt(["build"], url, tmp_path / "n3")
    assert done.returncode == 0, done.stdout[-3000:]
    assert _visits(url, NIGHTS[1]) == (full["numerator"], full["denominator"])
    # the report keeps the gap: that night shows the delivery as late, then loaded
    with psycopg.connect(url) as conn:
        dq = data_quality(conn, NIGHTS[2])
    html = render(NIGHTS[2], "county", [], [], dq, {})
    assert dq.status[(late_facility, NIGHTS[1])] == "loaded"
    assert 'class="s-late_loaded"' in html and "late ✓" in html
