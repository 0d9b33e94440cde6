"""A platform's match history: its organisation's matches, newest first, a page at a time, each
with whether it was disputed, and a dispute form for the others (`TrustService.my_matches`).

Shows what the organisation was shown when it matched (bank, entry, distance, view), never the
entry's hashes; the match events are kept for the node's retention period only.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from alliance.core.errors import InvalidRequest
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50


def parse_cursor(before: str) -> tuple[datetime, str] | None:
    """`before` is the last row's "<ISO time>~<match id>" (the next page starts after it)."""
    if not before:
        return None
    at, _, match_id = before.partition("~")
    try:
        return datetime.fromisoformat(at), match_id
    except ValueError:
        raise InvalidRequest("before: not a position in the history") from None


@router.get("/matches")
async def history(request: Request, viewer: ViewerDep, before: Annotated[str, Query(max_length=80)] = "") -> Response:
    assert viewer.principal is not None
    trust = node_of(request).trust_for(viewer.principal)
    rows = await run_in_threadpool(trust.my_matches, parse_cursor(before), PAGE_SIZE + 1)
    last = rows[PAGE_SIZE - 1].event if len(rows) > PAGE_SIZE else None
    cursor = f"{last.at.isoformat()}~{last.id}" if last else None
    return render(request, "platform/matches.html", viewer, rows=rows[:PAGE_SIZE], before=before, cursor=cursor)
