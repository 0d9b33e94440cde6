"""The node admin's organisations: the list with kinds and allowed roles, a new organisation (name,
country, kind), a change of kind or roles; and the node's settings (read only) and index status.

`AccountService.create_organisation` / `update_organisation`, as the API's: anyone but a node admin
gets the 404 page; a role people or keys of the organisation hold cannot be taken away (the
service says so, and the page shows it).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from alliance.core.access import OrgKind, Principal, Role, parse_roles
from alliance.core.banks import Organisation
from alliance.core.errors import InvalidRequest, NotFound
from alliance.web.auth import ViewerDep, node_of
from alliance.web.errors import WebRoute
from alliance.web.nav import N_
from alliance.web.templating import Viewer, page_of, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
KINDS = [k for k in OrgKind if k is not OrgKind.UNCLASSIFIED]
KIND_LABELS = {
    OrgKind.NODE_OPERATOR: N_("node operator"),
    OrgKind.HOTLINE: N_("hotline"),
    OrgKind.LAW_ENFORCEMENT: N_("law enforcement"),
    OrgKind.PLATFORM: N_("platform (industry)"),
    OrgKind.SECRETARIAT: N_("secretariat"),
    OrgKind.GOVERNMENT: N_("government"),
    OrgKind.NGO: N_("NGO"),
    OrgKind.UNCLASSIFIED: N_("unclassified"),
}
PAGE_SIZE = 50
NOTICES = {"created": N_("The organisation has been created."), "saved": N_("The organisation has been saved.")}


def _admin(viewer: Viewer) -> Principal:
    assert viewer.principal is not None
    if not viewer.principal.is_node_admin:
        raise NotFound("no such resource")
    return viewer.principal


def _list_page(request: Request, viewer: Viewer, status: int = 200, after: int = 0, **context: Any) -> Response:
    """The organisations a page at a time (by id), the form to add one, the index and settings."""
    principal = _admin(viewer)
    node = node_of(request)
    listed = [o for o in node.accounts.organisations(principal) if o.id > after]
    orgs, next_after = page_of(listed, PAGE_SIZE)
    index = node.matcher.index.status()
    rows = [(name, value) for name, value, _, _ in node.settings.describe()]  # passwords redacted
    defaults: dict[str, Any] = {"error": None, "notice": None, "form": {"name": "", "country": "", "kind": ""}}
    return render(
        request,
        "admin/organisations.html",
        viewer,
        status,
        orgs=orgs,
        after=after,
        next_after=next_after,
        index=index,
        settings_rows=rows,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        **{**defaults, **context},
    )


@router.get("/organisations")
def organisations(
    request: Request, viewer: ViewerDep, notice: str | None = None, after: Annotated[int, Query(ge=0)] = 0
) -> Response:
    return _list_page(request, viewer, after=after, notice=NOTICES.get(notice or ""))


@router.post("/organisations")
def create(
    request: Request,
    viewer: ViewerDep,
    name: Annotated[str, Form(max_length=200)],
    country: Annotated[str, Form(max_length=8)],
    kind: Annotated[str, Form(max_length=40)],
) -> Response:
    """A new member organisation, with its kind's roles (changed on its own page)."""
    principal = _admin(viewer)
    try:
        org = node_of(request).accounts.create_organisation(principal, name, country, _kind(kind))
    except InvalidRequest as exc:
        form = {"name": name, "country": country, "kind": kind}
        return _list_page(request, viewer, 422, error=str(exc), form=form)
    return RedirectResponse(f"/organisations/{org.id}?notice=created", status_code=303)


def _kind(value: str) -> OrgKind:
    try:
        return OrgKind(value)
    except ValueError:
        raise InvalidRequest(f"say what kind of organisation it is: {', '.join(k.value for k in KINDS)}") from None


def _org(request: Request, principal: Principal, org_id: int) -> Organisation:
    found = [o for o in node_of(request).accounts.organisations(principal) if o.id == org_id]
    if not found:
        raise NotFound("no such organisation")
    return found[0]


def _edit_page(request: Request, viewer: Viewer, org: Organisation, status: int = 200, **context: Any) -> Response:
    defaults: dict[str, Any] = {"error": None, "notice": None}
    return render(
        request,
        "admin/edit_organisation.html",
        viewer,
        status,
        org=org,
        kinds=KINDS,
        kind_labels=KIND_LABELS,
        roles=[r for r in Role],
        **{**defaults, **context},
    )


@router.get("/organisations/{org_id}")
def edit_page(request: Request, viewer: ViewerDep, org_id: int, notice: str | None = None) -> Response:
    org = _org(request, _admin(viewer), org_id)
    return _edit_page(request, viewer, org, notice=NOTICES.get(notice or ""))


@router.post("/organisations/{org_id}")
def save(
    request: Request,
    viewer: ViewerDep,
    org_id: int,
    kind: Annotated[str, Form(max_length=40)],
    roles: Annotated[list[str] | None, Form()] = None,
    kind_roles: Annotated[str, Form(max_length=5)] = "",
) -> Response:
    """The kind, and the roles: the kind's own (`kind_roles=yes`) or those ticked."""
    principal = _admin(viewer)
    accounts = node_of(request).accounts
    try:
        chosen = None if kind_roles == "yes" else parse_roles(roles or [])
        accounts.update_organisation(principal, org_id, _kind(kind), chosen)
    except InvalidRequest as exc:
        return _edit_page(request, viewer, _org(request, principal, org_id), 422, error=str(exc))
    return RedirectResponse(f"/organisations/{org_id}?notice=saved", status_code=303)
