"""Logging in and out (cookie sessions for the web pages), and `me` for any credential."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from alliance.api.deps import SESSION_COOKIE, NodeDep, PrincipalDep
from alliance.api.schemas import LoginIn, SessionOut, WhoAmI

router = APIRouter(prefix="/v1", tags=["session"])


@router.post("/session", response_model=SessionOut)
def login(node: NodeDep, body: LoginIn, response: Response) -> SessionOut:
    """Log in with a username and password; sets a session cookie and returns the CSRF token."""
    issued = node.accounts.login(body.username, body.password)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        httponly=True,
        samesite="strict",
        secure=node.settings.secure_cookies,
        expires=issued.expires_at,
    )
    return SessionOut(
        username=issued.principal.name,
        organisation=issued.principal.org_name,
        roles=sorted(issued.principal.roles),
        csrf_token=issued.csrf_token,
    )


@router.delete("/session", status_code=204)
def logout(request: Request, node: NodeDep, principal: PrincipalDep, response: Response) -> None:
    """End the session (needs the CSRF token, like every change)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        node.accounts.logout(token)
    node.audit.record(principal, "session.logout", f"user:{principal.user_id}")
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", response_model=WhoAmI)
def me(principal: PrincipalDep) -> WhoAmI:
    """Who the node thinks you are."""
    return WhoAmI(
        name=principal.name,
        organisation=principal.org_name,
        organisation_id=principal.org_id,
        country=principal.country,
        roles=sorted(principal.roles),
        scopes=sorted(principal.scopes),
    )
