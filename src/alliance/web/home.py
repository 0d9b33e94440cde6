"""The home page: what the viewer's roles need first, one panel per role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from alliance.web.auth import ViewerDep
from alliance.web.errors import WebRoute
from alliance.web.templating import render

router = APIRouter(route_class=WebRoute, include_in_schema=False)

NOTICES = frozenset({"password_changed"})
"""The notices a redirect may ask the home page to show (a fixed list: no text comes from the URL)."""


@router.get("/")
def home(request: Request, viewer: ViewerDep, notice: str | None = None) -> Response:
    return render(request, "home.html", viewer, notice=notice if notice in NOTICES else None)
