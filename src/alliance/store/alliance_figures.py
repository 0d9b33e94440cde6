"""Indicator values and awareness campaigns in the store, and the indicators computed from the node's data.

Computed indicators are counted per calendar year (UTC) and per country of the organisation that
did the work: entries added to banks it owns, match requests it made (the audit log's `match`
events, whose `details.match_count` says how many matches each found), campaigns it ran. They are
recomputed on every read, so they never disagree with the data they count.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime

from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance.core.errors import Conflict, NotFound
from alliance.core.record.awareness import Audience, Campaign, audiences_column, audiences_of
from alliance.core.record.indicators import IndicatorValue, Origin
from alliance.store.alliance_models import CampaignRow, IndicatorValueRow
from alliance.store.db import is_row_id, session_factory
from alliance.store.investigation_models import VictimRow
from alliance.store.models import AuditEventRow, BankRow, EntryRow, OrganisationRow, utcnow

SOURCE_ENTRIES = "this node: entries added to banks owned by the country's organisations"
SOURCE_MATCHES = "this node: audit log, match requests by the country's organisations"
SOURCE_CAMPAIGNS = "this node: awareness campaigns recorded by the country"
SOURCE_VICTIMS = "this node: victims recorded as identified by the country's police (an entered ICSE figure wins)"


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


class FiguresStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    # --- entered values ------------------------------------------------------------------------

    def set_value(self, value: IndicatorValue) -> IndicatorValue | None:
        """Store an entered value, replacing the one for the same country, year and name; returns the old one."""
        with self._sessions.begin() as session:
            row = session.scalar(
                select(IndicatorValueRow).where(
                    IndicatorValueRow.country == value.country,
                    IndicatorValueRow.year == value.year,
                    IndicatorValueRow.name == value.name,
                )
            )
            old = _value(row) if row else None
            if row is None:
                row = IndicatorValueRow(country=value.country, year=value.year, name=value.name)
                session.add(row)
            row.value, row.source, row.note = value.value, value.source, value.note
            row.entered_by, row.entered_at = value.entered_by or "", utcnow()
            try:
                session.flush()
            except IntegrityError as exc:  # two first entries at once
                raise Conflict("the value was entered concurrently; try again") from exc
            return old

    def entered_values(self, country: str | None = None, years: range | None = None) -> list[IndicatorValue]:
        query = select(IndicatorValueRow).order_by(
            IndicatorValueRow.country, IndicatorValueRow.name, IndicatorValueRow.year
        )
        if country is not None:
            query = query.where(IndicatorValueRow.country == country)
        if years is not None:
            query = query.where(IndicatorValueRow.year >= years.start, IndicatorValueRow.year < years.stop)
        with self._sessions() as session:
            return [_value(r) for r in session.scalars(query)]

    # --- computed values -----------------------------------------------------------------------

    def computed_values(self, years: range, country: str | None = None) -> list[IndicatorValue]:
        """Every non-zero computed indicator for `years`, per country."""
        out: list[IndicatorValue] = []
        with self._sessions() as session:
            for year in years:
                start, end = _year_bounds(year)
                entries = (
                    select(OrganisationRow.country, func.count(EntryRow.id))
                    .join(BankRow, BankRow.id == EntryRow.bank_id)
                    .join(OrganisationRow, OrganisationRow.id == BankRow.owner_id)
                    .where(EntryRow.created_at >= start, EntryRow.created_at < end)
                    .group_by(OrganisationRow.country)
                )
                if country is not None:
                    entries = entries.where(OrganisationRow.country == country)
                for code, count in session.execute(entries):
                    out.append(
                        IndicatorValue(code, year, "entries_added", float(count), Origin.COMPUTED, SOURCE_ENTRIES)
                    )
                out.extend(self._match_values(session, year, country))
                out.extend(self._campaign_values(session, year, country))
                out.extend(self._victim_values(session, year, country))
        return [v for v in out if v.value]

    def _victim_values(self, session: Session, year: int, country: str | None) -> list[IndicatorValue]:
        """Victims identified in `year`, by the country that identified them (target 1)."""
        start, end = _year_bounds(year)
        query = (
            select(VictimRow.identified_country, func.count(VictimRow.id))
            .where(VictimRow.identified_at >= start, VictimRow.identified_at < end)
            .group_by(VictimRow.identified_country)
        )
        if country is not None:
            query = query.where(VictimRow.identified_country == country)
        return [
            IndicatorValue(code, year, "victims_identified", float(n), Origin.COMPUTED, SOURCE_VICTIMS)
            for code, n in session.execute(query)
            if code
        ]

    def _match_values(self, session: Session, year: int, country: str | None) -> list[IndicatorValue]:
        # `at` is an ISO-8601 UTC string, so a year is a string range on both databases.
        query = (
            select(OrganisationRow.country, AuditEventRow.details)
            .join(OrganisationRow, OrganisationRow.id == AuditEventRow.org_id)
            .where(
                AuditEventRow.action == "match",
                AuditEventRow.outcome == "ok",
                AuditEventRow.at >= f"{year:04d}-01-01",
                AuditEventRow.at < f"{year + 1:04d}-01-01",
            )
        )
        if country is not None:
            query = query.where(OrganisationRow.country == country)
        requests: dict[str, int] = defaultdict(int)
        found: dict[str, int] = defaultdict(int)
        for code, details in session.execute(query):
            requests[code] += 1
            count = (details or {}).get("match_count", 0)
            found[code] += count if isinstance(count, int) else 0
        return [
            IndicatorValue(code, year, "match_requests", float(n), Origin.COMPUTED, SOURCE_MATCHES)
            for code, n in requests.items()
        ] + [
            IndicatorValue(code, year, "matches_found", float(n), Origin.COMPUTED, SOURCE_MATCHES)
            for code, n in found.items()
        ]

    def _campaign_values(self, session: Session, year: int, country: str | None) -> list[IndicatorValue]:
        first, after = date(year, 1, 1), date(year + 1, 1, 1)
        running = (
            select(CampaignRow.country, func.count(CampaignRow.id))
            .where(CampaignRow.starts < after, or_(CampaignRow.ends.is_(None), CampaignRow.ends >= first))
            .group_by(CampaignRow.country)
        )
        reach = (
            select(CampaignRow.country, func.coalesce(func.sum(CampaignRow.reach), 0))
            .where(CampaignRow.starts >= first, CampaignRow.starts < after)
            .group_by(CampaignRow.country)
        )
        if country is not None:
            running, reach = running.where(CampaignRow.country == country), reach.where(CampaignRow.country == country)
        return [
            IndicatorValue(code, year, "campaigns_run", float(n), Origin.COMPUTED, SOURCE_CAMPAIGNS)
            for code, n in session.execute(running)
        ] + [
            IndicatorValue(code, year, "campaign_reach", float(n or 0), Origin.COMPUTED, SOURCE_CAMPAIGNS)
            for code, n in session.execute(reach)
        ]

    # --- campaigns -----------------------------------------------------------------------------

    def add_campaign(self, c: Campaign, org_id: int | None) -> Campaign:
        with self._sessions.begin() as session:
            row = CampaignRow(
                country=c.country,
                org_id=org_id,
                title=c.title,
                audiences=audiences_column(c.audiences),
                channel=c.channel,
                starts=c.starts,
                ends=c.ends,
                reach=c.reach,
                evaluation=c.evaluation,
                practice=c.practice,
                created_by=c.created_by,
            )
            session.add(row)
            session.flush()
            session.refresh(row)
            return _campaign(row)

    def campaign(self, campaign_id: int) -> Campaign:
        with self._sessions() as session:
            row = session.get(CampaignRow, campaign_id) if is_row_id(campaign_id) else None
            if row is None:
                raise NotFound(f"no campaign with id {campaign_id}")
            return _campaign(row)

    def search_campaigns(
        self,
        text: str | None = None,
        country: str | None = None,
        audience: Audience | None = None,
        after_id: int = 0,
        limit: int | None = None,
    ) -> list[Campaign]:
        """Campaigns whose title, practice or evaluation contain `text` (any case), by id."""
        query = select(CampaignRow).where(CampaignRow.id > after_id).order_by(CampaignRow.id)
        if text:
            needle = text.lower()
            query = query.where(
                or_(
                    *(
                        func.lower(column).contains(needle, autoescape=True)
                        for column in (CampaignRow.title, CampaignRow.practice, CampaignRow.evaluation)
                    )
                )
            )
        if country is not None:
            query = query.where(CampaignRow.country == country)
        if audience is not None:
            query = query.where(CampaignRow.audiences.contains(f",{audience.value},", autoescape=True))
        if limit is not None:
            query = query.limit(limit)
        with self._sessions() as session:
            return [_campaign(r) for r in session.scalars(query)]


def _value(row: IndicatorValueRow) -> IndicatorValue:
    return IndicatorValue(
        row.country,
        row.year,
        row.name,
        row.value,
        Origin.ENTERED,
        row.source,
        row.entered_by,
        row.entered_at,
        row.note,
    )


def _campaign(row: CampaignRow) -> Campaign:
    return Campaign(
        id=row.id,
        country=row.country,
        title=row.title,
        audiences=audiences_of(row.audiences),
        channel=row.channel,
        starts=row.starts,
        ends=row.ends,
        reach=row.reach,
        evaluation=row.evaluation,
        practice=row.practice,
        created_by=row.created_by,
        created_at=row.created_at,
    )
