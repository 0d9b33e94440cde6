"""Reading an uploaded image from a request: the whole body, or the `file` field of a form.

A platform's upload path sends the bytes as the body (any content type but a form; the bytes
themselves say what they are): nothing to parse, which is a fifth of the server's own work per
upload (docs/decisions/0004-access-and-audit.md). A browser form or `curl -F file=@x.jpg` sends
multipart/form-data, read in memory (see `create_app`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

FIELD = "file"

REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The image (JPEG, PNG, GIF, WebP, BMP or TIFF) as the whole body, or as the `file` "
        "field of a form. Hashed in memory, never stored.",
        "content": {
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {FIELD: {"type": "string", "format": "binary"}},
                    "required": [FIELD],
                }
            },
        },
    }
}
"""The OpenAPI request body of every upload route (`openapi_extra`): the routes declare no body
parameter, so FastAPI neither parses a form nobody sent nor documents one alone."""


def is_form(request: Request) -> bool:
    return request.headers.get("content-type", "").lower().startswith("multipart/form-data")


async def upload_bytes(request: Request) -> tuple[bytes, str]:
    """The uploaded bytes and the name the caller gave them ("upload" for a bare body).

    The body's size was already bounded by `limits.BodyLimit`. A form without a `file` field, or
    with text in it, is refused as any invalid request is (422)."""
    if not is_form(request):
        return await request.body(), "upload"
    try:
        form = await request.form(max_files=1, max_fields=16)
    except HTTPException as exc:  # Starlette's word for a form it cannot parse, or one with two files
        raise _invalid(str(exc.detail)) from None
    try:
        value = form.get(FIELD)
        if not isinstance(value, UploadFile):
            raise _invalid("Field required" if value is None else "Expected a file, not text")
        return await value.read(), value.filename or "upload"
    finally:
        await form.close()


def _invalid(problem: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": ("body", FIELD), "msg": problem, "input": None}])
