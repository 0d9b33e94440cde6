"""Figures of investigations, computed from the records: target 1's victims identified, links across
countries, duplicate work spared, days to identification."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.alliance_data import load_facts
from alliance.core.access import SYSTEM, OrgKind, Principal, Role
from alliance.core.errors import NotFound
from alliance.core.investigations import LinkKind, NewItem, VictimStatus
from alliance.core.record.indicators import IndicatorValue, Origin
from alliance.core.signals import Signal
from alliance.node import Node
from alliance.settings import Settings


def police(node: Node, name: str, country: str) -> Principal:
    org = node.accounts.create_organisation(SYSTEM, name, country, OrgKind.LAW_ENFORCEMENT)
    return Principal(org.id, name, country, frozenset({Role.INVESTIGATOR}), name=name)


def test_figures_count_identifications_links_and_spared_work(tmp_path: Path):
    node = Node(Settings(home=tmp_path, hash_jobs=1))
    gb, de = police(node, "GB police", "GB"), police(node, "DE police", "DE")
    de_work = node.investigations_for(de)
    series = de_work.create_series("Beach")
    de_work.add_items(series.id, [NewItem((Signal("md5", "a" * 32),))])
    first_seen = series.first_seen_at
    assert first_seen is not None
    for n, when in enumerate([datetime(2025, 5, 1, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)] * 2):
        de_work.add_victim(series.id, f"DE-{n}", status=VictimStatus.IDENTIFIED, identified_at=when)
    de_work.add_victim(series.id, "DE-9")  # unidentified: not counted
    gb_work = node.investigations_for(gb)
    de_own = de_work.create_series("Room")
    de_work.link(series.id, de_own.id, LinkKind.SAME_PLACE)
    case = gb_work.open_case("GB-1")
    node.deconfliction_for(gb).intake(
        case.id, [NewItem((Signal("md5", "a" * 32),)), NewItem((Signal("md5", "b" * 32),))]
    )

    figures = node.investigation_figures().compute(gb)
    assert figures.victims_identified == {"DE": {2025: 2, 2026: 2}}
    assert (figures.series_links, figures.series_links_across_countries) == (1, 0)
    assert figures.duplicate_work_prevented == {"GB": 1}
    assert figures.findings == {"GB": {"other_agency": 1, "unknown": 1}}
    assert set(figures.days_to_identification) == {2025, 2026}

    # Target 1's indicator: the node's count, unless an ICSE figure was entered for that year.
    node.alliance_for(SYSTEM).seed(load_facts())
    node.figures_store.set_value(IndicatorValue("DE", 2026, "victims_identified", 40, Origin.ENTERED, "ICSE"))
    values = {
        (v.year, v.origin): v.value
        for v in node.figures_for(SYSTEM)._values(range(2024, 2027), "DE")
        if v.name == "victims_identified"
    }
    assert values == {(2025, Origin.COMPUTED): 2.0, (2026, Origin.ENTERED): 40.0}
    node.close()


def test_an_smtp_server_that_is_down_loses_no_notification(tmp_path: Path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    node = Node(Settings(home=tmp_path, hash_jobs=1, smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_seconds=2))
    gb, nl = police(node, "GB police", "GB"), police(node, "NL police", "NL")
    series = node.investigations_for(nl).create_series("Garden", contact_email="vic@police.example.nl")
    node.investigations_for(nl).add_items(series.id, [NewItem((Signal("sha1", "c" * 40),))])
    case = node.investigations_for(gb).open_case("GB-2")
    report = node.deconfliction_for(gb).intake(case.id, [NewItem((Signal("sha1", "c" * 40),))])
    assert report.counts == {"other_agency": 1}
    (note,) = node.notifier.for_org(nl)
    assert note.emailed_at is None and note.email_error and "GB-2" in note.body
    failed = [e for e in node.audit.store.events() if e.record.action == "notification.email"]
    assert [e.record.outcome for e in failed] == ["failed"]
    node.close()


def test_notifications_page_unread_first_and_count_unread_for_the_agencys_police_only(engine, tmp_path: Path):
    url = engine.url.render_as_string(hide_password=False)  # on each backend: the order is the database's
    node = Node(Settings(home=tmp_path, hash_jobs=1, database_url=url))
    nl, gb = police(node, "NL police", "NL"), police(node, "GB police", "GB")
    ids = [node.notifier.notify(gb, nl.org_id, "series_hit", f"hit {n}", "no hashes", {}, None).id for n in range(5)]
    node.notifier.mark_read(nl, ids[3])
    node.notifier.mark_read(nl, ids[0])
    assert node.notifier.unread_count(nl) == 3 and node.notifier.unread_count(gb) == 0
    first = node.notifier.for_org(nl, limit=2, unread_first=True)
    rest = node.notifier.for_org(nl, limit=10, offset=2, unread_first=True)
    assert [n.id for n in first + rest] == [ids[4], ids[2], ids[1], ids[3], ids[0]]
    assert [n.id for n in node.notifier.for_org(nl)] == ids[::-1]  # newest first, as before
    hotline = node.accounts.create_organisation(SYSTEM, "Hotline", "NL", OrgKind.HOTLINE)
    analyst = Principal(hotline.id, "Hotline", "NL", frozenset({Role.ANALYST}), name="analyst")
    assert node.notifier.unread_count(analyst) == 0  # not police: nothing, and no error on every page
    node.close()


def test_police_may_read_the_directory_to_name_agencies_in_a_disclosure_policy(tmp_path: Path):
    node = Node(Settings(home=tmp_path, hash_jobs=1))
    nl = police(node, "NL police", "NL")
    platform_org = node.accounts.create_organisation(SYSTEM, "Platform", "US", OrgKind.PLATFORM)
    platform = Principal(platform_org.id, "Platform", "US", frozenset({Role.PLATFORM}), name="platform")
    assert {o.name for o in node.accounts.directory(nl)} == {"NL police", "Platform"}
    with pytest.raises(NotFound):
        node.accounts.directory(platform)
    node.close()
