"""The background writer behind audit and match events: nothing queued is lost, batches stay
short, and a writer that falls behind says so before the queue grows without end."""

from __future__ import annotations

import threading
import time

import pytest

from alliance.core.access import SYSTEM
from alliance.core.errors import Overloaded
from alliance.core.signals import Signal
from alliance.node import Node
from alliance.services.batching import BatchWriter
from alliance.settings import Settings


def wait_until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_a_batch_the_store_refuses_is_retried_until_written():
    written: list[int] = []
    failures = iter([True, True])  # the store is down for two attempts

    def write(items):
        if next(failures, False):
            raise RuntimeError("store unreachable")
        written.extend(items)

    writer = BatchWriter(write, "test", retry_seconds=0.01)
    writer.start(interval=0.01)
    for n in range(10):
        writer.put(n)
    writer.flush()
    assert written == list(range(10))
    writer.stop()


def test_batches_stay_within_max_batch_and_a_backlog_drains_in_order():
    sizes: list[int] = []
    written: list[int] = []
    gate = threading.Event()

    def write(items):
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


def test_has_room_until_max_pending_then_again_once_written():
    gate = threading.Event()
    writer = BatchWriter(lambda items: gate.wait(5), "test", max_pending=20, max_batch=5)
    writer.start(interval=0.01)
    for n in range(30):
        writer.put(n)
    assert not writer.has_room() and writer.pending >= 20
    gate.set()
    wait_until(writer.has_room)
    writer.stop()


def test_shutdown_with_the_store_down_gives_up_after_a_few_attempts():
    attempts: list[int] = []

    def write(items):
        attempts.append(len(items))
        raise RuntimeError("store unreachable")

    writer = BatchWriter(write, "test", retry_seconds=0.05, stop_attempts=3, max_batch=5)
    writer.start(interval=0.01)
    for n in range(50):  # ten batches
        writer.put(n)
    wait_until(lambda: len(attempts) >= 2)  # retrying while running
    started = time.monotonic()
    writer.stop()
    assert not writer.running and time.monotonic() - started < 2  # three more tries in all, not per batch


def test_a_match_is_refused_before_any_work_when_the_audit_writer_is_behind(tmp_path):
    node = Node(Settings(home=tmp_path / "home", hash_jobs=1))
    node.start_background()
    try:
        node.audit._deferred.max_pending = 0  # as if it were that far behind
        with pytest.raises(Overloaded, match="audit log"):
            node.matching_for(SYSTEM).match([Signal("md5", "0" * 32)])
        node.audit._deferred.max_pending = 100
        assert node.matching_for(SYSTEM).match([Signal("md5", "0" * 32)]) == []
    finally:
        node.stop_background()
        node.close()
