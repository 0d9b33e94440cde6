"""Request and response bodies of API v1. Requests refuse unknown fields, so a typo is an error, not a no-op."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Self

from fastapi import Path as PathParam
from fastapi import Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from alliance.core.access import OrgKind, Role, Scope
from alliance.core.banks import Bank, BankPurpose, Entry
from alliance.core.signals import Signal, hamming_types, signal_type_names

MAX_BATCH = 1000
MAX_BANKS = 100
"""Banks one request may name: every list a caller sends is bounded, not only by the body's size."""
BANK_NAME = 64
MAX_KEYS = 64
"""Keys of a free-form mapping (metadata, policy, trust, thresholds)."""
MAX_ID = 2**63 - 1
"""Ids are 64-bit in the store; a bigger number can name nothing and must not reach the database."""

RowId = Annotated[int, PathParam(ge=1, le=MAX_ID, description="An id.")]
After = Annotated[int, Query(ge=0, le=MAX_ID, description="Last id of the previous page.")]


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
"""C0 control characters but tab and line breaks: no text the node keeps needs them, NUL breaks
PostgreSQL text, and the others spoof what a terminal shows."""


def control_character(value: Any) -> str | None:
    """The first control character in `value` (strings inside dicts and lists too), as U+XXXX; else None."""
    if isinstance(value, str):
        found = CONTROL_CHARACTERS.search(value)
        return f"U+{ord(found.group()):04X}" if found else None
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list | tuple):
        return next((c for c in map(control_character, value) if c), None)
    return None


class Strict(BaseModel):
    """A request body: unknown fields and control characters in text are refused (422)."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_control_characters(self) -> Self:
        for name in type(self).model_fields:
            found = control_character(getattr(self, name))
            if found:
                raise ValueError(f"{name} contains a control character ({found})")
        return self


class ErrorDetail(BaseModel):
    code: str = Field(description="A stable, machine-readable word: not_found, invalid_request, rate_limited, ...")
    message: str = Field(description="What went wrong, for a person.")
    details: Any = Field(None, description="More, where there is more: the invalid fields, a hashing failure's reason.")


class ErrorOut(BaseModel):
    """The body of every failure, whatever the route and status (`api.errors`)."""

    error: ErrorDetail


class SignalIn(Strict):
    type: str = Field(description=f"a signal type: {', '.join(signal_type_names())}", max_length=16)
    value: str = Field(description="the hash in hex", max_length=128)
    quality: int | None = Field(None, description="PDQ quality 0-100, if known")


class SignalOut(BaseModel):
    type: str
    value: str
    quality: int | None = None

    @classmethod
    def of(cls, signal: Signal) -> SignalOut:
        return cls(type=signal.type, value=signal.value, quality=signal.quality)


class HashOut(BaseModel):
    signals: list[SignalOut]
    width: int | None = None
    height: int | None = None
    format: str | None = None
    pdq_low_quality: bool
    not_an_image: str | None = Field(
        None, description="Set when the file is not an image Alliance decodes: why. Its exact hashes are given."
    )


class MatchIn(Strict):
    signals: list[SignalIn] = Field(min_length=1, max_length=MAX_BATCH)
    banks: list[Annotated[str, Field(max_length=BANK_NAME)]] | None = Field(
        None, max_length=MAX_BANKS, description="Only these banks (default: every bank you may match)."
    )


class MatchOut(BaseModel):
    query: int = Field(description="Index of the query signal in the request (or of the uploaded file's signal).")
    bank: str
    entry: int
    signal_type: str
    distance: int
    variant: str
    match_id: str = Field(description="Quote it to dispute the match as a false positive.")
    category: dict[str, str] | None = Field(
        None, description="The entry's category in your jurisdiction's scheme, if graded and you may read the bank."
    )


class MatchesOut(BaseModel):
    matches: list[MatchOut]


class UploadMatchOut(BaseModel):
    signals: list[SignalOut]
    matches: list[MatchOut]


CROP_MATCHING = (
    "Entries added from images also store about 30 crops of the picture (~1 KB each), and image queries "
    "send crops of theirs, so that cropped copies and copies with a sticker or caption match."
)


class BankIn(Strict):
    name: str = Field(max_length=BANK_NAME)
    purpose: BankPurpose = BankPurpose.KNOWN
    description: str = Field("", max_length=2000)
    thresholds: dict[str, int] | None = Field(None, max_length=MAX_KEYS)
    policy: dict[str, Any] | None = Field(
        None, max_length=MAX_KEYS, description="Who besides the owner may match, read, contribute."
    )
    trust: dict[str, Any] | None = Field(
        None,
        max_length=MAX_KEYS,
        description="required_grades, min_orgs, dispute_threshold, match_proposed, blind_grading.",
    )
    crop_matching: bool = Field(False, description=CROP_MATCHING)


class BankUpdate(Strict):
    description: str | None = Field(None, max_length=2000)
    thresholds: dict[str, int] | None = Field(None, max_length=MAX_KEYS)
    policy: dict[str, Any] | None = Field(None, max_length=MAX_KEYS)
    enabled: bool | None = None
    trust: dict[str, Any] | None = Field(None, max_length=MAX_KEYS)
    crop_matching: bool | None = Field(
        None, description=CROP_MATCHING + " Turning it on applies to entries added from then on."
    )


class BankOut(BaseModel):
    name: str
    owner: str
    owner_country: str
    purpose: BankPurpose
    description: str
    enabled: bool
    thresholds: dict[str, int]
    entries: int
    policy: dict[str, Any] | None = Field(None, description="Shown to those who may curate the bank.")
    trust: dict[str, Any] = Field(default_factory=dict, description="The bank's consensus and dispute rules.")
    crop_matching: bool = Field(False, description=CROP_MATCHING)

    @classmethod
    def of(cls, bank: Bank, show_policy: bool) -> BankOut:
        return cls(
            name=bank.name,
            owner=bank.owner.name,
            owner_country=bank.owner.country,
            purpose=bank.purpose,
            description=bank.description,
            enabled=bank.enabled,
            thresholds={**{kind.name: bank.threshold(kind.name) for kind in hamming_types()}, **bank.thresholds},
            entries=bank.entry_count,
            policy=bank.policy.to_json() if show_policy else None,
            trust=bank.trust,
            crop_matching=bank.crop_matching,
        )


class EntryIn(Strict):
    signals: list[SignalIn] = Field(min_length=1, max_length=16)
    note: str | None = Field(None, max_length=2000)
    metadata: dict[str, Any] = Field(default_factory=dict, max_length=MAX_KEYS)


class EntriesIn(Strict):
    entries: list[EntryIn] = Field(min_length=1, max_length=MAX_BATCH)
    skip_duplicates: bool = False


class EntryOut(BaseModel):
    id: int
    bank: str
    status: str
    signals: list[SignalOut]
    note: str | None
    metadata: dict[str, Any]
    source: str
    created_at: datetime | None
    grade: dict[str, Any] | None = Field(None, description="The agreed grade, once graders agree.")
    needs_review: bool = Field(False, description="Graders disagreed; a curator decides.")
    category: dict[str, str] | None = Field(
        None,
        description="The agreed grade as a category of your jurisdiction's scheme (your organisation's country), "
        'e.g. {"scheme": "uk_abc", "category": "A"}; null until graders agree.',
    )

    @classmethod
    def of(cls, entry: Entry, bank: str, category: dict[str, str] | None = None) -> EntryOut:
        return cls(
            id=entry.id,
            bank=bank,
            status=entry.status.value,
            signals=[SignalOut.of(s) for s in entry.signals],
            note=entry.note,
            metadata=entry.metadata,
            source=entry.source,
            created_at=entry.created_at,
            grade=entry.grade,
            needs_review=entry.needs_review,
            category=category,
        )


class EntriesOut(BaseModel):
    entries: list[EntryOut]
    next_after: int | None = Field(description="Pass as `after` for the next page; null at the end.")


class AddedOut(BaseModel):
    added: list[int]
    duplicates: int
    failed: list[dict[str, str]] = Field(default_factory=list)


class RetireIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class OrganisationIn(Strict):
    name: str = Field(min_length=1, max_length=200)
    country: str = Field(min_length=2, max_length=2, description="ISO 3166 alpha-2")
    kind: OrgKind = Field(description="Bounds the roles its users and keys may hold.")
    allowed_roles: list[Role] | None = Field(
        None, max_length=len(Role), description="The roles it may hold, if not its kind's."
    )


class OrganisationUpdate(Strict):
    kind: OrgKind | None = None
    allowed_roles: list[Role] | None = Field(None, max_length=len(Role))


class OrganisationOut(BaseModel):
    id: int
    name: str
    country: str
    kind: OrgKind
    allowed_roles: list[Role]


class UserIn(Strict):
    username: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=12, max_length=1000)
    roles: list[Role] = Field(min_length=1, max_length=len(Role))


class UserOut(BaseModel):
    id: int
    username: str
    organisation: int
    roles: list[Role]
    disabled: bool
    must_change_password: bool = False


class PasswordResetIn(Strict):
    password: str | None = Field(
        None, min_length=12, max_length=1000, description="The new password; omitted: one is generated."
    )


class PasswordResetOut(BaseModel):
    user: UserOut
    password: str = Field(description="The password to hand over: shown this once; it must be changed at login.")


class PasswordChangeIn(Strict):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(min_length=12, max_length=1000)


class SessionsEndedOut(BaseModel):
    ended: int = Field(description="How many sessions ended.")


class KeyRotateIn(Strict):
    grace_hours: int = Field(24, ge=0, le=168, description="How long the old secret keeps working.")


class KeyIn(Strict):
    name: str = Field(min_length=1, max_length=120)
    roles: list[Role] = Field(min_length=1, max_length=len(Role))
    scopes: list[Scope] = Field(default_factory=lambda: list(Scope), max_length=len(Scope))
    expires_in_days: int | None = Field(None, ge=1, le=3650)
    for_user: str | None = Field(
        None, max_length=100, description="Node admins: the user the key acts for (others' keys act for them)."
    )


class KeyOut(BaseModel):
    id: int
    name: str
    prefix: str
    organisation: int
    roles: list[Role]
    scopes: list[Scope]
    expires_at: datetime | None
    revoked_at: datetime | None
    created_by: str
    user: str | None = Field(description="The person the key acts for; null for a machine's key.")
    previous_secret_valid_until: datetime | None = Field(
        None, description="After a rotation: until when the old secret still works."
    )


class IssuedKeyOut(KeyOut):
    token: str = Field(description="The key itself: shown this once, never again.")


class LoginIn(Strict):
    username: str = Field(max_length=100)
    password: str = Field(max_length=1000)


class SessionOut(BaseModel):
    username: str
    organisation: str
    roles: list[Role]
    csrf_token: str | None = Field(None, description="Send as X-CSRF-Token on requests that change something.")
    must_change_password: bool = Field(
        False, description="The password was reset: this session may only change it (POST /v1/session/password)."
    )


class WhoAmI(BaseModel):
    name: str
    organisation: str
    organisation_id: int
    country: str
    roles: list[Role]
    scopes: list[Scope]


class AuditEventOut(BaseModel):
    seq: int
    at: datetime
    actor: str
    action: str
    target: str
    outcome: str
    org_id: int | None
    subject_org_id: int | None
    key_id: int | None
    details: dict[str, Any]
    request_id: str | None = None
    prev_hash: str
    hash: str


class AuditEventsOut(BaseModel):
    events: list[AuditEventOut]
    next_after: int | None


class AuditCheckpointOut(BaseModel):
    """The file `alliance audit checkpoint` writes: save the body as is, `audit verify --against` it."""

    alliance_audit_checkpoint: int = Field(description="The checkpoint format's version.")
    seq: int = Field(description="The newest event's sequence number (0: an empty log).")
    head: str = Field(description="Its hash.")
    at: str = Field(description="When the checkpoint was made (ISO 8601, UTC).")
    node: str = Field(description="The node (organisation and host) that made it.")
    key_id: str = Field(description="Names the node's audit key, without revealing it.")
    hmac: str = Field(description="HMAC-SHA256 of the rest, with a key the database never holds.")


class Health(BaseModel):
    status: str
    index_size: int | None = None
    index_sequence: int | None = None
    store: str | None = None
