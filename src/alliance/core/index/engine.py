"""Hamming indexes: exact range search over fixed-width hashes (PDQ's 256 bits), behind one narrow interface.

Every index answers the same question: which stored hashes lie within Hamming distance `threshold`
of each query? It must return *every* one (recall 1.0): a missed match is known material shared
again. Stored items are keyed by integer ids (the store's signal ids); the matching service maps
them back to entries and banks.

`LinearPDQIndex` compares each query with every stored hash. It is exact, simple and the reference
the faster engines are tested against, and the index of any Hamming signal type that names no faster
one (`linear_engine` sizes it to the type's hashes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol, Self

import numpy as np
import numpy.typing as npt

from alliance.core.errors import InvalidRequest, InvalidSignal
from alliance.core.index.file import IndexFile, read_index_file, write_index_file

HASH_BYTES = 32
MAX_THRESHOLD = 64

HashArray = npt.NDArray[np.uint8]
"""Hashes as an (n, 32) array of bytes, most significant bit of the hex string first."""
IdArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class Hits:
    """All hits of a batch of queries, as three parallel arrays sorted by query then distance."""

    query: npt.NDArray[np.int64]
    ids: IdArray
    distances: npt.NDArray[np.int32]

    def for_query(self, q: int) -> list[tuple[int, int]]:
        """(id, distance) pairs of query number `q`, nearest first."""
        lo, hi = np.searchsorted(self.query, [q, q + 1])
        return list(zip(self.ids[lo:hi].tolist(), self.distances[lo:hi].tolist(), strict=True))

    def __len__(self) -> int:
        return len(self.ids)


class HammingIndex(Protocol):
    """What the matching service needs from an index engine of one signal type."""

    signal_type: ClassVar[str]
    hash_bytes: ClassVar[int]

    @classmethod
    def build(cls, ids: IdArray, hashes: HashArray) -> Self: ...
    def add(self, ids: IdArray, hashes: HashArray) -> None: ...
    def remove(self, ids: IdArray) -> None: ...
    def query(self, hashes: HashArray, threshold: int) -> Hits: ...
    def __len__(self) -> int: ...
    def save(self, path: Path, sequence: int) -> None: ...
    @classmethod
    def load(cls, path: Path) -> tuple[Self, int]: ...


PDQIndex = HammingIndex
"""The engines PDQ uses; every engine so far is one of them."""


def hex_to_bytes(values: list[str], hash_bytes: int) -> HashArray:
    """Canonical hex strings of `hash_bytes`-byte hashes to an (n, hash_bytes) byte array."""
    if not values:
        return np.zeros((0, hash_bytes), dtype=np.uint8)
    raw = bytes.fromhex("".join(values))
    if len(raw) != hash_bytes * len(values):
        raise InvalidSignal(f"every hash must be {2 * hash_bytes} hex characters")
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(values), hash_bytes).copy()


def pdq_hex_to_bytes(values: list[str]) -> HashArray:
    """Canonical PDQ hex strings to an (n, 32) byte array."""
    if not values:
        return np.zeros((0, HASH_BYTES), dtype=np.uint8)
    raw = bytes.fromhex("".join(values))
    if len(raw) != HASH_BYTES * len(values):
        raise InvalidSignal("every PDQ hash must be 64 hex characters")
    return np.frombuffer(raw, dtype=np.uint8).reshape(len(values), HASH_BYTES).copy()


def check_threshold(threshold: int) -> None:
    if not 0 <= threshold <= MAX_THRESHOLD:
        raise InvalidRequest(f"PDQ threshold must be between 0 and {MAX_THRESHOLD}, got {threshold}")


def as_hash_array(hashes: npt.ArrayLike, hash_bytes: int = HASH_BYTES) -> HashArray:
    array = np.ascontiguousarray(hashes, dtype=np.uint8)
    if array.ndim != 2 or array.shape[1] != hash_bytes:
        raise InvalidRequest(f"hashes must be an (n, {hash_bytes}) byte array, got shape {array.shape}")
    return array


def checked_batch(ids: npt.ArrayLike, hashes: npt.ArrayLike, hash_bytes: int = HASH_BYTES) -> tuple[IdArray, HashArray]:
    """A batch to add, validated; an id twice in it keeps its last hash, as two adds in a row would."""
    ids = np.asarray(ids, dtype=np.int64).reshape(-1)
    hashes = as_hash_array(hashes, hash_bytes)
    if len(ids) != len(hashes):
        raise InvalidRequest(f"{len(ids)} ids for {len(hashes)} hashes")
    if len(ids) < 2 or bool(np.all(ids[1:] > ids[:-1])):
        return ids, hashes
    first_from_end = np.unique(ids[::-1], return_index=True)[1]
    if len(first_from_end) == len(ids):
        return ids, hashes
    keep = np.sort(len(ids) - 1 - first_from_end)
    return ids[keep], hashes[keep]


class LinearPDQIndex:
    """Exact search by comparing each query with every live hash (NumPy popcount).

    Writers take a lock and publish new arrays by swapping one reference, so readers never see a
    half-applied change and never wait.
    """

    signal_type: ClassVar[str] = "pdq"
    hash_bytes: ClassVar[int] = HASH_BYTES

    def __init__(self) -> None:
        self._ids: IdArray = np.zeros(0, dtype=np.int64)
        self._hashes: HashArray = np.zeros((0, self.hash_bytes), dtype=np.uint8)
        self._write_lock = threading.Lock()

    @classmethod
    def build(cls, ids: IdArray, hashes: HashArray) -> Self:
        index = cls()
        index.add(ids, hashes)
        return index

    def add(self, ids: IdArray, hashes: HashArray) -> None:
        ids, hashes = checked_batch(ids, hashes, self.hash_bytes)
        with self._write_lock:
            kept = ~np.isin(self._ids, ids)  # re-adding an id replaces its hash
            self._ids, self._hashes = (
                np.concatenate([self._ids[kept], ids]),
                np.concatenate([self._hashes[kept], hashes]),
            )

    def remove(self, ids: IdArray) -> None:
        with self._write_lock:
            kept = ~np.isin(self._ids, np.asarray(ids, dtype=np.int64))
            self._ids, self._hashes = self._ids[kept], self._hashes[kept]

    def query(self, hashes: HashArray, threshold: int) -> Hits:
        check_threshold(threshold)
        queries = as_hash_array(hashes, self.hash_bytes)
        ids, stored = self._ids, self._hashes  # one consistent snapshot
        word = np.uint64 if self.hash_bytes % 8 == 0 else np.uint8
        words = stored.view(word)
        q_parts, id_parts, d_parts = [], [], []
        for q, query in enumerate(queries.view(word)):
            distances = np.bitwise_count(words ^ query).sum(axis=1, dtype=np.int32)
            (found,) = np.nonzero(distances <= threshold)
            order = found[np.argsort(distances[found], kind="stable")]
            q_parts.append(np.full(len(order), q, dtype=np.int64))
            id_parts.append(ids[order])
            d_parts.append(distances[order])
        if not q_parts:
            return Hits(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int32))
        return Hits(np.concatenate(q_parts), np.concatenate(id_parts), np.concatenate(d_parts))

    def __len__(self) -> int:
        return len(self._ids)

    def save(self, path: Path, sequence: int) -> None:
        ids, hashes = self._ids, self._hashes
        write_index_file(path, IndexFile(self.signal_type, sequence, ids, hashes), self.hash_bytes)

    @classmethod
    def load(cls, path: Path) -> tuple[Self, int]:
        saved = read_index_file(path, expected_signal_type=cls.signal_type, hash_bytes=cls.hash_bytes)
        return cls.build(saved.ids, saved.hashes), saved.sequence


LinearHammingIndex = LinearPDQIndex
"""The linear scan is not PDQ's alone: `linear_engine` makes it for any width."""

_LINEAR_ENGINES: dict[tuple[str, int], type[LinearPDQIndex]] = {("pdq", HASH_BYTES): LinearPDQIndex}


def linear_engine(signal_type: str, hash_bytes: int) -> type[LinearPDQIndex]:
    """The linear-scan engine for `signal_type`'s `hash_bytes`-byte hashes (one class per type, so
    its saved files name their type)."""
    key = (signal_type, hash_bytes)
    if key not in _LINEAR_ENGINES:
        name = f"Linear{signal_type.title().replace('_', '')}Index"
        _LINEAR_ENGINES[key] = type(name, (LinearPDQIndex,), {"signal_type": signal_type, "hash_bytes": hash_bytes})
    return _LINEAR_ENGINES[key]
