"""The Alliance's pages without a browser: they render for every role, a draft is 404 to whom the
API hides it, bad forms are refused and change nothing, publishing needs its confirmation, and each
chart on a page draws the numbers of the table beside it."""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator

import pytest
from babel.numbers import parse_decimal
from fastapi.testclient import TestClient

from alliance.asgi import create_app
from alliance.core.access import SYSTEM
from alliance.core.record.workflow import ReportMove, ReportStatus
from alliance.node import Node
from alliance.report.svg import H
from alliance.services.demo import DemoLogin
from alliance.web import alliance_pages, i18n
from tests.report.test_report_numbers import SVG, Chart, number, svgs
from tests.web.conftest import seed, web_settings
from tests.web.test_pages import form_token, log_in

Site = tuple[TestClient, dict[str, DemoLogin], Node]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    settings = web_settings(tmp_path_factory.mktemp("alliance") / "home")
    logins = seed(settings)
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver") as client:
        yield client, logins, app.state.node


PAGES = [
    "/alliance/members",
    "/alliance/countries/GB",
    "/alliance/countries/AU",
    "/alliance/campaigns",
    "/alliance/campaigns?country=AU&audience=parents",
    "/alliance/report?year=2014",
    "/alliance/report?year=2013",
    "/alliance/review",
]


@pytest.mark.parametrize("username", ["uk-analyst", "secretariat", "us-platform", "admin"])
def test_the_alliance_pages_render_for_every_role(site: Site, username: str):
    client, logins, _ = site
    log_in(client, logins, username)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, f"{path}: {response.text[:500]}"
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text) == [], path


def test_members_are_listed_in_a_table_and_by_region(site: Site):
    client, logins, node = site
    log_in(client, logins, "uk-analyst")
    page = client.get("/alliance/members").text
    members = {c.code for c in node.alliance_for(SYSTEM).facts().members_on(node.alliance_for(SYSTEM).today())}
    assert set(re.findall(r'<tr data-country="([A-Z]{2})"', page)) == members
    regions = re.findall(r'<h3 id="region-\d+">([^<]+) <span class="detail">\((\d+)\)', page)
    assert {name.strip() for name, _ in regions} <= {"Africa", "Americas", "Asia", "Europe", "Oceania"}
    assert sum(int(n) for _, n in regions) == len(members)


def test_another_countrys_draft_is_404_like_a_missing_report(site: Site):
    client, logins, node = site
    draft = node.alliance_for(SYSTEM).create_report("DE", 2016)
    log_in(client, logins, "uk-analyst")
    hidden = client.get(f"/alliance/reports/{draft.id}")
    missing = client.get("/alliance/reports/999999")
    assert hidden.status_code == missing.status_code == 404
    assert "DE" not in re.sub(r"<header.*?</header>", "", hidden.text, flags=re.S).split("<main")[1][:400]


def test_a_platform_cannot_start_a_report_and_nothing_is_written(site: Site):
    client, logins, node = site
    csrf = log_in(client, logins, "us-platform")
    before = len(node.alliance_for(SYSTEM).reports("US"))
    response = client.post("/alliance/reports", data={"csrf": csrf, "country": "US", "year": "2015"})
    assert response.status_code == 404
    assert len(node.alliance_for(SYSTEM).reports("US")) == before


def test_a_form_without_the_page_token_is_refused(site: Site):
    client, logins, node = site
    log_in(client, logins, "uk-analyst")
    before = len(node.alliance_for(SYSTEM).reports("GB"))
    response = client.post("/alliance/reports", data={"country": "GB", "year": "2017"})
    assert response.status_code == 403
    assert len(node.alliance_for(SYSTEM).reports("GB")) == before


def test_publishing_needs_its_confirmation(site: Site):
    client, logins, node = site
    service = node.alliance_for(SYSTEM)
    report = service.create_report("GB", 2018)
    for move in (ReportMove.SUBMIT, ReportMove.REVIEW):
        service.move(report.id, move)
    csrf = log_in(client, logins, "secretariat")
    refused = client.post(f"/alliance/reports/{report.id}/move", data={"csrf": csrf, "move": "publish"})
    assert refused.status_code == 422 and "tick the box" in refused.text
    assert service.report(report.id).status is ReportStatus.REVIEWED
    page = client.get(f"/alliance/reports/{report.id}").text
    assert re.search(r'<input type="checkbox" name="confirm" value="yes" required>', page)
    done = client.post(f"/alliance/reports/{report.id}/move", data={"csrf": csrf, "move": "publish", "confirm": "yes"})
    assert done.status_code == 200 and service.report(report.id).status is ReportStatus.PUBLISHED


def test_a_country_saves_its_draft_section_by_section(site: Site):
    client, logins, node = site
    csrf = log_in(client, logins, "uk-admin")
    created = client.post("/alliance/reports", data={"csrf": csrf, "country": "GB", "year": "2019"})
    report_id = int(str(created.url).rsplit("/", 1)[1].split("?")[0])
    assert 'id="report-editor"' in created.text and created.text.count("<fieldset") == 4
    form = {"csrf": form_token(created.text), "actions_2": "Two joint teams", "results_4": "Hashes shared"}
    saved = client.post(f"/alliance/reports/{report_id}/sections", data=form | {"then": "save"})
    assert "Draft saved." in saved.text
    report = node.alliance_for(SYSTEM).report(report_id)
    assert (report.section(2).actions, report.section(4).results, report.status) == (
        "Two joint teams",
        "Hashes shared",
        ReportStatus.DRAFT,
    )
    again = client.post("/alliance/reports", data={"csrf": csrf, "country": "GB", "year": "2019"})
    assert str(again.url).endswith(f"/alliance/reports/{report_id}")  # the open draft, not a second one


def test_a_bad_campaign_is_refused_and_nothing_is_added(site: Site):
    client, logins, node = site
    csrf = log_in(client, logins, "uk-analyst")
    before = len(node.figures_for(SYSTEM).campaigns())
    bad = {"csrf": csrf, "title": "Talk", "channel": "radio", "starts": "2015-01-01", "audiences": ["parents"]}
    for change in ({"reach": "many"}, {"ends": "2014-01-01"}, {"audiences": ["pets"]}, {"starts": "soon"}):
        response = client.post("/alliance/campaigns", data=bad | change)
        assert response.status_code == 422, (change, response.status_code)
    assert len(node.figures_for(SYSTEM).campaigns()) == before
    ok = client.post("/alliance/campaigns", data=bad | {"reach": "1200"})
    assert "Campaign added." in ok.text and len(node.figures_for(SYSTEM).campaigns()) == before + 1


def read_number(language: str) -> Callable[[str], float]:
    """A number the page wrote in `language` back to a float: "1,234.5", "250K", "1.2 مليون"."""

    def parse(text: str) -> float:
        text, scale = text.strip("\u2067\u2069 "), 1.0
        for word, factor in (("مليون", 1e6), ("ألف", 1e3), ("M", 1e6), ("K", 1e3), ("k", 1e3)):
            if text.endswith(word):
                text, scale = text[: -len(word)].strip(), factor
                break
        return float(parse_decimal(text, locale=language)) * scale

    return parse


CHART_PAGES = ["/alliance/report?year=2014", "/alliance/countries/GB", "/alliance/countries/US"]


@pytest.mark.parametrize("language", ["en", "ar"])
@pytest.mark.parametrize("path", CHART_PAGES)
def test_each_chart_on_a_page_draws_its_table(site: Site, path: str, language: str):
    client, logins, _ = site
    log_in(client, logins, "uk-analyst")
    page = client.get(path, headers={"Accept-Language": language}).text
    parse = read_number(language)
    blocks = re.findall(r'<div class="indicator" data-name="([^"]+)">(.*?)</table>', page, re.S)
    assert blocks, "no indicator on the page"
    for name, block in blocks:
        [svg] = svgs(block)
        chart = Chart(svg, parse)
        rows, goals = ({k: parse(v) for k, v in table_cells(block, a).items()} for a in ("data-year", "data-goal"))
        years = chart.years()
        drawn = {
            years[float(c.get("cx", "0"))]: chart.at(float(c.get("cy", "0"))) for c in chart.root.iter(f"{SVG}circle")
        }
        assert drawn.keys() == {int(y) for y in rows}, name
        assert all(chart.close(drawn[int(y)], v) for y, v in rows.items()), (name, drawn, rows)
        marks = {
            years[round(float(g.get("x1", "0")) + 14, 1)]: chart.at(float(g.get("y1", "0")))
            for g in chart.root.iter(f"{SVG}line")
            if g.get("class") == "goal"
        }
        assert marks.keys() == {int(y) for y in goals}, name
        assert all(chart.close(marks[int(y)], v) for y, v in goals.items()), (name, marks, goals)


@pytest.mark.parametrize("language", ["en", "ar"])
def test_the_reach_chart_draws_each_campaigns_reach_from_the_table(site: Site, language: str):
    client, logins, _ = site
    log_in(client, logins, "uk-analyst")
    page = client.get("/alliance/report?year=2014", headers={"Accept-Language": language}).text
    section = page[page.index('id="reach-heading"') :]
    [svg] = svgs(section)
    chart = Chart(svg, read_number(language))
    rows = re.findall(r'<tr><td>([A-Z]{2})</td><td>([^<]*)</td>.*?data-campaign="\d+">([^<]*)</td>', section)
    reach = {f"{country}: {html.unescape(title)}": read_number(language)(n) for country, title, n in rows if n != "–"}
    bars = {}
    for bar in chart.root.iter(f"{SVG}rect"):
        if bar.get("class") == "bar":
            label = (bar.findtext(f"{SVG}title") or "").rsplit(": ", 1)[0]
            bars[label] = chart.at(float(bar.get("y", "0")))
    assert bars and bars.keys() == reach.keys()
    assert all(chart.close(bars[k], v) for k, v in reach.items()), (bars, reach)


def table_cells(html_text: str, attribute: str) -> dict[str, str]:
    found = re.findall(rf'<td class="num" {attribute}="([^"]+)">([^<]*)</td>', html_text)
    return {key: text for key, text in found if text}


def test_the_report_page_says_how_each_figure_is_made(site: Site):
    client, logins, _ = site
    log_in(client, logins, "secretariat")
    page = client.get("/alliance/report?year=2014").text
    days = html.unescape(page[page.index('data-name="takedown_median_days"') :])
    assert "Each year's figure is the median of the countries' medians" in days[:1500]
    assert '<th scope="col" class="num">Median of medians' in days
    assert 'data-name="campaign_reach"' not in page  # reach is per campaign, never a yearly line
    assert '<svg class="chart bars"' in page


def _in_language(language: str, value: float) -> str:
    token = i18n.current_language.set(language)
    try:
        return alliance_pages.chart_number(value)
    finally:
        i18n.current_language.reset(token)


@pytest.mark.parametrize("path", CHART_PAGES)
def test_a_chart_in_arabic_is_the_english_chart_in_the_readers_words_and_numbers(site: Site, path: str):
    """Its numbers written as an Arabic reader writes them (as the table beside it does), its title
    and legend translated, laid out left to right whatever the page's direction (so its
    `text-anchor`s mean what they say)."""
    client, logins, _ = site
    log_in(client, logins, "uk-analyst")
    english = svgs(client.get(path, headers={"Accept-Language": "en"}).text)
    arabic = svgs(client.get(path, headers={"Accept-Language": "ar"}).text)
    assert english and len(english) == len(arabic)
    arabic_words = i18n.translations("ar")
    short_forms = 0
    for en_svg, ar_svg in zip(english, arabic, strict=True):
        en, ar = ET.fromstring(en_svg), ET.fromstring(ar_svg)
        assert ar.get("direction") == en.get("direction") == "ltr"
        [en_title], [ar_title] = en.findall(f"{SVG}title"), ar.findall(f"{SVG}title")
        assert ar_title.text == arabic_words.gettext(en_title.text or "") != en_title.text
        for en_text, ar_text in zip(en.iter(f"{SVG}text"), ar.iter(f"{SVG}text"), strict=True):
            said, written = en_text.text or "", ar_text.text or ""
            if en_text.get("y") == str(H - 12):  # years and campaigns' names, as they are
                assert written == said
            elif en_text.get("text-anchor"):  # a number: the axis, a value
                assert written == _in_language("ar", number(said)), (said, written)
                assert written[0] + written[-1] == "\u2067\u2069"  # right to left where it stands
                short_forms += "ألف" in written or "مليون" in written
            else:  # the legend
                assert written == arabic_words.gettext(said) != said
    if path.startswith("/alliance/report"):
        assert short_forms > 0  # 1.2M and 250K are "1.2 مليون" and "250 ألف" in Arabic
