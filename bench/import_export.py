"""Streaming import and export of hash lists: lines per second and peak memory, per format and size.

    python bench/import_export.py [--sizes 1000000 5000000] [--formats pdq-txt te-csv ...] [--quick]

For each format and size, a list of N distinct random PDQ hashes (with quality and a file name;
te-csv and VICS records also carry an MD5) is written to a file, then each step runs in a fresh
process on a fresh SQLite store so its peak resident memory (`ru_maxrss`) is its own:
  - read (reference): the format's reader over the file, nothing stored;
  - import: `alliance bank import` as the CLI does it (`BankService.import_stream`, one transaction);
  - export: `alliance bank export --all` to a file (`BankService.export_stream`);
  - write (reference): the format's writer over the same records made in memory, nothing read.
Import is reported against reading the file alone, export against writing it alone: the ratios
are what storing and reading back cost on this machine, whatever else it is running. Each size
also gets a floor: the same entry and signal rows put into a bare SQLite copy of the two tables
(same indexes) with `sqlite3` executemany, 2,000 at a time, in one transaction.
Rates are wall-clock lines (records) per second, and per CPU second of the step's process, which
moves less when the machine is shared. The target: a 5,000,000-line list imports and exports
within 1 GB. Results: bench/results/import.* (--quick: import-quick.*, 20,000 and 100,000 lines).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from alliance.core.signals import Signal  # noqa: E402
from alliance.formats.records import MediaRecord  # noqa: E402
from alliance.formats.registry import FORMATS, get_format  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LIMIT_MB = 1024
STEPS = ("read", "import", "export", "write")
FLOOR_BATCH = 2000


def records(count: int, fmt: str, seed: int = 7) -> Iterator[MediaRecord]:
    """`count` distinct PDQ records (a counter in the first 8 bytes keeps them distinct)."""
    rng = np.random.default_rng(seed)
    with_md5 = fmt in ("te-csv", "vics-json")
    for start in range(0, count, 10_000):
        block = rng.integers(0, 256, size=(min(10_000, count - start), 48), dtype=np.uint8)
        for offset, row in enumerate(block):
            n = start + offset
            raw = n.to_bytes(8, "big") + bytes(row[:24])
            signals = (Signal("pdq", raw.hex(), 90),)
            if with_md5:
                signals = (Signal("md5", bytes(row[24:40]).hex()), *signals)
            yield MediaRecord(signals, {"filename": f"img_{n:08d}.jpg"})


def write_list(path: Path, fmt: str, count: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        get_format(fmt).write_to(records(count, fmt), out)


def child(step: str, fmt: str, source: Path, home: Path, size: int) -> None:
    """One measured step in this process; prints seconds, CPU seconds, records and peak RSS as JSON."""
    from alliance.core.access import SYSTEM
    from alliance.node import Node
    from alliance.settings import Settings

    reader = get_format(fmt)
    if step in ("import", "export"):
        settings = Settings(home=home, database_url=None, default_required_grades=0)
        banks = Node(settings, refresh_interval=None).banks_for(SYSTEM)
    started, cpu = time.perf_counter(), time.process_time()
    if step == "read":
        with source.open("rb") as stream:
            count = sum(1 for _ in reader.stream(stream))
    elif step == "write":
        with source.with_suffix(".written").open("w", encoding="utf-8", newline="") as out:
            reader.write_to(records(size, fmt), out)
        count = size
    elif step == "import":
        banks.create_bank("bench")
        with source.open("rb") as stream:
            summary = banks.import_stream("bench", reader.stream(stream))
        count = summary.added
        assert summary.read == summary.added, summary
    elif step == "export":
        with source.with_suffix(".out").open("w", encoding="utf-8", newline="") as out:
            reader.write_to(banks.export_stream("bench", status=None), out)
        count = size
    else:
        count = sqlite_floor(home / "floor.db", size)
    print(json.dumps(_measured(started, cpu, count)))


def _measured(started: float, cpu: float, count: int) -> dict[str, float]:
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "count": count,
        "peak_mb": peak_kb / 1024,
    }


def sqlite_floor(path: Path, count: int) -> int:
    """What SQLite alone takes to store `count` entries with one PDQ each: the store's entry and
    signal rows (same columns and indexes) through `sqlite3` executemany, one transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(
        """
        CREATE TABLE entries (id INTEGER PRIMARY KEY, bank_id INTEGER, status TEXT, note TEXT, metadata TEXT,
            source TEXT, needs_review INTEGER, created_at TEXT, updated_at TEXT);
        CREATE INDEX ix_entries_bank_status ON entries (bank_id, status);
        CREATE INDEX ix_entries_bank_id ON entries (bank_id, id);
        CREATE TABLE signals (id INTEGER PRIMARY KEY, entry_id INTEGER, type TEXT, value TEXT, quality INTEGER,
            view TEXT, UNIQUE (entry_id, type, value));
        CREATE INDEX ix_signals_type_value ON signals (type, value);
        CREATE TABLE changes (seq INTEGER PRIMARY KEY, kind TEXT, bank_id INTEGER, entry_id INTEGER, at TEXT);
        CREATE INDEX ix_changes_entry_id ON changes (entry_id);
        """
    )
    now = datetime.now(UTC).isoformat()
    db.execute("BEGIN")
    batch: list[tuple[int, str]] = []
    for n, record in enumerate(records(count, "pdq-txt"), start=1):
        batch.append((n, record.signals[0].value))
        if len(batch) == FLOOR_BATCH or n == count:
            db.executemany(
                "INSERT INTO entries VALUES (?, 1, 'confirmed', NULL, ?, ?, 0, ?, ?)",
                [(i, f'{{"filename": "img_{i:08d}.jpg"}}', f"import:line {i}", now, now) for i, _ in batch],
            )
            db.executemany("INSERT INTO signals VALUES (NULL, ?, 'pdq', ?, 90, NULL)", batch)
            db.executemany("INSERT INTO changes VALUES (NULL, 'entry_added', 1, ?, ?)", [(i, now) for i, _ in batch])
            batch = []
    db.execute("COMMIT")
    db.close()
    return count


def measure(step: str, fmt: str, source: Path, home: Path, size: int) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", step, "--formats", fmt, "--sizes", str(size)]
    done = subprocess.run(
        [*command, "--source", str(source), "--home", str(home)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _rates(prefix: str, size: int, measured: dict[str, float]) -> dict[str, Any]:
    return {
        f"{prefix}_per_s": round(size / measured["seconds"]),
        f"{prefix}_per_cpu_s": round(size / measured["cpu_seconds"]),
        f"{prefix}_seconds": round(measured["seconds"], 2),
        f"{prefix}_peak_mb": round(measured["peak_mb"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS))
    parser.add_argument("--quick", action="store_true", help="20,000 and 100,000 lines")
    parser.add_argument("--only-largest", nargs="*", help="formats to run at the largest size (default: all)")
    parser.add_argument("--out", default="import", help="results file name (bench/results/<out>.md, .json)")
    parser.add_argument("--child", choices=[*STEPS, "floor"], help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.formats[0], args.source, args.home, args.sizes[0])
        return
    sizes = [20_000, 100_000] if args.quick else sorted(args.sizes)
    rows: list[dict[str, Any]] = []
    floors: dict[int, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="alliance-bench-import-") as tmp:
        for size in sizes:
            floor = measure("floor", "pdq-txt", Path(tmp) / "none", Path(tmp) / f"floor-{size}", size)
            floors[size] = {"lines": size, **_rates("floor", size, floor)}
            print(json.dumps(floors[size]), flush=True)
            for leftover in (Path(tmp) / f"floor-{size}").glob("*"):
                leftover.unlink()
            formats = args.formats
            if size == sizes[-1] and args.only_largest and len(sizes) > 1:
                formats = [fmt for fmt in formats if fmt in args.only_largest]
            for fmt in formats:
                work = Path(tmp) / f"{fmt}-{size}"
                work.mkdir()
                source = work / f"list{get_format(fmt).suffix}"
                write_list(source, fmt, size)
                row: dict[str, Any] = {"format": fmt, "lines": size, "file_mb": round(source.stat().st_size / 2**20, 1)}
                measured = {step: measure(step, fmt, source, work / "home", size) for step in STEPS}
                for step, result in measured.items():
                    row |= _rates(step, size, result)
                row["import_vs_read"] = round(measured["import"]["seconds"] / measured["read"]["seconds"], 2)
                row["export_vs_write"] = round(measured["export"]["seconds"] / measured["write"]["seconds"], 2)
                rows.append(row)
                print(json.dumps(row), flush=True)
                for leftover in work.rglob("*"):
                    if leftover.is_file():
                        leftover.unlink()
    out = "import-quick" if args.quick else args.out
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick, "rows": rows}
    result["floors"] = list(floors.values())
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{out}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{out}.md").write_text(table(sizes, rows, floors))
    print(table(sizes, rows, floors))


def table(sizes: list[int], rows: list[dict[str, Any]], floors: dict[int, dict[str, Any]]) -> str:
    over = [r for r in rows if max(r["import_peak_mb"], r["export_peak_mb"]) > LIMIT_MB]
    lines = [
        f"# Streaming import and export ({', '.join(f'{s:,}' for s in sizes)} lines; SQLite, one process each)",
        "",
        "Rates are lines (records) per second of wall clock, and per CPU second of the step's process.",
        "Import is compared with reading the file alone (the format's reader, nothing stored), export with",
        "writing it alone (the format's writer over records made in memory): `x read` is how many times",
        "longer the import took than the read, in the same run. te-csv puts each record's MD5 and PDQ on",
        "two rows, VICS each record in one Media object: their rates count records.",
        f"Peak memory is the process's `ru_maxrss` (Python, SQLAlchemy, numpy included); target: {LIMIT_MB} MB.",
        "",
        "| format | lines | file MB | import lines/s | per CPU s | x read | peak MB "
        "| export lines/s | per CPU s | x write | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['format']} | {r['lines']:,} | {r['file_mb']:,} | {r['import_per_s']:,} | {r['import_per_cpu_s']:,} "
        f"| {r['import_vs_read']} | {r['import_peak_mb']:,} | {r['export_per_s']:,} | {r['export_per_cpu_s']:,} "
        f"| {r['export_vs_write']} | {r['export_peak_mb']:,} |"
        for r in rows
    ]
    lines += [
        "",
        "References in the same run: reading and writing the files alone, and SQLite alone storing the",
        "same entry, signal and change rows (`sqlite3` executemany, 2,000 rows at a time, one transaction):",
        "",
        "| format | lines | read lines/s | per CPU s | write lines/s | per CPU s |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['format']} | {r['lines']:,} | {r['read_per_s']:,} | {r['read_per_cpu_s']:,} "
        f"| {r['write_per_s']:,} | {r['write_per_cpu_s']:,} |"
        for r in rows
    ]
    lines += ["", "| SQLite alone | lines | rows/s | per CPU s | peak MB |", "|---|---|---|---|---|"]
    lines += [
        f"| executemany | {f['lines']:,} | {f['floor_per_s']:,} | {f['floor_per_cpu_s']:,} | {f['floor_peak_mb']:,} |"
        for f in floors.values()
    ]
    lines += ["", f"Over {LIMIT_MB} MB: {', '.join(r['format'] + ' ' + str(r['lines']) for r in over) or 'none'}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
