"""The Alliance's pages in Chromium: a country drafts and submits its progress report, the
secretariat reviews and publishes it, and it appears in the Alliance report, in English and in
Arabic; axe-core on every Alliance page; the editor with the keyboard alone.
The home pages' screenshots (the secretariat's, and a country's as its org admin) are made by
`tests/web/test_screenshots.py` (`make screenshots`).
"""

from __future__ import annotations

from typing import Any

import pytest

from alliance.core.access import SYSTEM
from tests.web.conftest import Served, Visit

pytestmark = pytest.mark.browser

WORDS = {
    "en": {
        "country_link": "Commitments, reports and indicators of GB",
        "write": "Write a progress report",
        "submit": "Save and submit to the secretariat",
        "submitted": "submitted",
        "review": "Mark as reviewed",
        "publish": "Publish",
        "published": "published",
        "show": "Show",
        "title": "Alliance report on {year}",
    },
    "ar": {
        "country_link": "التزامات GB وتقاريرها ومؤشراتها",
        "write": "كتابة تقرير مرحلي",
        "submit": "حفظ وتقديم إلى الأمانة",
        "submitted": "مُقدَّم",
        "review": "وضع علامة «رُوجع»",
        "publish": "نشر",
        "published": "منشور",
        "show": "عرض",
        "title": "تقرير التحالف عن عام {year}",
    },
}


def tab(browser: Any, served: Served, language: str) -> tuple[Any, Visit]:
    locale = "ar-EG" if language == "ar" else "en-GB"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    return context, Visit(context.new_page(), served)


def log_out(visit: Visit) -> None:
    visit.page.locator("form[action='/logout'] button").click()
    visit.page.wait_for_load_state()


@pytest.mark.parametrize(("language", "year", "drafter"), [("en", 2020, "uk-analyst"), ("ar", 2021, "uk-admin")])
def test_a_country_reports_and_the_secretariat_publishes_it_into_the_report(
    browser: Any, served: Served, language: str, year: int, drafter: str
):
    words = WORDS[language]
    context, visit = tab(browser, served, language)
    page = visit.page
    try:
        visit.login(drafter)
        assert page.locator("html").get_attribute("dir") == ("rtl" if language == "ar" else "ltr")
        page.get_by_role("link", name=words["country_link"]).click()
        page.select_option("#report-year", str(year))
        page.get_by_role("button", name=words["write"]).click()
        page.wait_for_load_state()
        assert page.locator("#report-editor fieldset").count() == 4
        assert visit.accessibility_problems() == []
        page.fill("#actions_1", f"Joined ICSE ({language} {year})")
        page.fill("#results_1", "Twelve children identified")
        page.fill("#next_steps_4", "Share the national hash list")
        page.get_by_role("button", name=words["submit"]).click()
        page.wait_for_load_state()
        assert page.locator("#report-status").inner_text() == words["submitted"]
        report_url = page.url.split("?")[0]
        log_out(visit)

        visit.login("secretariat")
        page.locator("#secretariat-panel").get_by_role("link", name=f"GB {year}").click()
        page.wait_for_load_state()
        assert page.url.split("?")[0] == report_url
        assert visit.accessibility_problems() == []
        page.get_by_role("button", name=words["review"]).click()
        page.wait_for_load_state()
        page.locator("#publish-form input[name=confirm]").check()
        page.get_by_role("button", name=words["publish"], exact=True).click()
        page.wait_for_load_state()
        assert page.locator("#report-status").inner_text() == words["published"]

        visit.open("/alliance/report")
        page.locator("form.filters select[name=year]").select_option(str(year))
        page.get_by_role("button", name=words["show"]).click()
        page.wait_for_load_state()
        assert page.locator("h1").inner_text() == words["title"].format(year=year)
        page.locator("#published-reports li[data-country=GB] a").click()
        page.wait_for_load_state()
        assert f"Joined ICSE ({language} {year})" in page.locator("main").inner_text()
        assert visit.foreign_requests() == []
    finally:
        context.close()


ALLIANCE_PAGES = [
    "/alliance/members",
    "/alliance/countries/GB",
    "/alliance/campaigns",
    "/alliance/report?year=2014",
    "/alliance/review",
    "/alliance/reports/{published}",
]
"""Every Alliance page (`{published}`: a published report of the demo's)."""


def alliance_pages(published: int) -> list[str]:
    return [path.format(published=published) for path in ALLIANCE_PAGES]


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_alliance_pages_have_no_serious_accessibility_problem(browser: Any, served: Served, language: str):
    context, visit = tab(browser, served, language)
    try:
        visit.login("secretariat")
        published = next(r.id for r in served.node.alliance_for(SYSTEM).reports() if r.status.value == "published")
        for path in alliance_pages(published):
            visit.open(path)
            assert visit.accessibility_problems() == [], path
        log_out(visit)
        visit.login("uk-analyst")
        visit.open("/alliance/campaigns")  # with the form to add one
        assert visit.accessibility_problems() == []
        assert visit.foreign_requests() == []
    finally:
        context.close()


def test_the_report_editor_works_with_the_keyboard_alone(visit: Visit, served: Served):
    visit.login("uk-admin")
    page = visit.page
    visit.open("/alliance/countries/GB")
    page.focus("#report-year")
    page.keyboard.press("End")  # the earliest year offered
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.focus("#actions_1")
    page.keyboard.type("Typed without a mouse")
    for _ in range(12):  # the other eleven fields of the four sections, then the first button
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.value") == "save"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("status").inner_text() == "Draft saved."
    assert page.locator("#actions_1").input_value() == "Typed without a mouse"
