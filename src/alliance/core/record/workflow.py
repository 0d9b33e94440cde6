"""Commitments and progress reports: their states and the moves between them.

A progress report is one country's account of one year, one section per policy target (as the
2014 reporting form). It moves

    draft --submit--> submitted --review--> reviewed --publish--> published
      ^                   |                    |
      +------return-------+--------------------+

and a published report never changes again: a correction is a new version (a new draft that
copies the published text), which goes through the same steps. Readers see the latest
published version.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum

from alliance.core.errors import Conflict, InvalidRequest

MAX_TEXT = 20_000


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"
    PUBLISHED = "published"


class ReportMove(StrEnum):
    SUBMIT = "submit"  # the country hands its draft to the secretariat
    REVIEW = "review"  # the secretariat accepts it for publication
    RETURN = "return"  # the secretariat sends it back with a note
    PUBLISH = "publish"  # the secretariat makes it public; final


MOVES: dict[ReportMove, tuple[frozenset[ReportStatus], ReportStatus]] = {
    ReportMove.SUBMIT: (frozenset({ReportStatus.DRAFT}), ReportStatus.SUBMITTED),
    ReportMove.REVIEW: (frozenset({ReportStatus.SUBMITTED}), ReportStatus.REVIEWED),
    ReportMove.RETURN: (frozenset({ReportStatus.SUBMITTED, ReportStatus.REVIEWED}), ReportStatus.DRAFT),
    ReportMove.PUBLISH: (frozenset({ReportStatus.REVIEWED}), ReportStatus.PUBLISHED),
}

SECRETARIAT_MOVES = frozenset({ReportMove.REVIEW, ReportMove.RETURN, ReportMove.PUBLISH})


def next_status(current: ReportStatus, move: ReportMove) -> ReportStatus:
    """Where `move` takes a report in `current`; `Conflict` if it cannot be made from there."""
    sources, target = MOVES[move]
    if current is ReportStatus.PUBLISHED:
        raise Conflict("this report is published and cannot change; file a correction (a new version) instead")
    if current not in sources:
        allowed = " or ".join(sorted(s.value for s in sources))
        raise Conflict(f"cannot {move.value} a report that is {current.value} (only one that is {allowed})")
    return target


def check_editable(status: ReportStatus) -> None:
    if status is ReportStatus.PUBLISHED:
        raise Conflict("this report is published and cannot change; file a correction (a new version) instead")
    if status is not ReportStatus.DRAFT:
        raise Conflict(f"this report is {status.value}; only a draft can be edited (ask the secretariat to return it)")


class CommitmentStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not_achieved"


@dataclass(frozen=True, slots=True)
class StatusChange:
    """A commitment's status from a day on. The record keeps every change, so the report on an
    earlier year shows the status the commitment had then, not the one it has today."""

    status: CommitmentStatus
    since: date


@dataclass(frozen=True, slots=True)
class Commitment:
    """What a country pledged under a target, what it already did (the baseline), and how it stands.

    `made_on` is the day the country made it (by default the day it was recorded), which decides
    the first report it belongs to; `history` holds its statuses, oldest first.
    """

    id: int
    country: str
    target: int
    goal: str | None
    title: str
    pledge: str
    baseline: str
    status: CommitmentStatus
    created_by: str
    created_at: datetime
    updated_at: datetime
    made_on: date
    history: tuple[StatusChange, ...] = ()

    def as_of(self, day: date) -> Commitment | None:
        """The commitment as it stood at the end of `day`: None if it was not yet made, else with
        the status it had then (the latest change on or before `day`)."""
        if self.made_on > day:
            return None
        known = [h for h in self.history if h.since <= day]
        if not known:
            return self
        return replace(self, status=known[-1].status)


def check_made_on(made_on: date, joined: date | None, today: date, country: str) -> date:
    """A commitment is made while the country is a member (from the day it joined), never in the future."""
    if joined is None:
        raise InvalidRequest(f"{country} has never been a member of the Alliance")
    if made_on > today:
        raise InvalidRequest(f"{made_on.isoformat()} has not happened yet")
    if made_on < joined:
        raise InvalidRequest(f"{country} joined the Alliance on {joined.isoformat()}, after {made_on.isoformat()}")
    return made_on


@dataclass(frozen=True, slots=True)
class Section:
    target: int
    actions: str = ""
    results: str = ""
    next_steps: str = ""


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    country: str
    year: int
    version: int
    status: ReportStatus
    sections: tuple[Section, ...]
    review_note: str
    corrects: int | None
    created_by: str
    created_at: datetime
    submitted_at: datetime | None = None
    reviewed_at: datetime | None = None
    published_at: datetime | None = None
    published_by: str | None = None

    @property
    def submitted(self) -> bool:
        return self.status is not ReportStatus.DRAFT

    def section(self, target: int) -> Section:
        return next((s for s in self.sections if s.target == target), Section(target))


def check_text(name: str, value: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidRequest(f"{name} is required")
    if len(text) > limit:
        raise InvalidRequest(f"{name} is longer than {limit} characters")
    return text


def check_year(year: int, joined_year: int | None, this_year: int, country: str) -> None:
    """A report is on a year the country was a member in, and not on the future."""
    if joined_year is None:
        raise InvalidRequest(f"{country} has never been a member of the Alliance")
    if year < joined_year:
        raise InvalidRequest(f"{country} joined the Alliance in {joined_year}; there is nothing to report for {year}")
    if year > this_year:
        raise InvalidRequest(f"{year} has not happened yet")
