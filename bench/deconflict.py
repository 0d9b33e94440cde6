"""Deconfliction of a seized collection: items per second on one core, and the memory it takes.

Why: a case's intake answers, for every item at once, whether a bank knows it and whether a series or
another agency's case holds it. A seized collection is 10^5-10^6 items; the node holds 10^7 bank
entries and 10^5 series. Per-item store queries would take hours; this measures the design that
should not (docs/decisions/0008-investigations.md).

Two parts, in one run:
  1. **lookup**, at full scale, in-process: the matcher's prefix filter of every bank digest
     (`ExactFilter.might_hold_many`), the bank PDQ index (MIH), and the series/case item index
     (`ItemIndex`: sorted 64-bit keys for exact hashes, MIH for PDQ), over a case of N items (md5
     and sha1 each, a share with PDQ: pictures hashed in memory). This is what grows with the node.
  2. **service**, end to end on SQLite at a small scale: `DeconflictionService.intake` (the above,
     plus resolving the hits in the store, the policy decisions, writing the case's items and
     findings, the audit event), to show what the store adds per item.

Hits are planted: a share of the case's items are bank entries (exact copies) or series items
(exact copies, and PDQ copies a few bits away), so that the hit paths run too; every planted hit
must be found (the run stops otherwise). One thread (NUMBA_NUM_THREADS=1).

    .venv/bin/python bench/deconflict.py            # 10^7 bank entries, 10^5 series, 10^6 items
    .venv/bin/python bench/deconflict.py --quick    # 10^5, 10^3, 10^4 (seconds)
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse
import ctypes
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from alliance.core.access import SYSTEM, BankAction, OrgKind, Principal, Role, ShareRule, SharingPolicy  # noqa: E402
from alliance.core.index.exact_filter import ExactFilter  # noqa: E402
from alliance.core.index.item_index import ExactKeys, ItemIndex  # noqa: E402
from alliance.core.index.mih import MIHPDQIndex  # noqa: E402
from alliance.core.investigations import NewItem  # noqa: E402
from alliance.core.signals import Signal  # noqa: E402
from alliance.formats.records import MediaRecord  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PDQ_SHARE = 0.1  # case items that come with a PDQ hash (pictures hashed in memory)
BANK_HIT_SHARE = 0.05
SERIES_HIT_SHARE = 0.02
SERIES_ITEMS = 10  # per series


def rss_bytes() -> int:
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def digests(rng: np.random.Generator, n: int, nbytes: int) -> np.ndarray:
    return rng.integers(0, 256, size=(n, nbytes), dtype=np.uint8)


def prefix64(rows: np.ndarray) -> np.ndarray:
    return rows[:, :8].copy().view(">u8").ravel().astype(np.uint64)


def flip(rng: np.random.Generator, hashes: np.ndarray, bits: int) -> np.ndarray:
    out = hashes.copy()
    for row in out:
        for b in rng.choice(256, size=bits, replace=False):
            row[b // 8] ^= 1 << (7 - b % 8)
    return out


def warm_up() -> None:
    """Compile the index's numba kernels before any clock starts."""
    rng = np.random.default_rng(0)
    small = MIHPDQIndex.build(np.arange(1, 1001, dtype=np.int64), digests(rng, 1000, 32))
    small.query(digests(rng, 10, 32), 31)


def lookup_run(bank_n: int, series_n: int, case_n: int, seed: int = 1) -> dict[str, float | int]:
    warm_up()
    rng = np.random.default_rng(seed)
    base = rss_bytes()
    t0 = time.perf_counter()
    bank_md5, bank_sha1 = digests(rng, bank_n, 16), digests(rng, bank_n, 20)
    bank_filter = ExactFilter(np.concatenate([prefix64(bank_md5), prefix64(bank_sha1)]))
    bank_pdq = digests(rng, bank_n, 32)
    bank_index = MIHPDQIndex.build(np.arange(1, bank_n + 1, dtype=np.int64), bank_pdq)
    bank_built, bank_rss = time.perf_counter() - t0, rss_bytes() - base

    items_n = series_n * SERIES_ITEMS
    t0 = time.perf_counter()
    s_md5, s_sha1, s_pdq = digests(rng, items_n, 16), digests(rng, items_n, 20), digests(rng, items_n, 32)
    ids = np.arange(1, items_n + 1, dtype=np.int64)
    item_index = ItemIndex(
        {"md5": ExactKeys(prefix64(s_md5), ids), "sha1": ExactKeys(prefix64(s_sha1), ids)},
        {"pdq": MIHPDQIndex.build(ids, s_pdq)},
    )
    items_built, items_rss = time.perf_counter() - t0, rss_bytes() - base - bank_rss

    # The case: fresh digests, with planted hits.
    c_md5, c_sha1 = digests(rng, case_n, 16), digests(rng, case_n, 20)
    bank_hits = rng.choice(case_n, int(case_n * BANK_HIT_SHARE), replace=False)
    c_md5[bank_hits] = bank_md5[rng.choice(bank_n, len(bank_hits), replace=False)]
    rest = np.setdiff1d(np.arange(case_n), bank_hits)
    series_hits = rng.choice(rest, int(case_n * SERIES_HIT_SHARE), replace=False)
    exact_series, near_series = series_hits[: len(series_hits) // 2], series_hits[len(series_hits) // 2 :]
    c_sha1[exact_series] = s_sha1[rng.choice(items_n, len(exact_series), replace=False)]
    with_pdq = np.union1d(rng.choice(case_n, int(case_n * PDQ_SHARE), replace=False), near_series)
    c_pdq = digests(rng, case_n, 32)
    c_pdq[near_series] = flip(rng, s_pdq[rng.choice(items_n, len(near_series), replace=False)], 6)
    pdq_rows = set(with_pdq.tolist())
    signals: list[Signal] = []
    for i in range(case_n):
        signals.append(Signal("md5", c_md5[i].tobytes().hex()))
        signals.append(Signal("sha1", c_sha1[i].tobytes().hex()))
        if i in pdq_rows:
            signals.append(Signal("pdq", c_pdq[i].tobytes().hex(), 100))
    exact = [s for s in signals if s.type != "pdq"]
    pdq = [s for s in signals if s.type == "pdq"]

    # CPU time of this process: the machine is shared, and "one core" is what the design must fit.
    wall0, t0 = time.perf_counter(), time.process_time()
    held = bank_filter.might_hold_many([s.value for s in exact])
    t_bank_exact = time.process_time() - t0
    t0 = time.process_time()
    pdq_bytes = np.frombuffer(bytes.fromhex("".join(s.value for s in pdq)), np.uint8).reshape(-1, 32)
    bank_near = bank_index.query(pdq_bytes, 31)
    t_bank_pdq = time.process_time() - t0
    t0 = time.process_time()
    exact_hits = item_index.lookup(exact)
    t_items_exact = time.process_time() - t0
    t0 = time.process_time()
    near_hits = item_index.lookup(pdq)
    t_items_pdq = time.process_time() - t0
    wall = time.perf_counter() - wall0
    t_items = t_items_exact + t_items_pdq
    exact_at = {id(s): n for n, s in enumerate(signals)}
    hits = [exact_at[id(exact[h.query])] for h in exact_hits] + [exact_at[id(pdq[h.query])] for h in near_hits]

    assert int(held.sum()) >= len(bank_hits), "a planted bank hit was missed"
    found_items = set(hits)
    assert len(found_items) >= len(series_hits), "a planted series hit was missed"
    total = t_bank_exact + t_bank_pdq + t_items
    return {
        "bank_entries": bank_n,
        "series": series_n,
        "series_items": items_n,
        "case_items": case_n,
        "case_signals": len(signals),
        "case_pdq": len(pdq),
        "bank_build_s": round(bank_built, 1),
        "items_build_s": round(items_built, 1),
        "bank_mb": round(bank_rss / 2**20),
        "items_mb": round(items_rss / 2**20),
        "bank_exact_s": round(t_bank_exact, 2),
        "bank_pdq_s": round(t_bank_pdq, 2),
        "items_s": round(t_items, 2),
        "items_exact_s": round(t_items_exact, 2),
        "items_per_s": round(case_n / total),
        "items_per_s_exact_only": round(case_n / (t_bank_exact + t_items_exact)),
        "wall_s": round(wall, 1),
        "bank_hits_found": int(held.sum()),
        "bank_pdq_hits": len(bank_near),
        "series_hits_found": len(found_items),
    }


def service_run(bank_n: int, series_n: int, case_n: int) -> dict[str, float | int]:
    """The whole intake through the node on SQLite: lookups, the store, policies, findings, audit."""
    from alliance.node import Node
    from alliance.settings import Settings

    rng = np.random.default_rng(2)
    with tempfile.TemporaryDirectory() as tmp:
        node = Node(Settings(home=Path(tmp), default_required_grades=0, hash_jobs=1))
        hotline = node.accounts.create_organisation(SYSTEM, "Hotline", "GB", OrgKind.HOTLINE)
        police = [
            node.accounts.create_organisation(SYSTEM, f"Police {c}", c, OrgKind.LAW_ENFORCEMENT) for c in ["GB", "DE"]
        ]
        analyst = Principal(hotline.id, hotline.name, "GB", frozenset({Role.ANALYST}), name="analyst")
        a = Principal(police[0].id, police[0].name, "GB", frozenset({Role.INVESTIGATOR}), name="a")
        b = Principal(police[1].id, police[1].name, "DE", frozenset({Role.INVESTIGATOR}), name="b")
        banks = node.banks_for(analyst)
        banks.create_bank("known", policy=SharingPolicy({BankAction.MATCH: ShareRule(countries=frozenset({"GB"}))}))
        bank_md5 = [digests(rng, 1, 16)[0].tobytes().hex() for _ in range(bank_n)]
        banks.import_records("known", [MediaRecord((Signal("md5", v),)) for v in bank_md5])
        b_service = node.investigations_for(b)
        series_md5 = []
        for s in range(series_n):
            series = b_service.create_series(f"series {s}")
            values = [digests(rng, 1, 16)[0].tobytes().hex() for _ in range(SERIES_ITEMS)]
            series_md5 += values
            b_service.add_items(series.id, [NewItem((Signal("md5", v),)) for v in values])
        case = node.investigations_for(a).open_case("GB-1")
        items = []
        for i in range(case_n):
            if i % 20 == 0:
                value = bank_md5[i % bank_n]
            elif i % 50 == 1:
                value = series_md5[i % len(series_md5)]
            else:
                value = digests(rng, 1, 16)[0].tobytes().hex()
            items.append(NewItem((Signal("md5", value), Signal("sha1", digests(rng, 1, 20)[0].tobytes().hex()))))
        node.item_index.current()  # built before the clock starts, as a running node holds it
        node.matcher.index.refresh_if_due()
        t0, wall0 = time.process_time(), time.perf_counter()
        report = node.deconfliction_for(a).intake(case.id, items, keep_results=False)
        elapsed, wall = time.process_time() - t0, time.perf_counter() - wall0
        node.close()
    return {
        "bank_entries": bank_n,
        "series": series_n,
        "case_items": case_n,
        "seconds": round(elapsed, 2),
        "wall_s": round(wall, 2),
        "items_per_s": round(case_n / elapsed),
        "findings": dict(report.counts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10^5 bank entries, 10^3 series, 10^4 items")
    parser.add_argument("--bank", type=int, default=None)
    parser.add_argument("--series", type=int, default=None)
    parser.add_argument("--items", type=int, default=None)
    args = parser.parse_args()
    scale = (100_000, 1_000, 10_000) if args.quick else (10_000_000, 100_000, 1_000_000)
    bank_n, series_n, case_n = args.bank or scale[0], args.series or scale[1], args.items or scale[2]
    lookup = lookup_run(bank_n, series_n, case_n)
    print(json.dumps(lookup, indent=2))
    service = service_run(20_000, 200, 5_000) if not args.quick else service_run(2_000, 20, 1_000)
    print(json.dumps(service, indent=2))
    RESULTS.mkdir(exist_ok=True)
    name = "deconflict-quick" if args.quick else "deconflict"
    (RESULTS / f"{name}.json").write_text(json.dumps({"lookup": lookup, "service": service}, indent=2) + "\n")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, numpy {np.__version__}, one thread"
    lines = [
        "# Deconfliction of a case: items per second on one core, and memory",
        "",
        f"{machine}. `bench/deconflict.py{' --quick' if args.quick else ''}`.",
        "",
        "## Lookup at scale (in-process)",
        "",
        "| bank entries | series (items) | case items (signals, PDQ) | bank index MB | item index MB | "
        "bank exact s | bank PDQ s | series/cases s | items/s | items/s, hash lists only |",
        "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
        f"| {lookup['bank_entries']:,} | {lookup['series']:,} ({lookup['series_items']:,}) | "
        f"{lookup['case_items']:,} ({lookup['case_signals']:,}, {lookup['case_pdq']:,}) | {lookup['bank_mb']:,} | "
        f"{lookup['items_mb']:,} | {lookup['bank_exact_s']} | {lookup['bank_pdq_s']} | {lookup['items_s']} | "
        f"{lookup['items_per_s']:,} | {lookup['items_per_s_exact_only']:,} |",
        "",
        "Seconds are CPU seconds of the one process (the machine is shared; wall time of the lookups "
        f"{lookup['wall_s']} s). Build (wall): bank filter and PDQ index {lookup['bank_build_s']} s, item index "
        f"{lookup['items_build_s']} s. Memory: resident growth while each was built. "
        f"Planted hits found: bank {lookup['bank_hits_found']:,}, series {lookup['series_hits_found']:,}.",
        "",
        "## The whole intake through the node (SQLite)",
        "",
        "CPU seconds; the node's store, policies, findings and audit included.",
        "",
        "| bank entries | series | case items | s | items/s | findings |",
        "|--:|--:|--:|--:|--:|---|",
        f"| {service['bank_entries']:,} | {service['series']:,} | {service['case_items']:,} | {service['seconds']} | "
        f"{service['items_per_s']:,} | {service['findings']} |",
        "",
    ]
    (RESULTS / f"{name}.md").write_text("\n".join(lines))


if __name__ == "__main__":
    main()
