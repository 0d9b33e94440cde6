"""The Alliance itself: members, targets, the secretariat, commitments, progress reports, indicators,
awareness campaigns and the published record. Thin: every decision is in the services."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi import Path as PathParam

from alliance.api.alliance_schemas import (
    CampaignIn,
    CampaignOut,
    CampaignsOut,
    CommitmentIn,
    CommitmentOut,
    CommitmentUpdate,
    CountryDetailOut,
    CountryOut,
    CountryPath,
    HandoverIn,
    IndicatorIn,
    IndicatorOut,
    MembersOut,
    NoteIn,
    ReportIn,
    ReportOut,
    SecretariatOut,
    SectionIn,
    TargetOut,
    TermOut,
)
from alliance.api.deps import NodeDep, PrincipalDep
from alliance.api.schemas import After, RowId
from alliance.core.record.awareness import Audience
from alliance.core.record.members import Body, current_term
from alliance.core.record.workflow import ReportMove

router = APIRouter(prefix="/v1/alliance", tags=["alliance"])

TargetPath = Annotated[int, PathParam(ge=1, le=99, description="Policy target 1-4.")]
YearPath = Annotated[int, PathParam(ge=1900, le=2200)]
CountryQuery = Annotated[str | None, Query(min_length=2, max_length=2, description="ISO 3166 alpha-2.")]
YearQuery = Annotated[int | None, Query(ge=1900, le=2200)]


# --- facts and the secretariat ---------------------------------------------------------------------


@router.get("/members", response_model=MembersOut)
def members(
    node: NodeDep, principal: PrincipalDep, on: Annotated[date | None, Query(description="Default: today.")] = None
) -> MembersOut:
    """The Alliance's members on a day, and which of them were in the EU."""
    facts = node.alliance_for(principal).facts()
    day = on or date.today()
    eu = {c.code for c in facts.members_on(day, Body.EU)}
    listed = [CountryOut(code=c.code, name=c.name, eu=c.code in eu) for c in facts.members_on(day)]
    return MembersOut(on=day, count=len(listed), eu_count=sum(c.eu for c in listed), members=listed)


@router.get("/countries/{code}", response_model=CountryDetailOut)
def country(node: NodeDep, principal: PrincipalDep, code: CountryPath) -> CountryDetailOut:
    facts = node.alliance_for(principal).facts()
    found = facts.country(code)
    periods = [p for p in facts.periods if p.country == found.code]
    today = date.today()
    return CountryDetailOut.of(found, periods, any(p.body is Body.ALLIANCE and p.holds_on(today) for p in periods))


@router.get("/targets", response_model=list[TargetOut])
def targets(node: NodeDep, principal: PrincipalDep) -> list[TargetOut]:
    """The four policy targets and their operational goals."""
    return [TargetOut.of(t) for t in node.alliance_for(principal).facts().targets]


@router.get("/secretariat", response_model=SecretariatOut)
def secretariat(node: NodeDep, principal: PrincipalDep) -> SecretariatOut:
    terms = node.alliance_for(principal).facts().secretariat
    current = current_term(terms)
    return SecretariatOut(current=TermOut.of(current) if current else None, terms=[TermOut.of(t) for t in terms])


@router.post("/secretariat/handover", response_model=TermOut, status_code=201)
def handover(node: NodeDep, principal: PrincipalDep, body: HandoverIn) -> TermOut:
    """The secretariat hands itself over: its publishing rights pass to the new holder's secretariat users."""
    term = node.alliance_for(principal).handover(body.org_id, body.chair, body.since, body.source)
    return TermOut.of(term)


# --- commitments -----------------------------------------------------------------------------------


@router.get("/commitments", response_model=list[CommitmentOut])
def commitments(
    node: NodeDep,
    principal: PrincipalDep,
    country: CountryQuery = None,
    target: Annotated[int | None, Query(ge=1, le=99)] = None,
) -> list[CommitmentOut]:
    return [CommitmentOut.of(c) for c in node.alliance_for(principal).commitments(country, target)]


@router.post("/commitments", response_model=CommitmentOut, status_code=201)
def add_commitment(node: NodeDep, principal: PrincipalDep, body: CommitmentIn) -> CommitmentOut:
    """A country's pledge under a target (its own country's drafters only)."""
    c = node.alliance_for(principal).add_commitment(
        body.country, body.target, body.title, body.pledge, body.baseline, body.goal, body.status, body.made_on
    )
    return CommitmentOut.of(c)


@router.patch("/commitments/{commitment_id}", response_model=CommitmentOut)
def update_commitment(
    node: NodeDep, principal: PrincipalDep, commitment_id: RowId, body: CommitmentUpdate
) -> CommitmentOut:
    c = node.alliance_for(principal).update_commitment(
        commitment_id,
        title=body.title,
        pledge=body.pledge,
        baseline=body.baseline,
        goal=body.goal,
        status=body.status,
        status_since=body.status_since,
    )
    return CommitmentOut.of(c)


# --- progress reports ------------------------------------------------------------------------------


@router.get("/reports", response_model=list[ReportOut])
def reports(
    node: NodeDep, principal: PrincipalDep, country: CountryQuery = None, year: YearQuery = None
) -> list[ReportOut]:
    """Published reports, and the drafts you may see."""
    return [ReportOut.of(r) for r in node.alliance_for(principal).reports(country, year)]


@router.post("/reports", response_model=ReportOut, status_code=201)
def create_report(node: NodeDep, principal: PrincipalDep, body: ReportIn) -> ReportOut:
    return ReportOut.of(node.alliance_for(principal).create_report(body.country, body.year))


@router.get("/reports/{report_id}", response_model=ReportOut)
def report(node: NodeDep, principal: PrincipalDep, report_id: RowId) -> ReportOut:
    return ReportOut.of(node.alliance_for(principal).report(report_id))


@router.put("/reports/{report_id}/sections/{target}", response_model=ReportOut)
def write_section(
    node: NodeDep, principal: PrincipalDep, report_id: RowId, target: TargetPath, body: SectionIn
) -> ReportOut:
    """Write one target's section of a draft."""
    service = node.alliance_for(principal)
    return ReportOut.of(service.write_section(report_id, target, body.actions, body.results, body.next_steps))


@router.post("/reports/{report_id}/submit", response_model=ReportOut)
def submit(node: NodeDep, principal: PrincipalDep, report_id: RowId) -> ReportOut:
    return ReportOut.of(node.alliance_for(principal).move(report_id, ReportMove.SUBMIT))


@router.post("/reports/{report_id}/review", response_model=ReportOut)
def review(node: NodeDep, principal: PrincipalDep, report_id: RowId, body: NoteIn) -> ReportOut:
    """The secretariat accepts a submitted report for publication."""
    return ReportOut.of(node.alliance_for(principal).move(report_id, ReportMove.REVIEW, body.note or None))


@router.post("/reports/{report_id}/return", response_model=ReportOut)
def send_back(node: NodeDep, principal: PrincipalDep, report_id: RowId, body: NoteIn) -> ReportOut:
    """The secretariat sends a report back to its country as a draft, with a note."""
    return ReportOut.of(node.alliance_for(principal).move(report_id, ReportMove.RETURN, body.note))


@router.post("/reports/{report_id}/publish", response_model=ReportOut)
def publish(node: NodeDep, principal: PrincipalDep, report_id: RowId) -> ReportOut:
    """The secretariat publishes a reviewed report; it never changes again."""
    return ReportOut.of(node.alliance_for(principal).move(report_id, ReportMove.PUBLISH))


@router.post("/reports/{report_id}/correction", response_model=ReportOut, status_code=201)
def correct(node: NodeDep, principal: PrincipalDep, report_id: RowId) -> ReportOut:
    """Start a correction of a published report: a new draft version holding its text."""
    return ReportOut.of(node.alliance_for(principal).correct(report_id))


# --- indicators, campaigns, the published record ---------------------------------------------------


@router.get("/indicators", response_model=list[IndicatorOut])
def indicators(
    node: NodeDep, principal: PrincipalDep, country: CountryQuery = None, year: YearQuery = None
) -> list[IndicatorOut]:
    """Yearly figures, computed from this node or entered with their source; change and goal met."""
    return [IndicatorOut.of(t) for t in node.figures_for(principal).indicators(country, year)]


@router.put("/indicators/{country}/{year}/{name}", response_model=IndicatorOut)
def enter_indicator(
    node: NodeDep,
    principal: PrincipalDep,
    country: CountryPath,
    year: YearPath,
    name: Annotated[str, PathParam(max_length=64)],
    body: IndicatorIn,
) -> IndicatorOut:
    """Enter a figure this node cannot compute (victims identified in ICSE, say), with its source."""
    service = node.figures_for(principal)
    entered = service.enter(country, year, name, body.value, body.source, body.note)
    found = [t for t in service.indicators(entered.country, year) if t.value.name == name]
    return IndicatorOut.of(found[0])


@router.get("/campaigns", response_model=CampaignsOut)
def campaigns(
    node: NodeDep,
    principal: PrincipalDep,
    q: Annotated[str | None, Query(max_length=200, description="Words in the title, practice or evaluation.")] = None,
    country: CountryQuery = None,
    audience: Audience | None = None,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CampaignsOut:
    """Awareness campaigns of every member, to learn from."""
    found = node.figures_for(principal).campaigns(q, country, audience, after, limit)
    return CampaignsOut(
        campaigns=[CampaignOut.of(c) for c in found], next_after=found[-1].id if len(found) == limit else None
    )


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def add_campaign(node: NodeDep, principal: PrincipalDep, body: CampaignIn) -> CampaignOut:
    c = node.figures_for(principal).add_campaign(
        body.country,
        body.title,
        [a.value for a in body.audiences],
        body.channel,
        body.starts,
        body.ends,
        body.reach,
        body.evaluation,
        body.practice,
    )
    return CampaignOut.of(c)


@router.get("/campaigns/{campaign_id}", response_model=CampaignOut)
def campaign(node: NodeDep, principal: PrincipalDep, campaign_id: RowId) -> CampaignOut:
    return CampaignOut.of(node.figures_for(principal).campaign(campaign_id))


@router.get("/open-data")
def open_data(node: NodeDep, principal: PrincipalDep) -> dict[str, list[dict[str, Any]]]:
    """Everything published, as tables (the same as `alliance report export`)."""
    return node.figures_for(principal).open_data()
