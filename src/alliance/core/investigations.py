"""Victim identification and investigations: series, pseudonymous victims, cases, and who may know.

A **series** is a set of items (hashes of pictures or videos) believed to show the same abuse, kept
by the law enforcement agency that works it, with its names elsewhere (an ICSE series name, a VICS
Series). A **victim** is a pseudonymous record of a child seen in a series: an identifier, an age
band, sex if known, and whether and by whom the child was identified. A **case** is one agency's
investigation; the hashes of a seized collection go into it and are *deconflicted* at once: known
in a bank, part of a series, victim already identified, another agency working it, or unknown.

Only police see any of this: the role `investigator`, which only law enforcement organisations
hold (decision 0007), never a node admin, hotline, platform or ministry. Another agency learns of a
series only as the series' **disclosure policy** lets it (`read`: the series, its flags and victims;
`contact`: the owning agency and its contact point). Whoever is outside it gets `NotFound` when it
asks, and in a deconfliction only "another agency works this", while that agency is notified.

Never stored: names, addresses, e-mail addresses, telephone numbers, dates of birth or anything
else that identifies a child. `check_pseudonymous` refuses text that looks like it. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from alliance.core.access import Principal, Role, Scope, ShareRule
from alliance.core.errors import InvalidRequest
from alliance.core.signals import Signal


class VictimStatus(StrEnum):
    UNIDENTIFIED = "unidentified"
    IDENTIFIED = "identified"  # who the child is is known to the identifying agency
    SAFEGUARDED = "safeguarded"  # identified and out of harm's way


class CaseStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class LinkKind(StrEnum):
    """Why two series belong together."""

    SAME_VICTIM = "same_victim"
    SAME_PLACE = "same_place"


class Finding(StrEnum):
    """What a deconfliction says of one item, most important first (an item gets the first that holds)."""

    VICTIM_IDENTIFIED = "victim_identified"  # do not spend time on this child: identified elsewhere
    OTHER_AGENCY = "other_agency"  # another agency's series or open case holds it
    OWN_AGENCY = "own_agency"  # a series or another case of the investigator's own agency holds it
    KNOWN = "known"  # in a bank the investigator may match, but in no series
    UNKNOWN = "unknown"  # new-looking material: the priority list for victim identification


DUPLICATE_WORK_FINDINGS = frozenset({Finding.VICTIM_IDENTIFIED, Finding.OTHER_AGENCY})
"""Findings that spare an agency work another has done or is doing (a figure of the record)."""

VICTIM_AGE_BANDS = ("infant", "prepubescent", "pubescent", "unknown")
"""Apparent age at the time the material was made (the grading scheme's bands for a child)."""
SEXES = ("female", "male", "unknown")


# --- who may know ---------------------------------------------------------------------------------


class Disclose(StrEnum):
    READ = "read"  # the series, its flags and its victims (pseudonymous)
    CONTACT = "contact"  # which agency works it, and its contact point


@dataclass(frozen=True, slots=True)
class DisclosurePolicy:
    """Which other police may know of a series or a case, per level. The default tells nobody: a
    hit then says only "another agency works this", and the owner is notified instead."""

    rules: dict[Disclose, ShareRule] = field(default_factory=dict)

    def admits(self, level: Disclose, principal: Principal) -> bool:
        return self.rules.get(level, ShareRule()).admits(principal)

    def to_json(self) -> dict[str, Any]:
        return {level.value: self.rules.get(level, ShareRule()).to_json() for level in Disclose}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> DisclosurePolicy:
        if not data:
            return cls()
        if not isinstance(data, dict):
            raise InvalidRequest("a disclosure policy is an object with keys read, contact")
        unknown = set(data) - {level.value for level in Disclose}
        if unknown:
            raise InvalidRequest(f"unknown level in disclosure policy: {sorted(unknown)[0]}; levels are read, contact")
        return cls({Disclose(k): ShareRule.from_json(v or {}) for k, v in data.items()})


def is_investigator(principal: Principal, scope: Scope = Scope.READ) -> bool:
    """Police work: the investigator role (law enforcement only) with the scope the action needs."""
    return principal.has(Role.INVESTIGATOR) and principal.may(scope)


def may_see(principal: Principal, owner_org_id: int, policy: DisclosurePolicy, level: Disclose) -> bool:
    """Whether `principal` may know a series or case at `level`: its owner's investigators always,
    other investigators as the policy says, nobody else."""
    if not is_investigator(principal):
        return False
    return principal.org_id == owner_org_id or policy.admits(level, principal)


def may_change(principal: Principal, owner_org_id: int) -> bool:
    """Only the owning agency's investigators change its series, victims and cases."""
    return is_investigator(principal, Scope.WRITE) and principal.org_id == owner_org_id


# --- pseudonymous data ----------------------------------------------------------------------------

_IDENTIFYING = (
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"), "an e-mail address"),
    (re.compile(r"(?:\+|00)\d[\d ()./-]{6,}\d|\b\d{3,4}[ ./-]\d{3,4}[ ./-]\d{3,4}\b"), "a telephone number"),
    (re.compile(r"\b(?:19|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b"), "a date"),
    (re.compile(r"\b(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:19|20)?\d\d\b"), "a date"),
    (
        re.compile(
            r"\b\d+\s*[A-Za-z]*\s+(?:street|st\.|road|rd\.|avenue|ave|lane|strasse|straße|str\.|rue|via|weg|platz)\b",
            re.IGNORECASE,
        ),
        "a street address",
    ),
)
IDENTIFYING_FIELDS = frozenset(
    {
        "name",
        "first_name",
        "last_name",
        "surname",
        "full_name",
        "address",
        "street",
        "postcode",
        "zip",
        "email",
        "phone",
        "telephone",
        "date_of_birth",
        "dob",
        "birth_date",
        "birthday",
        "school",
        "national_id",
        "passport",
    }
)
"""Field names a victim record never has: asked for one, Alliance says why it refuses."""
PSEUDONYM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")


def check_pseudonymous(where: str, text: str | None) -> str | None:
    """`text` unchanged, or `InvalidRequest` if it looks like identifying personal data."""
    if text is None:
        return None
    for pattern, what in _IDENTIFYING:
        if pattern.search(text):
            raise InvalidRequest(
                f"{where} looks like {what}; Alliance keeps victims pseudonymous and stores no identifying "
                "personal data (names, addresses, e-mail addresses, telephone numbers, dates of birth)"
            )
    return text


def refuse_identifying_fields(fields: dict[str, Any]) -> None:
    found = sorted(k for k in fields if k.lower() in IDENTIFYING_FIELDS)
    if found:
        raise InvalidRequest(
            f"victim records never hold {found[0]!r}: Alliance keeps victims pseudonymous (an identifier, an age "
            "band, sex if known, status, and who identified them); identifying data stays in the agency's own files"
        )


def check_identifier(identifier: str) -> str:
    """A victim's identifier is a pseudonym such as 'DE-2026-0042', never a name. The refusal does not
    repeat what was sent: it may be a child's name."""
    text = identifier.strip()
    if not PSEUDONYM.match(text) or not any(c.isdigit() for c in text):
        raise InvalidRequest(
            "a victim identifier must be a pseudonym with at least one digit (letters, digits, "
            "'.', '_', ':', '-'; up to 64), such as 'DE-2026-0042': never a name"
        )
    return text


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise InvalidRequest(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return value


def check_label(name: str, text: str, limit: int = 200, required: bool = True) -> str:
    """A short label (series name, case number, contact point): printable, bounded."""
    cleaned = text.strip()
    if required and not cleaned:
        raise InvalidRequest(f"{name} is required")
    if len(cleaned) > limit:
        raise InvalidRequest(f"{name} is longer than {limit} characters")
    if any(ord(c) < 32 for c in cleaned):
        raise InvalidRequest(f"{name} contains a control character")
    return cleaned


# --- the records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Series:
    """A set of items believed to show the same abuse series, kept by one law enforcement agency."""

    id: int
    owner_id: int
    owner_name: str
    owner_country: str
    name: str
    description: str = ""
    icse_name: str | None = None  # the series' name in INTERPOL's ICSE database
    vics_series: str | None = None  # its VICS `Series` value
    contact_point: str = ""
    contact_email: str | None = None  # where notifications about it are e-mailed
    active: bool = True  # under active investigation by its owner
    policy: DisclosurePolicy = DisclosurePolicy()
    first_seen_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ItemFlags:
    """What ICSE and VICS say of one item of a series."""

    distributed: bool = False
    victim_identified: bool = False
    offender_identified: bool = False
    submissions: int = 1
    baseline: bool = False
    media_type: str = "image"


@dataclass(frozen=True, slots=True)
class Victim:
    """A child seen in a series, pseudonymous: no name, address, contact or date of birth, ever.

    `identified_by_org_id`, `identified_country` and `identified_at` say who identified the child
    and when; the figures of the Alliance's target 1 count them."""

    id: int
    series_id: int
    identifier: str
    age_band: str = "unknown"
    sex: str = "unknown"
    status: VictimStatus = VictimStatus.UNIDENTIFIED
    identified_by_org_id: int | None = None
    identified_by: str | None = None
    identified_country: str | None = None
    identified_at: datetime | None = None
    first_seen_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeriesLink:
    id: int
    series_id: int
    other_series_id: int
    kind: LinkKind
    created_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """One agency's investigation; a seized collection's hashes go into it."""

    id: int
    owner_id: int
    owner_name: str
    owner_country: str
    case_number: str
    contact_point: str = ""
    contact_email: str | None = None
    status: CaseStatus = CaseStatus.OPEN
    opened_at: datetime | None = None
    closed_at: datetime | None = None
    policy: DisclosurePolicy = DisclosurePolicy()
    items: int = 0


def check_victim_fields(
    identifier: str, age_band: str, sex: str, status: VictimStatus, identified_country: str | None
) -> None:
    check_identifier(identifier)
    check_choice("age_band", age_band, VICTIM_AGE_BANDS)
    check_choice("sex", sex, SEXES)
    if status is VictimStatus.UNIDENTIFIED and identified_country:
        raise InvalidRequest("an unidentified victim has no identifying country")


@dataclass(frozen=True, slots=True)
class NewItem:
    """An item to add to a series or a case: its hashes, flags, and the fields of the file it came
    from (kept, so an export gives them back)."""

    signals: tuple[Signal, ...]
    flags: ItemFlags = ItemFlags()
    image_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    series_id: int | None
    case_id: int | None
    signals: tuple[Signal, ...]
    flags: ItemFlags = ItemFlags()
    image_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    finding: Finding | None = None
