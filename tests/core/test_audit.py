from dataclasses import replace
from datetime import UTC, datetime

from alliance.core.audit import GENESIS, AuditEvent, AuditRecord, chain_hash, verify_chain


def chain(n: int) -> list[AuditEvent]:
    events, prev = [], GENESIS
    for seq in range(1, n + 1):
        at = datetime(2026, 1, 1, 12, 0, seq, tzinfo=UTC)
        record = AuditRecord("user:ana", "match", "banks:all", "ok", 1, None, None, {"n": seq})
        digest = chain_hash(prev, seq, at, record)
        events.append(AuditEvent(seq, at, record, prev, digest))
        prev = digest
    return events


def test_intact_chain_verifies():
    assert verify_chain(chain(5)) == []
    assert verify_chain([]) == []


def test_edit_is_found():
    events = chain(5)
    events[2] = replace(events[2], record=replace(events[2].record, outcome="refused"))
    assert verify_chain(events) == ["event 3: its contents were changed after it was written"]


def test_deletion_and_reordering_are_found():
    events = chain(5)
    assert any("deleted or reordered" in p for p in verify_chain(events[:2] + events[3:]))
    swapped = [events[0], events[2], events[1], events[3], events[4]]
    assert any("deleted or reordered" in p for p in verify_chain(swapped))
