"""Who is looking at a page: the session behind it, its CSRF token, and the pages that log in and out.

Logged in through the same sessions as the API (`POST /v1/session`): the login runs the API's flow
(throttle, slots, audit; published as `app.state.login`, since adapters do not import each other),
and a page gets the same principal a `/v1` request with that cookie would. An expired session goes
back to the login page; a session whose password was reset reaches nothing but `/password`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Protocol
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from alliance.core.access import ANONYMOUS
from alliance.core.errors import (
    AllianceError,
    AuthenticationFailed,
    CsrfFailed,
    InvalidRequest,
    Overloaded,
    RateLimited,
)
from alliance.core.rates import TokenBuckets
from alliance.node import Node
from alliance.services.accounts import IssuedSession
from alliance.services.audit import BurstLog
from alliance.web import i18n
from alliance.web.errors import LoginRequired, PasswordChangeRequired, WebRoute
from alliance.web.nav import N_
from alliance.web.security import CSRF_COOKIE, CSRF_FIELD, FORM_COOKIE, check_form_token, new_form_token
from alliance.web.templating import Viewer, render

SESSION_COOKIE = "alliance_session"  # the API's cookie: one session for pages and /v1
SAFE_METHODS = frozenset({"GET", "HEAD"})
PASSWORD_PAGES = frozenset({"/password", "/logout", "/language"})
"""What a session whose password was reset may open: the change of password, logging out, the language."""


class LoginFlow(Protocol):
    async def __call__(self, request: Request, node: Node, username: str, password: str) -> IssuedSession: ...


def node_of(request: Request) -> Node:
    node: Node = request.app.state.node
    return node


async def viewer(request: Request) -> Viewer:
    """The logged-in viewer of a page (a `LoginRequired` redirect otherwise); on a form's POST, its
    `csrf` field must be the session's token."""
    node = node_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired(expired=False)
    try:
        live = await run_in_threadpool(node.accounts.live_session, token)
    except AuthenticationFailed:
        raise LoginRequired(expired=True) from None
    csrf = request.cookies.get(CSRF_COOKIE, "")
    if not node.accounts.csrf_matches(live.csrf_hash, csrf):
        raise LoginRequired(expired=False)  # a session from the API, without the pages' token: log in here
    buckets: TokenBuckets = request.app.state.buckets
    caller = f"user:{live.principal.user_id}"
    buckets.take(caller)  # the same rate limit as the user's API requests
    if request.method not in SAFE_METHODS:
        form = await request.form()
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not node.accounts.csrf_matches(live.csrf_hash, sent):
            bursts: BurstLog = request.app.state.bursts
            target = f"{request.method} {request.url.path}"
            bursts.note(f"csrf:{caller}", live.principal, "request", target, "refused", {"reason": "csrf"})
            raise CsrfFailed("this form did not carry the page's token: load the page and send it again")
    if live.must_change_password and request.url.path not in PASSWORD_PAGES:
        raise PasswordChangeRequired
    seen = Viewer(live.principal, csrf, live.must_change_password)
    request.scope["alliance.viewer"] = seen  # for an error page raised later in the route
    return seen


ViewerDep = Annotated[Viewer, Depends(viewer)]


def anonymous(request: Request) -> Viewer:
    """A viewer before login: its forms carry the token of the `alliance_form` cookie (set by `render`)."""
    token = request.cookies.get(FORM_COOKIE) or request.scope.setdefault("alliance.form_token", new_form_token())
    return Viewer(None, token)


def safe_next(target: str | None) -> str:
    """Where to go after a login: a path on this node only (never `//elsewhere` or a full URL)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


router = APIRouter(route_class=WebRoute, include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str = "/", expired: bool = False, bye: bool = False) -> Response:
    notice = "expired" if expired else ("bye" if bye else None)
    return render(request, "login.html", anonymous(request), next=safe_next(next), notice=notice, error=None)


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)],
    password: Annotated[str, Form(max_length=1000)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_form_token(request.cookies.get(FORM_COOKIE), csrf)
    flow: LoginFlow = request.app.state.login
    try:
        issued = await flow(request, node_of(request), username, password)
    except (AuthenticationFailed, RateLimited, Overloaded) as exc:
        error = _login_error(exc)
        page = render(
            request, "login.html", anonymous(request), exc.status, next=safe_next(next), notice=None, error=error
        )
        if isinstance(exc, RateLimited):
            page.headers["Retry-After"] = str(max(1, round(exc.retry_after + 0.5)))
        return page
    target = "/password" if issued.must_change_password else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    _set_session(response, request, issued.token, issued.csrf_token, issued.expires_at)
    return response


def _login_error(exc: AllianceError) -> str:
    """A msgid: the template translates it."""
    if isinstance(exc, RateLimited):
        return N_("Too many failed logins: wait a little and try again.")
    if isinstance(exc, Overloaded):
        return N_("The node is busy: try again in a moment.")
    return N_("Wrong username or password.")


COOKIE_OUTLIVES_SESSION = timedelta(days=1)
"""The browser keeps the cookies a day past the session, so that a page opened after the session
expired says so ("Your session has ended") instead of showing a bare login page; the node refuses
the token by then (`live_session`), so the day gives nothing to whoever holds it."""


def _set_session(response: Response, request: Request, token: str, csrf: str, expires: datetime) -> None:
    secure = node_of(request).settings.secure_cookies
    until = expires + COOKIE_OUTLIVES_SESSION
    for name, value in ((SESSION_COOKIE, token), (CSRF_COOKIE, csrf)):
        response.set_cookie(name, value, httponly=True, samesite="strict", secure=secure, expires=until)


@router.post("/logout")
def logout(request: Request, viewer: ViewerDep) -> Response:
    node = node_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        node.accounts.logout(token)
    principal = viewer.principal or ANONYMOUS
    node.audit.record(principal, "session.logout", f"user:{principal.user_id}")
    response = RedirectResponse("/login?bye=1", status_code=303)
    for name in (SESSION_COOKIE, CSRF_COOKIE):
        response.delete_cookie(name)
    return response


@router.get("/password")
def password_page(request: Request, viewer: ViewerDep) -> Response:
    return render(request, "password.html", viewer, error=None)


@router.post("/password")
def change_password(
    request: Request,
    viewer: ViewerDep,
    current: Annotated[str, Form(max_length=1000)],
    new: Annotated[str, Form(max_length=1000)],
    repeat: Annotated[str, Form(max_length=1000)],
) -> Response:
    node = node_of(request)
    assert viewer.principal is not None
    try:
        if new != repeat:
            raise InvalidRequest(N_("The two new passwords differ."))
        node.accounts.change_password(viewer.principal, current, new)
    except (AuthenticationFailed, InvalidRequest) as exc:
        return render(request, "password.html", viewer, 422, error=str(exc))
    return RedirectResponse("/?notice=password_changed", status_code=303)


@router.post("/language")
def choose_language(
    request: Request,
    language: Annotated[str, Form(max_length=20)],
    csrf: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Remember the reader's language (a cookie for a year). Before login too, so the token is the
    form cookie's or the session's."""
    node = node_of(request)
    session_csrf = request.cookies.get(CSRF_COOKIE)
    check_form_token(session_csrf if session_csrf and session_csrf == csrf else request.cookies.get(FORM_COOKIE), csrf)
    if language not in i18n.languages():
        raise InvalidRequest(f"no catalogue for language {language!r}")
    response = RedirectResponse(safe_next(next), status_code=303)
    secure = node.settings.secure_cookies
    response.set_cookie(i18n.LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", secure=secure)
    return response
