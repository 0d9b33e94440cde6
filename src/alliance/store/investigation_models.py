"""Tables of investigations: series, their links, victims (pseudonymous), cases, items, notifications.

An item belongs to a series or to a case; its hashes are rows of `investigation_signals`, indexed by
(type, value) like bank signals, so that deconfliction can read them all at once. A victim row
holds no name, address, contact or date of birth: there is no column for one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alliance.store.models import Base, BigId, utcnow


class SeriesRow(Base):
    __tablename__ = "series"
    __table_args__ = (UniqueConstraint("owner_id", "name", name="uq_series_owner_name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    icse_name: Mapped[str | None] = mapped_column(String(200), index=True)
    vics_series: Mapped[str | None] = mapped_column(String(200), index=True)
    contact_point: Mapped[str] = mapped_column(String(500), default="")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SeriesLinkRow(Base):
    """Two series that belong together ("same victim", "same place"), stored once per pair and kind."""

    __tablename__ = "series_links"
    __table_args__ = (UniqueConstraint("series_id", "other_series_id", "kind", name="uq_series_links_pair_kind"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    other_series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    created_by_org_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VictimRow(Base):
    """A child seen in a series. Pseudonymous by construction: no column can hold a name."""

    __tablename__ = "victims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("series.id"), index=True)
    identifier: Mapped[str] = mapped_column(String(64), unique=True)
    age_band: Mapped[str] = mapped_column(String(16), default="unknown")
    sex: Mapped[str] = mapped_column(String(16), default="unknown")
    status: Mapped[str] = mapped_column(String(16), default="unidentified")
    identified_by_org_id: Mapped[int | None] = mapped_column(BigInteger)
    identified_country: Mapped[str | None] = mapped_column(String(2))
    identified_at: Mapped[datetime | None] = mapped_column(index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("owner_id", "case_number", name="uq_cases_owner_number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    case_number: Mapped[str] = mapped_column(String(200))
    contact_point: Mapped[str] = mapped_column(String(500), default="")
    contact_email: Mapped[str | None] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="open")
    policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    """Fields of an imported VICS Case kept as they were, so an export gives them back."""
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()


class ItemRow(Base):
    """One picture or video of a series or a case, by its hashes; flags as ICSE and VICS carry them."""

    __tablename__ = "investigation_items"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("series.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    image_id: Mapped[str | None] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(16), default="image")
    distributed: Mapped[bool] = mapped_column(Boolean, default=False)
    victim_identified: Mapped[bool] = mapped_column(Boolean, default=False)
    offender_identified: Mapped[bool] = mapped_column(Boolean, default=False)
    submissions: Mapped[int] = mapped_column(Integer, default=1)
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    signals: Mapped[list[Any]] = mapped_column(JSON)
    """[[type, value, quality], ...]: the item's own hashes, as the file gave them."""
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    finding: Mapped[str | None] = mapped_column(String(32), index=True)
    """A case item's deconfliction summary (`core.investigations.Finding`); None for series items."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ItemSignalRow(Base):
    __tablename__ = "investigation_signals"
    __table_args__ = (Index("ix_investigation_signals_type_value", "type", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("investigation_items.id"), index=True)
    type: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))


class NotificationRow(Base):
    """A message to an organisation (another case hit its series, say): shown in the web interface,
    e-mailed to its contact point. Never holds a hash."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    email_to: Mapped[str | None] = mapped_column(String(320))
    emailed_at: Mapped[datetime | None] = mapped_column()
    email_error: Mapped[str | None] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
