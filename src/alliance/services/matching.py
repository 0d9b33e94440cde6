"""Matching: which bank entries does a piece of media, or a hash, correspond to?

Perceptual signals (PDQ) go through one in-memory index across all banks; exact signals (md5,
sha1, sha256) are looked up in the store. The index is built from the store and kept current by
replaying the store's change log, so an entry retired a moment ago no longer matches. Bank
filters, per-bank thresholds and entry status are applied to the index's raw hits.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from alliance.core.banks import Bank, EntryStatus, StoredSignal
from alliance.core.errors import NotFound
from alliance.core.index import LinearPDQIndex, PDQIndex, pdq_hex_to_bytes
from alliance.core.signals import PDQ_MIN_QUALITY, Signal, is_matchable
from alliance.store.repository import Store

MATCHING_STATUSES = frozenset({EntryStatus.CONFIRMED})


@dataclass(frozen=True, slots=True)
class Match:
    """One entry that a query signal matched."""

    query: Signal
    bank: str
    bank_id: int
    entry_id: int
    signal_type: str
    distance: int


class Matcher:
    """Matches signals against every enabled bank (or the ones named)."""

    def __init__(
        self,
        store: Store,
        index_factory: Callable[[], PDQIndex] = LinearPDQIndex,
        min_quality: int = PDQ_MIN_QUALITY,
    ) -> None:
        self.store = store
        self.min_quality = min_quality
        self._index_factory = index_factory
        self._index: PDQIndex = index_factory()
        self._owner: dict[int, tuple[int, int]] = {}  # signal id -> (entry id, bank id)
        self._signals_of_entry: dict[int, list[int]] = defaultdict(list)
        self.sequence = 0
        self.rebuild()

    def rebuild(self) -> None:
        """Build the PDQ index from the store's live signals."""
        sequence = self.store.current_sequence()
        index = self._index_factory()
        self._owner.clear()
        self._signals_of_entry.clear()
        self._add_to(index, list(self.store.iter_live_signals("pdq")))
        self._index, self.sequence = index, sequence

    def refresh(self) -> int:
        """Replay changes committed since the index's sequence; returns how many were applied."""
        changes = self.store.changes_since(self.sequence)
        if not changes:
            return 0
        touched = sorted({c.entry_id for c in changes if c.entry_id is not None})
        stale = [sid for entry_id in touched for sid in self._signals_of_entry.pop(entry_id, [])]
        if stale:
            self._index.remove(np.array(stale, dtype=np.int64))
            for sid in stale:
                self._owner.pop(sid, None)
        if touched:
            self._add_to(self._index, list(self.store.iter_live_signals("pdq", touched)))
        self.sequence = changes[-1].seq
        return len(changes)

    def _add_to(self, index: PDQIndex, stored: list[StoredSignal]) -> None:
        usable = [s for s in stored if is_matchable(s.signal, self.min_quality)]
        if not usable:
            return
        index.add(np.array([s.id for s in usable], dtype=np.int64), pdq_hex_to_bytes([s.signal.value for s in usable]))
        for s in usable:
            self._owner[s.id] = (s.entry_id, s.bank_id)
            self._signals_of_entry[s.entry_id].append(s.id)

    @property
    def index_size(self) -> int:
        return len(self._index)

    def match(self, signals: Sequence[Signal], banks: Sequence[str] | None = None) -> list[Match]:
        """Every match of `signals` in the enabled banks (restricted to `banks` when given)."""
        self.refresh()
        selected = self._select_banks(banks)
        if not selected:
            return []
        matches = self._match_pdq([s for s in signals if s.type == "pdq"], selected)
        for kind in sorted({s.type for s in signals if s.type != "pdq"}):
            matches.extend(self._match_exact(kind, [s for s in signals if s.type == kind], selected))
        return sorted(matches, key=lambda m: (m.distance, m.bank, m.entry_id, m.signal_type))

    def _select_banks(self, names: Sequence[str] | None) -> dict[int, Bank]:
        banks = self.store.banks_by_id()
        if names is None:
            return {i: b for i, b in banks.items() if b.enabled}
        by_name = {b.name: b for b in banks.values()}
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise NotFound(f"no bank called {unknown[0]!r}")
        return {by_name[n].id: by_name[n] for n in names if by_name[n].enabled}

    def _match_pdq(self, queries: list[Signal], banks: dict[int, Bank]) -> list[Match]:
        queries = [q for q in queries if is_matchable(q, self.min_quality)]
        if not queries:
            return []
        threshold = max(bank.threshold("pdq") for bank in banks.values())
        hits = self._index.query(pdq_hex_to_bytes([q.value for q in queries]), threshold)
        candidates = []
        for q_no, signal_id, distance in zip(
            hits.query.tolist(), hits.ids.tolist(), hits.distances.tolist(), strict=True
        ):
            entry_id, bank_id = self._owner[signal_id]
            bank = banks.get(bank_id)
            if bank is not None and distance <= bank.threshold("pdq"):
                candidates.append((queries[q_no], signal_id, entry_id, bank, distance))
        statuses = {s.id: s.entry_status for s in self.store.signals_by_id(c[1] for c in candidates).values()}
        return [
            Match(query, bank.name, bank.id, entry_id, "pdq", distance)
            for query, signal_id, entry_id, bank, distance in candidates
            if statuses.get(signal_id) in MATCHING_STATUSES
        ]

    def _match_exact(self, kind: str, queries: list[Signal], banks: dict[int, Bank]) -> list[Match]:
        by_value = {q.value: q for q in queries}
        return [
            Match(by_value[s.signal.value], banks[s.bank_id].name, s.bank_id, s.entry_id, kind, 0)
            for s in self.store.find_signals(kind, by_value)
            if s.bank_id in banks and s.entry_status in MATCHING_STATUSES
        ]
