"""Progress reports on the pages: a country starts one, writes a section per target, saves its
draft and submits it; the secretariat reviews, returns or publishes it; a published one is
corrected by a new version.

Every step is the service's (`node.alliance_for(principal)`), so who may do what, the 404 for a
report one may not see and the audit record are the API's. Publishing is final: its button needs
a confirmation ticked first (no script needed).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.errors import InvalidRequest
from alliance.core.record.access import may_draft, may_review
from alliance.core.record.workflow import MAX_TEXT, ReportMove, ReportStatus
from alliance.web.alliance_pages import principal_of
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.nav import N_
from alliance.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

FIELDS = ("actions", "results", "next_steps")
NOTICES = {
    "created": N_("Your draft is ready: write a section for each target."),
    "saved": N_("Draft saved."),
    "submitted": N_("Submitted to the secretariat."),
    "reviewed": N_("Reviewed: it can now be published."),
    "returned": N_("Returned to the country as a draft."),
    "published": N_("Published: it is now part of the Alliance report."),
    "corrected": N_("A new version to correct the published report."),
}
DONE = {
    ReportMove.SUBMIT: "submitted",
    ReportMove.REVIEW: "reviewed",
    ReportMove.RETURN: "returned",
    ReportMove.PUBLISH: "published",
}


@router.post("/alliance/reports")
def start_report(
    request: Request,
    viewer: ViewerDep,
    country: Annotated[str, Form(max_length=2)],
    year: Annotated[int, Form(ge=1900, le=2999)],
) -> Response:
    """A new draft for a year; if the country already has one in progress, open that instead."""
    alliance = node_of(request).alliance_for(principal_of(viewer))
    open_ = [r for r in alliance.reports(country, year) if r.status is not ReportStatus.PUBLISHED]
    if open_:
        return RedirectResponse(f"/alliance/reports/{open_[0].id}", status_code=303)
    report = alliance.create_report(country, year)
    return RedirectResponse(f"/alliance/reports/{report.id}?notice=created", status_code=303)


@router.get("/alliance/reports/{report_id}")
def report_page(request: Request, viewer: ViewerDep, report_id: int, notice: str = "") -> Response:
    principal = principal_of(viewer)
    alliance = node_of(request).alliance_for(principal)
    report = alliance.report(report_id)
    drafter = may_draft(principal, report.country)
    reviewer = may_review(principal, alliance.holder_org_id())
    facts = alliance.facts()
    return render(
        request,
        "alliance/report_page.html",
        viewer,
        report=report,
        country=facts.country(report.country),
        targets=facts.targets,
        editable=drafter and report.status is ReportStatus.DRAFT,
        may_correct=drafter and report.status is ReportStatus.PUBLISHED,
        may_review=reviewer and report.status is ReportStatus.SUBMITTED,
        may_return=reviewer and report.status in (ReportStatus.SUBMITTED, ReportStatus.REVIEWED),
        may_publish=reviewer and report.status is ReportStatus.REVIEWED,
        notice=NOTICES.get(notice),
        limit=MAX_TEXT,
    )


@router.post("/alliance/reports/{report_id}/sections")
async def save_sections(request: Request, viewer: ViewerDep, report_id: int) -> Response:
    """Save every section of the draft; with `then=submit`, submit it too."""
    form = await request.form()
    alliance = node_of(request).alliance_for(principal_of(viewer))

    def save() -> str:
        report = alliance.report(report_id)
        facts = alliance.facts()
        for target in facts.targets:
            texts = {name: form.get(f"{name}_{target.number}", "") for name in FIELDS}
            if any(not isinstance(v, str) for v in texts.values()):
                raise InvalidRequest("a section is text")
            old = report.section(target.number)
            if all(texts[name] == getattr(old, name) for name in FIELDS):
                continue  # unchanged: no write, no audit record
            alliance.write_section(report_id, target.number, **{k: str(v) for k, v in texts.items()})
        if form.get("then") == "submit":
            alliance.move(report_id, ReportMove.SUBMIT)
            return "submitted"
        return "saved"

    done = await run_in_threadpool(save)
    return RedirectResponse(f"/alliance/reports/{report_id}?notice={done}", status_code=303)


@router.post("/alliance/reports/{report_id}/move")
def move_report(
    request: Request,
    viewer: ViewerDep,
    report_id: int,
    move: Annotated[ReportMove, Form()],
    note: Annotated[str, Form(max_length=5000)] = "",
    confirm: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    alliance = node_of(request).alliance_for(principal_of(viewer))
    if move is ReportMove.PUBLISH and confirm != "yes":
        raise InvalidRequest("tick the box to confirm: a published report can no longer change")
    alliance.move(report_id, move, note if move is ReportMove.RETURN else None)
    return RedirectResponse(f"/alliance/reports/{report_id}?notice={DONE[move]}", status_code=303)


@router.post("/alliance/reports/{report_id}/correct")
def correct_report(request: Request, viewer: ViewerDep, report_id: int) -> Response:
    created = node_of(request).alliance_for(principal_of(viewer)).correct(report_id)
    return RedirectResponse(f"/alliance/reports/{created.id}?notice=corrected", status_code=303)


@router.get("/alliance/review")
def review_queue(request: Request, viewer: ViewerDep) -> Response:
    """The secretariat's queue: reports submitted or reviewed, oldest first; the latest published."""
    principal = principal_of(viewer)
    alliance = node_of(request).alliance_for(principal)
    reports = alliance.reports()
    waiting = sorted(
        (r for r in reports if r.status in (ReportStatus.SUBMITTED, ReportStatus.REVIEWED)),
        key=lambda r: r.submitted_at or r.created_at,
    )
    published = sorted(
        (r for r in reports if r.status is ReportStatus.PUBLISHED),
        key=lambda r: r.published_at or r.created_at,
        reverse=True,
    )[:20]
    return render(
        request,
        "alliance/review.html",
        viewer,
        waiting=waiting,
        published=published,
        reviewer=may_review(principal, alliance.holder_org_id()),
    )
