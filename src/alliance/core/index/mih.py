"""`MIHPDQIndex`: exact PDQ range search by multi-index hashing, sublinear at the default threshold.

Why it is exact: split the 256 bits into m disjoint chunks and give chunk i a radius r_i with
sum(r_i + 1) >= t + 1. A hash within distance t of the query cannot differ by more than r_i bits
on *every* chunk (that would make at least t + 1 differences), so probing, for every chunk, each
key within r_i of the query's chunk finds it. Every candidate is then checked by its full 256-bit
distance, so the result is exactly what a linear scan returns. When probing would cost more than
scanning (large thresholds, tiny or badly skewed data) the engine scans instead: still exact.

Layout (see docs/decisions/0001-pdq-index-engine.md for the measurements behind it):
- the chunk count follows the size: chunks of about log2(n) bits keep buckets near one entry; at
  10^7 hashes that is 11 chunks of 23-24 bits (radius 2, one at radius 1, for t = 31);
- each table is CSR: uint32 bucket offsets indexed directly by the key, and int32 row numbers,
  about 4 + 4 bytes per hash per table; rows are kept sorted by id so the id array doubles as the
  id -> row map.

Writes follow a log-structured scheme. The index is a tuple of immutable segments; an add builds a
new small segment (merged into its neighbour once it is a sizeable fraction of it), a remove or
replace marks rows dead in a copied tombstone mask, and a segment is rebuilt once a quarter of it
is dead. Writers publish a new tuple under a lock; readers take the tuple once, so a query sees
the index entirely before or entirely after any write.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self

import numpy as np
import numpy.typing as npt

from alliance.core.index import mih_kernels
from alliance.core.index.engine import (
    HASH_BYTES,
    HashArray,
    Hits,
    IdArray,
    PDQIndex,
    as_hash_array,
    check_threshold,
    checked_batch,
)
from alliance.core.index.file import IndexFile, read_index_file, write_index_file

HASH_BITS = 8 * HASH_BYTES
DESIGN_THRESHOLD = 31
"""The threshold the table layout is tuned for; other thresholds stay exact, only slower."""

# Relative costs for choosing the layout and between probing and scanning, in units of one random
# cache miss. Measured on the benchmark machine (see the decision record): at 10^7 hashes a query
# costs about 30 ns per probe plus candidate (a probe reads a bucket's bounds and first row number,
# a candidate its hash; both prefetched, so misses overlap), while a scan streams 32 bytes per hash
# at about 1.2 ns.
COST_PROBE = 1.0
COST_CANDIDATE = 1.0
COST_SCAN = 0.04

MIN_TABLES, MAX_TABLES = 8, 32
TABLE_BYTES_PER_HASH = 112
"""Budget for offsets + row numbers, keeping the whole index under 160 B/hash with the hash and id."""
MIN_TABLE_BYTES = 4 << 20
MERGE_RATIO = 4
"""A new segment is merged into the previous one once that one is at most this many times larger."""
DEAD_FRACTION = 0.25
"""A segment with more than this fraction of dead rows is rebuilt without them."""


def split_widths(tables: int) -> tuple[int, ...]:
    """Chunk widths covering all 256 bits as evenly as possible, wider chunks first."""
    narrow, wider = divmod(HASH_BITS, tables)
    return (narrow + 1,) * wider + (narrow,) * (tables - wider)


def table_bytes(widths: tuple[int, ...], n: int) -> int:
    """Bytes of the tables: uint32 offsets for every key, an int32 row number per row and table."""
    return sum(4 * ((1 << w) + 1) + 4 * n for w in widths)


@lru_cache(maxsize=65536)
def _probe_cost(width: int, radius: int, n: int) -> float:
    """Expected cost of probing one table of `n` rows at `radius` (nothing at radius -1)."""
    probes = sum(math.comb(width, k) for k in range(radius + 1))
    return probes * (COST_PROBE + COST_CANDIDATE * n / (1 << width))


def allocate_radii(widths: tuple[int, ...], n: int, threshold: int) -> tuple[int, ...]:
    """Cheapest radii with sum(r_i + 1) >= threshold + 1; -1 means the table is not probed.

    Costs are convex in the radius, so handing out the threshold + 1 increments greedily to the
    table with the cheapest next step is optimal.
    """
    radii = [-1] * len(widths)
    for _ in range(threshold + 1 if widths else 0):
        steps = [
            _probe_cost(w, r + 1, n) - _probe_cost(w, r, n) if r < w else math.inf
            for w, r in zip(widths, radii, strict=True)
        ]
        radii[int(np.argmin(steps))] += 1
    return tuple(radii)


def plan_cost(widths: tuple[int, ...], n: int, threshold: int) -> float:
    radii = allocate_radii(widths, n, threshold)
    return sum(_probe_cost(w, r, n) for w, r in zip(widths, radii, strict=True))


def choose_widths(n: int, threshold: int = DESIGN_THRESHOLD) -> tuple[int, ...]:
    """Chunk widths with the cheapest expected query at `threshold` within the memory budget.

    An empty tuple means no tables: for small n a scan is cheaper than any probing.
    """
    best: tuple[float, tuple[int, ...]] = (n * COST_SCAN, ())
    if best[0] < (threshold + 1) * COST_PROBE:  # cheaper than the fewest probes any layout needs
        return best[1]
    budget = max(TABLE_BYTES_PER_HASH * n, MIN_TABLE_BYTES)
    for tables in range(MIN_TABLES, MAX_TABLES + 1):
        widths = split_widths(tables)
        if table_bytes(widths, n) > budget:
            continue
        cost = plan_cost(widths, n, threshold)
        if cost < best[0]:
            best = (cost, widths)
    return best[1]


@lru_cache(maxsize=256)
def flip_masks(width: int, radius: int) -> npt.NDArray[np.uint32]:
    """Every `width`-bit mask with at most `radius` bits set, fewest bits first (none below 0)."""
    if radius < 0:
        return np.zeros(0, dtype=np.uint32)
    masks = [0]
    for k in range(1, radius + 1):
        masks.extend(sum(1 << b for b in bits) for bits in combinations(range(width), k))
    return np.array(masks, dtype=np.uint32)


class _Plan:
    """How one segment answers one threshold: which keys of each table it probes."""

    __slots__ = ("linear_budget", "mask_count", "mask_start", "masks")

    def __init__(self, segment: _Segment, threshold: int) -> None:
        n, widths = segment.n, segment.widths
        radii = allocate_radii(widths, n, threshold)
        if not widths or plan_cost(widths, n, threshold) >= n * COST_SCAN:
            radii = (-1,) * len(widths)  # no probes: the kernel scans
        parts = [flip_masks(w, r) for w, r in zip(widths, radii, strict=True)]
        counts = np.array([len(p) for p in parts], dtype=np.int64)
        self.masks = np.concatenate([*parts, np.zeros(1, np.uint32)])
        self.mask_count = counts
        self.mask_start = np.cumsum([0, *counts], dtype=np.int64)[:-1]
        # Past this many candidates, one query is cheaper to answer by a scan.
        self.linear_budget = int(n * COST_SCAN / COST_CANDIDATE)


class _Segment:
    """Immutable rows (sorted by id) with their chunk tables; only the tombstones are replaced."""

    __slots__ = (
        "dead",
        "dead_count",
        "hashes",
        "ids",
        "n",
        "offsets",
        "plans",
        "positions",
        "starts",
        "table_base",
        "widths",
        "widths_array",
        "words",
    )

    def __init__(
        self,
        ids: IdArray,
        hashes: HashArray,
        widths: tuple[int, ...],
        offsets: npt.NDArray[np.uint32],
        positions: npt.NDArray[np.int32],
        dead: npt.NDArray[np.uint8],
    ) -> None:
        self.ids, self.hashes, self.n = ids, hashes, len(ids)
        self.words = hashes.view(np.uint64)
        self.widths = widths
        self.widths_array = np.array(widths, dtype=np.int64)
        self.starts = np.cumsum([0, *widths], dtype=np.int64)[:-1]
        self.table_base = np.cumsum([0, *((1 << w) + 1 for w in widths)], dtype=np.int64)[:-1]
        self.offsets, self.positions = offsets, positions
        self.dead = dead
        self.dead_count = int(np.count_nonzero(dead))
        self.plans: dict[int, _Plan] = {}

    @classmethod
    def build(cls, ids: IdArray, hashes: HashArray) -> _Segment:
        """Index unique ids and their hashes (in any order)."""
        if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            order = np.argsort(ids, kind="stable")
            ids, hashes = ids[order], hashes[order]
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        hashes = np.ascontiguousarray(hashes, dtype=np.uint8)
        n = len(ids)
        widths = choose_widths(n)
        offsets = np.empty(sum((1 << w) + 1 for w in widths), dtype=np.uint32)
        positions = np.empty(len(widths) * n, dtype=np.int32)
        base, start = 0, 0
        for table, width in enumerate(widths):
            mih_kernels.fill_table(hashes, start, width, offsets[base : base + (1 << width) + 1], positions, table)
            base, start = base + (1 << width) + 1, start + width
        return cls(ids, hashes, widths, offsets, positions, np.zeros(n, dtype=np.uint8))

    @property
    def live(self) -> int:
        return self.n - self.dead_count

    def live_items(self) -> tuple[IdArray, HashArray]:
        if self.dead_count == 0:
            return self.ids, self.hashes
        alive = self.dead == 0
        return self.ids[alive], self.hashes[alive]

    def without(self, ids: IdArray) -> _Segment:
        """This segment with `ids` marked dead (itself if none of them is live here)."""
        rows = np.searchsorted(self.ids, ids).clip(max=max(self.n - 1, 0))
        hit = rows[(self.ids[rows] == ids) & (self.dead[rows] == 0)] if self.n else rows[:0]
        if len(hit) == 0:
            return self
        dead = self.dead.copy()
        dead[hit] = 1
        return _Segment(self.ids, self.hashes, self.widths, self.offsets, self.positions, dead)

    def plan(self, threshold: int) -> _Plan:
        plan = self.plans.get(threshold)
        if plan is None:
            plan = self.plans[threshold] = _Plan(self, threshold)
        return plan

    def search(
        self, queries: HashArray, threshold: int
    ) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32]]:
        plan = self.plan(threshold)
        result: tuple[npt.NDArray[np.int32], npt.NDArray[np.int32], npt.NDArray[np.int32]]
        result = mih_kernels.search(
            queries,
            queries.view(np.uint64),
            self.words,
            self.dead,
            self.offsets,
            self.table_base,
            self.positions,
            self.starts,
            self.widths_array,
            plan.masks,
            plan.mask_start,
            plan.mask_count,
            threshold,
            plan.linear_budget,
        )
        return result

    @property
    def nbytes(self) -> int:
        arrays = (self.ids, self.hashes, self.offsets, self.positions, self.dead)
        return sum(a.nbytes for a in arrays)


def _empty_hits() -> Hits:
    return Hits(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32))


class MIHPDQIndex:
    """Exact PDQ range search by multi-index hashing (see the module docstring)."""

    signal_type: ClassVar[str] = "pdq"
    hash_bytes: ClassVar[int] = HASH_BYTES

    def __init__(self) -> None:
        self._segments: tuple[_Segment, ...] = ()
        self._write_lock = threading.Lock()

    @classmethod
    def build(cls, ids: IdArray, hashes: HashArray) -> Self:
        index = cls()
        index.add(ids, hashes)
        return index

    def add(self, ids: IdArray, hashes: HashArray) -> None:
        """Add or replace items; re-adding an id replaces its hash."""
        ids, hashes = checked_batch(ids, hashes)
        if len(ids) == 0:
            return
        fresh = _Segment.build(ids, hashes)  # outside the lock: readers and writers keep going
        with self._write_lock:
            segments = [s.without(fresh.ids) for s in self._segments]
            segments.append(fresh)
            while len(segments) >= 2 and segments[-2].live <= MERGE_RATIO * segments[-1].live:
                newer = segments.pop()
                segments[-1] = _merge(segments[-1], newer)
            self._segments = _tidy(segments)

    def remove(self, ids: IdArray) -> None:
        """Remove items by id; unknown ids are ignored."""
        ids = np.unique(np.asarray(ids, dtype=np.int64).reshape(-1))
        if len(ids) == 0:
            return
        with self._write_lock:
            self._segments = _tidy([s.without(ids) for s in self._segments])

    def compact(self) -> None:
        """Rebuild as one segment without dead rows: the fastest layout for queries."""
        with self._write_lock:
            if len(self._segments) > 1 or any(s.dead_count for s in self._segments):
                ids, hashes = _live_items(self._segments)
                self._segments = (_Segment.build(ids, hashes),) if len(ids) else ()

    def query(self, hashes: HashArray, threshold: int) -> Hits:
        check_threshold(threshold)
        queries = as_hash_array(hashes)
        segments = self._segments  # one consistent snapshot
        if len(queries) == 0:
            return _empty_hits()
        parts = []
        for segment in segments:
            q, rows, distances = segment.search(queries, threshold)
            if len(q):
                parts.append((q.astype(np.int64), segment.ids[rows], distances))
        if not parts:
            return _empty_hits()
        if len(parts) == 1:  # a segment returns hits sorted by query, distance, row (= id order)
            return Hits(*parts[0])
        q_all, ids_all, d_all = (np.concatenate(column) for column in zip(*parts, strict=True))
        order = np.lexsort((ids_all, d_all, q_all))
        return Hits(q_all[order], ids_all[order], d_all[order])

    def __len__(self) -> int:
        return sum(s.live for s in self._segments)

    @property
    def nbytes(self) -> int:
        """Bytes held by the index arrays (hashes, ids, tables, tombstones)."""
        return sum(s.nbytes for s in self._segments)

    @property
    def segment_count(self) -> int:
        return len(self._segments)

    def save(self, path: Path, sequence: int) -> None:
        ids, hashes = _live_items(self._segments)
        if len(self._segments) > 1:
            order = np.argsort(ids, kind="stable")  # saved sorted, so load skips the sort
            ids, hashes = ids[order], hashes[order]
        write_index_file(path, IndexFile(self.signal_type, sequence, ids, hashes))

    @classmethod
    def load(cls, path: Path) -> tuple[Self, int]:
        saved = read_index_file(path, expected_signal_type=cls.signal_type)
        index = cls()
        if len(saved.ids):
            ids, hashes = checked_batch(saved.ids, saved.hashes)
            index._segments = (_Segment.build(np.array(ids), np.array(hashes)),)
        return index, saved.sequence


def _live_items(segments: tuple[_Segment, ...] | list[_Segment]) -> tuple[IdArray, HashArray]:
    items = [s.live_items() for s in segments]
    if not items:
        return np.zeros(0, np.int64), np.zeros((0, HASH_BYTES), np.uint8)
    return np.concatenate([i for i, _ in items]), np.concatenate([h for _, h in items])


def _merge(older: _Segment, newer: _Segment) -> _Segment:
    ids, hashes = _live_items([older, newer])
    return _Segment.build(ids, hashes)


def _tidy(segments: list[_Segment]) -> tuple[_Segment, ...]:
    """Drop empty segments and rebuild those that are mostly tombstones."""
    tidy = []
    for segment in segments:
        if segment.live == 0:
            continue
        if segment.dead_count > DEAD_FRACTION * segment.n:
            segment = _Segment.build(*segment.live_items())
        tidy.append(segment)
    return tuple(tidy)


if TYPE_CHECKING:
    _conforms: type[PDQIndex] = MIHPDQIndex  # mypy checks the engine against the protocol
