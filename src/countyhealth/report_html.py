"""The nightly quality report: one self-contained HTML file (inline CSS, charts as inline
SVG, no scripts, no web fonts, no network), written beside the night's dbt docs.

    <CHW_HOME>/reports/<night>/index.html      the report
    <CHW_HOME>/reports/<night>/dbt-docs/       dbt docs of the published models

The DAG's last task writes it; `chw report [--date D]` rebuilds it.
"""

from __future__ import annotations

import datetime as dt
import logging
from html import escape
from pathlib import Path

import psycopg

from countyhealth.report_data import (
    DataQuality,
    IndicatorTrend,
    LeagueTable,
    data_quality,
    indicator_trends,
    league_tables,
)
from countyhealth.svg_charts import format_value, trend_chart

log = logging.getLogger(__name__)

STATUS_LABEL = {"loaded": "✓", "nothing_new": "=", "empty": "0", "held": "held",
                "missing": "late", "late_loaded": "late ✓"}
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",
"Microsoft YaHei",sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
header{background:#0b3d62;color:#fff;padding:18px 28px}header h1{margin:0;font-size:22px}
header p{margin:4px 0 0;opacity:.85}header a{color:#fff}
main{padding:8px 28px 40px}h2{margin:28px 0 8px;font-size:18px}h3{margin:18px 0 6px;
font-size:15px;color:#57606a}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:12px}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 12px}
.card h4{margin:0;font-size:14px}.card .en{color:#57606a;font-size:12px}
.big{font-size:24px;font-weight:600;margin:4px 0}.meta{font-size:12px;color:#57606a}
.met{color:#1a7f37;font-weight:600}.missed{color:#d1242f;font-weight:600}
table{border-collapse:collapse;background:#fff;font-size:13px;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right}th{background:#eaeef2}
td.l,th.l{text-align:left}.s-loaded{background:#dafbe1}.s-held{background:#ffebe9}
.s-missing{background:#fff8c5}.s-late_loaded{background:#fff1d6}.s-nothing_new,.s-empty{background:#f6f8fa}
footer{font-size:12px;color:#57606a;padding:0 28px 28px}
"""


def _card(t: IndicatorTrend) -> str:
    met = "" if t.meets_target is None else (
        '<span class="met">target met</span>' if t.meets_target
        else '<span class="missed">target not met</span>')
    target = f"target {'≥' if t.direction == 'at_least' else '≤'} " \
        f"{format_value(t.target, t.unit)}" if t.target is not None else "no national target"
    growth = "" if t.growth is None else f" · {t.growth:+.1%} on last year"
    figures = "" if t.month is None else (
        f"{t.month:%Y-%m}: {format_value(t.numerator, 'count')}"
        + ("" if t.denominator is None else f" / {format_value(t.denominator, 'count')}"))
    chart = trend_chart(t.points, t.unit, t.target,
                        f"{t.name_en}, {'daily' if t.grain == 'day' else 'monthly'}")
    return (f'<div class="card" id="{escape(t.indicator_id)}"><h4>{escape(t.name_zh)} '
            f'<span class="en">{escape(t.name_en)} · <code>{escape(t.indicator_id)}</code>'
            f'</span></h4><div class="big">{escape(format_value(t.value, t.unit))}</div>'
            f'<div class="meta">{escape(figures)}{escape(growth)} · {escape(target)} {met}'
            f"</div>{chart}</div>")


def _league(table: LeagueTable) -> str:
    if not table.rows:
        return f"<h3>{escape(table.title)}</h3><p>No published month yet.</p>"
    head = "".join(f"<th>{escape(c.heading)}</th>" for c in table.columns)
    body = []
    for rank, row in enumerate(table.rows, start=1):
        cells = "".join(f"<td>{escape(format_value(row[c.indicator_id + c.field], c.unit))}"
                        "</td>" for c in table.columns)
        body.append(f'<tr><td>{rank}</td><td class="l">{escape(row["key"])}</td>'
                    f'<td class="l">{escape(row["name"])}</td>{cells}</tr>')
    return (f"<h3>{escape(table.title)} — {table.month:%Y-%m}</h3><table><tr><th>#</th>"
            f'<th class="l">{escape(table.key_label)}</th><th class="l">name</th>{head}</tr>'
            + "".join(body) + "</table>")


def _data_quality(dq: DataQuality) -> str:
    head = "".join(f"<th>{d:%m-%d}</th>" for d in dq.nights)
    rows = []
    for code, name, level in dq.facilities:
        cells = []
        for night in dq.nights:
            state = dq.status.get((code, night))
            why = dq.reasons.get((code, night), "")
            if state == "loaded" and why.startswith("late"):
                state = "late_loaded"  # the gap stays marked after the delivery came in
            label = STATUS_LABEL.get(state or "", "")
            cells.append(f'<td class="s-{escape(state or "none")}" title="{escape(why)}">'
                         f"{escape(label)}</td>")
        rows.append(f'<tr><td class="l">{escape(code)}</td><td class="l">{escape(name)}</td>'
                    f'<td class="l">{escape(level)}</td>{"".join(cells)}</tr>')
    quarantine = "".join(
        f'<tr><td class="l">{escape(f)}</td><td class="l">{escape(r)}</td><td>{n:,}</td></tr>'
        for f, r, n in dq.quarantine) or '<tr><td colspan="3">nothing quarantined</td></tr>'
    people = "".join(f'<tr><td class="l">{escape(t)}</td><td>{n:,}</td><td>{lost:,}</td></tr>'
                     for t, n, lost in dq.unregistered)
    return (
        "<h3>Deliveries (✓ loaded · late: no manifest at run time · late ✓: came in later "
        "and loaded by a later run · held: failed its manifest · = nothing new)</h3>"
        f'<table class="deliveries"><tr><th class="l">facility</th><th class="l">name</th>'
        f'<th class="l">level</th>{head}</tr>{"".join(rows)}</table>'
        f"<h3>Quarantine by facility and reason ({dq.quarantine_total:,} rows; "
        f"{dq.rows_loaded:,} loaded)</h3>"
        '<table class="quarantine"><tr><th class="l">facility</th><th class="l">reason</th>'
        f"<th>rows</th></tr>{quarantine}</table>"
        "<h3>Records naming a person by ID number that no registration carries</h3>"
        '<table><tr><th class="l">table</th><th>records</th><th>no registered person</th>'
        f"</tr>{people}</table>")


def render(night: dt.date, county_name: str, trends: list[IndicatorTrend],
           leagues: list[LeagueTable], dq: DataQuality, links: dict[str, str]) -> str:
    groups: dict[str, list[IndicatorTrend]] = {}
    for t in trends:
        groups.setdefault(t.group, []).append(t)
    cards = "".join(f"<h3>{escape(g)}</h3><div class='cards'>"
                    + "".join(_card(t) for t in ts) + "</div>" for g, ts in groups.items())
    nav = " · ".join(f'<a href="{escape(href)}">{escape(text)}</a>'
                     for text, href in links.items())
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(county_name)} quality report {night}</title><style>{CSS}</style>"
        f"</head><body><header><h1>{escape(county_name)} 县域医共体 quality report</h1>"
        f"<p>Export night {night} · published data only · {nav}</p></header><main>"
        f"<h2>Indicators against their targets</h2>{cards}"
        "<h2>League tables</h2>" + "".join(_league(t) for t in leagues)
        + f"<h2>Data quality</h2>{_data_quality(dq)}</main>"
        "<footer>Formulas: docs/indicators.md · numerators and denominators: "
        "quality.&lt;indicator&gt;__numerator / __denominator · all figures: "
        "quality.indicator_summary</footer></body></html>")


def write_report(conn: psycopg.Connection, night: dt.date, out_dir: Path,
                 county_name: str, links: dict[str, str] | None = None) -> Path:
    """Write the report of `night` to `out_dir/<night>/index.html`."""
    folder = out_dir / night.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    html = render(night, county_name, indicator_trends(conn, night), league_tables(conn, night),
                  data_quality(conn, night), links or {})
    path = folder / "index.html"
    path.write_text(html, encoding="utf-8")
    return path


def write_night_report(night: dt.date, url: str, reports_dir: Path, county_name: str,
                       with_dbt_docs: bool = True) -> Path:
    """The night's report with dbt docs beside it: what the DAG's last task and `chw report`
    write. Docs that cannot be generated leave the report without their link (logged),
    never without the report."""
    from countyhealth.dbt_docs import DocsError, build_dbt_docs
    from countyhealth.warehouse import connect

    links = {}
    if (reports_dir / night.isoformat() / "gx-docs" / "index.html").is_file():
        links["Great Expectations data docs"] = "gx-docs/index.html"
    if with_dbt_docs:
        try:
            build_dbt_docs(url, reports_dir / night.isoformat())
            links["dbt docs of the published models"] = "dbt-docs/index.html"
        except DocsError as exc:
            log.warning("%s", exc)
    with connect(url) as conn:
        return write_report(conn, night, reports_dir, county_name, links)
