"""The pages without a browser: security headers, CSRF on every form, login, logout, expiry, the
password reset flow, and /docs served by the node."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from alliance.asgi import create_app
from alliance.core.access import SYSTEM
from alliance.services.demo import DemoLogin
from alliance.web.auth import safe_next
from tests.web.conftest import seed, web_settings


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, dict[str, DemoLogin]]]:
    settings = web_settings(tmp_path_factory.mktemp("pages") / "home")
    logins = seed(settings)
    with TestClient(create_app(settings), base_url="http://testserver") as client:
        yield client, logins


def form_token(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def log_in(client: TestClient, logins: dict[str, DemoLogin], username: str) -> str:
    """Log in through the form; returns the home page's CSRF token."""
    client.cookies.clear()
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login", data={"username": username, "password": logins[username].password, "csrf": token, "next": "/"}
    )
    assert response.status_code == 200, response.text[:500]
    return form_token(response.text)


@pytest.mark.parametrize("path", ["/login", "/docs", "/static/style.css", "/healthz", "/v1/me"])
def test_every_response_carries_the_security_headers(site, path):
    client, _ = site
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-content-type-options"] == "nosniff"


def test_pages_have_no_inline_script_and_no_other_origin(site):
    client, logins = site
    log_in(client, logins, "uk-analyst")
    for path in ("/", "/password", "/login", "/docs"):
        html = client.get(path).text
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path  # no inline script
        assert re.findall(r'(?:src|href)="(?:https?:)?//', html) == [], path  # nothing from elsewhere


def test_a_login_without_the_form_token_is_refused(site):
    client, logins = site
    client.cookies.clear()
    client.get("/login")
    response = client.post("/login", data={"username": "uk-analyst", "password": logins["uk-analyst"].password})
    assert response.status_code == 403
    assert "alliance_session" not in client.cookies


def test_a_logged_in_form_without_the_session_token_is_refused(site):
    client, logins = site
    log_in(client, logins, "uk-analyst")
    refused = client.post("/logout", data={})
    assert refused.status_code == 403
    wrong = client.post("/logout", data={"csrf": "a token from elsewhere"})
    assert wrong.status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200  # still logged in: nothing happened


def test_the_language_form_needs_its_token(site):
    client, _ = site
    client.cookies.clear()
    client.get("/login")
    assert client.post("/language", data={"language": "ar"}).status_code == 403
    assert "alliance_lang" not in client.cookies


def test_logout_ends_the_session_for_the_api_too(site):
    client, logins = site
    token = log_in(client, logins, "us-platform")
    session = client.cookies["alliance_session"]
    response = client.post("/logout", data={"csrf": token}, follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?bye=1")
    client.cookies.set("alliance_session", session)
    assert client.get("/v1/me").status_code == 401


def test_a_page_without_a_session_redirects_to_the_login_page(site):
    client, _ = site
    client.cookies.clear()
    response = client.get("/password", follow_redirects=False)
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/password")


def test_an_ended_session_says_so_on_the_login_page(site):
    client, logins = site
    log_in(client, logins, "uk-auditor")
    node = client.app.state.node  # type: ignore[attr-defined]
    node.accounts.end_sessions(SYSTEM, node.account_store.user_by_name("uk-auditor").id)
    response = client.get("/", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/&expired=1"
    assert "Your session has ended" in client.get(response.headers["location"]).text


def test_a_reset_password_must_be_changed_before_anything_else(site):
    client, logins = site
    node = client.app.state.node  # type: ignore[attr-defined]
    user = node.account_store.user_by_name("secretariat")
    _, temporary = node.accounts.reset_password(SYSTEM, user.id)
    client.cookies.clear()
    token = form_token(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "secretariat", "password": temporary, "csrf": token}, follow_redirects=False
    )
    assert response.headers["location"] == "/password"
    assert client.get("/", follow_redirects=False).headers["location"] == "/password"
    page = client.get("/password").text
    assert "Your password was reset" in page
    new = "a brand new password for the demo"
    changed = client.post(
        "/password",
        data={"csrf": form_token(page), "current": temporary, "new": new, "repeat": new},
        follow_redirects=False,
    )
    assert changed.headers["location"] == "/?notice=password_changed"
    assert "Your password has been changed." in client.get(changed.headers["location"]).text
    logins["secretariat"] = replace(logins["secretariat"], password=new)


def test_a_password_change_with_different_repeats_changes_nothing(site):
    client, logins = site
    token = log_in(client, logins, "uk-admin")
    response = client.post(
        "/password",
        data={"csrf": token, "current": logins["uk-admin"].password, "new": "x" * 14, "repeat": "y" * 14},
    )
    assert response.status_code == 422
    assert "The two new passwords differ." in response.text
    assert log_in(client, logins, "uk-admin")  # the old password still works


@pytest.mark.parametrize(
    ("target", "expected"),
    [("/banks", "/banks"), ("//evil.example/x", "/"), ("https://evil.example", "/"), ("/\\evil", "/"), ("", "/")],
)
def test_after_login_the_node_only_sends_you_to_its_own_pages(target, expected):
    assert safe_next(target) == expected


def test_the_openapi_document_declares_how_to_authenticate(site):
    client, _ = site
    schema = client.get("/openapi.json").json()
    schemes = schema["components"]["securitySchemes"]
    assert schemes["bearer"]["scheme"] == "bearer"
    assert (schemes["session"]["in"], schemes["session"]["name"]) == ("cookie", "alliance_session")
    assert {"bearer": []} in schema["security"]


def test_the_docs_page_loads_its_assets_from_the_node(site):
    client, _ = site
    html = client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/docs/") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_the_served_app_is_what_alliance_serve_names():
    from uvicorn.importer import import_from_string

    from alliance.asgi import app_from_env
    from alliance.cli.serve import API_APP

    assert import_from_string(API_APP) is app_from_env
    assert Path(__file__).exists()
