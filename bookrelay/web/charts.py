"""Charts drawn on the server as plain SVG: no JavaScript, readable as text, and safe to embed.

Every label is escaped; the numbers are also in each bar's or point's ``<title>``, so a screen reader
(or a page without styles) still gets the values.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Sequence
from html import escape

from bookrelay.app.read_models import CountPoint

WIDTH = 640
HEIGHT = 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 12, 26, 36
_MAX_BAR = 48


def _scale(points: Sequence[CountPoint], *, integer: bool = False) -> float:
    top = max((p.value for p in points), default=0.0)
    if integer:  # counts: four gridlines at whole numbers (1, 2, 3, 4 rather than 0.75, 1.5 …)
        return float(max(1, math.ceil(top / 4)) * 4)
    return top if top > 0 else 1.0


def period_label(period: str) -> str:
    """A period as people read it: "2026-11" → "Nov 2026", "2026-11-20" → "20 Nov"; others unchanged."""
    parts = period.split("-")
    if len(parts) in (2, 3) and all(p.isdigit() for p in parts) and 1 <= int(parts[1]) <= 12:
        month = calendar.month_abbr[int(parts[1])]
        return f"{month} {parts[0]}" if len(parts) == 2 else f"{int(parts[2])} {month}"
    return period


def _frame(title: str, top: float, unit: str, *, integer: bool = False) -> list[str]:
    plot_h = HEIGHT - _TOP - _BOTTOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'class="chart" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        y = _TOP + plot_h - plot_h * i / 4
        value = top * i / 4
        label = f"{value:.0f}" if integer or top >= 20 else f"{value:.2f}".rstrip("0").rstrip(".")
        parts.append(f'<line x1="{_LEFT}" x2="{WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{label}</text>')
    parts.append(f'<text x="{_LEFT}" y="{_TOP - 10}" class="axis">{escape(unit)}</text>')
    return parts


def _empty(title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} 60" role="img" class="chart" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
        f'<text x="{WIDTH / 2}" y="34" text-anchor="middle" class="axis">no data yet</text></svg>'
    )


def _tick(x: float, label: str) -> str:
    return f'<text x="{x:.1f}" y="{HEIGHT - _BOTTOM + 16}" text-anchor="middle" class="axis">{label}</text>'


def _every(count: int) -> int:
    # Label at most about twelve periods so the text never overlaps.
    return max(1, -(-count // 12))


def bar_chart(points: Sequence[CountPoint], *, title: str, unit: str = "", integer: bool = False) -> str:
    """An SVG bar chart, one bar per period, in the given order; ``integer`` for counts (whole ticks)."""
    if not points:
        return _empty(title)
    top = _scale(points, integer=integer)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    slot = plot_w / len(points)
    parts = _frame(title, top, unit, integer=integer)
    step = _every(len(points))
    for i, point in enumerate(points):
        h = plot_h * point.value / top
        width = min(slot * 0.7, _MAX_BAR)
        x = _LEFT + i * slot + (slot - width) / 2
        y = _TOP + plot_h - h
        label = escape(period_label(point.period))
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{h:.1f}" class="bar">'
            f"<title>{label}: {point.value:g}</title></rect>"
        )
        if i % step == 0:
            cx = _LEFT + i * slot + slot / 2
            parts.append(_tick(cx, label))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(points: Sequence[CountPoint], *, title: str, unit: str = "") -> str:
    """An SVG line chart through the points in order, each point marked."""
    if not points:
        return _empty(title)
    top = _scale(points)
    plot_w, plot_h = WIDTH - _LEFT - _RIGHT, HEIGHT - _TOP - _BOTTOM
    gap = plot_w / max(len(points) - 1, 1)
    coords = [
        (_LEFT + (i * gap if len(points) > 1 else plot_w / 2), _TOP + plot_h - plot_h * p.value / top)
        for i, p in enumerate(points)
    ]
    parts = _frame(title, top, unit)
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    parts.append(f'<polyline points="{path}" class="line"/>')
    step = _every(len(points))
    for i, ((x, y), point) in enumerate(zip(coords, points, strict=True)):
        label = escape(period_label(point.period))
        tip = f"<title>{label}: {point.value:g}</title>"
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" class="dot">{tip}</circle>')
        if i % step == 0:
            parts.append(_tick(x, label))
    parts.append("</svg>")
    return "".join(parts)
