"""The exception handlers: every failure answered with the one error body (`api.errors`), and the
refusals the services do not record themselves put in the audit log."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from alliance.api.deps import identify
from alliance.api.errors import code_of, error_body, error_response
from alliance.core.errors import AllianceError, Conflict, FormatError, HashingError, InvalidRequest, InvalidSignal

log = logging.getLogger(__name__)

AUDITED_HERE = (InvalidSignal, InvalidRequest, FormatError, HashingError, Conflict)
"""Refusals the services do not record themselves (they record not-found and not-allowed)."""


def audit_refusal(request: Request, outcome: str, details: dict[str, Any]) -> None:
    """Put a refused request in the audit log, as whoever the request authenticated as (if anyone)."""
    node = request.app.state.node
    route = request.scope.get("route")
    target = f"{request.method} {getattr(route, 'path', request.url.path)}"
    try:
        node.audit.record(identify(request, node), "request", target, outcome, details=details)
    except Exception:  # the refusal must still reach the caller if the store is down
        log.exception("could not audit a refused request")


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
        return JSONResponse(error_body("invalid_request", message, problems), InvalidRequest.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_body(code, str(exc.detail)), exc.status_code, getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(error_body("internal_error", "internal error; the node operator has the details"), 500)
