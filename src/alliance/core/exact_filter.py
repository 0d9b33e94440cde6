"""Which exact hashes (md5, sha1, sha256) the store might hold, answered from memory.

Almost every upload a platform checks matches nothing, and asking the store whether it holds an
upload's three digests is a round trip: 0.28 ms of CPU on SQLite, a fifth of the server's work
per upload once hashing is done (docs/decisions/0006-exact-prefilter.md). This keeps the first 64
bits of every stored exact hash, sorted: 8 bytes each, and a lookup is a binary search. Only a
query whose prefix is here goes to the store, which still decides (entry status, bank, the whole
value). A false "might" costs one round trip, never a wrong match; with 64 bits, a random query
meets one among 10^7 stored hashes about once in 10^12 lookups.

Hashes of retired entries stay until the next rebuild: they only cost a round trip.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

PREFIX_HEX = 16
"""Hex digits kept per hash: 64 bits."""

MERGE_AFTER = 4096
"""Hashes added since the last merge are kept in a set; past this many they are merged into the sorted array."""


def prefix(value: str) -> int:
    """The first 64 bits of a hex digest (all of it, if shorter)."""
    return int(value[:PREFIX_HEX], 16)


class ExactFilter:
    """The stored exact hashes' prefixes. Safe to read from many threads while one adds."""

    def __init__(self, prefixes: npt.NDArray[np.uint64] | None = None) -> None:
        self._sorted = np.unique(prefixes) if prefixes is not None else np.zeros(0, np.uint64)
        self._recent: set[int] = set()
        self._lock = threading.Lock()  # for writers only: readers see one array or the next

    @classmethod
    def of(cls, values: Iterable[str]) -> ExactFilter:
        return cls(np.fromiter((prefix(v) for v in values), dtype=np.uint64))

    def __len__(self) -> int:
        return len(self._sorted) + len(self._recent)

    def add(self, values: Iterable[str]) -> None:
        with self._lock:
            self._recent.update(prefix(v) for v in values)
            if len(self._recent) > MERGE_AFTER:
                merged = np.union1d(self._sorted, np.fromiter(self._recent, dtype=np.uint64, count=len(self._recent)))
                self._sorted = merged  # published before the set is emptied: no reader misses one
                self._recent = set()

    def might_hold(self, value: str) -> bool:
        """False when the store certainly holds no hash equal to `value`."""
        key = prefix(value)
        if key in self._recent:
            return True
        array = self._sorted
        at = int(np.searchsorted(array, np.uint64(key)))
        return at < len(array) and int(array[at]) == key
