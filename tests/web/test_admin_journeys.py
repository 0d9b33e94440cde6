"""Journeys of the people who run organisations and the node, in Chromium, English and Arabic:
an org admin issues a key (its secret shown once, and working) and revokes it (and it stops); the
organisation's auditor finds both in the audit log; the node admin adds an organisation."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

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
        for action in ("key.create", "key.revoke"):
            visit.open("/audit")
            visit.page.fill("input[name=action]", action)
            with visit.page.expect_navigation():
                visit.page.locator("form.filters button[type=submit]").click()
            assert visit.page.locator("main").inner_text().count(action) >= 1
            assert visit.accessibility_problems() == []
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
        assert visit.foreign_requests() == []
    finally:
        context.close()
