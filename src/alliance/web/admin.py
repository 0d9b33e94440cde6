"""Administration: an organisation's users and API keys (a new key's secret shown once, revocation
after a confirmation), and the node admin's list of organisations with their kinds and roles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from alliance.core.access import Principal, parse_roles
from alliance.core.errors import NotFound
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.templating import Viewer, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)


def _principal(viewer: Viewer) -> Principal:
    assert viewer.principal is not None
    return viewer.principal


@router.get("/organisation")
def organisation(request: Request, viewer: ViewerDep, org: int | None = None) -> Response:
    principal = _principal(viewer)
    accounts = node_of(request).accounts
    org_id = org if org is not None else principal.org_id
    users = accounts.users(principal, org_id)  # 404 for an organisation the viewer does not administer
    keys = accounts.keys(principal, org_id)
    return render(request, "admin/organisation.html", viewer, users=users, keys=keys, org_id=org_id, issued=None)


@router.post("/organisation/keys")
def create_key(
    request: Request,
    viewer: ViewerDep,
    name: Annotated[str, Form(min_length=1, max_length=120)],
    roles: Annotated[list[str], Form()],
    org: Annotated[int, Form()],
) -> Response:
    """Issue a key and show its secret on this page, once: the node keeps only its hash."""
    principal = _principal(viewer)
    accounts = node_of(request).accounts
    issued = accounts.create_key(principal, org, name, parse_roles(roles))
    users, keys = accounts.users(principal, org), accounts.keys(principal, org)
    return render(request, "admin/organisation.html", viewer, 201, users=users, keys=keys, org_id=org, issued=issued)


@router.get("/keys/{key_id}/revoke")
def confirm_revoke(request: Request, viewer: ViewerDep, key_id: int, org: int) -> Response:
    principal = _principal(viewer)
    keys = {k.id: k for k in node_of(request).accounts.keys(principal, org)}
    if key_id not in keys:
        raise NotFound("no such key")
    return render(request, "admin/revoke.html", viewer, key=keys[key_id], org_id=org)


@router.post("/keys/{key_id}/revoke")
def revoke(request: Request, viewer: ViewerDep, key_id: int, org: Annotated[int, Form()]) -> Response:
    node_of(request).accounts.revoke_key(_principal(viewer), key_id)
    return RedirectResponse(f"/organisation?org={org}", status_code=303)


@router.get("/organisations")
def organisations(request: Request, viewer: ViewerDep) -> Response:
    principal = _principal(viewer)
    if not principal.is_node_admin:
        raise NotFound("no such resource")
    node = node_of(request)
    orgs = node.accounts.organisations(principal)
    status = node.matcher.index.status()
    rows = [(name, value) for name, value, _, _ in node.settings.describe()]  # passwords redacted
    return render(request, "admin/organisations.html", viewer, orgs=orgs, index=status, settings_rows=rows)
