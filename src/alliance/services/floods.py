"""The flood rule over every replica's match events: which entries match far more than usual, and
which callers flood an entry alone.

Match events are in the store, so every replica counts the same matches; a verdict is written
once per entry, organisation and window (a unique row), so the replica that writes it is the one
that acts: it quarantines the entry, or reports a single caller's flood to the bank's owner. Every
replica then throttles an organisation with a single-caller flood in the current window.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from alliance.core.errors import RateLimited, Throttled
from alliance.core.rates import TokenBuckets
from alliance.core.trust import FloodDecision, FloodRule, judge_flood
from alliance.services.background import repeat
from alliance.store.trust_store import TrustStore

log = logging.getLogger(__name__)

QUARANTINE = "quarantine"
SINGLE_CALLER = "single_caller"


def query_digest(signal_type: str, value: str) -> str:
    """64 bits of a SHA-256 of a query signal: enough to count distinct queries, not to recover them."""
    return hashlib.sha256(f"{signal_type}:{value}".encode()).hexdigest()[:16]


class FloodMonitor:
    def __init__(
        self,
        store: TrustStore,
        rule: FloodRule,
        quarantine: Callable[[FloodDecision], object],
        report: Callable[[FloodDecision], object],
        caller_rate_per_second: float = 2.0,
    ) -> None:
        self.store = store
        self.rule = rule
        self._quarantine = quarantine
        self._report = report
        self.caller_rate = caller_rate_per_second
        self._throttled: set[int] = set()
        self._throttled_window = -1.0
        self._allowance = TokenBuckets(caller_rate_per_second, max(1, round(caller_rate_per_second)))
        self._decided: set[tuple[int, int]] = set()  # (entry, organisation) judged in `_decided_window`
        self._decided_window = -1.0
        self._lock = threading.Lock()

    def check(self, now: float | None = None) -> list[FloodDecision]:
        """Judge the last `window_seconds`; act on the verdicts no replica has written yet. Returns them.

        Matches are counted over the window that ends now, so a burst across a window's edge counts
        whole; verdicts are kept per window aligned to the epoch (`window_start`), so every replica
        keys them alike and each is acted on once in it."""
        now = time.time() if now is None else now
        start = self.rule.window_start(now)
        window = datetime.fromtimestamp(start, UTC)
        since = now - self.rule.window_seconds
        callers = self.store.flood_callers(datetime.fromtimestamp(since, UTC), self.rule.min_matches)
        if start != self._decided_window:
            self._decided, self._decided_window = set(), start
        past = self._past_windows(sorted(callers), since)
        acted = []
        for entry_id, counts in callers.items():
            for decision in judge_flood(entry_id, counts, past.get(entry_id, []), self.rule):
                kind = QUARANTINE if decision.single_caller is None else SINGLE_CALLER
                org = decision.single_caller or 0
                if (entry_id, org) in self._decided:
                    continue  # this process wrote or met its verdict already: no second round trip
                self._decided.add((entry_id, org))
                if self.store.add_flood_verdict(entry_id, org, window, kind, decision.numbers()):
                    (self._quarantine if kind == QUARANTINE else self._report)(decision)
                    acted.append(decision)
        throttled = self.store.flooding_callers(window)
        with self._lock:
            self._throttled, self._throttled_window = throttled, start
        return acted

    def _past_windows(self, entry_ids: list[int], start: float) -> dict[int, list[int]]:
        """Distinct queries of each entry in each of its previous `history` windows, oldest first."""
        if not entry_ids:
            return {}
        length = self.rule.window_seconds
        since = datetime.fromtimestamp(start - self.rule.history * length, UTC)
        seen: dict[tuple[int, int], set[str]] = {}
        for entry_id, at, query in self.store.flood_history(entry_ids, since, datetime.fromtimestamp(start, UTC)):
            back = int((start - at.timestamp()) // length)  # 0: the window just before this one
            seen.setdefault((entry_id, back), set()).add(query)
        return {e: [len(seen.get((e, back), ())) for back in reversed(range(self.rule.history))] for e in entry_ids}

    def admit(self, org_id: int, now: float | None = None) -> None:
        """Raise `Throttled` for an organisation that flooded an entry alone in this window and has
        used its allowance (a token bucket of `caller_rate` requests per second)."""
        now = time.time() if now is None else now
        with self._lock:
            if org_id not in self._throttled or self.rule.window_start(now) != self._throttled_window:
                return
        try:
            self._allowance.take(str(org_id))
        except RateLimited as exc:
            raise Throttled(
                "your organisation matched one entry with a flood of distinct queries; its match "
                "requests are slowed until the flood window ends (the bank's owner was told)",
                exc.retry_after,
            ) from None

    def follow(self, interval: float) -> threading.Event:
        """Check every `interval` seconds in a background thread (a server); set the event to stop."""
        return repeat(self.check, interval, "flood-rule")
