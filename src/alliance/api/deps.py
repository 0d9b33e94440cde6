"""Dependencies every route declares once: the node, and the principal behind the request.

A request authenticates with an API key (`Authorization: Bearer alk_...` or `X-API-Key`) or with
a session cookie; a session request that changes something must also send the session's CSRF
token in `X-CSRF-Token`. Each caller then spends a token of its rate-limit bucket.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from alliance.api.errors import CsrfFailed, RateLimited
from alliance.api.limits import TokenBuckets
from alliance.api.schemas import control_character
from alliance.core.access import Principal
from alliance.core.errors import InvalidRequest
from alliance.node import Node
from alliance.services.accounts import AuthenticationFailed

SESSION_COOKIE = "alliance_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
ANONYMOUS = Principal(0, "anonymous", "ZZ", frozenset(), frozenset(), name="anonymous")


async def get_node(request: Request) -> Node:
    """Async: FastAPI runs a plain `def` dependency in a worker thread, a hop per request for nothing."""
    node: Node = request.app.state.node
    return node


NodeDep = Annotated[Node, Depends(get_node)]


async def plain_request(request: Request) -> None:
    """Refuse control characters in the path and query before anything reads them (authentication
    included): NUL breaks PostgreSQL text (a 500), and none belongs in a name or a parameter."""
    texts = [request.scope.get("path", ""), *request.query_params.keys(), *request.query_params.values()]
    found = control_character(texts)
    if found:
        raise InvalidRequest(f"the request's path or query contains a control character ({found})")


def _credential(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.headers.get("x-api-key")


async def authenticate(request: Request) -> Principal:
    """Async so that a request whose key is cached costs no thread hop; anything with I/O goes to a thread.
    (The node comes from the app, not from `NodeDep`: a sub-dependency costs every request.)"""
    node: Node = request.app.state.node
    token = _credential(request)
    principal = node.accounts.authenticate_key_cached(token) if token else None
    if principal is None:
        principal = await run_in_threadpool(_authenticate_or_audit, request, node)
    request.state.principal = principal
    buckets: TokenBuckets = request.app.state.buckets
    caller = f"key:{principal.key_id}" if principal.key_id is not None else f"user:{principal.user_id}"
    try:
        buckets.take(caller)
    except RateLimited:
        if buckets.first_refusal_in_a_while(caller):  # one audit event per burst, not one per request
            target = f"{request.method} {request.url.path}"
            await run_in_threadpool(node.audit.record, principal, "rate_limit", target, "refused")
        raise
    return principal


def _authenticate_or_audit(request: Request, node: Node) -> Principal:
    try:
        return _authenticate(request, node)
    except (AuthenticationFailed, CsrfFailed) as exc:
        token = _credential(request) or ""
        node.audit.record(
            ANONYMOUS,
            "auth",
            f"{request.method} {request.url.path}",
            "refused",
            details={"reason": str(exc), "key_prefix": token.split("_")[1][:16] if token.count("_") >= 2 else None},
        )
        raise


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
        principal, csrf_hash = node.accounts.session(session)
        sent = request.headers.get("x-csrf-token", "")
        if request.method not in SAFE_METHODS and not node.accounts.csrf_matches(csrf_hash, sent):
            raise CsrfFailed("this request needs the session's CSRF token in the X-CSRF-Token header")
        return principal
    raise AuthenticationFailed("authentication required: send an API key (Authorization: Bearer ...) or log in")


PrincipalDep = Annotated[Principal, Depends(authenticate)]
