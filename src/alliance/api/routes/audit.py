"""The audit log: auditors read their organisation's events, node admins all of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse

from alliance.api.deps import NodeDep, PrincipalDep
from alliance.api.schemas import After, AuditCheckpointOut, AuditEventOut, AuditEventsOut
from alliance.core.audit import AuditEvent

router = APIRouter(prefix="/v1", tags=["audit"])


def _out(event: AuditEvent) -> AuditEventOut:
    return AuditEventOut.model_validate(event.to_json())


@router.get("/audit", response_model=AuditEventsOut)
def audit_events(
    node: NodeDep,
    principal: PrincipalDep,
    after: After = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action: Annotated[str | None, Query(max_length=64)] = None,
    request_id: Annotated[str | None, Query(max_length=64, description="Events of one request (X-Request-ID).")] = None,
    outcome: Annotated[
        str | None, Query(max_length=32, description='Events with this outcome: "ok", "refused", "invalid", ...')
    ] = None,
) -> AuditEventsOut:
    events = node.audit.events(
        principal, after=after, limit=limit, action=action, request_id=request_id, outcome=outcome
    )
    return AuditEventsOut(events=[_out(e) for e in events], next_after=events[-1].seq if len(events) == limit else None)


@router.get("/audit/checkpoint", response_model=AuditCheckpointOut)
def audit_checkpoint(node: NodeDep, principal: PrincipalDep) -> AuditCheckpointOut:
    """The chain's head now, signed with the node's audit key: for a monitor to keep off the machine.

    It covers the whole node's chain, also for an organisation's auditor: it tells how many events
    the node holds, never what they are."""
    checkpoint = node.audit.checkpoint_for(principal, node.audit_key, node.identity)
    return AuditCheckpointOut.model_validate(checkpoint.to_json())


@router.get("/audit/export", response_class=StreamingResponse)
def audit_export(node: NodeDep, principal: PrincipalDep) -> StreamingResponse:
    """Every event you may read, as JSON lines."""
    first = node.audit.events(principal, limit=1000)

    def lines() -> Iterator[str]:
        page = first
        while page:
            for event in page:
                yield _out(event).model_dump_json() + "\n"
            page = node.audit.store.events(
                after=page[-1].seq, limit=1000, org_id=None if principal.is_node_admin else principal.org_id
            )

    return StreamingResponse(lines(), media_type="application/x-ndjson")
