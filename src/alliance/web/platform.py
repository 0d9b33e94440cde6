"""Checking media against the banks: a hash typed in, or an image hashed in memory and never
stored (the page says so), matched against the banks the viewer may match; and the viewer's
organisation's disputes with what became of them.

The image goes through the same hashing and matching as `POST /v1/match/upload`, under the same
hashing limiter, and the match is recorded the same way, so it can be disputed.
"""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile as StarletteUpload

from alliance.core.access import Principal, Role, Scope
from alliance.core.errors import HashingError, InvalidSignal, NotFound
from alliance.core.media.hashing import query_signals
from alliance.core.signals import parse_signal, signal_types
from alliance.node import Node
from alliance.services.matching import Match
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.templating import Viewer, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
CHECKERS = (Role.PLATFORM, Role.INVESTIGATOR, Role.ANALYST)
"""Who checks media here (the roles whose work is matching); others get the 404 page."""


def _principal(viewer: Viewer) -> Principal:
    assert viewer.principal is not None
    if not viewer.principal.may(Scope.MATCH) or not viewer.principal.has(*CHECKERS):
        raise NotFound("no such resource")
    return viewer.principal


def _page(request: Request, viewer: Viewer, status: int = 200, **context: object) -> Response:
    defaults: dict[str, object] = {
        "matches": None,
        "error": None,
        "checked": None,
        "types": sorted(t.name for t in signal_types()),
    }
    return render(request, "platform/check.html", viewer, status, **{**defaults, **context})


@router.get("/check")
def check_page(request: Request, viewer: ViewerDep) -> Response:
    _principal(viewer)
    return _page(request, viewer)


@router.post("/check/hash")
def check_hash(
    request: Request,
    viewer: ViewerDep,
    signal_type: Annotated[str, Form(max_length=40)],
    value: Annotated[str, Form(max_length=2000)],
) -> Response:
    principal = _principal(viewer)
    try:
        query = parse_signal(signal_type, value.strip())
    except InvalidSignal as exc:
        return _page(request, viewer, 422, error=str(exc))
    matches = node_of(request).matching_for(principal).match([query], None)
    return _page(request, viewer, matches=matches, checked=f"{signal_type} {query.value}")


@router.post("/check/upload")
async def check_upload(request: Request, viewer: ViewerDep) -> Response:
    """The image is read into memory, hashed there and dropped: nothing of it is written anywhere.

    No `UploadFile` parameter: FastAPI would read and parse the body before `viewer` checks the
    session, so anyone could make the node read 50 MB. `viewer` reads the form once the session
    is known (for its CSRF field); the image is taken from that parsed form."""
    principal = _principal(viewer)
    node = node_of(request)
    image = (await request.form()).get("image")
    if not isinstance(image, StarletteUpload):
        return _page(request, viewer, 422, error="choose an image file to check")
    data = await image.read()
    if not data:
        return _page(request, viewer, 422, error="the file is empty")
    try:
        matches = await anyio.to_thread.run_sync(
            _hash_and_match, node, principal, data, limiter=request.app.state.hashing_limiter
        )
    except HashingError as exc:
        return _page(request, viewer, 422, error=str(exc))
    finally:
        del data
    return _page(request, viewer, matches=matches, checked=image.filename or "")


def _hash_and_match(node: Node, principal: Principal, data: bytes) -> list[Match]:
    matching = node.matching_for(principal)
    crops = matching.crop_matching(None)
    _, queries, variants = query_signals(data, node.settings.hashing_limits, dihedral=True, crops=crops)
    return matching.match(queries, None, variants)


@router.post("/matches/{match_id}/dispute")
def dispute(
    request: Request, viewer: ViewerDep, match_id: str, reason: Annotated[str, Form(min_length=1, max_length=2000)]
) -> Response:
    assert viewer.principal is not None
    node_of(request).trust_for(viewer.principal).dispute(match_id, reason)
    return RedirectResponse("/disputes?notice=disputed", status_code=303)


@router.get("/disputes")
async def disputes(
    request: Request, viewer: ViewerDep, notice: str | None = None, after: Annotated[int, Query(ge=0)] = 0
) -> Response:
    assert viewer.principal is not None
    rows = await run_in_threadpool(node_of(request).trust_for(viewer.principal).my_disputes, after, PAGE_SIZE + 1)
    next_after = rows[PAGE_SIZE - 1][0] if len(rows) > PAGE_SIZE else None
    return render(
        request,
        "platform/disputes.html",
        viewer,
        rows=rows[:PAGE_SIZE],
        notice=notice == "disputed",
        after=after,
        next_after=next_after,
    )
