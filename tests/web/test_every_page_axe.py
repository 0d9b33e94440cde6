"""axe-core on every page each role reaches, in Chromium: lists, details, forms, the confirmation
pages and the results of forms, in English and one role in Arabic; no serious or critical
violation, and nothing loaded from another origin (`conftest.no_other_origin`'s check).
`test_every_page_is_opened_in_the_browser` fails when a page of the web is in none of these lists
(with the Alliance's, `test_alliance_browser.ALLIANCE_PAGES`): a new page is added to `pages()`.

Works on a bank of its own (`axe-bank`), so the journeys' banks and entries are left as they were."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from alliance.core.access import SYSTEM, BankAction, ShareRule, SharingPolicy
from alliance.core.banks import BankPurpose, EntryStatus
from alliance.core.investigations import NewItem, VictimStatus
from alliance.core.signals import parse_signal
from alliance.formats.records import MediaRecord
from alliance.services.demo import SHARED_BANK
from tests.web.conftest import Served, Visit
from tests.web.investigation_world import investigator
from tests.web.test_alliance_browser import alliance_pages

pytestmark = pytest.mark.browser
BANK = "axe-bank"


@pytest.fixture(scope="module")
def states(served: Served) -> dict[str, int]:
    return entries_in_each_state(served, BANK)


def entries_in_each_state(served: Served, bank: str) -> dict[str, int]:
    """A new bank of the UK Hotline's, read by the German police, with an entry in each state a
    curator acts on (so the journeys' banks and entries are left as they were)."""
    node = served.node
    hotline = next(o for o in node.accounts.directory(SYSTEM) if o.name == "UK Hotline")
    police = next(o for o in node.accounts.directory(SYSTEM) if o.name == "DE Federal Police")
    banks = node.banks_for(SYSTEM)
    policy = SharingPolicy({BankAction.READ: ShareRule(orgs=frozenset({police.id}))})
    banks.store.create_bank(
        bank, hotline.id, BankPurpose.KNOWN, "axe checks", {"pdq": 31}, policy, {"required_grades": 2}
    )
    records = [MediaRecord((parse_signal("pdq", secrets.token_hex(32)),)) for _ in range(4)]
    added = banks.import_records(bank, records).added
    ids = {"disputed": added[0].id, "quarantined": added[1].id, "review": added[2].id, "graded": added[3].id}
    for status in ("disputed", "quarantined"):
        node.store.transition(ids[status], EntryStatus.CONFIRMED, "test", "set up")
        node.store.transition(ids[status], EntryStatus(status), "test", "set up")
    node.trust_store.mark_review(ids["review"])
    grade = {"illegal": True, "age_band": "pubescent", "severity": 2, "baseline": False}
    node.store.transition(ids["graded"], EntryStatus.CONFIRMED, "test", "agreed", grade=grade)
    ids |= investigations(node, police.id, bank)
    return ids


def investigations(node: Any, police_id: int, name: str) -> dict[str, int]:
    """A series of the DE police with a victim, and a case whose items it holds, one of them new;
    a notification to read."""
    work = node.investigations_for(investigator(node, police_id))
    series = work.create_series(f"{name}-series", icse_name="ICSE-AXE", contact_point="desk 1")
    held = [NewItem((parse_signal("pdq", secrets.token_hex(32), 100),)) for _ in range(2)]
    work.add_items(series.id, held)
    work.add_victim(series.id, f"DE-{name}-1", age_band="infant", status=VictimStatus.IDENTIFIED)
    work.add_victim(series.id, f"DE-{name}-2")
    case = work.open_case(f"DE-{name}-case", contact_point="desk 2")
    fresh = NewItem((parse_signal("pdq", secrets.token_hex(32), 100),))
    node.deconfliction_for(work.actor).intake(case.id, [*held, fresh])
    node.notifier.notify(work.actor, police_id, "series_hit", "a case hit your series", "no hashes", {}, None)
    return {"series": series.id, "case": case.id}


def pages(role: str, ids: dict[str, int], org: dict[str, int], bank: str = BANK) -> list[str]:
    uk, key = org["uk"], org["key"]
    return {
        "uk-analyst": [
            "/", "/banks", "/banks/new", f"/banks/{bank}", f"/banks/{bank}/policy", f"/banks/{bank}/import",
            f"/entries/{ids['disputed']}", f"/entries/{ids['quarantined']}", f"/entries/{ids['review']}",
            f"/entries/{ids['graded']}", "/review", "/review?queue=review", "/review?queue=disputes",
            "/review?queue=quarantine", "/check",
        ],
        "de-investigator": [
            "/", "/banks", f"/banks/{bank}", f"/entries/{ids['graded']}", "/review", "/disputes", "/series",
            "/series/new", f"/series/{ids['series']}", "/cases", "/cases/new", f"/cases/{ids['case']}",
            "/notifications",
        ],
        "us-platform": ["/", "/check", "/matches", "/disputes", "/banks", f"/banks/{SHARED_BANK}"],
        "uk-admin": ["/", "/organisation", f"/keys/{key}/rotate?org={uk}", f"/keys/{key}/revoke?org={uk}"],
        "uk-auditor": ["/", "/audit", "/audit?outcome=refused", "/audit/verify", "/password"],
        "admin": ["/", "/organisations", f"/organisations/{uk}", f"/organisation?org={uk}", "/audit", "/audit/verify"],
    }[role]  # fmt: skip


def org_ids(served: Served) -> dict[str, int]:
    node = served.node
    uk = next(o.id for o in node.accounts.directory(SYSTEM) if o.name == "UK Hotline")
    key = next(k.id for k in node.account_store.keys(uk) if k.revoked_at is None)
    return {"uk": uk, "key": key}


@pytest.mark.parametrize("role", ["uk-analyst", "de-investigator", "us-platform", "uk-admin", "uk-auditor", "admin"])
def test_every_page_of_each_role_passes_axe(visit: Visit, served: Served, states: dict[str, int], role: str):
    visit.login(role)
    problems = {}
    for path in pages(role, states, org_ids(served)):
        response = visit.open(path)
        assert response.status == 200, path
        found = visit.accessibility_problems()
        if found:
            problems[path] = found
    assert problems == {}


def test_the_results_and_confirmations_of_forms_pass_axe(visit: Visit, states: dict[str, int]):
    """A curator's confirmation page, an import's summary, an error shown on a form."""
    page = visit.page
    visit.login("uk-analyst")
    visit.open(f"/entries/{states['disputed']}")
    page.check("input[name=outcome][value=false_positive]")
    page.fill("#dispute-reason", "a landscape, not in scope")
    with page.expect_navigation():
        page.locator("form[action$='/dispute-resolution'] button[type=submit]").click()
    assert page.locator("button.danger").count() == 1  # asks first
    assert visit.accessibility_problems() == []
    visit.open(f"/banks/{BANK}/import")
    page.check("input[name=format][value=pdq-txt]")
    page.set_input_files("#hash-file", files=[{"name": "list.txt", "mimeType": "text/plain",
                                               "buffer": (secrets.token_hex(32) + "\n").encode()}])  # fmt: skip
    with page.expect_navigation():
        page.locator("form[action$='/import'] button[type=submit]").click()
    assert page.get_by_role("status").count() >= 1
    assert visit.accessibility_problems() == []
    visit.open("/banks/new")
    page.fill("#bank-name", BANK)  # taken: the form comes back with the error
    with page.expect_navigation():
        page.locator("form[action='/banks/new'] button[type=submit]").click()
    assert page.get_by_role("alert").count() == 1
    assert visit.accessibility_problems() == []


ARABIC_PAGES = {
    "uk-analyst": ["/banks/{bank}/policy", "/entries/{quarantined}", "/banks/new"],  # a curator's
    "de-investigator": ["/cases/{case}", "/series/{series}", "/notifications", "/"],
}


@pytest.mark.parametrize("role", sorted(ARABIC_PAGES))
def test_pages_in_arabic_pass_axe(browser: Any, served: Served, states: dict[str, int], role: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ar-EG")
    tab = Visit(context.new_page(), served)
    try:
        tab.login(role)
        for path in ARABIC_PAGES[role]:
            path = path.format(bank=BANK, **states)
            tab.open(path)
            assert tab.page.locator("html").get_attribute("dir") == "rtl"
            assert tab.accessibility_problems() == [], path
        assert tab.foreign_requests() == []
    finally:
        context.close()


DOWNLOADS = {"/banks/{name}/export", "/audit/export"}
"""Files, not pages: what they send is tested where they are (`test_curation`, `test_role_pages`)."""
REDIRECTS = {"/alliance"}
ROLES = ["uk-analyst", "de-investigator", "us-platform", "uk-admin", "uk-auditor", "admin"]


def test_every_page_is_opened_in_the_browser():
    """Every GET page of the web is in a list the browser tests open (so axe-core and the check
    that nothing comes from another origin cover it), or is a download or a redirect."""
    from alliance.web import PAGES

    ids = {"disputed": 1, "quarantined": 2, "review": 3, "graded": 4, "series": 5, "case": 6}
    opened = {p.split("?")[0] for role in ROLES for p in pages(role, ids, {"uk": 1, "key": 1})}
    opened |= {p.split("?")[0] for p in alliance_pages(1)} | {"/login"}  # the login page: test_browser.py
    routes = [r for module in PAGES for r in module.router.routes if "GET" in getattr(r, "methods", ())]
    missed = [
        r.path
        for r in routes
        if r.path not in DOWNLOADS | REDIRECTS and not any(r.path_regex.match(path) for path in opened)
    ]
    assert missed == [], "pages no browser test opens: add them to pages()"
    assert {r.path for r in routes} >= DOWNLOADS | REDIRECTS  # no stale exception


def test_a_request_to_another_origin_is_caught(browser: Any, served: Served):
    """The check itself: a page that loads from elsewhere is seen (and forgotten here, so this
    test passes); one whose policy blocks it is seen too."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content('<img src="http://192.0.2.1/tracker.png" alt="">')  # no policy on about:blank
        page.goto(served.url + "/login")
        page.evaluate("document.body.append(Object.assign(new Image(), {src: 'http://192.0.2.1/cdn.png'}))")
        page.wait_for_timeout(300)
        found = browser.foreign(served.url)
        assert any("192.0.2.1/tracker.png" in f for f in found)
        assert any("Content Security Policy" in f and "192.0.2.1/cdn.png" in f for f in found)
    finally:
        context.close()
        browser.forget()


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_every_form_carries_its_token(
    browser: Any, served: Served, states: dict[str, int], role: str, language: str
):
    """At 390 px, in English and in Arabic, nothing is wider than the screen (wide tables scroll in
    their own box), and every form that posts carries the page's CSRF token."""
    locale = "ar-EG" if language == "ar" else "en-GB"
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=locale)
    tab = Visit(context.new_page(), served)
    try:
        tab.login(role)
        paths = pages(role, states, org_ids(served))
        if role == "uk-admin":
            paths += alliance_pages(published_report(served))
        too_wide, tokenless = {}, {}
        for path in paths:
            tab.open(path)
            width = tab.page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                too_wide[path] = width
            missing = tab.page.evaluate(
                "[...document.forms].filter(f => f.method === 'post' && !(f.elements.csrf && f.elements.csrf.value))"
                ".map(f => f.getAttribute('action'))"
            )
            if missing:
                tokenless[path] = missing
        assert (too_wide, tokenless) == ({}, {})
    finally:
        context.close()


def published_report(served: Served) -> int:
    return next(r.id for r in served.node.alliance_for(SYSTEM).reports() if r.status.value == "published")


def test_the_results_of_investigation_forms_pass_axe(visit: Visit, states: dict[str, int]):
    """An intake's summary and priority list, the question before closing a case, a refused victim."""
    page = visit.page
    visit.login("de-investigator")
    visit.open(f"/cases/{states['case']}")
    page.check("input[name=format][value=pdq-txt]")
    page.set_input_files("#case-file", files=[{"name": "list.txt", "mimeType": "text/plain",
                                               "buffer": (secrets.token_hex(32) + ",100\n").encode()}])  # fmt: skip
    with page.expect_navigation():
        page.locator("form[action$='/import'] button[type=submit]").click()
    assert page.locator("section.priority-list").count() == 1
    assert visit.accessibility_problems() == []
    with page.expect_navigation():
        page.locator("form[action$='/close'] button[type=submit]").click()
    assert page.locator("button.danger").count() == 1  # asks first
    assert visit.accessibility_problems() == []
    visit.open(f"/series/{states['series']}")
    page.fill("#victim-identifier", "no digits here")
    with page.expect_navigation():
        page.locator("form[action$='/victims'] button[type=submit]").click()
    assert page.get_by_role("alert").count() == 1
    assert visit.accessibility_problems() == []
