"""Dependencies every route declares once: the node, and the principal behind the request.

A request authenticates with an API key (`Authorization: Bearer alk_...` or `X-API-Key`) or with
a session cookie; a session request that changes something must also send the session's CSRF
token in `X-CSRF-Token`. Each caller then spends a token of its rate-limit bucket.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Annotated

import anyio
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from alliance.api.errors import error_response
from alliance.api.limits import ASGIApp, LoginThrottle, Receive, Scope, Send, UploadSlots, client_of
from alliance.api.schemas import control_character
from alliance.core.access import ANONYMOUS, Principal
from alliance.core.errors import AllianceError, AuthenticationFailed, CsrfFailed, InvalidRequest, RateLimited
from alliance.core.rates import TokenBuckets
from alliance.node import Node
from alliance.services.audit import BurstLog

SESSION_COOKIE = "alliance_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WHILE_PASSWORD_RESET = frozenset({("POST", "/v1/session/password"), ("DELETE", "/v1/session"), ("GET", "/v1/me")})
"""What a session whose password was reset may do: change it (or log out, or ask who it is)."""


async def get_node(request: Request) -> Node:
    """Async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request for nothing."""
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


def plain_request(request: Request) -> None:
    """Refuse control characters in the path and query before anything reads them (authentication
    included): NUL breaks PostgreSQL text (a 500), and none belongs in a name or a parameter.
    Audited once per client and burst, since no credential is needed to send one."""
    texts = [request.scope.get("path", ""), *request.query_params.keys(), *request.query_params.values()]
    found = control_character(texts)
    if found:
        message = f"the request's path or query contains a control character ({found})"
        client = client_of(request.scope)
        bursts: BurstLog = request.app.state.bursts
        details = {"code": "invalid_request", "message": message, "client": client}
        bursts.note(f"control:{client}", ANONYMOUS, "request", f"{request.method} (path withheld)", "invalid", details)
        raise InvalidRequest(message)


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


async def authenticate(request: Request) -> Principal:
    """Async so that a request whose key is cached costs no thread hop; anything with I/O goes to a thread.
    (The node comes from the app, not from `NodeDep`: a sub-dependency costs every request.) Once
    per request: `AuthenticateFirst` calls it before the route, which then gets the same principal."""
    principal: Principal | None = request.scope.get("state", {}).get("principal")
    if principal is not None:
        return principal
    node: Node = request.app.state.node
    token = _credential(request)
    principal = node.accounts.authenticate_key_cached(token) if token else None
    if principal is None:
        principal = await _authenticate_or_refuse(request, node, token)
    request.state.principal = principal
    buckets: TokenBuckets = request.app.state.buckets
    caller = caller_of(principal)
    try:
        buckets.take(caller)
    except RateLimited:
        _note_refusal(request, caller, principal, "rate_limit", {})
        raise
    return principal


def caller_of(principal: Principal) -> str:
    """Whose rate limit and upload slots a request uses: its key's, or its user's."""
    return f"key:{principal.key_id}" if principal.key_id is not None else f"user:{principal.user_id}"


async def _authenticate_or_refuse(request: Request, node: Node, token: str | None) -> Principal:
    """The store's answer for a credential not in the cache. An address that keeps failing is
    refused before the store is asked, and its failures are recorded once per burst."""
    client = client_of(request.scope)
    failures: TokenBuckets = request.app.state.anonymous_buckets
    wait = failures.wait(client)
    if wait > 0 and not (token and node.accounts.known_key(token)):  # a known key behind the same address passes
        _note_refusal(request, f"client:{client}", ANONYMOUS, "rate_limit", {"client": client})
        raise RateLimited(wait)
    try:
        if token is None and SESSION_COOKIE not in request.cookies:  # nothing to look up: no thread
            raise AuthenticationFailed("authentication required: send an API key (Authorization: Bearer ...) or log in")
        return await run_in_threadpool(_authenticate, request, node)
    except (AuthenticationFailed, CsrfFailed) as exc:
        with suppress(RateLimited):  # once empty, the next request from there is refused before the store is asked
            failures.take(client)
        prefix = token.split("_")[1][:16] if token and token.count("_") >= 2 else None
        details = {"reason": str(exc), "key_prefix": prefix, "client": client}
        _note_refusal(request, f"client:{client}", ANONYMOUS, "auth", details)
        raise


def _note_refusal(
    request: Request, source: str, principal: Principal, action: str, details: dict[str, str | None]
) -> None:
    """A refusal that floods may repeat: one audit event per source and burst, with a count."""
    bursts: BurstLog = request.app.state.bursts
    bursts.note(f"{action}:{source}", principal, action, f"{request.method} {request.url.path}", "refused", details)


@contextmanager
def upload_turn(request: Request, principal: Principal) -> Iterator[None]:
    """One of the caller's upload slots while an upload is read and hashed, or 429 (`UploadSlots`)."""
    slots: UploadSlots = request.app.state.upload_slots
    caller = caller_of(principal)
    if not slots.free(caller):
        _note_refusal(request, caller, principal, "rate_limit", {"reason": "too many uploads at once"})
        raise RateLimited(1.0)
    with slots.hold(caller):
        yield


HOLD_SECONDS = 1.0
"""How long a refusal of a source that keeps failing is held before it is answered.

A rate-limit refusal before anyone was authenticated (an address locked out of logging in, or out
of failed credentials) is held for a moment, at most its Retry-After: a flood waits for its
answers on its own connections, so 40 connections send 40 requests a second instead of thousands,
and the event loop stays free for everyone else. A sleeping request costs no CPU."""
hold = anyio.sleep  # tests record the holds instead of sleeping


class AuthenticateFirst:
    """Authenticate every /v1 request but a login before the route reads its body.

    FastAPI reads and parses a JSON body before it solves a route's dependencies, so without this
    a caller with no credential could make the node parse 16 MB for nothing. The request here has
    no `receive`: its body cannot be read. Errors are answered as the exception handlers would."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            try:
                plain_request(request)
                if str(scope.get("path", "")).startswith("/v1/"):
                    if _is_login(scope):
                        _check_login_address(request)
                    else:
                        await authenticate(request)
            except AllianceError as exc:
                if isinstance(exc, RateLimited) and scope.get("state", {}).get("principal") is None:
                    await hold(min(HOLD_SECONDS, exc.retry_after))
                await error_response(exc)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _check_login_address(request: Request) -> None:
    """A login from an address locked out for failures is refused before its body is read and
    parsed: under a flood from one address, the refusal is most of the work."""
    throttle: LoginThrottle = request.app.state.login_throttle
    client = client_of(request.scope)
    wait = throttle.client_retry_after(client)
    if wait > 0:
        bursts: BurstLog = request.app.state.bursts
        bursts.note(
            f"login:throttled:{client}", ANONYMOUS, "session.login", f"client:{client}", "throttled", {"client": client}
        )
        raise RateLimited(wait)


def _is_login(scope: Scope) -> bool:
    return scope.get("path") == "/v1/session" and scope.get("method") == "POST"


def identify(request: Request, node: Node) -> Principal:
    """Who sent a request that failed before authentication ran (malformed JSON, say), for the audit log."""
    principal = getattr(request.state, "principal", None)
    if principal is not None:
        return principal  # type: ignore[no-any-return]
    try:
        token = _credential(request)
        if token:
            return node.accounts.authenticate_key(token)
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            return node.accounts.session(session)[0]
    except AuthenticationFailed:
        pass
    return ANONYMOUS


def _authenticate(request: Request, node: Node) -> Principal:
    token = _credential(request)
    if token:
        return node.accounts.authenticate_key(token)
    session = request.cookies.get(SESSION_COOKIE)
    if session:
        live = node.accounts.live_session(session)
        sent = request.headers.get("x-csrf-token", "")
        if request.method not in SAFE_METHODS and not node.accounts.csrf_matches(live.csrf_hash, sent):
            raise CsrfFailed("this request needs the session's CSRF token in the X-CSRF-Token header")
        if live.must_change_password and (request.method, request.url.path) not in WHILE_PASSWORD_RESET:
            raise AuthenticationFailed("your password was reset: change it first (POST /v1/session/password)")
        return live.principal
    raise AuthenticationFailed("authentication required: send an API key (Authorization: Bearer ...) or log in")


PrincipalDep = Annotated[Principal, Depends(authenticate)]
