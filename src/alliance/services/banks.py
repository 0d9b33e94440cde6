"""Bank work: create and curate banks, add media or hash lists to them, read and export them.

Every operation is done *by* a principal: the service asks `alliance.core.access` first, answers
`NotFound` for what the principal may not see, and writes the outcome (refusals included) to the
audit log. Additions are all or nothing: a batch with an invalid record, a hashing failure or a
duplicate adds nothing unless the caller asked to skip those.

Entries added from media keep the views their hashing found (`MediaHashes.views`) for matching;
crop views only in banks with crop matching on. Exports carry the files' own signals only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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
from alliance.core.media.pdq_views import CROP_VIEWS
from alliance.core.trust import BankTrust
from alliance.formats.records import MediaRecord
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
        failed = [r for r in results if not r.ok]
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
            for r in results
            if r.hashes is not None
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
