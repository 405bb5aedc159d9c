"""The real DAG on a county whose hospitals send HL7 v2 (ADT, ORU) and FHIR R4 (NDJSON,
Bundle), townships GBK CSV, with the generator's defects (a late delivery, a truncated
file), its three nights loaded by ONE backfill run (`backfill_from`): the published marts
equal truth.json's answers as of the last night, as if each night had run on its own."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import psycopg
import pytest

from countyhealth.runner import run_night
from countyhealth.synth import generate

from ..indicator_truth import assert_indicator_matches, published_indicators

pytestmark = pytest.mark.e2e

FIRST = dt.date(2026, 4, 1)  # nights of their own in Airflow's metadata
NIGHT = FIRST + dt.timedelta(days=2)


@pytest.fixture(scope="module")
def native_db(server_url: str):
    """A database of its own on the session's warehouse, used through CHW_DATABASE_URL."""
    base = server_url.rsplit("/", 1)[0]
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute("drop database if exists chw_native with (force)")
        conn.execute("create database chw_native")
    url = f"{base}/chw_native"
    old = os.environ.get("CHW_DATABASE_URL")
    os.environ["CHW_DATABASE_URL"] = url
    yield url
    if old is None:
        os.environ.pop("CHW_DATABASE_URL", None)
    else:
        os.environ["CHW_DATABASE_URL"] = old


def test_native_formats_publish_the_truth(chw_home: Path, native_db: str):
    county = generate(chw_home / "native_county", population=5000, days=3, start=FIRST,
                      seed=23, townships=2, villages_per_township=3)
    result = run_night(NIGHT, county.config_path, county.landing, backfill_from=FIRST)
    assert result.ok, f"see {result.log_path}: {result.failure_lines}"
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    as_of = truth["as_of"][NIGHT.isoformat()]
    with psycopg.connect(native_db) as conn:
        formats = dict(conn.execute("select format, sum(rows_loaded) from ingest.files "
                                    "group by 1").fetchall())
        levels = conn.execute("select visit_date, facility_level, visits, admissions from "
                              "quality.visits_by_level_daily").fetchall()
        share = conn.execute("select period_start, numerator, denominator from "
                             "quality.indicator_summary where period_grain = 'day' and "
                             "indicator_id = 'primary_care_visit_share' and "
                             "breakdown = 'county'").fetchall()
        indicators = published_indicators(conn)
        status = dict(conn.execute("select facility_code, status from ingest.deliveries "
                                   "where export_date = %s", (NIGHT,)).fetchall())
        runs = conn.execute("select export_date from ingest.runs order by batch_id").fetchall()
        metrics = dict(conn.execute("select task_id, peak_rss_mb from ingest.task_runs "
                                    "where peak_since_task_start").fetchall())
        # the backfill vacuumed and analyzed what it wrote, once, as its last task: the
        # loaded raw tables, the published marts and the next night's candidates
        unvacuumed = conn.execute(
            "select schemaname || '.' || relname from pg_stat_user_tables "
            "where schemaname in ('raw', 'ehr', 'ehr__candidate', 'quality__candidate') "
            "and n_live_tup > 0 and (last_vacuum is null or last_analyze is null)").fetchall()
        vacuumed = conn.execute(
            "select count(*) from pg_stat_user_tables where schemaname = 'ehr__candidate' "
            "and last_vacuum is not null").fetchone()[0]
    # one batch per night, oldest first, all in the one run; every task's cost recorded
    assert [r[0] for r in runs] == [FIRST + dt.timedelta(days=n) for n in range(3)]
    assert set(metrics) == {t for t, state in result.tasks.items() if state == "success"}
    assert result.tasks["vacuum_after_backfill"] == "success"
    assert unvacuumed == [] and vacuumed > 5
    assert all(mb > 50 for mb in metrics.values())  # a Python process holding Airflow
    assert formats.get("hl7v2", 0) > 0 and formats.get("fhir-r4", 0) > 0
    assert {f"{d.isoformat()}|{lvl}": v for d, lvl, v, _ in levels if v} == \
        as_of["visits_by_level_daily"]
    assert {f"{d.isoformat()}|{lvl}": a for d, lvl, _, a in levels if a} == \
        as_of["admissions_by_level_daily"]
    assert {d.isoformat(): (n, den) for d, n, den in share} == {
        d: (v["numerator"], v["denominator"])
        for d, v in as_of["primary_care_visit_share_daily"].items()}
    # every indicator, from HL7 v2, FHIR R4 and CSV alike
    for indicator in truth["as_of"][NIGHT.isoformat()]["quality"]:
        assert_indicator_matches(indicators, truth, NIGHT.isoformat(), indicator)
    for held in truth["held_deliveries"]:
        assert status[held["facility"]] == ("missing" if held["why"] == "late" else "held")
