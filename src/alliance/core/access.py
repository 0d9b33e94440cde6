"""Who may do what: roles, the principal behind a request, and each bank's sharing policy.

Hash lists are sensitive (hashes can be partly inverted, and used to test evasion), so every
read and write is decided here, in the core, and the services ask before acting. A bank a caller
may neither match, read nor contribute to does not exist for that caller: services answer
`NotFound`, never "forbidden", so its existence does not leak.

A principal's rights are the intersection of three things: the roles of the user or key (what
kind of work they do), the key's scopes (what this particular credential was issued for), and
the bank's policy (which organisations, countries and roles the owner shares with).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from alliance.core.errors import InvalidRequest


class Role(StrEnum):
    NODE_ADMIN = "node_admin"  # runs the node: every organisation, every bank
    ORG_ADMIN = "org_admin"  # manages its organisation's users, keys and banks
    ANALYST = "analyst"  # hotline: grades and curates banks
    INVESTIGATOR = "investigator"  # police: matches, reads and contributes as banks allow
    PLATFORM = "platform"  # industry: matches uploads
    SECRETARIAT = "secretariat"  # the Alliance's secretariat: reports and indicators
    AUDITOR = "auditor"  # reads the audit log


class OrgKind(StrEnum):
    """What kind of body an organisation is; it bounds the roles its people and keys may hold."""

    NODE_OPERATOR = "node_operator"  # runs the node
    HOTLINE = "hotline"
    LAW_ENFORCEMENT = "law_enforcement"
    PLATFORM = "platform"  # industry: an online service that checks uploads
    SECRETARIAT = "secretariat"  # may hold the Alliance's secretariat
    GOVERNMENT = "government"  # a ministry: speaks for its country in the Alliance's record
    NGO = "ngo"  # awareness and child-protection work
    UNCLASSIFIED = "unclassified"  # from before kinds: keeps the roles it held until the node admin decides


KIND_ROLES: dict[OrgKind, frozenset[Role]] = {
    OrgKind.NODE_OPERATOR: frozenset({Role.NODE_ADMIN, Role.ORG_ADMIN, Role.AUDITOR}),
    OrgKind.HOTLINE: frozenset({Role.ORG_ADMIN, Role.ANALYST, Role.AUDITOR}),
    OrgKind.LAW_ENFORCEMENT: frozenset({Role.ORG_ADMIN, Role.INVESTIGATOR, Role.ANALYST, Role.AUDITOR}),
    OrgKind.PLATFORM: frozenset({Role.ORG_ADMIN, Role.PLATFORM, Role.AUDITOR}),
    OrgKind.SECRETARIAT: frozenset({Role.ORG_ADMIN, Role.SECRETARIAT, Role.AUDITOR}),
    OrgKind.GOVERNMENT: frozenset({Role.ORG_ADMIN, Role.AUDITOR}),
    OrgKind.NGO: frozenset({Role.ORG_ADMIN, Role.AUDITOR}),
    OrgKind.UNCLASSIFIED: frozenset(),
}
"""The roles an organisation of each kind holds unless the node admin sets its own list."""


def allowed_roles_for(kind: OrgKind, requested: Iterable[Role] | None = None) -> frozenset[Role]:
    """The roles an organisation of `kind` may hold: its kind's, or the node admin's own list.

    Only the node operator's organisation may hold `node_admin`: whoever holds it holds the node.
    """
    roles = KIND_ROLES[kind] if requested is None else frozenset(requested)
    if Role.NODE_ADMIN in roles and kind is not OrgKind.NODE_OPERATOR:
        raise InvalidRequest("only a node_operator organisation may hold the role node_admin")
    return roles


class BankAction(StrEnum):
    MATCH = "match"  # learn whether media match the bank (the widest right)
    READ = "read"  # read the bank's entries, hashes included
    CONTRIBUTE = "contribute"  # add entries


class Scope(StrEnum):
    """What one API key was issued for; a key can do no more than its scopes and its roles allow."""

    HASH = "hash"
    MATCH = "match"
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"
    AUDIT = "audit"


ALL_SCOPES = frozenset(Scope)

ROLE_BANK_ACTIONS: dict[Role, frozenset[BankAction]] = {
    Role.NODE_ADMIN: frozenset(BankAction),
    Role.ORG_ADMIN: frozenset(BankAction),
    Role.ANALYST: frozenset(BankAction),
    Role.INVESTIGATOR: frozenset(BankAction),
    Role.PLATFORM: frozenset({BankAction.MATCH}),
    Role.SECRETARIAT: frozenset(),
    Role.AUDITOR: frozenset(),
}
"""What each kind of work may ever do with a bank; a bank's policy narrows it further."""

SCOPE_OF_ACTION = {BankAction.MATCH: Scope.MATCH, BankAction.READ: Scope.READ, BankAction.CONTRIBUTE: Scope.WRITE}

BANK_CREATORS = frozenset({Role.NODE_ADMIN, Role.ORG_ADMIN, Role.ANALYST})


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is asking: an organisation member acting through a user session or an API key."""

    org_id: int
    org_name: str
    country: str
    roles: frozenset[Role]
    scopes: frozenset[Scope] = ALL_SCOPES
    user_id: int | None = None
    key_id: int | None = None
    name: str = ""
    person: str | None = None
    """The username of the person acting: the session's user, or the user a key acts for. Grades
    belong to people, so a principal without one (a machine's key, the CLI) cannot grade."""

    def has(self, *roles: Role) -> bool:
        return bool(self.roles & set(roles))

    def may(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def is_node_admin(self) -> bool:
        return Role.NODE_ADMIN in self.roles and Scope.ADMIN in self.scopes


@dataclass(frozen=True, slots=True)
class ShareRule:
    """Grants an action to organisations (by id) or whole countries, optionally only some roles."""

    orgs: frozenset[int] = frozenset()
    countries: frozenset[str] = frozenset()
    roles: frozenset[Role] = frozenset()

    def admits(self, principal: Principal) -> bool:
        listed = principal.org_id in self.orgs or principal.country in self.countries
        return listed and (not self.roles or bool(self.roles & principal.roles))

    def to_json(self) -> dict[str, list[Any]]:
        return {"orgs": sorted(self.orgs), "countries": sorted(self.countries), "roles": sorted(self.roles)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ShareRule:
        unknown = set(data) - {"orgs", "countries", "roles"}
        if unknown:
            raise InvalidRequest(f"unknown field in sharing rule: {sorted(unknown)[0]}")
        try:
            orgs = frozenset(int(o) for o in data.get("orgs", []))
            countries = frozenset(_country(c) for c in data.get("countries", []))
            roles = frozenset(Role(r) for r in data.get("roles", []))
        except (TypeError, ValueError) as exc:
            raise InvalidRequest(f"invalid sharing rule: {exc}") from exc
        return cls(orgs, countries, roles)


@dataclass(frozen=True, slots=True)
class SharingPolicy:
    """Per action, who besides the owner may do it. The default shares nothing."""

    rules: dict[BankAction, ShareRule] = field(default_factory=dict)

    def rule(self, action: BankAction) -> ShareRule:
        return self.rules.get(action, ShareRule())

    def to_json(self) -> dict[str, Any]:
        return {action.value: self.rule(action).to_json() for action in BankAction}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> SharingPolicy:
        if not data:
            return cls()
        if not isinstance(data, dict):
            raise InvalidRequest("a sharing policy is an object with keys match, read, contribute")
        unknown = set(data) - {a.value for a in BankAction}
        if unknown:
            raise InvalidRequest(f"unknown action in sharing policy: {sorted(unknown)[0]}")
        return cls({BankAction(k): ShareRule.from_json(v or {}) for k, v in data.items()})


def may_act_on_bank(principal: Principal, action: BankAction, owner_org_id: int, policy: SharingPolicy) -> bool:
    """The one decision every bank operation goes through."""
    if not principal.may(SCOPE_OF_ACTION[action]):
        return False
    if principal.is_node_admin:
        return True
    if not any(action in ROLE_BANK_ACTIONS[role] for role in principal.roles):
        return False
    if principal.org_id == owner_org_id:
        return True
    return policy.rule(action).admits(principal)


def visible_actions(principal: Principal, owner_org_id: int, policy: SharingPolicy) -> frozenset[BankAction]:
    return frozenset(a for a in BankAction if may_act_on_bank(principal, a, owner_org_id, policy))


def may_create_bank(principal: Principal, owner_org_id: int) -> bool:
    if not principal.may(Scope.WRITE):
        return False
    if principal.is_node_admin:
        return True
    return principal.org_id == owner_org_id and principal.has(*BANK_CREATORS)


def may_administer_org(principal: Principal, org_id: int) -> bool:
    """Manage users and keys of an organisation."""
    if not principal.may(Scope.ADMIN):
        return False
    return principal.is_node_admin or (principal.org_id == org_id and principal.has(Role.ORG_ADMIN))


def may_read_audit(principal: Principal) -> bool:
    return principal.may(Scope.AUDIT) and principal.has(Role.AUDITOR, Role.NODE_ADMIN)


def grantable_roles(principal: Principal, org_id: int, org_allows: frozenset[Role]) -> frozenset[Role]:
    """Roles `principal` may give a user or key of organisation `org_id`, which may hold `org_allows`.

    Never a role outside what the organisation may hold (the node admin sets that), and never one
    the granter does not hold itself: an org admin delegates its own powers, it cannot mint others.
    The node admin is the exception, since it decides what organisations hold.
    """
    if principal.is_node_admin:
        return org_allows
    if principal.org_id == org_id and principal.has(Role.ORG_ADMIN):
        return org_allows & principal.roles
    return frozenset()


def grantable_scopes(principal: Principal) -> frozenset[Scope]:
    """A key never carries a scope its creator's credential lacks."""
    return principal.scopes


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    try:
        return frozenset(Role(v) for v in values)
    except ValueError as exc:
        raise InvalidRequest(f"{exc}; roles are {', '.join(r.value for r in Role)}") from exc


def _country(code: object) -> str:
    text = str(code).strip().upper()
    if len(text) != 2 or not text.isalpha():
        raise ValueError(f"{code!r} is not an ISO 3166 alpha-2 country code")
    return text


SYSTEM = Principal(0, "node operator (CLI)", "ZZ", frozenset({Role.NODE_ADMIN}), ALL_SCOPES, name="cli")
"""The operator at the node's own command line: trusted like a node admin, recorded as 'cli'."""

ANONYMOUS = Principal(0, "anonymous", "ZZ", frozenset(), frozenset(), name="anonymous")
"""Whoever sent a request that no credential backs: recorded as 'anonymous' when it is refused."""
