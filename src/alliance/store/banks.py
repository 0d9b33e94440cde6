"""Banks and their entries: one aggregate, since an entry lives and changes inside its bank.

Every write happens in one transaction and appends to the change log in the same transaction, so
an index that replays the log sees exactly what committed. Methods return `alliance.core`
dataclasses, never ORM rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, func, or_, select, text, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from alliance.core.access import OrgKind, Role, SharingPolicy
from alliance.core.banks import (
    Bank,
    BankPurpose,
    Duplicate,
    Entry,
    EntryStatus,
    ExportedEntry,
    ImportCounts,
    NewEntry,
    Organisation,
    merge_duplicate,
)
from alliance.core.errors import Conflict, InvalidRequest, NotFound
from alliance.core.signals import Signal, ViewSignal, hamming_types, signal_type
from alliance.core.trust import check_transition
from alliance.store.db import LOOKUP_CHUNK, chunks, is_row_id, lock_change_log
from alliance.store.models import BankRow, Base, ChangeRow, EntryRow, OrganisationRow, SignalRow, utcnow
from alliance.store.trust_models import TransitionRow

IMPORT_LOOKUP_CHUNK = 2000
"""Values a duplicate lookup sends at once (SQLite takes 32,766 parameters, PostgreSQL 65,535)."""
EXPORT_PAGE = 2000
"""Entries an export reads at a time (their ids go in one `IN (...)`)."""
IMPORT_BATCH = 2000
"""Entries an import writes at a time: its memory is about this many records, whatever the file's size."""


class BankRecords:
    """Organisations' banks and the entries in them (part of `Store`)."""

    _sessions: sessionmaker[Session]

    # --- organisations -------------------------------------------------------------------------

    def ensure_organisation(self, name: str, country: str) -> Organisation:
        """The organisation called `name`, created if it does not exist yet: the node operator's
        own, which may hold every role (a node run by one body does all its work)."""
        with self._sessions.begin() as session:
            row = session.scalar(select(OrganisationRow).where(OrganisationRow.name == name))
            if row is None:
                row = OrganisationRow(
                    name=name, country=country.upper(), kind=OrgKind.NODE_OPERATOR.value, allowed_roles=sorted(Role)
                )
                session.add(row)
                session.flush()
            return organisation_from_row(row)

    # --- banks ---------------------------------------------------------------------------------

    def create_bank(
        self,
        name: str,
        owner_id: int,
        purpose: BankPurpose,
        description: str,
        thresholds: dict[str, int],
        policy: SharingPolicy | None = None,
        trust: dict[str, Any] | None = None,
        crop_matching: bool = False,
    ) -> Bank:
        with self._sessions.begin() as session:
            lock_change_log(session)
            if session.scalar(select(BankRow.id).where(BankRow.name == name)) is not None:
                raise Conflict(f"a bank called {name!r} already exists")
            if session.get(OrganisationRow, owner_id) is None:
                raise NotFound(f"no organisation with id {owner_id}")
            row = BankRow(
                name=name,
                owner_id=owner_id,
                purpose=purpose.value,
                description=description,
                thresholds=thresholds,
                policy=(policy or SharingPolicy()).to_json(),
                trust=dict(trust or {}),
                crop_matching=crop_matching,
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:  # a concurrent create won the race
                raise Conflict(f"a bank called {name!r} already exists") from exc
            session.add(ChangeRow(kind="bank_created", bank_id=row.id))
            session.refresh(row)
            return _bank(row, 0)

    def get_bank(self, name: str) -> Bank:
        with self._sessions() as session:
            row = session.scalar(select(BankRow).where(BankRow.name == name))
            if row is None:
                raise NotFound(f"no bank called {name!r}")
            return _bank(row, self._live_count(session, row.id))

    def list_banks(self) -> list[Bank]:
        with self._sessions() as session:
            counts = dict(
                session.execute(
                    select(EntryRow.bank_id, func.count())
                    .where(EntryRow.status != EntryStatus.RETIRED.value)
                    .group_by(EntryRow.bank_id)
                ).all()
            )
            rows = session.scalars(select(BankRow).order_by(BankRow.name)).all()
            return [_bank(row, counts.get(row.id, 0)) for row in rows]

    def bank_by_id(self, bank_id: int) -> Bank:
        with self._sessions() as session:
            row = session.get(BankRow, bank_id) if is_row_id(bank_id) else None
            if row is None:
                raise NotFound(f"no bank with id {bank_id}")
            return _bank(row, self._live_count(session, row.id))

    def banks_by_id(self) -> dict[int, Bank]:
        return {bank.id: bank for bank in self.list_banks()}

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
        """Change what is given; a change to what matches is logged for the indexes."""
        with self._sessions.begin() as session:
            lock_change_log(session)
            row = session.scalar(select(BankRow).where(BankRow.name == name))
            if row is None:
                raise NotFound(f"no bank called {name!r}")
            before = (
                row.description,
                dict(row.policy),
                dict(row.thresholds),
                row.enabled,
                dict(row.trust or {}),
                row.crop_matching,
            )
            if description is not None:
                row.description = description
            if policy is not None:
                row.policy = policy.to_json()
            if thresholds is not None:
                row.thresholds = {**row.thresholds, **thresholds}
            if enabled is not None:
                row.enabled = enabled
            if trust is not None:
                row.trust = dict(trust)
            if crop_matching is not None:
                row.crop_matching = crop_matching
            if (row.description, row.policy, row.thresholds, row.enabled, row.trust, row.crop_matching) != before:
                # Every replica's matcher caches banks (thresholds, policy): tell them all.
                kind = "bank_updated" if row.enabled == before[3] else f"bank_{'en' if row.enabled else 'dis'}abled"
                session.add(ChangeRow(kind=kind, bank_id=row.id))
            session.flush()
            return _bank(row, self._live_count(session, row.id))

    def set_bank_enabled(self, name: str, enabled: bool) -> Bank:
        return self.update_bank(name, enabled=enabled)

    # --- entries -------------------------------------------------------------------------------

    def add_entries(
        self,
        bank_id: int,
        entries: Sequence[NewEntry],
        *,
        skip_duplicates: bool = False,
        status: EntryStatus = EntryStatus.CONFIRMED,
    ) -> tuple[list[Entry], list[Duplicate]]:
        """Add `entries` to a bank in one transaction; returns (added, duplicates).

        A new entry is a duplicate when its identity signals (its exact hashes; its perceptual
        hashes if it has no exact one) equal a signal of a live entry of the bank or of an earlier
        entry of the same batch. A re-encoded copy with the same PDQ but new file hashes is new.
        Duplicates raise `Conflict` and nothing is written, unless `skip_duplicates`, when they are
        left out and reported.
        """
        with self._sessions.begin() as session:
            lock_change_log(session)
            bank = session.get(BankRow, bank_id)
            if bank is None:
                raise NotFound(f"no bank with id {bank_id}")
            duplicates = self._find_duplicates(session, bank_id, entries)
            if duplicates and not skip_duplicates:
                first = duplicates[0]
                where = f"entry {first.existing_entry_id}" if first.existing_entry_id else "an earlier record"
                raise Conflict(
                    f"{len(duplicates)} of {len(entries)} entries are already in bank {bank.name!r}; "
                    f"first: {first.new.source or 'entry'} has {first.shared.type} {first.shared.value} like {where}. "
                    "Nothing was added."
                )
            skipped = {id(d.new) for d in duplicates}
            kept = [entry for entry in entries if id(entry) not in skipped]
            rows = [_entry_row(bank_id, entry, status) for entry in kept]
            session.add_all(rows)
            session.flush()
            session.add_all(view for entry, row in zip(kept, rows, strict=True) for view in _view_rows(row.id, entry))
            session.add_all(ChangeRow(kind="entry_added", bank_id=bank_id, entry_id=row.id) for row in rows)
            return [entry_from_row(row) for row in rows], duplicates

    def _find_duplicates(self, session: Session, bank_id: int, entries: Sequence[NewEntry]) -> list[Duplicate]:
        keys = {(s.type, s.value) for entry in entries for s in _identity(entry)}
        existing: dict[tuple[str, str], int] = {}
        for chunk in chunks(sorted(keys), LOOKUP_CHUNK):
            rows = session.execute(
                select(SignalRow.type, SignalRow.value, SignalRow.entry_id)
                .join(EntryRow)
                .where(
                    EntryRow.bank_id == bank_id,
                    EntryRow.status != EntryStatus.RETIRED.value,
                    SignalRow.view.is_(None),
                    tuple_(SignalRow.type, SignalRow.value).in_(chunk),
                )
            ).all()
            existing.update({(t, v): entry_id for t, v, entry_id in rows})
        duplicates: list[Duplicate] = []
        seen: set[tuple[str, str]] = set()
        for entry in entries:
            keys_of_entry = [(s, (s.type, s.value)) for s in _identity(entry)]
            clash = next(((s, k) for s, k in keys_of_entry if k in existing or k in seen), None)
            if clash is not None:
                duplicates.append(Duplicate(entry, existing.get(clash[1]), clash[0]))
            else:
                seen.update(k for _, k in keys_of_entry)
        return duplicates

    def import_entries(
        self,
        bank_id: int,
        entries: Iterable[NewEntry],
        *,
        status: EntryStatus = EntryStatus.CONFIRMED,
        batch_size: int = IMPORT_BATCH,
        on_batch: Callable[[int], None] | None = None,
    ) -> ImportCounts:
        """Add a stream of entries in one transaction, `batch_size` at a time (memory stays flat):
        a record whose identity signals (`_identity`) an entry of the bank, or an earlier record,
        already has is merged into that entry (`core.banks.merge_duplicate`), never dropped.
        Anything `entries` raises while it is read rolls the whole import back."""
        counts = ImportCounts()
        with self._sessions.begin() as session:
            lock_change_log(session)
            if session.get(BankRow, bank_id) is None:
                raise NotFound(f"no bank with id {bank_id}")
            batch: list[NewEntry] = []
            for entry in entries:
                batch.append(entry)
                if len(batch) >= batch_size:
                    self._import_batch(session, bank_id, batch, status, counts)
                    if on_batch:
                        on_batch(len(batch))
                    batch = []
            if batch:
                self._import_batch(session, bank_id, batch, status, counts)
                if on_batch:
                    on_batch(len(batch))
        return counts

    def _import_batch(
        self, session: Session, bank_id: int, batch: list[NewEntry], status: EntryStatus, counts: ImportCounts
    ) -> None:
        perceptual = {kind.name for kind in hamming_types()}
        identities = [_identity_keys(entry, perceptual) for entry in batch]
        existing = self._live_identities(session, bank_id, {key for keys in identities for key in keys})
        kept: list[NewEntry] = []
        in_batch: dict[tuple[str, str], int] = {}
        into_existing: dict[int, list[NewEntry]] = {}
        for entry, identity in zip(batch, identities, strict=True):
            found = next((existing[k] for k in identity if k in existing), None)
            earlier = next((in_batch[k] for k in identity if k in in_batch), None)
            if found is not None:
                into_existing.setdefault(found, []).append(entry)
            elif earlier is not None:
                first = kept[earlier]
                kept[earlier] = replace(first, metadata=merge_duplicate(first.metadata, first.signals, entry))
            else:
                in_batch.update((k, len(kept)) for k in identity)
                kept.append(entry)
                continue
            counts.merged += 1
        now = utcnow()
        if kept:
            ids = _reserve_entry_ids(session, len(kept))
            _insert_many(
                session,
                _table(EntryRow),
                ("id", "note", "metadata", "source"),
                [(i, e.note, e.metadata, e.source) for i, e in zip(ids, kept, strict=True)],
                {"bank_id": bank_id, "status": status.value, "needs_review": False, "created_at": now}
                | {"updated_at": now},
            )
            signal_rows: list[tuple[int, str, str, int | None, str | None]] = [
                (entry_id, s.type, s.value, s.quality, None)
                for entry_id, entry in zip(ids, kept, strict=True)
                for s in entry.signals
            ]
            signal_rows += [
                (entry_id, view.signal.type, view.signal.value, view.signal.quality, view.view)
                for entry_id, entry in zip(ids, kept, strict=True)
                if entry.views
                for view in _distinct_views(entry)
            ]
            _insert_many(session, _table(SignalRow), ("entry_id", "type", "value", "quality", "view"), signal_rows)
            _insert_many(
                session,
                _table(ChangeRow),
                ("entry_id",),
                [(i,) for i in ids],
                {"kind": "entry_added", "bank_id": bank_id, "at": now},
            )
            counts.added += len(ids)
            counts.first_ids.extend(ids[: max(0, 1000 - len(counts.first_ids))])
        if into_existing:
            self._merge_into(session, into_existing, now)

    @staticmethod
    def _merge_into(session: Session, duplicates: dict[int, list[NewEntry]], now: datetime) -> None:
        """Merge each entry's `duplicates` into its metadata (`core.banks.merge_duplicate`)."""
        entries, signals = _table(EntryRow), _table(SignalRow)
        ids = sorted(duplicates)
        own: dict[int, list[Signal]] = {i: [] for i in ids}
        metadata: dict[int, dict[str, Any]] = {}
        for chunk in chunks(ids, IMPORT_LOOKUP_CHUNK):
            for entry_id, kind, value, quality in session.execute(
                select(signals.c.entry_id, signals.c.type, signals.c.value, signals.c.quality)
                .where(signals.c.entry_id.in_(chunk), signals.c.view.is_(None))
                .order_by(signals.c.id)
            ):
                own[entry_id].append(Signal(kind, value, quality))
            rows = session.execute(select(entries.c.id, entries.c.metadata).where(entries.c.id.in_(chunk)))
            metadata.update((entry_id, extra) for entry_id, extra in rows)
        merged = []
        for entry_id in ids:
            current = dict(metadata[entry_id])
            for duplicate in duplicates[entry_id]:
                current = merge_duplicate(current, own[entry_id], duplicate)
            merged.append((current, entry_id))
        _update_many(session, entries, ("metadata",), "id", merged, {"updated_at": now})

    @staticmethod
    def _live_identities(session: Session, bank_id: int, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The live entry of the bank that has each of `keys` as its own signal (looked up a type at
        a time: `value IN (...)` uses the (type, value) index, a row-value IN does not on SQLite)."""
        existing: dict[tuple[str, str], int] = {}
        for kind in sorted({kind for kind, _value in keys}):
            values = sorted(value for k, value in keys if k == kind)
            for chunk in chunks(values, IMPORT_LOOKUP_CHUNK):
                rows = session.execute(
                    select(SignalRow.value, SignalRow.entry_id)
                    .join(EntryRow)
                    .where(
                        SignalRow.type == kind,
                        SignalRow.value.in_(chunk),
                        SignalRow.view.is_(None),
                        EntryRow.bank_id == bank_id,
                        EntryRow.status != EntryStatus.RETIRED.value,
                    )
                ).all()
                for value, entry_id in rows:
                    existing.setdefault((kind, value), entry_id)
        return existing

    def stream_entries(
        self, bank_id: int, *, status: EntryStatus | None = None, views: Sequence[str] = (), page: int = EXPORT_PAGE
    ) -> Iterator[ExportedEntry]:
        """A bank's entries in `status` (None: every live one) in id order, with their own signals
        and the named `views` of each, as they are read: a page of `page` entries at a time, each
        page two queries in a short read of its own (on `ix_entries_bank_id`), so memory stays flat
        and no transaction stays open while the caller writes."""
        entries, signals = _table(EntryRow), _table(SignalRow)
        query = select(entries.c.id, entries.c.status, entries.c.note, entries.c.metadata).where(
            entries.c.bank_id == bank_id
        )
        if status is not None:
            query = query.where(entries.c.status == status.value)
        else:
            query = query.where(entries.c.status != EntryStatus.RETIRED.value)
        own_or_named = (
            or_(signals.c.view.is_(None), signals.c.view.in_(list(views))) if views else signals.c.view.is_(None)
        )
        after = 0
        while True:
            with self._sessions() as session:
                rows = session.execute(query.where(entries.c.id > after).order_by(entries.c.id).limit(page)).all()
                if not rows:
                    return
                found: dict[int, tuple[list[Signal], dict[str, Signal]]] = {row[0]: ([], {}) for row in rows}
                for entry_id, kind, value, quality, view in session.execute(
                    select(signals.c.entry_id, signals.c.type, signals.c.value, signals.c.quality, signals.c.view)
                    .where(signals.c.entry_id.in_(list(found)), own_or_named)
                    .order_by(signals.c.id)
                ):
                    own, named = found[entry_id]
                    if view is None:
                        own.append(Signal(kind, value, quality))
                    else:
                        named[view] = Signal(kind, value, quality)
            for entry_id, entry_status, note, metadata in rows:
                own, named = found[entry_id]
                yield ExportedEntry(entry_id, EntryStatus(entry_status), tuple(own), note, metadata, named)
            after = rows[-1][0]

    def get_entry(self, entry_id: int) -> Entry:
        with self._sessions() as session:
            row = session.get(EntryRow, entry_id) if is_row_id(entry_id) else None
            if row is None:
                raise NotFound(f"no entry with id {entry_id}")
            return entry_from_row(row)

    def list_entries(
        self,
        bank_id: int,
        *,
        include_retired: bool = False,
        after_id: int = 0,
        limit: int | None = None,
        status: EntryStatus | None = None,
        source_prefix: str | None = None,
    ) -> list[Entry]:
        """Entries of a bank in id order; page with `after_id` (the last id seen) and `limit`."""
        query = select(EntryRow).where(EntryRow.bank_id == bank_id, EntryRow.id > after_id).order_by(EntryRow.id)
        if status is not None:
            query = query.where(EntryRow.status == status.value)
        elif not include_retired:
            query = query.where(EntryRow.status != EntryStatus.RETIRED.value)
        if source_prefix:
            query = query.where(EntryRow.source.startswith(source_prefix, autoescape=True))
        if limit is not None:
            query = query.limit(limit)
        with self._sessions() as session:
            return [entry_from_row(row) for row in session.scalars(query)]

    def retire_entry(self, entry_id: int, reason: str, actor: str = "system") -> Entry:
        return self.transition(entry_id, EntryStatus.RETIRED, actor, reason)

    def transition(
        self,
        entry_id: int,
        new: EntryStatus,
        actor: str,
        reason: str,
        details: dict[str, Any] | None = None,
        *,
        grade: dict[str, Any] | None = None,
    ) -> Entry:
        """Move an entry to a new status, recording who, why and the numbers, in one transaction."""
        with self._sessions.begin() as session:
            lock_change_log(session)
            row = session.get(EntryRow, entry_id) if is_row_id(entry_id) else None
            if row is None:
                raise NotFound(f"no entry with id {entry_id}")
            current = EntryStatus(row.status)
            if current == new == EntryStatus.RETIRED:
                raise InvalidRequest(f"entry {entry_id} is already retired")
            check_transition(current, new)
            row.status = new.value
            row.needs_review = False
            if grade is not None:
                row.grade = grade
            if new == EntryStatus.RETIRED:
                row.extra = {**row.extra, "retired_reason": reason, "retired_at": utcnow().isoformat()}
                session.add(ChangeRow(kind="entry_retired", bank_id=row.bank_id, entry_id=row.id))
            session.add(
                TransitionRow(
                    entry_id=row.id,
                    from_status=current.value,
                    to_status=new.value,
                    actor=actor,
                    reason=reason,
                    details=details or {},
                )
            )
            session.flush()
            return entry_from_row(row)

    @staticmethod
    def _live_count(session: Session, bank_id: int) -> int:
        return (
            session.scalar(
                select(func.count()).where(EntryRow.bank_id == bank_id, EntryRow.status != EntryStatus.RETIRED.value)
            )
            or 0
        )


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def _insert_many(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: list[tuple[Any, ...]],
    constants: dict[str, Any] | None = None,
) -> None:
    """Insert `rows` (the values of `names`, in order) with `constants` in every row, through the
    driver's executemany: an import's rows skip SQLAlchemy's per-row work, which cost more than the
    database's. Each value is converted by its column's type as SQLAlchemy would (JSON, timestamps),
    a constant once."""
    if not rows:
        return
    connection = session.connection()
    fixed = constants or {}
    columns = [*names, *fixed]
    statement = (
        f"INSERT INTO {table.name} ({', '.join(_quoted(connection, c) for c in columns)}) "
        f"VALUES ({', '.join([_marker(connection)] * len(columns))})"
    )
    connection.exec_driver_sql(statement, _driver_rows(connection, table, names, rows, fixed))


def _update_many(
    session: Session,
    table: Table,
    names: Sequence[str],
    key: str,
    rows: list[tuple[Any, ...]],
    constants: dict[str, Any] | None = None,
) -> None:
    """`UPDATE table SET names..., constants... WHERE key = ?` for each row (the values of `names`,
    then its key), through the driver's executemany like `_insert_many`."""
    if not rows:
        return
    connection = session.connection()
    fixed = constants or {}
    marker = _marker(connection)
    assignments = ", ".join(f"{_quoted(connection, c)} = {marker}" for c in [*names, *fixed])
    statement = f"UPDATE {table.name} SET {assignments} WHERE {_quoted(connection, key)} = {marker}"
    values = _driver_rows(connection, table, names, [row[:-1] for row in rows], fixed)
    connection.exec_driver_sql(statement, [(*value, row[-1]) for value, row in zip(values, rows, strict=True)])


def _driver_rows(
    connection: Connection, table: Table, names: Sequence[str], rows: list[tuple[Any, ...]], fixed: dict[str, Any]
) -> list[tuple[Any, ...]]:
    """Each row's values, then the `fixed` ones, as the driver takes them (each column's type
    converts them as SQLAlchemy would; a fixed value once)."""
    dialect = connection.dialect

    def converter(name: str) -> Callable[[Any], Any] | None:
        return table.c[name].type.dialect_impl(dialect).bind_processor(dialect)

    tail = tuple(convert(value) if (convert := converter(name)) else value for name, value in fixed.items())
    converters = [(index, convert) for index, name in enumerate(names) if (convert := converter(name))]
    if not converters:
        return [(*row, *tail) for row in rows] if tail else rows
    converted = []
    for row in rows:
        values = list(row)
        for index, convert in converters:
            values[index] = convert(values[index])
        converted.append((*values, *tail))
    return converted


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _marker(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle == "qmark" else "%s"


def _reserve_entry_ids(session: Session, count: int) -> list[int]:
    """Ids for `count` new entries, so that their rows go in as one batch (an INSERT that returns
    ids in order runs row by row on SQLite): PostgreSQL's sequence hands them out; SQLite, whose
    one writer is this transaction, counts on from the largest."""
    if session.get_bind().dialect.name == "postgresql":
        query = text("SELECT nextval(pg_get_serial_sequence('entries', 'id')) FROM generate_series(1, :n)")
        return [int(i) for i in session.scalars(query, {"n": count})]
    start = (session.scalar(select(func.max(EntryRow.id))) or 0) + 1
    return list(range(start, start + count))


def _identity(entry: NewEntry) -> list[Signal]:
    exact = [s for s in entry.signals if not signal_type(s.type).perceptual]
    return exact or list(entry.signals)


def _identity_keys(entry: NewEntry, perceptual: set[str]) -> list[tuple[str, str]]:
    """`_identity` as (type, value) keys, given the names of the perceptual types."""
    exact = [(s.type, s.value) for s in entry.signals if s.type not in perceptual]
    return exact or [(s.type, s.value) for s in entry.signals]


def _entry_row(bank_id: int, entry: NewEntry, status: EntryStatus) -> EntryRow:
    return EntryRow(
        bank_id=bank_id,
        status=status.value,
        note=entry.note,
        extra=dict(entry.metadata),
        source=entry.source,
        signals=[SignalRow(type=s.type, value=s.value, quality=s.quality) for s in entry.signals],
    )


def _view_rows(entry_id: int, entry: NewEntry) -> list[SignalRow]:
    return [
        SignalRow(entry_id=entry_id, type=v.signal.type, value=v.signal.value, quality=v.signal.quality, view=v.view)
        for v in _distinct_views(entry)
    ]


def _distinct_views(entry: NewEntry) -> list[ViewSignal]:
    """The entry's views, each hash once: a view that hashes like the entry's own signal, or like
    another view, adds nothing to matching (and (entry, type, value) is unique)."""
    seen = {(s.type, s.value) for s in entry.signals}
    views = []
    for view in entry.views:
        key = (view.signal.type, view.signal.value)
        if key not in seen:
            seen.add(key)
            views.append(view)
    return views


def organisation_from_row(row: OrganisationRow) -> Organisation:
    return Organisation(
        row.id, row.name, row.country, OrgKind(row.kind), frozenset(Role(r) for r in row.allowed_roles or [])
    )


def _bank(row: BankRow, entry_count: int) -> Bank:
    return Bank(
        id=row.id,
        name=row.name,
        owner=organisation_from_row(row.owner),
        purpose=BankPurpose(row.purpose),
        description=row.description,
        enabled=row.enabled,
        thresholds=dict(row.thresholds),
        created_at=row.created_at,
        entry_count=entry_count,
        policy=SharingPolicy.from_json(row.policy),
        trust=dict(row.trust or {}),
        crop_matching=row.crop_matching,
    )


def entry_from_row(row: EntryRow) -> Entry:
    return Entry(
        id=row.id,
        bank_id=row.bank_id,
        status=EntryStatus(row.status),
        signals=tuple(Signal(s.type, s.value, s.quality) for s in row.signals),
        note=row.note,
        metadata=dict(row.extra),
        source=row.source,
        created_at=row.created_at,
        updated_at=row.updated_at,
        grade=dict(row.grade) if row.grade else None,
        needs_review=row.needs_review,
    )
