"""Journeys of the people who run organisations and the node, in Chromium, English and Arabic:
an org admin issues a key (its secret shown once, and working) and revokes it (and it stops); the
organisation's auditor finds both in the audit log, sees that the chain verifies and exports its
organisation's events; the node admin adds an organisation and reads the index and settings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from alliance.core.access import SYSTEM
from tests.web.conftest import Served
from tests.web.test_journeys import tab

pytestmark = pytest.mark.browser


def _banks(served: Served, token: str) -> int:
    return httpx.get(f"{served.url}/v1/banks", headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_org_admin_issues_and_revokes_a_key_and_the_auditor_sees_both(browser: Any, served: Served, language: str):
    name = f"journey-key-{language}"
    context, visit = tab(browser, served, language)
    try:
        visit.login("uk-admin")
        visit.open("/organisation")
        page = visit.page
        page.fill("#key-name", name)
        page.locator("input[name=roles]").first.check()
        with page.expect_navigation():
            page.locator("form[action='/organisation/keys'] button[type=submit]").click()
        token = page.locator("p.secret").inner_text().strip()
        assert token.startswith("alk_")
        assert _banks(served, token) == 200  # the secret shown is the key's
        assert visit.accessibility_problems() == []
        visit.open("/organisation")
        assert page.locator("p.secret").count() == 0  # shown once: never again
        page.locator("tr", has_text=name).locator("a[href*='/revoke']").click()
        page.wait_for_load_state()
        assert visit.accessibility_problems() == []
        with page.expect_navigation():
            page.locator("button.danger[type=submit]").click()
        assert _banks(served, token) == 401  # revoked: refused at once
        assert visit.foreign_requests() == []
    finally:
        context.close()

    context, visit = tab(browser, served, language)
    try:
        visit.login("uk-auditor")
        page = visit.page
        for action in ("key.create", "key.revoke"):
            visit.open("/audit")
            page.fill("input[name=action]", action)
            with page.expect_navigation():
                page.locator("form.filters button[type=submit]").click()
            assert page.locator("main").inner_text().count(action) >= 1
            assert visit.accessibility_problems() == []
        page.locator("main a[href='/audit/verify']").click()  # whether the node's chain holds
        page.wait_for_load_state()
        assert page.get_by_role("status").count() == 1 and page.get_by_role("alert").count() == 0
        assert visit.accessibility_problems() == []
        visit.open("/audit")
        with page.expect_download() as download:
            page.locator("main a[href='/audit/export']").click()
        lines = [json.loads(line) for line in Path(download.value.path()).read_text().splitlines()]
        uk = next(o.id for o in served.node.accounts.directory(SYSTEM) if o.name == "UK Hotline")
        assert all(uk in (e["org_id"], e["subject_org_id"]) for e in lines)  # its organisation's events
        assert {"key.create", "key.revoke"} <= {e["action"] for e in lines}
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_node_admin_adds_an_organisation_of_a_kind(browser: Any, served: Served, language: str):
    name = f"Journey Police {language}"
    context, visit = tab(browser, served, language)
    try:
        visit.login("admin")
        visit.open("/organisations")
        page = visit.page
        page.fill("#org-name", name)
        page.fill("#org-country", "FR")
        page.select_option("#org-kind", "law_enforcement")
        with page.expect_navigation():
            page.locator("form[action='/organisations'] button[type=submit]").click()
        assert visit.accessibility_problems() == []
        [org] = [o for o in served.node.accounts.store.organisations() if o.name == name]
        assert (org.country, org.kind.value) == ("FR", "law_enforcement")
        visit.open("/organisations")
        assert name in page.locator("main").inner_text()
        index = served.node.matcher.index.status()
        facts = page.locator("dl.facts").inner_text()
        assert index.engine in facts  # the index's status
        settings = page.locator("tr", has_text="match_refresh_seconds")
        assert settings.locator("td").nth(1).inner_text() == "0.0"  # the node's settings, to read
        assert settings.locator("input, select, textarea").count() == 0  # and only to read
        assert visit.foreign_requests() == []
    finally:
        context.close()
