"""Banks and entries: the banks a viewer may see, a bank's entries a page at a time, an entry with
its signals, grades, history and disputes, and the blind grading form.

Every page asks the services the node builds for the viewer, as the API's routes do: a bank or an
entry the viewer may not see is the same 404 page as one that does not exist, and reads are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.access import BankAction, Principal, may_create_bank, visible_actions
from alliance.core.banks import Entry, EntryStatus
from alliance.core.errors import InvalidRequest, NotFound
from alliance.core.trust import AGE_BANDS, SEVERITIES, Grade, Queue
from alliance.formats.registry import format_names
from alliance.node import Node
from alliance.services.trust import GRADER_ROLES, grader_of
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.i18n import gettext_, number
from alliance.web.nav import N_, label
from alliance.web.templating import ENV, Viewer, page_of, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
NOTICES = frozenset({"created", "policy"})
"""The notices a redirect may ask the bank page to show (a fixed list: no text comes from the URL)."""
CURATOR_NOTICES = {
    "resolved": N_("The dispute has been resolved."),
    "lifted": N_("The quarantine has been lifted: platforms match the entry again."),
    "settled": N_("The disagreement has been settled: the entry is confirmed."),
}
"""What the entry page says after a curator's action (`?done=`)."""


def _principal(viewer: ViewerDep) -> Principal:
    assert viewer.principal is not None  # `viewer` raises LoginRequired otherwise
    return viewer.principal


@router.get("/banks")
def banks(request: Request, viewer: ViewerDep, after: Annotated[int, Query(ge=0)] = 0) -> Response:
    """The banks the viewer may see, a page at a time (by id: the oldest first)."""
    principal = _principal(viewer)
    service = node_of(request).banks_for(principal)
    visible = sorted((b for b in service.list_banks() if b.id > after), key=lambda b: b.id)
    page, next_after = page_of(visible, PAGE_SIZE)
    rows = [(bank, sorted(visible_actions(principal, bank.owner.id, bank.policy))) for bank in page]
    may_create = may_create_bank(principal, principal.org_id)
    return render(
        request, "banks/list.html", viewer, rows=rows, may_create=may_create, after=after, next_after=next_after
    )


@router.get("/banks/{name}")
def bank(
    request: Request,
    viewer: ViewerDep,
    name: str,
    after: Annotated[int, Query(ge=0)] = 0,
    status: EntryStatus | None = None,
    source: Annotated[str, Query(max_length=200)] = "",
    notice: str | None = None,
) -> Response:
    """A bank and its entries a page at a time, filtered by status and by where they came from."""
    principal = _principal(viewer)
    service = node_of(request).banks_for(principal)
    found = service.get_bank(name)
    actions = visible_actions(principal, found.owner.id, found.policy)
    entries, next_after = [], None
    if BankAction.READ in actions or service.may_curate(found):
        entries = service.entries(
            name, after_id=after, limit=PAGE_SIZE + 1, status=status, source_prefix=source.strip() or None
        )
        if len(entries) > PAGE_SIZE:
            entries, next_after = entries[:PAGE_SIZE], entries[PAGE_SIZE - 1].id
    node = node_of(request)
    curator = service.may_curate(found)
    org_names = {o.id: o.name for o in node.accounts.directory(principal)} if curator else {}
    return render(
        request,
        "banks/detail.html",
        viewer,
        bank=found,
        actions=sorted(actions),
        curator=curator,
        org_names=org_names,
        entries=entries,
        categories={e.id: category_of(node, principal, e.grade) for e in entries},
        formats=format_names(),
        notice=notice if notice in NOTICES else None,
        next_after=next_after,
        after=after,
        status=status.value if status else "",
        source=source,
        filters=urlencode({k: v for k, v in (("status", status.value if status else ""), ("source", source)) if v}),
        statuses=[s.value for s in EntryStatus],
    )


@router.get("/entries/{entry_id}")
def entry(request: Request, viewer: ViewerDep, entry_id: int) -> Response:
    return render_entry(request, viewer, entry_id)


def render_entry(request: Request, viewer: Viewer, entry_id: int, status: int = 200, **overrides: Any) -> Response:
    """The entry page: what any reader sees, the grading form, and the curators' actions (the
    curator pages render it again with their error)."""
    principal = _principal(viewer)
    node = node_of(request)
    banks = node.banks_for(principal)
    found, owner = banks.get_entry(entry_id)
    trust = node.trust_for(principal)
    grades = _grades_or_none(trust, entry_id)
    curator = banks.may_curate(owner)
    all_disputes = trust.entry_disputes(entry_id) if curator else []
    context: dict[str, Any] = {
        "entry": found,
        "bank": owner,
        "grades": grades,
        "history": trust.history(entry_id),
        "may_grade": _may_grade(principal, found, grades),
        "age_bands": AGE_BANDS,
        "severities": SEVERITIES,
        "error": None,
        "category": category_of(node, principal, found.grade),
        "schemes": scheme_guides(node, principal),
        "curator": curator,
        "disputes": [d for d in all_disputes if d.resolution is None],
        "all_disputes": all_disputes,
        "curator_error": None,
        "curator_notices": CURATOR_NOTICES,
    }
    return render(request, "banks/entry.html", viewer, status, **{**context, **overrides})


def category_of(node: Node, principal: Principal, grade: dict[str, Any] | None) -> tuple[str, str] | None:
    """The agreed grade as the category of the viewer's jurisdiction (its organisation's country):
    the scheme's title and the category, as matching shows it to readers of the bank."""
    schemes = node.match_trust.schemes
    found = schemes.category_of_agreed(grade, principal.country)
    return (schemes.for_country(principal.country).title, found["category"]) if found else None


@dataclass(frozen=True, slots=True)
class SchemeGuide:
    """A category scheme as the grading form explains it: its rules in order, then its default."""

    title: str
    countries: list[str]
    own: bool
    rules: list[tuple[dict[str, Any], str]]
    default: str


def scheme_guides(node: Node, principal: Principal) -> list[SchemeGuide]:
    """Every category scheme of the node, the grader's jurisdiction's first: how the grade given
    reads as a category in each country's law (the first rule that fits gives it)."""
    book = node.match_trust.schemes
    own = book.for_country(principal.country)
    guides = [
        SchemeGuide(s.title, sorted(s.jurisdictions), s is own, [(dict(w), c) for w, c in s.rules], s.default)
        for s in book.schemes.values()
    ]
    return sorted(guides, key=lambda g: not g.own)


def rule_text(when: dict[str, Any]) -> str:
    """A scheme's rule ("illegal · severity 1") in the page's language (called while it renders)."""
    words = []
    for field, value in when.items():
        if field == "illegal":
            words.append(gettext_(N_("illegal")) if value else gettext_(N_("not illegal")))
        elif field == "age_band":
            words.append(gettext_(label(value)))
        elif field == "severity":
            words.append(gettext_(N_("severity %(n)s")) % {"n": number(value)})
        elif field == "baseline":
            words.append(gettext_(N_("INTERPOL Baseline")) if value else gettext_(N_("not Baseline")))
        else:
            words.append(f"{field} = {value}")
    return " · ".join(words)


ENV.globals["rule_text"] = rule_text


def _may_grade(principal: Principal, found: Entry, grades: list[Any] | None) -> bool:
    """A proposed entry this viewer has not graded yet (hidden grades: blind, so not graded either)."""
    me = grader_of(principal)
    waiting = found.status is EntryStatus.PROPOSED and not found.needs_review
    return (
        waiting
        and me is not None
        and principal.has(*GRADER_ROLES)
        and (grades is None or all(v.grader != me for v in grades))
    )


def _grades_or_none(trust: object, entry_id: int) -> list[object] | None:
    """The entry's grades, or None while blind grading hides them from this viewer."""
    try:
        return list(trust.grades(entry_id))  # type: ignore[attr-defined]
    except NotFound:
        return None


@router.post("/entries/{entry_id}/grade")
async def grade(
    request: Request,
    viewer: ViewerDep,
    entry_id: int,
    illegal: Annotated[str, Form(max_length=5)],
    age_band: Annotated[str, Form(max_length=20)],
    severity: Annotated[str, Form(max_length=2)] = "",
    baseline: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Grade an entry (once): the grade is built as the API's, so it is refused for the same reasons."""
    principal = _principal(viewer)
    node = node_of(request)
    data: dict[str, object] = {"illegal": illegal == "yes", "age_band": age_band, "baseline": baseline == "yes"}
    if severity:
        data["severity"] = int(severity) if severity.isdigit() else severity
    try:
        parsed = Grade.from_json(data)
        await run_in_threadpool(node.trust_for(principal).grade, entry_id, parsed)
    except InvalidRequest as exc:
        error = str(exc)
        return await run_in_threadpool(
            lambda: render_entry(request, viewer, entry_id, 422, grades=None, may_grade=True, error=error)
        )
    return RedirectResponse(f"/entries/{entry_id}?graded=1", status_code=303)


@router.get("/review")
def review(
    request: Request, viewer: ViewerDep, queue: Queue = Queue.GRADING, after: Annotated[int, Query(ge=0)] = 0
) -> Response:
    """A queue a page at a time (oldest first); the disputes queue says who disputes and why."""
    principal = _principal(viewer)
    node = node_of(request)
    trust = node.trust_for(principal)
    reasons: dict[int, list[Any]] = {}
    if queue is Queue.DISPUTES:
        rows = trust.disputes_queue(PAGE_SIZE + 1, after)
        entries, reasons = [e for e, _ in rows], {e.id: ds for e, ds in rows}
    else:
        entries = trust.queue(queue, PAGE_SIZE + 1, after)
    entries, next_after = page_of(entries, PAGE_SIZE)
    return render(
        request,
        "banks/review.html",
        viewer,
        entries=entries,
        names=_bank_names(node, {e.bank_id for e in entries}),
        reasons=reasons,
        queue=queue.value,
        queues=list(Queue),
        after=after,
        next_after=next_after,
    )


def _bank_names(node: Node, ids: set[int]) -> dict[int, str]:
    return {bank_id: node.store.bank_by_id(bank_id).name for bank_id in ids}
