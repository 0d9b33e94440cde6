"""Rendering a page: one Jinja2 environment (autoescaped, with Babel's gettext), and the context
every page gets (who is logged in, the CSRF token for its forms, the language and its direction)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from alliance import __version__
from alliance.core.access import BankAction, Principal, Role
from alliance.web import i18n, nav
from alliance.web.security import FORM_COOKIE

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True, slots=True)
class Viewer:
    """Who is looking at a page: the logged-in principal and the token their forms carry."""

    principal: Principal | None
    csrf: str
    must_change_password: bool = False

    def has(self, *roles: Role) -> bool:
        return self.principal is not None and self.principal.has(*roles)


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,  # a misspelt name fails the page's test instead of rendering blank
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext_, i18n.ngettext_, newstyle=True)  # type: ignore[attr-defined]
    env.filters["number"] = i18n.number
    env.filters["when"] = i18n.when
    env.filters["day"] = i18n.day
    env.globals["Role"] = Role
    env.globals["navigation"] = nav.navigation
    env.globals["home_panels"] = nav.home_panels
    env.globals["role_label"] = nav.role_label
    for name in ("action_label", "status_label", "queue_label", "age_label"):
        env.globals[name] = nav.label
    env.globals["grade_text"] = nav.grade_text
    env.globals["all_actions"] = list(BankAction)
    env.globals["version"] = __version__
    return env


ENV = _environment()


def language_of(request: Request) -> str:
    language: str = request.scope.setdefault(
        "alliance.language",
        i18n.choose_language(request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")),
    )
    return language


def render(request: Request, template: str, viewer: Viewer, status: int = 200, /, **context: Any) -> HTMLResponse:
    """The page `template` in the reader's language, with the context every page gets."""
    language = language_of(request)
    # The menu's numbers; not on a server error's page, which may be answering for a store that is down.
    counts = nav.nav_counts(request.app.state.node, viewer.principal) if status < 500 else {}
    token = i18n.current_language.set(language)
    try:
        html = ENV.get_template(template).render(
            request=request,
            path=request.url.path,
            here=request.url.path + (f"?{request.url.query}" if request.url.query else ""),
            viewer=viewer,
            principal=viewer.principal,
            csrf=viewer.csrf,
            language=language,
            direction=i18n.direction(language),
            languages=[(code, i18n.language_name(code)) for code in i18n.languages()],
            nav_counts=counts,
            **context,
        )
    finally:
        i18n.current_language.reset(token)
    response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
    new_token = request.scope.get("alliance.form_token")
    if new_token is not None:  # a first visit before login: the token its forms carry (`auth.anonymous`)
        response.set_cookie(FORM_COOKIE, new_token, httponly=True, samesite="strict", secure=_secure(request))
    return response


def _secure(request: Request) -> bool:
    return bool(request.app.state.node.settings.secure_cookies)


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


Row = TypeVar("Row", bound=_HasId)


def page_of(rows: Sequence[Row], size: int) -> tuple[list[Row], int | None]:
    """The first `size` rows, and the id to page on from (`?after=`, `pager.html`), or None when
    nothing follows: callers ask for `size + 1` rows to know."""
    shown = list(rows[:size])
    return shown, (shown[-1].id if len(rows) > size else None)
