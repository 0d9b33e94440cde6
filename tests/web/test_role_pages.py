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
from alliance.web import audit as audit_pages
from alliance.web import banks as bank_pages
from alliance.web import organisations as organisation_pages
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
    "uk-auditor": ["/", "/audit", "/audit?action=session.login", "/audit?outcome=refused", "/audit/verify"],
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


def test_an_auditor_filters_the_log_and_verifies_the_chain(site, monkeypatch: pytest.MonkeyPatch):
    """By action, outcome and request, page after page with the filters kept; the chain's status
    (the node's count, never other organisations' events); refused for others, as 404, audited."""
    client, logins = site
    node = client.app.state.node  # type: ignore[attr-defined]
    log_in(client, logins, "us-platform")
    assert client.get("/audit/verify").status_code == 404  # not an auditor: as if it did not exist
    node.audit.flush()
    assert node.audit.store.events(action="audit.verify", outcome="refused")  # and the refusal recorded
    log_in(client, logins, "uk-auditor")
    client.get("/audit?action=no.such.action")  # a request of the auditor's, to find by its id
    node.audit.flush()
    uk = node.account_store.user_by_name("uk-auditor").org.id
    [*_, read] = node.audit.store.events(action="audit.read", org_id=uk)
    by_request = client.get("/audit", params={"request_id": read.record.request_id}).text
    assert re.findall(r'<td class="num">(\d+)</td>', by_request) == [str(read.seq)]
    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 1)
    refused = client.get("/audit?outcome=refused").text
    assert set(re.findall(r'<td class="outcome-([a-z_]+)">', refused)) <= {"refused"}
    assert '<option value="refused" selected>' in refused
    reads = client.get("/audit?outcome=ok&action=audit.read").text  # the auditor's own, more than a page
    assert re.findall(r'<td class="outcome-([a-z_]+)">', reads) == ["ok"]
    assert re.search(r'href="/audit\?action=audit.read&amp;outcome=ok&amp;after=\d+"', reads)  # filters kept
    verified = client.get("/audit/verify")
    assert verified.status_code == 200 and "The chain verifies" in verified.text
    count = int(re.search(r"<dt>Events checked</dt><dd>([\d,]+)</dd>", verified.text).group(1).replace(",", ""))
    assert count > len(node.audit.store.events(org_id=uk))  # the whole node's chain, others' events counted
    assert "session.login" not in verified.text  # how many, never what


@pytest.mark.parametrize(
    ("username", "first", "row"),
    [
        ("uk-analyst", "/banks", r'<td><a href="/banks/([^"]+)">'),
        ("admin", "/organisations", r'<a href="/organisations/(\d+)"'),
    ],
)
def test_the_banks_and_the_organisations_are_paged(site, monkeypatch: pytest.MonkeyPatch, username, first, row):
    """A page at a time, following "Next page" to the end: each once, none missed."""
    client, logins = site
    log_in(client, logins, username)
    everything = re.findall(row, client.get(first).text)
    assert len(everything) >= 2
    monkeypatch.setattr(bank_pages, "PAGE_SIZE", 1)
    monkeypatch.setattr(organisation_pages, "PAGE_SIZE", 1)
    seen, path = [], first
    for _ in range(len(everything) + 2):
        page = client.get(path).text
        seen += re.findall(row, page)
        found = re.search(rf'href="({re.escape(first)}\?after=\d+)">Next page', page)
        if not found:
            break
        path = found.group(1)
    assert seen == everything
