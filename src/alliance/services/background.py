"""Work a server repeats in the background: a daemon thread per job, stopped by an event."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def repeat(job: Callable[[], object], interval: float, name: str, *, at_once: bool = False) -> threading.Event:
    """Run `job` every `interval` seconds (and at once, with `at_once`) until the returned event is
    set. A failed round is logged and the next one tries again: a store or disk hiccup must not
    stop the thread."""
    stop = threading.Event()

    def run() -> None:
        if at_once:
            _round(job, name)
        while not stop.wait(interval):
            _round(job, name)

    threading.Thread(target=run, name=name, daemon=True).start()
    return stop


def _round(job: Callable[[], object], name: str) -> None:
    try:
        job()
    except Exception:
        log.exception("%s: this round failed; the next one tries again", name)
