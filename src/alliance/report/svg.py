"""Small inline SVG charts, written by hand: a step chart of members over time and a line chart with a
goal line. No JavaScript and no fonts or files from elsewhere, so a report opens the same offline,
in a mail client or printed. Every chart carries a <title> and a data table beside it for readers
who cannot see it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from html import escape

W, H = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 36
INK, MUTED, ACCENT, GOAL, EU = "#1d2a3a", "#6b7785", "#1f5fa8", "#c0392b", "#e3a21a"


Formatter = Callable[[float], str]
"""How a chart writes its numbers: `_fmt` (English) by default; the web pages pass the reader's
locale's (`alliance.web.i18n.chart_number`), so a chart reads as the table beside it."""


def _fmt(value: float) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def _frame(title: str, body: list[str], css_class: str) -> str:
    """The chart's frame. `direction="ltr"`: time runs left to right and every `text-anchor` means
    what the layout meant, also on a right-to-left page (which the SVG would otherwise inherit)."""
    return (
        f'<svg class="{css_class}" viewBox="0 0 {W} {H}" width="100%" role="img" direction="ltr" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def nice_max(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times a power of ten, times four (four gridlines), at or above `value`."""
    if value <= 0:
        return 4.0
    raw = value / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    return float(step * 4)


def _axis(y_max: float, fmt: Formatter = _fmt) -> tuple[float, list[str]]:
    """The gridlines and their labels, and the left edge of the plot: `LEFT`, or wider when a label
    is longer than the margin holds ("1.5 مليون" in Arabic), so no label is cut off."""
    labels = [fmt(y_max * i / 4) for i in range(5)]
    left = max(LEFT, 12 + 6.5 * max(len(label) for label in labels))
    out = []
    for i, label in enumerate(labels):
        y = TOP + (H - TOP - BOTTOM) * (1 - i / 4)
        out.append(f'<line x1="{left:g}" x2="{W - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e6e9ed"/>')
        out.append(
            f'<text x="{left - 6:g}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="{MUTED}">'
            f"{escape(label)}</text>"
        )
    return left, out


def membership_chart(
    points: Sequence[tuple[date, int, int]],
    title: str,
    legend: tuple[str, str] = ("Alliance members", "of which EU members"),
    fmt: Formatter = _fmt,
) -> str:
    """Members (blue steps) and EU members among them (amber steps) from the first point to the last."""
    if not points:
        return ""
    start, end = points[0][0], points[-1][0]
    span = max((end - start).days, 1)
    y_max = nice_max(max(max(p[1] for p in points), 1) * 1.1)

    left, body = _axis(y_max, fmt)

    def x(day: date) -> float:
        return left + (W - left - RIGHT) * (day - start).days / span

    def y(value: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - value / y_max)

    members_line = [(day, members) for day, members, _ in points]
    eu_line = [(day, eu) for day, _, eu in points]
    for line, colour in ((members_line, ACCENT), (eu_line, EU)):
        path = [f"M{x(line[0][0]):.1f},{y(line[0][1]):.1f}"]
        for day, value in line[1:]:
            path.append(f"H{x(day):.1f}V{y(value):.1f}")
        body.append(f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
    shown_eu = None
    for day, members, eu in points:
        if eu != shown_eu:  # label the EU line where it changes
            body.append(
                f'<text x="{x(day) + 4:.1f}" y="{y(eu) - 6:.1f}" font-size="11" fill="{INK}">{escape(fmt(eu))}</text>'
            )
            shown_eu = eu
        body.append(f'<circle cx="{x(day):.1f}" cy="{y(members):.1f}" r="3.5" fill="{ACCENT}"/>')
        body.append(
            f'<text x="{x(day):.1f}" y="{y(members) - 8:.1f}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{escape(fmt(members))}</text>'
        )
    for year in range(start.year + 1, end.year + 1):
        tick = date(year, 1, 1)
        body.append(
            f'<text x="{x(tick):.1f}" y="{H - 12}" text-anchor="middle" font-size="11" fill="{MUTED}">{year}</text>'
        )
    body.append(_legend([(legend[0], ACCENT), (legend[1], EU)], left))
    return _frame(title, body, "chart membership")


def trend_chart(
    points: Sequence[tuple[int, float]],
    goal_points: Sequence[tuple[int, float]],
    title: str,
    legend: tuple[str, str] = ("value", "goal for the year"),
    fmt: Formatter = _fmt,
) -> str:
    """One value per year (blue line) and, where a goal applies, what each year had to reach (red dashes).

    `legend` names the two in the reader's language, `fmt` writes numbers as the reader does."""
    if not points:
        return ""
    years = sorted({p[0] for p in points} | {g[0] for g in goal_points})
    first, last = years[0], years[-1]
    span = max(last - first, 1)
    y_max = nice_max(max([v for _, v in points] + [v for _, v in goal_points] + [1]) * 1.1)

    left, body = _axis(y_max, fmt)

    def x(year: int) -> float:
        if first == last:
            return (left + W - RIGHT) / 2
        return left + 20 + (W - left - RIGHT - 40) * (year - first) / span

    def y(value: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - value / y_max)

    line = " ".join(f"{x(year):.1f},{y(v):.1f}" for year, v in points)
    body.append(f'<polyline points="{line}" fill="none" stroke="{ACCENT}" stroke-width="2.5"/>')
    for year, value in points:
        body.append(f'<circle cx="{x(year):.1f}" cy="{y(value):.1f}" r="4" fill="{ACCENT}"/>')
        body.append(
            f'<text x="{x(year):.1f}" y="{y(value) - 9:.1f}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{escape(fmt(value))}</text>'
        )
    for year, value in goal_points:
        body.append(
            f'<line class="goal" x1="{x(year) - 14:.1f}" x2="{x(year) + 14:.1f}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}" stroke="{GOAL}" stroke-width="2.5" stroke-dasharray="5 3"/>'
        )
    for year in years:
        body.append(
            f'<text x="{x(year):.1f}" y="{H - 12}" text-anchor="middle" font-size="11" fill="{MUTED}">{year}</text>'
        )
    body.append(_legend([(legend[0], ACCENT)] + ([(legend[1], GOAL)] if goal_points else []), left))
    return _frame(title, body, "chart trend")


def bar_chart(bars: Sequence[tuple[str, float]], title: str, unit: str, fmt: Formatter = _fmt) -> str:
    """One bar per item (a campaign, say), labelled below with its name and above with its value.

    For figures that belong to an item rather than a year, so nothing is summed over time."""
    if not bars:
        return ""
    y_max = nice_max(max([v for _, v in bars] + [1]) * 1.1)
    left, body = _axis(y_max, fmt)
    slot = (W - left - RIGHT) / len(bars)
    width = min(slot * 0.6, 80)

    def y(value: float) -> float:
        return TOP + (H - TOP - BOTTOM) * (1 - value / y_max)

    for i, (label, value) in enumerate(bars):
        centre = left + slot * (i + 0.5)
        body.append(
            f'<rect class="bar" x="{centre - width / 2:.1f}" y="{y(value):.1f}" width="{width:.1f}" '
            f'height="{y(0) - y(value):.1f}" fill="{ACCENT}">'
            f"<title>{escape(label)}: {escape(fmt(value))} {escape(unit)}</title></rect>"
        )
        body.append(
            f'<text x="{centre:.1f}" y="{y(value) - 6:.1f}" text-anchor="middle" font-size="11" '
            f'fill="{INK}">{escape(fmt(value))}</text>'
        )
        short = label if len(label) <= 24 else label[:23] + "…"
        body.append(
            f'<text x="{centre:.1f}" y="{H - 12}" text-anchor="middle" font-size="10" fill="{MUTED}">'
            f"{escape(short)}</text>"
        )
    return _frame(title, body, "chart bars")


def _legend(items: Sequence[tuple[str, str]], left: float = LEFT) -> str:
    out, x = [], left + 8
    for label, colour in items:
        out.append(f'<rect x="{x:g}" y="{TOP}" width="12" height="4" fill="{colour}"/>')
        out.append(f'<text x="{x + 16:g}" y="{TOP + 6}" font-size="11" fill="{INK}">{escape(label)}</text>')
        x += 24 + 7 * len(label)
    return "".join(out)
