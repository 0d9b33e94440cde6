"""One error body for every failure, `{"error": {"code", "message", "details"}}`, and one status table.

Anything a caller may not see is a 404, never a 403, so that its existence does not leak.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from alliance.core.errors import (
    AllianceError,
    Conflict,
    FormatError,
    HashingError,
    IndexFileError,
    InvalidRequest,
    InvalidSignal,
    NotFound,
    Overloaded,
    Throttled,
)
from alliance.services.accounts import AuthenticationFailed
from alliance.store.db import StoreUnavailable

log = logging.getLogger(__name__)


class RateLimited(AllianceError):
    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many requests; retry in {retry_after:.1f} s")
        self.retry_after = retry_after


class PayloadTooLarge(AllianceError):
    """A request body above the limit."""


class CsrfFailed(AllianceError):
    """A session request that changes something without the session's CSRF token."""


STATUS: list[tuple[type[AllianceError], int]] = [
    (NotFound, 404),
    (AuthenticationFailed, 401),
    (CsrfFailed, 403),
    (Conflict, 409),
    (PayloadTooLarge, 413),
    (InvalidSignal, 422),
    (InvalidRequest, 422),
    (FormatError, 422),
    (HashingError, 422),
    (RateLimited, 429),
    (Throttled, 429),
    (StoreUnavailable, 503),
    (IndexFileError, 503),
    (Overloaded, 503),
]


def status_of(exc: AllianceError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 400)


def code_of(exc: Exception) -> str:
    """`NotFound` -> `not_found`: a stable, machine-readable word."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", type(exc).__name__).lower()


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


AUDITED_HERE = (InvalidSignal, InvalidRequest, FormatError, HashingError, Conflict)
"""Refusals the services do not record themselves (they record not-found and not-allowed)."""


def audit_refusal(request: Request, outcome: str, details: dict[str, Any]) -> None:
    """Put a refused request in the audit log, as whoever the request authenticated as (if anyone)."""
    from alliance.api.deps import identify  # deps imports this module

    node = request.app.state.node
    route = request.scope.get("route")
    target = f"{request.method} {getattr(route, 'path', request.url.path)}"
    try:
        node.audit.record(identify(request, node), "request", target, outcome, details=details)
    except Exception:  # the refusal must still reach the caller if the store is down
        log.exception("could not audit a refused request")


def error_response(exc: AllianceError) -> JSONResponse:
    """The response to an error, for the handler below and for middleware that answers before it."""
    details: dict[str, Any] | None = None
    headers = {}
    if isinstance(exc, HashingError):
        details = {"reason": exc.reason}
    if isinstance(exc, FormatError):
        details = {"where": exc.where}
    if isinstance(exc, RateLimited | Throttled):
        headers["Retry-After"] = str(max(1, round(exc.retry_after + 0.5)))
    if isinstance(exc, Overloaded):
        headers["Retry-After"] = "1"
    if isinstance(exc, AuthenticationFailed):
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(error_body(code_of(exc), str(exc), details), status_of(exc), headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(AllianceError)
    async def alliance_error(request: Request, exc: AllianceError) -> JSONResponse:
        if isinstance(exc, AUDITED_HERE):
            await run_in_threadpool(audit_refusal, request, "invalid", {"code": code_of(exc), "message": str(exc)})
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors()
        ]
        first = problems[0] if problems else {"where": "", "problem": "invalid request"}
        message = f"{first['where']}: {first['problem']}" if first["where"] else first["problem"]
        await run_in_threadpool(audit_refusal, request, "invalid", {"code": "invalid_request", "message": message})
        return JSONResponse(error_body("invalid_request", message, problems), 422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "internal error; the node operator has the details"), 500)
