"""What an error looks like on the wire: `{"error": {"code", "message", "details"}}`, with the status
the error's class carries (`core.errors`). The handlers that send it are in `api.handlers`.

Anything a caller may not see is a 404, never a 403, so that its existence does not leak.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.responses import JSONResponse

from alliance.core.errors import (
    AllianceError,
    AuthenticationFailed,
    FormatError,
    HashingError,
    Overloaded,
    RateLimited,
    Throttled,
)


def code_of(exc: Exception | type[Exception]) -> str:
    """`NotFound` -> `not_found`: a stable, machine-readable word."""
    kind = exc if isinstance(exc, type) else type(exc)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", kind.__name__).lower()


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(exc: AllianceError) -> JSONResponse:
    """The response to an error, for the handlers and for middleware that answers before them."""
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
    return JSONResponse(error_body(code_of(exc), str(exc), details), exc.status, headers)


def error_tree() -> list[type[AllianceError]]:
    """Every class of the tree, base first: what the API may answer with, for its documentation."""
    found: list[type[AllianceError]] = [AllianceError]
    for kind in found:
        found.extend(kind.__subclasses__())
    return found


def documented_errors(first_digit: int) -> str:
    """The `error.code`s a route may answer with whose status starts with `first_digit`, for OpenAPI
    (the base class is never raised itself)."""
    statuses = sorted({(kind.status, code_of(kind)) for kind in error_tree()[1:] if kind.status // 100 == first_digit})
    return ", ".join(f"`{code}` ({status})" for status, code in statuses)
