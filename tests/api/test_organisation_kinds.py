"""Organisation kinds in the authorisation matrix: route x role x organisation x kind.

Access is decided by role, organisation and each bank's sharing policy, never by kind directly;
the kind decides which roles an organisation's people and keys can hold at all. So the matrix by
kind is: (1) no grant outside a kind's roles succeeds, whoever asks; (2) a new organisation of
each kind, with a key for every role it may hold, gets on every route exactly what the main
matrix says for a foreign organisation's role, no more.
"""

from __future__ import annotations

import pytest

from alliance.core.access import KIND_ROLES, OrgKind, Role
from tests.api.conftest import PASSWORD, World
from tests.api.test_authorisation_matrix import TABLE, send

KINDS = [k for k in OrgKind if k is not OrgKind.UNCLASSIFIED]
# The Alliance's record is decided by role, country and who holds the secretariat (its own rows in
# the main matrix); logging in is tried with the world's users there.
ROWS = [r for r in TABLE if not r.path.startswith("/v1/alliance") and r.path != "/v1/session"]


def new_organisation(world: World, kind: OrgKind) -> int:
    admin = world.headers(Role.NODE_ADMIN)
    response = world.client.post(
        "/v1/organisations", headers=admin, json={"name": f"{kind.value} org", "country": "DE", "kind": kind.value}
    )
    assert response.status_code == 201, response.text
    assert set(response.json()["allowed_roles"]) == KIND_ROLES[kind]
    org_id: int = response.json()["id"]
    return org_id


@pytest.mark.parametrize("kind", KINDS)
def test_no_grant_outside_the_kind_succeeds(world: World, kind: OrgKind):
    org_id = new_organisation(world, kind)
    admin = world.headers(Role.NODE_ADMIN)
    for role in Role:
        user = world.client.post(
            f"/v1/organisations/{org_id}/users",
            headers=admin,
            json={"username": f"{kind.value}-{role.value}", "password": PASSWORD, "roles": [role.value]},
        )
        key = world.client.post(
            f"/v1/organisations/{org_id}/keys", headers=admin, json={"name": "k", "roles": [role.value]}
        )
        expected = 201 if role in KIND_ROLES[kind] else 422
        assert (user.status_code, key.status_code) == (expected, expected), (role, user.text, key.text)
    audit = world.node.audit
    audit.flush()
    refused = [e for e in audit.store.events() if e.record.outcome == "refused" and "beyond" in e.record.details]
    assert len(refused) == 2 * (len(Role) - len(KIND_ROLES[kind]))


@pytest.mark.parametrize("kind", KINDS)
def test_an_organisation_of_each_kind_gets_what_its_roles_get(world: World, kind: OrgKind):
    org_id = new_organisation(world, kind)
    admin = world.headers(Role.NODE_ADMIN)
    for role in KIND_ROLES[kind]:
        username = f"{kind.value}-{role.value}"
        world.client.post(
            f"/v1/organisations/{org_id}/users",
            headers=admin,
            json={"username": username, "password": PASSWORD, "roles": [role.value]},
        ).raise_for_status()
        issued = world.client.post(
            f"/v1/organisations/{org_id}/keys",
            headers=admin,
            json={"name": role.value, "roles": [role.value], "for_user": username},
        )
        world.keys[(role, False)] = issued.json()["token"]  # this organisation stands in for "foreign"
    failures = []
    for row in ROWS:
        for role in KIND_ROLES[kind]:
            expected = row.ok if role in row.foreign else 404
            response = send(world, row, role, own=False)
            if response.status_code != expected:
                failures.append(f"{row.method} {row.path} as {role.value}: {response.status_code}, expected {expected}")
    assert failures == []
