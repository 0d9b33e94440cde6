"""The API as a client sees it: behaviour, bad input (a clear 4xx, nothing written, the refusal audited)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alliance.api.schemas import ErrorOut
from alliance.core.access import SYSTEM, Role
from alliance.store.models import BankRow, EntryRow, SignalRow
from tests.api.conftest import PASSWORD, World, build_world

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def counts(world: World) -> tuple[int, int, int]:
    with Session(world.node.engine) as session:
        return tuple(session.scalar(select(func.count()).select_from(t)) or 0 for t in (BankRow, EntryRow, SignalRow))


def last_event(world: World):
    world.node.audit.flush()  # match events are appended in batches by the server's writer
    return world.node.audit.store.events()[-1]


def test_upload_match_finds_the_photo_and_stores_no_media(world: World):
    h = world.headers(Role.PLATFORM)
    body = world.client.post("/v1/match/upload", headers=h, files={"file": ("x", world.photos[0].read_bytes())}).json()
    assert {m["signal_type"] for m in body["matches"]} == {"pdq", "md5", "sha1", "sha256"}
    assert {m["entry"] for m in body["matches"]} == {world.entry_id}
    event = last_event(world)
    assert (event.record.action, event.record.outcome) == ("match", "ok")
    assert event.record.details["match_count"] == 4


def without_ids(matches: list[dict]) -> list[dict]:
    return [{k: v for k, v in m.items() if k != "match_id"} for m in matches]


def test_an_image_may_be_the_whole_body_of_each_upload_route(world: World):
    """Platforms send the bytes as they are: no form to build or parse; the content type is not trusted."""
    photo = world.photos[0].read_bytes()
    for content_type in ("application/octet-stream", "image/png", "text/plain"):  # the bytes are a JPEG
        h = {**world.headers(Role.PLATFORM), "Content-Type": content_type}
        as_body = world.client.post("/v1/match/upload", headers=h, content=photo).json()
        form = world.client.post("/v1/match/upload", headers=world.headers(Role.PLATFORM), files={"file": ("x", photo)})
        as_form = form.json()
        assert as_body["signals"] == as_form["signals"]
        assert without_ids(as_body["matches"]) == without_ids(as_form["matches"])
        assert {m["entry"] for m in as_body["matches"]} == {world.entry_id}
    hashed = world.client.post("/v1/hash", headers=world.headers(Role.PLATFORM), content=world.photos[1].read_bytes())
    assert hashed.status_code == 200 and hashed.json()["format"] == "JPEG"
    analyst = world.headers(Role.ANALYST)
    added = world.client.post(
        f"/v1/banks/{world.bank}/entries/upload", headers=analyst, content=world.photos[1].read_bytes()
    )
    assert added.status_code == 201 and len(added.json()["added"]) == 1


def test_a_file_that_is_not_an_image_is_hashed_and_added_by_its_exact_hashes(world: World):
    document = b"%PDF-1.4 not an image"
    h = world.headers(Role.ANALYST)

    hashed = world.client.post("/v1/hash", headers=h, files={"file": ("notes.pdf", document)})
    added = world.client.post(
        f"/v1/banks/{world.bank}/entries/upload", headers=h, files={"file": ("notes.pdf", document)}
    )

    assert hashed.status_code == 200
    body = hashed.json()
    assert [s["type"] for s in body["signals"]] == ["md5", "sha1", "sha256"]
    assert body["signals"][0]["value"] == hashlib.md5(document).hexdigest()
    assert body["format"] is None and "not an image" in body["not_an_image"]
    assert added.status_code == 201 and len(added.json()["added"]) == 1


def test_batch_match_reports_query_positions(world: World):
    pdq = world.node.store.get_entry(world.entry_id).signals[0].value
    signals = [{"type": "pdq", "value": PDQ}, {"type": "pdq", "value": pdq}]
    body = world.client.post("/v1/match", headers=world.headers(Role.INVESTIGATOR), json={"signals": signals}).json()
    assert [(m["query"], m["entry"], m["distance"]) for m in body["matches"]] == [(1, world.entry_id, 0)]


def test_sharing_a_bank_lets_another_country_match(world: World):
    analyst = world.headers(Role.ANALYST)
    md5 = next(s.value for s in world.node.store.get_entry(world.entry_id).signals if s.type == "md5")
    query = {"signals": [{"type": "md5", "value": md5}]}
    foreign_platform = world.headers(Role.PLATFORM, own=False)
    assert world.client.post("/v1/match", headers=foreign_platform, json=query).json()["matches"] == []
    policy = {"match": {"countries": ["DE"], "roles": ["platform"]}}
    response = world.client.patch(f"/v1/banks/{world.bank}", headers=analyst, json={"policy": policy})
    assert response.status_code == 200 and response.json()["policy"]["match"]["countries"] == ["DE"]
    assert len(world.client.post("/v1/match", headers=foreign_platform, json=query).json()["matches"]) == 1
    assert world.client.get(f"/v1/banks/{world.bank}", headers=foreign_platform).json()["policy"] is None
    assert world.client.get(f"/v1/banks/{world.bank}/entries", headers=foreign_platform).status_code == 404


def test_entries_page_and_retire(world: World):
    h = world.headers(Role.ANALYST)
    entries = [{"signals": [{"type": "md5", "value": format(n, "032x")}], "note": f"n{n}"} for n in range(5)]
    assert world.client.post(f"/v1/banks/{world.bank}/entries", headers=h, json={"entries": entries}).status_code == 201
    first = world.client.get(f"/v1/banks/{world.bank}/entries", headers=h, params={"limit": 4}).json()
    assert len(first["entries"]) == 4 and first["next_after"] == first["entries"][-1]["id"]
    rest = world.client.get(f"/v1/banks/{world.bank}/entries", headers=h, params={"after": first["next_after"]}).json()
    assert len(rest["entries"]) == 2 and rest["next_after"] is None
    retired = world.client.post(f"/v1/entries/{world.entry_id}/retire", headers=h, json={"reason": "duplicate"})
    assert retired.json()["status"] == "retired"
    upload = world.client.post("/v1/match/upload", headers=h, files={"file": ("x", world.photos[0].read_bytes())})
    assert upload.json()["matches"] == []


def test_key_shown_once_then_revoked_and_refused(world: World):
    admin = world.headers(Role.NODE_ADMIN)  # an org admin grants only roles it holds itself
    issued = world.client.post(
        f"/v1/organisations/{world.own.id}/keys",
        headers=admin,
        json={"name": "uploads", "roles": ["platform"], "scopes": ["match"]},
    ).json()
    token = issued["token"]
    listed = world.client.get(f"/v1/organisations/{world.own.id}/keys", headers=admin).json()
    assert all("token" not in k for k in listed) and issued["prefix"] in {k["prefix"] for k in listed}
    mine = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/v1/me", headers=mine).json()["scopes"] == ["match"]
    assert (
        world.client.post("/v1/hash", headers=mine, files={"file": ("x", world.photos[0].read_bytes())}).status_code
        == 404
    )
    world.client.post(f"/v1/keys/{issued['id']}/revoke", headers=admin)
    refused = world.client.get("/v1/me", headers=mine)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "authentication_failed"
    event = last_event(world)
    assert (event.record.action, event.record.outcome, event.record.details["key_prefix"]) == (
        "auth",
        "refused",
        issued["prefix"],
    )


def test_session_login_needs_csrf_for_changes(world: World):
    login = world.client.post("/v1/session", json={"username": world.users[(Role.ANALYST, True)], "password": PASSWORD})
    assert login.status_code == 200
    csrf = login.json()["csrf_token"]
    assert world.client.get("/v1/me").json()["name"] == world.users[(Role.ANALYST, True)]
    before = counts(world)
    refused = world.client.post("/v1/banks", json={"name": "via-session"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    assert counts(world) == before
    assert last_event(world).record.outcome == "refused"
    assert (
        world.client.post("/v1/banks", json={"name": "via-session"}, headers={"X-CSRF-Token": csrf}).status_code == 201
    )
    assert world.client.delete("/v1/session", headers={"X-CSRF-Token": csrf}).status_code == 204
    assert world.client.get("/v1/me").status_code == 401
    bad = world.client.post("/v1/session", json={"username": "nobody", "password": "wrong password"})
    assert bad.status_code == 401


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "code"),
    [
        (
            "POST",
            "/v1/match",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            422,
            "invalid_request",
        ),
        ("POST", "/v1/match", {"json": {"signals": "pdq"}}, 422, "invalid_request"),
        (
            "POST",
            "/v1/match",
            {"json": {"signals": [{"type": "pdq", "value": PDQ}], "unknown": 1}},
            422,
            "invalid_request",
        ),
        ("POST", "/v1/match", {"json": {"signals": [{"type": "pdq", "value": PDQ}] * 1001}}, 422, "invalid_request"),
        ("POST", "/v1/match", {"json": {"signals": [{"type": "pdq", "value": "' OR 1=1 --"}]}}, 422, "invalid_signal"),
        ("POST", "/v1/banks", {"json": {"name": "x'; DROP TABLE banks; --"}}, 422, "invalid_request"),
        ("POST", "/v1/banks", {"json": {"name": 42}}, 422, "invalid_request"),
        ("POST", "/v1/banks", {"json": {"name": "b", "thresholds": {"pdq": 99}}}, 422, "invalid_request"),
        (
            "POST",
            "/v1/banks",
            {"json": {"name": "b", "policy": {"match": {"roles": ["king"]}}}},
            422,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/banks/own-bank/entries",
            {"json": {"entries": [{"signals": [{"type": "md5", "value": "zz"}]}]}},
            422,
            "invalid_signal",
        ),
        (
            "POST",
            "/v1/banks/own-bank/entries/upload",
            {"files": {"file": ("a.jpg", b"")}},  # an empty file: its exact hashes are every empty file's
            422,
            "hashing_error",
        ),
        ("POST", "/v1/hash", {"files": {"file": ("a.jpg", b"")}}, 422, "hashing_error"),
        ("POST", "/v1/hash", {"content": b"", "headers": {"Content-Type": "image/jpeg"}}, 422, "hashing_error"),
        (
            "POST",
            "/v1/match/upload",
            {"content": b"GIF89a broken", "headers": {"Content-Type": "application/octet-stream"}},
            422,
            "hashing_error",
        ),
        ("POST", "/v1/hash", {"files": {"photo": ("a.jpg", b"x")}}, 422, "invalid_request"),  # no `file` field
        (
            "POST",
            "/v1/match/upload",
            {"data": {"file": "text, not a file"}, "files": {"other": ("a", b"")}},
            422,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/banks/own-bank/entries/upload",
            {"files": [("file", ("a.jpg", b"1")), ("file", ("b.jpg", b"2"))]},  # one image per request
            422,
            "invalid_request",
        ),
        (
            "POST",
            "/v1/match/upload",  # validated by the route itself, not by FastAPI
            {"params": {"dihedral": "sideways"}, "content": b"GIF89a not hashed: the query is refused first"},
            422,
            "invalid_request",
        ),
        ("GET", "/v1/banks/own-bank/entries", {"params": {"limit": 100000}}, 422, "invalid_request"),
        ("GET", "/v1/entries/not-a-number", {}, 422, "invalid_request"),
        (
            "POST",
            "/v1/banks/own-bank/entries",
            {
                "json": {
                    "entries": [
                        {"signals": [{"type": "md5", "value": "1" * 32}]},
                        {"signals": [{"type": "md5", "value": "1" * 32}]},
                    ]
                }
            },
            409,
            "conflict",
        ),
    ],
)
def test_bad_input_is_a_clear_4xx_writes_nothing_and_is_audited(world: World, method, path, kwargs, status, code):
    headers = {**world.headers(Role.ANALYST), **kwargs.pop("headers", {})}
    before = counts(world)
    response = world.client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert counts(world) == before
    event = last_event(world)
    assert event.record.outcome in {"invalid", "refused"} and event.record.actor.startswith("key:")


def test_oversized_bodies_are_refused_with_413(engine, settings_for, photos):
    world = next(build_world(settings_for(engine, max_request_bytes=2000, max_file_bytes=10_000), photos))
    h = world.headers(Role.ANALYST)
    big = {"signals": [{"type": "pdq", "value": PDQ}] * 50}
    response = world.client.post("/v1/match", headers=h, json=big)
    assert response.status_code == 413 and response.json()["error"]["code"] == "payload_too_large"
    upload = world.client.post("/v1/hash", headers=h, files={"file": ("x.jpg", photos[4].read_bytes())})  # 104 kB
    assert upload.status_code == 413
    bare = world.client.post("/v1/match/upload", headers=h, content=photos[4].read_bytes())
    assert bare.status_code == 413 and bare.json()["error"]["code"] == "payload_too_large"
    assert last_event(world).record.outcome == "too_large"


def test_rate_limit_answers_429_with_retry_after(engine, settings_for, photos):
    world = next(build_world(settings_for(engine, rate_limit_per_second=1, rate_limit_burst=3), photos))
    h = world.headers(Role.PLATFORM)
    statuses = [world.client.get("/v1/me", headers=h).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    limited = world.client.get("/v1/me", headers=h)
    assert int(limited.headers["Retry-After"]) >= 1
    assert world.client.get("/v1/me", headers=world.headers(Role.ANALYST)).status_code == 200  # per key
    refusals = [e for e in world.node.audit.store.events() if e.record.action == "rate_limit"]
    assert len(refusals) == 1  # one event per burst, not per request


def test_expired_key_is_refused(world: World):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from alliance.store.models import ApiKeyRow

    issued = world.node.accounts.create_key(SYSTEM, world.own.id, "old", frozenset({Role.PLATFORM}), expires_in_days=1)
    with world.node.engine.begin() as connection:
        connection.execute(
            update(ApiKeyRow)
            .where(ApiKeyRow.id == issued.key.id)
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    response = world.client.get("/v1/me", headers={"Authorization": f"Bearer {issued.token}"})
    assert response.status_code == 401 and "expired" in response.json()["error"]["message"]


def test_audit_api_scopes_auditors_to_their_organisation(world: World):
    world.client.get(f"/v1/banks/{world.bank}/entries", headers=world.headers(Role.ANALYST))
    world.client.get("/v1/me", headers=world.headers(Role.ANALYST, own=False))
    world.client.post("/v1/banks", headers=world.headers(Role.ANALYST, own=False), json={"name": "de-bank"})
    own = world.client.get("/v1/audit", headers=world.headers(Role.AUDITOR), params={"limit": 1000}).json()["events"]
    assert own and all(world.own.id in (e["org_id"], e["subject_org_id"]) for e in own)
    everything = world.client.get("/v1/audit/export", headers=world.headers(Role.NODE_ADMIN)).text.splitlines()
    assert len(everything) > len(own)
    assert world.node.audit.verify()[2] == []
    world.client.get("/v1/audit", headers=world.headers(Role.PLATFORM))  # refused: 404, and recorded so
    refused = world.client.get(
        "/v1/audit", headers=world.headers(Role.AUDITOR), params={"outcome": "refused", "limit": 1000}
    ).json()["events"]
    assert refused and {e["outcome"] for e in refused} == {"refused"}
    assert any(e["action"] == "audit.read" for e in refused)


def test_openapi_and_health(world: World):
    assert world.client.get("/openapi.json").json()["info"]["title"] == "Alliance node"
    assert world.client.get("/readyz").json()["status"] == "ready"
    assert world.client.get("/nowhere").json()["error"]["code"] == "not_found"


def test_every_route_documents_the_one_error_body_it_sends(world: World):
    document = world.client.get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            refused = operation["responses"]["4XX"]["content"]["application/json"]["schema"]
            assert refused == error, f"{method} {path}"
            assert "422" not in operation["responses"], f"{method} {path}: FastAPI's own 422 body"
    assert "HTTPValidationError" not in document["components"]["schemas"]
    bad_query = world.client.post(
        "/v1/match/upload", headers=world.headers(Role.PLATFORM), params={"dihedral": "x"}, content=b"x"
    )
    assert bad_query.status_code == 422
    ErrorOut.model_validate(bad_query.json())


def test_upload_match_names_the_variant_that_matched(world: World):
    from alliance.demo.alterations import rotate_90

    turned = rotate_90(world.photos[0].read_bytes())
    h = world.headers(Role.INVESTIGATOR)
    plain = world.client.post(
        "/v1/match/upload", headers=h, params={"dihedral": "false"}, files={"file": ("x", turned)}
    )
    assert plain.json()["matches"] == []
    found = world.client.post("/v1/match/upload", headers=h, files={"file": ("x", turned)}).json()["matches"]
    assert [(m["entry"], m["variant"]) for m in found] == [(world.entry_id, "rotate270")]


def test_a_large_upload_is_never_spooled_to_disk(world: World, monkeypatch):
    """Starlette spills uploads above 1 MB to a temporary file; the node must keep media in memory."""
    import io
    import tempfile

    import numpy as np
    from PIL import Image

    noise = np.random.default_rng(1).integers(0, 256, (1100, 1100, 3), dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(noise).save(out, "PNG")
    assert len(out.getvalue()) > 2_000_000

    from alliance.core.media.hashing import hash_image

    hash_image(out.getvalue())  # compile (and cache) numba's kernels first: their cache writes files

    def no_disk(*args, **kwargs):
        raise AssertionError("an upload was written to a temporary file")

    monkeypatch.setattr(tempfile, "TemporaryFile", no_disk)
    monkeypatch.setattr(tempfile, "NamedTemporaryFile", no_disk)
    response = world.client.post(
        "/v1/hash", headers=world.headers(Role.ANALYST), files={"file": ("n.png", out.getvalue())}
    )
    assert response.status_code == 200, response.text


def test_a_crop_matching_bank_finds_a_cropped_upload_and_says_how(world: World):
    from alliance.demo.alterations import crop_centre

    analyst = world.headers(Role.ANALYST)
    created = world.client.post("/v1/banks", headers=analyst, json={"name": "crops", "crop_matching": True})
    assert created.status_code == 201 and created.json()["crop_matching"] is True
    added = world.client.post(
        "/v1/banks/crops/entries/upload", headers=analyst, files={"file": ("p.jpg", world.photos[2].read_bytes())}
    )
    assert added.status_code == 201
    cropped = crop_centre(0.10)(world.photos[2].read_bytes())

    def found() -> list[tuple[str, str]]:
        body = world.client.post("/v1/match/upload", headers=analyst, files={"file": ("x", cropped)}).json()
        return [(m["bank"], m["variant"]) for m in body["matches"]]

    [(bank, variant)] = found()
    assert bank == "crops" and "@centre-" in variant  # the entry's centre crop met the copy
    changed = world.client.patch("/v1/banks/crops", headers=analyst, json={"crop_matching": False})
    assert changed.status_code == 200 and changed.json()["crop_matching"] is False
    assert found() == []


def test_a_node_whose_audit_writer_is_behind_answers_503_and_serves_again_once_it_catches_up(world: World, monkeypatch):
    from alliance.api.routes import matching as routes

    hashed: list[bytes] = []
    real = routes.query_signals
    monkeypatch.setattr(routes, "query_signals", lambda data, *a, **k: hashed.append(data) or real(data, *a, **k))
    h = world.headers(Role.PLATFORM)
    query = {"signals": [{"type": "pdq", "value": PDQ}]}
    writer = world.node.audit._deferred
    assert writer.running  # the app's lifespan starts it
    writer.max_pending = 0  # as if it were that far behind
    refused = world.client.post("/v1/match", headers=h, json=query)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "1"
    assert refused.json()["error"]["code"] == "overloaded"
    upload = world.client.post("/v1/match/upload", headers=h, content=world.photos[0].read_bytes())
    assert upload.status_code == 503 and hashed == []  # refused before hashing
    writer.max_pending = 100_000
    assert world.client.post("/v1/match", headers=h, json=query).status_code == 200
    assert world.client.post("/v1/match/upload", headers=h, content=world.photos[0].read_bytes()).status_code == 200
    assert len(hashed) == 1


@pytest.mark.parametrize(
    ("scopes", "path", "kwargs", "action"),
    [
        (["hash"], "/v1/match/upload", {"content": "photo"}, "match"),
        (["hash"], "/v1/match", {"json": {"signals": [{"type": "md5", "value": "1" * 32}]}}, "match"),
        (["match"], "/v1/hash", {"content": "photo"}, "hash"),
    ],
)
def test_a_key_without_the_routes_scope_gets_404_and_the_refusal_is_audited(world: World, scopes, path, kwargs, action):
    admin = world.headers(Role.NODE_ADMIN)
    issued = world.client.post(
        f"/v1/organisations/{world.own.id}/keys",
        headers=admin,
        json={"name": "narrow", "roles": ["platform"], "scopes": scopes},
    ).json()
    if kwargs.get("content") == "photo":
        kwargs = {"content": world.photos[0].read_bytes()}
    response = world.client.post(path, headers={"Authorization": f"Bearer {issued['token']}"}, **kwargs)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    event = last_event(world)
    assert (event.record.action, event.record.target, event.record.outcome) == (action, f"POST {path}", "refused")
    assert event.record.actor.startswith(f"key:{issued['prefix']}")


def test_control_characters_are_refused_before_the_store_sees_them(world: World):
    """NUL made PostgreSQL fail (a 500, unaudited), even before authentication; now a 422, audited."""
    analyst = world.headers(Role.ANALYST)
    cases = [
        ("POST", "/v1/banks", analyst, {"json": {"name": "nul\u0000bank"}}, "name"),
        ("POST", f"/v1/banks/{world.bank}/entries", analyst, {"json": {"entries": [ENTRY_WITH_NUL]}}, "metadata"),
        ("GET", "/v1/banks/nul%00bank", analyst, {}, "path"),
        ("GET", "/v1/banks", analyst, {"params": {"q": "a\u001bb"}}, "query"),
        ("GET", "/v1/banks/nul%00bank", {}, {}, "path"),  # unauthenticated
        ("POST", "/v1/session", {}, {"json": {"username": "admin\u0000", "password": "x"}}, "username"),
    ]
    for method, url, headers, request, where in cases:
        response = world.client.request(method, url, headers=headers, **request)
        assert response.status_code == 422, (url, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and where in error["message"], error
        event = last_event(world).record
        assert (event.action, event.outcome) == ("request", "invalid")
        assert "\u0000" not in str(event.details)
    note = {"entries": [{"signals": [{"type": "md5", "value": "1" * 32}], "note": "line one\nline two\tend"}]}
    assert world.client.post(f"/v1/banks/{world.bank}/entries", headers=analyst, json=note).status_code == 201


ENTRY_WITH_NUL = {"signals": [{"type": "md5", "value": "2" * 32}], "metadata": {"case": ["ok", "x\u0000"]}}


def test_usernames_and_key_names_that_spoof_the_audit_actor_are_refused(world: World):
    admin, url = world.headers(Role.NODE_ADMIN), f"/v1/organisations/{world.own.id}"
    user = {"password": PASSWORD, "roles": ["analyst"]}
    for username in ("admin\u202enimda", "\u0430dmin", "x\x1b[2J"):
        response = world.client.post(f"{url}/users", headers=admin, json={**user, "username": username})
        assert response.status_code == 422 and "username" in response.json()["error"]["message"]
        assert last_event(world).record.outcome == "invalid"
    response = world.client.post(f"{url}/keys", headers=admin, json={"name": "ci\u202e", "roles": ["platform"]})
    assert response.status_code == 422 and "key name" in response.json()["error"]["message"]
    created = world.client.post(f"{url}/users", headers=admin, json={**user, "username": "Ｊｏｅ"})
    assert created.status_code == 201 and created.json()["username"] == "Joe"


def test_no_redirect_reflects_the_host_header(world: World):
    response = world.client.get(
        "/v1/banks/", headers={**world.headers(Role.ANALYST), "Host": "evil.example"}, follow_redirects=False
    )
    assert response.status_code == 404 and "location" not in response.headers
    assert "evil.example" not in response.text
