"""Bank work: create and curate banks, add media or hash lists to them, read and export them.

Every operation is done *by* a principal: the service asks `alliance.core.access` first, answers
`NotFound` for what the principal may not see, and writes the outcome (refusals included) to the
audit log. Additions are all or nothing: a batch with an invalid record, a hashing failure or a
duplicate adds nothing unless the caller asked to skip those.

Entries added from media keep the views their hashing found (`MediaHashes.views`) for matching;
crop views only in banks with crop matching on. Exports carry the files' own signals only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from alliance.core.access import (
    BANK_CREATORS,
    SYSTEM,
    BankAction,
    Principal,
    Scope,
    SharingPolicy,
    may_act_on_bank,
    may_create_bank,
)
from alliance.core.banks import (
    Bank,
    BankPurpose,
    Duplicate,
    Entry,
    EntryStatus,
    NewEntry,
    Organisation,
    check_bank_name,
    check_thresholds,
)
from alliance.core.errors import HashingError, InvalidRequest, NotFound
from alliance.core.media.pdq_views import CROP_VIEWS, REFERENCE, UNTRIMMED
from alliance.core.signals import Signal
from alliance.core.trust import BankTrust
from alliance.formats.records import Item, MediaRecord, Skipped
from alliance.services.audit import AuditLog, actor_name
from alliance.services.hashing import FileResult
from alliance.settings import Settings
from alliance.store.repository import Store


@dataclass(frozen=True, slots=True)
class AddReport:
    """What an addition did: entries added, duplicates skipped, files that could not be hashed."""

    added: list[Entry]
    duplicates: list[Duplicate]
    failed: list[FileResult]

    @property
    def exact_only(self) -> list[Entry]:
        """Entries of files that are not images Alliance can decode: their exact hashes only."""
        return [entry for entry in self.added if EXACT_ONLY_KEY in entry.metadata]


EXACT_ONLY_KEY = "exact_only"
"""Metadata of an entry added from a file that is not an image Alliance decodes: why (it has its
md5, sha1 and sha256, no PDQ)."""
NEGATIVE_IN_KNOWN = "a known false positive (NEGATIVE_CLASS, VICS Category 0): import it into a negative bank"
EXPORTED_VIEWS = (REFERENCE, UNTRIMMED)
"""The views an export gives in place of an entry's own PDQ, the first found: what other tools
compute for the same file (decision 0002)."""


@dataclass(slots=True)
class ImportSummary:
    """What an import did: parts of the file read, entries added, records merged into an entry
    they duplicate, and parts skipped, by reason (with where the first few are)."""

    read: int = 0
    added: int = 0
    merged: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def skip(self, where: str, reason: str) -> None:
        self.skipped[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 3:
            shown.append(where)


def _with_reference(signals: tuple[Signal, ...], views: dict[str, Signal]) -> tuple[Signal, ...]:
    reference = next((views[name] for name in EXPORTED_VIEWS if name in views), None)
    if reference is None:
        return signals
    return tuple(reference if s.type == "pdq" else s for s in signals)


class BankService:
    def __init__(self, store: Store, settings: Settings, audit: AuditLog, actor: Principal = SYSTEM) -> None:
        self.store = store
        self.settings = settings
        self.audit = audit
        self.actor = actor

    def node_organisation(self) -> Organisation:
        return self.store.ensure_organisation(self.settings.node_organisation, self.settings.node_country)

    # --- access --------------------------------------------------------------------------------

    def _owner_of_new_bank(self) -> int:
        return self.node_organisation().id if self.actor is SYSTEM else self.actor.org_id

    def _bank_if(self, name: str, allowed: Callable[[Bank], bool], audit_action: str) -> Bank:
        """The bank if `allowed` says the actor may; otherwise `NotFound`, as if it did not exist."""
        try:
            bank = self.store.get_bank(name)
        except NotFound:
            self.audit.record(self.actor, audit_action, f"bank:{name}", "not_found")
            raise
        if not allowed(bank):
            self.audit.record(self.actor, audit_action, f"bank:{name}", "refused", subject_org_id=bank.owner.id)
            raise NotFound(f"no bank called {name!r}")
        return bank

    def _bank_for(self, name: str, action: BankAction, audit_action: str) -> Bank:
        return self._bank_if(name, lambda b: may_act_on_bank(self.actor, action, b.owner.id, b.policy), audit_action)

    def may_curate(self, bank: Bank) -> bool:
        """Change a bank's settings or retire its entries: its owner's curators, or a node admin."""
        if not self.actor.may(Scope.WRITE):
            return False
        return self.actor.is_node_admin or (bank.owner.id == self.actor.org_id and self.actor.has(*BANK_CREATORS))

    def _curated_bank(self, name: str, audit_action: str) -> Bank:
        return self._bank_if(name, self.may_curate, audit_action)

    def _visible_bank(self, name: str, audit_action: str) -> Bank:
        return self._bank_if(name, self._visible, audit_action)

    def _visible(self, bank: Bank) -> bool:
        return any(may_act_on_bank(self.actor, a, bank.owner.id, bank.policy) for a in BankAction) or (
            self.may_curate(bank)
        )

    # --- banks ---------------------------------------------------------------------------------

    def create_bank(
        self,
        name: str,
        purpose: BankPurpose = BankPurpose.KNOWN,
        description: str = "",
        thresholds: dict[str, int] | None = None,
        policy: SharingPolicy | None = None,
        trust: dict[str, Any] | None = None,
        crop_matching: bool = False,
    ) -> Bank:
        """`trust` may set required_grades, min_orgs, dispute_threshold, match_proposed, blind_grading.
        `crop_matching`: entries added from media store crops too, so that cropped copies match."""
        owner = self._owner_of_new_bank()
        if not may_create_bank(self.actor, owner):
            self.audit.record(self.actor, "bank.create", f"bank:{name}", "refused", subject_org_id=owner)
            raise NotFound("no such resource")
        checked = check_thresholds(thresholds or {"pdq": self.settings.pdq_threshold})
        settings = BankTrust.from_json(trust, self.settings.default_required_grades).to_json()
        bank = self.store.create_bank(
            check_bank_name(name), owner, purpose, description, checked, policy, settings, crop_matching
        )
        self.audit.record(
            self.actor,
            "bank.create",
            f"bank:{bank.name}",
            subject_org_id=owner,
            details={"purpose": purpose.value, "thresholds": checked, "crop_matching": crop_matching},
        )
        return bank

    def list_banks(self) -> list[Bank]:
        """Banks the actor may see at all (match, read, contribute or curate)."""
        return [bank for bank in self.store.list_banks() if self._visible(bank)]

    def get_bank(self, name: str) -> Bank:
        return self._visible_bank(name, "bank.read")

    def update_bank(
        self,
        name: str,
        *,
        description: str | None = None,
        thresholds: dict[str, int] | None = None,
        policy: SharingPolicy | None = None,
        enabled: bool | None = None,
        trust: dict[str, Any] | None = None,
        crop_matching: bool | None = None,
    ) -> Bank:
        """Turning `crop_matching` on gives crops to entries added from media from then on (older
        entries have no pixels left to crop); turning it off stops crops matching at once."""
        bank = self._curated_bank(name, "bank.update")
        checked = check_thresholds(thresholds) if thresholds is not None else None
        current = BankTrust.from_json(bank.trust, self.settings.default_required_grades).to_json()
        settings = BankTrust.from_json({**current, **trust}).to_json() if trust is not None else None
        updated = self.store.update_bank(
            name,
            description=description,
            thresholds=checked,
            policy=policy,
            enabled=enabled,
            trust=settings,
            crop_matching=crop_matching,
        )
        changes = {
            "description": description,
            "thresholds": checked,
            "enabled": enabled,
            "policy": policy.to_json() if policy else None,
            "trust": settings,
            "crop_matching": crop_matching,
        }
        self.audit.record(
            self.actor,
            "bank.update",
            f"bank:{name}",
            subject_org_id=bank.owner.id,
            details={k: v for k, v in changes.items() if v is not None},
        )
        return updated

    def set_enabled(self, name: str, enabled: bool) -> Bank:
        return self.update_bank(name, enabled=enabled)

    # --- entries -------------------------------------------------------------------------------

    def entries(
        self,
        name: str,
        *,
        include_retired: bool = False,
        after_id: int = 0,
        limit: int | None = None,
        status: EntryStatus | None = None,
        source_prefix: str | None = None,
    ) -> list[Entry]:
        bank = self._bank_for(name, BankAction.READ, "entries.read")
        entries = self.store.list_entries(
            bank.id,
            include_retired=include_retired,
            after_id=after_id,
            limit=limit,
            status=status,
            source_prefix=source_prefix,
        )
        self.audit.record(
            self.actor,
            "entries.read",
            f"bank:{name}",
            subject_org_id=bank.owner.id,
            details={"after_id": after_id, "count": len(entries)},
        )
        return entries

    def get_entry(self, entry_id: int) -> tuple[Entry, Bank]:
        entry, bank = self.entry_and_bank(entry_id, "entry.read")
        if not may_act_on_bank(self.actor, BankAction.READ, bank.owner.id, bank.policy):
            self.audit.record(self.actor, "entry.read", f"entry:{entry_id}", "refused", subject_org_id=bank.owner.id)
            raise NotFound(f"no entry with id {entry_id}")
        self.audit.record(self.actor, "entry.read", f"entry:{entry_id}", subject_org_id=bank.owner.id)
        return entry, bank

    def add_files(
        self, name: str, results: Sequence[FileResult], *, skip_duplicates: bool = False, skip_failed: bool = False
    ) -> AddReport:
        """Add hashed files as entries, with their views. The media themselves were dropped after
        hashing: hash with `crops=bank.crop_matching` for the entries to get crops."""
        bank = self._bank_for(name, BankAction.CONTRIBUTE, "entries.add")
        failed = [r for r in results if not r.ok and not r.exact]
        if failed and not skip_failed:
            first = failed[0]
            raise HashingError(
                first.error.reason if first.error else "failed",
                f"{len(failed)} of {len(results)} files could not be hashed (first: {first.path.name}: {first.error}). "
                "Nothing was added.",
            )
        entries = [
            NewEntry(
                signals=r.hashes.signals,
                metadata={"width": r.hashes.width, "height": r.hashes.height, "format": r.hashes.image_format},
                source=f"file:{r.path.name}",
                views=tuple(v for v in r.hashes.views if bank.crop_matching or v.view not in CROP_VIEWS),
            )
            if r.hashes is not None
            else NewEntry(
                signals=r.exact,
                metadata={EXACT_ONLY_KEY: r.error.reason if r.error else "not_an_image"},
                source=f"file:{r.path.name}",
            )
            for r in results
            if r.hashes is not None or r.exact
        ]
        return self._add(bank, entries, skip_duplicates, failed)

    def import_records(self, name: str, records: Sequence[MediaRecord], *, skip_duplicates: bool = False) -> AddReport:
        """Add records read from a hash-list file (or sent to the API), in one transaction."""
        bank = self._bank_for(name, BankAction.CONTRIBUTE, "entries.add")
        for record in records:
            if not record.signals:
                raise InvalidRequest(f"{record.where or 'a record'} has no hash")
        entries = [
            NewEntry(signals=r.signals, note=r.note, metadata=dict(r.metadata), source=f"import:{r.where}")
            for r in records
        ]
        return self._add(bank, entries, skip_duplicates, [])

    def import_stream(
        self, name: str, items: Iterable[Item], *, on_batch: Callable[[int], None] | None = None
    ) -> ImportSummary:
        """Import a hash list as it is read, in one transaction: each usable record is added, or
        merged into the entry it duplicates (every file name kept); each part of the file that
        cannot be used is skipped and counted by reason. A file that cannot be read at all
        (`FormatError`) adds nothing."""
        bank = self._bank_for(name, BankAction.CONTRIBUTE, "entries.add")
        status = BankTrust.from_json(bank.trust, self.settings.default_required_grades).initial_status()
        summary = ImportSummary()
        known = bank.purpose is BankPurpose.KNOWN

        def entries() -> Iterator[NewEntry]:
            for item in items:
                summary.read += 1
                if isinstance(item, Skipped):
                    summary.skip(item.where, item.reason)
                elif known and item.negative:
                    summary.skip(item.where, NEGATIVE_IN_KNOWN)
                else:
                    yield NewEntry(
                        signals=item.signals,
                        note=item.note,
                        metadata=dict(item.metadata),
                        source=f"import:{item.where}",
                    )

        counts = self.store.import_entries(bank.id, entries(), status=status, on_batch=on_batch)
        summary.added, summary.merged = counts.added, counts.merged
        self.audit.record(
            self.actor,
            "entries.add",
            f"bank:{bank.name}",
            subject_org_id=bank.owner.id,
            details={
                "added": counts.first_ids,
                "count": counts.added,
                "merged": counts.merged,
                "read": summary.read,
                "skipped": dict(summary.skipped),
            },
        )
        return summary

    def export_stream(
        self, name: str, *, status: EntryStatus | None = EntryStatus.CONFIRMED, page: int = 2000
    ) -> Iterator[MediaRecord]:
        """A bank's entries in `status` (None: every live one), a page at a time, each with the
        PDQ other tools compute for its file (`MediaHashes.pdq_reference`) in place of its own,
        its trust state, and whether its bank holds known false positives. Audited when asked,
        before the first record."""
        bank = self._bank_for(name, BankAction.READ, "bank.export")
        self.audit.record(
            self.actor,
            "bank.export",
            f"bank:{name}",
            subject_org_id=bank.owner.id,
            details={"status": status.value if status else "all", "count": bank.entry_count},
        )
        return self._exported(bank, status, page)

    def _exported(self, bank: Bank, status: EntryStatus | None, page: int) -> Iterator[MediaRecord]:
        negative = bank.purpose is BankPurpose.NEGATIVE
        for entry in self.store.stream_entries(bank.id, status=status, views=EXPORTED_VIEWS, page=page):
            yield MediaRecord(
                signals=_with_reference(entry.signals, entry.views),
                metadata=entry.metadata,
                note=entry.note,
                where=f"entry {entry.id}",
                status=entry.status.value,
                negative=negative,
                entry_id=entry.id,
            )

    def _add(self, bank: Bank, entries: list[NewEntry], skip_duplicates: bool, failed: list[FileResult]) -> AddReport:
        status = BankTrust.from_json(bank.trust, self.settings.default_required_grades).initial_status()
        added, duplicates = self.store.add_entries(bank.id, entries, skip_duplicates=skip_duplicates, status=status)
        self.audit.record(
            self.actor,
            "entries.add",
            f"bank:{bank.name}",
            subject_org_id=bank.owner.id,
            details={
                "added": [e.id for e in added][:1000],
                "count": len(added),
                "duplicates": len(duplicates),
                "failed": len(failed),
            },
        )
        return AddReport(added, duplicates, failed)

    def export_records(self, name: str) -> list[MediaRecord]:
        bank = self._bank_for(name, BankAction.READ, "bank.export")
        entries = self.store.list_entries(bank.id)
        self.audit.record(
            self.actor, "bank.export", f"bank:{name}", subject_org_id=bank.owner.id, details={"count": len(entries)}
        )
        return [
            MediaRecord(signals=e.signals, metadata=dict(e.metadata), note=e.note, where=f"entry {e.id}")
            for e in entries
        ]

    def retire_entry(self, entry_id: int, reason: str) -> Entry:
        if not reason.strip():
            raise InvalidRequest("say why the entry is retired")
        entry, bank = self.entry_and_bank(entry_id, "entry.retire")
        if not self.may_curate(bank):
            self.audit.record(self.actor, "entry.retire", f"entry:{entry_id}", "refused", subject_org_id=bank.owner.id)
            raise NotFound(f"no entry with id {entry_id}")
        retired = self.store.retire_entry(entry.id, reason.strip(), actor_name(self.actor))
        self.audit.record(
            self.actor,
            "entry.retire",
            f"entry:{entry_id}",
            subject_org_id=bank.owner.id,
            details={"reason": reason.strip()},
        )
        return retired

    def entry_and_bank(self, entry_id: int, audit_action: str) -> tuple[Entry, Bank]:
        try:
            entry = self.store.get_entry(entry_id)
        except NotFound:
            self.audit.record(self.actor, audit_action, f"entry:{entry_id}", "not_found")
            raise
        bank = self.store.bank_by_id(entry.bank_id)
        if not self._visible(bank):
            self.audit.record(self.actor, audit_action, f"entry:{entry_id}", "refused", subject_org_id=bank.owner.id)
            raise NotFound(f"no entry with id {entry_id}")
        return entry, bank
