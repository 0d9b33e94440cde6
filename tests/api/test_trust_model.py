"""The trust model through the API, as an attacker would try it (issue 12; decision 0007):
a member switching matching off for others, confirming alone, quarantining alone, widening a key."""

from __future__ import annotations

from typing import Any

from alliance.core.access import SYSTEM, Role, Scope
from alliance.core.banks import EntryStatus
from tests.api.conftest import PASSWORD, World

GRADE = {"illegal": True, "age_band": "pubescent", "severity": 3}


def entry_signal(world: World, kind: str) -> dict[str, Any]:
    [signal] = [s for s in world.node.store.get_entry(world.entry_id).signals if s.type == kind]
    return {"type": signal.type, "value": signal.value}


def match(world: World, role: Role, signals: list[dict[str, Any]], own: bool = True) -> Any:
    return world.client.post("/v1/match", headers=world.headers(role, own), json={"signals": signals})


def flipped(world: World, bits: range) -> list[dict[str, Any]]:
    value = int(entry_signal(world, "pdq")["value"], 16)
    return [{"type": "pdq", "value": format(value ^ (1 << bit), "064x")} for bit in bits]


def audit_actions(world: World, action: str) -> list[Any]:
    world.node.match_trust.events.flush()
    world.node.audit.flush()
    return [e for e in world.node.audit.store.events() if e.record.action == action]


def share_matching_with_foreign(world: World) -> None:
    policy = {"match": {"orgs": [world.foreign.id]}}
    response = world.client.patch(
        f"/v1/banks/{world.bank}", headers=world.headers(Role.ANALYST), json={"policy": policy}
    )
    assert response.status_code == 200, response.text


def test_a_negative_bank_silences_only_its_owners_banks(world: World):
    md5 = entry_signal(world, "md5")
    assert [m["entry"] for m in match(world, Role.PLATFORM, [md5]).json()["matches"]] == [world.entry_id]
    for own, name in ((False, "theirs-negative"), (True, "ours-negative")):
        analyst = world.headers(Role.ANALYST, own)
        body = {"name": name, "purpose": "negative", "trust": {"required_grades": 0}}
        assert world.client.post("/v1/banks", headers=analyst, json=body).status_code == 201
        added = world.client.post(f"/v1/banks/{name}/entries", headers=analyst, json={"entries": [{"signals": [md5]}]})
        assert added.status_code == 201, added.text
        world.node.matcher.index.refresh()
        matches = match(world, Role.PLATFORM, [md5]).json()["matches"]
        if not own:  # another organisation's false-positive list changes nothing for this bank
            assert [m["entry"] for m in matches] == [world.entry_id]
    assert matches == []  # the owner's own negative bank does suppress it
    [last] = audit_actions(world, "match")[-1:]
    [[bank, entry, by_bank, _]] = last.record.details["suppressed_by_negative_banks"]
    assert (bank, entry) == (world.bank, world.entry_id)
    assert by_bank == world.node.store.get_bank("ours-negative").id


def test_one_caller_flooding_an_entry_is_reported_and_slowed_not_obeyed(world: World):
    """The probe: one /v1/match with 51 one-bit-flipped copies of a known hash."""
    share_matching_with_foreign(world)
    response = match(world, Role.PLATFORM, flipped(world, range(51)))
    assert len(response.json()["matches"]) == 51
    world.node.match_trust.events.flush()
    world.node.match_trust.floods.check()
    assert world.node.store.get_entry(world.entry_id).status is EntryStatus.CONFIRMED
    [report] = audit_actions(world, "match.flood")
    assert report.record.subject_org_id == world.own.id and report.record.details["organisation"] == world.own.id
    pdq = [entry_signal(world, "pdq")]
    statuses = [match(world, Role.PLATFORM, pdq).status_code for _ in range(6)]
    assert 429 in statuses
    throttled = next(r for r in (match(world, Role.PLATFORM, pdq) for _ in range(3)) if r.status_code == 429)
    assert int(throttled.headers["Retry-After"]) >= 1 and "flood" in throttled.json()["error"]["message"]
    assert match(world, Role.PLATFORM, pdq, own=False).status_code == 200  # another organisation is not slowed


def test_two_organisations_flooding_together_quarantine_for_platforms(world: World):
    share_matching_with_foreign(world)
    match(world, Role.PLATFORM, flipped(world, range(26)))  # each counts for at most 50 // 2 + 1
    match(world, Role.PLATFORM, flipped(world, range(26, 52)), own=False)
    world.node.match_trust.events.flush()
    [decision] = world.node.match_trust.floods.check()
    assert decision.single_caller is None and decision.organisations == 2
    assert world.node.store.get_entry(world.entry_id).status is EntryStatus.QUARANTINED
    assert match(world, Role.PLATFORM, [entry_signal(world, "pdq")], own=False).json()["matches"] == []


def test_a_person_grades_once_whatever_credential_they_use(world: World):
    analyst = world.headers(Role.ANALYST)
    created = world.client.post("/v1/banks", headers=analyst, json={"name": "graded", "trust": {"required_grades": 3}})
    assert created.status_code == 201
    entries = {"entries": [{"signals": [{"type": "md5", "value": "7" * 32}]}]}
    [entry_id] = world.client.post("/v1/banks/graded/entries", headers=analyst, json=entries).json()["added"]
    login = world.client.post("/v1/session", json={"username": world.users[(Role.ANALYST, True)], "password": PASSWORD})
    csrf = {"X-CSRF-Token": login.json()["csrf_token"]}
    assert world.client.post(f"/v1/entries/{entry_id}/grades", headers=csrf, json=GRADE).status_code == 201
    again = world.client.post(f"/v1/entries/{entry_id}/grades", headers=analyst, json=GRADE)  # their key
    assert again.status_code == 409
    machine = world.node.accounts.create_key(SYSTEM, world.own.id, "machine", frozenset({Role.ANALYST})).token
    refused = world.client.post(
        f"/v1/entries/{entry_id}/grades", headers={"Authorization": f"Bearer {machine}"}, json=GRADE
    )
    assert refused.status_code == 422 and "people" in refused.json()["error"]["message"]
    assert len(world.node.trust_store.votes(entry_id)) == 1
    world.client.delete("/v1/session", headers=csrf)


def test_a_key_cannot_mint_a_wider_key(world: World):
    admin_only = world.node.accounts.create_key(
        SYSTEM, world.own.id, "admin only", frozenset({Role.ORG_ADMIN}), frozenset({Scope.ADMIN})
    ).token
    headers = {"Authorization": f"Bearer {admin_only}"}
    url = f"/v1/organisations/{world.own.id}/keys"
    wider = world.client.post(url, headers=headers, json={"name": "wider", "roles": ["org_admin"]})
    assert wider.status_code == 422 and "scope" in wider.json()["error"]["message"]
    police = world.client.post(
        url, headers=headers, json={"name": "cop", "roles": ["investigator"], "scopes": ["admin"]}
    )
    assert police.status_code == 422 and "investigator" in police.json()["error"]["message"]
    same = world.client.post(url, headers=headers, json={"name": "same", "roles": ["org_admin"], "scopes": ["admin"]})
    assert same.status_code == 201 and same.json()["scopes"] == ["admin"]
