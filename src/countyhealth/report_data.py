"""What the quality report shows, read from the published warehouse: the indicators' trends
against their targets, the facilities' and townships' league tables, and the data-quality
picture of the nights (deliveries late or held, quarantine by reason and facility, records
that found no registered person). Only published schemas and the ingest ledger are read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import psycopg

TREND_DAYS = 60  # daily trend charts: the last two months
TREND_MONTHS = 24


@dataclass
class IndicatorTrend:
    indicator_id: str
    name_en: str
    name_zh: str
    group: str
    kind: str
    unit: str
    target: float | None
    direction: str | None
    grain: str  # the grain the chart shows: day or month
    points: list[tuple[dt.date, float | None]] = field(default_factory=list)
    month: dt.date | None = None  # the latest month and its figures
    numerator: float | None = None
    denominator: float | None = None
    value: float | None = None
    growth: float | None = None
    meets_target: bool | None = None


@dataclass(frozen=True)
class Column:
    """A league table column: an indicator's value (or its numerator or denominator)."""

    indicator_id: str
    heading: str
    unit: str
    field: str = "value"  # value | numerator | denominator


@dataclass
class LeagueTable:
    title: str
    key_label: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    month: dt.date | None


@dataclass
class DataQuality:
    nights: list[dt.date]
    facilities: list[tuple[str, str, str]]  # code, name, level
    status: dict[tuple[str, dt.date], str]  # (facility, night) -> delivery status
    reasons: dict[tuple[str, dt.date], str]
    quarantine: list[tuple[str, str, int]]  # facility, reason, rows (the nights shown)
    quarantine_total: int
    rows_loaded: int
    unregistered: list[tuple[str, int, int]]  # table, records, without a registered person


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def indicator_trends(conn: psycopg.Connection, night: dt.date) -> list[IndicatorTrend]:
    """One trend per indicator: daily for those published by day (the last TREND_DAYS),
    else monthly; with the latest month's figures for the headline."""
    definitions = conn.execute(
        "select indicator_id, indicator_name_en, indicator_name_zh, indicator_group, kind, "
        "unit, target, target_direction from chw_reference.indicator_definitions "
        "order by display_order").fetchall()
    rows = conn.execute(
        "select indicator_id, period_grain, period_start, numerator, denominator, value, "
        "growth_vs_last_year, meets_target from quality.indicator_summary "
        "where breakdown = 'county' and period_start <= %s "
        "and period_start > %s - interval '2 years' order by period_start",
        (night, night)).fetchall()
    by: dict[tuple[str, str], list[tuple]] = defaultdict(list)
    for r in rows:
        by[(r[0], r[1])].append(r)
    trends = []
    for ind, en, zh, group, kind, unit, target, direction in definitions:
        daily = by.get((ind, "day"), [])
        monthly = by.get((ind, "month"), [])
        trend = IndicatorTrend(ind, en, zh, group, kind, unit, _float(target), direction,
                               "day" if daily else "month")
        if daily:
            since = night - dt.timedelta(days=TREND_DAYS)
            trend.points = [(r[2], _float(r[5])) for r in daily if r[2] > since]
        else:
            trend.points = [(r[2], _float(r[5])) for r in monthly[-TREND_MONTHS:]]
        if monthly:
            last = monthly[-1]
            trend.month, trend.numerator, trend.denominator = last[2], _float(last[3]), \
                _float(last[4])
            trend.value, trend.growth, trend.meets_target = _float(last[5]), \
                _float(last[6]), last[7]
        trends.append(trend)
    return trends


FACILITY_COLUMNS = [
    Column("primary_care_visit_share", "visits", "count", "denominator"),
    Column("tcm_visit_share", "TCM share", "share"),
    Column("inpatient_cost_per_admission", "cost / admission", "yuan"),
    Column("readmission_30d", "30-day readmission", "share"),
    Column("repeat_test_rate", "repeated tests", "share"),
    Column("upward_referrals", "upward referrals", "count"),
    Column("downward_referrals", "downward referrals", "count"),
    Column("fund_primary_care_share", "insurance fund paid", "yuan", "denominator"),
]
TOWNSHIP_COLUMNS = [
    Column("family_doctor_contract_rate", "contract rate", "share"),
    Column("priority_contract_rate", "priority groups", "share"),
    Column("in_county_care_rate", "in-county care", "share"),
    Column("hypertension_standardised_management_rate", "HTN standardised", "share"),
    Column("diabetes_standardised_management_rate", "DM standardised", "share"),
    Column("hypertension_control_rate", "HTN controlled", "share"),
    Column("hospitalisation_rate", "admissions / resident / month", "share"),
]
FIELDS = {"numerator": 0, "denominator": 1, "value": 2}


def _league(conn: psycopg.Connection, night: dt.date, title: str, breakdown: str,
            columns: list[Column], names: dict[str, tuple[str, str]]) -> LeagueTable:
    """The latest month's figures per facility or township, ranked by the first column."""
    month = conn.execute(
        "select max(period_start) from quality.indicator_summary where period_grain = 'month' "
        "and breakdown = %s and period_start <= %s", (breakdown, night)).fetchone()[0]
    cells: dict[str, dict[str, tuple]] = defaultdict(dict)
    for key, ind, num, den, value in conn.execute(
            "select breakdown_value, indicator_id, numerator, denominator, value "
            "from quality.indicator_summary where period_grain = 'month' and breakdown = %s "
            "and period_start = %s and indicator_id = any(%s)",
            (breakdown, month, [c.indicator_id for c in columns])):
        cells[key][ind] = (_float(num), _float(den), _float(value))
    rows = []
    for key, by in cells.items():
        name, level = names.get(key, ("", ""))
        row: dict[str, Any] = {"key": key, "name": name, "level": level}
        for c in columns:
            row[c.indicator_id + c.field] = by.get(c.indicator_id, (None,) * 3)[FIELDS[c.field]]
        rows.append(row)
    first = columns[0].indicator_id + columns[0].field
    rows.sort(key=lambda r: (-(r[first] or 0), r["key"]))
    return LeagueTable(title, breakdown, columns, rows, month)


def league_tables(conn: psycopg.Connection, night: dt.date) -> list[LeagueTable]:
    facilities = conn.execute("select facility_code, facility_name, facility_level, "
                              "township_code from ingest.facilities").fetchall()
    by_code = {code: (name, level) for code, name, level, _ in facilities}
    townships = {t: (name, "township") for _, name, level, t in facilities
                 if level == "township_center" and t}
    return [_league(conn, night, "Facilities", "facility", FACILITY_COLUMNS, by_code),
            _league(conn, night, "Townships", "township", TOWNSHIP_COLUMNS, townships)]


def data_quality(conn: psycopg.Connection, night: dt.date, nights: int = 14) -> DataQuality:
    since = night - dt.timedelta(days=nights - 1)
    shown = [since + dt.timedelta(days=i) for i in range(nights)]
    facilities = conn.execute("select facility_code, facility_name, facility_level from "
                              "ingest.facilities order by facility_code").fetchall()
    status, reasons = {}, {}
    for code, day, state, reason in conn.execute(
            "select facility_code, export_date, status, reason from ingest.deliveries "
            "where export_date between %s and %s", (since, night)):
        status[(code, day)] = state
        if reason:
            reasons[(code, day)] = reason
    quarantine = [(f, r, int(n)) for f, r, n in conn.execute(
        "select facility_code, reason_code, count(*) from ingest.rejected where export_date "
        "between %s and %s group by 1, 2 order by 3 desc, 1, 2", (since, night))]
    loaded = conn.execute("select coalesce(sum(rows_loaded), 0) from ingest.files where "
                          "export_date between %s and %s", (since, night)).fetchone()[0]
    unregistered = []
    for table in ("family_doctor_contract", "chronic_followup"):
        if conn.execute("select to_regclass(%s)", (f"ehr.{table}",)).fetchone()[0] is None:
            continue  # nothing published yet
        total, lost = conn.execute(
            f"select count(*), count(*) filter (where not person_registered) from ehr.{table}"
        ).fetchone()
        unregistered.append((f"ehr.{table}", int(total), int(lost)))
    return DataQuality(shown, [tuple(f) for f in facilities], status, reasons, quarantine,
                       sum(n for _, _, n in quarantine), int(loaded), unregistered)
