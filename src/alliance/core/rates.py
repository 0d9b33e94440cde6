"""Rates: token buckets that keep one caller (a key, an address, an organisation) to its share."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from alliance.core.errors import RateLimited

TRACKED = 100_000
"""Usernames, client addresses and callers each limit remembers; the least recent are forgotten."""


class TokenBuckets:
    """One token bucket per caller: `rate` requests a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}  # caller -> (tokens, last refill)
        self._lock = threading.Lock()

    def take(self, caller: str) -> None:
        """Spend one token or raise `RateLimited` saying when the next one comes."""
        with self._lock:
            now = self.clock()
            tokens = self._tokens(caller, now)
            if tokens < 1.0:
                self._buckets[caller] = (tokens, now)
                raise RateLimited((1.0 - tokens) / self.rate)
            self._buckets[caller] = (tokens - 1.0, now)

    def wait(self, caller: str) -> float:
        """Seconds until the caller has a token (0: it has one now), spending nothing."""
        with self._lock:
            return max(0.0, (1.0 - self._tokens(caller, self.clock())) / self.rate)

    def _tokens(self, caller: str, now: float) -> float:
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= TRACKED:  # forget the longest-known caller, not grow with every one
                del self._buckets[next(iter(self._buckets))]
            return float(self.burst)
        tokens, last = bucket
        return min(float(self.burst), tokens + (now - last) * self.rate)
