"""Trust work through the services: grading to consensus, review, disputes, negative banks, quarantine."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from alliance.core.access import ALL_SCOPES, SYSTEM, BankAction, OrgKind, Principal, Role, ShareRule, SharingPolicy
from alliance.core.banks import BankPurpose, EntryStatus, NewEntry
from alliance.core.errors import Conflict, InvalidRequest, NotFound, Throttled
from alliance.core.signals import Signal
from alliance.core.trust import DisputeOutcome, DisputeState, FloodRule, Grade, Queue, Verdict
from alliance.node import Node
from alliance.settings import Settings

A = Grade(True, "prepubescent", 1, True)
C = Grade(True, "pubescent", 3)
MD5 = "5" * 32


def who(org, *roles: Role, user: int = 1) -> Principal:
    return Principal(
        org.id,
        org.name,
        org.country,
        frozenset(roles),
        ALL_SCOPES,
        user_id=user,
        name=f"{org.name}-{user}",
        person=f"{org.name}-{user}",
    )


@pytest.fixture
def node(engine, tmp_path: Path) -> Node:
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(
        home=tmp_path / "home",
        database_url=url,
        hash_jobs=1,
        flood_min_matches=5,
        flood_factor=3,
        flood_window_seconds=60,
    )
    return Node(settings)


@pytest.fixture
def orgs(node: Node):
    make = node.accounts.create_organisation
    return (
        make(SYSTEM, "UK Hotline", "GB", OrgKind.HOTLINE),
        make(SYSTEM, "DE Police", "DE", OrgKind.LAW_ENFORCEMENT),
        make(SYSTEM, "US Platform", "US", OrgKind.PLATFORM),
    )


def shared_bank(node: Node, uk, de, us, **trust) -> int:
    policy = SharingPolicy(
        {
            BankAction.READ: ShareRule(orgs=frozenset({de.id})),
            BankAction.MATCH: ShareRule(orgs=frozenset({de.id, us.id})),
        }
    )
    banks = node.banks_for(who(uk, Role.ANALYST))
    banks.create_bank("known", policy=policy, trust=trust or None)
    entry = NewEntry((Signal("md5", MD5),), source="test")
    return banks.store.add_entries(
        banks.get_bank("known").id,
        [entry],
        status=EntryStatus.PROPOSED if trust.get("required_grades", 3) else EntryStatus.CONFIRMED,
    )[0][0].id


def test_three_agreeing_grades_confirm_and_the_same_grader_twice_does_not_count(node: Node, orgs):
    uk, de, us = orgs
    entry_id = shared_bank(node, uk, de, us, required_grades=3, min_orgs=2)
    first = node.trust_for(who(uk, Role.ANALYST, user=1))
    assert first.grade(entry_id, A)[1] is Verdict.PENDING
    with pytest.raises(Conflict, match="once"):
        first.grade(entry_id, A)
    assert node.trust_for(who(uk, Role.ANALYST, user=2)).grade(entry_id, A)[1] is Verdict.PENDING
    # Three grades but one organisation: the rule wants two.
    assert node.trust_for(who(uk, Role.ANALYST, user=3)).grade(entry_id, A)[1] is Verdict.PENDING
    entry, verdict = node.trust_for(who(de, Role.INVESTIGATOR, user=4)).grade(entry_id, A)
    assert verdict is Verdict.CONFIRMED and entry.status is EntryStatus.CONFIRMED and entry.grade == A.to_json()
    history = node.trust_for(who(uk, Role.ANALYST)).history(entry_id)
    assert [(t.from_status, t.to_status) for t in history] == [("proposed", "confirmed")]
    assert history[0].details["organisations"] == 2


def test_disagreement_goes_to_review_and_a_curator_settles_it(node: Node, orgs):
    uk, de, us = orgs
    entry_id = shared_bank(node, uk, de, us, required_grades=2)
    node.trust_for(who(uk, Role.ANALYST, user=1)).grade(entry_id, A)
    entry, verdict = node.trust_for(who(de, Role.INVESTIGATOR, user=2)).grade(entry_id, C)
    assert verdict is Verdict.REVIEW and entry.needs_review and entry.status is EntryStatus.PROPOSED
    curator = node.trust_for(who(uk, Role.ORG_ADMIN, user=9))
    assert [e.id for e in curator.queue(Queue.REVIEW)] == [entry_id]
    with pytest.raises(NotFound):
        node.trust_for(who(de, Role.INVESTIGATOR, user=2)).resolve_review(entry_id, A, "mine")
    settled = curator.resolve_review(entry_id, C, "second look")
    assert settled.status is EntryStatus.CONFIRMED and settled.grade == C.to_json()


def test_blind_grading_hides_earlier_grades_until_you_grade(node: Node, orgs):
    uk, de, us = orgs
    entry_id = shared_bank(node, uk, de, us, required_grades=3)
    node.trust_for(who(uk, Role.ANALYST, user=1)).grade(entry_id, A)
    second = node.trust_for(who(de, Role.INVESTIGATOR, user=2))
    with pytest.raises(NotFound, match="blind"):
        second.grades(entry_id)
    assert [e.id for e in second.queue(Queue.GRADING)] == [entry_id]
    second.grade(entry_id, A)
    assert len(second.grades(entry_id)) == 2
    assert second.queue(Queue.GRADING) == []


def test_bad_grading_input_changes_nothing(node: Node, orgs):
    uk, de, us = orgs
    entry_id = shared_bank(node, uk, de, us, required_grades=3)
    analyst = node.trust_for(who(uk, Role.ANALYST))
    with pytest.raises(NotFound):
        analyst.grade(424242, A)
    with pytest.raises(NotFound):  # platforms do not grade, and may not read the entry
        node.trust_for(who(us, Role.PLATFORM)).grade(entry_id, A)
    with pytest.raises(InvalidRequest):
        Grade.from_json({"illegal": True, "age_band": "prepubescent", "severity": 9})
    assert node.trust_store.votes(entry_id) == []


def match_as(node: Node, principal: Principal):
    return node.matching_for(principal).match([Signal("md5", MD5)])


def test_platforms_match_confirmed_only_investigators_more(node: Node, orgs):
    uk, de, us = orgs
    entry_id = shared_bank(node, uk, de, us, required_grades=1, match_proposed=True)
    assert match_as(node, who(us, Role.PLATFORM)) == []
    assert [m.entry_id for m in match_as(node, who(de, Role.INVESTIGATOR))] == [entry_id]  # proposed, allowed
    node.trust_for(who(uk, Role.ANALYST)).grade(entry_id, A)
    matches = match_as(node, who(us, Role.PLATFORM))
    assert [m.entry_id for m in matches] == [entry_id] and matches[0].match_id
    assert matches[0].category is None  # the platform may match, not read
    [by_police] = match_as(node, who(de, Role.INVESTIGATOR))
    assert by_police.category == {"scheme": "illegal_in_de", "category": "illegal"}
    [by_hotline] = match_as(node, who(uk, Role.ANALYST))
    assert by_hotline.category == {"scheme": "uk_abc", "category": "A"}


def test_disputes_past_the_threshold_stop_platform_matches_and_are_resolved(node: Node, orgs):
    uk, de, us = orgs
    entry_id = shared_bank(node, uk, de, us, required_grades=0, dispute_threshold=2)
    platform, police = who(us, Role.PLATFORM), who(de, Role.INVESTIGATOR)
    [first] = match_as(node, platform)
    [second] = match_as(node, police)
    with pytest.raises(NotFound):  # another organisation's match
        node.trust_for(platform).dispute(second.match_id, "not ours")
    with pytest.raises(NotFound):  # a match that never happened
        node.trust_for(platform).dispute("0" * 32, "never matched")
    receipt = node.trust_for(platform).dispute(first.match_id, "a meme")
    assert (receipt.match_id, receipt.entry_id, receipt.state) == (first.match_id, entry_id, DisputeState.OPEN)
    with pytest.raises(Conflict):
        node.trust_for(platform).dispute(first.match_id, "again")
    assert node.trust_for(police).dispute(second.match_id, "wrong").state is DisputeState.UPHELD
    assert node.store.get_entry(entry_id).status is EntryStatus.DISPUTED
    assert match_as(node, platform) == []  # disputed: platforms no longer match it
    assert len(match_as(node, police)) == 1  # police still see it
    curator = node.trust_for(who(uk, Role.ANALYST))
    assert [e.id for e in curator.queue(Queue.DISPUTES)] == [entry_id]
    [(queued, reasons)] = curator.disputes_queue()
    assert queued.id == entry_id
    assert [(d.organisation, d.reason) for d in reasons] == [("US Platform", "a meme"), ("DE Police", "wrong")]
    assert node.trust_for(who(de, Role.INVESTIGATOR)).disputes_queue() == []  # not a curator of the bank
    [(_, mine)] = node.trust_for(platform).my_disputes()
    assert mine.state is DisputeState.UPHELD and mine.resolved_at is None
    resolved = curator.resolve_dispute(entry_id, DisputeOutcome.ENTRY_STANDS, "checked: it is the material")
    assert resolved.status is EntryStatus.CONFIRMED and len(match_as(node, platform)) == 1
    [(_, mine)] = node.trust_for(platform).my_disputes()
    assert mine.state is DisputeState.ENTRY_STANDS and mine.resolved_at is not None
    assert [r.match_id for _, r in node.trust_for(police).my_disputes()] == [second.match_id]  # its own only


def test_a_negative_bank_suppresses_its_owners_matches_and_names_itself(node: Node, orgs):
    uk, de, us = orgs
    known_id = shared_bank(node, uk, de, us, required_grades=0)
    curator = node.banks_for(who(uk, Role.ANALYST))
    curator.create_bank("memes", purpose=BankPurpose.NEGATIVE, trust={"required_grades": 0})
    assert len(match_as(node, who(us, Role.PLATFORM))) == 1
    [negative], _ = curator.store.add_entries(curator.get_bank("memes").id, [NewEntry((Signal("md5", MD5),))])
    node.matcher.index.refresh()
    assert match_as(node, who(us, Role.PLATFORM)) == []
    node.audit.flush()
    last = node.audit.store.events()[-1]
    memes = curator.get_bank("memes").id
    assert last.record.details["suppressed_by_negative_banks"] == [["known", known_id, memes, negative.id]]
    events = node.trust_store.flood_history([known_id], datetime(2000, 1, 1, tzinfo=UTC), datetime.now(UTC))
    assert len(events) == 1  # only the match made before the negative entry counts towards a flood...
    suppressed = [e for e in _match_events(node) if e.suppressed_by_entry_id is not None]
    assert [(e.entry_id, e.suppressed_by_bank_id, e.suppressed_by_entry_id) for e in suppressed] == [
        (known_id, memes, negative.id)
    ]  # ...the suppressed one is recorded, naming what suppressed it


def test_a_negative_bank_cannot_silence_another_organisations_bank(node: Node, orgs):
    """The attack: an organisation makes a negative bank of another's known hashes to switch them off."""
    uk, de, us = orgs
    shared_bank(node, uk, de, us, required_grades=0)
    police = node.banks_for(who(de, Role.ANALYST))
    police.create_bank("de-false-positives", purpose=BankPurpose.NEGATIVE, trust={"required_grades": 0})
    police.store.add_entries(police.get_bank("de-false-positives").id, [NewEntry((Signal("md5", MD5),))])
    node.matcher.index.refresh()
    assert len(match_as(node, who(us, Role.PLATFORM))) == 1  # UK's bank still matches for everyone


def test_only_confirmed_entries_of_a_negative_bank_suppress(node: Node, orgs):
    """Creating a false positive is curated: an entry graded like any other before it silences matches."""
    uk, de, us = orgs
    shared_bank(node, uk, de, us, required_grades=0)
    curator = node.banks_for(who(uk, Role.ANALYST))
    curator.create_bank("memes", purpose=BankPurpose.NEGATIVE, trust={"required_grades": 2})
    [proposed], _ = curator.store.add_entries(
        curator.get_bank("memes").id, [NewEntry((Signal("md5", MD5),))], status=EntryStatus.PROPOSED
    )
    node.matcher.index.refresh()
    assert len(match_as(node, who(us, Role.PLATFORM))) == 1
    not_illegal = Grade(False, "none")
    node.trust_for(who(uk, Role.ANALYST, user=1)).grade(proposed.id, not_illegal)
    node.trust_for(who(uk, Role.ANALYST, user=2)).grade(proposed.id, not_illegal)
    assert match_as(node, who(us, Role.PLATFORM)) == []


def _match_events(node: Node):
    from sqlalchemy import select

    from alliance.store.trust_models import MatchEventRow

    with node.trust_store._sessions() as session:
        return [node.trust_store.match_event(i) for i in session.scalars(select(MatchEventRow.id))]


def flooded_entry(node: Node, orgs):
    uk, de, us = orgs
    shared_bank(node, uk, de, us, required_grades=0)
    pdq = Signal("pdq", "ab" * 32, 90)
    banks = node.banks_for(who(uk, Role.ANALYST))
    [entry] = banks.store.add_entries(banks.get_bank("known").id, [NewEntry((pdq,))])[0]
    node.matcher.index.refresh()
    flipped = [Signal("pdq", format(int(pdq.value, 16) ^ (1 << bit), "064x"), 90) for bit in range(60)]
    return entry, pdq, flipped


def test_a_burst_from_two_organisations_quarantines_for_platforms(node: Node, orgs):
    uk, de, us = orgs
    entry, pdq, flipped = flooded_entry(node, orgs)
    platform = node.matching_for(who(us, Role.PLATFORM))
    police = node.matching_for(who(de, Role.INVESTIGATOR))
    for query in flipped[:3]:  # each organisation counts for at most 5 // 2 + 1 = 3 distinct queries
        assert platform.match([query])
    assert node.store.get_entry(entry.id).status is EntryStatus.CONFIRMED
    for query in flipped[3:6]:
        police.match([query])
    assert node.store.get_entry(entry.id).status is EntryStatus.QUARANTINED
    assert platform.match([pdq]) == []
    assert police.match([pdq])  # police still see it
    [quarantine] = node.trust_store.transitions(entry.id)
    assert quarantine.details["organisations"] == 2 and quarantine.details["distinct_queries"] == 6
    node.trust_for(who(uk, Role.ANALYST)).lift_quarantine(entry.id, "reviewed: a popular share, correct")
    assert platform.match([pdq])
    assert isinstance(node.settings.flood_rule, FloodRule)


def test_one_caller_flooding_alone_is_reported_and_throttled_not_obeyed(node: Node, orgs):
    """The attack: one platform sends many one-bit-flipped copies of a known hash to quarantine it."""
    uk, de, us = orgs
    entry, pdq, flipped = flooded_entry(node, orgs)
    platform = node.matching_for(who(us, Role.PLATFORM))
    refused = 0
    for query in flipped:
        try:
            platform.match([query])
        except Throttled as exc:
            refused += 1
            assert exc.retry_after > 0
    assert node.store.get_entry(entry.id).status is EntryStatus.CONFIRMED  # still matching for everyone
    assert refused > 0  # the flood was slowed
    node.audit.flush()
    [report] = [e for e in node.audit.store.events() if e.record.action == "match.flood"]
    assert report.record.subject_org_id == uk.id  # the bank's owner is told
    assert report.record.details["organisation"] == us.id
    police = node.matching_for(who(de, Role.INVESTIGATOR))
    assert police.match([pdq])  # another organisation is not throttled


def test_flood_counts_are_shared_by_replicas(node: Node, orgs, engine, tmp_path: Path):
    """Two nodes on one store (two replicas): matches made on either count towards one flood."""
    _, de, us = orgs
    entry, _, flipped = flooded_entry(node, orgs)
    other = Node(node.settings)
    node.matching_for(who(us, Role.PLATFORM)).match(flipped[0:3])
    other.matching_for(who(de, Role.INVESTIGATOR)).match(flipped[3:6])
    assert node.store.get_entry(entry.id).status is EntryStatus.QUARANTINED
    # decided once: the verdict is one row, whichever replica checks again
    assert node.match_trust.floods.check() == [] and other.match_trust.floods.check() == []
    assert len(node.trust_store.transitions(entry.id)) == 1
    other.close()
