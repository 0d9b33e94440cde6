"""Victim identification in Chromium, in English and in Arabic: police A opens a case and uploads a
hash list; B's series is named with B's contact point and its identified victim, C's series is
"another agency works this", the unknown items are highlighted; police C logs in, the menu counts
the notification, C reads it and marks it read. axe-core finds nothing serious on any page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.web.conftest import Served
from tests.web.investigation_world import B_CONTACT, C_CONTACT, Police, make_police
from tests.web.test_journeys import tab

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def police(served: Served) -> Police:
    world = make_police(served.node, "journey")
    served.logins.update(world.logins)
    return world


@pytest.mark.parametrize("language", ["en", "ar"])
def test_police_deconflict_a_hash_list_and_the_other_agency_is_notified(
    browser: Any, served: Served, police: Police, language: str
):
    number = f"GB-2026-{language.upper()}"
    context, visit = tab(browser, served, language)
    try:
        visit.login(police.users["A"])
        page = visit.page
        visit.open("/")
        with page.expect_navigation():
            page.locator("main a[href='/cases/new']").click()
        assert visit.accessibility_problems() == []
        page.fill("#case-number", number)
        page.fill("#case-contact", "DC Jones, online child abuse unit")
        with page.expect_navigation():
            page.locator("form[action='/cases/new'] button[type=submit]").click()
        assert page.locator("h1").inner_text().endswith(number)
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        assert visit.accessibility_problems() == []

        page.check("input[name=format][value=pdq-txt]")
        page.set_input_files(
            "#case-file",
            files=[{"name": "seized.txt", "mimeType": "text/plain", "buffer": police.hash_list(unknown=2).encode()}],
        )
        with page.expect_navigation():
            page.locator("form[action$='/import'] button[type=submit]").click()
        results = page.locator("table.results")
        main = page.locator("main").inner_text()
        # B's series, named with B's contact point and who identified the victim.
        assert results.locator(f"a[href='/series/{police.b_series}']").count() == 2
        assert B_CONTACT in main and police.b_victim_identifier in main and "Police B journey" in main
        assert results.locator(".finding-victim_identified").count() == 2
        # C's series: only "another agency works this"; nothing of C shows.
        assert results.locator(".finding-other_agency").count() == 2
        assert "Garden" not in main and "Police C" not in main and C_CONTACT not in main
        # The priority list: the two items nobody knows, highlighted.
        assert results.locator("tr.priority").count() == 2
        assert page.locator("section.priority-list li").count() == 2
        assert visit.accessibility_problems() == []

        # The case page itself, later: the same findings, deconflicted again.
        visit.open("/cases")  # the list first
        with page.expect_navigation():
            page.get_by_role("link", name=number).click()
        assert page.locator("table.results tr.priority").count() == 2
        assert page.locator("table.results .finding-other_agency").count() == 2
        assert visit.accessibility_problems() == []
        assert visit.foreign_requests() == []
    finally:
        context.close()

    context, visit = tab(browser, served, language)
    try:
        visit.login(police.users["C"])
        page = visit.page
        counter = page.locator("nav a[href='/notifications'] .count")
        assert counter.count() == 1
        with page.expect_navigation():
            page.locator("nav a[href='/notifications']").click()
        note = page.locator("section.note.unread", has_text=number)
        assert note.count() == 1
        assert "DC Jones, online child abuse unit" in note.inner_text()
        assert visit.accessibility_problems() == []
        with page.expect_navigation():
            note.locator("form[action$='/read'] button").click()
        assert page.locator("section.note.unread", has_text=number).count() == 0
        assert page.locator("nav a[href='/notifications'] .count").count() == 0
        assert visit.accessibility_problems() == []
        assert visit.foreign_requests() == []
    finally:
        context.close()
