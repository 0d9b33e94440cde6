"""The audit log for auditors and the node admin: events a page at a time, filtered by action,
outcome or request, whether the chain verifies, and the export (what `GET /v1/audit/export` streams)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.nav import N_
from alliance.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
OUTCOMES = {
    "ok": N_("done"),
    "refused": N_("refused"),
    "invalid": N_("invalid input"),
    "failed": N_("failed"),
    "error": N_("error"),
}
"""The outcomes an event records, as the filter offers them (an unknown one is shown as it is)."""


@router.get("/audit")
async def audit(
    request: Request,
    viewer: ViewerDep,
    after: Annotated[int, Query(ge=0)] = 0,
    action: Annotated[str, Query(max_length=64)] = "",
    outcome: Annotated[str, Query(max_length=32)] = "",
    request_id: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    """Events a page at a time, filtered by action, outcome or request (what the API filters by)."""
    principal = viewer.principal
    assert principal is not None
    node = node_of(request)
    filters = {"action": action.strip(), "outcome": outcome, "request_id": request_id.strip()}
    events = await run_in_threadpool(
        lambda: node.audit.events(principal, after=after, limit=PAGE_SIZE, **{k: v or None for k, v in filters.items()})
    )
    next_after = events[-1].seq if len(events) == PAGE_SIZE else None
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(
        request,
        "audit/log.html",
        viewer,
        events=events,
        after=after,
        next_after=next_after,
        outcomes=OUTCOMES,
        query=query,
        **filters,
    )


@router.get("/audit/verify")
async def verify(request: Request, viewer: ViewerDep) -> Response:
    """Whether the whole chain verifies: for the node admin and auditors (`AuditService.verify_for`:
    an auditor learns how many events the node holds and whether they hold, never what they are)."""
    principal = viewer.principal
    assert principal is not None
    node = node_of(request)
    count, head, problems = await run_in_threadpool(node.audit.verify_for, principal)
    return render(request, "audit/verify.html", viewer, count=count, head=head, problems=problems)


@router.get("/audit/export")
def export(request: Request, viewer: ViewerDep) -> Response:
    """Every event the viewer may read, as JSON lines (the node admin: all; an auditor: its organisation's)."""
    principal = viewer.principal
    assert principal is not None
    node = node_of(request)
    first = node.audit.events(principal, limit=1000)  # refuses (404) and audits as the API does
    scope = None if principal.is_node_admin else principal.org_id

    def lines() -> Iterator[str]:
        page = first
        while page:
            for event in page:
                yield json.dumps(event.to_json(), sort_keys=True) + "\n"
            page = node.audit.store.events(after=page[-1].seq, limit=1000, org_id=scope)

    headers = {"Content-Disposition": 'attachment; filename="audit.jsonl"'}
    return StreamingResponse(lines(), media_type="application/x-ndjson", headers=headers)
