"""Victim identification and investigations end to end: three police agencies in three countries.

A (GB) opens a case and uploads a collection. B's (DE) series and identified victim are reported to
A with B's contact point (B's policy lets A know); C's (NL) series, whose policy does not, is
reported as "another agency works this", and C is notified by e-mail (a real SMTP server). A
platform, a hotline analyst and a police agency outside the policies (FR) get 404 for all of it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from alliance.api.app import create_app
from alliance.core.access import SYSTEM, BankAction, OrgKind, Principal, Role, ShareRule, SharingPolicy
from alliance.core.trust import Grade
from alliance.node import Node
from alliance.services.hashing import hash_files


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@dataclass
class Agencies:
    client: TestClient
    node: Node
    keys: dict[str, str] = field(default_factory=dict)
    orgs: dict[str, int] = field(default_factory=dict)

    def h(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[who]}"}


@pytest.fixture
def agencies(engine: Engine, settings_for, smtp, photos: list[Path]) -> Iterator[Agencies]:
    _, port = smtp
    app = create_app(settings_for(engine, smtp_host="127.0.0.1", smtp_port=port))
    with TestClient(app) as client:
        node: Node = app.state.node
        world = Agencies(client, node)
        for who, country, kind, role in (
            ("A", "GB", OrgKind.LAW_ENFORCEMENT, Role.INVESTIGATOR),
            ("B", "DE", OrgKind.LAW_ENFORCEMENT, Role.INVESTIGATOR),
            ("C", "NL", OrgKind.LAW_ENFORCEMENT, Role.INVESTIGATOR),
            ("D", "FR", OrgKind.LAW_ENFORCEMENT, Role.INVESTIGATOR),
            ("platform", "US", OrgKind.PLATFORM, Role.PLATFORM),
            ("hotline", "GB", OrgKind.HOTLINE, Role.ANALYST),
        ):
            org = node.accounts.create_organisation(SYSTEM, f"{who} org", country, kind)
            world.orgs[who] = org.id
            world.keys[who] = node.accounts.create_key(SYSTEM, org.id, who, frozenset({role})).token
        # The UK hotline's bank of known material, shared with British police for matching and reading.
        hotline = Principal(
            world.orgs["hotline"], "hotline org", "GB", frozenset({Role.ANALYST}), name="setup", person="setup"
        )
        gb = ShareRule(countries=frozenset({"GB"}))
        banks = node.banks_for(hotline)
        policy = SharingPolicy({BankAction.MATCH: gb, BankAction.READ: gb})
        banks.create_bank("uk-known", policy=policy, trust={"required_grades": 1})
        (added,) = banks.add_files("uk-known", list(hash_files([photos[4]]))).added
        node.trust_for(hotline).grade(added.id, Grade(True, "prepubescent", 1))
        yield world


_HASHED: dict[Path, dict[str, Any]] = {}


def items_of(paths: list[Path]) -> list[dict[str, Any]]:
    """Items of benign photos, hashed in memory (once per test session)."""
    missing = [p for p in paths if p not in _HASHED]
    for path, r in zip(missing, hash_files(missing, jobs=1), strict=True):
        assert r.hashes is not None
        _HASHED[path] = {
            "signals": [{"type": s.type, "value": s.value, "quality": s.quality} for s in r.hashes.signals]
        }
    return [_HASHED[p] for p in paths]


def test_three_agencies_deconflict_a_collection(agencies: Agencies, smtp, photos: list[Path]):
    w, (inbox, _) = agencies, smtp
    # B shares its series with A (read and contact); C shares nothing.
    share_a = {"orgs": [w.orgs["A"]]}
    b_series = w.client.post(
        "/v1/series",
        headers=w.h("B"),
        json={
            "name": "Beach",
            "icse_name": "ICSE-BEACH",
            "contact_point": "BKA victim identification, desk 3",
            "policy": {"read": share_a, "contact": share_a},
        },
    )
    assert b_series.status_code == 201, b_series.text
    b_id = b_series.json()["id"]
    assert w.client.post(
        f"/v1/series/{b_id}/items", headers=w.h("B"), json={"items": items_of(photos[0:2])}
    ).json() == {"added": 2}
    victim = w.client.post(
        f"/v1/series/{b_id}/victims",
        headers=w.h("B"),
        json={"identifier": "DE-2026-0001", "age_band": "prepubescent", "status": "identified"},
    )
    assert victim.status_code == 201, victim.text
    c_series = w.client.post(
        "/v1/series",
        headers=w.h("C"),
        json={"name": "Garden", "contact_point": "NL police VIC team", "contact_email": "vic@police.example.nl"},
    ).json()
    w.client.post(f"/v1/series/{c_series['id']}/items", headers=w.h("C"), json={"items": items_of(photos[2:4])})

    case = w.client.post(
        "/v1/cases",
        headers=w.h("A"),
        json={"case_number": "GB-2026-17", "contact_point": "DC Jones, online child abuse unit"},
    ).json()
    upload = w.client.post(f"/v1/cases/{case['id']}/items", headers=w.h("A"), json={"items": items_of(photos[0:6])})
    assert upload.status_code == 200, upload.text
    body = upload.json()
    findings = [r["finding"] for r in body["results"]]
    assert findings == ["victim_identified"] * 2 + ["other_agency"] * 2 + ["known", "unknown"]
    b_hit = body["results"][0]["held_by"][0]
    assert b_hit["name"] == "Beach" and b_hit["agency"] == "B org" and b_hit["country"] == "DE"
    assert b_hit["contact_point"] == "BKA victim identification, desk 3"
    assert b_hit["victims"][0]["identifier"] == "DE-2026-0001"
    assert b_hit["victims"][0]["identified_by"] == "B org" and b_hit["victims"][0]["identified_country"] == "DE"
    c_hit = body["results"][2]["held_by"][0]
    assert c_hit["disclosed"] is False and "Garden" not in str(c_hit) and "C org" not in str(c_hit)
    assert body["notified"] == 1

    # C is told, by e-mail and in its notifications, with A's contact point and no hash.
    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert message.rcpt_tos == ["vic@police.example.nl"]
    text = message.content.decode()
    assert "GB-2026-17" in text and "DC Jones" in text and "Garden" in text
    for item in items_of(photos[0:6]):
        for signal in item["signals"]:
            assert signal["value"] not in text.lower()
    notes = w.client.get("/v1/notifications", headers=w.h("C")).json()
    assert [n["details"]["case_number"] for n in notes] == ["GB-2026-17"] and notes[0]["emailed"] is True
    assert w.client.get("/v1/notifications", headers=w.h("B")).json() == []

    # Outside the policies: 404 for all of it, whatever the role.
    paths = [
        f"/v1/cases/{case['id']}",
        f"/v1/cases/{case['id']}/deconfliction",
        f"/v1/cases/{case['id']}/export",
        f"/v1/series/{b_id}",
        f"/v1/series/{b_id}/victims",
        f"/v1/series/{b_id}/items",
        f"/v1/series/{b_id}/export",
        f"/v1/series/{c_series['id']}",
        f"/v1/series/{c_series['id']}/victims",
    ]
    for who in ("platform", "hotline", "D"):
        for path in paths:
            assert w.client.get(path, headers=w.h(who)).status_code == 404, (who, path)
        assert w.client.post(f"/v1/notifications/{notes[0]['id']}/read", headers=w.h(who)).status_code == 404
    assert w.client.get("/v1/series", headers=w.h("D")).json() == []
    assert w.client.get("/v1/series", headers=w.h("platform")).status_code == 404
    assert w.client.get("/v1/cases", headers=w.h("hotline")).status_code == 404
    # A itself sees B's series (shared) but not C's.
    assert w.client.get(f"/v1/series/{b_id}", headers=w.h("A")).json()["agency"] == "B org"
    assert w.client.get(f"/v1/series/{c_series['id']}", headers=w.h("A")).status_code == 404

    # The audit log has each step.
    w.node.audit.flush()
    events = [(e.record.action, e.record.outcome) for e in w.node.audit.store.events(limit=10_000)]
    for step in (
        ("series.create", "ok"),
        ("series.items.add", "ok"),
        ("victim.create", "ok"),
        ("case.create", "ok"),
        ("case.intake", "ok"),
        ("notification.create", "ok"),
        ("notification.email", "ok"),
        ("case.read", "refused"),
        ("series.read", "refused"),
        ("victim.read", "refused"),
    ):
        assert step in events, step
    intake = next(e for e in w.node.audit.store.events(limit=10_000) if e.record.action == "case.intake")
    assert intake.record.details["findings"] == {"victim_identified": 2, "other_agency": 2, "known": 1, "unknown": 1}


def test_known_material_comes_with_its_bank_and_category_in_the_investigators_country(
    agencies: Agencies, photos: list[Path]
):
    w = agencies
    case = w.client.post("/v1/cases", headers=w.h("A"), json={"case_number": "GB-1"}).json()
    body = w.client.post(
        f"/v1/cases/{case['id']}/items", headers=w.h("A"), json={"items": items_of([photos[4]])}
    ).json()
    (result,) = body["results"]
    assert result["finding"] == "known"
    assert {(k["bank"], k["category"]["scheme"], k["category"]["category"]) for k in result["known"]} == {
        ("uk-known", "uk_abc", "A")
    }
    # The same item in a German case: the bank does not share with DE, so it is unknown there.
    other = w.client.post("/v1/cases", headers=w.h("B"), json={"case_number": "DE-1"}).json()
    body = w.client.post(f"/v1/cases/{other['id']}/items", headers=w.h("B"), json={"items": items_of([photos[4]])})
    assert [r["finding"] for r in body.json()["results"]] == ["other_agency"]  # A's open case holds it


def test_victim_records_refuse_identifying_personal_data_and_keep_nothing(agencies: Agencies):
    w = agencies
    series = w.client.post("/v1/series", headers=w.h("B"), json={"name": "S"}).json()
    for body in (
        {"identifier": "DE-2026-0002", "name": "Anna"},
        {"identifier": "DE-2026-0002", "date_of_birth": "2014-03-09"},
        {"identifier": "Anna Schmidt"},
    ):
        response = w.client.post(f"/v1/series/{series['id']}/victims", headers=w.h("B"), json=body)
        assert response.status_code == 422, body
        assert "pseudonym" in response.json()["error"]["message"]
    described = w.client.patch(
        f"/v1/series/{series['id']}", headers=w.h("B"), json={"description": "child lives at 12 Acacia Avenue"}
    )
    assert described.status_code == 422 and "street address" in described.json()["error"]["message"]
    assert w.client.get(f"/v1/series/{series['id']}/victims", headers=w.h("B")).json() == []
