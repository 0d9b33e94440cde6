"""The matcher's index and its life: what matching reads in memory, kept in step with the store.

It holds one Hamming index per perceptual signal type (each type names its engine:
`SignalType.index_engine`), the exact filter of every stored digest's prefix
(`core.exact_filter`), the banks, and the store change sequence they all reflect. New entries reach
it by replaying the store's change log (`refresh`, or `follow` in a server's background thread).

On start each index is loaded from its saved file and the changes since the file's sequence are
replayed; a missing, corrupt, stale or newer-format file is rebuilt from the store. PDQ's index is
saved at the configured path; another type's beside it, with its name before the suffix
(`pdq.idx` -> `pdq.vpdq.idx`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alliance.core.banks import CREDENTIAL_CHANGES, Bank, Change, StoredSignal
from alliance.core.errors import IndexFileError
from alliance.core.index.engine import HammingIndex, HashArray, IdArray, hex_to_bytes
from alliance.core.index.exact_filter import ExactFilter
from alliance.core.index.file import read_index_file
from alliance.core.signals import PDQ, PDQ_MIN_QUALITY, SignalType, hamming_types, is_matchable, signal_type
from alliance.services.background import repeat
from alliance.store.repository import Store

log = logging.getLogger(__name__)

SAVE_AFTER_REPLAYED = 1000
"""Save the index after replaying at least this many changes, so the next start replays fewer."""


@dataclass(frozen=True, slots=True)
class IndexStatus:
    engine: str
    size: int
    sequence: int
    store_sequence: int
    path: Path | None
    loaded_from: str


def index_file_path(base: Path, kind: SignalType) -> Path:
    """Where `kind`'s index is saved when PDQ's is saved at `base`."""
    return base if kind.name == PDQ.name else base.with_name(f"{base.stem}.{kind.name}{base.suffix}")


class MatcherIndex:
    """The in-memory side of matching, and the store sequence it reflects."""

    def __init__(
        self,
        store: Store,
        index_path: Path | None = None,
        engine: type[HammingIndex] | None = None,
        min_quality: int = PDQ_MIN_QUALITY,
        refresh_interval: float | None = 0.0,
    ) -> None:
        """`engine`: PDQ's engine when not its own (tests and benchmarks compare engines).
        `refresh_interval`: seconds between change-log reads before a match (0: before every match;
        None: never, for a server whose `follow` thread keeps the index current instead)."""
        self.store = store
        self.index_path = index_path
        self.min_quality = min_quality
        self.refresh_interval = refresh_interval
        self._refreshed_at = 0.0
        self.refreshed_at = time.time()
        """Wall-clock time the index last read the change log (or was built or loaded), for monitoring."""
        self.sequence = 0
        self.loaded_from = "store"
        self.engines: dict[str, type[HammingIndex]] = {
            kind.name: engine if engine is not None and kind.name == PDQ.name else kind.index_engine()
            for kind in hamming_types()
        }
        """Signal type name -> its engine, for the Hamming types registered when the matcher started."""
        self.indexes: dict[str, HammingIndex] = {name: engine() for name, engine in self.engines.items()}
        self.exact = ExactFilter()
        self.banks: dict[int, Bank] = {}
        self._listeners: list[Callable[[list[Change]], object]] = []
        self._open()

    def _open(self) -> None:
        if self.index_path is not None and all(self._path(name).exists() for name in self.engines):
            try:
                loaded = {name: engine.load(self._path(name)) for name, engine in self.engines.items()}
                if len({sequence for _, sequence in loaded.values()}) > 1:
                    raise IndexFileError(f"the index files beside {self.index_path} reflect different changes")
                sequence = max((sequence for _, sequence in loaded.values()), default=0)
                if sequence > self.store.current_sequence():
                    raise IndexFileError(f"{self.index_path} is ahead of the store (restored from a backup?)")
                self.indexes = {name: index for name, (index, _) in loaded.items()}
                self.sequence, self.loaded_from = sequence, "file"
                self.exact = ExactFilter.of(self.store.iter_exact_prefixes())  # changes replayed next add theirs
                self.banks = self.store.banks_by_id()
                if self.refresh() >= SAVE_AFTER_REPLAYED:
                    self.save()
                return
            except IndexFileError as exc:
                log.warning("rebuilding the index from the store: %s", exc)
        self.rebuild()
        self.save()

    def _path(self, name: str) -> Path:
        assert self.index_path is not None
        return index_file_path(self.index_path, signal_type(name))

    def rebuild(self) -> None:
        """Build every Hamming index and the exact filter from the store's signals."""
        sequence = self.store.current_sequence()
        self.indexes = {
            name: engine.build(*self.store.index_arrays(name, self.min_quality))
            for name, engine in self.engines.items()
        }
        self.exact = ExactFilter.of(self.store.iter_exact_prefixes())
        self.banks = self.store.banks_by_id()
        self.sequence, self.loaded_from = sequence, "store"

    def save(self) -> None:
        if self.index_path is not None:
            for name, index in self.indexes.items():
                index.save(self._path(name), self.sequence)

    def refresh(self) -> int:
        """Replay changes committed since the index's sequence; returns how many there were."""
        self._refreshed_at = time.monotonic()
        changes = self.store.changes_since(self.sequence)
        self.refreshed_at = time.time()
        if not changes:
            return 0
        touched = sorted({c.entry_id for c in changes if c.entry_id is not None})
        if touched:
            for name, index in self.indexes.items():
                stale = self.store.signal_ids_of_entries(name, touched)
                index.remove(np.array(stale, dtype=np.int64))
                live = [
                    s for s in self.store.iter_live_signals(name, touched) if is_matchable(s.signal, self.min_quality)
                ]
                if live:
                    index.add(*_arrays(live, index.hash_bytes))
            self.exact.add(self.store.iter_exact_values(touched))
        if any(c.entry_id is None and c.kind not in CREDENTIAL_CHANGES for c in changes):
            self.banks = self.store.banks_by_id()
        self.sequence = changes[-1].seq
        for listener in self._listeners:
            listener(changes)
        return len(changes)

    def refresh_if_due(self) -> None:
        if self.refresh_interval is not None and time.monotonic() - self._refreshed_at >= self.refresh_interval:
            self.refresh()

    def on_changes(self, listener: Callable[[list[Change]], object]) -> None:
        """Call `listener` with every batch of changes replayed (the change log carries a few things
        other than entries and banks, such as key revocations)."""
        self._listeners.append(listener)

    def follow(self, interval: float) -> threading.Event:
        """Replay the change log every `interval` seconds in a background thread; set the event to stop.

        A server does this so that no request waits on the change log: new entries match on this
        replica within `interval` (plus the replay itself) of their commit.
        """
        return repeat(self.refresh, interval, "change-log")

    def bank(self, bank_id: int) -> Bank | None:
        return self.banks.get(bank_id)

    def status(self) -> IndexStatus:
        return IndexStatus(
            ", ".join(engine.__name__ for engine in self.engines.values()),
            sum(len(index) for index in self.indexes.values()),
            self.sequence,
            self.store.current_sequence(),
            self.index_path,
            self.loaded_from,
        )


def _arrays(stored: list[StoredSignal], hash_bytes: int) -> tuple[IdArray, HashArray]:
    ids = np.array([s.id for s in stored], dtype=np.int64)
    return ids, hex_to_bytes([s.signal.value for s in stored], hash_bytes)


def verify_index_file(
    store: Store, path: Path, min_quality: int = PDQ_MIN_QUALITY, signal_type_name: str = PDQ.name
) -> list[str]:
    """Problems with a saved index of one signal type: integrity, and contents against the store.
    Empty means sound.

    Entries changed since the file's sequence are left out of the comparison: replaying the
    change log brings them up to date on load.
    """
    kind = signal_type(signal_type_name)
    try:
        saved = read_index_file(path, expected_signal_type=kind.name, hash_bytes=kind.hash_bytes)
    except IndexFileError as exc:
        return [str(exc)]
    problems = []
    store_sequence = store.current_sequence()
    if saved.sequence > store_sequence:
        return [f"the file reflects change {saved.sequence}, but the store has only {store_sequence}"]
    touched = {c.entry_id for c in store.changes_since(saved.sequence) if c.entry_id is not None}
    expected = {
        s.id: s.signal.value
        for s in store.iter_live_signals(kind.name)
        if is_matchable(s.signal, min_quality) and s.entry_id not in touched
    }
    touched_ids = set(store.signal_ids_of_entries(kind.name, sorted(touched))) if touched else set()
    in_file = {
        int(i): bytes(h).hex() for i, h in zip(saved.ids, saved.hashes, strict=True) if int(i) not in touched_ids
    }
    missing = expected.keys() - in_file.keys()
    extra = in_file.keys() - expected.keys()
    wrong = [i for i in expected.keys() & in_file.keys() if expected[i] != in_file[i]]
    if missing:
        problems.append(f"{len(missing)} signals of the store are missing from the file (e.g. id {min(missing)})")
    if extra:
        problems.append(f"{len(extra)} signals in the file are not live in the store (e.g. id {min(extra)})")
    if wrong:
        problems.append(f"{len(wrong)} signals differ between the file and the store (e.g. id {min(wrong)})")
    return problems
