"""Journeys in Chromium, from login to result, in English and in Arabic: an entry graded to
confirmed by three analysts of two organisations; a platform checks an image and disputes a match."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from alliance.services.demo import REVIEW_BANK, demo_photos
from tests.web.conftest import Served, Visit

pytestmark = pytest.mark.browser


def tab(browser: Any, served: Served, language: str) -> tuple[Any, Visit]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="ar-EG" if language == "ar" else "en-GB"
    )
    return context, Visit(context.new_page(), served)


def grade_by_keyboard(visit: Visit, entry_id: int) -> None:
    """Fill the grading form with the keyboard alone: Tab, arrows, space and Enter."""
    page = visit.page
    visit.open(f"/entries/{entry_id}")
    page.focus("input[name=illegal][value=no]")
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # the age band
    page.keyboard.press("End")  # "none": no person
    for _ in range(6):  # on to the submit button, through the severity and Baseline fields
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_three_analysts_of_two_organisations_confirm_an_entry(browser: Any, served: Served, language: str):
    node = served.node
    bank = node.store.get_bank(REVIEW_BANK)
    waiting = [e for e in node.store.list_entries(bank.id) if e.status.value == "proposed"]
    entry_id = waiting[0 if language == "en" else 1].id
    for username in ("uk-analyst", "uk-admin", "de-investigator"):  # UK Hotline twice, DE police once
        context, visit = tab(browser, served, language)
        try:
            visit.login(username)
            visit.open("/review")
            assert visit.page.locator(f"a[href='/entries/{entry_id}']").count() == 1
            assert visit.accessibility_problems() == []
            grade_by_keyboard(visit, entry_id)
            assert visit.page.get_by_role("status").count() == 1  # "your grade has been recorded"
            assert visit.accessibility_problems() == []
            assert visit.foreign_requests() == []
        finally:
            context.close()
    status = visit.page  # closed; read the result as the analyst would
    context, visit = tab(browser, served, language)
    try:
        visit.login("uk-analyst")
        visit.open(f"/entries/{entry_id}")
        assert visit.page.locator("dd.status-confirmed").count() == 1
        assert status is not None
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_platform_checks_an_image_and_disputes_a_match(browser: Any, served: Served, language: str, tmp_path: Path):
    photo = demo_photos()[0 if language == "en" else 1]  # a benign CC0 photo that the shared bank holds
    context, visit = tab(browser, served, language)
    try:
        visit.login("us-platform")
        visit.open("/check")
        page = visit.page
        assert visit.accessibility_problems() == []
        page.set_input_files("#image", str(photo))
        with page.expect_navigation():
            page.locator("form[action='/check/upload'] button").click()
        assert page.locator("form[action^='/matches/']").count() >= 1
        assert visit.accessibility_problems() == []
        page.locator("form[action^='/matches/'] input[name=reason]").first.fill("a holiday photo, not in scope")
        with page.expect_navigation():
            page.locator("form[action^='/matches/'] button").first.click()
        assert "/disputes" in page.url
        assert page.get_by_text("a holiday photo, not in scope").count() >= 1
        assert visit.accessibility_problems() == []
        assert visit.foreign_requests() == []
    finally:
        context.close()


def test_a_generated_picture_matches_nothing(visit: Visit, tmp_path: Path):
    from PIL import Image

    picture = tmp_path / "gradient.png"
    Image.linear_gradient("L").resize((320, 240)).convert("RGB").save(picture)
    visit.login("us-platform")
    visit.open("/check")
    visit.page.set_input_files("#image", str(picture))
    with visit.page.expect_navigation():
        visit.page.locator("form[action='/check/upload'] button").click()
    assert visit.page.locator("p.empty[role=status]").count() == 1
