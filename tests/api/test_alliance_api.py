"""The Alliance routes as a member country and the secretariat use them: clear errors for bad input,
nothing written when refused, and the workflow and handover over HTTP."""

from __future__ import annotations

from alliance.core.access import Role
from tests.api import alliance_world as aw
from tests.api.conftest import World


def count_events(w: World, outcome: str) -> int:
    return sum(1 for e in w.node.audit.store.events() if e.record.outcome == outcome)


def test_membership_on_the_two_conference_days(world: World):
    aw.seeded(world)
    headers = world.headers(Role.ANALYST)
    launch = world.client.get("/v1/alliance/members", params={"on": "2012-12-05"}, headers=headers).json()
    washington = world.client.get("/v1/alliance/members", params={"on": "2014-09-30"}, headers=headers).json()
    assert (launch["count"], launch["eu_count"]) == (48, 27)
    assert (washington["count"], washington["eu_count"]) == (54, 28)
    assert "VN" in {m["code"] for m in launch["members"]} - {m["code"] for m in washington["members"]}
    kosovo = world.client.get("/v1/alliance/countries/XK", headers=headers).json()
    assert kosovo["name"] == "Kosovo" and kosovo["periods"][0]["joined_exact"] is False


def test_before_the_seed_every_alliance_route_says_how_to_load_it(world: World):
    response = world.client.get("/v1/alliance/targets", headers=world.headers(Role.ANALYST))
    assert response.status_code == 404
    assert "alliance alliance seed" in response.json()["error"]["message"]


def test_bad_input_is_a_clear_422_and_changes_nothing(world: World):
    aw.seeded(world)
    headers = world.headers(Role.ANALYST)
    bad = [
        ("/v1/alliance/commitments", {"country": "QQ", "target": 1, "title": "t", "pledge": "p"}, "not a country"),
        ("/v1/alliance/commitments", {"country": "GB", "target": 7, "title": "t", "pledge": "p"}, "no policy target 7"),
        ("/v1/alliance/commitments", {"country": "GB", "target": 1, "title": "t", "pledge": "p", "extra": 1}, "extra"),
        ("/v1/alliance/reports", {"country": "GB", "year": 2011}, "joined the Alliance in 2012"),
        (
            "/v1/alliance/commitments",
            {"country": "GB", "target": 1, "title": "t", "pledge": "p", "made_on": "2099-01-01"},
            "has not happened yet",
        ),
    ]
    refused_before = count_events(world, "invalid")
    for url, body, message in bad:
        response = world.client.post(url, json=body, headers=headers)
        assert response.status_code == 422, response.text
        assert message in response.text
    assert count_events(world, "invalid") == refused_before + len(bad)
    assert world.client.get("/v1/alliance/commitments", headers=headers).json() == []
    assert world.client.get("/v1/alliance/reports", headers=headers).json() == []


def test_a_duplicate_commitment_is_a_409(world: World):
    aw.seeded(world)
    body = {"country": "GB", "target": 4, "title": "Hash sharing", "pledge": "share hashes", "goal": "4.2"}
    headers = world.headers(Role.ORG_ADMIN)
    assert world.client.post("/v1/alliance/commitments", json=body, headers=headers).status_code == 201
    again = world.client.post("/v1/alliance/commitments", json=body | {"pledge": "other"}, headers=headers)
    assert again.status_code == 409
    [kept] = world.client.get("/v1/alliance/commitments", headers=headers).json()
    assert kept["pledge"] == "share hashes"


def test_a_commitment_says_when_it_was_made_and_each_status_since(world: World):
    aw.seeded(world)
    body = {"country": "GB", "target": 4, "title": "Hash sharing", "pledge": "p", "made_on": "2013-05-01"}
    headers = world.headers(Role.ORG_ADMIN)
    made = world.client.post("/v1/alliance/commitments", json=body, headers=headers).json()
    change = {"status": "achieved", "status_since": "2014-02-01"}
    changed = world.client.patch(f"/v1/alliance/commitments/{made['id']}", json=change, headers=headers).json()
    assert changed["made_on"] == "2013-05-01"
    assert changed["history"] == [
        {"status": "planned", "since": "2013-05-01"},
        {"status": "achieved", "since": "2014-02-01"},
    ]


def test_a_report_from_draft_to_published_and_then_frozen(world: World):
    aw.foreign_secretariat(world)
    gb, sec = world.headers(Role.ANALYST), world.headers(Role.SECRETARIAT, own=False)
    report = world.client.post("/v1/alliance/reports", json={"country": "GB", "year": 2013}, headers=gb).json()
    url = f"/v1/alliance/reports/{report['id']}"
    section = {"actions": "IWF hash list shared", "results": "1,200 hashes", "next_steps": "PhotoDNA"}
    assert world.client.put(f"{url}/sections/4", json=section, headers=gb).status_code == 200
    assert world.client.get(url, headers=sec).status_code == 404  # a draft is the country's own business
    assert world.client.post(f"{url}/submit", headers=gb).json()["status"] == "submitted"
    assert world.client.post(f"{url}/publish", headers=sec).status_code == 409  # not reviewed yet
    assert world.client.post(f"{url}/review", json={"note": "fine"}, headers=sec).json()["status"] == "reviewed"
    published = world.client.post(f"{url}/publish", headers=sec).json()
    assert published["status"] == "published" and published["published_at"]
    frozen = world.client.put(f"{url}/sections/4", json={"actions": "rewritten"}, headers=gb)
    assert frozen.status_code == 409 and "correction" in frozen.json()["error"]["message"]
    anyone = world.client.get(url, headers=world.headers(Role.PLATFORM, own=False)).json()
    assert anyone["sections"][3]["results"] == "1,200 hashes"
    correction = world.client.post(f"{url}/correction", headers=gb).json()
    assert (correction["version"], correction["corrects"], correction["status"]) == (2, report["id"], "draft")


def test_the_handover_moves_publishing_rights_over_http(world: World):
    aw.foreign_secretariat(world)
    old, new = world.headers(Role.SECRETARIAT, own=False), world.headers(Role.SECRETARIAT, own=True)
    reviewed = aw.gb_report(world, aw.ReportStatus.REVIEWED)
    handed = world.client.post(
        "/v1/alliance/secretariat/handover", json={"org_id": world.own.id, "chair": "United Kingdom"}, headers=old
    )
    assert handed.status_code == 201
    assert world.client.get("/v1/alliance/secretariat", headers=new).json()["current"]["holder"] == "UK Hotline"
    assert world.client.post(f"/v1/alliance/reports/{reviewed}/publish", headers=old).status_code == 404
    assert world.client.post(f"/v1/alliance/reports/{reviewed}/publish", headers=new).status_code == 200


def test_indicators_with_provenance_and_the_goal(world: World):
    aw.foreign_secretariat(world)
    sec = world.headers(Role.SECRETARIAT, own=False)
    for year, value in ((2013, 100), (2014, 108)):
        body = {"value": value, "source": f"INTERPOL ICSE extract {year + 1}-01"}
        response = world.client.put(f"/v1/alliance/indicators/GB/{year}/victims_identified", json=body, headers=sec)
        assert response.status_code == 200, response.text
    got = world.client.get(
        "/v1/alliance/indicators", params={"country": "GB", "year": 2014}, headers=world.headers(Role.PLATFORM)
    ).json()
    [victims] = [i for i in got if i["name"] == "victims_identified"]
    assert (victims["previous"], victims["goal"], victims["goal_met"]) == (100, "1.1", False)  # +8% < +10%
    assert victims["entered_by"] == world.foreign.name and victims["source"] == "INTERPOL ICSE extract 2015-01"
    computed = world.client.put(
        "/v1/alliance/indicators/GB/2014/entries_added", json={"value": 1, "source": "x"}, headers=sec
    )
    assert computed.status_code == 422


def test_campaigns_are_found_by_other_members(world: World):
    aw.seeded(world)
    body = {
        "country": "GB",
        "title": "Think before you share",
        "audiences": ["children", "educators"],
        "channel": "schools",
        "starts": "2014-02-11",
        "reach": 250000,
        "practice": "older pupils teach younger ones",
    }
    assert (
        world.client.post("/v1/alliance/campaigns", json=body, headers=world.headers(Role.ANALYST)).status_code == 201
    )
    german = world.headers(Role.INVESTIGATOR, own=False)
    found = world.client.get("/v1/alliance/campaigns", params={"q": "PUPILS", "audience": "educators"}, headers=german)
    assert [c["title"] for c in found.json()["campaigns"]] == ["Think before you share"]
    none = world.client.get("/v1/alliance/campaigns", params={"audience": "parents"}, headers=german)
    assert none.json()["campaigns"] == []
