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
        return truth, published_indicators(conn, "quality__candidate")


def test_every_indicator_with_data_is_published(built):
    truth, published = built
    assert set(published) == set(truth["as_of"][NIGHTS[-1].isoformat()]["quality"])
    assert len(published) >= 18
    assert identity_slack(truth) > 0  # the ID defects the people-counting ones allow for


@pytest.mark.parametrize("indicator", RECORD_BASED + PERSON_BASED)
def test_indicator_equals_the_truth(built, indicator):
    truth, published = built
    assert_indicator_matches(published, truth, NIGHTS[-1].isoformat(), indicator)
