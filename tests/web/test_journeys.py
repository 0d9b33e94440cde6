"""Journeys in Chromium, from login to result, in English and in Arabic: an entry graded to
confirmed by three analysts of two organisations; a platform checks an image and disputes a match;
two organisations dispute a match, the bank's curator resolves it and the platform reads the
outcome; an investigator reads a shared bank's entry in the category of German law."""

from __future__ import annotations

from pathlib import Path
from secrets import token_hex
from typing import Any

import pytest

from alliance.core.access import SYSTEM
from alliance.core.banks import EntryStatus
from alliance.core.signals import parse_signal
from alliance.core.trust import Grade
from alliance.formats.records import MediaRecord
from alliance.services.demo import REVIEW_BANK, demo_photos
from alliance.web import i18n
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


@pytest.mark.parametrize("language", ["en", "ar"])
def test_two_organisations_dispute_a_match_the_curator_resolves_it_and_the_platform_sees_the_outcome(
    browser: Any, served: Served, language: str
):
    """The platform and the German police each dispute a match of the same entry (two
    organisations: the bank's threshold), the hotline's curator finds it in the disputes queue with
    both reasons and decides the entry stands, and the platform reads that outcome."""
    photo = demo_photos()[3 if language == "en" else 4]  # held by the shared bank only
    reasons = {"us-platform": f"a beach, not in scope ({language})", "de-investigator": f"a view of hills ({language})"}
    entry_id = None
    for username in ("us-platform", "de-investigator"):
        context, visit = tab(browser, served, language)
        try:
            visit.login(username)
            visit.open("/check")
            page = visit.page
            page.set_input_files("#image", str(photo))
            with page.expect_navigation():
                page.locator("form[action='/check/upload'] button").click()
            rows = page.locator("tr", has=page.locator("form[action^='/matches/']"))
            row = rows.first if entry_id is None else rows.filter(has_text=f"#{entry_id}").first
            entry_id = entry_id or int(row.locator("td").nth(1).inner_text().lstrip("#"))
            row.locator("input[name=reason]").fill(reasons[username])
            with page.expect_navigation():
                row.locator("button").click()
            assert page.get_by_text(reasons[username]).count() == 1  # its disputes, the new one listed
        finally:
            context.close()
    assert served.node.store.get_entry(entry_id).status.value == "disputed"  # upheld by two organisations

    context, visit = tab(browser, served, language)
    try:
        visit.login("uk-analyst")
        visit.open("/review?queue=disputes")
        page = visit.page
        queued = page.locator("tr", has=page.locator(f"a[href='/entries/{entry_id}']"))
        assert all(queued.get_by_text(reason).count() == 1 for reason in reasons.values())
        assert visit.accessibility_problems() == []
        queued.locator(f"a[href='/entries/{entry_id}']").click()
        page.wait_for_load_state()
        page.check("input[name=outcome][value=entry_stands]")
        page.fill("#dispute-reason", "checked: the entry is what it says")
        with page.expect_navigation():
            page.locator("form[action$='/dispute-resolution'] button[type=submit]").click()
        assert page.get_by_role("status").count() == 1  # "The dispute has been resolved."
        assert page.locator("dd.status-confirmed").count() == 1  # it matches again
        stands = "the entry stands" if language == "en" else _arabic("the entry stands")
        for organisation, username in (("US Platform", "us-platform"), ("DE Federal Police", "de-investigator")):
            row = page.locator("#disputes + p + div tr", has_text=reasons[username])  # who, why, how it ended
            assert organisation in row.inner_text() and stands in row.inner_text()
        assert visit.accessibility_problems() == []
    finally:
        context.close()

    context, visit = tab(browser, served, language)
    try:
        visit.login("us-platform")
        visit.open("/disputes")
        page = visit.page
        mine = page.locator("tr", has_text=reasons["us-platform"])
        outcome = mine.locator("td").nth(1).inner_text()
        assert outcome == ("the entry stands" if language == "en" else _arabic("the entry stands"))
        assert mine.locator("td").nth(4).inner_text() != "–"  # resolved, with when
        assert visit.accessibility_problems() == []
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_an_investigator_reads_a_shared_entry_in_the_category_of_german_law(
    browser: Any, served: Served, language: str
):
    node = served.node
    grade = {"illegal": True, "age_band": "prepubescent", "severity": 2, "baseline": False}
    report = node.banks_for(SYSTEM).import_records(REVIEW_BANK, [MediaRecord((parse_signal("pdq", token_hex(32)),))])
    entry_id = report.added[0].id
    node.store.transition(entry_id, EntryStatus.CONFIRMED, "test", "agreed by three graders", grade=grade)
    scheme = node.match_trust.schemes.for_country("DE")
    category = scheme.category(Grade.from_json(grade))
    context, visit = tab(browser, served, language)
    try:
        visit.login("de-investigator")
        page = visit.page
        page.locator("nav a[href='/banks']").click()
        page.wait_for_load_state()
        page.locator(f"main a[href='/banks/{REVIEW_BANK}']").click()
        page.wait_for_load_state()
        page.select_option("select[name=status]", "confirmed")
        with page.expect_navigation():
            page.locator("form.filters button[type=submit]").click()
        row = page.locator("tr", has=page.locator(f"a[href='/entries/{entry_id}']"))
        assert row.locator("td").nth(2).inner_text() == category  # in the list, in German law's scheme
        assert visit.accessibility_problems() == []
        row.locator(f"a[href='/entries/{entry_id}']").click()
        page.wait_for_load_state()
        assert page.locator("dd strong").inner_text() == category
        assert scheme.title in page.locator("dl.facts").inner_text()
        assert page.locator("#disputes").count() == 0  # who disputes an entry: its curators' to know
        assert visit.accessibility_problems() == []
    finally:
        context.close()


def _arabic(msgid: str) -> str:
    return i18n.translations("ar").gettext(msgid)
