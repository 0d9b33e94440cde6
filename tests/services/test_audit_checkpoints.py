"""Audit checkpoints against a real store: what a database administrator can hide from `verify`
alone, and cannot hide from a checkpoint signed with a key kept outside the database."""

from __future__ import annotations

import json
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from alliance.core.audit import GENESIS, AuditEvent, chain_hash
from alliance.core.errors import InvalidRequest
from alliance.services.audit import AuditLog
from alliance.services.checkpoints import (
    checkpoint_every,
    load_key,
    read_checkpoints,
    verify_against,
    write_checkpoint,
)
from alliance.store.audit_log import AuditStore
from tests.store.test_audit_log import record


@pytest.fixture
def key(tmp_path: Path) -> bytes:
    return load_key(tmp_path / "keys" / "audit.key", create=True)


def logged(engine: Engine, n: int) -> AuditLog:
    audit = AuditLog(AuditStore(engine))
    audit.store.append([record(i) for i in range(n)])
    return audit


def rechain_without(engine: Engine, seq: int) -> None:
    """What an administrator can do: delete an event, then renumber and re-hash every later one."""
    events: list[AuditEvent] = AuditStore(engine).events()
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq = :seq"), {"seq": seq})
        prev = events[seq - 2].hash if seq > 1 else GENESIS
        for event in events[seq:]:
            new_seq = event.seq - 1
            digest = chain_hash(prev, new_seq, event.at, event.record)
            connection.execute(
                text("UPDATE audit_events SET seq = :new, prev_hash = :prev, hash = :hash WHERE seq = :old"),
                {"new": new_seq, "prev": prev, "hash": digest, "old": event.seq},
            )
            prev = digest


def test_a_deleted_and_rechained_event_passes_verify_but_not_an_earlier_checkpoint(engine: Engine, key, tmp_path):
    audit = logged(engine, 6)
    path = write_checkpoint(audit.checkpoint(key, "test"), tmp_path / "cp.json")
    files = read_checkpoints(path)
    assert verify_against(audit, key, files)[2] == []
    rechain_without(engine, 3)
    assert audit.verify()[2] == []  # the chain alone looks intact
    count, _, problems = verify_against(audit, key, files)
    assert count == 5 and len(problems) == 1 and "checkpoint at event 6" in problems[0]


def test_an_edited_event_before_a_checkpoint_fails(engine: Engine, key, tmp_path):
    audit = logged(engine, 4)
    files = read_checkpoints(write_checkpoint(audit.checkpoint(key, "test"), tmp_path / "cp.json"))
    with engine.begin() as connection:
        connection.execute(text("UPDATE audit_events SET outcome = 'refused' WHERE seq = 2"))
    problems = verify_against(audit, key, files)[2]
    assert problems == ["event 2: its contents were changed after it was written"]


def test_events_cut_off_after_a_checkpoint_are_found(engine: Engine, key, tmp_path):
    audit = logged(engine, 5)
    files = read_checkpoints(write_checkpoint(audit.checkpoint(key, "test"), tmp_path / "cp.json"))
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_events WHERE seq >= 4"))
    assert audit.verify()[2] == []
    (problem,) = verify_against(audit, key, files)[2]
    assert "checkpoint at event 5" in problem and "no such event" in problem


def test_a_checkpoint_made_with_another_key_or_edited_is_refused(engine: Engine, key, tmp_path):
    audit = logged(engine, 3)
    write_checkpoint(audit.checkpoint(os.urandom(32), "elsewhere"), tmp_path / "other.json")
    edited = write_checkpoint(audit.checkpoint(key, "test"), tmp_path / "edited.json")
    data = json.loads(edited.read_text())
    edited.write_text(json.dumps({**data, "seq": 2, "head": audit.store.events()[1].hash}))
    problems = verify_against(audit, key, read_checkpoints(tmp_path))[2]
    assert any("edited.json" in p and "HMAC does not check" in p for p in problems)
    assert any("other.json" in p and "another key" in p for p in problems)


def test_a_directory_keeps_one_file_per_sequence_and_never_replaces_another_head(engine: Engine, key, tmp_path):
    audit = logged(engine, 3)
    first = write_checkpoint(audit.checkpoint(key, "test"), tmp_path)
    assert first.name == "000000000003.json"
    assert write_checkpoint(audit.checkpoint(key, "test"), tmp_path) == first  # same head: kept as it was
    rechain_without(engine, 1)
    audit.store.append([record(9)])  # back at event 3, with another head
    beside = write_checkpoint(audit.checkpoint(key, "test"), tmp_path)
    assert beside != first and beside.name.startswith("000000000003-")
    problems = verify_against(audit, key, read_checkpoints(tmp_path))[2]
    assert len(problems) == 1 and "checkpoint at event 3" in problems[0]


def test_the_key_is_made_once_with_mode_0600(tmp_path: Path):
    path = tmp_path / "home" / "audit.key"
    key = load_key(path, create=True)
    assert len(key) == 32 and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path, create=True) == key == load_key(path, create=False)


def test_a_key_others_may_read_a_short_key_and_a_missing_key_are_refused(tmp_path: Path):
    path = tmp_path / "audit.key"
    with pytest.raises(InvalidRequest, match="no audit key"):
        load_key(path, create=False)
    load_key(path, create=True)
    path.chmod(0o644)
    with pytest.raises(InvalidRequest, match=r"group or others \(mode 0644\); run chmod 600"):
        load_key(path, create=True)
    path.write_bytes(b"short")
    path.chmod(0o600)
    with pytest.raises(InvalidRequest, match="holds 5 bytes"):
        load_key(path, create=False)


def test_concurrent_first_use_gives_every_caller_the_same_key(tmp_path: Path):
    path = tmp_path / "audit.key"
    keys: list[bytes] = []
    threads = [threading.Thread(target=lambda: keys.append(load_key(path, create=True))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(keys)) == 1 and len(keys) == 8


def test_the_schedule_writes_checkpoints_until_stopped(engine: Engine, key, tmp_path):
    audit = logged(engine, 2)
    out = tmp_path / "checkpoints"
    stop = checkpoint_every(0.05, audit, key, "test", out)
    try:
        assert _wait_for(lambda: (out / "000000000002.json").exists())
        audit.store.append([record(3)])
        assert _wait_for(lambda: (out / "000000000003.json").exists())
    finally:
        stop.set()
    files = read_checkpoints(out)
    assert [c.seq for _, c in files] == [2, 3]
    assert verify_against(audit, key, files)[2] == []


def _wait_for(condition: Callable[[], bool], seconds: float = 1.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
