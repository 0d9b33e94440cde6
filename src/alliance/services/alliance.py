"""The Alliance's work for one principal: its facts and secretariat, commitments, progress reports.

Indicators, campaigns and the published record are in `alliance_figures.py` (same pattern). Every
operation asks `alliance.core.record.access` first; what the caller may not see or change
answers `NotFound`, as if it did not exist; every write and every refusal goes to the audit log.
Bad input (an unknown country, target or goal, a year before the country joined, a duplicate) is
refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import NoReturn

from alliance.core.access import SYSTEM, Principal
from alliance.core.errors import InvalidRequest, NotFound
from alliance.core.record.access import may_draft, may_review, may_see_unpublished, may_seed
from alliance.core.record.members import (
    AllianceFacts,
    SecretariatTerm,
    check_country_code,
    current_term,
    goal_of,
    member_in_year,
    target_of,
)
from alliance.core.record.workflow import (
    SECRETARIAT_MOVES,
    Commitment,
    CommitmentStatus,
    Report,
    ReportMove,
    ReportStatus,
    Section,
    check_editable,
    check_made_on,
    check_text,
    check_year,
    next_status,
)
from alliance.services.audit import AuditLog
from alliance.store.alliance_store import AllianceStore, SeedResult

NOT_SEEDED = "the Alliance's facts are not loaded on this node; run `alliance alliance seed`"


class AllianceService:
    def __init__(
        self,
        store: AllianceStore,
        audit: AuditLog,
        actor: Principal = SYSTEM,
        today: Callable[[], date] = date.today,
    ) -> None:
        self.store = store
        self.audit = audit
        self.actor = actor
        self.today = today

    # --- facts and the secretariat -------------------------------------------------------------

    def seed(self, facts: AllianceFacts, holder_orgs: dict[str, str] | None = None) -> SeedResult:
        if not may_seed(self.actor):
            self.refuse("alliance.seed", "alliance")
        result = self.store.seed(facts, holder_orgs)
        self.audit.record(self.actor, "alliance.seed", "alliance", details={"added": result.total})
        return result

    def facts(self) -> AllianceFacts:
        """The facts as the store holds them (seed plus what was recorded since); public to members."""
        facts = self.store.facts()
        if not facts.targets:
            raise NotFound(NOT_SEEDED)
        return facts

    def holder(self) -> SecretariatTerm | None:
        return current_term(self.facts().secretariat)

    def holder_org_id(self) -> int | None:
        term = self.holder()
        return term.org_id if term else None

    def handover(self, to_org_id: int, chair: str, since: date | None = None, source: str = "") -> SecretariatTerm:
        """The current holder hands the secretariat (and its rights) to another organisation."""
        current = self.holder()
        if not may_review(self.actor, current.org_id if current else None):
            self.refuse("alliance.handover", "secretariat")
        organisation = self.store.organisation_exists(to_org_id)
        if organisation is None:
            raise InvalidRequest(f"no organisation with id {to_org_id} on this node")
        day = since or self.today()
        if current is not None and current.org_id == to_org_id:
            raise InvalidRequest(f"{organisation[0]} already holds the secretariat")
        if current is not None and day < current.since:
            raise InvalidRequest(f"the current term began on {current.since}; a handover cannot precede it")
        if day > self.today():
            raise InvalidRequest("a handover is recorded when it happens, not ahead of time")
        term = SecretariatTerm(
            since=day,
            holder=organisation[0],
            country=organisation[1],
            chair=check_text("chair", chair, required=True, limit=200),
            source=check_text("source", source),
            org_id=to_org_id,
            recorded_by=self.actor_label(),
        )
        self.store.add_term(term)
        self.audit.record(
            self.actor,
            "alliance.handover",
            "secretariat",
            subject_org_id=to_org_id,
            details={"from": current.holder if current else None, "to": term.holder, "since": day.isoformat()},
        )
        return term

    # --- commitments ---------------------------------------------------------------------------

    def commitments(self, country: str | None = None, target: int | None = None) -> list[Commitment]:
        """Commitments are public to members: the Alliance summarised them in its first report."""
        facts = self.facts()
        code = self.known_country(facts, country) if country is not None else None
        if target is not None:
            self.check_target(facts, target)
        return self.store.commitments(code, target)

    def add_commitment(
        self,
        country: str,
        target: int,
        title: str,
        pledge: str,
        baseline: str = "",
        goal: str | None = None,
        status: CommitmentStatus = CommitmentStatus.PLANNED,
        made_on: date | None = None,
    ) -> Commitment:
        """Record a commitment the country made on `made_on` (today unless given): the reports on
        that year and later show it, with the status it had at the end of each."""
        facts = self.facts()
        code = self.known_country(facts, country)
        self.check_target(facts, target)
        if not may_draft(self.actor, code):
            self.refuse("alliance.commitment.create", f"country:{code}")
        day = check_made_on(made_on or self.today(), facts.joined(code), self.today(), code)
        self._goal_under(facts, goal, target)
        now = datetime.now(UTC)  # the store sets its own timestamps
        draft = Commitment(
            id=0,
            country=code,
            target=target,
            goal=goal,
            title=check_text("title", title, required=True, limit=200),
            pledge=check_text("pledge", pledge, required=True),
            baseline=check_text("baseline", baseline),
            status=status,
            created_by=self.actor_label(),
            created_at=now,
            updated_at=now,
            made_on=day,
        )
        commitment = self.store.add_commitment(draft, self.actor.org_id or None)
        self.audit.record(
            self.actor,
            "alliance.commitment.create",
            f"commitment:{commitment.id}",
            details={"country": code, "target": target, "title": commitment.title},
        )
        return commitment

    def update_commitment(
        self,
        commitment_id: int,
        *,
        title: str | None = None,
        pledge: str | None = None,
        baseline: str | None = None,
        goal: str | None = None,
        status: CommitmentStatus | None = None,
        status_since: date | None = None,
    ) -> Commitment:
        """Change a commitment; a new status holds from `status_since` (today unless given), and the
        reports on years before it keep the status the commitment had then."""
        facts = self.facts()
        try:
            existing = self.store.commitment(commitment_id)
        except NotFound:
            self.audit.record(self.actor, "alliance.commitment.update", f"commitment:{commitment_id}", "not_found")
            raise
        if not may_draft(self.actor, existing.country):
            self.refuse("alliance.commitment.update", f"commitment:{commitment_id}", f"no commitment {commitment_id}")
        self._goal_under(facts, goal, existing.target)
        changes: dict[str, str] = {}
        if title is not None:
            changes["title"] = check_text("title", title, required=True, limit=200)
        if pledge is not None:
            changes["pledge"] = check_text("pledge", pledge, required=True)
        if baseline is not None:
            changes["baseline"] = check_text("baseline", baseline)
        if goal is not None:
            changes["goal"] = goal
        since = None
        if status is not None:
            changes["status"] = status.value
            since = status_since or self.today()
            if since > self.today() or since < existing.made_on:
                raise InvalidRequest(
                    f"a status change takes effect between the day the commitment was made "
                    f"({existing.made_on.isoformat()}) and today, not on {since.isoformat()}"
                )
        elif status_since is not None:
            raise InvalidRequest("status_since needs a status")
        updated = self.store.update_commitment(commitment_id, changes, since)
        details: dict[str, str] = changes | ({"status_since": since.isoformat()} if since else {})
        self.audit.record(self.actor, "alliance.commitment.update", f"commitment:{commitment_id}", details=details)
        return updated

    # --- progress reports ----------------------------------------------------------------------

    def reports(self, country: str | None = None, year: int | None = None) -> list[Report]:
        """Published reports, and the unpublished ones the caller may see."""
        facts = self.facts()
        code = self.known_country(facts, country) if country is not None else None
        holder = self.holder_org_id()
        return [r for r in self.store.reports(code, year) if self._may_see(r, holder)]

    def report(self, report_id: int) -> Report:
        report = self._visible_report(report_id, "alliance.report.read")
        if report.status is not ReportStatus.PUBLISHED:
            self.audit.record(self.actor, "alliance.report.read", f"report:{report_id}")
        return report

    def create_report(self, country: str, year: int) -> Report:
        facts = self.facts()
        code = self.known_country(facts, country)
        if not may_draft(self.actor, code):
            self.refuse("alliance.report.create", f"country:{code}")
        joined = facts.joined(code)
        check_year(year, joined.year if joined else None, self.today().year, code)
        if not member_in_year(facts.periods, code, year):
            raise InvalidRequest(f"{code} was not a member of the Alliance in {year}")
        report = self.store.create_report(code, year, [t.number for t in facts.targets], self.actor_label())
        self.audit.record(
            self.actor, "alliance.report.create", f"report:{report.id}", details={"country": code, "year": year}
        )
        return report

    def write_section(
        self, report_id: int, target: int, actions: str = "", results: str = "", next_steps: str = ""
    ) -> Report:
        facts = self.facts()
        report = self._visible_report(report_id, "alliance.report.section")
        if not may_draft(self.actor, report.country):
            self.refuse("alliance.report.section", f"report:{report_id}", f"no report with id {report_id}")
        self.check_target(facts, target)
        check_editable(report.status)
        section = Section(
            target,
            check_text("actions", actions),
            check_text("results", results),
            check_text("next_steps", next_steps),
        )
        updated = self.store.write_section(report_id, section)
        self.audit.record(self.actor, "alliance.report.section", f"report:{report_id}", details={"target": target})
        return updated

    def move(self, report_id: int, move: ReportMove, note: str | None = None) -> Report:
        """Submit (the country), review, return or publish (the secretariat)."""
        action = f"alliance.report.{move.value}"
        report = self._visible_report(report_id, action)
        allowed = (
            may_review(self.actor, self.holder_org_id())
            if move in SECRETARIAT_MOVES
            else may_draft(self.actor, report.country)
        )
        if not allowed:
            self.refuse(action, f"report:{report_id}", f"no report with id {report_id}")
        to = next_status(report.status, move)
        checked_note = check_text("note", note, limit=5000) if note is not None else None
        moved = self.store.move_report(report_id, report.status, to, self.actor_label(), checked_note)
        self.audit.record(
            self.actor, action, f"report:{report_id}", details={"from": report.status.value, "to": to.value}
        )
        return moved

    def correct(self, report_id: int) -> Report:
        """A correction of a published report: a new draft version holding its text, to edit and submit."""
        report = self._visible_report(report_id, "alliance.report.correct")
        if not may_draft(self.actor, report.country):
            self.refuse("alliance.report.correct", f"report:{report_id}", f"no report with id {report_id}")
        if report.status is not ReportStatus.PUBLISHED:
            raise InvalidRequest("only a published report is corrected; edit the draft instead")
        facts = self.facts()
        created = self.store.create_report(
            report.country, report.year, [t.number for t in facts.targets], self.actor_label(), copy_of=report
        )
        self.audit.record(
            self.actor, "alliance.report.correct", f"report:{created.id}", details={"corrects": report_id}
        )
        return created

    # --- helpers -------------------------------------------------------------------------------

    def _visible_report(self, report_id: int, action: str) -> Report:
        try:
            report = self.store.report(report_id)
        except NotFound:
            self.audit.record(self.actor, action, f"report:{report_id}", "not_found")
            raise
        if not self._may_see(report, self.holder_org_id()):
            self.refuse(action, f"report:{report_id}", f"no report with id {report_id}")
        return report

    def _may_see(self, report: Report, holder: int | None) -> bool:
        if report.status is ReportStatus.PUBLISHED:
            return True
        return may_see_unpublished(self.actor, report.country, report.submitted, holder)

    def refuse(self, action: str, target: str, message: str = "no such resource") -> NoReturn:
        self.audit.record(self.actor, action, target, "refused")
        raise NotFound(message)

    def actor_label(self) -> str:
        """Who wrote a record, as the record keeps it: the organisation, never the account (the
        published record names organisations; the audit log keeps which account it was)."""
        return self.actor.org_name

    @staticmethod
    def known_country(facts: AllianceFacts, code: str) -> str:
        checked = check_country_code(code)
        try:
            return facts.country(checked).code
        except NotFound as exc:
            raise InvalidRequest(str(exc)) from exc

    @staticmethod
    def check_target(facts: AllianceFacts, number: int) -> None:
        try:
            target_of(facts.targets, number)
        except NotFound as exc:
            raise InvalidRequest(str(exc)) from exc

    @staticmethod
    def _goal_under(facts: AllianceFacts, goal: str | None, target: int) -> None:
        if goal is None:
            return
        try:
            found = goal_of(facts.targets, goal)
        except NotFound as exc:
            raise InvalidRequest(str(exc)) from exc
        if found.target != target:
            raise InvalidRequest(f"goal {goal} serves target {found.target}, not target {target}")
