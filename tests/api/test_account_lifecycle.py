"""Account lifecycle through the API: disable and enable a user, reset a password that must be
changed, end a user's sessions, rotate a key with a grace period. Each audited, each authorised
as account administration (decision 0007), each effective on another replica at its next replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from alliance.core.access import SYSTEM, OrgKind, Role
from alliance.core.errors import AuthenticationFailed
from alliance.node import Node
from alliance.settings import Settings
from tests.api.conftest import PASSWORD, World

R = Role


def login(world: World, username: str, password: str = PASSWORD) -> tuple[dict[str, str], dict[str, object]]:
    """A session's cookie as a header, and the login's body (kept out of the client's cookie jar)."""
    response = world.client.post("/v1/session", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    cookie = {"Cookie": f"alliance_session={response.cookies['alliance_session']}"}
    world.client.cookies.clear()
    return cookie, response.json()


def admin(world: World) -> dict[str, str]:
    return world.headers(R.NODE_ADMIN)


def audited(world: World, action: str, target: str, outcome: str = "ok") -> bool:
    events = world.node.audit.events(SYSTEM, action=action, limit=1000)
    return any(e.record.target == target and e.record.outcome == outcome for e in events)


def user_id(world: World, username: str) -> int:
    user = world.node.accounts.store.user_by_name(username)
    assert user is not None
    return user.id


def test_disabling_a_user_ends_their_sessions_and_keys_at_once(world: World):
    name = world.users[(R.ANALYST, True)]
    uid = user_id(world, name)
    cookies, _ = login(world, name)
    key = world.headers(R.ANALYST)
    assert world.client.get("/v1/banks", headers=cookies).status_code == 200
    assert world.client.get("/v1/banks", headers=key).status_code == 200  # now cached

    response = world.client.post(f"/v1/users/{uid}/disable", headers=admin(world))
    assert response.status_code == 200 and response.json()["disabled"] is True
    assert world.client.get("/v1/banks", headers=cookies).status_code == 401
    assert world.client.get("/v1/banks", headers=key).status_code == 401
    assert world.client.post("/v1/session", json={"username": name, "password": PASSWORD}).status_code == 401
    assert audited(world, "user.disable", f"user:{uid}")

    assert world.client.post(f"/v1/users/{uid}/enable", headers=admin(world)).json()["disabled"] is False
    assert world.client.get("/v1/banks", headers=key).status_code == 200
    assert world.client.get("/v1/banks", headers=cookies).status_code == 401  # ended, not suspended
    assert audited(world, "user.enable", f"user:{uid}")


def test_a_reset_password_must_be_changed_before_anything_else(world: World):
    name = world.users[(R.ANALYST, True)]
    uid = user_id(world, name)
    old_session, _ = login(world, name)
    response = world.client.post(f"/v1/users/{uid}/reset-password", headers=admin(world), json={})
    assert response.status_code == 200
    temporary = response.json()["password"]
    assert response.json()["user"]["must_change_password"] is True
    assert world.client.get("/v1/banks", headers=old_session).status_code == 401
    assert audited(world, "user.reset_password", f"user:{uid}")

    cookies, body = login(world, name, temporary)
    assert body["must_change_password"] is True
    csrf = {"X-CSRF-Token": str(body["csrf_token"])}
    refused = world.client.get("/v1/banks", headers=cookies)
    assert refused.status_code == 401 and "/v1/session/password" in refused.text
    assert world.client.get("/v1/me", headers=cookies).status_code == 200
    change = {"current_password": "not it at all", "new_password": "a brand new password"}
    assert world.client.post("/v1/session/password", headers={**cookies, **csrf}, json=change).status_code == 401
    change["current_password"] = temporary
    assert world.client.post("/v1/session/password", headers={**cookies, **csrf}, json=change).status_code == 204
    assert world.client.get("/v1/banks", headers=cookies).status_code == 200
    assert audited(world, "user.change_password", f"user:{uid}")
    assert audited(world, "user.change_password", f"user:{uid}", "refused")
    login(world, name, "a brand new password")


def test_ending_a_users_sessions(world: World):
    name = world.users[(R.AUDITOR, True)]
    uid = user_id(world, name)
    sessions = [login(world, name)[0] for _ in range(2)]
    response = world.client.delete(f"/v1/users/{uid}/sessions", headers=admin(world))
    assert response.status_code == 200 and response.json() == {"ended": 2}
    assert all(world.client.get("/v1/me", headers=c).status_code == 401 for c in sessions)
    assert audited(world, "user.end_sessions", f"user:{uid}")


def test_rotating_a_key_keeps_the_old_secret_for_the_grace_period(world: World):
    token = world.node.accounts.create_key(SYSTEM, world.own.id, "uploads", frozenset({R.PLATFORM})).token
    key_id = world.node.accounts.authenticate_key(token).key_id
    response = world.client.post(f"/v1/keys/{key_id}/rotate", headers=admin(world), json={"grace_hours": 1})
    assert response.status_code == 200
    new = response.json()["token"]
    assert new != token and new.split("_")[1] == token.split("_")[1]  # same key, new secret
    assert response.json()["previous_secret_valid_until"] is not None
    for credential in (token, new):
        assert world.client.get("/v1/me", headers={"Authorization": f"Bearer {credential}"}).status_code == 200
    assert audited(world, "key.rotate", f"key:{key_id}")

    newest = world.client.post(f"/v1/keys/{key_id}/rotate", headers=admin(world), json={"grace_hours": 0}).json()
    assert world.client.get("/v1/me", headers={"Authorization": f"Bearer {new}"}).status_code == 401
    assert world.client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert world.client.get("/v1/me", headers={"Authorization": f"Bearer {newest['token']}"}).status_code == 200
    too_long = world.client.post(f"/v1/keys/{key_id}/rotate", headers=admin(world), json={"grace_hours": 169})
    assert too_long.status_code == 422


def test_an_org_admin_administers_only_people_within_what_it_holds(world: World):
    """Decision 0007: an org admin acts for its own organisation, never beyond the roles it holds."""
    org_admin = world.headers(R.ORG_ADMIN)
    analyst = user_id(world, world.users[(R.ANALYST, True)])
    refused = world.client.post(f"/v1/users/{analyst}/disable", headers=org_admin)
    assert refused.status_code == 422 and "analyst" in refused.text
    assert audited(world, "user.disable", f"user:{analyst}", "refused")
    assert world.node.accounts.store.user(analyst).disabled is False
    foreign = user_id(world, world.users[(R.ORG_ADMIN, False)])
    assert world.client.post(f"/v1/users/{foreign}/reset-password", headers=org_admin, json={}).status_code == 404
    assert audited(world, "user.reset_password", f"user:{foreign}", "refused")
    peer = world.fresh_user()
    assert world.client.post(f"/v1/users/{peer}/disable", headers=org_admin).status_code == 200


def test_lifecycle_changes_reach_another_replica_at_its_next_replay(engine: Engine, tmp_path: Path):
    """Replica B trusts cached keys for an hour; a disable, a rotation or a revocation on replica A
    still reaches it when it replays the change log (every `match_refresh_seconds`, 1 s by default)."""
    url = engine.url.render_as_string(hide_password=False)
    a = Node(Settings(home=tmp_path / "a", database_url=url))
    b = Node(Settings(home=tmp_path / "b", database_url=url), key_cache_seconds=3600)
    org = a.accounts.create_organisation(SYSTEM, "UK Hotline", "GB", OrgKind.HOTLINE)
    user = a.accounts.create_user(SYSTEM, org.id, "ana", PASSWORD, frozenset({R.ANALYST}))
    acting = a.accounts.create_key(SYSTEM, org.id, "ana's", frozenset({R.ANALYST}), for_user=user.username)
    machine = a.accounts.create_key(SYSTEM, org.id, "uploads", frozenset({R.ANALYST}))
    b.matcher.index.refresh()
    for issued in (acting, machine):
        b.accounts.authenticate_key(issued.token)  # cached on B

    a.accounts.set_user_disabled(SYSTEM, user.id, True)
    b.accounts.authenticate_key(acting.token)  # B has not replayed yet: its cache still says yes
    b.matcher.index.refresh()
    with pytest.raises(AuthenticationFailed, match="disabled"):
        b.accounts.authenticate_key(acting.token)

    rotated = a.accounts.rotate_key(SYSTEM, machine.key.id, grace_hours=0)
    b.matcher.index.refresh()
    assert b.accounts.authenticate_key(rotated.token).key_id == machine.key.id
    with pytest.raises(AuthenticationFailed):
        b.accounts.authenticate_key(machine.token)
    a.close()
    b.close()
