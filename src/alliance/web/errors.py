"""How a page fails: a login page for a missing or expired session, the password page after a reset,
and an error page (in the reader's language, with the status the error class carries) for the rest.

`WebRoute` is the route class of every web router: the API's exception handlers answer JSON, so
the pages catch their errors themselves, here, once. What a viewer may not see is a 404 page, the
same as for something that does not exist (404, never 403).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.routing import APIRoute

from alliance.core.errors import AllianceError, InvalidRequest, RateLimited

log = logging.getLogger(__name__)


class LoginRequired(Exception):
    """No live session: to the login page, and back here after it."""

    def __init__(self, expired: bool) -> None:
        super().__init__("log in first")
        self.expired = expired


class PasswordChangeRequired(Exception):
    """The password was reset: nothing but `/password` until it is changed."""


def _back_to(request: Request) -> str:
    """Where the login page sends the reader back: the page asked for, with its query (a form
    posted after the session ended is not sent again: home, to start over)."""
    if request.method != "GET":
        return "/"
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


class WebRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def page(request: Request) -> Response:
            try:
                return await handle(request)
            except LoginRequired as exc:
                target = f"/login?next={quote(_back_to(request), safe='/')}" + ("&expired=1" if exc.expired else "")
                return RedirectResponse(target, status_code=303)
            except PasswordChangeRequired:
                return RedirectResponse("/password", status_code=303)
            except RequestValidationError as exc:
                first = exc.errors()[0] if exc.errors() else {}
                where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path"))
                return error_page(request, InvalidRequest(f"{where}: {first.get('msg', 'invalid')}"))
            except AllianceError as exc:
                return error_page(request, exc)

        return page


def error_page(request: Request, exc: AllianceError) -> Response:
    from alliance.web.templating import Viewer, render  # the templates import nothing from here

    viewer = request.scope.get("alliance.viewer") or Viewer(None, "")
    page = render(request, "error.html", viewer, exc.status, error=exc, code=exc.status)
    if isinstance(exc, RateLimited):
        page.headers["Retry-After"] = str(max(1, round(exc.retry_after + 0.5)))
    return page
