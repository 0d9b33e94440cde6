"""The notifications of the viewer's agency, for its investigators: another agency's case hit one of
its series or cases without being told who works it; the agency decides whether to make contact.
Unread first, a page at a time; each marked read by hand. The menu shows how many are unread
(`nav.nav_counts`).

The same service calls as `/v1/notifications` (`node.notifier`): anyone but the agency's
investigators gets the 404 page, and reading is audited.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.nav import N_
from alliance.web.series import principal_of
from alliance.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
KINDS = {
    "series_hit": N_("Another agency's case hit your series"),
    "case_hit": N_("Another agency's case hit your case"),
}
"""Each kind of notification's title, as a msgid (the subject and body the service wrote are English)."""


@router.get("/notifications")
def notifications(request: Request, viewer: ViewerDep, after: Annotated[int, Query(ge=0)] = 0) -> Response:
    """Unread first, then read, newest first in each; `after` is how many to skip."""
    principal = principal_of(viewer)
    notes = node_of(request).notifier.for_org(principal, limit=PAGE_SIZE + 1, offset=after, unread_first=True)
    return render(
        request,
        "investigations/notifications.html",
        viewer,
        notes=notes[:PAGE_SIZE],
        kinds=KINDS,
        after=after,
        next_after=after + PAGE_SIZE if len(notes) > PAGE_SIZE else None,
    )


@router.post("/notifications/{notification_id}/read")
def mark_read(
    request: Request, viewer: ViewerDep, notification_id: int, after: Annotated[int, Form(ge=0)] = 0
) -> Response:
    node_of(request).notifier.mark_read(principal_of(viewer), notification_id)
    return RedirectResponse(f"/notifications?after={after}", status_code=303)
