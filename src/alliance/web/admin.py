"""Administration of an organisation: its users (disable, enable, reset a password, end their
sessions) and API keys (issue one with roles, scopes, an expiry and the person it acts for; rotate
with a grace period; revoke). A new secret, a key's or a reset password, is shown once.

Every action is `AccountService`'s, as the API's: an organisation the viewer does not administer
is the 404 page, a grant beyond what the viewer holds is refused with the service's reason, and
each is audited there. Disabling, resetting, ending sessions, rotating and revoking ask first.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from alliance.core.access import Principal, Scope, parse_roles
from alliance.core.errors import InvalidRequest, NotFound
from alliance.services.accounts import MAX_GRACE_HOURS, IssuedKey
from alliance.store.accounts import ApiKey, User
from alliance.web.auth import ViewerDep, node_of
from alliance.web.confirm import ask, confirmed
from alliance.web.errors import WebRoute
from alliance.web.nav import N_
from alliance.web.templating import Viewer, render

router = APIRouter(route_class=WebRoute, include_in_schema=False)
PAGE_SIZE = 50
Org = Annotated[int, Form()]
Confirm = Annotated[str, Form(max_length=5)]
NOTICES = {
    "disabled": N_("The user has been disabled: their sessions ended and their keys stopped working."),
    "enabled": N_("The user has been enabled again."),
    "sessions": N_("The user's sessions have ended."),
    "revoked": N_("The key has been revoked."),
}
"""What the page says after an action (`?notice=`: a fixed list, no text comes from the URL)."""


def _principal(viewer: Viewer) -> Principal:
    assert viewer.principal is not None
    return viewer.principal


def _page(
    request: Request, viewer: Viewer, org_id: int, status: int = 200, uafter: int = 0, kafter: int = 0, **context: Any
) -> Response:
    """The organisation's users and keys, a page of each (the services refuse, 404, an organisation
    the viewer does not administer)."""
    principal = _principal(viewer)
    accounts = node_of(request).accounts
    users = accounts.users(principal, org_id, uafter, PAGE_SIZE + 1)
    keys = accounts.keys(principal, org_id, kafter, PAGE_SIZE + 1)
    # a node admin names the person a key acts for (anyone else's key acts for themselves)
    people = [u.username for u in accounts.users(principal, org_id) if not u.disabled and principal.is_node_admin]
    defaults: dict[str, Any] = {"issued": None, "rotated": False, "handed": None, "error": None, "notice": None}
    return render(
        request,
        "admin/organisation.html",
        viewer,
        status,
        users=users[:PAGE_SIZE],
        keys=keys[:PAGE_SIZE],
        org_id=org_id,
        uafter=uafter,
        kafter=kafter,
        next_users=users[PAGE_SIZE - 1].id if len(users) > PAGE_SIZE else None,
        next_keys=keys[PAGE_SIZE - 1].id if len(keys) > PAGE_SIZE else None,
        people=people,
        max_grace=MAX_GRACE_HOURS,
        **{**defaults, **context},
    )


@router.get("/organisation")
def organisation(
    request: Request,
    viewer: ViewerDep,
    org: int | None = None,
    uafter: Annotated[int, Query(ge=0)] = 0,
    kafter: Annotated[int, Query(ge=0)] = 0,
    notice: str | None = None,
) -> Response:
    org_id = org if org is not None else _principal(viewer).org_id
    return _page(request, viewer, org_id, uafter=uafter, kafter=kafter, notice=NOTICES.get(notice or ""))


def _back(org_id: int, notice: str) -> Response:
    return RedirectResponse(f"/organisation?org={org_id}&notice={notice}", status_code=303)


# --- keys ------------------------------------------------------------------------------------------


@router.post("/organisation/keys")
def create_key(
    request: Request,
    viewer: ViewerDep,
    name: Annotated[str, Form(min_length=1, max_length=120)],
    org: Org,
    roles: Annotated[list[str] | None, Form()] = None,
    scopes: Annotated[list[str] | None, Form()] = None,
    expires_in_days: Annotated[str, Form(max_length=5)] = "",
    for_user: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Issue a key and show its secret on this page, once: the node keeps only its hash."""
    principal = _principal(viewer)
    accounts = node_of(request).accounts
    try:
        days = int(expires_in_days) if expires_in_days.strip() else None
    except ValueError:
        return _page(request, viewer, org, 422, error="expires_in_days: a whole number of days, or nothing")
    try:
        issued = accounts.create_key(
            principal, org, name, parse_roles(roles or []), _scopes(scopes or []), days, for_user.strip() or None
        )
    except InvalidRequest as exc:
        return _page(request, viewer, org, 422, error=str(exc))
    return _page(request, viewer, org, 201, issued=issued)


def _scopes(values: list[str]) -> frozenset[Scope]:
    try:
        return frozenset(Scope(v) for v in values)
    except ValueError as exc:
        raise InvalidRequest(f"{exc}; scopes are {', '.join(s.value for s in Scope)}") from exc


def _key(request: Request, viewer: Viewer, key_id: int, org: int) -> ApiKey:
    keys = {k.id: k for k in node_of(request).accounts.keys(_principal(viewer), org)}
    if key_id not in keys:
        raise NotFound("no such key")
    return keys[key_id]


@router.get("/keys/{key_id}/revoke")
def confirm_revoke(request: Request, viewer: ViewerDep, key_id: int, org: int) -> Response:
    return render(request, "admin/revoke.html", viewer, key=_key(request, viewer, key_id, org), org_id=org)


@router.post("/keys/{key_id}/revoke")
def revoke(request: Request, viewer: ViewerDep, key_id: int, org: Org) -> Response:
    node_of(request).accounts.revoke_key(_principal(viewer), key_id)
    return _back(org, "revoked")


GRACE_INPUT: dict[str, object] = {
    "name": "grace_hours",
    "label": N_("Grace period (hours)"),
    "type": "number",
    "value": 24,
    "min": 0,
    "max": MAX_GRACE_HOURS,
}


@router.get("/keys/{key_id}/rotate")
def confirm_rotate(request: Request, viewer: ViewerDep, key_id: int, org: int) -> Response:
    key = _key(request, viewer, key_id, org)
    return ask(
        request,
        viewer,
        title=N_("Rotate the key %(name)s?"),
        explanation=N_(
            "The key gets a new secret, shown once. The old secret keeps working for the grace period, "
            "so that what uses it can switch; then it stops."
        ),
        button=N_("Rotate the key"),
        cancel=f"/organisation?org={org}",
        fields=[("org", str(org))],
        params={"name": key.name},
        inputs=[GRACE_INPUT],
    )


@router.post("/keys/{key_id}/rotate")
def rotate(
    request: Request, viewer: ViewerDep, key_id: int, org: Org, grace_hours: Annotated[int, Form()] = 24
) -> Response:
    try:
        issued: IssuedKey = node_of(request).accounts.rotate_key(_principal(viewer), key_id, grace_hours)
    except InvalidRequest as exc:
        return _page(request, viewer, org, 422, error=str(exc))
    return _page(request, viewer, org, 200, issued=issued, rotated=True)


# --- users -----------------------------------------------------------------------------------------


def _user(request: Request, viewer: Viewer, user_id: int, org: int) -> User:
    users = {u.id: u for u in node_of(request).accounts.users(_principal(viewer), org)}
    if user_id not in users:
        raise NotFound("no such user")
    return users[user_id]


@router.post("/users/{user_id}/disable")
def disable(request: Request, viewer: ViewerDep, user_id: int, org: Org, confirm: Confirm = "") -> Response:
    if not confirmed(confirm):
        return ask(
            request,
            viewer,
            title=N_("Disable %(name)s?"),
            explanation=N_("They are logged out at once, cannot log in, and the keys acting for them stop working."),
            button=N_("Disable the user"),
            cancel=f"/organisation?org={org}",
            fields=[("org", str(org))],
            params={"name": _user(request, viewer, user_id, org).username},
        )
    try:
        node_of(request).accounts.set_user_disabled(_principal(viewer), user_id, True)
    except InvalidRequest as exc:
        return _page(request, viewer, org, 422, error=str(exc))
    return _back(org, "disabled")


@router.post("/users/{user_id}/enable")
def enable(request: Request, viewer: ViewerDep, user_id: int, org: Org) -> Response:
    node_of(request).accounts.set_user_disabled(_principal(viewer), user_id, False)
    return _back(org, "enabled")


@router.post("/users/{user_id}/reset-password")
def reset_password(request: Request, viewer: ViewerDep, user_id: int, org: Org, confirm: Confirm = "") -> Response:
    """A generated password, shown once, which the user must change when they next log in."""
    if not confirmed(confirm):
        return ask(
            request,
            viewer,
            title=N_("Reset the password of %(name)s?"),
            explanation=N_(
                "Their sessions end and a new password is shown to you once; they must change it when they log in."
            ),
            button=N_("Reset the password"),
            cancel=f"/organisation?org={org}",
            fields=[("org", str(org))],
            params={"name": _user(request, viewer, user_id, org).username},
        )
    user, password = node_of(request).accounts.reset_password(_principal(viewer), user_id)  # ends their sessions
    return _page(request, viewer, org, 200, handed=(user.username, password))


@router.post("/users/{user_id}/end-sessions")
def end_sessions(request: Request, viewer: ViewerDep, user_id: int, org: Org, confirm: Confirm = "") -> Response:
    if not confirmed(confirm):
        return ask(
            request,
            viewer,
            title=N_("Log %(name)s out everywhere?"),
            explanation=N_("Every session of theirs ends at once; their API keys keep working."),
            button=N_("End the sessions"),
            cancel=f"/organisation?org={org}",
            fields=[("org", str(org))],
            params={"name": _user(request, viewer, user_id, org).username},
        )
    node_of(request).accounts.end_sessions(_principal(viewer), user_id)
    return _back(org, "sessions")
