"""Every indicator of quality.indicator_summary equals what the generator knows happened
(truth.json), county-wide and by month, after real ingest and a real dbt build on the
embedded PostgreSQL: four nights with corrections, cancellations, quarantined rows, care
outside the county and a late and a truncated delivery on the last night. (People-counting
indicators: within what the injected ID defects explain; tests/indicator_truth.py.)"""

from __future__ import annotations

import datetime as dt
import json

import psycopg
import pytest

from countyhealth.dbt_group import run_dbt
from countyhealth.synth import generate
from countyhealth.synth.truth_indicators import PERSON_BASED

from ..databases import create_database
from ..indicator_truth import assert_indicator_matches, identity_slack, published_indicators
from ..nights import dbt_build, ingest

START = dt.date(2026, 3, 1)
NIGHTS = [START + dt.timedelta(days=i) for i in range(4)]
RECORD_BASED = ("in_county_care_rate", "in_county_admission_share",
                "primary_care_visit_share", "fund_in_county_share", "fund_primary_care_share",
                "inpatient_cost_per_admission", "tcm_visit_share", "upward_referrals",
                "downward_referrals", "upward_referral_share")


@pytest.fixture(scope="module")
def built(tmp_path_factory, server_url):
    work = tmp_path_factory.mktemp("indicators")
    county = generate(work / "county", population=4000, days=len(NIGHTS), start=START,
                      seed=5, townships=2, villages_per_township=3)
    url = create_database(server_url)
    for night in NIGHTS:
        ingest(url, county, night)
    dbt_build(url, work)
    truth = json.loads((county.out / "truth.json").read_text(encoding="utf-8"))
    with psycopg.connect(url) as conn:
        return truth, published_indicators(conn, "quality__candidate"), url, work


def test_every_indicator_with_data_is_published(built):
    truth, published, _, _ = built
    assert set(published) == set(truth["as_of"][NIGHTS[-1].isoformat()]["quality"])
    assert len(published) >= 18
    assert identity_slack(truth) > 0  # the ID defects the people-counting ones allow for


@pytest.mark.parametrize("indicator", RECORD_BASED + PERSON_BASED)
def test_indicator_equals_the_truth(built, indicator):
    truth, published, _, _ = built
    assert_indicator_matches(published, truth, NIGHTS[-1].isoformat(), indicator)


# the population by running totals, against the resident-months it replaced, counted with
# age(): every resident of every month once, by township and by the seed's ages
RESIDENT_MONTHS = """
select month_start, township_code, min_age, count(*)
from quality__candidate.indicator_residents
cross join (select null::int as min_age
            union select min_age from chw_reference.chronic_prevalence) as ages
where ages.min_age is null or age_years >= ages.min_age
group by month_start, township_code, min_age
"""
POPULATION = ("select month_start, township_code, min_age, residents "
              "from quality__candidate.indicator_population")


def test_the_population_counts_each_resident_month_once(built):
    """Last in this module: it adds residents to the candidate ehr.patient. On the county,
    then with residents at the edges of each month's measuring day (dead on it, born on it,
    born after it, 18 on it, 18 the day after, a leap-day birthday, no birth date, no
    township), indicator_population counts what indicator_residents lists."""
    _, _, url, work = built
    with psycopg.connect(url) as conn:
        assert _counts(conn, POPULATION) == _counts(conn, RESIDENT_MONTHS)
        days = [d for (d,) in conn.execute(
            "select as_of_date from quality__candidate.indicator_months order by 1")]
        conn.execute("create temp table edge as select * from ehr__candidate.patient "
                     "where lives_in_county limit 1")
        cases = [(None, None, "T"), (dt.date(2000, 2, 29), None, "T")]
        for day in days:
            adult = day.replace(year=day.year - 18)
            cases += [(dt.date(1960, 1, 1), day, "T"), (day, None, "T"),
                      (day + dt.timedelta(days=1), None, "T"), (adult, None, "T"),
                      (adult + dt.timedelta(days=1), None, "T"), (adult, day, None),
                      (None, day + dt.timedelta(days=1), None)]
        for n, (born, dead, township) in enumerate(cases):
            conn.execute("update edge set person_key = %s, birth_date = %s, death_date = %s, "
                         "township_code = case when %s::text is null then null "
                         "else township_code end",
                         (f"edge-{n}", born, dead, township))
            conn.execute("insert into ehr__candidate.patient select * from edge")
    done = run_dbt(["run", "--select", "indicator_population"], url, work)
    assert done.returncode == 0, done.stdout[-3000:]
    with psycopg.connect(url) as conn:
        population = _counts(conn, POPULATION)
        assert population == _counts(conn, RESIDENT_MONTHS)
        assert any(township is None for _, township, _ in population)


def _counts(conn: psycopg.Connection, sql: str) -> dict[tuple, int]:
    """(month, township, min_age) -> residents, each combination once."""
    rows = conn.execute(sql).fetchall()
    counts = {tuple(row[:3]): row[3] for row in rows}
    assert len(counts) == len(rows) > 0
    return counts
