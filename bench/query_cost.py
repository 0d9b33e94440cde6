"""What an image query costs, with and without crop matching, on every 8th core photo: hashing it
(one `query_signals`) and looking its hashes up in 1,000,000 random ones (`MIHPDQIndex`, the engine
a node runs).

The region kernels' cache is warmed by three photos only, as a server's would be by earlier
uploads, so that code from before a change can be timed beside it on the same machine: put that
tree's `src` first on PYTHONPATH.

    PYTHONPATH=src .venv/bin/python bench/query_cost.py
    PYTHONPATH=/path/to/old/tree/src .venv/bin/python bench/query_cost.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from alliance.core.index.mih import MIHPDQIndex
from alliance.core.media.hashing import query_signals
from datasets.photos import photo_set

THRESHOLD = 31


def as_array(signals: list[Any]) -> np.ndarray:
    """The PDQ hashes among `signals`, as the index takes them (one row of 32 bytes each)."""
    joined = b"".join(bytes.fromhex(s.value) for s in signals if s.type == "pdq")
    return np.frombuffer(joined, np.uint8).reshape(-1, 32)


def main() -> None:
    every = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    photos = [p.read_bytes() for p in photo_set("core")[::every]]
    rng = np.random.default_rng(2026)
    n = 1_000_000
    index = MIHPDQIndex.build(np.arange(n, dtype=np.int64), rng.integers(0, 256, (n, 32), dtype=np.uint8))
    for data in photos[:3]:
        for crops in (True, False):
            _, signals, _ = query_signals(data, crops=crops)
            index.query(as_array(signals), THRESHOLD)
    out: dict[str, list[float]] = {}
    for data in photos:
        for key, crops in (("crop", True), ("default", False)):
            start = time.perf_counter()
            _, signals, _ = query_signals(data, crops=crops)
            hashed = time.perf_counter()
            hashes = as_array(signals)
            index.query(hashes, THRESHOLD)
            done = time.perf_counter()
            out.setdefault(f"{key}_hash_ms", []).append(1000 * (hashed - start))
            out.setdefault(f"{key}_lookup_ms", []).append(1000 * (done - hashed))
            out.setdefault(f"{key}_ms", []).append(1000 * (done - start))
            out.setdefault(f"{key}_hashes", []).append(len(hashes))
    print(json.dumps({"photos": len(photos), **{k: round(float(np.mean(v)), 2) for k, v in out.items()}}))


if __name__ == "__main__":
    main()
