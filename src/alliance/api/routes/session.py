"""Logging in and out (cookie sessions for the web pages), and `me` for any credential.

A login is the one request that costs the node real work before it knows who sent it (argon2:
64 MB and tens of milliseconds). So failures lock a username and a client address out for longer
and longer (`LoginThrottle`, answered 429 without hashing), at most `login_concurrency` passwords
are checked at once (`LoginSlots`, 503 beyond), and failures are audited once per burst.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from alliance.api import deps
from alliance.api.deps import SESSION_COOKIE, NodeDep, PrincipalDep
from alliance.api.limits import LoginSlots, LoginThrottle, client_of
from alliance.api.schemas import LoginIn, PasswordChangeIn, SessionOut, WhoAmI
from alliance.core.access import ANONYMOUS
from alliance.core.errors import AuthenticationFailed, Overloaded, RateLimited
from alliance.core.names import username_key
from alliance.node import Node
from alliance.services.accounts import IssuedSession
from alliance.services.audit import BurstLog

router = APIRouter(prefix="/v1", tags=["session"])


async def login_flow(request: Request, node: Node, username: str, password: str) -> IssuedSession:
    """A login with the node's throttle, slots and audit: raises as `POST /v1/session` answers.
    Published as `app.state.login` for the web pages."""
    throttle: LoginThrottle = request.app.state.login_throttle
    slots: LoginSlots = request.app.state.login_slots
    client = client_of(request.scope)

    def refused(outcome: str) -> None:
        bursts: BurstLog = request.app.state.bursts
        target = f"user:{username_key(username)}"
        # Failures that reached argon2 per name and address; refusals before it per address alone,
        # so that guessing at many names from one address still writes one event per burst.
        source = f"login:{outcome}:{client}" + (f":{target}" if outcome == "failed" else "")
        bursts.note(source, ANONYMOUS, "session.login", target, outcome, {"client": client})

    async def check(hold: bool) -> None:
        wait = throttle.retry_after(username, client)
        if wait > 0:
            refused("throttled")
            if hold:  # a flood waits for its refusals on its own connections (never in a slot)
                await deps.hold(min(deps.HOLD_SECONDS, wait))
            raise RateLimited(wait)

    await check(hold=True)  # before waiting for a slot: a locked-out name costs no argon2
    try:
        async with slots.hold():
            await check(hold=False)  # again: failures while this one waited may have locked it out
            try:
                issued = await run_in_threadpool(node.accounts.login, username, password)
            except AuthenticationFailed:
                throttle.failed(username, client)
                refused("failed")
                raise
    except Overloaded:
        refused("busy")
        await deps.hold(deps.HOLD_SECONDS)
        raise
    throttle.succeeded(username)
    return issued


@router.post("/session", response_model=SessionOut)
async def login(request: Request, node: NodeDep, body: LoginIn, response: Response) -> SessionOut:
    """Log in with a username and password; sets a session cookie and returns the CSRF token.

    Repeated failures for a username, or from an address, are answered 429 with Retry-After."""
    issued = await login_flow(request, node, body.username, body.password)
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
        must_change_password=issued.must_change_password,
    )


@router.post("/session/password", status_code=204)
def change_password(node: NodeDep, principal: PrincipalDep, body: PasswordChangeIn) -> None:
    """Change your own password (a logged-in person, with the current one); after a reset, the only
    thing the session may do."""
    node.accounts.change_password(principal, body.current_password, body.new_password)


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
