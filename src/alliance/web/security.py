"""What keeps the pages safe in a browser: the security headers, and the CSRF check of every form.

Every response of the node (pages, API, static files) carries the headers: a Content-Security-Policy
that allows scripts, styles and images from the node alone and no inline script, no framing
(`frame-ancestors 'none'`), no referrer to another site, and no content sniffing.

Every form posts a `csrf` field. Logged in, it is the session's CSRF token (the one the login
returned; the store keeps only its hash), kept in an HttpOnly, SameSite=Strict cookie beside the
session so pages can put it in their forms; another site can neither read it nor send the cookies.
Before a login (the login form, the language selector), it is a random token in its own cookie,
checked against the field ("double submit").
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from starlette.datastructures import MutableHeaders

from alliance.core.errors import CsrfFailed

CSRF_COOKIE = "alliance_csrf"
FORM_COOKIE = "alliance_form"
CSRF_FIELD = "csrf"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # for browsers that predate frame-ancestors
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


class SecurityHeaders:
    """Adds `HEADERS` to every HTTP response that does not set them itself."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


def check_form_token(cookie: str | None, sent: str | None) -> None:
    """A form posted before login: its field must match its cookie."""
    if not cookie or not sent or not hmac.compare_digest(cookie, sent):
        raise CsrfFailed("this form has expired or did not come from this site: load the page and send it again")
