"""Grades, disputes, transitions and match events in the store. Rows become dataclasses here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, and_, delete, func, insert, or_, select
from sqlalchemy.exc import IntegrityError

from alliance.core.banks import Entry, EntryStatus
from alliance.core.errors import Conflict, NotFound
from alliance.core.trust import CallerCount, Grade, Vote
from alliance.store.banks import entry_from_row
from alliance.store.db import aware, session_factory
from alliance.store.models import EntryRow, OrganisationRow, utcnow
from alliance.store.trust_models import DisputeRow, FloodVerdictRow, GradeRow, MatchEventRow, TransitionRow

_MATCH_EVENTS = MatchEventRow.metadata.tables[MatchEventRow.__tablename__]


@dataclass(frozen=True, slots=True)
class MatchEvent:
    id: str
    at: datetime
    org_id: int
    key_id: int | None
    bank_id: int
    entry_id: int
    signal_type: str
    distance: int
    variant: str
    query_digest: str | None = None  # what the flood rule counts distinct queries by
    suppressed_by_bank_id: int | None = None  # a negative bank's entry suppressed it: never shown
    suppressed_by_entry_id: int | None = None


@dataclass(frozen=True, slots=True)
class Dispute:
    id: int
    entry_id: int
    match_id: str
    org_id: int
    actor: str
    reason: str
    created_at: datetime
    resolution: str | None
    resolved_at: datetime | None = None
    organisation: str = ""  # the disputing organisation's name


@dataclass(frozen=True, slots=True)
class Transition:
    from_status: str
    to_status: str
    actor: str
    reason: str
    details: dict[str, Any]
    at: datetime


class TrustStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    # --- grades --------------------------------------------------------------------------------

    def add_grade(self, entry_id: int, vote: Vote) -> list[Vote]:
        """Store a grade and return all grades of the entry; a second grade by the same grader is a conflict."""
        try:
            with self._sessions.begin() as session:
                session.add(
                    GradeRow(entry_id=entry_id, grader=vote.grader, org_id=vote.org_id, grade=vote.grade.to_json())
                )
        except IntegrityError as exc:
            raise Conflict(f"{vote.grader} has already graded entry {entry_id}; a grader grades an entry once") from exc
        return self.votes(entry_id)

    def votes(self, entry_id: int) -> list[Vote]:
        with self._sessions() as session:
            rows = session.scalars(select(GradeRow).where(GradeRow.entry_id == entry_id).order_by(GradeRow.id))
            return [
                Vote(r.grader, r.org_id, Grade.from_json({k: v for k, v in r.grade.items() if v is not None}))
                for r in rows
            ]

    def has_graded(self, entry_id: int, grader: str) -> bool:
        with self._sessions() as session:
            query = select(GradeRow.id).where(GradeRow.entry_id == entry_id, GradeRow.grader == grader)
            return session.scalar(query) is not None

    def mark_review(self, entry_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(EntryRow, entry_id)
            if row is not None:
                row.needs_review = True

    # --- queues --------------------------------------------------------------------------------

    def entries_waiting(
        self,
        bank_ids: Sequence[int],
        *,
        status: EntryStatus,
        needs_review: bool | None = None,
        not_graded_by: str | None = None,
        limit: int = 100,
        after: int = 0,
    ) -> list[Entry]:
        """Oldest first; `after` an entry id, for the next page."""
        if not bank_ids:
            return []
        query = select(EntryRow).where(
            EntryRow.bank_id.in_(bank_ids), EntryRow.status == status.value, EntryRow.id > after
        )
        if needs_review is not None:
            query = query.where(EntryRow.needs_review == needs_review)
        if not_graded_by is not None:
            graded = select(GradeRow.entry_id).where(GradeRow.grader == not_graded_by)
            query = query.where(EntryRow.id.not_in(graded))
        with self._sessions() as session:
            return [entry_from_row(r) for r in session.scalars(query.order_by(EntryRow.id).limit(limit))]

    # --- disputes ------------------------------------------------------------------------------

    def add_dispute(self, entry_id: int, match_id: str, org_id: int, actor: str, reason: str) -> list[Dispute]:
        try:
            with self._sessions.begin() as session:
                session.add(DisputeRow(entry_id=entry_id, match_id=match_id, org_id=org_id, actor=actor, reason=reason))
        except IntegrityError as exc:
            raise Conflict(f"match {match_id} is already disputed") from exc
        return self.disputes(entry_id, open_only=True)

    def disputes(self, entry_id: int, open_only: bool = False) -> list[Dispute]:
        return [d for d, _ in self._disputes(DisputeRow.entry_id == entry_id, open_only=open_only)]

    def org_disputes(self, org_id: int, after: int = 0, limit: int = 100) -> list[tuple[Dispute, EntryStatus]]:
        """An organisation's disputes, oldest first, each with its entry's status now."""
        return self._disputes(DisputeRow.org_id == org_id, DisputeRow.id > after, limit=limit)

    def _disputes(
        self, *where: ColumnElement[bool], open_only: bool = False, limit: int | None = None
    ) -> list[tuple[Dispute, EntryStatus]]:
        query = (
            select(DisputeRow, OrganisationRow.name, EntryRow.status)
            .join(EntryRow, EntryRow.id == DisputeRow.entry_id)
            .outerjoin(OrganisationRow, OrganisationRow.id == DisputeRow.org_id)
            .where(*where)
            .order_by(DisputeRow.id)
            .limit(limit)
        )
        if open_only:
            query = query.where(DisputeRow.resolution.is_(None))
        with self._sessions() as session:
            return [
                (
                    Dispute(
                        r.id,
                        r.entry_id,
                        r.match_id,
                        r.org_id,
                        r.actor,
                        r.reason,
                        aware(r.created_at),
                        r.resolution,
                        aware(r.resolved_at) if r.resolved_at else None,
                        org or "",
                    ),
                    EntryStatus(status),
                )
                for r, org, status in session.execute(query)
            ]

    def resolve_disputes(self, entry_id: int, resolution: str, actor: str) -> int:
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(DisputeRow).where(DisputeRow.entry_id == entry_id, DisputeRow.resolution.is_(None))
            ).all()
            for row in rows:
                row.resolution, row.resolved_by, row.resolved_at = resolution, actor, utcnow()
            return len(rows)

    # --- transitions ---------------------------------------------------------------------------

    def transitions(self, entry_id: int) -> list[Transition]:
        with self._sessions() as session:
            rows = session.scalars(
                select(TransitionRow).where(TransitionRow.entry_id == entry_id).order_by(TransitionRow.id)
            )
            return [Transition(r.from_status, r.to_status, r.actor, r.reason, dict(r.details), r.at) for r in rows]

    # --- match events --------------------------------------------------------------------------

    def add_match_events(self, events: Sequence[MatchEvent]) -> None:
        if events:
            with self._sessions.begin() as session:
                session.execute(insert(_MATCH_EVENTS), [_event_row(e) for e in events])  # Core: no ORM bulk cost

    def match_event(self, match_id: str) -> MatchEvent:
        with self._sessions() as session:
            row = session.get(MatchEventRow, match_id) if len(match_id) <= 32 else None
            if row is None:
                raise NotFound(f"no match {match_id!r}")
            return _event_of(row)

    def org_match_events(
        self, org_id: int, before: tuple[datetime, str] | None = None, limit: int = 50
    ) -> list[MatchEvent]:
        """An organisation's matches, newest first (the `ix_match_events_org_at` index), from before
        `before` (the (at, id) of the last one shown). Suppressed ones were never shown: left out."""
        query = select(MatchEventRow).where(
            MatchEventRow.org_id == org_id, MatchEventRow.suppressed_by_entry_id.is_(None)
        )
        if before is not None:
            at, match_id = before
            query = query.where(or_(MatchEventRow.at < at, and_(MatchEventRow.at == at, MatchEventRow.id < match_id)))
        query = query.order_by(MatchEventRow.at.desc(), MatchEventRow.id.desc()).limit(limit)
        with self._sessions() as session:
            return [_event_of(row) for row in session.scalars(query)]

    def disputed_matches(self, match_ids: Sequence[str]) -> set[str]:
        """Which of these matches were disputed."""
        if not match_ids:
            return set()
        with self._sessions() as session:
            return set(session.scalars(select(DisputeRow.match_id).where(DisputeRow.match_id.in_(list(match_ids)))))

    def match_counts(self, entry_id: int, since: datetime) -> int:
        with self._sessions() as session:
            query = select(func.count()).where(MatchEventRow.entry_id == entry_id, MatchEventRow.at >= since)
            return session.scalar(query) or 0

    # --- the flood rule, counted over every replica's match events ---------------------------------

    def flood_callers(self, since: datetime, min_total: int) -> dict[int, list[CallerCount]]:
        """Per entry matched since `since` by more than `min_total` distinct queries: each
        organisation's distinct queries and keys. Suppressed matches were never seen: not counted.

        Two steps: entries with more than `min_total` matches at all (an index-only scan of the
        window), then the distinct counts of those few."""
        busy = (
            select(MatchEventRow.entry_id)
            .where(MatchEventRow.at >= since)
            .group_by(MatchEventRow.entry_id)
            .having(func.count() > min_total)
        )
        with self._sessions() as session:
            candidates = list(session.scalars(busy))
        if not candidates:
            return {}
        query = (
            select(
                MatchEventRow.entry_id,
                MatchEventRow.org_id,
                func.count(MatchEventRow.query_digest.distinct()),
                func.count(MatchEventRow.key_id.distinct()),
            )
            .where(
                MatchEventRow.entry_id.in_(candidates),
                MatchEventRow.at >= since,
                MatchEventRow.suppressed_by_entry_id.is_(None),
                MatchEventRow.query_digest.is_not(None),
            )
            .group_by(MatchEventRow.entry_id, MatchEventRow.org_id)
        )
        callers: dict[int, list[CallerCount]] = {}
        with self._sessions() as session:
            for entry_id, org_id, queries, keys in session.execute(query):
                callers.setdefault(entry_id, []).append(CallerCount(org_id, queries, keys))
        return {e: c for e, c in callers.items() if sum(x.queries for x in c) > min_total}

    def flood_history(
        self, entry_ids: Sequence[int], since: datetime, until: datetime
    ) -> list[tuple[int, datetime, str]]:
        """(entry, time, organisation:query) of the entries' matches in [since, until): their past windows."""
        if not entry_ids:
            return []
        query = select(
            MatchEventRow.entry_id, MatchEventRow.at, MatchEventRow.org_id, MatchEventRow.query_digest
        ).where(
            MatchEventRow.entry_id.in_(list(entry_ids)),
            MatchEventRow.at >= since,
            MatchEventRow.at < until,
            MatchEventRow.suppressed_by_entry_id.is_(None),
            MatchEventRow.query_digest.is_not(None),
        )
        with self._sessions() as session:
            return [(e, aware(at), f"{org}:{digest}") for e, at, org, digest in session.execute(query)]

    def add_flood_verdict(
        self, entry_id: int, org_id: int, window_start: datetime, kind: str, details: dict[str, Any]
    ) -> bool:
        """Record a verdict once per entry, organisation (0: all) and window; False if one exists
        already (another replica, or an earlier check, decided it)."""
        try:
            with self._sessions.begin() as session:
                session.add(
                    FloodVerdictRow(
                        entry_id=entry_id, org_id=org_id, window_start=window_start, kind=kind, details=details
                    )
                )
            return True
        except IntegrityError:
            return False

    def flooding_callers(self, window_start: datetime) -> set[int]:
        """Organisations with a single-caller flood in the window starting at `window_start`."""
        query = select(FloodVerdictRow.org_id).where(
            FloodVerdictRow.window_start == window_start, FloodVerdictRow.kind == "single_caller"
        )
        with self._sessions() as session:
            return set(session.scalars(query))

    def purge_match_events(self, before: datetime) -> int:
        """Delete match events older than the retention period; returns how many."""
        with self._sessions.begin() as session:
            result = session.execute(delete(MatchEventRow).where(MatchEventRow.at < before))
            session.execute(delete(FloodVerdictRow).where(FloodVerdictRow.window_start < before))
            return int(getattr(result, "rowcount", 0) or 0)


def _event_of(row: MatchEventRow) -> MatchEvent:
    return MatchEvent(
        row.id,
        aware(row.at),
        row.org_id,
        row.key_id,
        row.bank_id,
        row.entry_id,
        row.signal_type,
        row.distance,
        row.variant,
        row.query_digest,
        row.suppressed_by_bank_id,
        row.suppressed_by_entry_id,
    )


def _event_row(event: MatchEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in MatchEvent.__slots__}
