"""Each role's pages without a browser: they render, show what the services let the role see, and
answer 404 for what it may not see."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from alliance.asgi import create_app
from alliance.services.demo import REVIEW_BANK, SHARED_BANK, DemoLogin
from tests.web.conftest import seed, web_settings
from tests.web.test_pages import form_token, log_in


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, DemoLogin]]]:
    settings = web_settings(tmp_path_factory.mktemp("roles") / "home")
    logins = seed(settings)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client, logins


PAGES = {
    "uk-analyst": [
        "/",
        "/banks",
        f"/banks/{SHARED_BANK}",
        f"/banks/{REVIEW_BANK}",
        "/review",
        "/review?queue=disputes",
    ],
    "de-investigator": [
        "/",
        "/banks",
        f"/banks/{SHARED_BANK}",
        "/review",
        "/check",
        "/disputes",
        "/cases",
        "/cases/new",
        "/series",
        "/series/new",
        "/notifications",
    ],
    "us-platform": ["/", "/check", "/disputes", "/banks"],
    "uk-admin": ["/", "/organisation", "/banks"],
    "uk-auditor": ["/", "/audit", "/audit?action=session.login"],
    "admin": ["/", "/organisations", "/organisation", "/audit", "/audit/verify"],
    "secretariat": ["/"],
}


@pytest.mark.parametrize("username", sorted(PAGES))
def test_each_roles_pages_render(site, username):
    client, logins = site
    log_in(client, logins, username)
    for path in PAGES[username]:
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.text[:800]}"
        links = {html.unescape(link) for link in re.findall(r'href="(/[^"#]*)', response.text)}
        for link in links - {"/docs"}:  # every link of the page leads somewhere that renders
            if link.startswith(("/static", "/audit/export")):
                continue
            assert client.get(link).status_code == 200, f"{path} links to {link}"


def test_a_bank_not_shared_for_reading_is_404_like_a_missing_one(site):
    client, logins = site
    log_in(client, logins, "us-platform")
    shown = client.get(f"/banks/{SHARED_BANK}")  # shared for matching: shown, entries withheld
    assert "for matching only" in shown.text
    hidden = client.get(f"/banks/{REVIEW_BANK}")
    missing = client.get("/banks/no-such-bank")
    assert hidden.status_code == missing.status_code == 404
    assert "Not found" in hidden.text


def test_pages_of_other_roles_are_404(site):
    client, logins = site
    log_in(client, logins, "us-platform")
    assert client.get("/organisations").status_code == 404
    assert client.get("/audit").status_code == 404
    log_in(client, logins, "uk-auditor")
    assert client.get("/check").status_code == 404


def test_a_new_key_secret_is_shown_once_and_revocation_asks_first(site):
    client, logins = site
    token = log_in(client, logins, "uk-admin")
    page = client.get("/organisation").text
    org = re.search(r'name="org" value="(\d+)"', page).group(1)
    created = client.post(
        "/organisation/keys",
        data={"csrf": token, "name": "web key", "roles": ["analyst"], "scopes": ["read"], "org": org},
    )
    assert created.status_code == 201
    secret = re.search(r'class="secret">(alk_[^<]+)<', created.text).group(1)
    assert secret not in client.get("/organisation").text  # once
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    key_id = re.findall(r'href="/keys/(\d+)/revoke', client.get("/organisation").text)[-1]
    confirm = client.get(f"/keys/{key_id}/revoke?org={org}")
    assert "cannot be undone" in confirm.text
    client.post(f"/keys/{key_id}/revoke", data={"csrf": form_token(confirm.text), "org": org})
    client.cookies.clear()
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
