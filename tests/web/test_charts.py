"""Server-drawn SVG charts and the score explanation parser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from bookrelay.app.read_models import CountPoint
from bookrelay.app.views import score_parts
from bookrelay.web.charts import bar_chart, line_chart


def test_bar_heights_are_proportional_and_labels_escaped() -> None:
    svg = bar_chart([CountPoint(period="<a>", value=2), CountPoint(period="b", value=4)], title="T & U")
    root = ET.fromstring(svg)  # well-formed XML: nothing unescaped got in
    heights = [float(r.get("height", 0)) for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert len(heights) == 2 and abs(heights[1] - 2 * heights[0]) < 0.2
    assert "&lt;a&gt;" in svg and "T &amp; U" in svg


def test_line_chart_marks_every_point_and_empty_charts_say_so() -> None:
    points = [CountPoint(period=f"2026-11-{d:02d}", value=d) for d in range(1, 31)]
    svg = line_chart(points, title="hours")
    ET.fromstring(svg)
    assert svg.count("<circle") == 30
    labels = re.findall(r'class="axis">(\d+ Nov)<', svg)
    assert 0 < len(labels) <= 12  # labels thinned so they never overlap, in words ("3 Nov")
    assert "no data yet" in bar_chart([], title="none")


def test_score_parts_are_read_from_the_explanation() -> None:
    parts = score_parts(
        "0.71 = title 0.90x0.50 (a + b vs a) + author 1.00x0.30 (x) + year skipped (no year); capped: M3"
    )
    assert [(p.name, p.value, p.weight, p.detail) for p in parts] == [
        ("title", 0.9, 0.5, "a + b vs a"),
        ("author", 1.0, 0.3, "x"),
        ("year", None, 0.0, "no year"),
    ]
    assert score_parts("") == []


def test_counts_get_whole_number_ticks_and_month_labels_in_words() -> None:
    """Charts: "books finished per month" has integer ticks and readable month labels."""
    svg = bar_chart(
        [CountPoint(period="2026-10", value=1), CountPoint(period="2026-11", value=3)],
        title="Books finished per month",
        integer=True,
    )
    ET.fromstring(svg)
    ticks = re.findall(r'text-anchor="end" class="axis">([^<]*)<', svg)
    assert ticks == ["0", "1", "2", "3", "4"]
    assert ">Oct 2026<" in svg and ">Nov 2026<" in svg and "2026-11" not in svg
    heights = [float(h) for h in re.findall(r'<rect[^>]* height="([\d.]+)"', svg)]
    assert abs(heights[1] - 3 * heights[0]) < 0.2
