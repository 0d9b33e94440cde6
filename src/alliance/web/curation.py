"""The curators' decisions on an entry of their bank: resolve a dispute (the entry stands, or it was
a false positive and is retired), settle graders' disagreement with the grade that stands, lift a
quarantine. The same service calls as the API's; retiring an entry and lifting a quarantine ask
first. A refusal (the entry is no longer disputed, a reason is missing) shows the entry page again
with the service's message; an entry the viewer may not curate is the 404 page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.errors import InvalidRequest
from alliance.core.trust import DisputeOutcome, Grade
from alliance.web.auth import ViewerDep, node_of
from alliance.web.banks import render_entry
from alliance.web.confirm import ask, confirmed
from alliance.web.errors import WebRoute
from alliance.web.nav import N_

router = APIRouter(route_class=WebRoute, include_in_schema=False)
Reason = Annotated[str, Form(max_length=2000)]
Confirm = Annotated[str, Form(max_length=5)]


def _done(entry_id: int, what: str) -> Response:
    return RedirectResponse(f"/entries/{entry_id}?done={what}", status_code=303)


@router.post("/entries/{entry_id}/dispute-resolution")
def resolve_dispute(
    request: Request,
    viewer: ViewerDep,
    entry_id: int,
    outcome: Annotated[DisputeOutcome, Form()],
    reason: Reason,
    confirm: Confirm = "",
) -> Response:
    assert viewer.principal is not None
    trust = node_of(request).trust_for(viewer.principal)
    if outcome is DisputeOutcome.FALSE_POSITIVE and not confirmed(confirm):
        trust.entry_to_curate(entry_id)  # 404 now, before the question, for an entry the viewer may not curate
        return ask(
            request,
            viewer,
            title=N_("Retire entry #%(entry)s as a false positive?"),
            explanation=N_("The entry stops matching for everyone at once and is kept only for the record."),
            button=N_("Retire the entry"),
            cancel=f"/entries/{entry_id}",
            fields=[("outcome", outcome.value), ("reason", reason)],
            params={"entry": entry_id},
        )
    try:
        trust.resolve_dispute(entry_id, outcome, reason)
    except InvalidRequest as exc:
        return render_entry(request, viewer, entry_id, 422, curator_error=str(exc))
    return _done(entry_id, "resolved")


@router.post("/entries/{entry_id}/lift-quarantine")
def lift_quarantine(
    request: Request, viewer: ViewerDep, entry_id: int, reason: Reason, confirm: Confirm = ""
) -> Response:
    assert viewer.principal is not None
    trust = node_of(request).trust_for(viewer.principal)
    if not confirmed(confirm):
        trust.entry_to_curate(entry_id)  # 404 now, before the question, for an entry the viewer may not curate
        return ask(
            request,
            viewer,
            title=N_("Lift the quarantine of entry #%(entry)s?"),
            explanation=N_("Platforms match the entry again at once, floods included if it is still being flooded."),
            button=N_("Lift the quarantine"),
            cancel=f"/entries/{entry_id}",
            fields=[("reason", reason)],
            params={"entry": entry_id},
        )
    try:
        trust.lift_quarantine(entry_id, reason)
    except InvalidRequest as exc:
        return render_entry(request, viewer, entry_id, 422, curator_error=str(exc))
    return _done(entry_id, "lifted")


@router.post("/entries/{entry_id}/review")
async def settle_review(
    request: Request,
    viewer: ViewerDep,
    entry_id: int,
    illegal: Annotated[str, Form(max_length=5)],
    age_band: Annotated[str, Form(max_length=20)],
    reason: Reason,
    severity: Annotated[str, Form(max_length=2)] = "",
    baseline: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """Settle a disagreement: the grade is built as the API's, so it is refused for the same reasons."""
    assert viewer.principal is not None
    trust = node_of(request).trust_for(viewer.principal)
    data: dict[str, object] = {"illegal": illegal == "yes", "age_band": age_band, "baseline": baseline == "yes"}
    if severity:
        data["severity"] = int(severity) if severity.isdigit() else severity
    try:
        await run_in_threadpool(trust.resolve_review, entry_id, Grade.from_json(data), reason)
    except InvalidRequest as exc:
        error = str(exc)
        return await run_in_threadpool(lambda: render_entry(request, viewer, entry_id, 422, curator_error=error))
    return _done(entry_id, "settled")
