"""Awareness campaigns (target 3): who a country tried to reach, how, for how long, with what effect,
and the practice it wants other members to copy.

Campaigns are shared with every member on purpose: the operational goal of target 3 is not only
to run campaigns but to share what worked. Pure: validation and the campaign record only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from alliance.core.errors import InvalidRequest


class Audience(StrEnum):
    CHILDREN = "children"
    PARENTS = "parents"
    EDUCATORS = "educators"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Campaign:
    id: int
    country: str
    title: str
    audiences: tuple[Audience, ...]
    channel: str
    starts: date
    ends: date | None
    reach: int | None
    evaluation: str
    practice: str
    created_by: str
    created_at: datetime

    def runs_in(self, year: int) -> bool:
        return self.starts.year <= year and (self.ends is None or self.ends.year >= year)


def check_audiences(values: Iterable[str]) -> tuple[Audience, ...]:
    try:
        audiences = tuple(sorted({Audience(v) for v in values}))
    except ValueError as exc:
        raise InvalidRequest(f"{exc}; audiences are {', '.join(a.value for a in Audience)}") from exc
    if not audiences:
        raise InvalidRequest("name at least one audience: " + ", ".join(a.value for a in Audience))
    return audiences


def check_period(starts: date, ends: date | None) -> None:
    if ends is not None and ends < starts:
        raise InvalidRequest(f"the campaign ends ({ends}) before it starts ({starts})")


def check_reach(reach: int | None) -> int | None:
    if reach is not None and reach < 0:
        raise InvalidRequest("reach cannot be negative")
    return reach


def audiences_column(audiences: Iterable[Audience]) -> str:
    """ ",children,parents,": one audience is then found by LIKE '%,children,%' on any database."""
    return "," + ",".join(a.value for a in audiences) + ","


def audiences_of(column: str) -> tuple[Audience, ...]:
    return tuple(Audience(v) for v in column.strip(",").split(",") if v)
