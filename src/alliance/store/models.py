"""Tables of the store, as typed SQLAlchemy 2 models. Schema changes go through an Alembic migration."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets BIGINT identities.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        datetime: DateTime(timezone=True),
    }


class OrganisationRow(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    country: Mapped[str] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(32), server_default="unclassified")
    allowed_roles: Mapped[list[str] | None] = mapped_column(JSON)
    """The roles its users and keys may hold (`core.access.OrgKind`); set by the node admin."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BankRow(Base):
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    purpose: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    thresholds: Mapped[dict[str, Any]] = mapped_column(default=dict)
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trust: Mapped[dict[str, Any]] = mapped_column(default=dict)
    crop_matching: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    owner: Mapped[OrganisationRow] = relationship(lazy="joined")


class EntryRow(Base):
    __tablename__ = "entries"
    __table_args__ = (
        Index("ix_entries_bank_status", "bank_id", "status"),
        Index("ix_entries_bank_id", "bank_id", "id"),  # a bank's entries a page at a time, in id order
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id"))
    status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    source: Mapped[str] = mapped_column(Text, default="")
    grade: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    # The entry's own signals only: its views (SignalRow.view set) are for the index, and loading
    # them with every listed or exported entry would read 30 rows per entry of a crop-matching bank.
    signals: Mapped[list[SignalRow]] = relationship(
        primaryjoin="and_(EntryRow.id == SignalRow.entry_id, SignalRow.view.is_(None))",
        lazy="selectin",
        order_by="SignalRow.id",
        cascade="all, delete-orphan",
    )


class SignalRow(Base):
    __tablename__ = "signals"
    __table_args__ = (
        UniqueConstraint("entry_id", "type", "value", name="uq_signals_entry_type_value"),
        Index("ix_signals_type_value", "type", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    quality: Mapped[int | None] = mapped_column(Integer)
    view: Mapped[str | None] = mapped_column(String(32))
    """None for the entry's own signals; else the view of its picture (`core.signals.ViewSignal`)."""


class ChangeRow(Base):
    """One change to what can match (or a key revocation), in commit order. Replicas replay these
    from their saved sequence (`core.banks.Change`)."""

    __tablename__ = "changes"

    seq: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    bank_id: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    username_key: Mapped[str] = mapped_column(String(400), unique=True)
    """`core.names.username_key` of the username: "Admin" and "admin" cannot both exist."""
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """Set by a password reset: a session may only change the password until it is changed."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    org: Mapped[OrganisationRow] = relationship(lazy="joined")


class ApiKeyRow(Base):
    """An API key: only a prefix (to find it) and a SHA-256 of the secret (to check it) are kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    roles: Mapped[list[str]] = mapped_column(JSON)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    expires_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    user_id: Mapped[int | None] = mapped_column(BigInteger)
    """The person the key acts for (grades belong to people); None for a machine's key."""
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64))
    previous_valid_until: Mapped[datetime | None] = mapped_column()
    """After a rotation, the old secret still works until then, so callers can switch over."""

    org: Mapped[OrganisationRow] = relationship(lazy="joined")
    user: Mapped[UserRow | None] = relationship(
        primaryjoin="foreign(ApiKeyRow.user_id) == UserRow.id", lazy="joined", viewonly=True
    )


class SessionRow(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    expires_at: Mapped[datetime] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AuditEventRow(Base):
    """One audit event. `seq` is given by the writer and `prev_hash` is unique, so two writers that
    read the same chain head cannot both append: the second fails and retries on the new head."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(160))
    org_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    subject_org_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    key_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(300))
    outcome: Mapped[str] = mapped_column(String(32))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    """The HTTP request that caused the event (its `X-Request-ID`), so a log line finds its event."""
    batch_id: Mapped[str | None] = mapped_column(String(32), index=True, unique=True)
    """On the first event of a batch from the background writer: a retried batch is not appended
    twice. Not part of the chain's hash (it says how the event was written, not what happened)."""


# The other tables share Base.metadata, so that Alembic and the model check see them.
from alliance.store import alliance_models, investigation_models, trust_models  # noqa: E402,F401
