"""Who may do what with the Alliance's records: pure decisions, asked by the service before it acts.

- A country speaks for itself: its commitments, reports, indicator figures and campaigns are
  written by the *drafters* of its organisations, those whose work the targets are about:
  `org_admin`, `analyst` (hotlines, target 4) and `investigator` (police, targets 1 and 2). A
  platform (industry) or an auditor does not speak for a country; the secretariat reviews, it
  does not draft.
- *The secretariat* is not a role alone but the organisation that holds it: users with role
  `secretariat` in the organisation of the current secretariat term. They review and publish
  reports, enter figures for any country (INTERPOL's, say) and record the handover to the next
  holder, after which their rights pass to the new holder's secretariat users.
- Node admins may do everything. Published records are public to every member; drafts are not
  even known to others (the service answers 404).
"""

from __future__ import annotations

from alliance.core.access import Principal, Role, Scope

DRAFTERS = frozenset({Role.ORG_ADMIN, Role.ANALYST, Role.INVESTIGATOR})
"""Roles that write a country's commitments, reports, figures and campaigns (for their own country only)."""


def speaks_for(principal: Principal, country: str) -> bool:
    """A drafter of one of `country`'s organisations (scope aside)."""
    return principal.country == country and principal.has(*DRAFTERS)


def holds_secretariat(principal: Principal, holder_org_id: int | None) -> bool:
    """A secretariat user of the organisation holding the secretariat now, or a node admin."""
    if principal.is_node_admin:
        return True
    return holder_org_id is not None and principal.org_id == holder_org_id and principal.has(Role.SECRETARIAT)


def may_draft(principal: Principal, country: str) -> bool:
    """Write `country`'s commitments, campaigns and report drafts."""
    if not principal.may(Scope.WRITE):
        return False
    return principal.is_node_admin or speaks_for(principal, country)


def may_enter_figures(principal: Principal, country: str, holder_org_id: int | None) -> bool:
    """Enter an indicator value for `country`: the country itself, or the secretariat (figures from INTERPOL)."""
    if not principal.may(Scope.WRITE):
        return False
    return speaks_for(principal, country) or holds_secretariat(principal, holder_org_id)


def may_review(principal: Principal, holder_org_id: int | None) -> bool:
    """Review, return and publish reports; record the handover of the secretariat."""
    return principal.may(Scope.WRITE) and holds_secretariat(principal, holder_org_id)


def may_see_unpublished(principal: Principal, country: str, submitted: bool, holder_org_id: int | None) -> bool:
    """A report not yet published: its country's drafters always; the secretariat once it was submitted."""
    if principal.is_node_admin or speaks_for(principal, country):
        return True
    return submitted and holds_secretariat(principal, holder_org_id)


def may_seed(principal: Principal) -> bool:
    return principal.is_node_admin
