"""A background writer that turns many small appends into few transactions.

A server records an audit event and a match event for every match request; one transaction each
would make the store the bottleneck. Items are queued and written in batches every `interval`
seconds, at most `max_batch` per transaction. Without a running writer, `put` writes at once, so
the CLI and tests need no thread.

A batch the store cannot take for now (down, locked, unreachable: `store.db.TRANSIENT_ERRORS`) is
retried until it is written, under the same batch id: a store whose commit went through but whose
reply was lost (the connection dropped) sees that id again and does not write the batch twice.
Only on shutdown does the writer give up, after `stop_attempts`
more tries in all, and say how many items it could not write. A batch that can never be written
(any other error) is logged and dropped, so that it does not hold up the ones behind it. The
queue is bounded by what callers check before they work: past `max_pending` items,
`ensure_room` raises `Overloaded` (503) rather than let a request go unrecorded or the queue grow
without end.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from alliance.core.errors import Overloaded
from alliance.store.db import TRANSIENT_ERRORS

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_PENDING = 100_000
"""Items queued before callers are turned away: a few seconds of a saturated server's events."""

MAX_BATCH = 5_000
"""Items per transaction, so that one write is short and frees room early."""

_STOP = object()
"""Queued by `stop`: write what came before, then end."""


def new_batch_id() -> str:
    return uuid.uuid4().hex


class BatchWriter(Generic[T]):
    """`write(items, batch_id)` writes one batch; a retry of the batch passes the same id."""

    def __init__(
        self,
        write: Callable[[Sequence[T], str], object],
        name: str,
        *,
        max_pending: int = MAX_PENDING,
        max_batch: int = MAX_BATCH,
        retry_seconds: float = 1.0,
        stop_attempts: int = 3,
    ) -> None:
        self._write = write
        self._name = name
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()  # items, flush events and _STOP
        self._thread: threading.Thread | None = None
        self._interval = 0.2
        self.max_pending, self.max_batch = max_pending, max_batch
        self._retry_seconds, self._stop_attempts = retry_seconds, stop_attempts
        self._stopping = threading.Event()
        self._stop_budget = stop_attempts  # tries left for all batches once stopping
        self._gave_up = False  # set when shutdown left items unwritten

    @property
    def running(self) -> bool:
        """A writer thread is alive (one that died leaves `put` writing at once, as without one)."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def pending(self) -> int:
        """Items queued and not yet written (approximately: the writer may be taking some now)."""
        return self._queue.qsize()

    def has_room(self) -> bool:
        return not self.running or self._queue.qsize() < self.max_pending

    def ensure_room(self) -> None:
        """Raise `Overloaded` when the writer is too far behind to take another item."""
        if not self.has_room():
            log.warning("%s: %d items waiting to be written; refusing requests", self._name, self.pending)
            raise Overloaded("the node is overloaded; try again in a second")

    def put(self, item: T) -> None:
        if self.running:
            self._queue.put(item)
        else:
            self._write([item], new_batch_id())

    def start(self, interval: float = 0.2) -> None:
        if self._thread is None:
            self._interval = interval
            self._stopping.clear()
            self._stop_budget = self._stop_attempts
            self._gave_up = False
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Write what is queued and stop (on server shutdown)."""
        if self._thread is None:
            return
        self._stopping.set()
        self._queue.put(_STOP)
        self._thread.join(timeout)
        stuck = self._thread.is_alive()
        self._thread = None  # from now on `put` writes at once
        if stuck:
            log.error("%s: still writing after %.0f s; leaving it behind", self._name, timeout)
        else:
            self._write_leftovers()

    def flush(self, timeout: float = 60.0) -> bool:
        """Write everything queued so far before returning (retrying through a short outage);
        False if that took longer than `timeout` or the writer gave up on shutdown."""
        if not self.running:
            return not self._gave_up
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout) and not self._gave_up

    def _write_leftovers(self) -> None:
        """After the writer ended: what was put while it stopped (behind its stop marker)."""
        items, waiters = self._drain()
        if items and not self._gave_up:
            try:
                self._write(items, new_batch_id())
            except Exception:
                log.exception("%s: %d items put while stopping could not be written", self._name, len(items))
        elif items:
            log.error("%s: %d items put while stopping were not written", self._name, len(items))
        for waiter in waiters:
            waiter.set()

    def _drain(self) -> tuple[list[T], list[threading.Event]]:
        """Everything still queued: the items, and the flush waiters to release once they are done."""
        items: list[T] = []
        waiters: list[threading.Event] = []
        while True:
            try:
                entry = self._queue.get_nowait()
            except queue.Empty:
                return items, waiters
            if isinstance(entry, threading.Event):
                waiters.append(entry)
            elif entry is not _STOP:
                items.append(entry)

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException:  # never expected; `put` then writes at once instead of queueing
            log.exception("%s: the writer thread died; writing at once from now on", self._name)

    def _loop(self) -> None:
        backlog = False
        while True:
            entry = self._queue.get()  # wait for the first
            if not backlog and entry is not _STOP and not isinstance(entry, threading.Event):
                time.sleep(self._interval)  # let a batch gather
            items: list[T] = []
            while entry is not _STOP and not isinstance(entry, threading.Event):
                items.append(entry)
                if len(items) >= self.max_batch:
                    entry = None
                    break
                try:
                    entry = self._queue.get_nowait()
                except queue.Empty:
                    entry = None
                    break
            if items and not self._write_until_done(items):
                if isinstance(entry, threading.Event):
                    entry.set()
                self._give_up(len(items))
                return
            backlog = len(items) >= self.max_batch
            if isinstance(entry, threading.Event):
                entry.set()
            elif entry is _STOP:
                return

    def _write_until_done(self, items: list[T]) -> bool:
        """Write `items`, retrying while the store cannot take them; False once stopping has used
        up its tries."""
        attempt, batch_id = 0, new_batch_id()
        while True:
            attempt += 1
            try:
                self._write(items, batch_id)
            except TRANSIENT_ERRORS:
                if self._stopping.is_set():
                    self._stop_budget -= 1
                    if self._stop_budget <= 0:
                        return False
                log.warning("%s: could not write %d items; retrying", self._name, len(items), exc_info=True)
                time.sleep(self._retry_seconds)
                continue
            except Exception:
                log.exception("%s: %d items can never be written; dropped", self._name, len(items))
                return True
            if attempt > 1:
                log.warning("%s: wrote %d items after %d attempts", self._name, len(items), attempt)
            return True

    def _give_up(self, unwritten: int) -> None:
        """On shutdown with the store unreachable: count what is left, release flush waiters."""
        self._gave_up = True
        items, waiters = self._drain()
        lost = unwritten + len(items)
        log.error("%s: shutting down with the store unreachable; %d items were not written", self._name, lost)
        for waiter in waiters:
            waiter.set()
