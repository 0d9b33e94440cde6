"""The menu and the home page's panels, by role: a new area adds its rows here.

Labels are English msgids, marked with `N_` so `make messages` extracts them; templates translate
them when they render.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliance.core.access import Principal, Role


def N_(message: str) -> str:
    return message


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str
    roles: frozenset[Role]  # empty: everyone logged in

    def current(self, path: str) -> bool:
        return path == self.href if self.href == "/" else path == self.href or path.startswith(self.href + "/")

    def shown_to(self, principal: Principal) -> bool:
        return not self.roles or principal.has(*self.roles)


NAV: list[NavItem] = [
    NavItem("/", N_("Home"), frozenset()),
    NavItem("/alliance/members", N_("Members"), frozenset()),
    NavItem("/alliance/campaigns", N_("Campaigns"), frozenset()),
    NavItem("/alliance/review", N_("Review"), frozenset({Role.SECRETARIAT, Role.NODE_ADMIN})),
    NavItem("/alliance/report", N_("Alliance report"), frozenset()),
]


@dataclass(frozen=True, slots=True)
class Panel:
    """A panel of the home page: its template (under `templates/panels/`) and who sees it."""

    template: str
    roles: frozenset[Role]


PANELS: list[Panel] = [
    Panel("panels/alliance_secretariat.html", frozenset({Role.SECRETARIAT})),
    Panel("panels/alliance_country.html", frozenset({Role.ORG_ADMIN, Role.ANALYST, Role.INVESTIGATOR})),
    Panel("panels/account.html", frozenset()),
]

ROLE_LABELS = {
    Role.NODE_ADMIN: N_("node admin"),
    Role.ORG_ADMIN: N_("organisation admin"),
    Role.ANALYST: N_("analyst"),
    Role.INVESTIGATOR: N_("investigator"),
    Role.PLATFORM: N_("platform"),
    Role.SECRETARIAT: N_("secretariat"),
    Role.AUDITOR: N_("auditor"),
}


def navigation(principal: Principal) -> list[NavItem]:
    return [item for item in NAV if item.shown_to(principal)]


def home_panels(principal: Principal) -> list[str]:
    return [panel.template for panel in PANELS if not panel.roles or principal.has(*panel.roles)]


def role_label(role: Role | str) -> str:
    return ROLE_LABELS.get(Role(role), str(role))
