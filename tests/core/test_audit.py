import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from alliance.core.audit import (
    GENESIS,
    AuditEvent,
    AuditRecord,
    Checkpoint,
    chain_hash,
    checkpoint_problem,
    parse_checkpoint,
    sign_checkpoint,
    verify_against,
    verify_chain,
)
from alliance.core.errors import FormatError


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


KEY = bytes(range(32))
AT = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def checkpoint_at(events: list[AuditEvent], seq: int, key: bytes = KEY) -> Checkpoint:
    return sign_checkpoint(key, seq, events[seq - 1].hash, AT, "test node")


def test_a_checkpoint_survives_its_json_and_checks_only_with_its_key():
    checkpoint = checkpoint_at(chain(3), 3)
    again = parse_checkpoint(json.dumps(checkpoint.to_json()), "cp.json")
    assert again == checkpoint and checkpoint_problem(KEY, again) is None
    assert "another key" in (checkpoint_problem(bytes(32), again) or "")
    forged = replace(again, head=chain(2)[1].hash)
    assert "HMAC does not check" in (checkpoint_problem(KEY, forged) or "")


def test_a_rechained_log_passes_alone_but_not_against_an_earlier_checkpoint():
    events = chain(6)
    checkpoint = checkpoint_at(events, 4)
    assert verify_against(events, [checkpoint]) == []
    # Event 2 deleted, every later event renumbered and re-hashed: a valid chain on its own.
    rechained, prev = [], GENESIS
    for seq, event in enumerate([e for e in events if e.seq != 2], 1):
        digest = chain_hash(prev, seq, event.at, event.record)
        rechained.append(AuditEvent(seq, event.at, event.record, prev, digest))
        prev = digest
    assert verify_chain(rechained) == []
    (problem,) = verify_against(rechained, [checkpoint])
    assert "checkpoint at event 4" in problem and "re-chained" in problem


def test_events_cut_off_after_a_checkpoint_are_found():
    events = chain(6)
    assert verify_against(events[:4], [checkpoint_at(events, 4)]) == []
    (problem,) = verify_against(events[:3], [checkpoint_at(events, 4)])
    assert "no such event" in problem


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[1, 2]",
        '{"seq": 1}',
        '{"alliance_audit_checkpoint": 1, "seq": -1}',
        '{"alliance_audit_checkpoint": 1, "seq": true}',
    ],
)
def test_a_malformed_checkpoint_is_a_format_error_naming_the_file(text):
    with pytest.raises(FormatError, match=r"^cp\.json: "):
        parse_checkpoint(text, "cp.json")


def test_each_field_of_a_checkpoint_is_checked():
    good = checkpoint_at(chain(2), 2).to_json()
    for name, bad in [("head", "XYZ"), ("hmac", 7), ("key_id", None), ("node", 3), ("at", "yesterday")]:
        with pytest.raises(FormatError, match=name):
            parse_checkpoint(json.dumps({**good, name: bad}), "cp.json")
    with pytest.raises(FormatError, match="offset"):
        parse_checkpoint(json.dumps({**good, "at": "2026-01-02T03:04:05"}), "cp.json")
