"""What an image query costs to hash, with and without crop matching, on every 8th core photo.

One `query_signals` call per photo (the region kernels' cache warmed by three photos only, as a
server's would be by earlier uploads), so that code from before a change can be timed beside it on
the same machine: put that tree's `src` first on PYTHONPATH.

    PYTHONPATH=src .venv/bin/python bench/query_cost.py
    PYTHONPATH=/path/to/old/tree/src .venv/bin/python bench/query_cost.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

from alliance.core.media.hashing import query_signals
from datasets.photos import photo_set


def main() -> None:
    every = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    photos = [p.read_bytes() for p in photo_set("core")[::every]]
    for data in photos[:3]:
        query_signals(data, crops=True)
        query_signals(data, crops=False)
    out: dict[str, list[float]] = {"crop_ms": [], "default_ms": [], "crop_hashes": [], "default_hashes": []}
    for data in photos:
        for key, crops in (("crop", True), ("default", False)):
            start = time.perf_counter()
            _, signals, _ = query_signals(data, crops=crops)
            out[f"{key}_ms"].append(1000 * (time.perf_counter() - start))
            out[f"{key}_hashes"].append(len([s for s in signals if s.type == "pdq"]))
    print(json.dumps({"photos": len(photos), **{k: round(float(np.mean(v)), 2) for k, v in out.items()}}))


if __name__ == "__main__":
    main()
