"""The Alliance's records in the store: facts (members, targets, secretariat), commitments, reports.

Indicator values and campaigns live in `alliance_figures.py`. Every method is one transaction and
returns `alliance.core` dataclasses. Report changes are guarded in SQL by the status they expect
(`UPDATE ... WHERE status = 'draft'`), so two requests racing cannot edit a report that the other
just submitted or published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Engine, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from alliance.core.errors import Conflict, NotFound
from alliance.core.record.members import (
    AllianceFacts,
    Body,
    Conference,
    Country,
    Direction,
    Goal,
    Period,
    SecretariatTerm,
    Target,
)
from alliance.core.record.workflow import (
    Commitment,
    CommitmentStatus,
    Report,
    ReportStatus,
    Section,
    StatusChange,
)
from alliance.store.alliance_models import (
    CommitmentRow,
    CommitmentStatusRow,
    ConferenceRow,
    CountryRow,
    GoalRow,
    MembershipRow,
    ReportRow,
    ReportSectionRow,
    SecretariatTermRow,
    TargetRow,
)
from alliance.store.db import is_row_id, session_factory
from alliance.store.models import OrganisationRow, utcnow


@dataclass(frozen=True, slots=True)
class SeedResult:
    """How many rows the seed added; all zero when the store already held it."""

    countries: int = 0
    memberships: int = 0
    targets: int = 0
    conferences: int = 0
    terms: int = 0

    @property
    def total(self) -> int:
        return self.countries + self.memberships + self.targets + self.conferences + self.terms


class AllianceStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = session_factory(engine)

    # --- facts ---------------------------------------------------------------------------------

    def seed(self, facts: AllianceFacts, holder_orgs: dict[str, str] | None = None) -> SeedResult:
        """Copy the seed facts in, adding only what is missing, so running it again changes nothing.

        Each secretariat holder is stood for by a node organisation of the same name (created if
        missing) unless `holder_orgs` maps the holder to an existing organisation's name.
        """
        added = dict.fromkeys(("countries", "memberships", "targets", "conferences", "terms"), 0)
        with self._sessions.begin() as session:
            for country in facts.countries:
                if session.get(CountryRow, country.code) is None:
                    session.add(CountryRow(code=country.code, name=country.name, note=country.note))
                    added["countries"] += 1
            session.flush()
            for p in facts.periods:
                found = session.scalar(
                    select(MembershipRow.id).where(
                        MembershipRow.country == p.country,
                        MembershipRow.body == p.body.value,
                        MembershipRow.joined == p.joined,
                    )
                )
                if found is None:
                    session.add(
                        MembershipRow(
                            country=p.country,
                            body=p.body.value,
                            joined=p.joined,
                            left=p.left,
                            joined_exact=p.joined_exact,
                            source=p.source,
                            note=p.note,
                        )
                    )
                    added["memberships"] += 1
            for target in facts.targets:
                if session.get(TargetRow, target.number) is None:
                    session.add(TargetRow(number=target.number, short=target.short, text=target.text))
                    added["targets"] += 1
                session.flush()
                for g in target.goals:
                    if session.get(GoalRow, g.code) is None:
                        session.add(
                            GoalRow(
                                code=g.code,
                                target=target.number,
                                text=g.text,
                                indicator=g.indicator,
                                direction=g.direction.value,
                                by_at_least=g.by_at_least,
                                note=g.note,
                            )
                        )
            for c in facts.conferences:
                if session.scalar(select(ConferenceRow.id).where(ConferenceRow.day == c.day)) is None:
                    session.add(
                        ConferenceRow(day=c.day, place=c.place, title=c.title, hosts=c.hosts, members=c.members)
                    )
                    added["conferences"] += 1
            for t in facts.secretariat:
                exists = session.scalar(
                    select(SecretariatTermRow.id).where(
                        SecretariatTermRow.since == t.since, SecretariatTermRow.holder == t.holder
                    )
                )
                if exists is None:
                    org_name = (holder_orgs or {}).get(t.holder, t.holder)
                    org = _ensure_org(session, org_name, t.country)
                    session.add(
                        SecretariatTermRow(
                            since=t.since,
                            holder=t.holder,
                            country=t.country,
                            chair=t.chair,
                            source=t.source,
                            org_id=org.id,
                            recorded_by="seed",
                        )
                    )
                    added["terms"] += 1
        return SeedResult(**added)

    def facts(self) -> AllianceFacts:
        """Everything seeded and recorded since, as one value: cheap enough to read per request."""
        with self._sessions() as session:
            goals: dict[int, list[Goal]] = {}
            for g in session.scalars(select(GoalRow).order_by(GoalRow.code)):
                goals.setdefault(g.target, []).append(
                    Goal(g.code, g.target, g.text, g.indicator, Direction(g.direction), g.by_at_least, g.note)
                )
            targets = tuple(
                Target(t.number, t.short, t.text, tuple(goals.get(t.number, [])))
                for t in session.scalars(select(TargetRow).order_by(TargetRow.number))
            )
            countries = tuple(
                Country(c.code, c.name, c.note) for c in session.scalars(select(CountryRow).order_by(CountryRow.name))
            )
            periods = tuple(
                Period(m.country, Body(m.body), m.joined, m.left, m.joined_exact, m.source, m.note)
                for m in session.scalars(select(MembershipRow).order_by(MembershipRow.id))
            )
            conferences = tuple(
                Conference(c.day, c.place, c.title, c.hosts, c.members)
                for c in session.scalars(select(ConferenceRow).order_by(ConferenceRow.day))
            )
            terms = tuple(
                SecretariatTerm(t.since, t.holder, t.country, t.chair, t.source, t.org_id, t.recorded_by)
                for t in session.scalars(
                    select(SecretariatTermRow).order_by(SecretariatTermRow.since, SecretariatTermRow.id)
                )
            )
        return AllianceFacts(targets, countries, periods, conferences, terms)

    def add_term(self, term: SecretariatTerm) -> SecretariatTerm:
        with self._sessions.begin() as session:
            session.add(
                SecretariatTermRow(
                    since=term.since,
                    holder=term.holder,
                    country=term.country,
                    chair=term.chair,
                    source=term.source,
                    org_id=term.org_id,
                    recorded_by=term.recorded_by,
                )
            )
        return term

    def organisation_exists(self, org_id: int) -> tuple[str, str] | None:
        """(name, country) of an organisation, or None."""
        with self._sessions() as session:
            row = session.get(OrganisationRow, org_id) if is_row_id(org_id) else None
            return (row.name, row.country) if row else None

    # --- commitments ---------------------------------------------------------------------------

    def add_commitment(self, c: Commitment, org_id: int | None) -> Commitment:
        with self._sessions.begin() as session:
            duplicate = session.scalar(
                select(CommitmentRow.id).where(
                    CommitmentRow.country == c.country, CommitmentRow.target == c.target, CommitmentRow.title == c.title
                )
            )
            if duplicate is not None:
                raise Conflict(f"{c.country} already has a commitment {c.title!r} under target {c.target}")
            row = CommitmentRow(
                country=c.country,
                target=c.target,
                goal=c.goal,
                title=c.title,
                pledge=c.pledge,
                baseline=c.baseline,
                status=c.status.value,
                org_id=org_id,
                created_by=c.created_by,
                made_on=c.made_on,
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:  # a concurrent duplicate won the race
                raise Conflict(f"{c.country} already has a commitment {c.title!r} under target {c.target}") from exc
            session.add(CommitmentStatusRow(commitment_id=row.id, status=c.status.value, since=c.made_on))
            session.flush()
            session.refresh(row)
            return _commitment(row, _histories(session, [row.id]))

    def commitment(self, commitment_id: int) -> Commitment:
        with self._sessions() as session:
            row = session.get(CommitmentRow, commitment_id) if is_row_id(commitment_id) else None
            if row is None:
                raise NotFound(f"no commitment with id {commitment_id}")
            return _commitment(row, _histories(session, [row.id]))

    def update_commitment(
        self, commitment_id: int, changes: dict[str, str], status_since: date | None = None
    ) -> Commitment:
        """Apply `changes`; a new status is recorded in the history from `status_since`."""
        with self._sessions.begin() as session:
            row = session.get(CommitmentRow, commitment_id) if is_row_id(commitment_id) else None
            if row is None:
                raise NotFound(f"no commitment with id {commitment_id}")
            if "status" in changes and status_since is not None:
                session.add(CommitmentStatusRow(commitment_id=row.id, status=changes["status"], since=status_since))
            for name, value in changes.items():
                setattr(row, name, value)
            try:
                session.flush()
            except IntegrityError as exc:
                raise Conflict(f"{row.country} already has a commitment with that title under that target") from exc
            session.refresh(row)
            return _commitment(row, _histories(session, [row.id]))

    def commitments(self, country: str | None = None, target: int | None = None) -> list[Commitment]:
        query = select(CommitmentRow).order_by(CommitmentRow.country, CommitmentRow.target, CommitmentRow.id)
        if country is not None:
            query = query.where(CommitmentRow.country == country)
        if target is not None:
            query = query.where(CommitmentRow.target == target)
        with self._sessions() as session:
            rows = list(session.scalars(query))
            histories = _histories(session, [r.id for r in rows])
            return [_commitment(r, histories) for r in rows]

    # --- reports -------------------------------------------------------------------------------

    def create_report(
        self, country: str, year: int, targets: list[int], created_by: str, copy_of: Report | None = None
    ) -> Report:
        """A new draft version for (country, year): version 1, or the next after a published one."""
        with self._sessions.begin() as session:
            latest = session.scalar(
                select(ReportRow)
                .where(ReportRow.country == country, ReportRow.year == year)
                .order_by(ReportRow.version.desc())
                .limit(1)
            )
            if latest is not None and latest.status != ReportStatus.PUBLISHED.value:
                raise Conflict(
                    f"{country} already has a {latest.status} report on {year} (id {latest.id}); "
                    "finish it before starting another"
                )
            if copy_of is None and latest is not None:
                raise Conflict(
                    f"{country}'s report on {year} is published (id {latest.id}); file a correction to change it"
                )
            row = ReportRow(
                country=country,
                year=year,
                version=(latest.version + 1) if latest else 1,
                status=ReportStatus.DRAFT.value,
                corrects=copy_of.id if copy_of else None,
                created_by=created_by,
            )
            session.add(row)
            try:
                session.flush()
            except IntegrityError as exc:
                raise Conflict(f"{country} already has a report on {year} in the making") from exc
            for target in targets:
                old = copy_of.section(target) if copy_of else Section(target)
                session.add(
                    ReportSectionRow(
                        report_id=row.id,
                        target=target,
                        actions=old.actions,
                        results=old.results,
                        next_steps=old.next_steps,
                    )
                )
            session.flush()
            return _report(session, row)

    def report(self, report_id: int) -> Report:
        with self._sessions() as session:
            row = session.get(ReportRow, report_id) if is_row_id(report_id) else None
            if row is None:
                raise NotFound(f"no report with id {report_id}")
            return _report(session, row)

    def reports(
        self, country: str | None = None, year: int | None = None, status: ReportStatus | None = None
    ) -> list[Report]:
        query = select(ReportRow).order_by(ReportRow.country, ReportRow.year, ReportRow.version)
        if country is not None:
            query = query.where(ReportRow.country == country)
        if year is not None:
            query = query.where(ReportRow.year == year)
        if status is not None:
            query = query.where(ReportRow.status == status.value)
        with self._sessions() as session:
            return [_report(session, r) for r in session.scalars(query)]

    def write_section(self, report_id: int, section: Section) -> Report:
        """Change one section of a draft; `Conflict` if the report stopped being a draft meanwhile."""
        with self._sessions.begin() as session:
            guard = session.execute(
                update(ReportRow)
                .where(ReportRow.id == report_id, ReportRow.status == ReportStatus.DRAFT.value)
                .values(updated_at=utcnow())
            )
            if guard.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict("the report is no longer a draft; nothing was changed")
            row = session.scalar(
                select(ReportSectionRow).where(
                    ReportSectionRow.report_id == report_id, ReportSectionRow.target == section.target
                )
            )
            if row is None:
                raise NotFound(f"the report has no section for target {section.target}")
            row.actions, row.results, row.next_steps = section.actions, section.results, section.next_steps
            session.flush()
            report = session.get(ReportRow, report_id)
            assert report is not None
            return _report(session, report)

    def move_report(
        self, report_id: int, expected: ReportStatus, to: ReportStatus, actor: str, note: str | None = None
    ) -> Report:
        now = utcnow()
        values: dict[str, object] = {"status": to.value, "updated_at": now}
        if to is ReportStatus.SUBMITTED:
            values["submitted_at"] = now
        if to is ReportStatus.REVIEWED:
            values["reviewed_at"] = now
        if to is ReportStatus.PUBLISHED:
            values |= {"published_at": now, "published_by": actor}
        if note is not None:
            values["review_note"] = note
        with self._sessions.begin() as session:
            result = session.execute(
                update(ReportRow).where(ReportRow.id == report_id, ReportRow.status == expected.value).values(values)
            )
            if result.rowcount != 1:  # type: ignore[attr-defined]
                raise Conflict(f"the report is no longer {expected.value}; nothing was changed")
            row = session.get(ReportRow, report_id)
            assert row is not None
            session.refresh(row)
            return _report(session, row)

    def count_reports(self) -> int:
        with self._sessions() as session:
            return session.scalar(select(func.count()).select_from(ReportRow)) or 0


def _ensure_org(session: Session, name: str, country: str) -> OrganisationRow:
    row = session.scalar(select(OrganisationRow).where(OrganisationRow.name == name))
    if row is None:
        row = OrganisationRow(name=name, country=country)
        session.add(row)
        session.flush()
    return row


def _histories(session: Session, ids: list[int]) -> dict[int, tuple[StatusChange, ...]]:
    """Each commitment's statuses, by the day they took effect (then as recorded)."""
    out: dict[int, list[StatusChange]] = {i: [] for i in ids}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        query = (
            select(CommitmentStatusRow)
            .where(CommitmentStatusRow.commitment_id.in_(chunk))
            .order_by(CommitmentStatusRow.since, CommitmentStatusRow.id)
        )
        for r in session.scalars(query):
            out[r.commitment_id].append(StatusChange(CommitmentStatus(r.status), r.since))
    return {k: tuple(v) for k, v in out.items()}


def _commitment(row: CommitmentRow, histories: dict[int, tuple[StatusChange, ...]]) -> Commitment:
    return Commitment(
        id=row.id,
        country=row.country,
        target=row.target,
        goal=row.goal,
        title=row.title,
        pledge=row.pledge,
        baseline=row.baseline,
        status=CommitmentStatus(row.status),
        created_by=row.created_by,
        created_at=row.created_at,
        updated_at=row.updated_at,
        made_on=row.made_on,
        history=histories.get(row.id, ()),
    )


def _report(session: Session, row: ReportRow) -> Report:
    sections = tuple(
        Section(s.target, s.actions, s.results, s.next_steps)
        for s in session.scalars(
            select(ReportSectionRow).where(ReportSectionRow.report_id == row.id).order_by(ReportSectionRow.target)
        )
    )
    return Report(
        id=row.id,
        country=row.country,
        year=row.year,
        version=row.version,
        status=ReportStatus(row.status),
        sections=sections,
        review_note=row.review_note,
        corrects=row.corrects,
        created_by=row.created_by,
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        reviewed_at=row.reviewed_at,
        published_at=row.published_at,
        published_by=row.published_by,
    )
