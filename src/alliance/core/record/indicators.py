"""Yearly indicators per country: what each one means, where its value comes from, and the maths.

An indicator value is either *computed* from what this node holds (entries added to a country's
banks, its match requests, its awareness campaigns) or *entered* by someone who has the figure
from elsewhere (victims identified in INTERPOL's ICSE database), with the source, who entered it
and when. A year's value is compared with the year before it, and with the operational goal the
indicator serves: "identified victims +10% a year" is met when the change is at least +10%.

Pure: the store and service hand the values in; nothing here reads a database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from statistics import median

from alliance.core.errors import InvalidRequest, NotFound
from alliance.core.record.members import Direction, Goal


class Origin(StrEnum):
    COMPUTED = "computed"  # from the node's own data, recomputed on every read
    ENTERED = "entered"  # typed in, with its source


class Across(StrEnum):
    """How the Alliance's figure for a year is made from its countries' figures.

    Counts add up. A median does not: a country reports its own median, and the median of every
    case (the pooled median) would need every case, which the Alliance never sees; the middle of
    the countries' medians is what can honestly be said. Campaign reach belongs to a campaign, not
    to a year: summed by year it rises and falls as campaigns start and end, so it is shown per
    campaign and never compared year on year.
    """

    TOTAL = "total"
    MEDIAN_OF_MEDIANS = "median_of_medians"
    PER_CAMPAIGN = "per_campaign"

    @property
    def label(self) -> str:
        return ACROSS_LABELS[self]


ACROSS_LABELS = {
    Across.TOTAL: "total of the countries reporting",
    Across.MEDIAN_OF_MEDIANS: "median of the countries' medians (each country reports only its median)",
    Across.PER_CAMPAIGN: "per campaign, not summed by year",
}


@dataclass(frozen=True, slots=True)
class IndicatorKind:
    name: str
    label: str
    unit: str
    origin: Origin
    target: int
    definition: str
    across: Across = Across.TOTAL

    @property
    def yearly(self) -> bool:
        """Whether one year's value may be compared with the year before."""
        return self.across is not Across.PER_CAMPAIGN


INDICATORS: tuple[IndicatorKind, ...] = (
    IndicatorKind(
        "victims_identified",
        "Victims identified (ICSE)",
        "victims",
        Origin.ENTERED,
        1,
        "Victims from this country identified in INTERPOL's ICSE database during the year.",
    ),
    IndicatorKind(
        "offenders_prosecuted",
        "Offenders prosecuted",
        "people",
        Origin.ENTERED,
        2,
        "Prosecutions for child sexual abuse online brought during the year.",
    ),
    IndicatorKind(
        "match_requests",
        "Match requests",
        "requests",
        Origin.COMPUTED,
        2,
        "Match requests made on this node by the country's organisations during the year (audit log).",
    ),
    IndicatorKind(
        "matches_found",
        "Matches found",
        "matches",
        Origin.COMPUTED,
        2,
        "Matches those requests found (the audit log's match_count).",
    ),
    IndicatorKind(
        "campaigns_run",
        "Awareness campaigns running",
        "campaigns",
        Origin.COMPUTED,
        3,
        "Awareness campaigns of the country running at any time during the year.",
    ),
    IndicatorKind(
        "campaign_reach",
        "Campaign reach",
        "people",
        Origin.COMPUTED,
        3,
        "Reach reported for the campaigns that started during the year (a campaign's whole reach).",
        Across.PER_CAMPAIGN,
    ),
    IndicatorKind(
        "takedown_median_days",
        "Median days to takedown",
        "days",
        Origin.ENTERED,
        4,
        "Median days from notice to removal of reported material hosted in the country.",
        Across.MEDIAN_OF_MEDIANS,
    ),
    IndicatorKind(
        "entries_added",
        "Hashes added to banks",
        "entries",
        Origin.COMPUTED,
        4,
        "Entries added during the year to banks owned by the country's organisations.",
    ),
)
BY_NAME = {kind.name: kind for kind in INDICATORS}


def indicator_kind(name: str) -> IndicatorKind:
    try:
        return BY_NAME[name]
    except KeyError:
        raise NotFound(f"no indicator {name!r}; the indicators are {', '.join(BY_NAME)}") from None


def enterable(name: str) -> IndicatorKind:
    kind = indicator_kind(name)
    if kind.origin is not Origin.ENTERED:
        raise InvalidRequest(f"{name} is computed from this node's own data and cannot be entered")
    return kind


@dataclass(frozen=True, slots=True)
class IndicatorValue:
    """One figure for a country and year; `source`, `entered_by` and `entered_at` say where it came from."""

    country: str
    year: int
    name: str
    value: float
    origin: Origin
    source: str
    entered_by: str | None = None
    entered_at: datetime | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class Trend:
    """A year's value beside the year before, and whether the goal it serves was met."""

    value: IndicatorValue
    previous: float | None
    change: float | None  # relative: 0.1 is +10%; None without a previous non-zero value
    goal: str | None
    goal_met: bool | None  # None when there is no goal or nothing to compare with


def relative_change(previous: float | None, current: float) -> float | None:
    """(current - previous) / previous; undefined without a previous value or from zero."""
    if previous is None or previous == 0:
        return None
    return (current - previous) / previous


def goal_met(goal: Goal, change: float | None) -> bool | None:
    """Whether a relative change meets the goal: at least `by_at_least` in its direction.

    With `by_at_least` 0 the goal is "better than last year", so no change is not enough.
    """
    if change is None:
        return None
    signed = change if goal.direction is Direction.INCREASE else -change
    return signed > 0 if goal.by_at_least == 0 else signed >= goal.by_at_least - 1e-12


def trends(values: Sequence[IndicatorValue], goals: Mapping[str, Goal]) -> list[Trend]:
    """Each value with the same country's and indicator's value of the year before (if any).

    `goals` maps an indicator name to the goal it serves.
    A campaign's reach is not compared with the year before (see `Across`).
    """
    known = {(v.country, v.name, v.year): v.value for v in values}
    out = []
    for v in sorted(values, key=lambda v: (v.country, v.name, v.year)):
        kind = BY_NAME.get(v.name)
        previous = known.get((v.country, v.name, v.year - 1)) if kind is None or kind.yearly else None
        change = relative_change(previous, v.value)
        goal = goals.get(v.name)
        out.append(Trend(v, previous, change, goal.code if goal else None, goal_met(goal, change) if goal else None))
    return out


def combine(across: Across, values: Sequence[float]) -> float:
    """The Alliance's figure from its countries' figures for one year, as `across` says."""
    if not values:
        raise InvalidRequest("no values to combine")
    if across is Across.MEDIAN_OF_MEDIANS:
        return float(median(values))
    return float(sum(values))


def goal_line(goal: Goal, previous: float) -> float:
    """The value this year must reach (or stay under) for the goal to be met, for charts."""
    factor = 1 + goal.by_at_least if goal.direction is Direction.INCREASE else 1 - goal.by_at_least
    return previous * factor


def check_value(name: str, value: float) -> float:
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidRequest(f"{name}: not a number")
    if value < 0:
        raise InvalidRequest(f"{name}: a count or duration cannot be negative")
    return float(value)
