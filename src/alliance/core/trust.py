"""Trust in bank entries: grades, the consensus that confirms an entry, category schemes, disputes,
and the flood rule that quarantines an entry matching far more than its history predicts.

Every trusted list in this field needs several independent assessments before an entry is used
(CAID: three police votes; IWF: three experts; Arachnid: three analysts agree). Here each analyst
grades an entry once with the node's grading scheme; a bank's consensus rule turns grades into a
verdict; category schemes (data, `trust_data/schemes.json`) turn the agreed grade into the
category each jurisdiction's law uses. All of it is pure: the services store and audit.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from alliance.core.banks import EntryStatus
from alliance.core.errors import InvalidRequest

AGE_BANDS = ("infant", "prepubescent", "pubescent", "adult", "none")
"""Apparent age of the youngest person shown ('none': no person)."""
SEVERITIES = (1, 2, 3)
"""1 most severe, 3 least; the UK's categories A, B and C follow them."""


@dataclass(frozen=True, slots=True)
class Grade:
    """One analyst's classification of an entry, in the node's grading scheme."""

    illegal: bool
    age_band: str
    severity: int | None = None  # only for illegal material
    baseline: bool = False  # INTERPOL Baseline: illegal in any country; only for illegal material

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Grade:
        unknown = set(data) - {"illegal", "age_band", "severity", "baseline"}
        if unknown:
            raise InvalidRequest(f"unknown field in grade: {sorted(unknown)[0]}")
        illegal = data.get("illegal")
        if not isinstance(illegal, bool):
            raise InvalidRequest("a grade says whether the material is illegal: 'illegal' true or false")
        age_band = data.get("age_band")
        if age_band not in AGE_BANDS:
            raise InvalidRequest(f"age_band must be one of {', '.join(AGE_BANDS)}; got {age_band!r}")
        severity = data.get("severity")
        baseline = data.get("baseline", False)
        if not isinstance(baseline, bool):
            raise InvalidRequest("baseline is true or false")
        if illegal:
            if isinstance(severity, bool) or severity not in SEVERITIES:
                raise InvalidRequest(f"illegal material needs a severity of 1, 2 or 3; got {severity!r}")
            if age_band in ("adult", "none"):
                raise InvalidRequest("material graded illegal shows a child: age_band cannot be adult or none")
        elif severity is not None or baseline:
            raise InvalidRequest("material graded not illegal has no severity and is not Baseline")
        return cls(illegal, age_band, severity if illegal else None, baseline if illegal else False)

    def to_json(self) -> dict[str, Any]:
        return {
            "illegal": self.illegal,
            "age_band": self.age_band,
            "severity": self.severity,
            "baseline": self.baseline,
        }


@dataclass(frozen=True, slots=True)
class Vote:
    """A grade and who gave it. `grader` names a person or key; one vote per grader per entry."""

    grader: str
    org_id: int
    grade: Grade


@dataclass(frozen=True, slots=True)
class ConsensusRule:
    """`required` agreeing grades from at least `min_orgs` organisations confirm an entry.

    `required` 0 means the bank is fed from lists graded elsewhere: entries are confirmed on entry.
    """

    required: int = 3
    min_orgs: int = 1

    def __post_init__(self) -> None:
        if not 0 <= self.required <= 20 or not 1 <= self.min_orgs <= max(1, self.required):
            raise InvalidRequest("consensus needs 0-20 grades from 1 to that many organisations")


class Verdict(StrEnum):
    PENDING = "pending"  # not enough grades yet
    CONFIRMED = "confirmed"
    REVIEW = "review"  # graders disagree: an analyst of the bank's owner decides


def consensus(votes: Iterable[Vote], rule: ConsensusRule) -> tuple[Verdict, Grade | None]:
    """The verdict of the votes so far, and the agreed grade when there is one."""
    votes = list(votes)
    if rule.required == 0:
        return Verdict.CONFIRMED, votes[0].grade if votes else None
    grades = {v.grade for v in votes}
    if len(grades) > 1:
        return Verdict.REVIEW, None
    if len(votes) >= rule.required and len({v.org_id for v in votes}) >= rule.min_orgs:
        return Verdict.CONFIRMED, votes[0].grade
    return Verdict.PENDING, None


# --- lifecycle ---------------------------------------------------------------------------------

S = EntryStatus
TRANSITIONS: dict[EntryStatus, frozenset[EntryStatus]] = {
    S.PROPOSED: frozenset({S.CONFIRMED, S.RETIRED}),
    S.CONFIRMED: frozenset({S.DISPUTED, S.QUARANTINED, S.RETIRED}),
    S.DISPUTED: frozenset({S.CONFIRMED, S.RETIRED}),
    S.QUARANTINED: frozenset({S.CONFIRMED, S.RETIRED}),
    S.RETIRED: frozenset(),
}


def check_transition(current: EntryStatus, new: EntryStatus) -> None:
    if new not in TRANSITIONS[current]:
        raise InvalidRequest(f"an entry that is {current.value} cannot become {new.value}")


PLATFORM_VISIBLE = frozenset({S.CONFIRMED})
"""What platforms match: only entries every check has passed."""
ANALYST_VISIBLE = frozenset({S.CONFIRMED, S.DISPUTED, S.QUARANTINED})
"""What hotlines and police match: disputed and quarantined entries still inform their work."""


# --- category schemes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CategoryScheme:
    name: str
    title: str
    jurisdictions: frozenset[str]
    rules: tuple[tuple[dict[str, Any], str], ...]
    default: str

    def category(self, grade: Grade) -> str:
        values = grade.to_json()
        for when, category in self.rules:
            if all(values.get(k) == v for k, v in when.items()):
                return category
        return self.default


@dataclass(frozen=True, slots=True)
class SchemeBook:
    """Every scheme the node knows, and which one each country's law uses."""

    schemes: dict[str, CategoryScheme]
    fallback: str

    def for_country(self, country: str) -> CategoryScheme:
        for scheme in self.schemes.values():
            if country.upper() in scheme.jurisdictions:
                return scheme
        return self.schemes[self.fallback]

    def category(self, grade: Grade | None, country: str) -> dict[str, str] | None:
        """The category in `country`'s scheme, e.g. {"scheme": "uk_abc", "category": "A"}."""
        if grade is None:
            return None
        scheme = self.for_country(country)
        return {"scheme": scheme.name, "category": scheme.category(grade)}

    def category_of_agreed(self, grade: dict[str, Any] | None, country: str) -> dict[str, str] | None:
        """The category of an entry's agreed grade as the store keeps it (JSON), in `country`'s
        scheme; None for an entry not graded yet."""
        if not grade:
            return None
        return self.category(Grade.from_json({k: v for k, v in grade.items() if v is not None}), country)


def load_schemes(path: Path | None = None) -> SchemeBook:
    """The schemes shipped with the package, or those in `path` (same format)."""
    text = path.read_text() if path else (resources.files("alliance.trust_data") / "schemes.json").read_text()
    try:
        data = json.loads(text)
        schemes = {}
        for raw in data["schemes"]:
            rules = tuple((dict(r["when"]), str(r["category"])) for r in raw["rules"])
            schemes[raw["name"]] = CategoryScheme(
                raw["name"], raw["title"], frozenset(raw.get("jurisdictions", [])), rules, str(raw["default"])
            )
        for country in data.get("derived_illegal_in", []):
            name = f"illegal_in_{country.lower()}"
            schemes.setdefault(
                name,
                CategoryScheme(
                    name,
                    f"Illegal in {country}",
                    frozenset({country}),
                    (({"illegal": True}, "illegal"),),
                    "not illegal",
                ),
            )
        fallback = data["fallback"]
        if fallback not in schemes:
            raise KeyError(fallback)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidRequest(f"category schemes file is malformed: {exc}") from exc
    return SchemeBook(schemes, fallback)


# --- disputes and floods -------------------------------------------------------------------------


class Queue(StrEnum):
    """The review queues an analyst works through (the words of the CLI and the API)."""

    GRADING = "grading"  # proposed entries you have not graded yet
    REVIEW = "review"  # graders disagreed
    DISPUTES = "disputes"  # disputed as false positives
    QUARANTINE = "quarantine"  # matched a flood of queries


class DisputeOutcome(StrEnum):
    ENTRY_STANDS = "entry_stands"  # the match was right: the entry is confirmed again
    FALSE_POSITIVE = "false_positive"  # the entry is retired


class DisputeState(StrEnum):
    OPEN = "open"  # recorded; too few organisations dispute the entry yet
    UPHELD = "upheld"  # enough organisations agree: the entry is disputed until its curators decide
    ENTRY_STANDS = DisputeOutcome.ENTRY_STANDS.value
    FALSE_POSITIVE = DisputeOutcome.FALSE_POSITIVE.value


def dispute_upheld(disputing_orgs: Iterable[int], threshold: int) -> bool:
    """Past `threshold` disputing organisations an entry becomes disputed."""
    return len(set(disputing_orgs)) >= threshold


@dataclass(frozen=True, slots=True)
class FloodRule:
    """Quarantine an entry whose distinct matching queries in a window exceed
    max(`min_matches`, `factor` x the mean of its previous `history` windows), counted so that no
    single organisation can do it: each organisation counts for at most limit // `min_orgs` + 1
    queries, so at least `min_orgs` organisations must each bring a large share. One organisation
    alone past the limit is a *single-caller flood*: reported to the bank's owner and throttled."""

    window_seconds: float = 600.0
    min_matches: int = 50
    factor: float = 10.0
    history: int = 6
    min_orgs: int = 2

    def window_start(self, epoch_seconds: float) -> float:
        """Windows are aligned to the epoch, so every replica counts the same ones."""
        return epoch_seconds - epoch_seconds % self.window_seconds


@dataclass(frozen=True, slots=True)
class CallerCount:
    """One organisation's matches of one entry in a window: distinct queries, and by how many keys."""

    org_id: int
    queries: int
    keys: int = 0


@dataclass(frozen=True, slots=True)
class FloodDecision:
    entry_id: int
    distinct_queries: int  # counted as the rule counts them (each organisation capped)
    expected: float
    limit: float
    window_seconds: float
    organisations: int = 1
    single_caller: int | None = None  # the organisation that flooded alone; None: quarantine

    def numbers(self) -> dict[str, Any]:
        return {
            "distinct_queries": self.distinct_queries,
            "organisations": self.organisations,
            "expected": round(self.expected, 2),
            "limit": self.limit,
            "window_seconds": self.window_seconds,
        }


def judge_flood(
    entry_id: int, callers: Iterable[CallerCount], past: Iterable[int], rule: FloodRule
) -> list[FloodDecision]:
    """What the flood rule says of an entry's current window: a quarantine, single-caller floods, or nothing.

    `past` holds the distinct queries of each of the entry's previous windows (up to `history`).
    """
    callers = [c for c in callers if c.queries > 0]
    history = list(past)[-rule.history :]
    expected = sum(history) / len(history) if history else 0.0
    limit = max(float(rule.min_matches), rule.factor * expected)
    cap = int(limit) // rule.min_orgs + 1
    counted = sum(min(c.queries, cap) for c in callers)
    decisions = [
        FloodDecision(entry_id, c.queries, expected, limit, rule.window_seconds, 1, single_caller=c.org_id)
        for c in callers
        if c.queries > limit
    ]
    if counted > limit and len(callers) >= rule.min_orgs:
        decisions.insert(0, FloodDecision(entry_id, counted, expected, limit, rule.window_seconds, len(callers)))
    return decisions


@dataclass(frozen=True, slots=True)
class BankTrust:
    """A bank's trust settings: its consensus rule, when disputes count, who matches proposed entries."""

    consensus: ConsensusRule = ConsensusRule()
    dispute_threshold: int = 2
    match_proposed: bool = False  # hotlines and police (never platforms) also match proposed entries
    blind_grading: bool = True

    @classmethod
    def from_json(cls, data: dict[str, Any] | None, default_required: int = 3) -> BankTrust:
        data = dict(data or {})
        unknown = set(data) - {"required_grades", "min_orgs", "dispute_threshold", "match_proposed", "blind_grading"}
        if unknown:
            raise InvalidRequest(f"unknown trust setting: {sorted(unknown)[0]}")
        try:
            rule = ConsensusRule(int(data.get("required_grades", default_required)), int(data.get("min_orgs", 1)))
            threshold = int(data.get("dispute_threshold", 2))
        except (TypeError, ValueError) as exc:
            raise InvalidRequest(f"invalid trust setting: {exc}") from exc
        if not 1 <= threshold <= 100:
            raise InvalidRequest("dispute_threshold must be between 1 and 100 organisations")
        for flag in ("match_proposed", "blind_grading"):
            if flag in data and not isinstance(data[flag], bool):
                raise InvalidRequest(f"{flag} is true or false")
        return cls(rule, threshold, bool(data.get("match_proposed", False)), bool(data.get("blind_grading", True)))

    def to_json(self) -> dict[str, Any]:
        return {
            "required_grades": self.consensus.required,
            "min_orgs": self.consensus.min_orgs,
            "dispute_threshold": self.dispute_threshold,
            "match_proposed": self.match_proposed,
            "blind_grading": self.blind_grading,
        }

    def initial_status(self) -> EntryStatus:
        return EntryStatus.CONFIRMED if self.consensus.required == 0 else EntryStatus.PROPOSED
