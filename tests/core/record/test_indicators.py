"""Indicator maths: change on the year before, and whether an operational goal was met."""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from alliance.core.errors import InvalidRequest, NotFound
from alliance.core.record.indicators import (
    IndicatorValue,
    Origin,
    check_value,
    enterable,
    goal_line,
    goal_met,
    relative_change,
    trends,
)
from alliance.core.record.members import Direction, Goal

ICSE = Goal("1.1", 1, "victims +10% a year", "victims_identified", Direction.INCREASE, 0.10)
FASTER = Goal("4.1", 4, "faster takedown", "takedown_median_days", Direction.DECREASE, 0.0)


def value(year: int, v: float, name: str = "victims_identified", country: str = "GB") -> IndicatorValue:
    return IndicatorValue(country, year, name, v, Origin.ENTERED, "INTERPOL")


def test_ten_percent_more_victims_identified_meets_the_goal():
    assert goal_met(ICSE, relative_change(100, 110)) is True
    assert goal_met(ICSE, relative_change(100, 109)) is False


def test_a_shorter_takedown_time_meets_the_speed_goal_and_no_change_does_not():
    assert goal_met(FASTER, relative_change(4.0, 2.5)) is True
    assert goal_met(FASTER, relative_change(4.0, 4.0)) is False


def test_no_previous_year_or_zero_means_no_verdict():
    assert relative_change(None, 5) is None
    assert relative_change(0, 5) is None
    assert goal_met(ICSE, None) is None


def test_trends_pair_each_year_with_the_one_before_per_country():
    found = trends([value(2013, 110), value(2012, 100), value(2013, 50, country="DE")], {"victims_identified": ICSE})
    by = {(t.value.country, t.value.year): t for t in found}
    assert by[("GB", 2013)].previous == 100
    assert by[("GB", 2013)].change == pytest.approx(0.10)
    assert by[("GB", 2013)].goal_met is True
    assert by[("GB", 2012)].goal_met is None
    assert by[("DE", 2013)].previous is None


def test_goal_line_is_what_this_year_must_reach():
    assert goal_line(ICSE, 200) == pytest.approx(220)
    assert goal_line(FASTER, 4) == 4


def test_computed_indicators_cannot_be_entered_and_unknown_ones_do_not_exist():
    with pytest.raises(InvalidRequest):
        enterable("entries_added")
    with pytest.raises(NotFound):
        enterable("happiness")
    assert enterable("victims_identified").unit == "victims"


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_values_must_be_finite_and_not_negative(bad: float):
    with pytest.raises(InvalidRequest):
        check_value("victims_identified", bad)


@given(st.floats(1, 1e9), st.floats(0, 1e9))
def test_the_goal_is_met_exactly_when_the_value_reaches_the_goal_line(previous: float, current: float):
    line = goal_line(ICSE, previous)
    assume(abs(current - line) > 1e-6 * previous)  # rounding at the line itself decides nothing here
    assert goal_met(ICSE, relative_change(previous, current)) is (current > line)
