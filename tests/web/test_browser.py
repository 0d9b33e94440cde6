"""The pages in Chromium: logging in as every demo role, Arabic right to left, sessions that end
(ended by an admin, past their lifetime, logged out: the page says so, brings the reader back, and
an old cookie opens nothing), the offline API documentation, a keyboard-only login, and axe-core
on each page."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import httpx
import pytest

import alliance.services.accounts as accounts
from alliance.core.access import SYSTEM
from tests.web.conftest import Served, Visit

pytestmark = pytest.mark.browser

DEMO_USERS = ["admin", "uk-admin", "uk-analyst", "uk-auditor", "de-investigator", "us-platform", "secretariat"]


@pytest.mark.parametrize("username", DEMO_USERS)
def test_every_demo_user_logs_in_to_a_home_page_without_accessibility_problems(visit: Visit, username: str):
    visit.open("/login")
    assert visit.accessibility_problems() == []
    visit.login(username)
    page = visit.page
    assert page.url == visit.served.url + "/"
    assert username in page.locator("h1").inner_text()
    assert visit.accessibility_problems() == []


def test_a_wrong_password_stays_on_the_login_page_and_says_so(visit: Visit):
    visit.login("uk-analyst", "not the password at all")
    assert "/login" in visit.page.url
    assert visit.page.get_by_role("alert").inner_text() == "Wrong username or password."


def test_arabic_is_chosen_from_the_browser_and_reads_right_to_left(browser: Any, served: Served):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar-EG")
    tab = Visit(context.new_page(), served)
    try:
        tab.open("/login")
        html = tab.page.locator("html")
        assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
        assert tab.page.locator("h1").inner_text() == "تسجيل الدخول"
        assert tab.accessibility_problems() == []
        tab.login("uk-analyst")
        assert tab.page.locator("h1").inner_text().startswith("مرحبًا")
        assert tab.accessibility_problems() == []
        assert tab.foreign_requests() == []
    finally:
        context.close()


def test_the_language_selector_switches_and_remembers_the_language(visit: Visit):
    visit.login("uk-analyst")
    page = visit.page
    page.select_option("#language-choice", "ar")
    page.locator("form[action='/language'] button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "rtl"
    visit.open("/")  # the choice is a cookie: it holds on the next page
    assert page.locator("html").get_attribute("lang") == "ar"
    page.select_option("#language-choice", "en")
    page.locator("form[action='/language'] button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("dir") == "ltr"


def test_an_ended_session_goes_back_to_the_login_page_and_returns_after(visit: Visit, served: Served):
    visit.login("uk-auditor")
    user = served.node.account_store.user_by_name("uk-auditor")
    assert user is not None
    served.node.accounts.end_sessions(SYSTEM, user.id)
    visit.open("/password")
    page = visit.page
    assert "/login" in page.url
    assert page.get_by_role("status").inner_text() == "Your session has ended: log in again."
    page.fill("#username", "uk-auditor")
    page.fill("#password", served.password("uk-auditor"))
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == served.url + "/password"  # back where the session ended


def test_logging_out_ends_the_session(visit: Visit):
    visit.login("us-platform")
    visit.page.get_by_role("button", name="Log out").click()
    visit.page.wait_for_load_state()
    assert visit.page.get_by_role("status").inner_text() == "You have logged out."
    visit.open("/")
    assert "/login" in visit.page.url


def test_logging_in_works_with_the_keyboard_alone(visit: Visit, served: Served):
    visit.open("/login")
    page = visit.page
    assert page.evaluate("document.activeElement.id") == "username"  # focus starts in the form
    page.keyboard.type("de-investigator")
    page.keyboard.press("Tab")
    page.keyboard.type(served.password("de-investigator"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == served.url + "/"
    page.keyboard.press("Tab")  # the first stop is the skip link
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#main"


def test_the_api_documentation_renders_offline(visit: Visit):
    visit.open("/docs")
    page = visit.page
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() > 20  # every route, drawn by the node's own Swagger UI
    assert page.get_by_role("button", name="Authorize").count() == 1  # the security schemes are declared
    # visit's teardown fails the test if anything came from another origin


def test_a_page_is_readable_on_a_phone(browser: Any, served: Served):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    tab = Visit(context.new_page(), served)
    try:
        tab.login("uk-analyst")
        width = tab.page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390  # nothing wider than the screen: no sideways scrolling
    finally:
        context.close()


def test_a_session_past_its_lifetime_ends_and_the_reader_is_told_and_brought_back(
    visit: Visit, served: Served, monkeypatch: pytest.MonkeyPatch
):
    """A session that lives two seconds (twelve hours on a node): after it, a page goes to the
    login page, which says the session ended, and logging in returns to the page with its query;
    a form posted after it acts on nothing."""
    monkeypatch.setattr(accounts, "SESSION_LIFETIME", timedelta(seconds=2))
    visit.login("uk-analyst")
    page = visit.page
    visit.open("/review?queue=disputes")
    assert "/review" in page.url
    time.sleep(5)  # past the session, and past a cookie that would have ended with it (second-rounded)
    visit.open("/review?queue=disputes")
    assert "/login" in page.url
    assert page.get_by_role("status").inner_text() == "Your session has ended: log in again."
    monkeypatch.setattr(accounts, "SESSION_LIFETIME", timedelta(hours=12))
    page.fill("#username", "uk-analyst")
    page.fill("#password", served.password("uk-analyst"))
    with page.expect_navigation():
        page.locator("form[action='/login'] button[type=submit]").click()
    assert page.url == served.url + "/review?queue=disputes"
    assert page.locator("h1").count() == 1 and page.locator("#username").count() == 0


def test_a_form_sent_after_the_session_ended_does_nothing(visit: Visit, served: Served):
    visit.login("us-platform")
    page = visit.page
    visit.open("/check")
    page.fill("#value", "f" * 64)
    user = served.node.account_store.user_by_name("us-platform")
    assert user is not None
    served.node.accounts.end_sessions(SYSTEM, user.id)
    with page.expect_navigation():
        page.locator("form[action='/check/hash'] button[type=submit]").click()
    assert "/login" in page.url
    assert page.get_by_role("status").inner_text() == "Your session has ended: log in again."
    assert page.locator("#result").count() == 0


def test_after_logging_out_back_shows_nothing_and_the_old_cookie_opens_nothing(visit: Visit, served: Served):
    visit.login("uk-auditor")
    page = visit.page
    visit.open("/audit")
    assert page.locator("table").count() == 1
    cookies = page.context.cookies()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    page.go_back()  # the audit log is never kept by the browser (Cache-Control: no-store)
    page.wait_for_load_state()
    assert "/login" in page.url and page.locator("table").count() == 0
    page.context.add_cookies(cookies)  # the session's cookies, kept by someone: dead
    visit.open("/audit")
    assert "/login" in page.url
    session = next(c["value"] for c in cookies if c["name"] == "alliance_session")
    api = httpx.get(f"{served.url}/v1/me", cookies={"alliance_session": session}, timeout=30)
    assert api.status_code == 401
