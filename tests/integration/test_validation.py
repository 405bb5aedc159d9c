"""The Great Expectations gate on real data (GX in the database, real PostgreSQL): the raw
suites pass an ordinary night; a facility sending half its usual volume, or fewer valid ID
numbers than its own threshold in the county config, fails the night by name, while the
county as a whole would pass; every run writes GX Data Docs that open without the internet."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import psycopg
import pytest

from countyhealth.config import load_config
from countyhealth.ingest import ingest_night
from countyhealth.synth import DefectRates, generate
from countyhealth.validate import ValidationFailed, run_layer, validate

from ..databases import create_database

START = dt.date(2026, 3, 1)
NIGHTS = [START + dt.timedelta(days=i) for i in range(4)]
EXPECTATIONS = Path(__file__).parents[2] / "expectations"
# what a browser would fetch: a script or stylesheet from the internet
REMOTE = re.compile(r"<(?:script|link)\b[^>]*(?:src|href)=[\"']?https?://[^\s\"'>]+", re.I)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, server_url):
    work = tmp_path_factory.mktemp("validation")
    county = generate(work / "county", population=20000, days=len(NIGHTS), start=START,
                      seed=8, townships=2, villages_per_township=2,
                      defects=DefectRates.parse("late_deliveries=0,truncated_files=0"))
    config = load_config(county.config_path)
    url = create_database(server_url)
    for night in NIGHTS:
        with psycopg.connect(url) as conn:
            ingest_night(conn, config, county.landing, night)
            conn.commit()
    return url, config


def _failed(outcomes, expectation: str = "unexpected_rows_expectation"):
    return [o for o in outcomes if not o.success and o.expectation == expectation]


def test_an_ordinary_night_passes_and_writes_offline_data_docs(warehouse, tmp_path):
    url, config = warehouse
    docs = tmp_path / "gx-docs"
    outcomes = validate("raw", url, NIGHTS[-1], EXPECTATIONS, config.thresholds,
                        facility_thresholds={f.code: f.thresholds for f in config.facilities},
                        docs_dir=docs)
    assert len(outcomes) > 40 and all(o.success for o in outcomes)
    pages = list(docs.rglob("*.html"))
    assert (docs / "index.html").is_file() and len(pages) > 9
    remote = [(p.name, m) for p in pages for m in REMOTE.findall(p.read_text(encoding="utf-8"))]
    assert not remote, remote[:3]


def test_a_half_empty_export_fails_the_volume_check_by_facility(warehouse):
    url, config = warehouse
    with psycopg.connect(url) as conn:
        kept = conn.execute("select count(*) from raw.encounters where _facility = 'H001' "
                            "and _export_date = %s", (NIGHTS[-1],)).fetchone()[0]
        assert kept >= 20
        conn.execute("create table public.held_back as select * from raw.encounters where "
                     "_facility = 'H001' and _export_date = %s and _position %% 10 <> 0",
                     (NIGHTS[-1],))
        conn.execute("delete from raw.encounters where (_facility, _export_date, _position) in "
                     "(select _facility, _export_date, _position from public.held_back)")
        conn.commit()
        try:
            with pytest.raises(ValidationFailed) as failed:
                validate("raw", url, NIGHTS[-1], EXPECTATIONS, config.thresholds,
                         facility_thresholds={f.code: {} for f in config.facilities})
        finally:
            conn.execute("insert into raw.encounters select * from public.held_back")
            conn.execute("drop table public.held_back")
            conn.commit()
    message = str(failed.value)
    assert message.startswith("1 of ") and "raw.encounters" in message
    assert "'H001'" in message or '"H001"' in message  # the facility, by name


def test_a_facility_threshold_fails_that_facility_only(warehouse):
    url, config = warehouse
    with psycopg.connect(url) as conn:
        (facility,) = conn.execute("select _facility from raw.patients where _export_date = %s "
                                   "group by 1 order by count(*) desc, 1 limit 1",
                                   (NIGHTS[-1],)).fetchone()
    strict = {f.code: {} for f in config.facilities}
    strict[facility] = {"min_valid_id_share": 1.01}  # no facility can meet it
    outcomes = run_layer("raw", url, NIGHTS[-1], EXPECTATIONS, config.thresholds,
                         facility_thresholds=strict)
    failed = _failed(outcomes)
    assert len(failed) == 1 and failed[0].table == "raw.patients"
    assert [r["facility"] for r in failed[0].observed["unexpected_rows"]] == [facility]
    county_share = [o for o in outcomes if o.expectation == "expect_column_values_to_match_regex"]
    assert county_share and all(o.success for o in county_share)


def test_a_nights_new_rows_are_validated_from_a_copy_dropped_after(warehouse, tmp_path):
    """A marts suite with `batch: new` checks the rows of batches after the last
    publication, copied into an analysed table (the table's own statistics, as they are
    between a night's insert and autovacuum, know no new batch): a duplicate among the new
    rows fails the check and is shown, an old one is not the night's to find, and the copy
    of the rows is gone after the run."""
    url, _ = warehouse
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "t.json").write_text(json.dumps({
        "name": "marts.t_ehr.registration",
        "meta": {"table": "t_ehr.registration", "batch": "new", "defaults": {}},
        "expectations": [{"type": "expect_compound_columns_to_be_unique",
                          "kwargs": {"column_list": ["person_key", "facility_code"]}}]}))
    with psycopg.connect(url, autocommit=True) as conn:
        published = conn.execute("select max(batch_id) from ingest.runs").fetchone()[0]
        conn.execute("create schema t_ehr; create table t_ehr.registration "
                     "(person_key text, facility_code text, batch_id bigint)")
        conn.execute("insert into t_ehr.registration select 'p' || i, 'T1', 1 "
                     "from generate_series(1, 5000) i union all select 'p1', 'T1', 1")
        conn.execute("analyze t_ehr.registration")
        conn.execute("insert into t_ehr.registration select 'n' || i, 'T1', %s "
                     "from generate_series(1, 300) i union all select 'n7', 'T1', %s",
                     (published + 1, published + 1))
        conn.execute("insert into ingest.publications (export_date, schemas) "
                     "values (%s, '{ehr}')", (NIGHTS[-1],))
    try:
        outcomes = run_layer("marts", url, NIGHTS[-1], tmp_path)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("delete from ingest.publications; drop schema t_ehr cascade")
            left = conn.execute("select count(*) from pg_class where relnamespace = "
                                "'chw_validation'::regnamespace and relname like 't_ehr%%'"
                                ).fetchone()[0]
    [outcome] = outcomes
    assert not outcome.success
    assert outcome.observed["unexpected_count"] == 2  # n7 twice; p1's pair is published
    assert left == 0


def test_the_summarys_suite_fails_an_empty_summary_and_passes_a_night_run_again(warehouse,
                                                                                tmp_path):
    """The summary's suite reads the rows written since the last publication, and a
    published night run again writes none: its emptiness check reads the table itself. The
    check as committed (expectations/marts) fails an empty summary by name and passes a
    published summary that got no new row."""
    url, _ = warehouse
    suite = json.loads((EXPECTATIONS / "marts" / "quality.indicator_summary.json").read_text())
    suite["expectations"] = [e for e in suite["expectations"]
                             if "is empty" in e["kwargs"].get("unexpected_rows_query", "")]
    assert len(suite["expectations"]) == 1
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "quality.indicator_summary.json").write_text(json.dumps(suite))
    with psycopg.connect(url, autocommit=True) as conn:
        published = conn.execute("select max(batch_id) from ingest.runs").fetchone()[0]
        conn.execute("create schema quality; create table quality.indicator_summary "
                     "(indicator_id text, value numeric, batch_id bigint)")
        conn.execute("insert into ingest.publications (export_date, schemas) "
                     "values (%s, '{quality}')", (NIGHTS[-1],))
    try:
        empty = run_layer("marts", url, NIGHTS[-1], tmp_path)
        with psycopg.connect(url, autocommit=True) as conn:  # published, nothing new since
            conn.execute("insert into quality.indicator_summary values ('x', 0.5, %s)",
                         (published,))
        again = run_layer("marts", url, NIGHTS[-1], tmp_path)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("delete from ingest.publications; drop schema quality cascade")
    [failed] = empty
    assert not failed.success
    assert [r["problem"] for r in failed.observed["unexpected_rows"]] == ["the summary is empty"]
    assert [o.success for o in again] == [True]
