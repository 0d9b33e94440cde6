"""The Alliance's facts and records in the store, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine

from alliance.alliance_data import load_facts
from alliance.core.errors import Conflict
from alliance.core.record.awareness import Audience, Campaign
from alliance.core.record.indicators import IndicatorValue, Origin
from alliance.core.record.workflow import ReportStatus, Section
from alliance.store.accounts import AccountStore
from alliance.store.alliance_figures import FiguresStore
from alliance.store.alliance_store import AllianceStore


@pytest.fixture
def alliance_store(engine: Engine) -> AllianceStore:
    store = AllianceStore(engine)
    store.seed(load_facts())
    return store


def test_seeding_twice_adds_nothing_the_second_time(engine: Engine):
    store = AllianceStore(engine)
    first = store.seed(load_facts())
    assert (first.countries, first.conferences, first.terms) == (55, 2, 2)
    assert store.seed(load_facts()).total == 0
    assert store.facts().counts_on(date(2014, 9, 30)) == (54, 28)


def test_the_seeded_holders_are_organisations_of_the_node(alliance_store: AllianceStore, engine: Engine):
    terms = alliance_store.facts().secretariat
    names = {o.id: o.name for o in AccountStore(engine).organisations()}
    assert [names[t.org_id] for t in terms] == ["European Commission", "United States authorities"]


def test_a_holder_can_be_mapped_to_an_existing_organisation(engine: Engine):
    org = AccountStore(engine).create_organisation("Alliance Secretariat", "US")
    store = AllianceStore(engine)
    store.seed(load_facts(), {"United States authorities": "Alliance Secretariat"})
    assert store.facts().secretariat[-1].org_id == org.id


def test_a_report_change_expects_the_status_it_read(alliance_store: AllianceStore):
    report = alliance_store.create_report("GB", 2013, [1, 2, 3, 4], "user:a")
    assert [s.target for s in report.sections] == [1, 2, 3, 4]
    alliance_store.move_report(report.id, ReportStatus.DRAFT, ReportStatus.SUBMITTED, "user:a")
    with pytest.raises(Conflict):
        alliance_store.write_section(report.id, Section(1, "changed"))
    with pytest.raises(Conflict):
        alliance_store.move_report(report.id, ReportStatus.DRAFT, ReportStatus.SUBMITTED, "user:a")
    assert alliance_store.report(report.id).section(1).actions == ""


def test_a_correction_is_a_new_version_holding_the_published_text(alliance_store: AllianceStore):
    first = alliance_store.create_report("GB", 2013, [1, 2, 3, 4], "user:a")
    alliance_store.write_section(first.id, Section(2, "joint operations", "12 arrests"))
    for a, b in ((ReportStatus.DRAFT, ReportStatus.SUBMITTED), (ReportStatus.SUBMITTED, ReportStatus.REVIEWED)):
        alliance_store.move_report(first.id, a, b, "x")
    with pytest.raises(Conflict):  # one report in the making per country and year
        alliance_store.create_report("GB", 2013, [1, 2, 3, 4], "user:a")
    published = alliance_store.move_report(first.id, ReportStatus.REVIEWED, ReportStatus.PUBLISHED, "secretariat")
    second = alliance_store.create_report("GB", 2013, [1, 2, 3, 4], "user:a", copy_of=published)
    assert (second.version, second.corrects, second.status) == (2, first.id, ReportStatus.DRAFT)
    assert second.section(2).results == "12 arrests"
    assert alliance_store.report(first.id).status is ReportStatus.PUBLISHED


def test_entered_values_replace_and_keep_provenance(engine: Engine, alliance_store: AllianceStore):
    figures = FiguresStore(engine)
    value = IndicatorValue("GB", 2013, "victims_identified", 120, Origin.ENTERED, "INTERPOL ICSE", "user:sec")
    assert figures.set_value(value) is None
    old = figures.set_value(IndicatorValue("GB", 2013, "victims_identified", 130, Origin.ENTERED, "ICSE v2", "u"))
    assert old is not None and old.value == 120
    [stored] = figures.entered_values("GB")
    assert (stored.value, stored.source, stored.entered_by) == (130, "ICSE v2", "u")
    assert stored.entered_at is not None


def test_campaign_search_by_text_country_and_audience(engine: Engine, alliance_store: AllianceStore):
    figures = FiguresStore(engine)
    now = datetime.now(UTC)

    def add(country: str, title: str, audiences: tuple[Audience, ...], practice: str = "") -> None:
        campaign = Campaign(0, country, title, audiences, "schools", date(2013, 2, 1), None, 10, "", practice, "u", now)
        figures.add_campaign(campaign, None)

    add("GB", "Think before you share", (Audience.CHILDREN,), "peer educators, 100% of pupils")
    add("DE", "Sicher online", (Audience.PARENTS, Audience.EDUCATORS))
    assert [c.title for c in figures.search_campaigns("SHARE")] == ["Think before you share"]
    assert [c.title for c in figures.search_campaigns("100%")] == ["Think before you share"]
    assert figures.search_campaigns("50%") == []
    assert [c.country for c in figures.search_campaigns(audience=Audience.EDUCATORS)] == ["DE"]
    assert [c.country for c in figures.search_campaigns(country="GB")] == ["GB"]
    computed = {(v.country, v.name): v.value for v in figures.computed_values(range(2013, 2014))}
    assert computed[("GB", "campaigns_run")] == 1
    assert computed[("DE", "campaign_reach")] == 10
