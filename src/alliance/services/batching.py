"""A background writer that turns many small appends into few transactions.

A server records an audit event and a match event for every match request; one transaction each
would make the store the bottleneck. Items are queued and written in batches every `interval`
seconds, at most `max_batch` per transaction. Without a running writer, `put` writes at once, so
the CLI and tests need no thread.

Nothing queued is dropped: a batch the store refuses is retried until it is written (or, on
shutdown, for `stop_attempts` more tries). The queue is bounded by what callers check before they
work: past `max_pending` items, `has_room` is false and a request is refused (503) rather than
served unrecorded or allowed to grow the queue without end.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)

MAX_PENDING = 100_000
"""Items queued before callers are turned away: a few seconds of a saturated server's events."""

MAX_BATCH = 5_000
"""Items per transaction, so that one write is short and frees room early."""


class BatchWriter(Generic[T]):
    def __init__(
        self,
        write: Callable[[Sequence[T]], object],
        name: str,
        *,
        max_pending: int = MAX_PENDING,
        max_batch: int = MAX_BATCH,
        retry_seconds: float = 1.0,
        stop_attempts: int = 3,
    ) -> None:
        self._write = write
        self._name = name
        self._queue: queue.SimpleQueue[T | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._interval = 0.2
        self.max_pending, self.max_batch = max_pending, max_batch
        self._retry_seconds, self._stop_attempts = retry_seconds, stop_attempts
        self._stopping = threading.Event()  # a failing write gives up after a few more tries
        self._stop_budget = stop_attempts

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def pending(self) -> int:
        """Items queued and not yet written (approximately: the writer may be taking some now)."""
        return self._queue.qsize()

    def has_room(self) -> bool:
        return self._thread is None or self._queue.qsize() < self.max_pending

    def put(self, item: T) -> None:
        if self._thread is None:
            self._write([item])
        else:
            self._queue.put(item)

    def start(self, interval: float = 0.2) -> None:
        if self._thread is None:
            self._interval = interval
            self._stopping.clear()
            self._stop_budget = self._stop_attempts
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write what is queued and stop (on server shutdown)."""
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(None)
            self._thread.join(timeout=60)
            self._thread = None

    def flush(self) -> None:
        """Write everything queued so far before returning."""
        if self._thread is not None:
            self.stop()
            self.start(self._interval)

    def _run(self) -> None:
        stopping, backlog = False, False
        while not stopping:
            batch = [self._queue.get()]  # wait for the first item
            if batch[0] is not None and not backlog:
                time.sleep(self._interval)  # let a batch gather
            while len(batch) < self.max_batch and batch[-1] is not None:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            stopping = batch[-1] is None
            items = [item for item in batch if item is not None]
            if items:
                self._write_until_done(items)
            backlog = len(batch) >= self.max_batch  # more may be waiting: no pause before the next

    def _write_until_done(self, items: list[T]) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                self._write(items)
                if attempt > 1:
                    log.warning("%s: wrote %d items after %d attempts", self._name, len(items), attempt)
                return
            except Exception:
                if self._stopping.is_set():
                    self._stop_budget -= 1  # shared by every batch left: shutdown takes a few tries in all
                if self._stop_budget <= 0:
                    log.exception("%s: shutting down; %d items could not be written", self._name, len(items))
                    return
                log.exception("%s: could not write %d items; retrying", self._name, len(items))
                time.sleep(self._retry_seconds)
