"""PDQ range-search engines side by side: MIHPDQIndex against faiss and brute force.

Why: the matching service needs *every* stored hash within distance 31 of a query, fast, at
10^7 hashes on one core. This measures our engine (MIHPDQIndex) against the obvious alternatives
on the same data in the same run, and writes bench/results/match.{json,md}.

Data: uniform random hashes, and a clustered variant (hashes 20-40 bit flips around 1,000
centres, which skews chunk buckets as real collections do). Around query hashes, neighbours are
planted at every distance 0..31, so recall is measured on hits that exist. Ground truth is an
independent brute force (numba, blocked).

Engines: ours; faiss IndexBinaryMultiHash(256, 16, 16) with nflip=1 (the reference for the
speed ratio; not exact at t=31); faiss IndexBinaryFlat range_search; NumPy brute force
(LinearPDQIndex). Slow engines are measured on as many queries as fit in a time cap.
Everything runs on one thread.

    .venv/bin/python bench/match.py            # N = 1e5, 1e6, 1e7 (about 10 minutes)
    .venv/bin/python bench/match.py --quick    # N = 1e5, 1e6, fewer queries (about a minute)
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import ctypes
import gc
import json
import platform
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from numba import njit

from alliance.core.index import mih as mih_index
from alliance.core.index.engine import LinearPDQIndex
from alliance.core.index.mih import MIHPDQIndex, split_widths

THRESHOLD = 31
RESULTS = Path(__file__).parent / "results"
Truth = list[set[tuple[int, int]]]


# Data --------------------------------------------------------------------------------------------


def flip_random_bits(rows: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> None:
    """Flip `counts[i]` random bits of row i in place (a repeated position flips back: fine here)."""
    index = np.arange(len(rows))
    for step in range(int(counts.max(initial=0))):
        chosen = index[counts > step]
        bits = rng.integers(0, 256, len(chosen))
        rows[chosen, bits >> 3] ^= (1 << (7 - (bits & 7))).astype(np.uint8)


def flip_exact(row: np.ndarray, distance: int, rng: np.random.Generator) -> np.ndarray:
    bits = np.unpackbits(row)
    bits[rng.choice(256, distance, replace=False)] ^= 1
    return np.packbits(bits)


def make_data(kind: str, n: int, n_queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n stored hashes and n_queries queries; neighbours at distances 0..31 planted around queries."""
    rng = np.random.default_rng(seed)
    if kind == "uniform":
        hashes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
        queries = rng.integers(0, 256, (n_queries, 32), dtype=np.uint8)
    else:
        centres = rng.integers(0, 256, (1000, 32), dtype=np.uint8)
        hashes = centres[rng.integers(0, 1000, n)]
        flip_random_bits(hashes, rng.integers(20, 41, n), rng)
        queries = centres[rng.integers(0, 1000, n_queries)]
        flip_random_bits(queries, rng.integers(20, 41, n_queries), rng)
    planted_queries = min(n_queries, n // 320)  # planted rows stay at most 10% of the data
    rows = rng.choice(n, planted_queries * 32, replace=False)
    for q in range(planted_queries):
        for distance in range(32):
            hashes[rows[q * 32 + distance]] = flip_exact(queries[q], distance, rng)
    return hashes, queries


_M1, _M2, _M4 = np.uint64(0x5555555555555555), np.uint64(0x3333333333333333), np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@njit(cache=True)
def _brute_force(words, query_words, threshold):  # type: ignore[no-untyped-def]
    """All (query, row, distance) within threshold; blocks of rows stay in cache across queries.

    Popcount by the classic SWAR bit tricks, independent of the engine under test.
    """
    out_q, out_r, out_d = [0], [0], [0]
    limit = np.uint64(threshold)
    block = 4096
    for lo in range(0, words.shape[0], block):
        hi = min(lo + block, words.shape[0])
        for q in range(query_words.shape[0]):
            for row in range(lo, hi):
                d = np.uint64(0)
                for w in range(4):
                    x = words[row, w] ^ query_words[q, w]
                    x = x - ((x >> np.uint64(1)) & _M1)
                    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
                    x = (x + (x >> np.uint64(4))) & _M4
                    d += (x * _H01) >> np.uint64(56)
                if d <= limit:
                    out_q.append(q)
                    out_r.append(row)
                    out_d.append(int(d))
    return np.array(out_q[1:]), np.array(out_r[1:]), np.array(out_d[1:])


def ground_truth(hashes: np.ndarray, queries: np.ndarray) -> Truth:
    q, rows, d = _brute_force(hashes.view(np.uint64), queries.view(np.uint64), THRESHOLD)
    truth: Truth = [set() for _ in range(len(queries))]
    for qi, row, dist in zip(q.tolist(), rows.tolist(), d.tolist(), strict=True):
        truth[qi].add((int(row), int(dist)))
    return truth


# Engines -----------------------------------------------------------------------------------------
# Each engine: build(ids, hashes) -> handle; search(handle, queries) -> list of {(id, distance)}.


def rss_bytes() -> int:
    """Resident bytes now, after handing freed heap back to the system (else reuse hides growth)."""
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Engine:
    name = ""
    exact = True

    def build(self, ids: np.ndarray, hashes: np.ndarray) -> Any: ...
    def search(self, index: Any, queries: np.ndarray) -> list[set[tuple[int, int]]]: ...
    def add(self, index: Any, ids: np.ndarray, hashes: np.ndarray) -> None: ...
    def nbytes(self, index: Any, rss_delta: int, n: int) -> float:
        return rss_delta / n

    def load_seconds(self, index: Any) -> float | None:
        return None


def _split_hits(query: np.ndarray, ids: np.ndarray, dist: np.ndarray, n_queries: int) -> list[set[tuple[int, int]]]:
    out: list[set[tuple[int, int]]] = [set() for _ in range(n_queries)]
    for q, i, d in zip(query.tolist(), ids.tolist(), dist.tolist(), strict=True):
        out[q].add((i, d))
    return out


class Ours(Engine):
    name = "ours (MIHPDQIndex)"

    def __init__(self, tables: int | None = None) -> None:
        self.tables = tables
        if tables:
            self.name = f"ours, m={tables}"

    def build(self, ids: np.ndarray, hashes: np.ndarray) -> MIHPDQIndex:
        if self.tables is None:
            return MIHPDQIndex.build(ids, hashes)
        chosen = mih_index.choose_widths
        mih_index.choose_widths = lambda n, threshold=THRESHOLD: split_widths(self.tables or 11)  # type: ignore[assignment]
        try:
            return MIHPDQIndex.build(ids, hashes)
        finally:
            mih_index.choose_widths = chosen

    def search(self, index: MIHPDQIndex, queries: np.ndarray) -> list[set[tuple[int, int]]]:
        hits = index.query(queries, THRESHOLD)
        return _split_hits(hits.query, hits.ids, hits.distances, len(queries))

    def add(self, index: MIHPDQIndex, ids: np.ndarray, hashes: np.ndarray) -> None:
        index.add(ids, hashes)

    def nbytes(self, index: MIHPDQIndex, rss_delta: int, n: int) -> float:
        return index.nbytes / n

    def load_seconds(self, index: MIHPDQIndex) -> float:
        with tempfile.TemporaryDirectory(dir=RESULTS) as folder:
            path = Path(folder) / "pdq.idx"
            index.save(path, sequence=1)
            start = time.perf_counter()
            loaded, _ = MIHPDQIndex.load(path)
            seconds = time.perf_counter() - start
            del loaded
        return seconds


class FaissBinary(Engine):
    def __init__(self, name: str, factory: Callable[[], Any], exact: bool) -> None:
        self.name, self.factory, self.exact = name, factory, exact

    def build(self, ids: np.ndarray, hashes: np.ndarray) -> Any:
        index = self.factory()
        index.add(hashes)  # faiss numbers rows 0, 1, ...: the ids here
        return index

    def search(self, index: Any, queries: np.ndarray) -> list[set[tuple[int, int]]]:
        lims, dist, ids = index.range_search(queries, THRESHOLD + 1)  # faiss keeps distance < radius
        query = np.repeat(np.arange(len(queries)), np.diff(lims).astype(np.int64))
        return _split_hits(query, ids, dist.astype(np.int64), len(queries))

    def add(self, index: Any, ids: np.ndarray, hashes: np.ndarray) -> None:
        index.add(hashes)


def _multi_hash() -> Any:
    index = faiss.IndexBinaryMultiHash(256, 16, 16)
    index.nflip = 1
    return index


class NumpyBruteForce(Engine):
    name = "NumPy brute force (LinearPDQIndex)"

    def build(self, ids: np.ndarray, hashes: np.ndarray) -> LinearPDQIndex:
        return LinearPDQIndex.build(ids, hashes)

    def search(self, index: LinearPDQIndex, queries: np.ndarray) -> list[set[tuple[int, int]]]:
        hits = index.query(queries, THRESHOLD)
        return _split_hits(hits.query, hits.ids, hits.distances, len(queries))

    def add(self, index: LinearPDQIndex, ids: np.ndarray, hashes: np.ndarray) -> None:
        index.add(ids, hashes)

    def nbytes(self, index: LinearPDQIndex, rss_delta: int, n: int) -> float:
        return 40.0  # an int64 id and a 32-byte hash, nothing else


# Measurement -------------------------------------------------------------------------------------


def measure(engine: Engine, hashes: np.ndarray, queries: np.ndarray, truth: Truth, time_cap: float) -> dict[str, Any]:
    n = len(hashes)
    ids = np.arange(n, dtype=np.int64)
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    index = engine.build(ids, hashes)
    build = time.perf_counter() - start
    bytes_per_hash = engine.nbytes(index, rss_bytes() - before, n)  # before the add below grows it
    engine.search(index, queries[:1])  # warm up (compiles nothing for ours: numba caches on disk)

    latencies, found = [], []
    deadline = time.perf_counter() + time_cap
    for q in range(len(queries)):
        start = time.perf_counter()
        found.append(engine.search(index, queries[q : q + 1])[0])
        latencies.append(time.perf_counter() - start)
        if time.perf_counter() > deadline and q >= 9:
            break
    measured = len(latencies)
    batch = len(queries) if measured == len(queries) else measured
    start = time.perf_counter()
    batch_found = engine.search(index, queries[:batch])
    batch_seconds = time.perf_counter() - start
    wanted = sum(len(truth[q]) for q in range(measured))
    got = sum(len(found[q] & truth[q]) for q in range(measured))
    wrong = sum(len(found[q] - truth[q]) for q in range(measured))
    batch_same = all(batch_found[q] == found[q] for q in range(batch))

    rng = np.random.default_rng(1)
    extra = rng.integers(0, 256, (10_000, 32), dtype=np.uint8)
    start = time.perf_counter()
    engine.add(index, np.arange(n, n + 10_000, dtype=np.int64), extra)
    add = time.perf_counter() - start
    load = engine.load_seconds(index)
    del index
    gc.collect()
    lat = np.array(latencies)
    return {
        "engine": engine.name,
        "recall": got / wanted if wanted else 1.0,
        "false_hits": wrong,
        "batch_equals_single": batch_same,
        "queries_measured": measured,
        "qps_batch1": measured / float(lat.sum()),
        "batch_size": batch,
        "qps_batch": batch / batch_seconds,
        "p50_ms": float(np.percentile(lat, 50) * 1e3),
        "p99_ms": float(np.percentile(lat, 99) * 1e3),
        "build_s": build,
        "add10k_s": add,
        "load_s": load,
        "bytes_per_hash": bytes_per_hash,
    }


def sweep(hashes: np.ndarray, queries: np.ndarray, truth: Truth, tables: list[int]) -> list[dict[str, Any]]:
    """Our engine with the chunk count forced, to show why the cost model's choice wins."""
    rows = []
    for m in tables:
        row = measure(Ours(m), hashes, queries, truth, time_cap=10)
        row["tables"] = m
        rows.append(row)
        print(f"  sweep m={m}: {row['qps_batch1']:.0f} q/s, {row['bytes_per_hash']:.0f} B/hash", flush=True)
    return rows


# Report ------------------------------------------------------------------------------------------

COLUMNS = [
    ("data", "{}"),
    ("N", "{:,}"),
    ("engine", "{}"),
    ("recall", "{:.4f}"),
    ("q/s b1", "{:,.0f}"),
    ("q/s batch", "{:,.0f}"),
    ("batch", "{}"),
    ("p50 ms", "{:.3f}"),
    ("p99 ms", "{:.3f}"),
    ("build s", "{:.2f}"),
    ("add 10k s", "{:.3f}"),
    ("load s", "{}"),
    ("B/hash", "{:.0f}"),
    ("x MultiHash", "{:.1f}"),
]


def markdown(results: list[dict[str, Any]], meta: dict[str, Any], sweeps: list[dict[str, Any]]) -> str:
    lines = [
        "# PDQ range search, threshold 31, one thread",
        "",
        f"{meta['machine']}; queries per run: {meta['queries']}; slow engines capped at {meta['time_cap_s']} s "
        "of batch-1 queries (the batch column then uses that many queries). `x MultiHash` is the batch-1 q/s "
        "ratio to faiss IndexBinaryMultiHash(256, 16, 16), nflip=1, on the same data. B/hash: array bytes "
        "for ours and NumPy, RSS growth for faiss.",
        "",
        "| " + " | ".join(name for name, _ in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for r in results:
        values = [
            r["data"],
            r["N"],
            r["engine"],
            r["recall"],
            r["qps_batch1"],
            r["qps_batch"],
            r["batch_size"],
            r["p50_ms"],
            r["p99_ms"],
            r["build_s"],
            r["add10k_s"],
            "-" if r["load_s"] is None else f"{r['load_s']:.2f}",
            r["bytes_per_hash"],
            r["ratio_to_multihash"],
        ]
        lines.append("| " + " | ".join(fmt.format(v) for (_, fmt), v in zip(COLUMNS, values, strict=True)) + " |")
    if sweeps:
        lines += [
            "",
            "## Chunk count m for our engine (uniform data, largest N)",
            "",
            "| m | chunk bits | q/s b1 | p99 ms | build s | B/hash |",
            "|---|---|---|---|---|---|",
        ]
        for s in sweeps:
            bits = sorted(set(split_widths(s["tables"])))
            lines.append(
                f"| {s['tables']} | {'/'.join(map(str, bits))} | {s['qps_batch1']:,.0f} | {s['p99_ms']:.3f} "
                f"| {s['build_s']:.2f} | {s['bytes_per_hash']:.0f} |"
            )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 1e5 and 1e6 only, fewer queries")
    parser.add_argument("--sizes", type=lambda s: [int(float(x)) for x in s.split(",")], help="e.g. 1e5,1e6")
    parser.add_argument("--data", default="uniform,clustered", help="comma-separated: uniform, clustered")
    args = parser.parse_args()
    faiss.omp_set_num_threads(1)
    sizes = args.sizes or ([100_000, 1_000_000] if args.quick else [100_000, 1_000_000, 10_000_000])
    n_queries = 200 if args.quick else 1000
    time_cap = 3.0 if args.quick else 15.0
    RESULTS.mkdir(parents=True, exist_ok=True)
    meta = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, "
        f"faiss {faiss.__version__}",
        "queries": n_queries,
        "time_cap_s": time_cap,
        "threshold": THRESHOLD,
        "quick": args.quick,
    }
    results: list[dict[str, Any]] = []
    sweeps: list[dict[str, Any]] = []
    for kind in args.data.split(","):
        for n in sizes:
            print(f"{kind} N={n:,}: data and ground truth...", flush=True)
            hashes, queries = make_data(kind, n, n_queries, seed=n)
            truth = ground_truth(hashes, queries)
            engines: list[Engine] = [
                Ours(),
                FaissBinary("faiss MultiHash(256,16,16) nflip=1", _multi_hash, exact=False),
                FaissBinary("faiss IndexBinaryFlat", lambda: faiss.IndexBinaryFlat(256), exact=True),
                NumpyBruteForce(),
            ]
            rows = []
            for engine in engines:
                row = measure(engine, hashes, queries, truth, time_cap)
                row.update(data=kind, N=n)
                rows.append(row)
                print(
                    f"  {engine.name}: recall {row['recall']:.4f}, {row['qps_batch1']:,.0f} q/s, "
                    f"p99 {row['p99_ms']:.2f} ms, build {row['build_s']:.2f} s",
                    flush=True,
                )
            reference = next(r["qps_batch1"] for r in rows if r["engine"].startswith("faiss MultiHash"))
            for row in rows:
                row["ratio_to_multihash"] = row["qps_batch1"] / reference
            results.extend(rows)
            if kind == "uniform" and n == sizes[-1] and not args.quick:
                sweeps = sweep(hashes, queries, truth, [10, 11, 12, 13, 16])
            del hashes, queries, truth
            gc.collect()
    (RESULTS / "match.json").write_text(json.dumps({"meta": meta, "results": results, "sweep": sweeps}, indent=2))
    table = markdown(results, meta, sweeps)
    (RESULTS / "match.md").write_text(table)
    print()
    print(table)


if __name__ == "__main__":
    main()
