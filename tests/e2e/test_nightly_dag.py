"""The real DAG (airflow dags test), end to end, on the embedded warehouse.

Two good nights are published and checked against counts computed independently from the
generated files; then a third night whose ID numbers are garbage must fail GX's raw suite,
name the failed expectation, and leave the published data exactly as it was.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import signal
from pathlib import Path

import psycopg
import pytest

from countyhealth.cli import main
from countyhealth.config import settings
from countyhealth.runner import logical_date_for, run_night
from countyhealth.synth import generate
from countyhealth.warehouse import database_url

from ..airflow_server import AirflowServer
from ..browser import measure_report
from ..databases import create_database, published_digest
from .expected import expected

pytestmark = pytest.mark.e2e

START = dt.date(2026, 3, 1)
NIGHTS = [START, START + dt.timedelta(days=1)]
BAD_NIGHT = START + dt.timedelta(days=2)


@pytest.fixture(scope="module")
def county(chw_home: Path):
    return generate(chw_home / "e2e_county", population=4000, days=3, start=START, seed=11,
                    townships=2, villages_per_township=2, hospital_format="csv")


@pytest.fixture(scope="module")
def two_nights(county, server_url):
    results = [run_night(n, county.config_path, county.landing) for n in NIGHTS]
    for r in results:
        assert r.ok, f"night {r.export_date} failed; see {r.log_path}: {r.failure_lines}"
    return results


def test_every_task_ran_including_cosmos_dbt_tasks(two_nights):
    tasks = two_nights[-1].tasks
    for t in ("wait_for_deliveries", "ingest", "validate_raw", "dbt_prepare", "dbt_quality",
              "validate_marts", "publish", "report"):
        assert tasks.get(t) == "success"
    assert tasks.get("vacuum_after_backfill") == "skipped"  # one night: autovacuum's work
    dbt_tasks = [t for t in tasks if t.startswith("dbt_build.")]
    # one `dbt build` task per intermediate, ehr and pii model (its tests included); tests
    # that span two models run on their own once both exist; seeds and staging views in
    # dbt_prepare, the quality marts in dbt_quality (src/countyhealth/dbt_group.py)
    assert any(t.endswith("encounter_model_build") for t in dbt_tasks)
    assert not any(t.endswith("_seed_build") or t.startswith("dbt_build.stg_")
                   for t in dbt_tasks)
    assert any(t.startswith("dbt_build.relationships_") and t.endswith("_test")
               for t in dbt_tasks)
    assert all(tasks[t] == "success" for t in dbt_tasks)
    # every dbt task of the second night starts from the parse the task before it left,
    # dbt_prepare (the first) from the first night's (dbt_group.parse_cache_dir)
    log = two_nights[-1].log_path.read_text(encoding="utf-8", errors="replace")
    assert "Unable to do partial parsing" not in log, [
        line for line in log.splitlines() if "Unable to do partial parsing" in line]


def test_published_marts_match_counts_from_the_files(county, two_nights):
    exp = expected(county.config_path, county.landing, NIGHTS)
    with psycopg.connect(database_url()) as conn:
        levels = conn.execute("select visit_date, facility_level, visits, admissions "
                              "from quality.visits_by_level_daily").fetchall()
        daily = conn.execute("select period_start, numerator, denominator from "
                             "quality.indicator_summary where indicator_id = "
                             "'primary_care_visit_share' and period_grain = 'day' "
                             "and breakdown = 'county'").fetchall()
        patients = conn.execute("select count(*) from ehr.patient").fetchone()[0]
        candidates = {n for (n,) in conn.execute(
            "select nspname from pg_namespace where nspname like '%%__candidate'")}
    assert {(d, lvl): v for d, lvl, v, _ in levels if v} == dict(exp["visits"])
    assert {(d, lvl): a for d, lvl, _, a in levels if a} == dict(exp["admissions"])
    for day, num, den in daily:
        primary = sum(v for (d, lvl), v in exp["visits"].items()
                      if d == day and lvl in ("township_center", "village_clinic"))
        total = sum(v for (d, _), v in exp["visits"].items() if d == day)
        assert (num, den) == (primary, total)
    assert {d for d, _, _ in daily} == {d for d, _ in exp["visits"]}
    # one row per resident: the people behind the delivered registrations, by the truth;
    # the EMPI may leave a few identities unlinked (docs/identity.md), never many
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    people = {truth["identities"][i] for i in exp["identities"]}
    assert len(people) <= patients <= len(people) * 1.005 + 2
    # swapped in, nothing left half-published; the retired ehr and quality are kept as
    # the next night's incremental candidates (docs/ehr.md, docs/indicators.md), one
    # night behind what is published
    assert candidates == {"ehr__candidate", "quality__candidate"}
    with psycopg.connect(database_url()) as conn:
        kept, published = (conn.execute(f"select max(batch_id) from {s}.encounter").fetchone()[0]
                           for s in ("ehr__candidate", "ehr"))
        kept_months, published_months = (conn.execute(
            f"select max(batch_id) from {s}.indicator_contracted_residents").fetchone()[0]
            for s in ("quality__candidate", "quality"))
    assert kept < published and kept_months < published_months


def test_published_marts_match_the_generators_truth(county, two_nights):
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    as_of = truth["as_of"][NIGHTS[-1].isoformat()]  # what a run of the last night publishes
    with psycopg.connect(database_url()) as conn:
        levels = conn.execute("select visit_date, facility_level, visits from "
                              "quality.visits_by_level_daily where visits > 0").fetchall()
        share = conn.execute("select period_start, numerator, denominator, value from "
                             "quality.indicator_summary where period_grain = 'day' and "
                             "indicator_id = 'primary_care_visit_share' and "
                             "breakdown = 'county'").fetchall()
    assert {f"{d.isoformat()}|{lvl}": v for d, lvl, v in levels} == as_of["visits_by_level_daily"]
    expected_share = as_of["primary_care_visit_share_daily"]
    assert {d.isoformat(): {"numerator": n, "denominator": den, "value": float(v)}
            for d, n, den, v in share} == expected_share


def _kill_run(export_date: dt.date) -> None:
    """SIGKILL the `airflow dags test` process of the night (dbt and GX run inside it)."""
    pattern = f"dags test county_health_nightly {logical_date_for(export_date)}"
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if proc.name.isdigit() and pattern in cmdline:
            os.kill(int(proc.name), signal.SIGKILL)


def test_a_killed_run_publishes_nothing(county, two_nights):
    """Killed in the middle of dbt (half the candidate models rebuilt, the rest not): what
    is published stays exactly as it was (the next test runs the night again)."""
    night = NIGHTS[-1]
    before = published_digest(database_url())
    started = []

    def kill_mid_dbt(line: str) -> None:
        if "[DAG TEST] starting task_id=dbt_build." in line:
            started.append(line)
            if len(started) == 14:  # of some thirty
                _kill_run(night)

    killed = run_night(night, county.config_path, county.landing, kill_mid_dbt)
    built = [t for t, state in killed.tasks.items() if t.startswith("dbt_build.")
             and state == "success"]
    assert not killed.ok and len(built) >= 12
    assert "dbt_quality" not in killed.tasks and "publish" not in killed.tasks
    assert published_digest(database_url()) == before


def test_the_server_reruns_the_night_through_its_rest_api_and_changes_nothing(
        county, two_nights, server_url, chw_home):
    """The province-scale server (api-server, scheduler, dag-processor, triggerer; the
    CeleryExecutor with a Redis broker and two Celery workers; metadata in PostgreSQL)
    started as processes: an operator logs in to the REST API and triggers the night the
    killed run left half-built. Both workers run its tasks; it succeeds, and what is
    published is exactly what it was: re-running a night changes nothing, and ingest loads
    nothing twice."""
    if shutil.which("redis-server") is None:
        pytest.skip("Debian's redis-server is not installed on this machine (make test "
                    "installs it)")
    night = NIGHTS[-1]
    before = published_digest(database_url())
    publications = _publications(night)
    metadata = create_database(server_url, "airflow_server_metadata")
    server = AirflowServer(chw_home / "airflow-server", metadata, database_url(),
                           county.config_path, county.landing, workers=2)
    try:
        server.start()
        run_id = server.trigger("county_health_nightly",
                                {"export_date": night.isoformat(), "delivery_wait_minutes": 0})
        state = server.wait_for_run("county_health_nightly", run_id)
        tasks = server.task_states("county_health_nightly", run_id)
        received = [server.worker_log(n).count("] received") for n in (1, 2)]
    finally:
        server.stop()
    assert all(received) and sum(received) >= len(tasks), received  # each worker ran tasks
    assert state == "success", {t: s for t, s in tasks.items() if s != "success"}
    assert tasks["publish"] == "success" and tasks["report"] == "success"
    assert published_digest(database_url()) == before
    with psycopg.connect(database_url()) as conn:
        last = conn.execute("select max(batch_id) from ingest.runs where export_date = %s",
                            (night,)).fetchone()[0]
        loaded = conn.execute("select count(*) from ingest.files where batch_id = %s",
                              (last,)).fetchone()[0]
    assert loaded == 0 and _publications(night) == publications + 1  # published again,
    # nothing loaded twice


def _publications(night: dt.date) -> int:
    with psycopg.connect(database_url()) as conn:
        return conn.execute("select count(*) from ingest.publications where export_date = %s",
                            (night,)).fetchone()[0]


def test_pii_stays_out_of_published_schemas(two_nights):
    with psycopg.connect(database_url()) as conn:
        cols = {r[0] for r in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema in ('ehr', 'quality')").fetchall()}
    assert not cols & {"id_number", "patient_name", "name", "phone"}


def test_failing_expectation_blocks_publishing(county, two_nights):
    before = published_digest(database_url())
    for facility in ("H001", "T001", "T002"):
        folder = county.landing / facility / BAD_NIGHT.isoformat()
        data = (folder / "patients.csv").read_bytes()
        encoding = "gb18030" if facility.startswith("T") else "utf-8"
        lines = data.decode(encoding).split("\r\n")
        out = [lines[0]]
        for line in lines[1:]:
            if line:
                fields = line.split(",")
                fields[2] = "UNKNOWN"  # id_number column in every style
                line = ",".join(fields)
            out.append(line)
        new = "\r\n".join(out).encode(encoding)
        (folder / "patients.csv").write_bytes(new)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        for f in manifest["files"]:
            if f["name"] == "patients.csv":
                f["sha256"] = hashlib.sha256(new).hexdigest()
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")

    result = run_night(BAD_NIGHT, county.config_path, county.landing)

    assert not result.ok
    assert result.tasks.get("validate_raw") == "failed"
    assert "publish" not in result.tasks or result.tasks["publish"] != "success"
    message = "\n".join(result.failure_lines)
    assert "expect_column_values_to_match_regex" in message and "raw.patients" in message
    assert published_digest(database_url()) == before
    with psycopg.connect(database_url()) as conn:
        last = conn.execute("select max(export_date) from ingest.publications").fetchone()[0]
        failed = conn.execute("select count(*) from ingest.validation_results where "
                              "export_date = %s and not success", (BAD_NIGHT,)).fetchone()[0]
        recorded = conn.execute("select task_id, error from ingest.task_failures where "
                                "export_date = %s", (BAD_NIGHT,)).fetchall()
    assert last == NIGHTS[-1]
    assert failed >= 1
    # the DAG's failure callback wrote the failure where operators look
    assert [t for t, _ in recorded] == ["validate_raw"]
    assert "expect_column_values_to_match_regex" in recorded[0][1]


def test_late_and_truncated_deliveries_do_not_block_the_night(county, two_nights):
    """The bad night above ran ingest before failing: the generator's late delivery was
    reported missing (no waiting in a manual run) and its truncated file held back."""
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    with psycopg.connect(database_url()) as conn:
        status = dict(conn.execute("select facility_code, status from ingest.deliveries "
                                   "where export_date = %s", (BAD_NIGHT,)).fetchall())
    for held in truth["held_deliveries"]:
        assert status[held["facility"]] == ("missing" if held["why"] == "late" else "held")
    assert sum(s == "loaded" for s in status.values()) >= 3


def test_report_task_writes_a_report_that_opens_offline_with_its_charts(two_nights):
    """The DAG's last task wrote the HTML report with dbt docs beside it; headless Chromium
    opens it with nothing but file: URLs and lays out one chart per indicator: a line where a
    daily indicator has two nights, the target where one is set."""
    night = NIGHTS[-1].isoformat()
    path = settings().reports_dir / night / "index.html"
    assert two_nights[-1].tasks.get("dbt_quality") == "success"
    assert path.is_file() and (path.parent / "dbt-docs" / "index.html").is_file()
    assert (path.parent / "gx-docs" / "index.html").is_file()  # GX Data Docs, both layers
    html = path.read_text(encoding="utf-8")
    assert 'href="gx-docs/index.html"' in html and 'href="dbt-docs/index.html"' in html
    page = measure_report(path)
    assert night in page["title"] and page["scripts"] == 0
    assert all(url.startswith(("file:", "data:")) for url in page["requests"])
    with psycopg.connect(database_url()) as conn:
        defined = dict(conn.execute("select indicator_id, target from "
                                    "chw_reference.indicator_definitions").fetchall())
        # the points each chart must show: days with a value (daily indicators), else months
        published = dict(conn.execute(
            "select indicator_id, case when bool_or(period_grain = 'day') "
            "then count(value) filter (where period_grain = 'day') "
            "else count(value) filter (where period_grain = 'month') end "
            "from quality.indicator_summary where breakdown = 'county' group by 1"))
    cards = {c["id"]: c for c in page["cards"]}
    assert set(cards) == set(defined)
    assert any(n >= 2 for n in published.values())
    for indicator, points in published.items():
        card = cards[indicator]
        assert card["width"] > 300 and card["height"] > 100, card
        assert card["points"] == points, card
        if points >= 2:
            assert card["line"] > 50, card
        if defined[indicator] is not None:
            assert card["target"] == 1, card
    assert len(page["tables"]) >= 4 and min(page["tables"]) >= 2  # leagues, deliveries, ...


def test_chw_report_rebuilds_the_last_published_night(two_nights, capsys):
    path = settings().reports_dir / NIGHTS[-1].isoformat() / "index.html"
    path.unlink()
    assert main(["report", "--no-dbt-docs"]) == 0
    assert capsys.readouterr().out.strip().endswith(str(path)) and path.is_file()


def test_analyst_examples_run_on_the_published_warehouse(two_nights):
    """Every SQL example of docs/analysts.md runs as written and returns rows (unless it
    says it may be empty), so the guide stays true as the schemas change."""
    text = (settings().project_dir / "docs" / "analysts.md").read_text(encoding="utf-8")
    examples = re.findall(r"```sql\n(.*?)```", text, flags=re.S)
    assert len(examples) >= 10
    with psycopg.connect(database_url()) as conn:
        for sql in examples:
            rows = conn.execute(sql).fetchall()
            assert rows or sql.lstrip().startswith("-- empty"), sql
