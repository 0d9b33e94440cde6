"""The numbers of the Alliance report are right, and every chart draws what its table says.

Found when the report was tried: medians were added across countries (GB 2 days + DE 3.5 days
made "median days to takedown 5.5"), a campaign's whole reach summed by its start year made one
campaign ending look like a collapse, and the report on 2014 counted commitments recorded years
later. Pure: the view is built from records made here, then rendered and read back.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from alliance.alliance_data import load_facts
from alliance.core.errors import InvalidRequest
from alliance.core.record.awareness import Audience, Campaign
from alliance.core.record.indicators import Across, IndicatorValue, Origin, combine, trends
from alliance.core.record.members import AllianceFacts
from alliance.core.record.report import AllianceReportView, build_view
from alliance.core.record.workflow import Commitment, CommitmentStatus, StatusChange
from alliance.report.html import render
from alliance.report.svg import H

S = CommitmentStatus
FACTS: AllianceFacts = load_facts()
NOW = datetime(2026, 12, 7, tzinfo=UTC)  # when everything here was typed in


def value(country: str, year: int, name: str, v: float) -> IndicatorValue:
    return IndicatorValue(country, year, name, v, Origin.ENTERED, "test")


def commitment(n: int, country: str, made_on: date, *history: tuple[S, date]) -> Commitment:
    changes = tuple(StatusChange(s, d) for s, d in history) or (StatusChange(S.PLANNED, made_on),)
    return Commitment(n, country, 4, None, f"c{n}", "p", "", changes[-1].status, "t", NOW, NOW, made_on, changes)


def campaign(n: int, country: str, starts: date, ends: date | None, reach: int | None) -> Campaign:
    return Campaign(n, country, f"Campaign {n}", (Audience.PARENTS,), "radio", starts, ends, reach, "", "", "t", NOW)


def view(
    year: int,
    values: list[IndicatorValue] = [],  # noqa: B006 - never mutated
    commitments: list[Commitment] = [],  # noqa: B006
    campaigns: list[Campaign] = [],  # noqa: B006
) -> AllianceReportView:
    return build_view(FACTS, year, commitments, [], values, campaigns)


def series(v: AllianceReportView, name: str) -> dict[int, float]:
    [s] = [s for s in v.series if s.name == name]
    return dict(s.points)


# --- how each aggregate is computed -------------------------------------------------------------


def test_medians_are_never_added_across_countries():
    days = [value("GB", 2014, "takedown_median_days", 2.0), value("DE", 2014, "takedown_median_days", 3.5)]
    assert series(view(2014, days), "takedown_median_days") == {2014: 2.75}
    days.append(value("FR", 2014, "takedown_median_days", 10.0))
    assert series(view(2014, days), "takedown_median_days") == {2014: 3.5}


def test_counts_add_up_and_each_series_says_how_it_was_made():
    victims = [value("GB", 2014, "victims_identified", 100), value("DE", 2014, "victims_identified", 50)]
    days = [value("GB", 2014, "takedown_median_days", 2.0)]
    v = view(2014, victims + days)
    assert series(v, "victims_identified") == {2014: 150}
    assert {s.name: s.across for s in v.series} == {
        "victims_identified": Across.TOTAL,
        "takedown_median_days": Across.MEDIAN_OF_MEDIANS,
    }
    index = render(v)["index.html"]
    assert 'data-across="median_of_medians">median of the countries&#x27; medians' in index
    assert 'data-across="total">total of the countries reporting' in index
    assert "<th>Median of medians</th>" in index and "<th>Total</th>" in index


def test_combine_refuses_nothing_to_combine():
    with pytest.raises(InvalidRequest):
        combine(Across.TOTAL, [])


def test_the_goal_line_compares_the_same_countries_or_is_not_drawn():
    victims = [
        value("GB", 2013, "victims_identified", 100),
        value("GB", 2014, "victims_identified", 120),
        value("DE", 2014, "victims_identified", 500),  # DE reports for the first time
        value("GB", 2015, "victims_identified", 130),
        value("DE", 2015, "victims_identified", 550),
    ]
    [s] = view(2015, victims).series
    assert [(f.year, f.value, f.countries) for f in s.figures] == [
        (2013, 100, ("GB",)),
        (2014, 620, ("DE", "GB")),
        (2015, 680, ("DE", "GB")),
    ]
    assert s.goal_points == ((2015, pytest.approx(682)),)  # +10% on 620; none for 2014: DE was not there


def test_campaign_reach_is_shown_per_campaign_and_never_compared_year_on_year():
    big = campaign(1, "AU", date(2013, 9, 1), date(2014, 3, 1), 1_200_000)
    small = campaign(2, "GB", date(2014, 2, 1), None, 250_000)
    unknown = campaign(3, "DE", date(2014, 5, 1), None, None)
    reach = [value("AU", 2013, "campaign_reach", 1_200_000), value("GB", 2014, "campaign_reach", 250_000)]
    reach.append(value("AU", 2014, "campaign_reach", 1_000))  # a second, tiny AU campaign
    v = view(2014, reach, campaigns=[big, small, unknown])
    assert [s.name for s in v.series] == []  # no yearly line that "collapses" when AU's campaign ends
    assert [c.id for c in v.reach] == [1, 2] and v.reach_left_out == 0
    [au_2014] = [t for t in trends(reach, {}) if (t.value.country, t.value.year) == ("AU", 2014)]
    assert (au_2014.previous, au_2014.change) == (None, None)
    assert view(2015, reach, campaigns=[big, small]).reach == (small,)  # AU's ended in 2014


def test_campaigns_running_count_each_campaign_in_every_year_it_runs():
    counts = [value("AU", y, "campaigns_run", 1) for y in (2013, 2014)]
    assert series(view(2014, counts), "campaigns_run") == {2013: 1, 2014: 1}


# --- a year's report shows what was recorded for that year -----------------------------------------


def test_a_report_holds_the_commitments_made_by_its_year_with_their_status_then():
    made_2013 = commitment(1, "GB", date(2013, 5, 1), (S.PLANNED, date(2013, 5, 1)), (S.ACHIEVED, date(2015, 2, 1)))
    made_2016 = commitment(2, "GB", date(2016, 1, 10))
    both = [made_2013, made_2016]
    for year, expected in ((2012, []), (2013, [S.PLANNED]), (2014, [S.PLANNED]), (2015, [S.ACHIEVED])):
        v = view(year, commitments=both)
        assert [c.status for c in v.matrix.get(("GB", 4), ())] == expected, year
        [gb] = [p for p in v.pages if p.country.code == "GB"]
        assert [c.status for c in gb.commitments] == expected, year
    assert [c.id for c in view(2016, commitments=both).matrix[("GB", 4)]] == [1, 2]


def test_the_headline_counts_only_the_commitments_of_the_year():
    both = [commitment(1, "GB", date(2013, 5, 1)), commitment(2, "DE", date(2015, 1, 5))]
    figure = re.search(r'data-name="commitments">(\d+)<', render(view(2014, commitments=both))["index.html"])
    assert figure and figure.group(1) == "1"


# --- each chart is held to its table --------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def number(text: str) -> float:
    """A chart label or table cell back to a number: "1.2M", "250k" (or "250K", Babel's), "1,234", "2.8"."""
    text = text.strip().replace(",", "")
    scale = {"M": 1_000_000, "k": 1000, "K": 1000}.get(text[-1:], 1)
    return float(text.rstrip("MkK")) * scale


class Chart:
    """An inline SVG chart read back: its y axis from the gridline labels (the only words anchored
    at their end), then what each mark says. `parse` reads a label back (the web pages write them
    in the reader's language)."""

    def __init__(self, svg: str, parse: Callable[[str], float] = number) -> None:
        self.root = ET.fromstring(svg)
        self.parse = parse
        ticks = [
            (float(t.get("y", "0")) - 4, parse(t.text or ""))
            for t in self.root.iter(f"{SVG}text")
            if t.get("text-anchor") == "end"
        ]
        (self.y0, _), (self.y_top, self.top) = ticks[0], ticks[-1]
        self.step = self.top / (len(ticks) - 1)

    def at(self, y: float) -> float:
        return (self.y0 - y) / (self.y0 - self.y_top) * self.top

    def years(self) -> dict[float, int]:
        """x of each year's tick label -> the year."""
        return {
            float(t.get("x", "0")): int(t.text or "")
            for t in self.root.iter(f"{SVG}text")
            if t.get("y") == str(H - 12) and (t.text or "").isdigit()
        }

    def labels(self) -> dict[tuple[float, float], float]:
        """The value written above each mark, by its (x, y)."""
        return {
            (float(t.get("x", "0")), float(t.get("y", "0"))): self.parse(t.text or "")
            for t in self.root.iter(f"{SVG}text")
            if t.get("text-anchor") == "middle" and t.get("y") != str(H - 12)
        }

    def close(self, drawn: float, expected: float) -> bool:
        return abs(drawn - expected) <= self.top * 0.002 + 0.05  # one tenth of a pixel, and 0.1 in the table


def svgs(html: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", html, re.S)


def table(html: str, attribute: str) -> dict[str, float]:
    return {
        key: number(text)
        for key, text in re.findall(rf'<td class="num" {attribute}="([^"]+)">([^<]*)</td>', html)
        if text
    }


def demo_view() -> AllianceReportView:
    values = []
    for country, figures in {"GB": (120, 138, 160), "DE": (90, 97, 101), "US": (400, 452, 505)}.items():
        values += [value(country, y, "victims_identified", f) for y, f in zip((2012, 2013, 2014), figures, strict=True)]
    for country, figures in {"GB": (2.0, 1.5, 1.2), "DE": (3.5, 3.0, 3.2), "FR": (9.0, 8.0, 7.5)}.items():
        values += [
            value(country, y, "takedown_median_days", f) for y, f in zip((2012, 2013, 2014), figures, strict=True)
        ]
    values += [value("GB", 2013, "entries_added", 12_500), value("GB", 2014, "entries_added", 3_000_000)]
    campaigns = [
        campaign(1, "AU", date(2013, 9, 1), None, 1_200_000),
        campaign(2, "GB", date(2014, 2, 11), date(2014, 12, 19), 250_000),
        campaign(3, "PH", date(2014, 6, 1), None, 4_321),
    ]
    return view(2014, values, [commitment(1, "GB", date(2013, 5, 1))], campaigns)


def test_each_indicator_chart_draws_its_table():
    html = render(demo_view())["index.html"]
    blocks = re.findall(r'<div class="indicator" data-name="([^"]+)">(.*?)</div>', html, re.S)
    assert {name for name, _ in blocks} == {"victims_identified", "takedown_median_days", "entries_added"}
    for name, block in blocks:
        [svg] = svgs(block)
        chart, rows, goals = Chart(svg), table(block, "data-year"), table(block, "data-goal")
        years = chart.years()
        drawn = {
            years[float(c.get("cx", "0"))]: chart.at(float(c.get("cy", "0"))) for c in chart.root.iter(f"{SVG}circle")
        }
        assert drawn.keys() == {int(y) for y in rows}, name
        assert all(chart.close(drawn[int(y)], v) for y, v in rows.items()), (name, drawn, rows)
        written = sorted(chart.labels().items())
        assert [round(v, 1) for _, v in written] == [
            number(f"{v / 1e6:.1f}M" if v >= 1e6 else f"{v / 1e3:.0f}k" if v >= 1e4 else f"{v:.1f}")
            for _, v in sorted(rows.items())
        ], name
        goal_marks = {
            years[round(float(g.get("x1", "0")) + 14, 1)]: chart.at(float(g.get("y1", "0")))
            for g in chart.root.iter(f"{SVG}line")
            if g.get("class") == "goal"
        }
        assert goal_marks.keys() == {int(y) for y in goals}, name
        assert all(chart.close(goal_marks[int(y)], v) for y, v in goals.items()), (name, goal_marks, goals)


def test_the_membership_chart_draws_its_table():
    html = render(demo_view())["index.html"]
    section = html[html.index('<section id="membership">') : html.index("</section>", html.index("membership"))]
    [svg] = svgs(section)
    chart = Chart(svg)
    drawn = [chart.at(float(c.get("cy", "0"))) for c in chart.root.iter(f"{SVG}circle")]
    members = [int(m) for m in re.findall(r"<tr><td>[\d-]+</td><td class='num'>(\d+)</td>", section)]
    assert len(drawn) == len(members) > 3
    assert all(chart.close(d, m) for d, m in zip(drawn, members, strict=True)), (drawn, members)


def test_the_reach_chart_draws_one_bar_per_campaign_from_its_table():
    html = render(demo_view())["index.html"]
    section = html[html.index('<section id="reach">') :]
    [svg] = svgs(section)
    chart = Chart(svg)
    bars = [chart.at(float(r.get("y", "0"))) for r in chart.root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    heights = [float(r.get("height", "0")) for r in chart.root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    reach = table(section, "data-campaign")
    assert list(reach) == ["1", "2", "3"]  # largest first
    assert all(chart.close(b, r) for b, r in zip(bars, reach.values(), strict=True)), (bars, reach)
    assert all(abs(chart.y0 - h - chart.y_top - (chart.y0 - chart.y_top) * (1 - r / chart.top)) < 0.2
               for h, r in zip(heights, reach.values(), strict=True))  # fmt: skip
