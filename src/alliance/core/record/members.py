"""The Global Alliance as facts: its policy targets, its members over time, its conferences and secretariat.

Membership is a list of periods per country and body (the Alliance itself, the EU), each with the
day it began and, if it ended, the first day it no longer held. Asking "who was a member on
2014-09-30?" is then one pure question over dates, which is what the report, the reporting rules
("no report for a year before the country joined") and the tests all need.

Parsed from the seed file shipped in `alliance.alliance_data`; this module never reads files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from alliance.core.errors import FormatError, InvalidRequest, NotFound

_CODE = re.compile(r"^[A-Z]{2}$")


class Body(StrEnum):
    """What a membership period is a membership of."""

    ALLIANCE = "alliance"
    EU = "eu"


class Direction(StrEnum):
    INCREASE = "increase"
    DECREASE = "decrease"


@dataclass(frozen=True, slots=True)
class Goal:
    """An operational goal under a target; `indicator`, if set, is the yearly figure that shows it is met."""

    code: str
    target: int
    text: str
    indicator: str | None = None
    direction: Direction = Direction.INCREASE
    by_at_least: float = 0.0
    note: str = ""


@dataclass(frozen=True, slots=True)
class Target:
    """One of the four policy targets of the 2012 declaration."""

    number: int
    short: str
    text: str
    goals: tuple[Goal, ...] = ()


@dataclass(frozen=True, slots=True)
class Period:
    """Membership of `body` from `joined` (inclusive) until `left` (exclusive; None: still a member).

    `joined_exact` is False where the sources only say the country was a member by that day.
    """

    country: str
    body: Body
    joined: date
    left: date | None = None
    joined_exact: bool = True
    source: str = ""
    note: str = ""

    def holds_on(self, day: date) -> bool:
        return self.joined <= day and (self.left is None or day < self.left)


@dataclass(frozen=True, slots=True)
class Country:
    code: str
    name: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Conference:
    day: date
    place: str
    title: str
    hosts: str
    members: int


@dataclass(frozen=True, slots=True)
class SecretariatTerm:
    """Who held the secretariat (and chaired the Alliance) from `since`. `org_id` is the node's organisation
    standing for the holder, once the store knows it."""

    since: date
    holder: str
    country: str
    chair: str
    source: str = ""
    org_id: int | None = None
    recorded_by: str = "seed"


@dataclass(frozen=True, slots=True)
class AllianceFacts:
    targets: tuple[Target, ...]
    countries: tuple[Country, ...]
    periods: tuple[Period, ...]
    conferences: tuple[Conference, ...] = ()
    secretariat: tuple[SecretariatTerm, ...] = ()
    _by_code: dict[str, Country] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_code.update({c.code: c for c in self.countries})

    def country(self, code: str) -> Country:
        try:
            return self._by_code[code.upper()]
        except KeyError:
            raise NotFound(f"{code!r} is not a country of the Alliance") from None

    def target(self, number: int) -> Target:
        return target_of(self.targets, number)

    def members_on(self, day: date, body: Body = Body.ALLIANCE) -> list[Country]:
        return members_on(self.countries, self.periods, day, body)

    def counts_on(self, day: date) -> tuple[int, int]:
        """(Alliance members, of which EU members) on `day`."""
        members = {c.code for c in self.members_on(day)}
        eu = {c.code for c in self.members_on(day, Body.EU)}
        return len(members), len(members & eu)

    def joined(self, code: str) -> date | None:
        """The first day `code` was an Alliance member, or None if it never was."""
        days = [p.joined for p in self.periods if p.country == code and p.body is Body.ALLIANCE]
        return min(days) if days else None


def members_on(countries: Iterable[Country], periods: Iterable[Period], day: date, body: Body) -> list[Country]:
    """Countries of `body` on `day`, by name."""
    held = {p.country for p in periods if p.body is body and p.holds_on(day)}
    return sorted((c for c in countries if c.code in held), key=lambda c: c.name)


def member_in_year(periods: Iterable[Period], code: str, year: int) -> bool:
    """Whether `code` was an Alliance member on any day of `year` (so it may report on that year)."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    return any(
        p.country == code and p.body is Body.ALLIANCE and p.joined <= last and (p.left is None or p.left > first)
        for p in periods
    )


def target_of(targets: Sequence[Target], number: int) -> Target:
    for target in targets:
        if target.number == number:
            return target
    raise NotFound(f"no policy target {number}; the targets are {', '.join(str(t.number) for t in targets)}")


def goal_of(targets: Sequence[Target], code: str) -> Goal:
    for target in targets:
        for goal in target.goals:
            if goal.code == code:
                return goal
    raise NotFound(f"no operational goal {code!r}")


def current_term(terms: Sequence[SecretariatTerm]) -> SecretariatTerm | None:
    """The latest term; terms come in the order they were recorded, so equal days keep that order."""
    return max(enumerate(terms), key=lambda it: (it[1].since, it[0]))[1] if terms else None


def check_country_code(code: str) -> str:
    text = code.strip().upper()
    if not _CODE.match(text):
        raise InvalidRequest(f"{code!r} is not an ISO 3166 alpha-2 country code")
    return text


# --- parsing the seed file ------------------------------------------------------------------------


def parse_facts(data: Mapping[str, Any]) -> AllianceFacts:
    """The facts in a seed document (see `alliance_data/members.json`); `FormatError` names what is wrong."""
    if data.get("format") != 1:
        raise FormatError("format", "expected format 1")
    try:
        targets = tuple(_target(t) for t in data["targets"])
        countries: list[Country] = []
        periods: list[Period] = []
        for c in data["countries"]:
            code = check_country_code(c["code"])
            countries.append(Country(code, c["name"], c.get("note", "")))
            for body in Body:
                periods.extend(_period(code, body, p) for p in c.get(body.value, []))
        conferences = tuple(
            Conference(date.fromisoformat(c["date"]), c["place"], c["title"], c.get("hosts", ""), int(c["members"]))
            for c in data.get("conferences", [])
        )
        terms = tuple(
            SecretariatTerm(date.fromisoformat(t["since"]), t["holder"], t["country"], t["chair"], t.get("source", ""))
            for t in data.get("secretariat", [])
        )
    except (KeyError, TypeError, ValueError, InvalidRequest) as exc:
        raise FormatError("seed", f"{type(exc).__name__}: {exc}") from exc
    if len({c.code for c in countries}) != len(countries):
        raise FormatError("countries", "a country is listed twice")
    return AllianceFacts(targets, tuple(countries), tuple(periods), conferences, terms)


def _target(t: Mapping[str, Any]) -> Target:
    number = int(t["number"])
    goals = tuple(
        Goal(
            code=g["code"],
            target=number,
            text=g["text"],
            indicator=g.get("indicator"),
            direction=Direction(g.get("direction", "increase")),
            by_at_least=float(g.get("by_at_least", 0.0)),
            note=g.get("note", ""),
        )
        for g in t.get("goals", [])
    )
    return Target(number, t["short"], t["text"], goals)


def _period(code: str, body: Body, p: Mapping[str, Any]) -> Period:
    left = date.fromisoformat(p["left"]) if p.get("left") else None
    return Period(
        code,
        body,
        date.fromisoformat(p["joined"]),
        left,
        bool(p.get("joined_exact", True)),
        p.get("source", ""),
        p.get("note", ""),
    )
