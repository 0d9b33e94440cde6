"""The Alliance's work as its members see it: who may write what, the report workflow, the handover,
indicators and campaigns, and bad input refused with nothing written."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import Engine

from alliance.alliance_data import load_facts
from alliance.core.access import SYSTEM, Principal, Role
from alliance.core.banks import BankPurpose, NewEntry
from alliance.core.errors import Conflict, InvalidRequest, NotFound
from alliance.core.record.awareness import Audience
from alliance.core.record.workflow import CommitmentStatus, ReportMove, ReportStatus
from alliance.core.signals import Signal
from alliance.services.alliance import AllianceService
from alliance.services.alliance_figures import FiguresService
from alliance.services.audit import AuditLog
from alliance.store.accounts import AccountStore
from alliance.store.alliance_figures import FiguresStore
from alliance.store.alliance_store import AllianceStore
from alliance.store.audit_log import AuditStore
from alliance.store.repository import Store

TODAY = date(2015, 6, 1)


@dataclass
class Members:
    engine: Engine
    audit: AuditLog
    orgs: dict[str, tuple[int, str]]

    def who(self, org: str, *roles: Role) -> Principal:
        org_id, country = self.orgs[org]
        return Principal(org_id, org, country, frozenset(roles), name=f"{org}:{'+'.join(roles)}")

    def alliance(self, principal: Principal, today: date = TODAY) -> AllianceService:
        return AllianceService(AllianceStore(self.engine), self.audit, principal, today=lambda: today)

    def figures(self, principal: Principal, today: date = TODAY) -> FiguresService:
        return FiguresService(self.alliance(principal, today), FiguresStore(self.engine), AccountStore(self.engine))

    def refusals(self) -> list[str]:
        return [e.record.action for e in self.audit.store.events() if e.record.outcome == "refused"]


@pytest.fixture
def members(engine: Engine) -> Members:
    accounts = AccountStore(engine)
    audit = AuditLog(AuditStore(engine))
    orgs = {}
    for name, country in (("UK Hotline", "GB"), ("DE Police", "DE"), ("CA Police", "CA")):
        orgs[name] = (accounts.create_organisation(name, country).id, country)
    world = Members(engine, audit, orgs)
    world.alliance(SYSTEM).seed(load_facts())
    for org in accounts.organisations():
        orgs.setdefault(org.name, (org.id, org.country))
    return world


def uk(m: Members) -> AllianceService:
    return m.alliance(m.who("UK Hotline", Role.ANALYST))


def secretariat(m: Members) -> AllianceService:
    return m.alliance(m.who("United States authorities", Role.SECRETARIAT))


def published_report(m: Members, year: int = 2013) -> int:
    report = uk(m).create_report("GB", year)
    uk(m).write_section(report.id, 4, actions="hash list shared", results="1,200 hashes")
    uk(m).move(report.id, ReportMove.SUBMIT)
    secretariat(m).move(report.id, ReportMove.REVIEW)
    return secretariat(m).move(report.id, ReportMove.PUBLISH).id


# --- commitments -------------------------------------------------------------------------------


def test_a_country_records_its_commitments_and_another_cannot_touch_them(members: Members):
    c = uk(members).add_commitment("GB", 4, "Hash sharing", "share confirmed hashes", "IWF list", goal="4.2")
    german = members.alliance(members.who("DE Police", Role.INVESTIGATOR))
    with pytest.raises(NotFound):
        german.add_commitment("GB", 4, "Sneaky", "pledge")
    with pytest.raises(NotFound):
        german.update_commitment(c.id, pledge="nothing")
    assert [x.pledge for x in uk(members).commitments("GB")] == ["share confirmed hashes"]
    assert members.refusals() == ["alliance.commitment.create", "alliance.commitment.update"]


def test_a_platform_speaks_for_no_country(members: Members):
    with pytest.raises(NotFound):
        members.alliance(members.who("UK Hotline", Role.PLATFORM)).add_commitment("GB", 1, "t", "p")


def test_bad_commitments_are_refused_and_nothing_is_written(members: Members):
    service = uk(members)
    with pytest.raises(InvalidRequest, match="not a country of the Alliance"):
        service.add_commitment("QQ", 1, "t", "p")
    with pytest.raises(InvalidRequest, match="no policy target 5"):
        service.add_commitment("GB", 5, "t", "p")
    with pytest.raises(InvalidRequest, match="serves target 1"):
        service.add_commitment("GB", 4, "t", "p", goal="1.1")
    with pytest.raises(InvalidRequest, match="required"):
        service.add_commitment("GB", 4, "  ", "p")
    service.add_commitment("GB", 4, "Hash sharing", "p")
    with pytest.raises(Conflict):
        service.add_commitment("GB", 4, "Hash sharing", "another pledge")
    assert len(service.commitments()) == 1


def test_a_commitment_keeps_the_day_it_was_made_and_every_status_since(members: Members):
    service = uk(members)
    c = service.add_commitment("GB", 4, "Hash sharing", "p", made_on=date(2013, 5, 1))
    assert (c.made_on, c.status) == (date(2013, 5, 1), CommitmentStatus.PLANNED)
    service.update_commitment(c.id, status=CommitmentStatus.IN_PROGRESS, status_since=date(2014, 3, 1))
    done = service.update_commitment(c.id, status=CommitmentStatus.ACHIEVED)  # from today
    assert [(h.status, h.since) for h in done.history] == [
        (CommitmentStatus.PLANNED, date(2013, 5, 1)),
        (CommitmentStatus.IN_PROGRESS, date(2014, 3, 1)),
        (CommitmentStatus.ACHIEVED, TODAY),
    ]
    assert done.status is CommitmentStatus.ACHIEVED
    as_of_2014 = done.as_of(date(2014, 12, 31))
    assert as_of_2014 is not None and as_of_2014.status is CommitmentStatus.IN_PROGRESS
    assert done.as_of(date(2013, 4, 30)) is None
    assert uk(members).add_commitment("GB", 1, "Today", "p").made_on == TODAY


def test_commitment_days_outside_membership_or_in_the_future_are_refused(members: Members):
    service = uk(members)
    with pytest.raises(InvalidRequest, match="has not happened yet"):
        service.add_commitment("GB", 4, "Later", "p", made_on=date(2015, 6, 2))
    with pytest.raises(InvalidRequest, match="joined the Alliance on 2012-12-05"):
        service.add_commitment("GB", 4, "Earlier", "p", made_on=date(2012, 1, 1))
    c = service.add_commitment("GB", 4, "Hash sharing", "p", made_on=date(2014, 1, 1))
    for since in (date(2013, 12, 31), date(2015, 6, 2)):
        with pytest.raises(InvalidRequest, match="takes effect between"):
            service.update_commitment(c.id, status=CommitmentStatus.ACHIEVED, status_since=since)
    with pytest.raises(InvalidRequest, match="needs a status"):
        service.update_commitment(c.id, pledge="other", status_since=date(2014, 2, 1))
    [kept] = service.commitments()
    assert (kept.pledge, kept.status, len(kept.history)) == ("p", CommitmentStatus.PLANNED, 1)


# --- reports -----------------------------------------------------------------------------------


def test_the_workflow_from_draft_to_published(members: Members):
    report_id = published_report(members)
    report = members.alliance(members.who("DE Police", Role.INVESTIGATOR)).report(report_id)
    assert report.status is ReportStatus.PUBLISHED
    assert report.section(4).results == "1,200 hashes"
    assert report.published_by == "United States authorities"  # organisations, never accounts


def test_drafts_are_invisible_to_others_and_the_secretariat_sees_them_once_submitted(members: Members):
    draft = uk(members).create_report("GB", 2014)
    for other in (members.who("DE Police", Role.ANALYST), members.who("United States authorities", Role.SECRETARIAT)):
        with pytest.raises(NotFound):
            members.alliance(other).report(draft.id)
        assert members.alliance(other).reports("GB") == []
    uk(members).move(draft.id, ReportMove.SUBMIT)
    assert secretariat(members).report(draft.id).status is ReportStatus.SUBMITTED
    assert "alliance.report.read" in members.refusals()


def test_only_the_secretariat_publishes(members: Members):
    report = uk(members).create_report("GB", 2013)
    uk(members).move(report.id, ReportMove.SUBMIT)
    secretariat(members).move(report.id, ReportMove.REVIEW)
    for who in (
        members.who("UK Hotline", Role.ORG_ADMIN),
        members.who("UK Hotline", Role.SECRETARIAT),  # a secretariat role elsewhere is not the secretariat
        members.who("European Commission", Role.SECRETARIAT),  # the former holder
    ):
        with pytest.raises(NotFound):
            members.alliance(who).move(report.id, ReportMove.PUBLISH)
    assert secretariat(members).move(report.id, ReportMove.PUBLISH).status is ReportStatus.PUBLISHED


def test_a_published_report_cannot_change_and_a_correction_is_a_new_version(members: Members):
    report_id = published_report(members)
    with pytest.raises(Conflict, match="published"):
        uk(members).write_section(report_id, 4, actions="rewritten history")
    with pytest.raises(Conflict):
        secretariat(members).move(report_id, ReportMove.RETURN, "no")
    correction = uk(members).correct(report_id)
    assert (correction.version, correction.status) == (2, ReportStatus.DRAFT)
    uk(members).write_section(correction.id, 4, actions="hash list shared", results="1,250 hashes")
    assert uk(members).report(report_id).section(4).results == "1,200 hashes"


def test_a_returned_report_carries_the_note_and_can_be_edited_again(members: Members):
    report = uk(members).create_report("GB", 2013)
    uk(members).move(report.id, ReportMove.SUBMIT)
    returned = secretariat(members).move(report.id, ReportMove.RETURN, "target 3 is empty")
    assert (returned.status, returned.review_note) == (ReportStatus.DRAFT, "target 3 is empty")
    uk(members).write_section(report.id, 3, actions="campaign in schools")


def test_no_report_for_a_year_before_the_country_joined(members: Members):
    canada = members.alliance(members.who("CA Police", Role.ORG_ADMIN))
    with pytest.raises(InvalidRequest, match="joined the Alliance in 2014"):
        canada.create_report("CA", 2013)
    with pytest.raises(InvalidRequest):
        uk(members).create_report("GB", 2016)
    assert canada.create_report("CA", 2014).year == 2014
    assert len(AllianceStore(members.engine).reports()) == 1


def test_one_report_in_the_making_per_country_and_year(members: Members):
    uk(members).create_report("GB", 2013)
    with pytest.raises(Conflict):
        uk(members).create_report("GB", 2013)


# --- the secretariat ---------------------------------------------------------------------------


def test_the_handover_moves_publishing_rights(members: Members):
    report = uk(members).create_report("GB", 2014)
    uk(members).move(report.id, ReportMove.SUBMIT)
    de_org = members.orgs["DE Police"][0]
    with pytest.raises(NotFound):  # only the holder hands over
        members.alliance(members.who("DE Police", Role.SECRETARIAT)).handover(de_org, "Germany")
    term = secretariat(members).handover(de_org, "Germany (BMI)", date(2015, 1, 1))
    assert (term.holder, term.country) == ("DE Police", "DE")
    with pytest.raises(NotFound):
        secretariat(members).move(report.id, ReportMove.REVIEW)
    new = members.alliance(members.who("DE Police", Role.SECRETARIAT))
    assert new.move(report.id, ReportMove.REVIEW).status is ReportStatus.REVIEWED
    assert [t.holder for t in new.facts().secretariat][-2:] == ["United States authorities", "DE Police"]


def test_bad_handovers_are_refused(members: Members):
    us_org = members.orgs["United States authorities"][0]
    with pytest.raises(InvalidRequest, match="already holds"):
        secretariat(members).handover(us_org, "US")
    with pytest.raises(InvalidRequest, match="precede"):
        secretariat(members).handover(members.orgs["DE Police"][0], "DE", date(2014, 1, 1))
    with pytest.raises(InvalidRequest):
        secretariat(members).handover(10**9, "nobody")
    assert len(secretariat(members).facts().secretariat) == 2


def test_only_a_node_admin_seeds(members: Members):
    with pytest.raises(NotFound):
        uk(members).seed(load_facts())


# --- indicators and campaigns ------------------------------------------------------------------


def test_indicators_from_the_node_and_entered_ones_with_the_goal(members: Members):
    figures = members.figures(members.who("United States authorities", Role.SECRETARIAT))
    figures.enter("GB", 2013, "victims_identified", 100, "INTERPOL ICSE, 2014-01 extract")
    figures.enter("GB", 2014, "victims_identified", 112, "INTERPOL ICSE, 2015-01 extract")
    gb_org = members.orgs["UK Hotline"][0]
    store = Store(members.engine)
    bank = store.create_bank("uk", gb_org, BankPurpose.KNOWN, "", {})
    store.add_entries(bank.id, [NewEntry((Signal("md5", f"{i:032x}"),)) for i in range(3)])
    members.audit.record(members.who("UK Hotline", Role.ANALYST), "match", "banks:all", details={"match_count": 2})
    today = date.today()  # the entries and the match were made today
    trends = {(t.value.name, t.value.year): t for t in members.figures(SYSTEM, today).indicators("GB")}
    victims = trends[("victims_identified", 2014)]
    assert (victims.previous, victims.goal, victims.goal_met) == (100, "1.1", True)
    assert victims.change == pytest.approx(0.12)
    assert victims.value.source == "INTERPOL ICSE, 2015-01 extract"
    assert trends[("entries_added", today.year)].value.value == 3
    assert trends[("match_requests", today.year)].value.value == 1
    assert trends[("matches_found", today.year)].value.value == 2
    assert ("entries_added", today.year) not in {
        (t.value.name, t.value.year) for t in members.figures(SYSTEM, today).indicators("DE")
    }


def test_figures_are_entered_by_the_country_or_the_secretariat_only(members: Members):
    with pytest.raises(NotFound):
        members.figures(members.who("DE Police", Role.ANALYST)).enter("GB", 2013, "victims_identified", 1, "x")
    with pytest.raises(InvalidRequest, match="computed"):
        members.figures(members.who("UK Hotline", Role.ANALYST)).enter("GB", 2013, "entries_added", 1, "x")
    with pytest.raises(InvalidRequest, match="not a member"):
        members.figures(members.who("CA Police", Role.ANALYST)).enter("CA", 2013, "victims_identified", 1, "x")


def test_campaigns_are_shared_and_searchable_by_other_members(members: Members):
    figures = members.figures(members.who("UK Hotline", Role.ORG_ADMIN))
    figures.add_campaign(
        "GB",
        "Think before you share",
        ["children", "parents"],
        "schools and social media",
        date(2014, 2, 11),
        date(2014, 6, 30),
        reach=250_000,
        evaluation="a third of pupils remembered the message after three months",
        practice="lessons written with pupils, given by older pupils",
    )
    german = members.figures(members.who("DE Police", Role.INVESTIGATOR))
    [found] = german.campaigns("older pupils", audience=Audience.PARENTS)
    assert (found.country, found.reach) == ("GB", 250_000)
    assert german.campaigns(country="DE") == []
    with pytest.raises(NotFound):
        german.add_campaign("GB", "t", ["children"], "tv", date(2014, 1, 1))
    with pytest.raises(InvalidRequest, match="before it starts"):
        figures.add_campaign("GB", "t", ["children"], "tv", date(2014, 1, 1), date(2013, 1, 1))
    with pytest.raises(InvalidRequest, match="audiences are"):
        figures.add_campaign("GB", "t", ["pets"], "tv", date(2014, 1, 1))
