"""The access rules: roles x scopes x bank policy."""

import pytest

from alliance.core.access import (
    ALL_SCOPES,
    KIND_ROLES,
    BankAction,
    OrgKind,
    Principal,
    Role,
    Scope,
    ShareRule,
    SharingPolicy,
    allowed_roles_for,
    grantable_roles,
    grantable_scopes,
    may_act_on_bank,
    may_administer_org,
    may_create_bank,
    may_read_audit,
)
from alliance.core.errors import InvalidRequest

OWNER, OTHER = 1, 2


def who(*roles: Role, org: int = OWNER, country: str = "GB", scopes=ALL_SCOPES) -> Principal:
    return Principal(org, f"org{org}", country, frozenset(roles), frozenset(scopes))


PRIVATE = SharingPolicy()
SHARED_MATCH_DE = SharingPolicy({BankAction.MATCH: ShareRule(countries=frozenset({"DE"}))})
SHARED_READ_ORG2_INVESTIGATORS = SharingPolicy(
    {BankAction.READ: ShareRule(orgs=frozenset({OTHER}), roles=frozenset({Role.INVESTIGATOR}))}
)


@pytest.mark.parametrize(
    ("principal", "action", "policy", "allowed"),
    [
        (who(Role.ANALYST), BankAction.READ, PRIVATE, True),
        (who(Role.PLATFORM), BankAction.MATCH, PRIVATE, True),
        (who(Role.PLATFORM), BankAction.READ, PRIVATE, False),  # platforms only ever match
        (who(Role.SECRETARIAT), BankAction.MATCH, PRIVATE, False),
        (who(Role.PLATFORM, org=OTHER), BankAction.MATCH, PRIVATE, False),
        (who(Role.PLATFORM, org=OTHER, country="DE"), BankAction.MATCH, SHARED_MATCH_DE, True),
        (who(Role.PLATFORM, org=OTHER, country="FR"), BankAction.MATCH, SHARED_MATCH_DE, False),
        (who(Role.INVESTIGATOR, org=OTHER), BankAction.READ, SHARED_READ_ORG2_INVESTIGATORS, True),
        (who(Role.ANALYST, org=OTHER), BankAction.READ, SHARED_READ_ORG2_INVESTIGATORS, False),
        (who(Role.INVESTIGATOR, org=OTHER), BankAction.MATCH, SHARED_READ_ORG2_INVESTIGATORS, False),
        (who(Role.NODE_ADMIN, org=OTHER), BankAction.READ, PRIVATE, True),
        (who(Role.ANALYST, scopes={Scope.MATCH}), BankAction.READ, PRIVATE, False),  # the key's scope limits
        (who(Role.NODE_ADMIN, org=OTHER, scopes={Scope.READ}), BankAction.READ, PRIVATE, False),  # no admin scope
    ],
)
def test_bank_actions(principal, action, policy, allowed):
    assert may_act_on_bank(principal, action, OWNER, policy) is allowed


def test_bank_creation_administration_and_audit():
    assert may_create_bank(who(Role.ANALYST), OWNER)
    assert not may_create_bank(who(Role.ANALYST), OTHER)
    assert not may_create_bank(who(Role.PLATFORM), OWNER)
    assert may_administer_org(who(Role.ORG_ADMIN), OWNER) and not may_administer_org(who(Role.ORG_ADMIN), OTHER)
    assert may_administer_org(who(Role.NODE_ADMIN, org=OTHER), OWNER)
    assert may_read_audit(who(Role.AUDITOR)) and not may_read_audit(who(Role.ORG_ADMIN))
    hotline = KIND_ROLES[OrgKind.HOTLINE]
    assert grantable_roles(who(Role.ANALYST), OWNER, hotline) == frozenset()


def test_grants_stay_within_the_organisations_kind_and_the_granters_own_roles():
    hotline = allowed_roles_for(OrgKind.HOTLINE)
    assert Role.INVESTIGATOR not in hotline and Role.PLATFORM not in hotline and Role.NODE_ADMIN not in hotline
    admin = who(Role.ORG_ADMIN, Role.ANALYST)
    assert grantable_roles(admin, OWNER, hotline) == {Role.ORG_ADMIN, Role.ANALYST}  # not auditor: it holds none
    assert grantable_roles(admin, OTHER, hotline) == frozenset()  # another organisation's
    assert grantable_roles(who(Role.NODE_ADMIN, org=OTHER), OWNER, hotline) == hotline
    everything = frozenset(Role)
    assert Role.NODE_ADMIN not in grantable_roles(who(*everything - {Role.NODE_ADMIN}), OWNER, everything)
    with pytest.raises(InvalidRequest, match="node_operator"):
        allowed_roles_for(OrgKind.HOTLINE, [Role.NODE_ADMIN, Role.ANALYST])
    assert allowed_roles_for(OrgKind.NODE_OPERATOR) >= {Role.NODE_ADMIN}
    assert grantable_scopes(who(Role.ORG_ADMIN, scopes={Scope.ADMIN})) == {Scope.ADMIN}


def test_policy_json_round_trip_and_validation():
    policy = SharingPolicy.from_json({"match": {"countries": ["de", "FR"], "roles": ["platform"]}, "read": {}})
    assert SharingPolicy.from_json(policy.to_json()) == SharingPolicy(
        {**policy.rules, BankAction.CONTRIBUTE: ShareRule()}
    )
    assert policy.rule(BankAction.MATCH).countries == {"DE", "FR"}
    for bad in (
        {"delete": {}},
        {"match": {"roles": ["king"]}},
        {"match": {"countries": ["Germany"]}},
        {"match": {"orgs": ["x"]}},
        {"match": {"people": []}},
    ):
        with pytest.raises(InvalidRequest):
            SharingPolicy.from_json(bad)
