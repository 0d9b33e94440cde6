"""The menu and the home page's panels, by role: a new area adds its rows here.

Labels are English msgids, marked with `N_` so `make messages` extracts them; templates translate
them when they render.
"""

from __future__ import annotations

from dataclasses import dataclass

from alliance.core.access import Principal, Role
from alliance.node import Node


def N_(message: str) -> str:
    return message


@dataclass(frozen=True, slots=True)
class NavItem:
    href: str
    label: str
    roles: frozenset[Role]  # empty: everyone logged in
    counter: str | None = None  # a key of `nav_counts`: the number shown beside the label

    def current(self, path: str) -> bool:
        return path == self.href if self.href == "/" else path == self.href or path.startswith(self.href + "/")

    def shown_to(self, principal: Principal) -> bool:
        return not self.roles or principal.has(*self.roles)


NAV: list[NavItem] = [
    NavItem("/", N_("Home"), frozenset()),
    NavItem("/review", N_("Review"), frozenset({Role.ANALYST, Role.INVESTIGATOR})),
    NavItem("/banks", N_("Banks"), frozenset({Role.ANALYST, Role.INVESTIGATOR, Role.PLATFORM, Role.ORG_ADMIN})),
    NavItem("/check", N_("Check"), frozenset({Role.PLATFORM, Role.INVESTIGATOR, Role.ANALYST})),
    NavItem("/disputes", N_("Disputes"), frozenset({Role.PLATFORM, Role.INVESTIGATOR})),
    NavItem("/matches", N_("Match history"), frozenset({Role.PLATFORM})),
    NavItem("/cases", N_("Cases"), frozenset({Role.INVESTIGATOR})),
    NavItem("/series", N_("Series"), frozenset({Role.INVESTIGATOR})),
    NavItem("/notifications", N_("Notifications"), frozenset({Role.INVESTIGATOR}), counter="notifications"),
    NavItem("/organisation", N_("Users and keys"), frozenset({Role.ORG_ADMIN, Role.NODE_ADMIN})),
    NavItem("/organisations", N_("Organisations"), frozenset({Role.NODE_ADMIN})),
    NavItem("/audit", N_("Audit log"), frozenset({Role.AUDITOR, Role.NODE_ADMIN})),
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
    Panel("panels/investigations.html", frozenset({Role.INVESTIGATOR})),
    Panel("panels/analyst.html", frozenset({Role.ANALYST, Role.INVESTIGATOR})),
    Panel("panels/platform.html", frozenset({Role.PLATFORM})),
    Panel("panels/admin.html", frozenset({Role.ORG_ADMIN, Role.NODE_ADMIN})),
    Panel("panels/auditor.html", frozenset({Role.AUDITOR, Role.NODE_ADMIN})),
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


def nav_counts(node: Node, principal: Principal | None) -> dict[str, int]:
    """The numbers the menu shows beside a label: an investigator's unread notifications."""
    if principal is None or not principal.has(Role.INVESTIGATOR):
        return {}
    return {"notifications": node.notifier.unread_count(principal)}


def home_panels(principal: Principal) -> list[str]:
    return [panel.template for panel in PANELS if not panel.roles or principal.has(*panel.roles)]


def role_label(role: Role | str) -> str:
    return ROLE_LABELS.get(Role(role), str(role))


LABELS = {
    # bank actions
    "match": N_("match"),
    "read": N_("read"),
    "contribute": N_("contribute"),
    # entry statuses
    "proposed": N_("proposed"),
    "confirmed": N_("confirmed"),
    "disputed": N_("disputed"),
    "quarantined": N_("quarantined"),
    "retired": N_("retired"),
    # queues
    "grading": N_("to grade"),
    "review": N_("graders disagree"),
    "disputes": N_("disputes"),
    "quarantine": N_("quarantine"),
    # age bands
    "infant": N_("infant"),
    "prepubescent": N_("prepubescent"),
    "pubescent": N_("pubescent"),
    "adult": N_("adult"),
    "none": N_("no person"),
    # dispute states
    "open": N_("open"),
    "upheld": N_("upheld: the entry is disputed"),
    "entry_stands": N_("the entry stands"),
    "false_positive": N_("false positive"),
    # victims, series and cases
    "unknown": N_("unknown"),
    "female": N_("female"),
    "male": N_("male"),
    "unidentified": N_("unidentified"),
    "identified": N_("identified"),
    "safeguarded": N_("safeguarded"),
    "same_victim": N_("same victim"),
    "same_place": N_("same place"),
    "closed": N_("closed"),
    # what a deconfliction says of an item
    "victim_identified": N_("victim identified"),
    "other_agency": N_("another agency works this"),
    "own_agency": N_("your agency works this"),
    "known": N_("known"),
}
"""Words the services use as values (statuses, queues, age bands), as msgids to show."""


def label(value: object) -> str:
    text = str(getattr(value, "value", value))
    return LABELS.get(text, text)


def grade_text(grade: dict[str, object] | None) -> str:
    """A grade in a few words (values, not sentences: the template translates the parts it can)."""
    if not grade:
        return "–"
    from alliance.web.i18n import gettext_

    parts = [gettext_(N_("illegal")) if grade.get("illegal") else gettext_(N_("not illegal"))]
    parts.append(gettext_(label(grade.get("age_band", ""))))
    if grade.get("severity"):
        parts.append(gettext_(N_("severity")) + f" {grade['severity']}")
    if grade.get("baseline"):
        parts.append("Baseline")
    return " · ".join(parts)
