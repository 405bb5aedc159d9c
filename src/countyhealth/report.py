"""What a night produced, for people: the published indicators and the ingest picture."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from rich.console import Console
from rich.table import Table

from countyhealth.config import settings
from countyhealth.svg_charts import format_value
from countyhealth.warehouse import connect, database_url

INDICATORS_SQL = """
select s.indicator_id, s.indicator_name_zh, s.period_grain, s.period_start, s.numerator,
       s.denominator, s.value, s.target, s.meets_target, s.unit, s.target_direction
from quality.indicator_summary as s
join chw_reference.indicator_definitions as d using (indicator_id)
where s.breakdown = 'county' and s.period_grain = 'month'
order by d.display_order, s.period_start
"""

LEVELS_SQL = """
select visit_date, facility_level, visits, admissions
from quality.visits_by_level_daily
order by visit_date, facility_level
"""

# each ledger summed once per night and joined: a count per night by a subquery read the
# whole ledger again for every night (7.8 s at a year, growing with its square)
DELIVERIES_SQL = """
with delivered as (
    select export_date,
           count(*) filter (where status in ('loaded', 'nothing_new', 'empty')) as delivered,
           string_agg(facility_code || ' (' || status || ')', ', ' order by facility_code)
               filter (where status in ('held', 'missing')) as not_delivered
    from ingest.deliveries
    group by export_date
),

loaded as (
    select export_date, sum(rows_loaded) as rows_loaded from ingest.files group by export_date
),

quarantined as (
    select export_date, count(*) as rows_quarantined from ingest.rejected group by export_date
)

select delivered.export_date, delivered.delivered, delivered.not_delivered,
       coalesce(loaded.rows_loaded, 0) as rows_loaded,
       coalesce(quarantined.rows_quarantined, 0) as rows_quarantined
from delivered
left join loaded using (export_date)
left join quarantined using (export_date)
order by delivered.export_date
"""

REASONS_SQL = """
select reason_code, count(*) from ingest.rejected group by 1 order by 2 desc, 1
"""


def _number(value) -> float | None:
    return None if value is None else float(value)


def _figure(value) -> str:
    return "-" if value is None else format_value(float(value), "count")


def _schema_exists(conn, name: str) -> bool:
    return conn.execute("select 1 from pg_namespace where nspname = %s", (name,)).fetchone() \
        is not None


def indicator_table(url: str | None = None) -> Table:
    table = Table(title="Published indicators, county, by month (quality.indicator_summary; "
                        "by day, facility, township and level there too)")
    for col in ("indicator", "grain", "period", "numerator", "denominator", "value", "target",
                "met"):
        table.add_column(col, justify="right" if col in ("numerator", "denominator", "value",
                                                          "target") else "left")
    with connect(url or database_url()) as conn:
        if not _schema_exists(conn, "quality"):
            return table
        for row in conn.execute(INDICATORS_SQL).fetchall():
            ind, name, grain, start, num, den, value, target, met, unit, direction = row
            table.add_row(f"{ind} {name}", grain, start.isoformat(), _figure(num),
                          _figure(den), format_value(_number(value), unit),
                          "-" if target is None else
                          f"{'≥' if direction == 'at_least' else '≤'} "
                          f"{format_value(float(target), unit)}",
                          {True: "yes", False: "no", None: "-"}[met])
    return table


def levels_table(url: str | None = None) -> Table:
    table = Table(title="Visits by facility level (quality.visits_by_level_daily)")
    for col in ("date", "level", "visits", "admissions"):
        table.add_column(col)
    with connect(url or database_url()) as conn:
        if _schema_exists(conn, "quality"):
            for d, level, visits, adm in conn.execute(LEVELS_SQL).fetchall():
                table.add_row(d.isoformat(), level, str(visits), str(adm))
    return table


def ingest_table(url: str | None = None) -> Table:
    """What arrived each night: deliveries, what is missing or held, rows and quarantine."""
    table = Table(title="Deliveries (ingest.deliveries, ingest.files, ingest.rejected)")
    for col in ("night", "delivered", "missing or held", "rows loaded", "quarantined"):
        table.add_column(col)
    with connect(url or database_url()) as conn:
        if not _schema_exists(conn, "ingest"):
            return table
        for night, ok, missing, loaded, rejected in conn.execute(DELIVERIES_SQL).fetchall():
            table.add_row(night.isoformat(), str(ok), missing or "-", f"{loaded:,}",
                          f"{rejected:,}")
        reasons = conn.execute(REASONS_SQL).fetchall()
    if reasons:
        table.caption = "quarantine reasons: " + ", ".join(f"{r} {n}" for r, n in reasons)
    return table


def write_text_report(export_date: dt.date) -> Path:
    """A plain-text report of the published night (the HTML report grows from this)."""
    out = settings().reports_dir
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"report-{export_date.isoformat()}.txt"
    console = Console(record=True, width=110, file=io.StringIO())
    console.print(ingest_table())
    console.print(indicator_table())
    console.print(levels_table())
    path.write_text(console.export_text(), encoding="utf-8")
    return path
