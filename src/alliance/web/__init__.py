"""The web pages: server-rendered HTML for every role, in the same app as the API.

A thin adapter, like `alliance.api`: each page takes the principal of its session and calls the
services the node builds for it (`node.banks_for(principal)`, ...), so the sharing policy,
404-never-403 and the audit log apply to a page exactly as to the API. It never imports the API
(`make lint` checks it); `alliance.asgi` puts the two together.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from alliance.web import (
    admin,
    alliance_pages,
    alliance_reports,
    audit,
    auth,
    bank_admin,
    banks,
    cases,
    curation,
    home,
    matches,
    notifications,
    organisations,
    platform,
    series,
)
from alliance.web.security import SecurityHeaders

STATIC = Path(__file__).resolve().parent / "static"
PAGES = (
    auth,
    home,
    bank_admin,
    banks,
    curation,
    platform,
    matches,
    admin,
    organisations,
    audit,
    alliance_pages,
    alliance_reports,
    series,
    cases,
    notifications,
)
"""The modules of pages, each with a `router`: a new area is one module and one entry here.
(`bank_admin` before `banks`: its `/banks/new` is not a bank called "new".)"""


def install(app: FastAPI) -> None:
    """Add the pages, their static files and the security headers to the node's app."""
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in PAGES:
        app.include_router(module.router)
    app.add_middleware(SecurityHeaders)
