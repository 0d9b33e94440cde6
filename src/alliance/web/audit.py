"""The audit log for auditors and the node admin: events a page at a time, filtered by action,
whether the chain verifies, and the export (what `GET /v1/audit/export` streams)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from alliance.core.errors import NotFound
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50


@router.get("/audit")
async def audit(
    request: Request,
    viewer: ViewerDep,
    after: Annotated[int, Query(ge=0)] = 0,
    action: Annotated[str, Query(max_length=64)] = "",
) -> Response:
    assert viewer.principal is not None
    node = node_of(request)
    events = await run_in_threadpool(
        lambda: node.audit.events(viewer.principal, after=after, limit=PAGE_SIZE, action=action or None)  # type: ignore[arg-type]
    )
    next_after = events[-1].seq if len(events) == PAGE_SIZE else None
    return render(request, "audit/log.html", viewer, events=events, after=after, action=action, next_after=next_after)


@router.get("/audit/verify")
async def verify(request: Request, viewer: ViewerDep) -> Response:
    """Walk the whole chain (the node admin's check; an auditor sees its organisation's events only)."""
    assert viewer.principal is not None
    if not viewer.principal.is_node_admin:
        raise NotFound("no such resource")
    node = node_of(request)
    count, head, problems = await run_in_threadpool(node.audit.verify)
    node.audit.record(viewer.principal, "audit.verify", "audit", details={"events": count, "problems": len(problems)})
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
