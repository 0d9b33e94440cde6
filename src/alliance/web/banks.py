"""Banks and entries: the banks a viewer may see, a bank's entries a page at a time, an entry with
its signals, grades, history and disputes, and the blind grading form.

Every page asks the services the node builds for the viewer, as the API's routes do: a bank or an
entry the viewer may not see is the same 404 page as one that does not exist, and reads are audited.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.access import BankAction, Principal, visible_actions
from alliance.core.banks import Entry, EntryStatus
from alliance.core.errors import InvalidRequest, NotFound
from alliance.core.trust import AGE_BANDS, SEVERITIES, Grade, Queue
from alliance.node import Node
from alliance.services.trust import GRADER_ROLES, grader_of
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50


def _principal(viewer: ViewerDep) -> Principal:
    assert viewer.principal is not None  # `viewer` raises LoginRequired otherwise
    return viewer.principal


@router.get("/banks")
def banks(request: Request, viewer: ViewerDep) -> Response:
    principal = _principal(viewer)
    service = node_of(request).banks_for(principal)
    rows = [(bank, sorted(visible_actions(principal, bank.owner.id, bank.policy))) for bank in service.list_banks()]
    return render(request, "banks/list.html", viewer, rows=rows)


@router.get("/banks/{name}")
def bank(
    request: Request,
    viewer: ViewerDep,
    name: str,
    after: Annotated[int, Query(ge=0)] = 0,
    status: EntryStatus | None = None,
) -> Response:
    principal = _principal(viewer)
    service = node_of(request).banks_for(principal)
    found = service.get_bank(name)
    actions = visible_actions(principal, found.owner.id, found.policy)
    entries, next_after = [], None
    if BankAction.READ in actions or service.may_curate(found):
        entries = service.entries(name, after_id=after, limit=PAGE_SIZE + 1, status=status)
        if len(entries) > PAGE_SIZE:
            entries, next_after = entries[:PAGE_SIZE], entries[PAGE_SIZE - 1].id
    return render(
        request,
        "banks/detail.html",
        viewer,
        bank=found,
        actions=sorted(actions),
        curator=service.may_curate(found),
        entries=entries,
        next_after=next_after,
        after=after,
        status=status.value if status else "",
        statuses=[s.value for s in EntryStatus],
    )


@router.get("/entries/{entry_id}")
def entry(request: Request, viewer: ViewerDep, entry_id: int) -> Response:
    principal = _principal(viewer)
    node = node_of(request)
    found, owner = node.banks_for(principal).get_entry(entry_id)
    trust = node.trust_for(principal)
    grades = _grades_or_none(trust, entry_id)
    return render(
        request,
        "banks/entry.html",
        viewer,
        entry=found,
        bank=owner,
        grades=grades,
        history=trust.history(entry_id),
        may_grade=_may_grade(principal, found, grades),
        age_bands=AGE_BANDS,
        severities=SEVERITIES,
        error=None,
    )


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
        found, owner = node.banks_for(principal).get_entry(entry_id)
        trust = node.trust_for(principal)
        return render(
            request,
            "banks/entry.html",
            viewer,
            422,
            entry=found,
            bank=owner,
            grades=None,
            history=trust.history(entry_id),
            may_grade=True,
            age_bands=AGE_BANDS,
            severities=SEVERITIES,
            error=str(exc),
        )
    return RedirectResponse(f"/entries/{entry_id}?graded=1", status_code=303)


@router.get("/review")
def review(request: Request, viewer: ViewerDep, queue: Queue = Queue.GRADING) -> Response:
    principal = _principal(viewer)
    node = node_of(request)
    trust = node.trust_for(principal)
    disputed = queue is Queue.DISPUTES
    entries = [entry for entry, _ in trust.disputes_queue(100)] if disputed else trust.queue(queue, 100)
    names = _bank_names(node, {e.bank_id for e in entries})
    return render(
        request, "banks/review.html", viewer, entries=entries, names=names, queue=queue.value, queues=list(Queue)
    )


def _bank_names(node: Node, ids: set[int]) -> dict[int, str]:
    return {bank_id: node.store.bank_by_id(bank_id).name for bank_id in ids}
