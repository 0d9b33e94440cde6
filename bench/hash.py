"""Hashing speed and conformance: the reference path against our default (fast) path.

Why: a seized collection can hold millions of files and a platform hashes every upload, so images
per second per core is what hashing costs; and a fast hash is only useful if it stays within the PDQ
conformance rule (for PDQ quality >= 80, within Hamming distance 10 of the reference).

Test images are benign photos (the fixture photo set, or the demo photos) resized to 640x480,
1024x768, 1920x1080 and 4000x3000 and written as JPEG (quality 90), PNG and WebP (quality 90) to a
temporary directory; each file is hashed from disk, as `alliance hash` does (md5/sha1/sha256
included), by both paths in the same run:

* reference: `hash_file(path, exact_reference=True, views=False)`: full Pillow decode, pdqhash
  (Meta's C++);
* ours (default): `hash_file(path, views=False)`: reduced decode + our PDQ (alliance.core.media.pdq).

Both without the views a bank entry stores (`alliance hash` computes none; adding an entry costs a
normalised view more, ~0.4 ms: bench/results/robustness.md).

Speed is images/s on one core (a loop in this process) and on all cores (a warm process pool of
`os.cpu_count()` workers, as `hash_files(jobs=N)` runs). Distance is ours against the reference per
image: mean, p95 and max, for reference quality >= 80 and for all, with border trimming off
(conformance is a property of the hash; the "trimmed" column counts the images whose default hash
is of the picture inside a uniform border, a deliberate difference). Writes bench/results/hash.{json,md}.

    .venv/bin/python bench/hash.py            # fixture photos, every size and format (~10 minutes)
    .venv/bin/python bench/hash.py --quick    # demo photos, two sizes (~30 s)
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import functools
import io
import json
import math
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).parent))

from alliance.core.media.hashing import MediaHashes, hash_image
from alliance.services.hashing import FileResult, chunk_size, hash_file
from datasets.photos import photo_set

RESULTS = Path(__file__).parent / "results"
SIZES = [(640, 480), (1024, 768), (1920, 1080), (4000, 3000)]
FORMATS: dict[str, tuple[str, dict[str, Any]]] = {
    "JPEG": ("jpg", {"quality": 90}),
    "PNG": ("png", {}),
    "WebP": ("webp", {"quality": 90}),
}
CONFORMANCE = 10


def write_images(photos: list[Path], size: tuple[int, int], fmt: str, folder: Path) -> list[Path]:
    suffix, options = FORMATS[fmt]
    paths = []
    for i, photo in enumerate(photos):
        image = Image.open(photo).convert("RGB").resize(size, Image.Resampling.LANCZOS)
        out = io.BytesIO()
        image.save(out, format=fmt.upper(), **options)
        path = folder / f"{i:03d}-{size[0]}x{size[1]}.{suffix}"
        path.write_bytes(out.getvalue())
        paths.append(path)
    return paths


def rate_one_core(work: Callable[[Path], FileResult], paths: list[Path], min_seconds: float) -> float:
    """Images per second hashing `paths` in this process, repeated until `min_seconds` have passed."""
    work(paths[0])  # warm: numba's cached kernels, Pillow's plugins
    done, start = 0, time.perf_counter()
    while True:
        for path in paths:
            work(path)
        done += len(paths)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            return done / elapsed


def rate_all_cores(pool: ProcessPoolExecutor, exact: bool, paths: list[Path], min_seconds: float, jobs: int) -> float:
    """Images per second hashing `paths` over and over on a warm pool of `jobs` workers, fed as one
    stream chunked as `hash_files` chunks it: no worker waits between rounds, only once at the
    stream's end. (Rounds of `paths` with a wait after each left a worker idle at every round's
    end: 15-25% under the rate.)"""
    work = functools.partial(hash_file, exact_reference=exact, views=False)
    list(pool.map(work, paths[:jobs] * 2))  # warm every worker
    started = time.perf_counter()
    assert all(result.ok for result in pool.map(work, paths))  # a first guess at the rate, to size the stream
    rounds = max(1, math.ceil(min_seconds / (time.perf_counter() - started)))
    stream = paths * rounds
    started = time.perf_counter()
    for result in pool.map(work, stream, chunksize=chunk_size(len(stream), jobs)):
        assert result.ok, result.error
    return len(stream) / (time.perf_counter() - started)


def pdq_of_hashes(hashes: MediaHashes) -> tuple[int, int]:
    signal = hashes.get("pdq")
    assert signal is not None and signal.quality is not None
    return int(signal.value, 16), signal.quality


def stats(values: list[int]) -> dict[str, float]:
    if not values:
        return {"n": 0, "mean": float("nan"), "p95": float("nan"), "max": float("nan")}
    array = np.array(values)
    return {
        "n": len(values),
        "mean": float(array.mean()),
        "p95": float(np.percentile(array, 95)),
        "max": int(array.max()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="demo photos, 640x480 and 1024x768 JPEG/PNG/WebP")
    parser.add_argument(
        "--photos", choices=["demo", "fixture", "core"], help="photo set (default fixture; quick: demo)"
    )
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="workers for the all-cores rate")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    photos = photo_set(args.photos or ("demo" if args.quick else "fixture"))
    sizes = SIZES[:2] if args.quick else SIZES
    min_seconds = 0.5 if args.quick else 2.0
    timed_photos = {size: photos[: 12 if size[0] >= 4000 else 24] for size in sizes}
    rows: list[dict[str, Any]] = []
    all_distances: dict[str, list[int]] = {"q80": [], "all": []}
    jobs = max(1, args.jobs)
    reference = functools.partial(hash_file, exact_reference=True, views=False)
    ours = functools.partial(hash_file, views=False)
    with tempfile.TemporaryDirectory(prefix="alliance-bench-hash-") as tmp, ProcessPoolExecutor(jobs) as pool:
        for fmt in FORMATS:
            for size in sizes:
                folder = Path(tmp) / f"{fmt}-{size[0]}"
                folder.mkdir()
                # every photo for the distances; a subset (for time) for the rates
                paths = write_images(photos if size[0] < 4000 else timed_photos[size], size, fmt, folder)
                q80: list[int] = []
                every: list[int] = []
                trimmed = 0
                for path in paths:
                    data = path.read_bytes()
                    ref, quality = pdq_of_hashes(hash_image(data, exact_reference=True, views=False))
                    # conformance is a property of the hashing algorithm: compared untrimmed
                    untrimmed, _ = pdq_of_hashes(hash_image(data, trim_borders=False, views=False))
                    trimmed += pdq_of_hashes(hash_image(data, views=False))[0] != untrimmed
                    d = (ref ^ untrimmed).bit_count()
                    every.append(d)
                    if quality >= 80:
                        q80.append(d)
                timed = paths[: len(timed_photos[size])]
                row = {
                    "format": fmt,
                    "size": f"{size[0]}x{size[1]}",
                    "images": len(paths),
                    "ref_1core": rate_one_core(reference, timed, min_seconds),
                    "ours_1core": rate_one_core(ours, timed, min_seconds),
                    "ref_all": rate_all_cores(pool, True, timed, min_seconds, jobs),
                    "ours_all": rate_all_cores(pool, False, timed, min_seconds, jobs),
                    "trimmed": trimmed,
                    "distance_q80": stats(q80),
                    "distance_all": stats(every),
                }
                row["ratio_1core"] = row["ours_1core"] / row["ref_1core"]
                row["ratio_all"] = row["ours_all"] / row["ref_all"]
                rows.append(row)
                all_distances["q80"] += q80
                all_distances["all"] += every
                print(
                    f"{fmt:5} {row['size']:>9}: reference {row['ref_1core']:7.1f}/s, ours {row['ours_1core']:7.1f}/s "
                    f"(x{row['ratio_1core']:.1f}); {jobs} cores {row['ref_all']:7.1f}/s vs {row['ours_all']:7.1f}/s; "
                    f"distance q>=80 mean {row['distance_q80']['mean']:.2f} max {row['distance_q80']['max']}",
                    flush=True,
                )
    summary = {"q80": stats(all_distances["q80"]), "all": stats(all_distances["all"])}
    within = all(d <= CONFORMANCE for d in all_distances["q80"])
    report = {
        "machine": {"cpu_count": os.cpu_count(), "jobs": jobs, "python": platform.python_version()},
        "photos": len(photos),
        "quick": args.quick,
        "rows": rows,
        "distance_summary": summary,
        "conformant": within,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "hash.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "hash.md").write_text(markdown(report))
    print(f"conformance (quality >= 80 within {CONFORMANCE}): {'yes' if within else 'NO'}; wrote {args.out}/hash.md")


def markdown(report: dict[str, Any]) -> str:
    jobs = report["machine"]["jobs"]
    lines = [
        "# Hashing speed and conformance",
        "",
        f"`bench/hash.py{' --quick' if report['quick'] else ''}`: {report['photos']} benign photos resized and "
        f"encoded per row; each file hashed from disk (PDQ + md5/sha1/sha256). Reference = full decode + "
        f"pdqhash (`--exact-reference`); ours = the default path. Rates in images/s; {jobs} cores = "
        "a warm process pool.",
        "",
        f"| format | size | reference 1 core | ours 1 core | ratio | reference {jobs} cores | ours {jobs} cores "
        "| ratio | distance q>=80 mean / p95 / max | distance all mean / p95 / max | trimmed |",
        "|---|---|--:|--:|--:|--:|--:|--:|---|---|--:|",
    ]

    def dist(s: dict[str, float]) -> str:
        return f"{s['mean']:.2f} / {s['p95']:.0f} / {s['max']} (n={s['n']})" if s["n"] else "-"

    for r in report["rows"]:
        lines.append(
            f"| {r['format']} | {r['size']} | {r['ref_1core']:.1f} | {r['ours_1core']:.1f} | "
            f"{r['ratio_1core']:.1f}x | {r['ref_all']:.1f} | {r['ours_all']:.1f} | {r['ratio_all']:.1f}x | "
            f"{dist(r['distance_q80'])} | {dist(r['distance_all'])} | {r['trimmed']} |"
        )
    s = report["distance_summary"]
    lines += [
        "",
        f"All images: distance to the reference for quality >= 80: {dist(s['q80'])}; all: {dist(s['all'])}. "
        f"Conformance rule (quality >= 80 within 10): {'met' if report['conformant'] else 'NOT met'}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
