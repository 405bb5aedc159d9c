"""Published indicators next to truth.json's: what the integration and end-to-end tests
share. County-wide, by month (docs/indicators.md; truth in countyhealth.synth.
truth_indicators).

Indicators that count people rest on the EMPI: the generator knows each record's true
person, the warehouse only what the registrations say. Those are held to the truth within
what the injected identity defects explain: a resident whose public-health registration
carries a broken or missing ID number cannot be found by the ID number a contract or
follow-up names (docs/indicators.md, "People and the EMPI"). The rest must be equal."""

from __future__ import annotations

import psycopg
import pytest

from countyhealth.synth.truth_indicators import PERSON_BASED

Published = dict[str, dict[str, dict[str, float | None]]]


def published_indicators(conn: psycopg.Connection, schema: str = "quality") -> Published:
    rows = conn.execute(
        f"select indicator_id, period_start, numerator, denominator from "
        f"{schema}.indicator_summary where breakdown = 'county' "
        f"and period_grain = 'month'").fetchall()
    out: Published = {}
    for indicator, start, num, den in rows:
        out.setdefault(indicator, {})[f"month|{start.isoformat()}"] = {
            "numerator": float(num), "denominator": None if den is None else float(den)}
    return out


def identity_slack(truth: dict) -> int:
    """Residents whose public-health registration carries an unusable ID number."""
    first = truth["defects"][min(truth["defects"])].get("PH01", {}).get("patients", {})
    return first.get("bad_check_character", 0) + first.get("missing_id", 0)


def assert_indicator_matches(published: Published, truth: dict, night: str,
                             indicator: str) -> None:
    expected = truth["as_of"][night]["quality"].get(indicator)
    if expected is None:  # no period with data yet (e.g. no 30-day window has closed)
        assert indicator not in published
        return
    assert set(published[indicator]) == set(expected)
    slack = identity_slack(truth)
    for period, sums in expected.items():
        got = published[indicator][period]
        if indicator not in PERSON_BASED:
            assert got == pytest.approx(sums, abs=0.005), (indicator, period)
            continue
        for side in ("numerator", "denominator"):
            want = sums[side]
            assert abs(got[side] - want) <= slack + 0.005 * want + 2, \
                (indicator, period, side, got, want)
