"""The background writer behind audit and match events: nothing queued is lost while the store
is away, batches stay short, and a writer that falls behind says so before the queue grows
without end."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy.exc import OperationalError

from alliance.core.access import SYSTEM
from alliance.core.errors import Overloaded
from alliance.core.signals import Signal
from alliance.node import Node
from alliance.services.audit import AuditLog
from alliance.services.batching import BatchWriter
from alliance.settings import Settings
from alliance.store.audit_log import AuditStore


def store_down() -> OperationalError:
    return OperationalError("INSERT ...", {}, Exception("could not connect to server"))


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_batch_the_store_cannot_take_is_retried_until_written_and_flush_waits_for_it():
    written: list[int] = []
    outage = iter([True] * 6)  # more failures than a shutdown would allow

    def write(items, _batch_id):
        if next(outage, False):
            raise store_down()
        written.extend(items)

    writer = BatchWriter(write, "test", retry_seconds=0.01, stop_attempts=3)
    writer.start(interval=0.01)
    for n in range(10):
        writer.put(n)
    assert writer.flush(timeout=5)
    assert written == list(range(10))
    writer.stop()


def test_a_batch_that_can_never_be_written_is_dropped_and_the_next_ones_go_through():
    written: list[int] = []

    def write(items, _batch_id):
        if 3 in items:
            raise ValueError("a value the store refuses")
        written.extend(items)

    writer = BatchWriter(write, "test", max_batch=5)
    writer.start(interval=0.2)  # the five puts below land in one batch
    for n in range(5):
        writer.put(n)
    writer.flush()
    for n in range(5, 10):
        writer.put(n)
    writer.stop()
    assert written == [5, 6, 7, 8, 9]


def test_batches_stay_within_max_batch_and_a_backlog_drains_in_order():
    sizes: list[int] = []
    written: list[int] = []
    gate = threading.Event()

    def write(items, _batch_id):
        gate.wait(5)
        sizes.append(len(items))
        written.extend(items)

    writer = BatchWriter(write, "test", max_batch=10)
    writer.start(interval=0.01)
    for n in range(95):
        writer.put(n)
    gate.set()
    writer.stop()
    assert written == list(range(95)) and max(sizes) <= 10


def test_no_room_past_max_pending_then_room_again_once_written():
    gate = threading.Event()
    writer = BatchWriter(lambda items, _: gate.wait(5), "test", max_pending=20, max_batch=5)
    writer.start(interval=0.01)
    for n in range(30):
        writer.put(n)
    assert not writer.has_room() and writer.pending >= 20
    with pytest.raises(Overloaded):
        writer.ensure_room()
    gate.set()
    wait_until(writer.has_room)
    writer.ensure_room()
    writer.stop()


def test_shutdown_with_the_store_down_tries_a_few_more_times_in_all_then_gives_up():
    attempts: list[int] = []

    def write(items, _batch_id):
        attempts.append(len(items))
        raise store_down()

    writer = BatchWriter(write, "test", retry_seconds=0.05, stop_attempts=3, max_batch=5)
    writer.start(interval=0.01)
    for n in range(50):  # ten batches
        writer.put(n)
    wait_until(lambda: len(attempts) >= 2)  # retrying the first batch while running
    before = len(attempts)
    writer.stop()
    assert not writer.running
    assert len(attempts) <= before + 3  # three more tries in all, not three per batch


def test_what_is_put_or_flushed_while_stopping_is_written_and_nobody_waits_forever():
    written: list[int] = []
    entered = threading.Event()
    release = threading.Event()

    def write(items, _batch_id):
        entered.set()
        release.wait(5)
        written.extend(items)

    writer = BatchWriter(write, "test")
    writer.start(interval=0.01)
    writer.put(1)
    entered.wait(5)  # the writer is busy with the first batch
    stopping = threading.Thread(target=writer.stop)
    stopping.start()
    wait_until(lambda: writer._stopping.is_set())
    writer.put(2)  # behind the stop marker
    flushed: list[bool] = []
    flushing = threading.Thread(target=lambda: flushed.append(writer.flush(timeout=5)))
    flushing.start()
    time.sleep(0.05)
    release.set()
    stopping.join(5)
    flushing.join(5)
    assert written == [1, 2] and flushed == [True] and not writer.running


def test_a_writer_thread_that_died_leaves_put_writing_at_once():
    written: list[int] = []
    writer = BatchWriter(lambda items, _: written.extend(items), "test")

    def dies() -> None:
        raise SystemExit  # whatever kills it, requests must not queue behind a dead thread

    writer._loop = dies  # type: ignore[method-assign]
    writer.start(interval=0.01)
    wait_until(lambda: not writer.running)
    assert writer.has_room()
    writer.put(7)
    assert written == [7]


def test_a_match_is_refused_before_any_work_when_the_audit_writer_is_behind(tmp_path, monkeypatch):
    node = Node(Settings(home=tmp_path / "home", hash_jobs=1))
    node.start_background()
    searched: list[object] = []
    monkeypatch.setattr(node.matcher, "match_detailed", lambda *a, **k: searched.append(a) or ([], []))
    try:
        node.audit._deferred.max_pending = 0  # as if it were that far behind
        with pytest.raises(Overloaded):
            node.matching_for(SYSTEM).match([Signal("md5", "0" * 32)])
        assert searched == []
        node.audit._deferred.max_pending = 100
        assert node.matching_for(SYSTEM).match([Signal("md5", "0" * 32)]) == []
        assert len(searched) == 1
    finally:
        node.stop_background()
        node.close()


def test_a_batch_whose_commit_reply_was_lost_is_not_appended_twice(engine):
    """The commit went through but the connection dropped before its reply: the writer retries the
    batch, and the store recognises it by its batch id instead of appending it again."""
    store = AuditStore(engine)
    append = store.append
    lost_replies = iter([True])

    def commit_then_lose_the_reply(records, batch_id=None):
        events = append(records, batch_id)
        if next(lost_replies, False):
            raise store_down()
        return events

    store.append = commit_then_lose_the_reply  # type: ignore[method-assign]
    log = AuditLog(store)
    log._deferred._retry_seconds = 0.01
    log.start_background(interval=0.01)
    for n in range(5):
        log.record(SYSTEM, "match", f"query:{n}", defer=True)
    assert log.flush()
    log.stop()
    later = log.record(SYSTEM, "bank.create", "bank:after")  # the chain goes on from the right head
    assert [e.record.target for e in store.events()] == [f"query:{n}" for n in range(5)] + ["bank:after"]
    assert later is not None and later.seq == 6
    assert log.verify()[2] == []
