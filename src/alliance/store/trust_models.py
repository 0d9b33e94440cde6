"""Tables of trust: grades, entry transitions, disputes, and match events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alliance.store.models import Base, BigId, utcnow


class GradeRow(Base):
    """One grader's grade of one entry; a grader grades an entry once."""

    __tablename__ = "grades"
    __table_args__ = (UniqueConstraint("entry_id", "grader", name="uq_grades_entry_grader"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    grader: Mapped[str] = mapped_column(String(160))
    org_id: Mapped[int] = mapped_column(BigInteger)
    grade: Mapped[dict[str, Any]] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TransitionRow(Base):
    """An entry changing status: who, why, and the numbers behind it."""

    __tablename__ = "entry_transitions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(160))
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class DisputeRow(Base):
    """A match disputed as a false positive, and how it was resolved."""

    __tablename__ = "disputes"
    __table_args__ = (UniqueConstraint("match_id", name="uq_disputes_match"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    match_id: Mapped[str] = mapped_column(String(32))
    org_id: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(160))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolution: Mapped[str | None] = mapped_column(String(32))
    resolved_by: Mapped[str | None] = mapped_column(String(160))
    resolved_at: Mapped[datetime | None] = mapped_column()


class MatchEventRow(Base):
    """One match: kept for the retention period; per-entry counts feed the flood rule and indicators."""

    __tablename__ = "match_events"
    __table_args__ = (
        Index("ix_match_events_entry_at", "entry_id", "at"),
        Index("ix_match_events_org_at", "org_id", "at"),
        Index("ix_match_events_at_entry", "at", "entry_id"),  # the flood rule's scan of a window
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    at: Mapped[datetime] = mapped_column()
    org_id: Mapped[int] = mapped_column(BigInteger)
    key_id: Mapped[int | None] = mapped_column(BigInteger)
    bank_id: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    signal_type: Mapped[str] = mapped_column(String(16))
    distance: Mapped[int] = mapped_column(Integer)
    variant: Mapped[str] = mapped_column(String(64))  # the query's view, "@" the entry's when not its own
    query_digest: Mapped[str | None] = mapped_column(String(16))
    """64 bits of a SHA-256 of the query signal: the flood rule counts distinct queries by it."""
    suppressed_by_bank_id: Mapped[int | None] = mapped_column(BigInteger)
    suppressed_by_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    """Set when a negative bank's entry suppressed this match: the caller never saw it."""


class FloodVerdictRow(Base):
    """What the flood rule decided about an entry in one window: `quarantine` (org_id 0) or a
    `single_caller` flood by one organisation. Unique per window, so replicas decide once."""

    __tablename__ = "flood_verdicts"
    __table_args__ = (
        UniqueConstraint("entry_id", "org_id", "window_start", name="uq_flood_verdicts_entry_org_window"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(BigInteger)
    org_id: Mapped[int] = mapped_column(BigInteger)
    window_start: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow)
