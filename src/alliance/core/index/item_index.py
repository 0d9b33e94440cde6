"""Where the items of every series and open case are, by their hashes: the deconfliction lookup.

A seized collection is deconflicted at once, item by item, against every series and every other
open case on the node (whoever owns them: who may be *told* is decided afterwards, for the hits
alone). A million items a case, so no query per item: exact hashes are looked up as sorted 64-bit
prefixes with numpy (`ExactKeys`, one `searchsorted` for a whole batch), near hashes through the
signal type's own Hamming index engine (MIH for PDQ), which the matcher uses too.

A 64-bit prefix can collide (about once in 10^12 lookups against 10^7 items): the caller reads the
hits' whole values from the store and keeps those that are equal. Pure: arrays in, arrays out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from alliance.core.index.engine import HammingIndex, hex_to_bytes
from alliance.core.signals import Signal, signal_type

PREFIX_HEX = 16

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]


def prefixes(values: Sequence[str]) -> U64:
    """The first 64 bits of each hex value, decoded at once (shorter values are padded right)."""
    if not values:
        return np.zeros(0, np.uint64)
    padded = "".join(v[:PREFIX_HEX].ljust(PREFIX_HEX, "0") for v in values)
    return np.frombuffer(bytes.fromhex(padded), dtype=">u8").astype(np.uint64)


class ExactKeys:
    """Sorted 64-bit keys with the id each belongs to (a key may belong to several ids)."""

    def __init__(self, keys: U64, ids: I64) -> None:
        order = np.argsort(keys, kind="stable")
        self.keys: U64 = np.ascontiguousarray(keys[order])
        self.ids: I64 = np.ascontiguousarray(ids[order])

    def __len__(self) -> int:
        return len(self.keys)

    @property
    def nbytes(self) -> int:
        return int(self.keys.nbytes + self.ids.nbytes)

    def lookup(self, queries: U64) -> tuple[I64, I64]:
        """(query positions, ids) of every key equal to a query: one binary search per bound, vectorised."""
        lo = np.searchsorted(self.keys, queries, side="left")
        hi = np.searchsorted(self.keys, queries, side="right")
        counts = hi - lo
        hit = np.nonzero(counts)[0]
        if not len(hit):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        counts = counts[hit]
        positions = np.repeat(hit, counts).astype(np.int64)
        # for each hit query, lo .. hi-1
        starts = np.repeat(lo[hit] - np.cumsum(counts) + counts, counts)
        at = starts + np.arange(int(counts.sum()))
        return positions, self.ids[at]


@dataclass(frozen=True, slots=True)
class ItemHit:
    """Query number `query` is near (or equal to) item `item_id` by its `signal_type` hash."""

    query: int
    item_id: int
    signal_type: str
    distance: int


class ItemIndex:
    """Every series and open-case item's hashes: exact ones as `ExactKeys`, near ones in an engine."""

    def __init__(self, exact: dict[str, ExactKeys], near: dict[str, HammingIndex]) -> None:
        self.exact = exact
        self.near = near

    @classmethod
    def build(cls, rows: Iterable[tuple[int, str, str]]) -> ItemIndex:
        """From (item id, signal type, value) rows, as the store reads them."""
        by_type: dict[str, tuple[list[int], list[str]]] = {}
        for item_id, type_name, value in rows:
            ids, values = by_type.setdefault(type_name, ([], []))
            ids.append(item_id)
            values.append(value)
        exact: dict[str, ExactKeys] = {}
        near: dict[str, HammingIndex] = {}
        for type_name, (ids, values) in by_type.items():
            kind = signal_type(type_name)
            id_array = np.asarray(ids, dtype=np.int64)
            if kind.perceptual:
                engine = kind.index_engine()
                near[type_name] = engine.build(id_array, hex_to_bytes(values, kind.hash_bytes))
            else:
                exact[type_name] = ExactKeys(prefixes(values), id_array)
        return cls(exact, near)

    def __len__(self) -> int:
        return sum(len(k) for k in self.exact.values()) + sum(len(i) for i in self.near.values())

    def lookup(self, signals: Sequence[Signal], thresholds: dict[str, int] | None = None) -> list[ItemHit]:
        """Every item equal or near to one of `signals` (near: within the type's default threshold,
        or the one given)."""
        hits: list[ItemHit] = []
        by_type: dict[str, list[int]] = {}
        for position, signal in enumerate(signals):
            by_type.setdefault(signal.type, []).append(position)
        for type_name, positions in by_type.items():
            values = [signals[p].value for p in positions]
            if type_name in self.exact:
                queries, ids = self.exact[type_name].lookup(prefixes(values))
                hits.extend(
                    ItemHit(positions[q], i, type_name, 0) for q, i in zip(queries.tolist(), ids.tolist(), strict=True)
                )
            elif type_name in self.near:
                kind = signal_type(type_name)
                threshold = (thresholds or {}).get(type_name, kind.default_threshold)
                found = self.near[type_name].query(hex_to_bytes(values, kind.hash_bytes), threshold)
                hits.extend(
                    ItemHit(positions[q], i, type_name, d)
                    for q, i, d in zip(found.query.tolist(), found.ids.tolist(), found.distances.tolist(), strict=True)
                )
        return hits
