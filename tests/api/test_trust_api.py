"""Trust work over HTTP: grading (blind), bad input, disputes of recorded matches."""

from __future__ import annotations

from alliance.core.access import Role
from alliance.core.banks import EntryStatus
from alliance.core.trust import Grade
from tests.api.conftest import World
from tests.api.test_api import counts, last_event

GRADE = {"illegal": True, "age_band": "prepubescent", "severity": 1, "baseline": True}


def needs_three_grades(world: World) -> None:
    response = world.client.patch(
        f"/v1/banks/{world.bank}", headers=world.headers(Role.ANALYST), json={"trust": {"required_grades": 3}}
    )
    assert response.json()["trust"]["required_grades"] == 3


def test_blind_grading_through_the_api(world: World):
    needs_three_grades(world)
    entry_id = world.fresh_entry(EntryStatus.PROPOSED)
    analyst, investigator = world.headers(Role.ANALYST), world.headers(Role.INVESTIGATOR)
    graded = world.client.post(f"/v1/entries/{entry_id}/grades", headers=analyst, json=GRADE)
    assert graded.status_code == 201 and graded.json()["verdict"] == "pending"
    hidden = world.client.get(f"/v1/entries/{entry_id}/grades", headers=investigator)
    assert hidden.status_code == 404 and "blind" in hidden.json()["error"]["message"]
    queue = world.client.get("/v1/review", headers=investigator).json()
    assert entry_id in [e["id"] for e in queue]
    world.client.post(f"/v1/entries/{entry_id}/grades", headers=investigator, json=GRADE)
    seen = world.client.get(f"/v1/entries/{entry_id}/grades", headers=investigator).json()
    assert [v["grade"]["severity"] for v in seen] == [1, 1]


def test_bad_trust_input_is_clear_and_changes_nothing(world: World):
    needs_three_grades(world)
    analyst = world.headers(Role.ANALYST)
    entry_id = world.fresh_entry(EntryStatus.PROPOSED)
    before = counts(world)
    unknown = world.client.post("/v1/entries/987654/grades", headers=analyst, json=GRADE)
    assert unknown.status_code == 404
    invalid = world.client.post(f"/v1/entries/{entry_id}/grades", headers=analyst, json={**GRADE, "severity": 7})
    assert invalid.status_code == 422 and "severity" in invalid.json()["error"]["message"]
    assert last_event(world).record.outcome == "invalid"
    assert world.client.post(f"/v1/entries/{entry_id}/grades", headers=analyst, json=GRADE).status_code == 201
    again = world.client.post(f"/v1/entries/{entry_id}/grades", headers=analyst, json=GRADE)
    assert again.status_code == 409 and "once" in again.json()["error"]["message"]
    assert len(world.node.trust_store.votes(entry_id)) == 1
    never = world.client.post(
        f"/v1/matches/{'f' * 32}/dispute", headers=world.headers(Role.PLATFORM), json={"reason": "never happened"}
    )
    assert never.status_code == 404 and world.node.trust_store.disputes(entry_id) == []
    assert counts(world) == before


def test_a_match_id_from_a_result_can_be_disputed(world: World):
    md5 = next(s.value for s in world.node.store.get_entry(world.entry_id).signals if s.type == "md5")
    platform = world.headers(Role.PLATFORM)
    world.node.match_trust.events.stop()
    world.node.match_trust.events.start(interval=1.0)  # the match event waits a second to be written
    [match] = world.client.post(
        "/v1/match", headers=platform, json={"signals": [{"type": "md5", "value": md5}]}
    ).json()["matches"]
    disputed = world.client.post(  # at once: the match events the server still holds are written first
        f"/v1/matches/{match['match_id']}/dispute", headers=platform, json={"reason": "our users' meme"}
    )
    assert disputed.status_code == 200
    receipt = disputed.json()
    assert receipt["state"] == "open" and receipt["entry"] == world.entry_id  # one organisation so far
    assert set(receipt) == {"match_id", "entry", "state", "disputed_at"}  # never the entry's hashes or grade
    history = world.node.trust_store.disputes(world.entry_id)
    assert [d.reason for d in history] == ["our users' meme"]


def test_curators_see_why_and_the_disputer_follows_its_disputes(world: World):
    platform, curator = world.headers(Role.PLATFORM), world.headers(Role.ANALYST)
    world.client.patch(f"/v1/banks/{world.bank}", headers=curator, json={"trust": {"dispute_threshold": 1}})
    match_id = world.fresh_match()
    receipt = world.client.post(f"/v1/matches/{match_id}/dispute", headers=platform, json={"reason": "a cat"}).json()
    assert receipt["state"] == "upheld"
    [queued] = world.client.get("/v1/review", headers=curator, params={"kind": "disputes"}).json()
    assert queued["id"] == world.entry_id
    [reason] = queued["disputes"]
    assert reason["organisation"] == world.own.name and reason["reason"] == "a cat" and reason["at"]
    [mine] = world.client.get("/v1/disputes", headers=platform).json()
    assert (mine["match_id"], mine["state"], mine["resolved_at"]) == (match_id, "upheld", None)
    assert "signals" not in mine and "grade" not in mine
    assert world.client.get("/v1/disputes", headers=world.headers(Role.PLATFORM, own=False)).json() == []
    resolution = {"outcome": "false_positive", "reason": "a cat indeed"}
    world.client.post(f"/v1/entries/{world.entry_id}/dispute-resolution", headers=curator, json=resolution)
    [mine] = world.client.get("/v1/disputes", headers=platform).json()
    assert mine["state"] == "false_positive" and mine["resolved_at"]
    assert world.client.get("/v1/disputes", headers=platform, params={"after": mine["id"]}).json() == []


def test_an_entry_reads_as_the_category_of_each_readers_jurisdiction(world: World):
    """A German investigator and a British analyst read the same agreed grade, each in its own
    country's scheme, on the entry and in the bank's list; an entry not graded yet has none."""
    curator = world.headers(Role.ANALYST)
    shared = world.client.patch(
        f"/v1/banks/{world.bank}", headers=curator, json={"policy": {"read": {"orgs": [world.foreign.id]}}}
    )
    assert shared.status_code == 200
    graded, ungraded = world.fresh_entry(EntryStatus.PROPOSED), world.fresh_entry(EntryStatus.PROPOSED)
    world.node.store.transition(graded, EntryStatus.CONFIRMED, "test", "agreed", grade=GRADE)
    schemes = world.node.match_trust.schemes
    seen = {}
    for country, headers in (("GB", curator), ("DE", world.headers(Role.INVESTIGATOR, own=False))):
        expected = schemes.category(Grade.from_json(GRADE), country)
        entry = world.client.get(f"/v1/entries/{graded}", headers=headers).json()
        assert entry["category"] == expected, country
        listed = world.client.get(f"/v1/banks/{world.bank}/entries?limit=1000", headers=headers).json()["entries"]
        by_id = {e["id"]: e["category"] for e in listed}
        assert (by_id[graded], by_id[ungraded]) == (expected, None)
        assert world.client.get(f"/v1/entries/{ungraded}", headers=headers).json()["category"] is None
        seen[country] = entry["category"]["scheme"]
    assert seen["GB"] != seen["DE"]  # each in its own law's scheme
