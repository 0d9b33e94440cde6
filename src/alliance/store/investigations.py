"""Series, victims, cases, their items and notifications in the store. Rows become dataclasses here.

Deciding who may see what is the services' work; this reads and writes what it is asked to.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance.core.errors import Conflict, NotFound
from alliance.core.investigations import (
    Case,
    CaseStatus,
    DisclosurePolicy,
    Finding,
    Item,
    ItemFlags,
    LinkKind,
    NewItem,
    Series,
    SeriesLink,
    Victim,
    VictimStatus,
)
from alliance.core.signals import Signal
from alliance.store.db import LOOKUP_CHUNK, aware, chunks, session_factory
from alliance.store.investigation_models import (
    CaseRow,
    ItemRow,
    ItemSignalRow,
    NotificationRow,
    SeriesLinkRow,
    SeriesRow,
    VictimRow,
)
from alliance.store.models import OrganisationRow, utcnow

INSERT_CHUNK = 5000
"""Items written per statement when a collection is added."""


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    org_id: int
    kind: str
    subject: str
    body: str
    details: dict[str, Any]
    email_to: str | None
    emailed_at: datetime | None
    email_error: str | None
    read_at: datetime | None
    created_at: datetime


def _when(value: datetime | None) -> datetime | None:
    return aware(value) if value is not None else None


class InvestigationStore:
    def __init__(self, engine: Engine) -> None:
        self._sessions = session_factory(engine)

    # --- series --------------------------------------------------------------------------------

    def create_series(self, owner_id: int, name: str, **fields: Any) -> Series:
        try:
            with self._sessions.begin() as session:
                row = SeriesRow(owner_id=owner_id, name=name, **fields)
                session.add(row)
                session.flush()
                return self._series(session, row)
        except IntegrityError as exc:
            raise Conflict(f"your organisation already has a series called {name!r}") from exc

    def get_series(self, series_id: int) -> Series:
        with self._sessions() as session:
            row = session.get(SeriesRow, series_id)
            if row is None:
                raise NotFound(f"no series with id {series_id}")
            return self._series(session, row)

    def list_series(self) -> list[Series]:
        with self._sessions() as session:
            return [self._series(session, r) for r in session.scalars(select(SeriesRow).order_by(SeriesRow.id))]

    def series_many(self, ids: Sequence[int]) -> dict[int, Series]:
        found: dict[int, Series] = {}
        with self._sessions() as session:
            for part in chunks(sorted(set(ids)), LOOKUP_CHUNK):
                for row in session.scalars(select(SeriesRow).where(SeriesRow.id.in_(part))):
                    found[row.id] = self._series(session, row)
        return found

    def update_series(self, series_id: int, **changes: Any) -> Series:
        with self._sessions.begin() as session:
            row = session.get(SeriesRow, series_id)
            if row is None:
                raise NotFound(f"no series with id {series_id}")
            for key, value in changes.items():
                setattr(row, key, value)
            session.flush()
            return self._series(session, row)

    @staticmethod
    def _series(session: Session, row: SeriesRow) -> Series:
        org = session.get(OrganisationRow, row.owner_id)
        assert org is not None
        return Series(
            row.id,
            row.owner_id,
            org.name,
            org.country,
            row.name,
            row.description,
            row.icse_name,
            row.vics_series,
            row.contact_point,
            row.contact_email,
            row.active,
            DisclosurePolicy.from_json(row.policy),
            aware(row.first_seen_at),
            aware(row.created_at),
        )

    def link_series(self, series_id: int, other_id: int, kind: LinkKind, org_id: int) -> SeriesLink:
        first, second = sorted((series_id, other_id))
        try:
            with self._sessions.begin() as session:
                row = SeriesLinkRow(series_id=first, other_series_id=second, kind=kind.value, created_by_org_id=org_id)
                session.add(row)
                session.flush()
                return SeriesLink(row.id, first, second, kind, aware(row.created_at))
        except IntegrityError as exc:
            raise Conflict(f"series {first} and {second} are already linked as {kind.value}") from exc

    def links(self, series_id: int | None = None) -> list[SeriesLink]:
        query = select(SeriesLinkRow).order_by(SeriesLinkRow.id)
        if series_id is not None:
            query = query.where((SeriesLinkRow.series_id == series_id) | (SeriesLinkRow.other_series_id == series_id))
        with self._sessions() as session:
            return [
                SeriesLink(r.id, r.series_id, r.other_series_id, LinkKind(r.kind), aware(r.created_at))
                for r in session.scalars(query)
            ]

    # --- victims -------------------------------------------------------------------------------

    def add_victim(self, series_id: int, identifier: str, **fields: Any) -> Victim:
        try:
            with self._sessions.begin() as session:
                row = VictimRow(series_id=series_id, identifier=identifier, **fields)
                session.add(row)
                session.flush()
                return self._victim(session, row)
        except IntegrityError as exc:
            raise Conflict(f"a victim with identifier {identifier!r} exists already") from exc

    def get_victim(self, victim_id: int) -> Victim:
        with self._sessions() as session:
            row = session.get(VictimRow, victim_id)
            if row is None:
                raise NotFound(f"no victim with id {victim_id}")
            return self._victim(session, row)

    def update_victim(self, victim_id: int, **changes: Any) -> Victim:
        with self._sessions.begin() as session:
            row = session.get(VictimRow, victim_id)
            if row is None:
                raise NotFound(f"no victim with id {victim_id}")
            for key, value in changes.items():
                setattr(row, key, value)
            session.flush()
            return self._victim(session, row)

    def victims_of(self, series_ids: Sequence[int]) -> list[Victim]:
        out: list[Victim] = []
        with self._sessions() as session:
            for part in chunks(sorted(set(series_ids)), LOOKUP_CHUNK):
                query = select(VictimRow).where(VictimRow.series_id.in_(part)).order_by(VictimRow.id)
                out.extend(self._victim(session, r) for r in session.scalars(query))
        return out

    def all_victims(self) -> list[Victim]:
        with self._sessions() as session:
            return [self._victim(session, r) for r in session.scalars(select(VictimRow).order_by(VictimRow.id))]

    @staticmethod
    def _victim(session: Session, row: VictimRow) -> Victim:
        by = session.get(OrganisationRow, row.identified_by_org_id) if row.identified_by_org_id else None
        return Victim(
            row.id,
            row.series_id,
            row.identifier,
            row.age_band,
            row.sex,
            VictimStatus(row.status),
            row.identified_by_org_id,
            by.name if by else None,
            row.identified_country,
            _when(row.identified_at),
            aware(row.first_seen_at),
        )

    # --- cases ---------------------------------------------------------------------------------

    def create_case(self, owner_id: int, case_number: str, **fields: Any) -> Case:
        try:
            with self._sessions.begin() as session:
                row = CaseRow(owner_id=owner_id, case_number=case_number, **fields)
                session.add(row)
                session.flush()
                return self._case(session, row)
        except IntegrityError as exc:
            raise Conflict(f"your organisation already has a case numbered {case_number!r}") from exc

    def get_case(self, case_id: int) -> Case:
        with self._sessions() as session:
            row = session.get(CaseRow, case_id)
            if row is None:
                raise NotFound(f"no case with id {case_id}")
            return self._case(session, row)

    def case_extra(self, case_id: int) -> dict[str, Any]:
        with self._sessions() as session:
            row = session.get(CaseRow, case_id)
            return dict(row.extra) if row else {}

    def cases_many(self, ids: Sequence[int]) -> dict[int, Case]:
        found: dict[int, Case] = {}
        with self._sessions() as session:
            for part in chunks(sorted(set(ids)), LOOKUP_CHUNK):
                for row in session.scalars(select(CaseRow).where(CaseRow.id.in_(part))):
                    found[row.id] = self._case(session, row)
        return found

    def list_cases(self, owner_id: int) -> list[Case]:
        with self._sessions() as session:
            query = select(CaseRow).where(CaseRow.owner_id == owner_id).order_by(CaseRow.id)
            return [self._case(session, r) for r in session.scalars(query)]

    def update_case(self, case_id: int, **changes: Any) -> Case:
        with self._sessions.begin() as session:
            row = session.get(CaseRow, case_id)
            if row is None:
                raise NotFound(f"no case with id {case_id}")
            for key, value in changes.items():
                setattr(row, key, value)
            session.flush()
            return self._case(session, row)

    @staticmethod
    def _case(session: Session, row: CaseRow) -> Case:
        org = session.get(OrganisationRow, row.owner_id)
        assert org is not None
        count = session.scalar(select(func.count(ItemRow.id)).where(ItemRow.case_id == row.id)) or 0
        return Case(
            row.id,
            row.owner_id,
            org.name,
            org.country,
            row.case_number,
            row.contact_point,
            row.contact_email,
            CaseStatus(row.status),
            aware(row.opened_at),
            _when(row.closed_at),
            DisclosurePolicy.from_json(row.policy),
            count,
        )

    # --- items ---------------------------------------------------------------------------------

    def add_items(
        self, items: Sequence[NewItem], *, series_id: int | None = None, case_id: int | None = None
    ) -> list[int]:
        """Add items and their hashes in one transaction; their ids, in order."""
        ids: list[int] = []
        now = utcnow()
        with self._sessions.begin() as session:
            for part in chunks(items, INSERT_CHUNK):
                rows = [
                    {
                        "series_id": series_id,
                        "case_id": case_id,
                        "image_id": item.image_id,
                        "media_type": item.flags.media_type,
                        "distributed": item.flags.distributed,
                        "victim_identified": item.flags.victim_identified,
                        "offender_identified": item.flags.offender_identified,
                        "submissions": item.flags.submissions,
                        "baseline": item.flags.baseline,
                        "signals": [[s.type, s.value, s.quality] for s in item.signals],
                        "extra": item.extra,
                        "created_at": now,
                    }
                    for item in part
                ]
                new_ids = list(
                    session.scalars(insert(ItemRow).returning(ItemRow.id, sort_by_parameter_order=True), rows)
                )
                ids.extend(new_ids)
                signal_rows = [
                    {"item_id": item_id, "type": s.type, "value": s.value}
                    for item_id, item in zip(new_ids, part, strict=True)
                    for s in item.signals
                ]
                if signal_rows:
                    session.execute(insert(ItemSignalRow), signal_rows)
        return ids

    def items_by_id(self, ids: Sequence[int]) -> dict[int, Item]:
        found: dict[int, Item] = {}
        with self._sessions() as session:
            for part in chunks(sorted(set(ids)), LOOKUP_CHUNK):
                for row in session.scalars(select(ItemRow).where(ItemRow.id.in_(part))):
                    found[row.id] = _item(row)
        return found

    def items_of(self, *, series_id: int | None = None, case_id: int | None = None) -> Iterator[Item]:
        query = select(ItemRow).order_by(ItemRow.id)
        query = query.where(ItemRow.series_id == series_id) if series_id is not None else query
        query = query.where(ItemRow.case_id == case_id) if case_id is not None else query
        after = 0
        while True:
            with self._sessions() as session:
                rows = list(session.scalars(query.where(ItemRow.id > after).limit(INSERT_CHUNK)))
            if not rows:
                return
            yield from (_item(r) for r in rows)
            after = rows[-1].id

    def set_findings(self, findings: dict[int, Finding]) -> None:
        by_finding: dict[Finding, list[int]] = {}
        for item_id, finding in findings.items():
            by_finding.setdefault(finding, []).append(item_id)
        with self._sessions.begin() as session:
            for finding, ids in by_finding.items():
                for part in chunks(ids, LOOKUP_CHUNK):
                    session.execute(update(ItemRow).where(ItemRow.id.in_(part)).values(finding=finding.value))

    def index_rows(self) -> Iterator[tuple[int, str, str]]:
        """(item id, type, value) of every series item and every open case's item, straight off the cursor."""
        open_cases = select(CaseRow.id).where(CaseRow.status == CaseStatus.OPEN.value)
        live = select(ItemRow.id).where(ItemRow.series_id.is_not(None) | ItemRow.case_id.in_(open_cases))
        query = select(ItemSignalRow.item_id, ItemSignalRow.type, ItemSignalRow.value).where(
            ItemSignalRow.item_id.in_(live)
        )
        with self._sessions() as session:
            for item_id, type_name, value in session.execute(query).yield_per(100_000):
                yield int(item_id), str(type_name), str(value)

    def version(self) -> tuple[int, int, int]:
        """Changes whenever an item is added or a case opened or closed: when to rebuild the index."""
        with self._sessions() as session:
            items = session.scalar(select(func.max(ItemRow.id))) or 0
            cases = session.scalar(select(func.count(CaseRow.id)).where(CaseRow.status == "open")) or 0
            closed = session.scalar(select(func.count(CaseRow.id)).where(CaseRow.status == "closed")) or 0
            return int(items), int(cases), int(closed)

    def finding_counts(self) -> list[tuple[str, str, int]]:
        """(country of the case's owner, finding, items) over every case."""
        query = (
            select(OrganisationRow.country, ItemRow.finding, func.count(ItemRow.id))
            .join(CaseRow, CaseRow.id == ItemRow.case_id)
            .join(OrganisationRow, OrganisationRow.id == CaseRow.owner_id)
            .where(ItemRow.finding.is_not(None))
            .group_by(OrganisationRow.country, ItemRow.finding)
        )
        with self._sessions() as session:
            return [(str(c), str(f), int(n)) for c, f, n in session.execute(query)]

    # --- notifications -------------------------------------------------------------------------

    def add_notification(
        self, org_id: int, kind: str, subject: str, body: str, details: dict[str, Any], email_to: str | None
    ) -> Notification:
        with self._sessions.begin() as session:
            row = NotificationRow(
                org_id=org_id, kind=kind, subject=subject, body=body, details=details, email_to=email_to
            )
            session.add(row)
            session.flush()
            return _notification(row)

    def mark_emailed(self, notification_id: int, at: datetime | None, error: str | None) -> None:
        with self._sessions.begin() as session:
            row = session.get(NotificationRow, notification_id)
            if row is not None:
                row.emailed_at, row.email_error = at, error

    def notifications(
        self, org_id: int, unread: bool = False, limit: int = 100, offset: int = 0, unread_first: bool = False
    ) -> list[Notification]:
        """Newest first; `unread_first`: the unread ones (newest first), then the read ones."""
        query = select(NotificationRow).where(NotificationRow.org_id == org_id)
        if unread:
            query = query.where(NotificationRow.read_at.is_(None))
        if unread_first:  # false (unread) sorts before true (read) on SQLite and PostgreSQL alike
            query = query.order_by(NotificationRow.read_at.is_not(None))
        query = query.order_by(NotificationRow.id.desc()).offset(offset).limit(limit)
        with self._sessions() as session:
            return [_notification(r) for r in session.scalars(query)]

    def count_unread(self, org_id: int) -> int:
        query = select(func.count(NotificationRow.id)).where(
            NotificationRow.org_id == org_id, NotificationRow.read_at.is_(None)
        )
        with self._sessions() as session:
            return int(session.scalar(query) or 0)

    def get_notification(self, notification_id: int) -> Notification:
        with self._sessions() as session:
            row = session.get(NotificationRow, notification_id)
            if row is None:
                raise NotFound(f"no notification with id {notification_id}")
            return _notification(row)

    def mark_read(self, notification_id: int) -> Notification:
        with self._sessions.begin() as session:
            row = session.get(NotificationRow, notification_id)
            if row is None:
                raise NotFound(f"no notification with id {notification_id}")
            row.read_at = row.read_at or utcnow()
            session.flush()
            return _notification(row)


def _item(row: ItemRow) -> Item:
    return Item(
        row.id,
        row.series_id,
        row.case_id,
        tuple(Signal(t, v, q) for t, v, q in row.signals),
        ItemFlags(
            row.distributed,
            row.victim_identified,
            row.offender_identified,
            row.submissions,
            row.baseline,
            row.media_type,
        ),
        row.image_id,
        dict(row.extra),
        Finding(row.finding) if row.finding else None,
    )


def _notification(row: NotificationRow) -> Notification:
    return Notification(
        row.id,
        row.org_id,
        row.kind,
        row.subject,
        row.body,
        dict(row.details),
        row.email_to,
        _when(row.emailed_at),
        row.email_error,
        _when(row.read_at),
        aware(row.created_at),
    )
