"""The audit log in the store: appended to, read, never updated or deleted by Alliance."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance.core.audit import GENESIS, AuditEvent, AuditRecord, chain_hash
from alliance.core.errors import StoreUnavailable
from alliance.store.db import advisory_lock, session_factory
from alliance.store.models import AuditEventRow

_APPEND_ATTEMPTS = 20
_AUDIT_CHAIN_LOCK = 0x616C6C6961756474  # "alliaudt": an advisory lock key of its own
_AUDIT_TABLE = AuditEventRow.metadata.tables[AuditEventRow.__tablename__]


class AuditStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    def append(self, records: Sequence[AuditRecord], batch_id: str | None = None) -> list[AuditEvent]:
        """Append records at the head of the chain, in one transaction.

        With a `batch_id` (the background writer's, the same on each try of one batch), a batch
        already written is returned as it was written rather than appended again: its commit went
        through, but the reply was lost and the writer retried.

        Writers take the chain's lock before reading its head, so that several server processes
        appending batches wait in turn instead of racing (the loser of a race recomputed its whole
        batch: 30% of a bench's audit work). Should two writers still read the same head, its hash
        is unique as `prev_hash`: one wins, the other gets an integrity error and retries.
        """
        for _attempt in range(_APPEND_ATTEMPTS):
            try:
                with self._sessions.begin() as session:
                    _lock_chain(session)
                    if batch_id is not None and (written := _written_batch(session, batch_id, len(records))):
                        return written
                    head = session.execute(
                        select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
                    ).first()
                    seq, prev = (head[0], head[1]) if head else (0, GENESIS)
                    events = []
                    at = datetime.now(UTC)
                    for record in records:
                        seq += 1
                        digest = chain_hash(prev, seq, at, record)
                        events.append(AuditEvent(seq, at, record, prev, digest))
                        prev = digest
                    # One Core executemany on the table (no ORM bulk machinery): a server appends batches of hundreds.
                    rows = [_row(e) for e in events]
                    if rows and batch_id is not None:
                        rows[0]["batch_id"] = batch_id  # on the first row only: one index entry per batch
                    session.execute(insert(_AUDIT_TABLE), rows)
                return events
            except IntegrityError:
                continue
        raise StoreUnavailable("could not append to the audit log: too many concurrent writers")  # retried

    def events(
        self,
        *,
        after: int = 0,
        limit: int | None = None,
        org_id: int | None = None,
        action: str | None = None,
        request_id: str | None = None,
        outcome: str | None = None,
    ) -> list[AuditEvent]:
        """Events in chain order; `org_id` keeps those done by or to that organisation."""
        query = select(AuditEventRow).where(AuditEventRow.seq > after).order_by(AuditEventRow.seq)
        if request_id is not None:
            query = query.where(AuditEventRow.request_id == request_id)
        if org_id is not None:
            query = query.where(or_(AuditEventRow.org_id == org_id, AuditEventRow.subject_org_id == org_id))
        if action is not None:
            query = query.where(AuditEventRow.action == action)
        if outcome is not None:
            query = query.where(AuditEventRow.outcome == outcome)
        if limit is not None:
            query = query.limit(limit)
        with self._sessions() as session:
            return [_event(r) for r in session.scalars(query)]

    def head(self) -> tuple[int, str]:
        """(sequence, hash) of the newest event; (0, GENESIS) for an empty log."""
        with self._sessions() as session:
            row = session.execute(
                select(AuditEventRow.seq, AuditEventRow.hash).order_by(AuditEventRow.seq.desc()).limit(1)
            ).first()
        return (row[0], row[1]) if row else (0, GENESIS)

    def iter_all(self, batch: int = 5000) -> Iterator[AuditEvent]:
        after = 0
        while True:
            events = self.events(after=after, limit=batch)
            if not events:
                return
            yield from events
            after = events[-1].seq


def _written_batch(session: Session, batch_id: str, size: int) -> list[AuditEvent]:
    """The events of a batch already appended under `batch_id` (none: not written yet)."""
    first = session.scalar(select(AuditEventRow.seq).where(AuditEventRow.batch_id == batch_id))
    if first is None:
        return []
    rows = session.scalars(
        select(AuditEventRow).where(AuditEventRow.seq >= first).order_by(AuditEventRow.seq).limit(size)
    )
    return [_event(r) for r in rows]


def _lock_chain(session: Session) -> None:
    """Hold the write lock of the chain until the transaction ends."""
    if not advisory_lock(session, _AUDIT_CHAIN_LOCK) and session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("BEGIN IMMEDIATE")  # the write lock now, not at the first insert


def _row(event: AuditEvent) -> dict[str, Any]:
    record = event.record
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": record.actor,
        "org_id": record.org_id,
        "subject_org_id": record.subject_org_id,
        "key_id": record.key_id,
        "action": record.action,
        "target": record.target,
        "outcome": record.outcome,
        "details": record.details,
        "request_id": record.request_id,
        "batch_id": None,
        "prev_hash": event.prev_hash,
        "hash": event.hash,
    }


def _event(row: AuditEventRow) -> AuditEvent:
    record = AuditRecord(
        actor=row.actor,
        action=row.action,
        target=row.target,
        outcome=row.outcome,
        org_id=row.org_id,
        subject_org_id=row.subject_org_id,
        key_id=row.key_id,
        details=dict(row.details),
        request_id=row.request_id,
    )
    return AuditEvent(row.seq, datetime.fromisoformat(row.at), record, row.prev_hash, row.hash)
