"""The report's SVG charts: values where they belong, the target always on the chart, and
an honest 'no data yet' instead of an empty frame."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from countyhealth.svg_charts import HEIGHT, format_value, trend_chart

DAYS = [dt.date(2026, 3, d) for d in (1, 2, 3)]
SVG = "{http://www.w3.org/2000/svg}"


def _points(svg: str) -> list[tuple[float, float]]:
    line = ET.fromstring(svg).find(f"{SVG}polyline")
    assert line is not None
    return [tuple(map(float, p.split(","))) for p in line.get("points").split()]


def test_higher_values_are_drawn_higher_and_in_order():
    svg = trend_chart(list(zip(DAYS, (0.2, 0.6, 0.4), strict=True)), "share")
    (x1, y1), (x2, y2), (x3, y3) = _points(svg)
    assert x1 < x2 < x3
    assert y2 < y3 < y1  # SVG y grows downwards
    assert all(0 <= y <= HEIGHT for y in (y1, y2, y3))


def test_target_above_every_value_is_still_on_the_chart():
    svg = trend_chart(list(zip(DAYS, (0.1, 0.2, 0.15), strict=True)), "share", target=0.9)
    root = ET.fromstring(svg)
    target = root.find(f"{SVG}line[@class='target']")
    assert target is not None
    y_target = float(target.get("y1"))
    assert 0 <= y_target < min(y for _, y in _points(svg))
    assert "target 90.0%" in svg


def test_missing_values_are_skipped_not_drawn_as_zero():
    svg = trend_chart([(DAYS[0], 0.5), (DAYS[1], None), (DAYS[2], 0.5)], "share")
    assert len(_points(svg)) == 2
    assert len(re.findall("<circle", svg)) == 2


def test_no_values_says_so():
    svg = trend_chart([(DAYS[0], None)], "share", target=0.65)
    assert "no data yet" in svg and "<polyline" not in svg
    ET.fromstring(svg)  # still well-formed


def test_labels_are_escaped():
    svg = trend_chart([(DAYS[0], 1.0)], "count", label='a <b> & "c"')
    assert ET.fromstring(svg).find(f"{SVG}title").text == 'a <b> & "c"'


def test_values_read_in_their_unit():
    assert format_value(0.6543, "share") == "65.4%"
    assert format_value(0.00025, "share") == "0.025%"
    assert format_value(19177.45, "yuan") == "¥19,177"
    assert format_value(3.0, "count") == "3"
    assert format_value(None, "share") == "–"
