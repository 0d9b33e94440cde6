"""Grades, consensus, lifecycle, category schemes (as data), disputes and the flood rule."""

import json
from pathlib import Path

import pytest

from alliance.core.banks import EntryStatus
from alliance.core.errors import InvalidRequest
from alliance.core.trust import (
    CallerCount,
    ConsensusRule,
    FloodRule,
    Grade,
    Verdict,
    Vote,
    check_transition,
    consensus,
    dispute_upheld,
    judge_flood,
    load_schemes,
)

A = Grade(illegal=True, age_band="prepubescent", severity=1, baseline=True)
C = Grade(illegal=True, age_band="pubescent", severity=3)
MEME = Grade(illegal=False, age_band="none")


def test_grades_validate():
    assert Grade.from_json({"illegal": True, "age_band": "infant", "severity": 2}) == Grade(True, "infant", 2)
    for bad, words in [
        ({"illegal": "yes", "age_band": "none"}, "illegal"),
        ({"illegal": True, "age_band": "teen", "severity": 1}, "age_band"),
        ({"illegal": True, "age_band": "infant"}, "severity"),
        ({"illegal": True, "age_band": "adult", "severity": 1}, "shows a child"),
        ({"illegal": False, "age_band": "none", "severity": 2}, "no severity"),
        ({"illegal": False, "age_band": "none", "colour": "red"}, "unknown field"),
        ({"illegal": True, "age_band": "infant", "severity": True}, "severity"),
    ]:
        with pytest.raises(InvalidRequest, match=words):
            Grade.from_json(bad)


def test_consensus_needs_n_agreeing_grades_from_m_organisations():
    rule = ConsensusRule(required=3, min_orgs=2)
    assert consensus([Vote("a", 1, A), Vote("b", 1, A)], rule) == (Verdict.PENDING, None)
    assert consensus([Vote("a", 1, A), Vote("b", 1, A), Vote("c", 1, A)], rule) == (Verdict.PENDING, None)
    assert consensus([Vote("a", 1, A), Vote("b", 1, A), Vote("c", 2, A)], rule) == (Verdict.CONFIRMED, A)
    assert consensus([Vote("a", 1, A), Vote("b", 2, C)], rule) == (Verdict.REVIEW, None)
    assert consensus([], ConsensusRule(required=0)) == (Verdict.CONFIRMED, None)
    with pytest.raises(InvalidRequest):
        ConsensusRule(required=2, min_orgs=3)


def test_lifecycle_transitions():
    check_transition(EntryStatus.PROPOSED, EntryStatus.CONFIRMED)
    check_transition(EntryStatus.CONFIRMED, EntryStatus.QUARANTINED)
    check_transition(EntryStatus.DISPUTED, EntryStatus.CONFIRMED)
    for current, new in [
        (EntryStatus.RETIRED, EntryStatus.CONFIRMED),
        (EntryStatus.PROPOSED, EntryStatus.DISPUTED),
        (EntryStatus.QUARANTINED, EntryStatus.DISPUTED),
    ]:
        with pytest.raises(InvalidRequest, match="cannot become"):
            check_transition(current, new)


def test_shipped_schemes_map_grades_per_jurisdiction():
    book = load_schemes()
    assert book.category(A, "GB") == {"scheme": "uk_abc", "category": "A"}
    assert book.category(C, "GB") == {"scheme": "uk_abc", "category": "C"}
    assert book.category(A, "US") == {"scheme": "project_vic", "category": "1"}
    assert book.category(MEME, "US") == {"scheme": "project_vic", "category": "0"}
    assert book.category(A, "JP") == {"scheme": "interpol_baseline", "category": "baseline"}
    assert book.category(C, "JP") == {"scheme": "interpol_baseline", "category": "not baseline"}
    assert book.category(C, "DE") == {"scheme": "illegal_in_de", "category": "illegal"}
    assert book.category(None, "GB") is None


def test_adding_a_country_scheme_is_data_not_code(tmp_path: Path):
    shipped = json.loads((Path(__file__).parents[2] / "src/alliance/trust_data/schemes.json").read_text())
    shipped["schemes"].append(
        {
            "name": "nz_objectionable",
            "title": "New Zealand",
            "jurisdictions": ["NZ"],
            "rules": [{"when": {"illegal": True}, "category": "objectionable"}],
            "default": "not objectionable",
        }
    )
    path = tmp_path / "schemes.json"
    path.write_text(json.dumps(shipped))
    book = load_schemes(path)
    assert book.category(C, "NZ") == {"scheme": "nz_objectionable", "category": "objectionable"}
    assert book.category(MEME, "NZ") == {"scheme": "nz_objectionable", "category": "not objectionable"}
    path.write_text('{"schemes": []}')
    with pytest.raises(InvalidRequest, match="malformed"):
        load_schemes(path)


def test_disputes_past_the_threshold_of_organisations():
    assert not dispute_upheld([1, 1, 1], threshold=2)
    assert dispute_upheld([1, 2], threshold=2)


def test_a_burst_from_several_organisations_trips_the_flood_rule_and_normal_traffic_does_not():
    rule = FloodRule(window_seconds=60, min_matches=20, factor=5, history=4, min_orgs=2)
    steady = [10, 10, 10, 10]  # a steady 10 distinct queries a minute: normal
    assert judge_flood(1, [CallerCount(1, 6), CallerCount(2, 5)], steady, rule) == []
    [decision] = judge_flood(1, [CallerCount(1, 30), CallerCount(2, 30)], steady, rule)
    assert decision.single_caller is None  # a quarantine
    assert (decision.expected, decision.limit, decision.organisations) == (10.0, 50.0, 2)
    assert decision.distinct_queries == 52  # each organisation counts for at most 50 // 2 + 1


def test_one_organisation_alone_cannot_quarantine_however_many_queries_it_sends():
    rule = FloodRule(window_seconds=60, min_matches=50, factor=10, min_orgs=2)
    decisions = judge_flood(7, [CallerCount(3, 10_000, keys=4)], [], rule)
    assert [(d.single_caller, d.distinct_queries) for d in decisions] == [(3, 10_000)]  # reported, not quarantined
    # nor with a token match from a second organisation: its own share is capped
    decisions = judge_flood(7, [CallerCount(3, 10_000), CallerCount(4, 1)], [], rule)
    assert [d.single_caller for d in decisions] == [3]


def test_a_new_entry_needs_the_minimum_before_quarantine():
    rule = FloodRule(window_seconds=60, min_matches=30, factor=10, min_orgs=1)
    assert judge_flood(5, [CallerCount(1, 30)], [], rule) == []
    [quarantine, single] = judge_flood(5, [CallerCount(1, 31)], [], rule)
    assert quarantine.single_caller is None and single.single_caller == 1  # min_orgs 1: the old rule


def test_flood_windows_are_aligned_so_that_replicas_count_the_same_ones():
    rule = FloodRule(window_seconds=600)
    assert rule.window_start(1_000_000_123.5) == 999_999_600.0
