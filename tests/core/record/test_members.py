"""The seed facts: who was a member when, inside and outside the EU, and who held the secretariat."""

from __future__ import annotations

from datetime import date

import pytest

from alliance.alliance_data import load_facts
from alliance.core.errors import FormatError, NotFound
from alliance.core.record.members import Body, current_term, member_in_year, parse_facts

LAUNCH = date(2012, 12, 5)
WASHINGTON = date(2014, 9, 30)


def codes(countries) -> set[str]:
    return {c.code for c in countries}


def test_48_members_at_the_launch_27_of_them_in_the_eu():
    facts = load_facts()
    assert facts.counts_on(LAUNCH) == (48, 27)
    assert len(facts.members_on(LAUNCH, Body.EU)) == 27


def test_54_members_at_the_second_conference_28_of_them_in_the_eu():
    facts = load_facts()
    assert facts.counts_on(WASHINGTON) == (54, 28)


def test_who_joined_and_who_left_between_the_conferences():
    facts = load_facts()
    before, after = codes(facts.members_on(LAUNCH)), codes(facts.members_on(WASHINGTON))
    assert after - before == {"AM", "BA", "CA", "CR", "IL", "XK", "MX"}
    assert before - after == {"VN"}


def test_croatia_is_a_member_before_it_joins_the_eu():
    facts = load_facts()
    assert "HR" in codes(facts.members_on(LAUNCH))
    assert "HR" not in codes(facts.members_on(date(2013, 6, 30), Body.EU))
    assert "HR" in codes(facts.members_on(date(2013, 7, 1), Body.EU))


def test_kosovo_goes_by_xk_and_nobody_before_the_launch():
    facts = load_facts()
    assert facts.country("XK").name == "Kosovo"
    assert facts.members_on(date(2012, 12, 4)) == []
    with pytest.raises(NotFound):
        facts.country("QQ")


def test_vietnam_may_report_on_2013_but_canada_not_on_2013():
    facts = load_facts()
    assert member_in_year(facts.periods, "VN", 2013)
    assert not member_in_year(facts.periods, "VN", 2015)
    assert not member_in_year(facts.periods, "CA", 2013)
    assert member_in_year(facts.periods, "CA", 2014)


def test_the_commission_hands_the_secretariat_to_the_us_in_2014():
    terms = load_facts().secretariat
    assert [(t.since, t.holder) for t in terms] == [
        (LAUNCH, "European Commission"),
        (WASHINGTON, "United States authorities"),
    ]
    assert current_term(terms).country == "US"


def test_four_targets_and_the_icse_goal():
    facts = load_facts()
    assert [t.number for t in facts.targets] == [1, 2, 3, 4]
    goal = facts.target(1).goals[0]
    assert (goal.indicator, goal.by_at_least) == ("victims_identified", 0.10)


def test_a_seed_with_a_bad_country_code_is_refused():
    with pytest.raises(FormatError):
        parse_facts({"format": 1, "targets": [], "countries": [{"code": "Narnia", "name": "N"}]})
    with pytest.raises(FormatError):
        parse_facts({"format": 2})
