"""The Alliance report as data: what the published report on a year says, before it is drawn as HTML.

Built from the published record only (facts, commitments, published progress reports, indicator
values, campaigns), so the report and the open-data export can never show a draft. The renderer
in `alliance.report` only lays this out; every number a reader sees is computed here, where the
tests check it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from alliance.core.record.awareness import Campaign
from alliance.core.record.indicators import (
    BY_NAME,
    INDICATORS,
    Across,
    IndicatorValue,
    Trend,
    combine,
    goal_line,
    trends,
)
from alliance.core.record.members import AllianceFacts, Body, Country, Goal, Period, SecretariatTerm
from alliance.core.record.workflow import Commitment, Report, ReportStatus

FIRST_YEAR = 2012
REACH_BARS = 12
"""At most this many campaigns in the reach chart (the largest), so their labels stay readable."""


@dataclass(frozen=True, slots=True)
class MembershipPoint:
    day: date
    members: int
    eu: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class YearFigure:
    """The Alliance's figure for one indicator and year, made as its `Series.across` says, from the
    countries in `countries`. `goal` is what the year had to reach (or stay under): the year
    before's figure moved by the goal, drawn only where the same countries reported both years,
    since otherwise the two figures count different countries and the comparison means nothing."""

    year: int
    value: float
    countries: tuple[str, ...]
    goal: float | None = None


@dataclass(frozen=True, slots=True)
class Series:
    """One indicator across the countries that reported it, per year, with its goal line."""

    name: str
    label: str
    unit: str
    goal: Goal | None
    across: Across
    figures: tuple[YearFigure, ...]

    @property
    def points(self) -> tuple[tuple[int, float], ...]:
        return tuple((f.year, f.value) for f in self.figures)

    @property
    def goal_points(self) -> tuple[tuple[int, float], ...]:
        return tuple((f.year, f.goal) for f in self.figures if f.goal is not None)

    @property
    def countries(self) -> int:
        return len({c for f in self.figures for c in f.countries})


@dataclass(frozen=True, slots=True)
class CountryPage:
    country: Country
    member: bool
    eu_member: bool
    periods: tuple[Period, ...]
    commitments: tuple[Commitment, ...]
    report: Report | None
    trends: tuple[Trend, ...]
    campaigns: tuple[Campaign, ...]


@dataclass(frozen=True, slots=True)
class AllianceReportView:
    year: int
    as_of: date
    members: int
    eu_members: int
    joined: tuple[Country, ...]  # since the launch
    left: tuple[Country, ...]
    membership: tuple[MembershipPoint, ...]
    facts: AllianceFacts
    holder: SecretariatTerm | None
    matrix: dict[tuple[str, int], tuple[Commitment, ...]]
    series: tuple[Series, ...]
    campaigns: tuple[Campaign, ...]
    pages: tuple[CountryPage, ...]
    reports_published: int
    notes: list[str] = field(default_factory=list)

    @property
    def reach(self) -> tuple[Campaign, ...]:
        """The campaigns running in the year that reported their reach, largest first, at most `REACH_BARS`."""
        known = sorted((c for c in self.campaigns if c.reach is not None), key=lambda c: (-(c.reach or 0), c.id))
        return tuple(known[:REACH_BARS])

    @property
    def reach_left_out(self) -> int:
        return sum(1 for c in self.campaigns if c.reach is not None) - len(self.reach)

    @property
    def member_codes(self) -> list[str]:
        return [p.country.code for p in self.pages if p.member]


def latest_published(reports: Sequence[Report]) -> dict[tuple[str, int], Report]:
    """The latest published version per (country, year): a correction replaces what it corrects."""
    out: dict[tuple[str, int], Report] = {}
    for r in sorted(reports, key=lambda r: r.version):
        if r.status is ReportStatus.PUBLISHED:
            out[(r.country, r.year)] = r
    return out


def membership_over_time(facts: AllianceFacts, until: date) -> list[MembershipPoint]:
    """Member counts on every day membership changed, and on each conference, up to `until`."""
    labels = {c.day: f"{c.title}, {c.place}" for c in facts.conferences}
    days = {p.joined for p in facts.periods if p.body is Body.ALLIANCE}
    days |= {p.left for p in facts.periods if p.body is Body.ALLIANCE and p.left}
    days |= {p.joined for p in facts.periods if p.body is Body.EU and p.joined >= min(days, default=until)}
    days |= set(labels)
    points = []
    for day in sorted(d for d in days if d <= until):
        members, eu = facts.counts_on(day)
        points.append(MembershipPoint(day, members, eu, labels.get(day, "")))
    last = points[-1] if points else None
    if last is None or last.day != until:
        members, eu = facts.counts_on(until)
        points.append(MembershipPoint(until, members, eu, "end of the report year"))
    return points


def indicator_series(values: Sequence[IndicatorValue], goals: dict[str, Goal], years: range) -> list[Series]:
    """A series per indicator compared year on year; campaign reach is shown per campaign instead."""
    out = []
    for kind in INDICATORS:
        if not kind.yearly:
            continue
        by_year: dict[int, dict[str, float]] = defaultdict(dict)
        for v in values:
            if v.name == kind.name and v.year in years:
                by_year[v.year][v.country] = v.value
        if not by_year:
            continue
        goal = goals.get(kind.name)
        figures = []
        for year in sorted(by_year):
            reported = by_year[year]
            value = combine(kind.across, list(reported.values()))
            before = by_year.get(year - 1)
            line = None
            if goal is not None and before is not None and set(before) == set(reported):
                line = goal_line(goal, combine(kind.across, list(before.values())))
            figures.append(YearFigure(year, value, tuple(sorted(reported)), line))
        out.append(Series(kind.name, kind.label, kind.unit, goal, kind.across, tuple(figures)))
    return out


def commitments_as_of(commitments: Sequence[Commitment], day: date) -> list[Commitment]:
    """The commitments made by `day`, each with the status it had then: what the record said that day."""
    return [c for c in (c.as_of(day) for c in commitments) if c is not None]


def build_view(
    facts: AllianceFacts,
    year: int,
    commitments: Sequence[Commitment],
    reports: Sequence[Report],
    values: Sequence[IndicatorValue],
    campaigns: Sequence[Campaign],
) -> AllianceReportView:
    """The report on `year`, as of its last day: commitments made by then with their status then,
    the published reports on that year, the campaigns running in it, indicators up to it."""
    as_of = date(year, 12, 31)
    launch = min((c.day for c in facts.conferences), default=date(FIRST_YEAR, 12, 5))
    goals = {g.indicator: g for t in facts.targets for g in t.goals if g.indicator and g.indicator in BY_NAME}
    years = range(FIRST_YEAR, year + 1)
    at_launch = {c.code for c in facts.members_on(launch)}
    now = {c.code for c in facts.members_on(as_of)}
    eu_now = {c.code for c in facts.members_on(as_of, Body.EU)}
    published = latest_published(reports)
    all_trends = trends([v for v in values if v.year in years], goals)
    commitments = commitments_as_of(commitments, as_of)
    matrix: dict[tuple[str, int], list[Commitment]] = defaultdict(list)
    for c in commitments:
        matrix[(c.country, c.target)].append(c)
    pages = []
    shown = [c for c in facts.countries if c.code in now or c.code in at_launch]
    for country in shown:
        pages.append(
            CountryPage(
                country=country,
                member=country.code in now,
                eu_member=country.code in eu_now,
                periods=tuple(p for p in facts.periods if p.country == country.code),
                commitments=tuple(c for c in commitments if c.country == country.code),
                report=published.get((country.code, year)),
                trends=tuple(t for t in all_trends if t.value.country == country.code),
                campaigns=tuple(c for c in campaigns if c.country == country.code and c.runs_in(year)),
            )
        )
    terms = [t for t in facts.secretariat if t.since <= as_of]
    holder = max(terms, key=lambda t: t.since) if terms else None
    return AllianceReportView(
        year=year,
        as_of=as_of,
        members=len(now),
        eu_members=len(now & eu_now),
        joined=tuple(c for c in facts.countries if c.code in now - at_launch),
        left=tuple(c for c in facts.countries if c.code in at_launch - now),
        membership=tuple(membership_over_time(facts, as_of)),
        facts=facts,
        holder=holder,
        matrix={k: tuple(v) for k, v in matrix.items()},
        series=tuple(indicator_series(values, goals, years)),
        campaigns=tuple(c for c in campaigns if c.runs_in(year)),
        pages=tuple(pages),
        reports_published=sum(1 for (_, y) in published if y == year),
    )
