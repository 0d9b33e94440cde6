"""Streaming import and export of hash lists: lines per second and peak memory, per format and size.

    python bench/import_export.py [--sizes 1000000 5000000] [--formats pdq-txt te-csv ...] [--quick]

For each format and size, a list of N distinct random PDQ hashes (with quality and a file name;
te-csv and VICS records also carry an MD5) is written to a file, then each step runs in a fresh
process on a fresh SQLite store so its peak resident memory (`ru_maxrss`) is its own:
  - import: `alliance bank import` as the CLI does it (`BankService.import_stream`, one transaction);
  - export: `alliance bank export --all` to a file (`BankService.export_stream`).
The target: a 5,000,000-line list imports and exports within 1 GB. Results: bench/results/import.*
--quick runs 20,000 and 100,000 lines in a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from alliance.core.signals import Signal  # noqa: E402
from alliance.formats.records import MediaRecord  # noqa: E402
from alliance.formats.registry import FORMATS, get_format  # noqa: E402

RESULTS = ROOT / "bench" / "results"
LIMIT_MB = 1024


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


def child(step: str, fmt: str, source: Path, home: Path) -> None:
    """One measured step in this process; prints seconds, records and peak RSS as JSON."""
    from alliance.core.access import SYSTEM
    from alliance.node import Node
    from alliance.settings import Settings

    settings = Settings(home=home, database_url=None, default_required_grades=0)
    node = Node(settings, refresh_interval=None)
    banks = node.banks_for(SYSTEM)
    reader = get_format(fmt)
    started = time.perf_counter()
    if step == "import":
        banks.create_bank("bench")
        with source.open("rb") as stream:
            summary = banks.import_stream("bench", reader.stream(stream))
        count = summary.added
        assert summary.read == summary.added, summary
    else:
        target = source.with_suffix(".out")
        with target.open("w", encoding="utf-8", newline="") as out:
            count = reader.write_to(banks.export_stream("bench", status=None), out)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "count": count, "peak_mb": peak_kb / 1024}))


def measure(step: str, fmt: str, source: Path, home: Path) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", step, "--formats", fmt, "--source", str(source), "--home", str(home)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000])
    parser.add_argument("--formats", nargs="+", default=list(FORMATS))
    parser.add_argument("--quick", action="store_true", help="20,000 and 100,000 lines")
    parser.add_argument("--child", choices=["import", "export"], help=argparse.SUPPRESS)
    parser.add_argument("--source", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.formats[0], args.source, args.home)
        return
    sizes = [20_000, 100_000] if args.quick else args.sizes
    rows = []
    with tempfile.TemporaryDirectory(prefix="alliance-bench-import-") as tmp:
        for size in sizes:
            for fmt in args.formats:
                work = Path(tmp) / f"{fmt}-{size}"
                work.mkdir()
                source = work / f"list{get_format(fmt).suffix}"
                write_list(source, fmt, size)
                file_mb = source.stat().st_size / 2**20
                imported = measure("import", fmt, source, work / "home")
                exported = measure("export", fmt, source, work / "home")
                row = {
                    "format": fmt,
                    "lines": size,
                    "file_mb": round(file_mb, 1),
                    "import_per_s": round(size / imported["seconds"]),
                    "import_peak_mb": round(imported["peak_mb"]),
                    "export_per_s": round(exported["count"] / exported["seconds"]),
                    "export_peak_mb": round(exported["peak_mb"]),
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
                for leftover in work.rglob("*"):
                    if leftover.is_file():
                        leftover.unlink()
    result = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "quick": args.quick, "rows": rows}
    over = [r for r in rows if max(r["import_peak_mb"], r["export_peak_mb"]) > LIMIT_MB]
    table = [
        f"# Streaming import and export ({', '.join(f'{s:,}' for s in sizes)} lines; SQLite, one process each)",
        "",
        f"Peak memory is the process's `ru_maxrss` (Python, SQLAlchemy, numpy included); target: {LIMIT_MB} MB.",
        "Records are distinct PDQ hashes with a quality and a file name (te-csv and VICS: an MD5 too).",
        "",
        "| format | lines | file MB | import lines/s | import peak MB | export lines/s | export peak MB |",
        "|---|---|---|---|---|---|---|",
    ]
    table += [
        f"| {r['format']} | {r['lines']:,} | {r['file_mb']:,} | {r['import_per_s']:,} | {r['import_peak_mb']:,} "
        f"| {r['export_per_s']:,} | {r['export_peak_mb']:,} |"
        for r in rows
    ]
    table += ["", f"Over {LIMIT_MB} MB: {', '.join(r['format'] + ' ' + str(r['lines']) for r in over) or 'none'}.", ""]
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "-quick" if args.quick else ""
    (RESULTS / f"import{suffix}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"import{suffix}.md").write_text("\n".join(table))
    print("\n".join(table))


if __name__ == "__main__":
    main()
