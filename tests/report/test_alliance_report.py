"""The Alliance report as a reader gets it: the numbers on the page, the matrix, the charts' data,
nothing unpublished, nothing fetched from the network; and the open-data export."""

from __future__ import annotations

import csv
import json
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from alliance.alliance_data import load_facts
from alliance.cli.main import main
from alliance.core.access import SYSTEM
from alliance.core.record.workflow import CommitmentStatus, ReportMove
from alliance.node import Node
from alliance.report import write_open_data, write_report
from alliance.services.alliance import AllianceService
from alliance.services.alliance_demo import load_alliance_demo
from alliance.services.alliance_figures import FiguresService
from alliance.services.audit import AuditLog
from alliance.services.demo import seed_demo_node
from alliance.settings import Settings
from alliance.store.accounts import AccountStore
from alliance.store.alliance_figures import FiguresStore
from alliance.store.alliance_models import CampaignRow, IndicatorValueRow
from alliance.store.alliance_store import AllianceStore
from alliance.store.audit_log import AuditStore

TODAY = date(2015, 3, 1)
MADE = date(2013, 5, 1)


class Page(HTMLParser):
    """Every element's attributes and the text inside elements that have a data-* attribute or an id."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_of: dict[str, str] = {}
        self._open: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        key = values.get("data-name") or ""
        self._open.append(key)

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._open and self._open[-1]:
            self.text_of.setdefault(self._open[-1], data)

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture
def figures(engine: Engine) -> FiguresService:
    alliance = AllianceService(AllianceStore(engine), AuditLog(AuditStore(engine)), SYSTEM, today=lambda: TODAY)
    alliance.seed(load_facts())
    service = FiguresService(alliance, FiguresStore(engine), AccountStore(engine))
    alliance.add_commitment(
        "GB", 4, "Shared hash list", "share hashes", "national list", "4.2", CommitmentStatus.ACHIEVED, MADE
    )
    alliance.add_commitment("GB", 4, "Faster takedown", "24 h", "", "4.1", CommitmentStatus.PLANNED, MADE)
    alliance.add_commitment("VN", 3, "Schools", "lessons", "", None, CommitmentStatus.PLANNED, MADE)
    for country, values in {"GB": (100, 110, 130), "DE": (50, 50, 52)}.items():
        for year, value in zip((2012, 2013, 2014), values, strict=True):
            service.enter(country, year, "victims_identified", value, "INTERPOL ICSE (test)")
    published = alliance.create_report("GB", 2014)
    alliance.write_section(published.id, 1, actions="Joined ICSE", results="30 children identified")
    for move in (ReportMove.SUBMIT, ReportMove.REVIEW, ReportMove.PUBLISH):
        alliance.move(published.id, move)
    draft = alliance.create_report("DE", 2014)
    alliance.write_section(draft.id, 2, actions="SECRET DRAFT TEXT")
    service.add_campaign("GB", "Think before you share", ["children"], "schools", date(2014, 2, 1), reach=1000)
    return service


def rendered(figures: FiguresService, year: int, tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / f"report-{year}"
    write_report(figures.report_view(year), folder)
    return {p.name: p.read_text(encoding="utf-8") for p in folder.iterdir()}


def test_the_headline_figures_of_2014(figures: FiguresService, tmp_path: Path):
    index = Page(rendered(figures, 2014, tmp_path)["index.html"])
    assert index.text_of["members"] == "54"
    assert index.text_of["eu_members"] == "28"
    assert index.text_of["joined"] == "7"
    assert index.text_of["commitments"] == "3"
    assert index.text_of["reports"] == "1"


def test_2013_ends_with_48_members_and_croatia_in_the_eu(figures: FiguresService, tmp_path: Path):
    index = Page(rendered(figures, 2013, tmp_path)["index.html"])
    assert (index.text_of["members"], index.text_of["eu_members"]) == ("48", "28")


def test_the_commitment_matrix(figures: FiguresService, tmp_path: Path):
    index = Page(rendered(figures, 2014, tmp_path)["index.html"])
    cells = index.all("td", **{"data-country": "GB"})
    assert {c["data-target"]: c["data-count"] for c in cells} == {"1": "0", "2": "0", "3": "0", "4": "2"}
    assert "s-achieved" in index.all("td", **{"data-country": "GB", "data-target": "4"})[0]["class"]
    assert len({c["data-country"] for c in index.all("td") if "data-country" in c}) == 54
    assert index.all("td", **{"data-country": "VN"}) == []  # no longer a member at the end of 2014
    assert len(Page(rendered(figures, 2013, tmp_path)["index.html"]).all("td", **{"data-country": "VN"})) == 4


def test_indicator_totals_and_the_goal_line(figures: FiguresService, tmp_path: Path):
    view = figures.report_view(2014)
    [victims] = [s for s in view.series if s.name == "victims_identified"]
    assert victims.points == ((2012, 150), (2013, 160), (2014, 182))
    assert victims.goal_points == ((2013, pytest.approx(165)), (2014, pytest.approx(176)))
    index = rendered(figures, 2014, tmp_path)["index.html"]
    assert index.count('class="goal"') == 2 and "<svg" in index


def test_each_country_page_and_only_published_text(figures: FiguresService, tmp_path: Path):
    files = rendered(figures, 2014, tmp_path)
    assert {"country-GB.html", "country-XK.html", "country-VN.html"} <= set(files)
    assert len(files) == 1 + 55
    gb = files["country-GB.html"]
    assert "30 children identified" in gb
    gb_page = Page(gb)
    row = gb_page.all("tr", **{"data-name": "victims_identified", "data-year": "2014"})
    assert row and "met" in gb
    assert not any("SECRET DRAFT TEXT" in text for text in files.values())
    assert "No published report" in files["country-DE.html"]


def test_nothing_is_fetched_from_anywhere(figures: FiguresService, tmp_path: Path):
    for name, text in rendered(figures, 2014, tmp_path).items():
        page = Page(text)
        assert page.all("script") == [] and page.all("img") == [] and page.all("link") == [], name
        hrefs = [a.get("href", "") for _, a in page.elements if "href" in a]
        assert all(not h.startswith(("http:", "https:", "//")) for h in hrefs), name


def test_years_outside_the_alliance_are_refused(figures: FiguresService):
    from alliance.core.errors import InvalidRequest

    with pytest.raises(InvalidRequest):
        figures.report_view(2011)
    with pytest.raises(InvalidRequest):
        figures.report_view(2016)


def test_open_data_holds_the_published_record_only(figures: FiguresService, tmp_path: Path):
    write_open_data(figures.open_data(), tmp_path / "open")
    data = json.loads((tmp_path / "open" / "alliance.json").read_text())
    assert [(r["country"], r["year"], r["status"]) for r in data["reports"]] == [("GB", 2014, "published")]
    assert "SECRET DRAFT TEXT" not in (tmp_path / "open" / "alliance.json").read_text()
    with (tmp_path / "open" / "memberships.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {r["country"] for r in rows if r["body"] == "alliance"} >= {"XK", "VN", "HR"}
    with (tmp_path / "open" / "indicators.csv").open() as f:
        gb_2014 = [
            r for r in csv.DictReader(f) if (r["country"], r["year"], r["name"]) == ("GB", "2014", "victims_identified")
        ]
    assert gb_2014[0]["goal_met"] == "True" and gb_2014[0]["source"] == "INTERPOL ICSE (test)"


def test_the_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ALLIANCE_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ALLIANCE_DATABASE_URL", raising=False)
    assert main(["alliance", "demo"]) == 0
    assert main(["report", "alliance", "--year", "2014", "--out", str(tmp_path / "r")]) == 0
    assert main(["report", "export", "--out", str(tmp_path / "o")]) == 0
    index = Page((tmp_path / "r" / "index.html").read_text())
    assert index.text_of["members"] == "54"
    assert (tmp_path / "o" / "commitments.csv").exists()
    assert main(["alliance", "report-new", "CA", "2013"]) == 4
    assert main(["alliance", "commit", "QQ", "1", "t", "--pledge", "p"]) == 4


def test_the_published_record_names_organisations_never_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The demo world's people act (a user drafts, the secretariat's key publishes), and a record from
    before labels named organisations names an account: the report and open data name organisations."""
    from argon2 import PasswordHasher

    import alliance.services.accounts as accounts

    monkeypatch.setattr(accounts, "_passwords", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    node = Node(Settings(home=tmp_path / "home", hash_jobs=1))
    seeded = seed_demo_node(node.accounts, node.banks_for, tmp_path / "home" / "demo.json")
    logins = {login.username: login for login in seeded}
    load_alliance_demo(
        node.alliance_for(SYSTEM), node.figures_for(SYSTEM), {"United States authorities": "Alliance Secretariat"}
    )
    uk = node.accounts.login("uk-admin", logins["uk-admin"].password).principal
    secretariat = node.accounts.authenticate_key(logins["secretariat"].api_key)
    drafter, publisher = node.alliance_for(uk), node.alliance_for(secretariat)
    report = drafter.create_report("GB", 2012)
    drafter.write_section(report.id, 1, actions="Joined ICSE")
    drafter.move(report.id, ReportMove.SUBMIT)
    for move in (ReportMove.REVIEW, ReportMove.PUBLISH):
        publisher.move(report.id, move)
    figures = node.figures_for(uk)
    figures.add_campaign("GB", "Ask first", ["parents"], "radio", date(2014, 5, 1))
    node.figures_for(secretariat).enter("GB", 2012, "victims_identified", 100, "INTERPOL ICSE (test)")
    old = figures.campaign(figures.add_campaign("GB", "Old", ["parents"], "radio", date(2013, 5, 1)).id)
    uk_key = node.accounts.store.keys(uk.org_id)[0]
    with node.engine.begin() as connection:  # as written before labels named organisations
        connection.execute(update(CampaignRow).where(CampaignRow.id == old.id).values(created_by="user:uk-admin"))
        connection.execute(update(IndicatorValueRow).values(entered_by=f"key:{uk_key.prefix} ({uk_key.name})"))
    write_report(figures.report_view(2014), tmp_path / "out")
    write_open_data(figures.open_data(), tmp_path / "out" / "data")
    published = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*") if p.is_file())
    people = [name for name in logins if "-" in name]  # "admin" and "secretariat" are words too
    prefixes = [k.prefix for k in node.accounts.store.keys(None)]
    assert [word for word in [*people, *prefixes, "user:"] if word in published] == []  # keys by prefix
    campaigns = {c["title"]: c["created_by"] for c in figures.open_data()["campaigns"]}
    assert campaigns["Ask first"] == campaigns["Old"] == "UK Hotline"
    [gb_2012] = [r for r in figures.open_data()["reports"] if (r["country"], r["year"]) == ("GB", 2012)]
    assert (gb_2012["created_by"], gb_2012["published_by"]) == ("UK Hotline", "Alliance Secretariat")
