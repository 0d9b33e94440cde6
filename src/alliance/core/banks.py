"""Banks and entries: the lists of known media that signals are matched against.

A *bank* is a named list owned by an organisation. Its *purpose* says what a hit means: `known`
material, or `negative` (known false positives that suppress matches). An *entry* is one known piece
of media in a bank, described by its signals; an entry is never deleted, only retired, so that
what matched yesterday can still be explained tomorrow.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from alliance.core.access import OrgKind, Role, SharingPolicy
from alliance.core.errors import InvalidRequest
from alliance.core.signals import PDQ, Signal, ViewSignal, signal_type

DEFAULT_PDQ_THRESHOLD = PDQ.default_threshold
_BANK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class BankPurpose(StrEnum):
    KNOWN = "known"
    NEGATIVE = "negative"


class EntryStatus(StrEnum):
    """Where an entry stands. Only `confirmed` entries match for every caller."""

    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    QUARANTINED = "quarantined"
    RETIRED = "retired"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    name: str
    country: str
    kind: OrgKind = OrgKind.UNCLASSIFIED
    allowed_roles: frozenset[Role] = frozenset()


@dataclass(frozen=True, slots=True)
class Bank:
    id: int
    name: str
    owner: Organisation
    purpose: BankPurpose
    description: str
    enabled: bool
    thresholds: dict[str, int]
    created_at: datetime
    entry_count: int = 0
    policy: SharingPolicy = field(default_factory=SharingPolicy)
    trust: dict[str, Any] = field(default_factory=dict)  # `core.trust.BankTrust.from_json` reads it
    crop_matching: bool = False
    """Entries added from media also store crops of their picture, and queries of media also send
    crops of theirs, so that cropped copies and copies with a sticker or caption match (30 more
    hashes per entry; docs/decisions/0002-hashing-path.md)."""

    def threshold(self, signal_type_name: str) -> int:
        """The match threshold for a perceptual type: the bank's, else the type's default (exact
        types always need distance 0)."""
        kind = signal_type(signal_type_name)
        if not kind.perceptual:
            return 0
        return self.thresholds.get(kind.name, kind.default_threshold)


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    bank_id: int
    status: EntryStatus
    signals: tuple[Signal, ...]
    note: str | None
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None
    grade: dict[str, Any] | None = None  # the agreed grade, once graders agree
    needs_review: bool = False  # graders disagree


@dataclass(frozen=True, slots=True)
class ExportedEntry:
    """An entry as an export reads it: what a hash list says of it, and the named views of its
    picture that the export asked for (`core.media.pdq_views`), by view."""

    id: int
    status: EntryStatus
    signals: tuple[Signal, ...]
    note: str | None
    metadata: dict[str, Any]
    views: dict[str, Signal]


def check_bank_name(name: str) -> str:
    """Bank names are short, unambiguous on a command line, and start with a letter or digit."""
    if not _BANK_NAME.match(name):
        raise InvalidRequest(
            f"invalid bank name {name!r}: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return name


def check_thresholds(thresholds: dict[str, int]) -> dict[str, int]:
    checked = {}
    for name, value in thresholds.items():
        kind = signal_type(name)
        if not kind.perceptual:
            raise InvalidRequest(f"{kind.name} is an exact hash; it has no threshold")
        if not 0 <= value <= kind.max_threshold:
            raise InvalidRequest(f"{kind.name} threshold must be between 0 and {kind.max_threshold}, got {value}")
        checked[kind.name] = value
    return checked


@dataclass(frozen=True, slots=True)
class NewEntry:
    """An entry about to be added: its validated signals and what we know of it."""

    signals: tuple[Signal, ...]
    note: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    source: str = ""
    views: tuple[ViewSignal, ...] = ()
    """Hashes of other views of the picture, for matching only (entries added from media)."""


FILENAME_KEY = "filename"
FILENAMES_KEY = "filenames"
"""Every file name a list gave an entry's hash under, when it gave more than one."""
OTHER_HASHES_KEY = "other_hashes"
"""Hashes a duplicate line brought that its entry did not have: kept, not matched."""


def merge_duplicate(metadata: dict[str, Any], signals: Sequence[Signal], duplicate: NewEntry) -> dict[str, Any]:
    """An entry's metadata once a later record of the same media is merged into it: every file
    name kept (`filenames`), and any hash the entry lacks listed under `other_hashes`."""
    merged = dict(metadata)
    names = _filenames(metadata)
    names += [name for name in _filenames(duplicate.metadata) if name not in names]
    if len(names) > 1:
        merged[FILENAMES_KEY] = names
    elif names and FILENAME_KEY not in merged:
        merged[FILENAME_KEY] = names[0]
    known = {(s.type, s.value) for s in signals}
    others = list(merged.get(OTHER_HASHES_KEY) or [])
    for signal in duplicate.signals:
        listed = {"type": signal.type, "value": signal.value}
        if (signal.type, signal.value) not in known and listed not in others:
            others.append(listed)
    if others:
        merged[OTHER_HASHES_KEY] = others
    return merged


def _filenames(metadata: dict[str, Any]) -> list[str]:
    names = metadata.get(FILENAMES_KEY)
    if isinstance(names, list) and names:
        return [name for name in names if isinstance(name, str)]
    name = metadata.get(FILENAME_KEY)
    return [name] if isinstance(name, str) and name else []


@dataclass(slots=True)
class ImportCounts:
    """What a streamed import wrote: entries added (the first ids, for the audit) and records merged
    into an entry they duplicate (of the bank, or earlier in the file)."""

    added: int = 0
    merged: int = 0
    first_ids: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Duplicate:
    """A new entry that shares a signal with an entry already in the bank (or earlier in the batch)."""

    new: NewEntry
    existing_entry_id: int | None
    shared: Signal


KEY_REVOKED = "key_revoked"
"""A change-log kind that is not about matching: a replica replaying it forgets the API keys it
had cached, so a key revoked anywhere is refused everywhere within one replay interval."""
USER_DISABLED = "user_disabled"
"""Likewise for a user disabled: the keys that act for them are cached with their user's state."""
KEY_ROTATED = "key_rotated"
"""Likewise for a key rotated: a cached key knows only its old secret."""
CREDENTIAL_CHANGES = frozenset({KEY_REVOKED, USER_DISABLED, KEY_ROTATED})
"""Change-log kinds that concern credentials, not matching: replicas forget cached keys for them."""
NO_BANK = 0
"""The `bank_id` of a change that concerns no bank (`CREDENTIAL_CHANGES`)."""


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the store's change log, in commit order: a change to what can match (indexes
    replay these) or a key revocation (key caches replay these)."""

    seq: int
    kind: str
    bank_id: int
    entry_id: int | None


@dataclass(frozen=True, slots=True)
class StoredSignal:
    """A signal as the store holds it, with the entry and bank it belongs to."""

    id: int
    entry_id: int
    bank_id: int
    signal: Signal
    entry_status: EntryStatus
    bank_enabled: bool = True
    grade: dict[str, Any] | None = None
    view: str | None = None
    """The view of the entry's picture this hash is of; None for the entry's own signals."""
