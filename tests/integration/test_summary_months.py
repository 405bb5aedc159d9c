"""quality.indicator_summary writes again only the months whose cells moved (and the same
months a year later, whose growth compares with them), the indicators summed from their
own rows whole, and everything on the upgrade night or when a row table summed all its
cells again (macros/summary_incremental.sql). test_incremental proves the nights end
where a full build does; this proves which rows a run leaves alone.

Real dbt on the real embedded PostgreSQL, a generated county of two nights across a
month's end."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psycopg
import pytest

from countyhealth.dbt_group import run_dbt
from countyhealth.synth import generate

from ..databases import create_database
from ..nights import dbt_build, ingest

START = dt.date(2026, 3, 31)
NIGHTS = [START, START + dt.timedelta(days=1)]
SUMMARY = "quality__candidate.indicator_summary"
VISITS_MOVED = "quality__candidate.indicator_visits__cells_moved"
SETTLEMENTS_MOVED = "quality__candidate.indicator_settlements__cells_moved"
FROM_VISIT_CELLS = ("primary_care_visit_share", "tcm_visit_share")
FROM_SETTLEMENT_CELLS = ("in_county_care_rate", "fund_in_county_share")
FROM_OWN_ROWS = ("repeat_test_rate", "hospitalisation_rate")  # a part summed from its rows
NEVER_MOVED = 10**9  # a batch after any the county loads


@pytest.fixture(scope="module")
def built(tmp_path_factory, server_url):
    """A warehouse built night by night (the candidate schemas, no publication), without
    dbt's data tests (tests/nights.py: dbt_build)."""
    county = generate(tmp_path_factory.mktemp("summary") / "c", population=2500,
                      days=len(NIGHTS), start=START, seed=31, townships=2,
                      villages_per_township=2)
    url = create_database(server_url)
    work = tmp_path_factory.mktemp("summary-dbt")
    for i, night in enumerate(NIGHTS):
        ingest(url, county, night)
        dbt_build(url, work / f"night{i}", data_tests=False)
    return url, work


def _dbt(args: list[str], url: str, work: Path) -> None:
    done = run_dbt(args, url, work)
    assert done.returncode == 0, done.stdout[-5000:]


def _rows(url: str) -> dict[tuple, tuple[str, str]]:
    """Each summary row by its key: (its contents, its xmin: new when a run wrote it)."""
    with psycopg.connect(url) as conn:
        return {(r[0], r[1], r[2], r[3], r[4]): (r[5], r[6]) for r in conn.execute(
            "select indicator_id, period_grain, period_start, breakdown, breakdown_value, "
            f"(to_jsonb(s) - 'batch_id')::text, xmin::text from {SUMMARY} s")}


def _rewritten(before: dict, after: dict, indicators: tuple[str, ...],
               month: dt.date | None = None) -> tuple[int, int]:
    """Of the rows of `indicators` (in `month`, or every month): how many a run wrote
    again, and how many it left."""
    keys = [k for k in after if k[0] in indicators
            and (month is None or k[2].replace(day=1) == month)]
    assert keys, (indicators, month)  # rows to look at
    again = sum(after[k][1] != before[k][1] for k in keys)
    return again, len(keys) - again


def _run_summary(url: str, work: Path) -> None:
    _dbt(["run", "--select", "indicator_summary"], url, work)


def _forget_made_up_moves(url: str) -> None:
    """Take back the moves a test wrote (batches after any loaded: every run after would
    see them as new)."""
    with psycopg.connect(url) as conn:
        for moved in (VISITS_MOVED, SETTLEMENTS_MOVED):
            conn.execute(f"delete from {moved} where batch_id >= %s", (NEVER_MOVED,))


def test_a_run_writes_again_only_the_months_whose_cells_moved(built, tmp_path):
    url, _ = built
    march, april = dt.date(2026, 3, 1), dt.date(2026, 4, 1)
    # nothing new: the months of the cell-based indicators stay, the others are rewritten
    before = _rows(url)
    _run_summary(url, tmp_path / "nothing")
    after = _rows(url)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert _rewritten(before, after, FROM_VISIT_CELLS + FROM_SETTLEMENT_CELLS)[0] == 0
    assert _rewritten(before, after, FROM_OWN_ROWS)[1] == 0

    # the visits' cells of March last year moved: March this year (its growth) is written
    # again for the visit-based indicators, April and the settlement-based ones stay
    with psycopg.connect(url) as conn:
        conn.execute(f"insert into {VISITS_MOVED} values ('2025-03-01', %s)", (NEVER_MOVED,))
    before = after
    _run_summary(url, tmp_path / "last-march")
    after = _rows(url)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert _rewritten(before, after, FROM_VISIT_CELLS, march)[1] == 0
    assert _rewritten(before, after, FROM_VISIT_CELLS, april)[0] == 0
    assert _rewritten(before, after, FROM_SETTLEMENT_CELLS)[0] == 0

    # a row table that summed all its cells again ('-infinity'): every row written again
    with psycopg.connect(url) as conn:
        conn.execute(f"insert into {SETTLEMENTS_MOVED} values ('-infinity', %s) on conflict "
                     "(period_month) do update set batch_id = excluded.batch_id",
                     (NEVER_MOVED + 1,))
    before = after
    _run_summary(url, tmp_path / "all-months")
    after = _rows(url)
    assert after.keys() == before.keys()
    assert all(after[k][1] != before[k][1] for k in after)


def test_the_upgrade_night_writes_every_row_and_restores_the_indexes(built, tmp_path):
    """A summary from before (rebuilt whole each night: no batch_id) takes the column, every
    row written again, and gets its indexes."""
    url, _ = built
    with psycopg.connect(url) as conn:
        conn.execute(f"alter table {SUMMARY} drop column batch_id")  # and its index
        for (name,) in conn.execute("select indexname from pg_indexes where schemaname = "
                                    "'quality__candidate' and tablename = 'indicator_summary'"
                                    ).fetchall():
            conn.execute(f'drop index quality__candidate."{name}"')
    before = _rows(url)
    _run_summary(url, tmp_path / "upgrade")
    after = _rows(url)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    assert all(after[k][1] != before[k][1] for k in after)
    with psycopg.connect(url) as conn:
        indexes = [d for (d,) in conn.execute(
            "select indexdef from pg_indexes where schemaname = 'quality__candidate' "
            "and tablename = 'indicator_summary'")]
        missing = conn.execute(f"select count(*) from {SUMMARY} where batch_id is null")
        assert missing.fetchone()[0] == 0
    assert any(d.endswith("(batch_id)") for d in indexes), indexes
    assert any("UNIQUE" in d and "breakdown_value" in d for d in indexes), indexes


def test_an_edited_target_rewrites_its_indicator_whole(built, tmp_path):
    """A county edits a target (seeds/indicator_definitions.csv, in chw_reference once
    seeded): every row of that indicator is written again with it, no cell having moved."""
    url, _ = built
    _forget_made_up_moves(url)
    edited, other = FROM_VISIT_CELLS
    _run_summary(url, tmp_path / "settled")  # a run that writes what the last one left
    before = _rows(url)
    with psycopg.connect(url) as conn:
        conn.execute("update chw_reference.indicator_definitions set target = 0.42 "
                     "where indicator_id = %s", (edited,))
    _run_summary(url, tmp_path / "target")
    after = _rows(url)
    assert _rewritten(before, after, (edited,))[1] == 0
    assert _rewritten(before, after, (other,))[0] == 0
    with psycopg.connect(url) as conn:
        targets = conn.execute(f"select distinct target from {SUMMARY} where indicator_id = %s",
                               (edited,)).fetchall()
    assert [float(t) for (t,) in targets] == [0.42]
