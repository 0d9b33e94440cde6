"""Bank work: create and curate banks, add media or hash lists to them, export them.

Additions are all or nothing: a batch with an invalid record, a hashing failure or a duplicate
adds nothing unless the caller asked to skip those.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alliance.core.banks import (
    Bank,
    BankPurpose,
    Duplicate,
    Entry,
    NewEntry,
    Organisation,
    check_bank_name,
    check_thresholds,
)
from alliance.core.errors import HashingError, InvalidRequest
from alliance.formats.records import MediaRecord
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
    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings

    def node_organisation(self) -> Organisation:
        return self.store.ensure_organisation(self.settings.node_organisation, self.settings.node_country)

    def create_bank(
        self,
        name: str,
        purpose: BankPurpose = BankPurpose.KNOWN,
        description: str = "",
        thresholds: dict[str, int] | None = None,
    ) -> Bank:
        checked = check_thresholds(thresholds or {"pdq": self.settings.pdq_threshold})
        return self.store.create_bank(check_bank_name(name), self.node_organisation().id, purpose, description, checked)

    def list_banks(self) -> list[Bank]:
        return self.store.list_banks()

    def get_bank(self, name: str) -> Bank:
        return self.store.get_bank(name)

    def set_enabled(self, name: str, enabled: bool) -> Bank:
        return self.store.set_bank_enabled(name, enabled)

    def entries(self, name: str, *, include_retired: bool = False, limit: int | None = None) -> list[Entry]:
        return self.store.list_entries(self.get_bank(name).id, include_retired=include_retired, limit=limit)

    def add_files(
        self, name: str, results: Sequence[FileResult], *, skip_duplicates: bool = False, skip_failed: bool = False
    ) -> AddReport:
        """Add hashed files as entries. The media themselves were dropped after hashing."""
        bank = self.get_bank(name)
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
            )
            for r in results
            if r.hashes is not None
        ]
        added, duplicates = self.store.add_entries(bank.id, entries, skip_duplicates=skip_duplicates)
        return AddReport(added, duplicates, failed)

    def import_records(self, name: str, records: Sequence[MediaRecord], *, skip_duplicates: bool = False) -> AddReport:
        """Add records read from a hash-list file, in one transaction."""
        bank = self.get_bank(name)
        for record in records:
            if not record.signals:
                raise InvalidRequest(f"{record.where or 'a record'} has no hash")
        entries = [
            NewEntry(signals=r.signals, note=r.note, metadata=dict(r.metadata), source=f"import:{r.where}")
            for r in records
        ]
        added, duplicates = self.store.add_entries(bank.id, entries, skip_duplicates=skip_duplicates)
        return AddReport(added, duplicates, [])

    def export_records(self, name: str) -> list[MediaRecord]:
        return [
            MediaRecord(signals=e.signals, metadata=dict(e.metadata), note=e.note, where=f"entry {e.id}")
            for e in self.entries(name)
        ]

    def retire_entry(self, entry_id: int, reason: str) -> Entry:
        if not reason.strip():
            raise InvalidRequest("say why the entry is retired")
        return self.store.retire_entry(entry_id, reason.strip())
