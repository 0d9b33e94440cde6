"""Administration and match history without a browser: an org admin's actions on users and keys
(asking first where they cannot be undone), the node admin's organisations, a platform's match
history; each 404 for whoever may not, refused without the form's token, audited."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alliance.asgi import create_app
from alliance.core.access import SYSTEM, OrgKind, Role
from alliance.core.errors import AuthenticationFailed
from alliance.services.demo import DemoLogin
from alliance.web import admin as admin_pages
from alliance.web import matches as match_pages
from tests.web.conftest import seed, web_settings
from tests.web.test_pages import form_token, log_in

Site = tuple[TestClient, dict[str, DemoLogin]]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = web_settings(tmp_path_factory.mktemp("admin") / "home")
    logins = seed(settings)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client, logins


def node_of(client: TestClient):  # type: ignore[no-untyped-def]
    return client.app.state.node  # type: ignore[attr-defined]


def audited(client: TestClient, action: str, outcome: str = "ok") -> list[object]:
    node = node_of(client)
    node.audit.flush()
    return [
        e for e in node.audit.store.events(limit=100_000) if (e.record.action, e.record.outcome) == (action, outcome)
    ]


def org_of(client: TestClient, name: str) -> int:
    return next(o.id for o in node_of(client).accounts.directory(SYSTEM) if o.name == name)


def user_id(client: TestClient, username: str) -> int:
    return node_of(client).account_store.user_by_name(username).id


def test_an_org_admin_disables_and_enables_a_user_after_confirmation(site: Site):
    client, logins = site
    org = org_of(client, "UK Hotline")
    token = log_in(client, logins, "uk-admin")
    uid = user_id(client, "uk-analyst")
    asked = client.post(f"/users/{uid}/disable", data={"csrf": token, "org": org})
    assert asked.status_code == 200 and "Disable uk-analyst?" in asked.text
    assert not node_of(client).account_store.user(uid).disabled
    done = client.post(
        f"/users/{uid}/disable", data={"csrf": token, "org": org, "confirm": "yes"}, follow_redirects=False
    )
    assert done.headers["location"] == f"/organisation?org={org}&notice=disabled"
    assert node_of(client).account_store.user(uid).disabled
    assert audited(client, "user.disable")
    client.post(f"/users/{uid}/enable", data={"csrf": token, "org": org})
    assert not node_of(client).account_store.user(uid).disabled
    assert client.post(f"/users/{uid}/disable", data={"org": org, "confirm": "yes"}).status_code == 403
    assert not node_of(client).account_store.user(uid).disabled


def test_a_reset_password_is_shown_once_and_must_be_changed(site: Site):
    client, logins = site
    org = org_of(client, "Alliance Secretariat")
    token = log_in(client, logins, "admin")
    uid = user_id(client, "secretariat")
    shown = client.post(f"/users/{uid}/reset-password", data={"csrf": token, "org": org, "confirm": "yes"})
    password = re.search(r'class="secret">([^<]+)<', shown.text).group(1)
    assert password not in client.get(f"/organisation?org={org}").text  # once
    user = node_of(client).account_store.user(uid)
    assert user.must_change_password
    assert node_of(client).accounts.login("secretariat", password).must_change_password


def test_ending_sessions_logs_the_user_out(site: Site):
    client, logins = site
    org = org_of(client, "US Platform")
    log_in(client, logins, "us-platform")
    session = client.cookies["alliance_session"]
    token = log_in(client, logins, "admin")  # the node admin administers every organisation
    uid = user_id(client, "us-platform")
    client.post(f"/users/{uid}/end-sessions", data={"csrf": token, "org": org, "confirm": "yes"})
    assert audited(client, "user.end_sessions")
    with pytest.raises(AuthenticationFailed):
        node_of(client).accounts.live_session(session)


def test_a_key_with_scopes_expiry_and_person_and_its_rotation(site: Site):
    client, logins = site
    org = org_of(client, "UK Hotline")
    token = log_in(client, logins, "admin")
    created = client.post(
        "/organisation/keys",
        data={"csrf": token, "org": org, "name": "reader", "roles": ["analyst"], "scopes": ["read"],
              "expires_in_days": "30", "for_user": "uk-admin"},
    )  # fmt: skip
    assert created.status_code == 201, created.text[-2000:]
    secret = re.search(r'class="secret">(alk_[^<]+)<', created.text).group(1)
    key = next(k for k in node_of(client).account_store.keys(org) if k.name == "reader")
    assert (key.scopes, key.user, key.expires_at is not None) == (frozenset({"read"}), "uk-admin", True)
    client.cookies.clear()
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    token = log_in(client, logins, "uk-admin")
    confirm = client.get(f"/keys/{key.id}/rotate?org={org}")
    assert "Rotate the key reader?" in confirm.text and 'name="grace_hours"' in confirm.text
    rotated = client.post(
        f"/keys/{key.id}/rotate",
        data={"csrf": form_token(confirm.text), "org": org, "grace_hours": "1", "confirm": "yes"},
    )
    new_secret = re.search(r'class="secret">(alk_[^<]+)<', rotated.text).group(1)
    assert new_secret != secret and "The old secret works until" in rotated.text
    client.cookies.clear()
    for credential in (secret, new_secret):  # the old one for the grace period
        assert client.get("/v1/me", headers={"Authorization": f"Bearer {credential}"}).status_code == 200
    token = log_in(client, logins, "uk-admin")
    beyond = client.post(
        "/organisation/keys", data={"csrf": token, "org": org, "name": "x", "roles": ["analyst"], "scopes": ["read"],
                                    "for_user": "uk-analyst"},
    )  # fmt: skip
    assert beyond.status_code == 422 and "acts for you" in beyond.text
    no_scope = client.post("/organisation/keys", data={"csrf": token, "org": org, "name": "y", "roles": ["analyst"]})
    assert no_scope.status_code == 422 and "at least one scope" in no_scope.text


def test_another_organisations_users_and_keys_are_404(site: Site):
    client, logins = site
    other = org_of(client, "US Platform")
    token = log_in(client, logins, "uk-admin")
    uid = user_id(client, "us-platform")
    assert client.get(f"/organisation?org={other}").status_code == 404
    for action in ("disable", "reset-password", "end-sessions", "enable"):
        response = client.post(f"/users/{uid}/{action}", data={"csrf": token, "org": other, "confirm": "yes"})
        assert response.status_code == 404, action
    assert not node_of(client).account_store.user(uid).disabled
    assert audited(client, "user.disable", "refused")


def test_users_and_keys_are_paged(site: Site, monkeypatch: pytest.MonkeyPatch):
    client, logins = site
    monkeypatch.setattr(admin_pages, "PAGE_SIZE", 1)
    org = org_of(client, "UK Hotline")
    log_in(client, logins, "uk-admin")
    names, path = [], f"/organisation?org={org}"
    for _ in range(20):
        page = client.get(path).text
        names += re.findall(r"<tr><td>([\w-]+)</td><td><span class=\"tag\">", page)[:1]
        found = re.search(r'aria-label="Pages of users">.*?href="([^"]*uafter=\d+[^"]*)">Next page', page, re.S)
        if not found:
            break
        path = found.group(1).replace("&amp;", "&")
    assert {"uk-admin", "uk-analyst", "uk-auditor"} <= set(names)


def test_the_node_admin_adds_an_organisation_and_changes_its_roles(site: Site):
    client, logins = site
    token = log_in(client, logins, "admin")
    name = f"FR Hotline {secrets.token_hex(3)}"
    bad = client.post("/organisations", data={"csrf": token, "name": name, "country": "France", "kind": "hotline"})
    assert bad.status_code == 422 and "ISO 3166" in bad.text
    created = client.post(
        "/organisations", data={"csrf": token, "name": name, "country": "fr", "kind": "hotline"}, follow_redirects=False
    )
    org = next(o for o in node_of(client).accounts.organisations(SYSTEM) if o.name == name)
    assert created.headers["location"] == f"/organisations/{org.id}?notice=created"
    assert (org.country, org.kind) == ("FR", OrgKind.HOTLINE)
    client.post(
        f"/organisations/{org.id}",
        data={"csrf": token, "kind": "law_enforcement", "roles": ["investigator", "org_admin"]},
    )
    changed = next(o for o in node_of(client).accounts.organisations(SYSTEM) if o.id == org.id)
    assert changed.kind is OrgKind.LAW_ENFORCEMENT and changed.allowed_roles == {Role.INVESTIGATOR, Role.ORG_ADMIN}
    assert audited(client, "org.create") and audited(client, "org.update")
    uk = org_of(client, "UK Hotline")
    taken = client.post(f"/organisations/{uk}", data={"csrf": token, "kind": "hotline", "roles": ["auditor"]})
    assert taken.status_code == 422 and "hold the role" in taken.text

    token = log_in(client, logins, "uk-admin")
    assert client.get("/organisations").status_code == 404
    assert client.get(f"/organisations/{org.id}").status_code == 404
    assert (
        client.post("/organisations", data={"csrf": token, "name": "x", "country": "FR", "kind": "ngo"}).status_code
        == 404
    )


def test_a_platforms_match_history_is_paged_and_its_own(site: Site, monkeypatch: pytest.MonkeyPatch):
    client, logins = site
    node = node_of(client)
    from alliance.services.demo import SHARED_BANK

    pdq = next(s.value for e in node.banks_for(SYSTEM).entries(SHARED_BANK) for s in e.signals if s.type == "pdq")
    token = log_in(client, logins, "us-platform")
    for _ in range(3):
        assert client.post("/check/hash", data={"csrf": token, "signal_type": "pdq", "value": pdq}).status_code == 200
    monkeypatch.setattr(match_pages, "PAGE_SIZE", 2)
    first = client.get("/matches").text
    ids = re.findall(r'action="/matches/([0-9a-f]+)/dispute"', first)
    older = re.search(r'href="(/matches\?before=[^"]+)">Older', first)
    assert len(ids) == 2 and older
    second = client.get(older.group(1).replace("&amp;", "&")).text
    more = re.findall(r'action="/matches/([0-9a-f]+)/dispute"', second)
    assert more and not set(more) & set(ids)
    client.post(f"/matches/{ids[0]}/dispute", data={"csrf": token, "reason": "a landscape"})
    assert f'action="/matches/{ids[0]}/dispute"' not in client.get("/matches").text  # disputed now
    assert audited(client, "match.history")

    log_in(client, logins, "de-investigator")  # matches too, but not these: its own history is empty
    assert not set(re.findall(r"/matches/([0-9a-f]+)/dispute", client.get("/matches").text)) & set(ids)
    log_in(client, logins, "uk-auditor")
    assert client.get("/matches").status_code == 404
    assert client.get("/matches?before=yesterday").status_code in (404, 422)
