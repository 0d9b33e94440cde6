"""A background writer that turns many small appends into few transactions.

A server records an audit event and a match event for every match request; one transaction each
would make the store the bottleneck. Items are queued and written in batches every `interval`
seconds. Without a running writer, `put` writes at once, so the CLI and tests need no thread.
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


class BatchWriter(Generic[T]):
    def __init__(self, write: Callable[[Sequence[T]], object], name: str) -> None:
        self._write = write
        self._name = name
        self._queue: queue.SimpleQueue[T | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._interval = 0.2

    @property
    def running(self) -> bool:
        return self._thread is not None

    def put(self, item: T) -> None:
        if self._thread is None:
            self._write([item])
        else:
            self._queue.put(item)

    def start(self, interval: float = 0.2) -> None:
        if self._thread is None:
            self._interval = interval
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Write what is queued and stop (on server shutdown)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def flush(self) -> None:
        """Write everything queued so far before returning."""
        if self._thread is not None:
            self.stop()
            self.start(self._interval)

    def _run(self) -> None:
        running = True
        while running:
            batch = [self._queue.get()]  # wait for the first item
            time.sleep(self._interval)  # let a batch gather
            while True:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            running = None not in batch
            items = [item for item in batch if item is not None]
            if items:
                try:
                    self._write(items)
                except Exception:  # keep the writer alive; the loss is logged loudly
                    log.exception("%s: could not write %d items", self._name, len(items))
