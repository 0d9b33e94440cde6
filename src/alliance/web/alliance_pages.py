"""The Alliance's pages to read: its members (a table and a grid by region), a country's page
(commitments per target, progress reports, indicators with their charts, campaigns), the campaigns
and the published report on a year.

Each page asks `node.alliance_for(principal)` and `node.figures_for(principal)`, the services the
API uses, so a draft is visible here exactly to whom the API shows it. Charts are the report's own
inline SVG (`alliance.report.svg`), drawn from the same numbers as the table beside them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from alliance.core.access import Principal, Role
from alliance.core.errors import InvalidRequest
from alliance.core.record.access import DRAFTERS, may_draft, may_review
from alliance.core.record.awareness import Audience
from alliance.core.record.indicators import BY_NAME, Across, Trend, goal_line
from alliance.core.record.members import Body, Goal
from alliance.core.record.regions import by_region
from alliance.core.record.report import FIRST_YEAR
from alliance.core.record.workflow import ReportStatus
from alliance.report.svg import bar_chart, trend_chart
from alliance.web import i18n
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.nav import N_
from alliance.web.templating import ENV, Viewer, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

PAGE_SIZE = 20

TARGET_NAMES = (N_("Identify victims"), N_("Prosecute offenders"), N_("Raise awareness"), N_("Reduce availability"))
"""The targets' short names as msgids, so a page shows them in the reader's language."""
AUDIENCE_NAMES = (N_("children"), N_("parents"), N_("educators"), N_("public"))
INDICATOR_NAMES = (
    N_("Victims identified (ICSE)"),
    N_("Offenders prosecuted"),
    N_("Match requests"),
    N_("Matches found"),
    N_("Awareness campaigns running"),
    N_("Campaign reach"),
    N_("Median days to takedown"),
    N_("Hashes added to banks"),
)
CHART_WORDS = (N_("value"), N_("goal for the year"), N_("Reach per campaign"))
REGION_NAMES = (N_("Africa"), N_("Americas"), N_("Asia"), N_("Europe"), N_("Oceania"), N_("Other"))
STATUS_NAMES = {
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "achieved": N_("achieved"),
    "not_achieved": N_("not achieved"),
    "draft": N_("draft"),
    "submitted": N_("submitted"),
    "reviewed": N_("reviewed"),
    "published": N_("published"),
}
ACROSS_NAMES = {
    Across.TOTAL: N_("total of the countries reporting"),
    Across.MEDIAN_OF_MEDIANS: N_("median of the countries' medians (each country reports only its median)"),
    Across.PER_CAMPAIGN: N_("per campaign, not summed by year"),
}


def chart(svg: str) -> Markup:
    """An SVG of `alliance.report.svg`: every text in it is escaped where it is drawn."""
    return Markup(svg)  # built by our own code from escaped parts


def chart_number(value: float) -> str:
    """A number on a chart as the reader writes it (`i18n.chart_number`). A chart is laid out left
    to right; on a right-to-left page each number is isolated as right-to-left text (U+2067 ...
    U+2069), so "1.2 مليون" reads in Arabic order where it is anchored."""
    text = i18n.chart_number(value)
    return f"\u2067{text}\u2069" if i18n.direction(i18n.current_language.get()) == "rtl" else text


def trend_svg(points: list[tuple[int, float]], goal_points: list[tuple[int, float]], title: str) -> Markup:
    """An indicator's chart in the page's language: called by the template, while it renders, so
    its title, legend and numbers are the reader's (`i18n.current_language` is set then)."""
    legend = (i18n.gettext_("value"), i18n.gettext_("goal for the year"))
    return chart(trend_chart(points, goal_points, title, legend, fmt=chart_number))


def bars_svg(bars: list[tuple[str, float]], title: str) -> Markup:
    """One bar per item, in the page's language (see `trend_svg`)."""
    return chart(bar_chart(bars, title, "", fmt=chart_number))


ENV.globals["trend_svg"] = trend_svg
ENV.globals["bars_svg"] = bars_svg


# --- members ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberRow:
    code: str
    name: str
    since: date | None
    eu: bool
    commitments: int
    reports: int


@router.get("/alliance")
def alliance_root() -> Response:
    return RedirectResponse("/alliance/members", status_code=303)


@router.get("/alliance/members")
def members(request: Request, viewer: ViewerDep) -> Response:
    principal = principal_of(viewer)
    alliance = node_of(request).alliance_for(principal)
    facts = alliance.facts()
    today = alliance.today()
    eu = {c.code for c in facts.members_on(today, Body.EU)}
    commitments: dict[str, int] = defaultdict(int)
    for c in alliance.commitments():
        commitments[c.country] += 1
    published: dict[str, int] = defaultdict(int)
    for r in alliance.reports():
        if r.status is ReportStatus.PUBLISHED:
            published[r.country] += 1
    rows = [
        MemberRow(c.code, c.name, facts.joined(c.code), c.code in eu, commitments[c.code], published[c.code])
        for c in facts.members_on(today)
    ]
    return render(
        request,
        "alliance/members.html",
        viewer,
        rows=rows,
        regions=by_region(rows, lambda r: r.code),
        today=today,
        holder=alliance.holder(),
    )


# --- a country --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndicatorBlock:
    """An indicator of a country: its values by year and the goal line of each year that has one
    (the template draws the chart from these, `trend_svg`, beside the table of the same numbers)."""

    name: str
    label: str
    unit: str
    trends: list[Trend]
    points: list[tuple[int, float]]
    goal_points: list[tuple[int, float]]

    @property
    def goal_lines(self) -> dict[int, float]:
        return dict(self.goal_points)


@router.get("/alliance/countries/{code}")
def country(request: Request, viewer: ViewerDep, code: str) -> Response:
    principal = principal_of(viewer)
    node = node_of(request)
    alliance, figures = node.alliance_for(principal), node.figures_for(principal)
    facts = alliance.facts()
    found = facts.country(code[:2])
    by_target: dict[int, list[Any]] = {t.number: [] for t in facts.targets}
    for c in alliance.commitments(found.code):
        by_target.setdefault(c.target, []).append(c)
    reports = sorted(alliance.reports(found.code), key=lambda r: (-r.year, -r.version))
    goals = {g.indicator: g for t in facts.targets for g in t.goals if g.indicator}
    blocks = _indicator_blocks(figures.indicators(found.code), goals)
    joined = facts.joined(found.code)
    today = alliance.today()
    years = list(range(today.year, max(joined.year if joined else today.year, FIRST_YEAR) - 1, -1))
    return render(
        request,
        "alliance/country.html",
        viewer,
        country=found,
        periods=[p for p in facts.periods if p.country == found.code],
        targets=facts.targets,
        by_target=by_target,
        reports=reports,
        indicators=blocks,
        campaigns=figures.campaigns(country=found.code, limit=PAGE_SIZE),
        may_draft=may_draft(principal, found.code),
        years=years,
    )


def _indicator_blocks(found: list[Trend], goals: dict[str, Goal]) -> list[IndicatorBlock]:
    """One chart and table per indicator of a country; the goal line is what the year before required."""
    grouped: dict[str, list[Trend]] = defaultdict(list)
    for t in found:
        grouped[t.value.name].append(t)
    blocks = []
    for name, trends in grouped.items():
        kind = BY_NAME[name]
        goal = goals.get(name)
        points = [(t.value.year, t.value.value) for t in trends]
        lines = [
            (t.value.year, goal_line(goal, t.previous))
            for t in trends
            if goal is not None and t.previous is not None and kind.yearly
        ]
        blocks.append(IndicatorBlock(name, kind.label, kind.unit, trends, points, lines))
    return blocks


# --- campaigns --------------------------------------------------------------------------------


@router.get("/alliance/campaigns")
def campaigns(
    request: Request,
    viewer: ViewerDep,
    q: Annotated[str, Query(max_length=200)] = "",
    country: Annotated[str, Query(max_length=2)] = "",
    audience: Annotated[str, Query(max_length=20)] = "",
    after: Annotated[int, Query(ge=0)] = 0,
) -> Response:
    principal = principal_of(viewer)
    node = node_of(request)
    figures = node.figures_for(principal)
    wanted = Audience(audience) if audience in {a.value for a in Audience} else None
    found = figures.campaigns(q or None, country.upper() or None, wanted, after, PAGE_SIZE + 1)
    more = len(found) > PAGE_SIZE
    found = found[:PAGE_SIZE]
    facts = node.alliance_for(principal).facts()
    return render(
        request,
        "alliance/campaigns.html",
        viewer,
        campaigns=found,
        next_after=found[-1].id if more and found else None,
        q=q,
        country=country.upper(),
        audience=audience,
        audiences=[a.value for a in Audience],
        countries=facts.countries,
        may_add=principal.has(*DRAFTERS) and bool(principal.country),
        notice=request.query_params.get("notice") == "added",
        error=None,
    )


@router.post("/alliance/campaigns")
def add_campaign(
    request: Request,
    viewer: ViewerDep,
    title: Annotated[str, Form(max_length=200)],
    channel: Annotated[str, Form(max_length=100)],
    starts: Annotated[date, Form()],
    audiences: Annotated[list[str], Form()],
    ends: Annotated[str, Form(max_length=10)] = "",
    reach: Annotated[str, Form(max_length=12)] = "",
    evaluation: Annotated[str, Form(max_length=20_000)] = "",
    practice: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    principal = principal_of(viewer)
    figures = node_of(request).figures_for(principal)
    try:
        end_day = date.fromisoformat(ends) if ends else None
        reached = int(reach) if reach.strip() else None
    except ValueError:
        raise InvalidRequest("ends must be a day (YYYY-MM-DD) and reach a whole number") from None
    figures.add_campaign(principal.country, title, audiences, channel, starts, end_day, reached, evaluation, practice)
    return RedirectResponse("/alliance/campaigns?notice=added", status_code=303)


# --- the report ---------------------------------------------------------------------------------


@router.get("/alliance/report")
def report(
    request: Request, viewer: ViewerDep, year: Annotated[int | None, Query(ge=1900, le=2999)] = None
) -> Response:
    principal = principal_of(viewer)
    node = node_of(request)
    figures = node.figures_for(principal)
    today = node.alliance_for(principal).today()
    chosen = year if year is not None else today.year - 1
    view = figures.report_view(chosen)
    reach = [(f"{c.country}: {c.title}", float(c.reach or 0)) for c in view.reach]
    published = [p.report for p in view.pages if p.report is not None]
    return render(
        request,
        "alliance/report.html",
        viewer,
        view=view,
        reach=reach,
        published=published,
        years=list(range(today.year, FIRST_YEAR - 1, -1)),
        across_names=ACROSS_NAMES,
        commitments=sum(len(v) for v in view.matrix.values()),
    )


# --- the home page's panels ---------------------------------------------------------------------


def alliance_home(request: Request, principal: Principal) -> dict[str, Any]:
    """What the home page's Alliance panels show: the reports awaiting the secretariat, or the
    viewer's country's reports in progress."""
    alliance = node_of(request).alliance_for(principal)
    reports = alliance.reports()
    waiting = [r for r in reports if r.status in (ReportStatus.SUBMITTED, ReportStatus.REVIEWED)]
    mine = [r for r in reports if r.country == principal.country and r.status is not ReportStatus.PUBLISHED]
    return {
        "waiting": waiting if may_review(principal, alliance.holder_org_id()) else [],
        "secretariat": principal.has(Role.SECRETARIAT),
        "mine": mine,
        "country": principal.country,
    }


ENV.globals["alliance_home"] = alliance_home
ENV.globals["status_name"] = lambda status: STATUS_NAMES.get(str(getattr(status, "value", status)), str(status))


def principal_of(viewer: Viewer) -> Principal:
    assert viewer.principal is not None  # `viewer` sends anyone else to the login page
    return viewer.principal
