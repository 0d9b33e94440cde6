"""Every form works with the keyboard alone, in Chromium.

First, on every page of every role (`test_every_page_axe.pages`, the Alliance's pages): pressing
Tab from the top of the page reaches every field and button of every form (a group of radio
buttons is one stop: arrows move within it), so nothing needs a mouse to be reached. Then forms of
each kind are filled and sent with Tab, typing, arrows, Space and Enter only, and do what they do
with a mouse: a hash and an image checked (the file chosen from the keyboard), a bank created and
shared and a hash list imported into it, a key issued and revoked through its confirmation page,
the audit log filtered, the language switched, a campaign added, and a report published through
its confirmation box. The grading form, the login and the report editor have theirs in
`test_journeys.py`, `test_browser.py` and `test_alliance_browser.py`.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest

from alliance.core.access import SYSTEM, BankAction
from alliance.core.record.workflow import ReportMove, ReportStatus
from alliance.services.demo import demo_photos
from tests.web.conftest import Served, Visit
from tests.web.test_alliance_browser import alliance_pages
from tests.web.test_every_page_axe import entries_in_each_state, org_ids, pages
from tests.web.test_journeys import tab

pytestmark = pytest.mark.browser
BANK = "keyboard-bank"

CONTROLS = """() => {
  const shown = (e) => e.type !== 'hidden' && !e.disabled && e.getClientRects().length > 0;
  const controls = [...document.querySelectorAll('form input, form select, form textarea, form button')].filter(shown);
  const formOf = (e) => [...document.forms].indexOf(e.form);
  controls.forEach((e, i) => {
    e.dataset.stop = e.type === 'radio' ? `radio ${formOf(e)} ${e.name}` : `${e.tagName.toLowerCase()} #${i}`;
  });
  return controls.map((e) => e.dataset.stop + ' ' + (e.id || e.name || e.textContent.trim()).slice(0, 40));
}"""
FOCUSED = "() => document.activeElement === document.body ? null : (document.activeElement.dataset.stop || '-')"


def tab_through(page: Any, limit: int = 600) -> set[str]:
    """The form controls that Tab reaches, from the top of the page round to it again."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    reached: set[str] = set()
    first = None
    for _ in range(limit):
        page.keyboard.press("Tab")
        here = page.evaluate(
            "() => { const e = document.activeElement; if (e === document.body) return null;"
            " if (!e.dataset.seen) e.dataset.seen = String(Math.random());"
            " return [e.dataset.seen, e.dataset.stop || '-']; }"
        )
        if here is None:
            if first is not None:
                return reached
            continue
        seen, stop = here
        if seen == first:
            return reached
        first = first or seen
        reached.add(stop)
    raise AssertionError(f"{page.url}: Tab went round more than {limit} stops")


@pytest.fixture(scope="module")
def keyboard_states(served: Served) -> dict[str, int]:
    return entries_in_each_state(served, BANK)


@pytest.mark.parametrize("role", ["uk-analyst", "de-investigator", "us-platform", "uk-admin", "uk-auditor", "admin"])
def test_tab_reaches_every_field_and_button_of_every_form(
    visit: Visit, served: Served, keyboard_states: dict[str, int], role: str
):
    visit.login(role)
    paths = pages(role, keyboard_states, org_ids(served), BANK)
    if role == "uk-admin":  # a drafter: the campaign form, the start of a report, the editor
        alliance = served.node.alliance_for(SYSTEM)
        taken = {r.year for r in alliance.reports("GB")} | {2020, 2021}  # and the journey's years
        draft = alliance.create_report("GB", next(y for y in range(2019, 2010, -1) if y not in taken))
        paths += alliance_pages(draft.id)
    unreached = {}
    for path in paths:
        visit.open(path)
        controls = visit.page.evaluate(CONTROLS)
        assert len(controls) >= 3, path  # every page has forms: the language (a list, a button), logging out
        reached = tab_through(visit.page)
        missing = sorted({c for c in controls if _stop(c) not in reached})
        if missing:
            unreached[path] = missing
    assert unreached == {}


def _stop(control: str) -> str:
    """`CONTROLS`' description of a control back to its `data-stop` (radio groups are their own)."""
    parts = control.split(" ")
    return " ".join(parts[:3]) if parts[0] == "radio" else " ".join(parts[:2])


# --- forms filled and sent with the keyboard alone ------------------------------------------------


def tab_to(page: Any, selector: str, limit: int = 400) -> None:
    """Press Tab until the element `selector` names has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reaches {selector} on {page.url}")


def enter(page: Any) -> None:
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_platform_checks_a_hash_and_an_image_with_the_keyboard(browser: Any, served: Served, language: str):
    context, visit = tab(browser, served, language)
    page = visit.page
    try:
        visit.login("us-platform")
        visit.open("/check")
        tab_to(page, "#signal_type")
        page.keyboard.press("Home")  # the first type listed
        first = page.evaluate("document.querySelector('#signal_type option').value")
        assert page.input_value("#signal_type") == first
        page.keyboard.press("End")
        page.keyboard.press("Home")
        tab_to(page, "#signal_type")  # round again, then back to pdq with the arrows
        while page.input_value("#signal_type") != "pdq":
            page.keyboard.press("ArrowDown")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "value"
        page.keyboard.type(secrets.token_hex(32))
        enter(page)  # Enter in a field sends its form
        assert page.locator("#result").count() == 1 and page.locator("p.empty[role=status]").count() == 1
        tab_to(page, "#image")
        with page.expect_file_chooser() as chooser:
            page.keyboard.press("Space")  # a file input opens the chooser from the keyboard
        chooser.value.set_files(str(demo_photos()[2]))
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.type") == "submit"
        enter(page)
        assert page.locator("#result").count() == 1
        assert "/check" in page.url
    finally:
        context.close()


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_curator_creates_shares_fills_and_exports_a_bank_with_the_keyboard(
    browser: Any, served: Served, language: str
):
    context, visit = tab(browser, served, language)
    try:
        _curate_a_bank(visit, served, f"typed-bank-{language}")
    finally:
        context.close()


def _curate_a_bank(visit: Visit, served: Served, name: str) -> None:
    page = visit.page
    visit.login("uk-analyst")
    visit.open("/banks/new")
    tab_to(page, "#bank-name")
    page.keyboard.type(name)
    page.keyboard.press("Tab")  # the description
    page.keyboard.type("Made without a mouse")
    tab_to(page, "input[name=purpose]")  # the group: arrows choose within it
    page.keyboard.press("Space")
    enter(page)
    assert page.url.startswith(f"{served.url}/banks/{name}")
    assert page.get_by_role("status").count() == 1  # "The bank has been created."
    tab_to(page, f"a[href='/banks/{name}/policy']")
    enter(page)
    tab_to(page, "#read-countries")
    page.keyboard.type("DE")
    tab_to(page, "input[name=read_roles]")
    page.keyboard.press("Space")
    tab_to(page, "form[action$='/policy'] button[type=submit]")
    enter(page)
    rule = served.node.store.get_bank(name).policy.rule(BankAction.READ)
    assert rule.countries == frozenset({"DE"}) and len(rule.roles) == 1
    tab_to(page, f"a[href='/banks/{name}/import']")
    enter(page)
    tab_to(page, "input[name=format]")
    while page.evaluate("document.activeElement.value") != "pdq-txt":
        page.keyboard.press("ArrowDown")  # arrows move through the formats, choosing each
    assert page.is_checked("input[name=format][value=pdq-txt]")
    tab_to(page, "#hash-file")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    pdq = secrets.token_hex(32)
    chooser.value.set_files(files=[{"name": "typed.txt", "mimeType": "text/plain", "buffer": f"{pdq}\n".encode()}])
    tab_to(page, "form[action$='/import'] button[type=submit]")
    enter(page)
    assert page.get_by_role("status").count() >= 1
    assert served.node.store.get_bank(name).entry_count == 1
    tab_to(page, f"a[href='/banks/{name}']")
    enter(page)
    tab_to(page, f"a[href='/banks/{name}/export?format=pdq-txt']")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert pdq in Path(download.value.path()).read_text()


def test_an_org_admin_issues_and_revokes_a_key_with_the_keyboard(visit: Visit, served: Served):
    page = visit.page
    visit.login("uk-admin")
    visit.open("/organisation")
    tab_to(page, "#key-name")
    page.keyboard.type("typed-key")
    page.keyboard.press("Tab")  # the first role
    page.keyboard.press("Space")
    tab_to(page, "form[action='/organisation/keys'] button[type=submit]")
    enter(page)
    assert page.locator("p.secret").inner_text().startswith("alk_")
    visit.open("/organisation")
    row = page.locator("tr", has_text="typed-key")
    href = row.locator("a[href*='/revoke']").get_attribute("href")
    tab_to(page, f"a[href='{href}']")
    enter(page)  # the confirmation page
    tab_to(page, "button.danger")
    enter(page)
    uk = org_ids(served)["uk"]
    [key] = [k for k in served.node.account_store.keys(uk) if k.name == "typed-key"]
    assert key.revoked_at is not None


def test_the_audit_filter_and_the_language_with_the_keyboard(visit: Visit):
    page = visit.page
    visit.login("uk-auditor")
    visit.open("/audit")
    tab_to(page, "select[name=outcome]")
    while page.input_value("select[name=outcome]") != "ok":
        page.keyboard.press("ArrowDown")
    tab_to(page, "form.filters button[type=submit]")
    enter(page)
    assert "outcome=ok" in page.url
    tab_to(page, "#language-choice")
    while page.input_value("#language-choice") != "ar":
        page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    enter(page)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "outcome=ok" in page.url  # the same page, in Arabic


def test_a_campaign_is_added_with_the_keyboard(visit: Visit, served: Served):
    page = visit.page
    visit.login("uk-admin")
    visit.open("/alliance/campaigns")
    tab_to(page, "#c-title")
    page.keyboard.type("Typed campaign")
    page.keyboard.press("Tab")  # the first audience
    page.keyboard.press("Space")
    tab_to(page, "#c-channel")
    page.keyboard.type("radio")
    page.keyboard.press("Tab")
    page.keyboard.type("01012015")  # the first of January, in whichever order the date field asks
    assert page.input_value("#c-starts") == "2015-01-01"
    tab_to(page, "form[action='/alliance/campaigns'][method=post] button[type=submit]")
    enter(page)
    assert [c.title for c in served.node.figures_for(SYSTEM).campaigns("Typed campaign")] == ["Typed campaign"]


def test_the_secretariat_publishes_through_the_confirmation_box_with_the_keyboard(visit: Visit, served: Served):
    alliance = served.node.alliance_for(SYSTEM)
    report = alliance.create_report("DE", 2017)
    alliance.move(report.id, ReportMove.SUBMIT)
    page = visit.page
    visit.login("secretariat")
    visit.open(f"/alliance/reports/{report.id}")
    tab_to(page, "input[name=move][value=review] ~ button")
    enter(page)
    tab_to(page, "#publish-form input[name=confirm]")
    page.keyboard.press("Space")
    tab_to(page, "#publish-form button[type=submit]")
    enter(page)
    assert alliance.report(report.id).status is ReportStatus.PUBLISHED
