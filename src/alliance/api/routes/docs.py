"""`/docs`: the Swagger UI, served by the node itself so that it works without internet.

FastAPI's own page loads its scripts from a CDN: blank offline, and a third party would see who
reads the documentation. The assets come from the `swagger-ui-bundle-v2` package (Apache-2.0, its
licence in the package's metadata); the page and its initializer are ours, with no inline script,
so the node's Content-Security-Policy holds here too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)
HERE = Path(__file__).resolve().parents[1] / "static"

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - API documentation</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<main id="swagger-ui"></main>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/static/swagger-init.js"></script>
</body>
</html>
"""

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key (`alk_...`), as `Authorization: Bearer alk_...`.",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key", "description": "The same API key, by header."},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "alliance_session",
        "description": "The session cookie of a login (`POST /v1/session`, or the web page `/login`).",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRF-Token",
        "description": "With a session: the CSRF token the login returned, on every request that changes something.",
    },
}
"""How a caller authenticates, so that Swagger UI's "Authorize" sends it."""


@router.get("/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(PAGE.format(title="Alliance node"))


def install(app: FastAPI) -> None:
    """The page, its assets, and an OpenAPI document that declares the security schemes."""
    app.include_router(router)
    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="swagger-ui")
    app.mount("/docs/static", StaticFiles(directory=str(HERE)), name="docs-static")
    plain = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = plain()
            schema.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
            # Any one of: a key (either header), or a session cookie with its CSRF token.
            schema["security"] = [{"bearer": []}, {"apiKey": []}, {"session": [], "csrf": []}]
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
