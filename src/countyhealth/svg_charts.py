"""Charts as inline SVG for the quality report: no scripts, no fonts, no network, so the
report opens offline on any machine and prints as it looks.

A trend chart is a line of values over periods with the policy target as a dashed line;
its points carry their value in a <title>, so hovering shows it in any browser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 340, 150
LEFT, RIGHT, TOP, BOTTOM = 44, 10, 12, 24
LINE, TARGET, GRID, INK = "#1f6feb", "#d1242f", "#d8dee4", "#57606a"

Point = tuple[dt.date, float | None]


def format_value(value: float | None, unit: str) -> str:
    """How a value of the unit reads: shares as percentages, yuan with separators."""
    if value is None:
        return "–"
    if unit.startswith("share"):  # small shares (a month's hospitalisation) need digits
        return f"{value:.1%}" if value == 0 or abs(value) >= 0.01 else f"{value:.3%}"
    if unit == "yuan":
        return f"¥{value:,.0f}"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _scale(values: Sequence[float], target: float | None) -> tuple[float, float]:
    """The y range: from 0 (or below, if something is) to a little above the highest of the
    values and the target, so the target line is always on the chart."""
    top = max([*values, target or 0.0, 0.0])
    bottom = min([*values, 0.0])
    if top == bottom:
        top = bottom + 1.0
    return bottom, top + (top - bottom) * 0.08


def trend_chart(points: Sequence[Point], unit: str, target: float | None = None,
                label: str = "") -> str:
    """An SVG line chart of `points` (period start, value) against `target`."""
    shown = [(d, v) for d, v in points if v is not None]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    parts = [f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
             f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(label)}">', f"<title>{escape(label)}</title>"]
    if not shown:
        parts.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" '
                     f'fill="{INK}" font-size="12">no data yet</text></svg>')
        return "".join(parts)
    low, high = _scale([v for _, v in shown], target)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - (value - low) / (high - low)), 1)

    def x(i: int) -> float:
        return round(LEFT + (plot_w * i / (len(shown) - 1) if len(shown) > 1 else plot_w / 2), 1)

    for tick in (low, (low + high) / 2, high):
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick)}" y2="{y(tick)}" '
                     f'stroke="{GRID}" stroke-width="1"/>'
                     f'<text x="{LEFT - 4}" y="{y(tick) + 4}" text-anchor="end" '
                     f'font-size="10" fill="{INK}">{escape(format_value(tick, unit))}</text>')
    if target is not None:
        parts.append(f'<line class="target" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(target)}" '
                     f'y2="{y(target)}" stroke="{TARGET}" stroke-width="1.5" '
                     f'stroke-dasharray="5 4"/><text x="{WIDTH - RIGHT}" '
                     f'y="{y(target) - 4}" text-anchor="end" font-size="10" '
                     f'fill="{TARGET}">target {escape(format_value(target, unit))}</text>')
    coords = " ".join(f"{x(i)},{y(v)}" for i, (_, v) in enumerate(shown))
    parts.append(f'<polyline class="series" fill="none" stroke="{LINE}" stroke-width="2" '
                 f'points="{coords}"/>')
    for i, (day, value) in enumerate(shown):
        parts.append(f'<circle cx="{x(i)}" cy="{y(value)}" r="2.5" fill="{LINE}">'
                     f"<title>{day.isoformat()}: {escape(format_value(value, unit))}</title>"
                     "</circle>")
    first, last = shown[0][0], shown[-1][0]
    parts.append(f'<text x="{LEFT}" y="{HEIGHT - 6}" font-size="10" fill="{INK}">'
                 f"{first.isoformat()}</text>")
    if last != first:
        parts.append(f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 6}" text-anchor="end" '
                     f'font-size="10" fill="{INK}">{last.isoformat()}</text>')
    parts.append("</svg>")
    return "".join(parts)
