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
from alliance.core.record.indicators import BY_NAME, INDICATORS, IndicatorValue, Trend, goal_line, trends
from alliance.core.record.members import AllianceFacts, Body, Country, Goal, Period, SecretariatTerm
from alliance.core.record.workflow import Commitment, Report, ReportStatus

FIRST_YEAR = 2012


@dataclass(frozen=True, slots=True)
class MembershipPoint:
    day: date
    members: int
    eu: int
    label: str = ""


@dataclass(frozen=True, slots=True)
class Series:
    """One indicator summed over every country that reported it, per year, with its goal line."""

    name: str
    label: str
    unit: str
    goal: Goal | None
    points: tuple[tuple[int, float], ...]
    goal_points: tuple[tuple[int, float], ...]  # for year y: what y-1's total required of y
    countries: int


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
    out = []
    for kind in INDICATORS:
        mine = [v for v in values if v.name == kind.name and v.year in years]
        if not mine:
            continue
        totals: dict[int, float] = defaultdict(float)
        for v in mine:
            totals[v.year] += v.value
        points = tuple(sorted(totals.items()))
        goal = goals.get(kind.name)
        goal_points = tuple(
            (year, goal_line(goal, totals[year - 1])) for year, _ in points if goal is not None and totals.get(year - 1)
        )
        countries = len({v.country for v in mine})
        out.append(Series(kind.name, kind.label, kind.unit, goal, points, goal_points, countries))
    return out


def build_view(
    facts: AllianceFacts,
    year: int,
    commitments: Sequence[Commitment],
    reports: Sequence[Report],
    values: Sequence[IndicatorValue],
    campaigns: Sequence[Campaign],
) -> AllianceReportView:
    """The report on `year`, as of its last day."""
    as_of = date(year, 12, 31)
    launch = min((c.day for c in facts.conferences), default=date(FIRST_YEAR, 12, 5))
    goals = {g.indicator: g for t in facts.targets for g in t.goals if g.indicator and g.indicator in BY_NAME}
    years = range(FIRST_YEAR, year + 1)
    at_launch = {c.code for c in facts.members_on(launch)}
    now = {c.code for c in facts.members_on(as_of)}
    eu_now = {c.code for c in facts.members_on(as_of, Body.EU)}
    published = latest_published(reports)
    all_trends = trends([v for v in values if v.year in years], goals)
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
