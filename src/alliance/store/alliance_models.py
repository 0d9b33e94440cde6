"""Tables of the Alliance itself: members over time, targets and goals, the secretariat's terms, each
country's commitments, progress reports, indicator values and awareness campaigns.

Kept apart from `models.py` (banks, accounts) because it is a different subject with a different
rhythm of change; it shares `Base`, so one metadata and one chain of migrations cover both.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Boolean, Date, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alliance.store.models import Base, BigId, utcnow


class CountryRow(Base):
    __tablename__ = "alliance_countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    note: Mapped[str] = mapped_column(Text, default="")


class MembershipRow(Base):
    """A period of membership of the Alliance or the EU: `left` is the first day no longer a member."""

    __tablename__ = "alliance_memberships"
    __table_args__ = (UniqueConstraint("country", "body", "joined", name="uq_alliance_memberships_period"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    country: Mapped[str] = mapped_column(ForeignKey("alliance_countries.code"))
    body: Mapped[str] = mapped_column(String(16))
    joined: Mapped[date] = mapped_column(Date)
    left: Mapped[date | None] = mapped_column(Date)
    joined_exact: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")


class TargetRow(Base):
    __tablename__ = "alliance_targets"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    short: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)


class GoalRow(Base):
    __tablename__ = "alliance_goals"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    target: Mapped[int] = mapped_column(ForeignKey("alliance_targets.number"))
    text: Mapped[str] = mapped_column(Text)
    indicator: Mapped[str | None] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16), default="increase")
    by_at_least: Mapped[float] = mapped_column(Float, default=0.0)
    note: Mapped[str] = mapped_column(Text, default="")


class ConferenceRow(Base):
    __tablename__ = "alliance_conferences"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    place: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200))
    hosts: Mapped[str] = mapped_column(Text, default="")
    members: Mapped[int] = mapped_column(Integer)


class SecretariatTermRow(Base):
    """Who holds the secretariat from `since`; the latest row (by day, then id) holds it now."""

    __tablename__ = "alliance_secretariat_terms"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    since: Mapped[date] = mapped_column(Date)
    holder: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    chair: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(Text, default="")
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    recorded_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommitmentRow(Base):
    __tablename__ = "alliance_commitments"
    __table_args__ = (UniqueConstraint("country", "target", "title", name="uq_alliance_commitments_title"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    country: Mapped[str] = mapped_column(ForeignKey("alliance_countries.code"), index=True)
    target: Mapped[int] = mapped_column(ForeignKey("alliance_targets.number"))
    goal: Mapped[str | None] = mapped_column(ForeignKey("alliance_goals.code"))
    title: Mapped[str] = mapped_column(String(200))
    pledge: Mapped[str] = mapped_column(Text)
    baseline: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    org_id: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    made_on: Mapped[date] = mapped_column(Date)


class CommitmentStatusRow(Base):
    """Each status a commitment has had and the day it took effect, so a report on a past year
    shows the status of that year (migration 0010)."""

    __tablename__ = "alliance_commitment_statuses"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("alliance_commitments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    since: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReportRow(Base):
    """One version of a country's progress report on a year. Published versions are never changed."""

    __tablename__ = "alliance_reports"
    __table_args__ = (UniqueConstraint("country", "year", "version", name="uq_alliance_reports_version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    country: Mapped[str] = mapped_column(ForeignKey("alliance_countries.code"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    review_note: Mapped[str] = mapped_column(Text, default="")
    corrects: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column()
    reviewed_at: Mapped[datetime | None] = mapped_column()
    published_at: Mapped[datetime | None] = mapped_column()
    published_by: Mapped[str | None] = mapped_column(String(160))


class ReportSectionRow(Base):
    """One section of a report per policy target, as on the 2014 reporting form."""

    __tablename__ = "alliance_report_sections"
    __table_args__ = (UniqueConstraint("report_id", "target", name="uq_alliance_report_sections_target"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("alliance_reports.id"), index=True)
    target: Mapped[int] = mapped_column(ForeignKey("alliance_targets.number"))
    actions: Mapped[str] = mapped_column(Text, default="")
    results: Mapped[str] = mapped_column(Text, default="")
    next_steps: Mapped[str] = mapped_column(Text, default="")


class IndicatorValueRow(Base):
    """A figure the node cannot compute (victims identified in ICSE, say), with where it came from."""

    __tablename__ = "alliance_indicator_values"
    __table_args__ = (UniqueConstraint("country", "year", "name", name="uq_alliance_indicator_values"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    country: Mapped[str] = mapped_column(ForeignKey("alliance_countries.code"))
    year: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(Text)
    entered_by: Mapped[str] = mapped_column(String(160))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")


class CampaignRow(Base):
    """An awareness campaign (target 3). `audiences` is stored as ",children,parents," so that a
    LIKE finds one audience the same way on SQLite and PostgreSQL."""

    __tablename__ = "alliance_campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    country: Mapped[str] = mapped_column(ForeignKey("alliance_countries.code"), index=True)
    org_id: Mapped[int | None] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(200))
    audiences: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(100))
    starts: Mapped[date] = mapped_column(Date)
    ends: Mapped[date | None] = mapped_column(Date)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    evaluation: Mapped[str] = mapped_column(Text, default="")
    practice: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
