"""API benchmark: match-by-signal and upload-hash-match over HTTP, with 64 concurrent clients.

    python bench/api.py [--hashes 1000000] [--workers 2] [--seconds 20] [--quick]

Starts a node on SQLite holding N entries of random hashes (PDQ and file digests) in a bank that a
platform may match, serves it with `alliance serve`, and loads it from `wrk` (Debian package) on
loopback: 64 connections posting one signal each (one in ten a known hash, so the match and audit
paths both run), then uploads of a 1024x768 JPEG, as the body. The upload rate is compared with
hashing the same JPEGs on all cores in the same run (bench/hash.py's measurement), and with the
same uploads to a bare ASGI app that only hashes them (bench/bare_upload.py: the ceiling of a Python
server on this machine). Results go to bench/results/api.json and api.md.

For context (not measured here): an HMA adopter reports 450-500 requests/s for hashing plus
matching on 10 pods.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import insert

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import hash as hash_bench  # noqa: E402  (bench/hash.py: its photos, encoder and all-core measurement)
from alliance.core.access import SYSTEM, OrgKind, Role, SharingPolicy  # noqa: E402
from alliance.core.signals import Signal  # noqa: E402
from alliance.node import Node  # noqa: E402
from alliance.services.hashing import hash_file  # noqa: E402
from alliance.settings import Settings  # noqa: E402
from alliance.store.models import EntryRow, SignalRow  # noqa: E402
from datasets.photos import photo_set  # noqa: E402

RESULTS = ROOT / "bench" / "results"
UPLOAD_SIZE = (1024, 768)


def seed(home: Path, hashes: int, rng: np.random.Generator) -> tuple[str, list[str]]:
    """A node with one bank of `hashes` entries (random PDQ, md5, sha1 and sha256 hashes), shared for
    matching with the platforms of one country; returns a key of a platform there and some PDQ hashes."""
    node = Node(Settings(home=home))
    org = node.accounts.create_organisation(SYSTEM, "Bench Platform", "GB", OrgKind.PLATFORM)
    token = node.accounts.create_key(SYSTEM, org.id, "bench", frozenset({Role.PLATFORM})).token
    shared = SharingPolicy.from_json({"match": {"countries": ["GB"], "roles": ["platform"]}})
    bank = node.banks_for(SYSTEM).create_bank("bench", description="random hashes", policy=shared)
    values = [bytes(row).hex() for row in rng.integers(0, 256, (hashes, 32), dtype=np.uint8)]
    started = time.perf_counter()
    with node.engine.begin() as connection:  # bulk rows: the ORM path would take minutes for 1e6
        for start in range(0, hashes, 50_000):
            chunk = values[start : start + 50_000]
            first = start + 1
            connection.execute(
                insert(EntryRow),
                [
                    {
                        "id": first + i,
                        "bank_id": bank.id,
                        "status": "confirmed",
                        "note": None,
                        "extra": {},
                        "source": "bench",
                    }
                    for i in range(len(chunk))
                ],
            )
            connection.execute(
                insert(SignalRow),
                [{"entry_id": first + i, "type": "pdq", "value": v, "quality": 100} for i, v in enumerate(chunk)],
            )
            # and the file digests a real entry has (what the exact lookups of every upload search)
            for kind, digits in (("md5", 32), ("sha1", 40), ("sha256", 64)):
                digests = rng.integers(0, 256, (len(chunk), digits // 2), dtype=np.uint8)
                connection.execute(
                    insert(SignalRow),
                    [{"entry_id": first + i, "type": kind, "value": bytes(d).hex()} for i, d in enumerate(digests)],
                )
    print(f"seeded {hashes:,} hashes in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    platform = node.accounts.authenticate_key(token)
    if not node.matching_for(platform).match([Signal("pdq", values[0])]):
        raise SystemExit("the bench key does not match the bench bank: the run would measure nothing")
    node.close()
    return token, values[:1000]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(home: Path, port: int, workers: int, rate: float) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ALLIANCE_HOME": str(home),
        "ALLIANCE_RATE_LIMIT_PER_SECOND": str(rate),
        "ALLIANCE_RATE_LIMIT_BURST": str(int(rate * 2)),
    }
    command = [sys.executable, "-m", "alliance.cli", "serve", "--port", str(port), "--workers", str(workers)]
    return start(command, env, home / "server.log", f"http://127.0.0.1:{port}/readyz", 600)


def serve_bare(home: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    """bench/bare_upload.py under uvicorn as `alliance serve` runs the node (same workers, hashing
    slots, event loop and HTTP parser), for the ceiling row."""
    slots = Settings(home=home, workers=workers).hashing_slots  # the node's own rule
    env = {**os.environ, "BARE_HASHING_SLOTS": str(slots), "PYTHONPATH": str(ROOT / "src")}
    command = [sys.executable, "-m", "uvicorn", "bare_upload:app", "--app-dir", str(ROOT / "bench")]
    command += ["--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    return start(command, env, home / "bare.log", f"http://127.0.0.1:{port}/", 120)


def start(command: list[str], env: dict[str, str], log: Path, ready: str, timeout: float) -> subprocess.Popen[bytes]:
    """Start a server and wait until `ready` answers 200. Its log goes to a file: a pipe nobody
    reads would block the server once 64 KB were written."""
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{command[2]} exited: {log.read_text()[-4000:]}")
        try:
            if httpx.get(ready, timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    stop(process, log)  # not left running behind the bench
    raise SystemExit(f"{command[2]} not ready after {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes], log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        print(f"server did not stop in 120 s; its log ends:\n{log.read_text()[-4000:]}")


MATCH_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %(token)s"
local known = {%(known)s}
local n = 0
request = function()
  n = n + 1
  local value
  if n %% 10 == 0 then value = known[(n / 10) %% #known + 1]
  else
    local t = {}
    for i = 1, 32 do t[i] = string.format("%%02x", math.random(0, 255)) end
    value = table.concat(t)
  end
  return wrk.format(nil, "/v1/match", nil, '{"signals":[{"type":"pdq","value":"' .. value .. '"}]}')
end
"""

# Constant throughput (as wrk2 does; wrk's own `delay` only pauses each connection after its
# response, so slow responses would lower the rate they are measured at): each wrk thread hands
# out send slots `interval` ms apart on the wall clock, and a connection that gets a slot already
# past sends at once, so a slow server faces the full rate and its queueing shows in the latency.
PACED_LUA = (
    MATCH_LUA
    + """
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } alliance_timeval;
int gettimeofday(alliance_timeval *tv, void *tz);
]]
local tv = ffi.new("alliance_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end
local next_slot = nil
delay = function()
  local now = now_ms()
  next_slot = math.max(next_slot or now, now - 1000) + %(interval_ms)s
  return math.max(0, next_slot - now)
end
"""
)

# The photos bench/hash.py times, one after another, as each request's whole body (or, with
# `form`, as the `file` field of a multipart form).
UPLOAD_LUA = """
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer %(token)s"
local form = %(form)s
local boundary = "alliancebench"
if form then
  wrk.headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
else
  wrk.headers["Content-Type"] = "application/octet-stream"
end
local bodies = {}
for path in io.lines("%(list)s") do
  local f = io.open(path, "rb")
  local data = f:read("*all")
  f:close()
  if form then
    data = "--" .. boundary .. '\\r\\nContent-Disposition: form-data; name="file"; filename="x.jpg"\\r\\n'
      .. "Content-Type: image/jpeg\\r\\n\\r\\n" .. data .. "\\r\\n--" .. boundary .. "--\\r\\n"
  end
  bodies[#bodies + 1] = data
end
local n = 0
request = function()
  n = n %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[n])
end
"""


WRK_THREADS = 2


def process_tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (the server's workers)."""
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    total = 0
    for process in [str(pid), *children]:
        fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime in clock ticks
    return total / os.sysconf("SC_CLK_TCK")


def settle(pid: int, timeout: float = 60.0) -> None:
    """Wait until the server is idle (its queued audit and match events written) before the next run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        before = process_tree_cpu_s(pid)
        time.sleep(1.0)
        if process_tree_cpu_s(pid) - before < 0.05:
            return


def run_wrk(
    url: str, script: str, seconds: int, connections: int, server_pid: int, threads: int = WRK_THREADS
) -> dict[str, float]:
    """wrk's rate and latency, and the server's CPU per request: on a machine shared with other
    work the rates move with the load, the CPU per request much less."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    cpu_before = process_tree_cpu_s(server_pid)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", f.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = process_tree_cpu_s(server_pid) - cpu_before
    os.unlink(f.name)
    requests = float(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    result = {"requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    result["server_cpu_ms_per_request"] = round(1000 * cpu / max(requests, 1), 3)
    for pct in ("50", "90", "99"):
        value, unit = re.search(rf"\s{pct}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        result[f"p{pct}_ms"] = float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["non_2xx"] = float(errors.group(1)) if errors else 0.0
    return result


def upload_photos(home: Path, quick: bool) -> list[Path]:
    """The 1024x768 JPEGs bench/hash.py times (its photo set, its encoder), written under `home`."""
    photos = photo_set("demo" if quick else "fixture")[:24]
    folder = home / "uploads"
    folder.mkdir()
    return hash_bench.write_images(photos, UPLOAD_SIZE, "JPEG", folder)


def in_process_hash_cpu_ms(paths: list[Path], rounds: int = 10) -> float:
    """CPU milliseconds to hash one of `paths` from disk, in this process, as bench/hash.py does."""
    hash_file(paths[0], views=False)
    before = resource.getrusage(resource.RUSAGE_SELF)
    for _ in range(rounds):
        for path in paths:
            hash_file(path, views=False)
    after = resource.getrusage(resource.RUSAGE_SELF)
    return 1000 * ((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)) / (rounds * len(paths))


def bench_hash_all_cores(paths: list[Path], seconds: float) -> float:
    """Images/s hashing `paths` on all cores: bench/hash.py's own measurement, on the same files."""
    cores = os.cpu_count() or 1
    with ProcessPoolExecutor(cores) as pool:
        return hash_bench.rate_all_cores(pool, False, paths, seconds, cores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hashes", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="100k hashes, 5 s runs")
    parser.add_argument("--keep", action="store_true", help="keep the node's home (store, index, server log)")
    args = parser.parse_args()
    if args.quick:
        args.hashes, args.seconds = 100_000, 5
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    load_before = os.getloadavg()[0]
    rng = np.random.default_rng(42)
    home = Path(tempfile.mkdtemp(prefix="alliance-bench-api-"))
    try:
        token, known = seed(home, args.hashes, rng)
        port = free_port()
        started = time.perf_counter()
        server = serve(home, port, args.workers, rate=1e6)
        startup = time.perf_counter() - started
        url = f"http://127.0.0.1:{port}"
        try:
            known_lua = ",".join(f'"{v}"' for v in known)
            match_lua = MATCH_LUA % {"token": token, "known": known_lua}
            run_wrk(url, match_lua, 3, args.connections, server.pid)  # warm-up
            # Paced to 2,000 requests/s in all, first: latency at the target rate, not at saturation.
            # (After a saturated run the audit writers may still be draining their queue: the
            # saturated run's cost, not the paced one's.)
            paced = run_wrk(
                url,
                PACED_LUA % {"token": token, "known": known_lua, "interval_ms": f"{WRK_THREADS / 2000 * 1000:.3f}"},
                args.seconds,
                args.connections,
                server.pid,
            )
            match = run_wrk(url, match_lua, args.seconds, args.connections, server.pid)
            settle(server.pid)
            photos = upload_photos(home, args.quick)
            listing = home / "uploads.txt"
            listing.write_text("".join(f"{p}\n" for p in photos))
            body = UPLOAD_LUA % {"token": token, "list": listing, "form": "false"}
            # Without dihedral queries: the work closest to the hashing it is compared with.
            plain = f"{url}/v1/match/upload?dihedral=false"
            upload = run_wrk(plain, body, args.seconds, args.connections, server.pid)
            form = UPLOAD_LUA % {"token": token, "list": listing, "form": "true"}
            upload_form = run_wrk(plain, form, args.seconds, args.connections, server.pid)
            upload_dihedral = run_wrk(f"{url}/v1/match/upload", body, args.seconds, args.connections, server.pid)
        finally:
            stop(server, home / "server.log")
        # The ceiling: the same uploads to a server that only hashes them (bench/bare_upload.py).
        bare_port = free_port()
        bare_server = serve_bare(home, bare_port, args.workers)
        try:
            bare = run_wrk(f"http://127.0.0.1:{bare_port}/", body, args.seconds, args.connections, bare_server.pid)
        finally:
            stop(bare_server, home / "bare.log")
        hash_rate = bench_hash_all_cores(photos, min(args.seconds, 10))
        hash_cpu_ms = in_process_hash_cpu_ms(photos)
    finally:
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)  # the store of 1M entries takes about 1 GB
    upload_cpu_ratio = hash_cpu_ms / upload["server_cpu_ms_per_request"]
    results = {
        "hashes": args.hashes,
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "startup_s": round(startup, 1),
        "match_by_signal": match,
        "match_paced_2000": paced,
        "upload_dihedral": upload_dihedral,
        "upload_hash_match": upload,
        "upload_hash_match_form": upload_form,
        "upload_photos": len(photos),
        "bench_hash_all_cores_per_s": round(hash_rate, 1),
        "upload_vs_bench_hash": round(upload["requests_per_s"] / hash_rate, 3),
        "upload_bare": bare,
        "bare_vs_bench_hash": round(bare["requests_per_s"] / hash_rate, 3),
        "upload_vs_bare": round(upload["requests_per_s"] / bare["requests_per_s"], 3),
        "in_process_hash_cpu_ms": round(hash_cpu_ms, 3),
        "upload_cpu_vs_bench_hash": round(upload_cpu_ratio, 3),
        "load_average_before": load_before,
        "targets": {"match_rps": 2000, "match_p99_ms": 20, "upload_vs_bench_hash": 0.8},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "api.json").write_text(json.dumps(results, indent=2))
    rows = [
        ("match by signal", match, ">= 2,000/s"),
        ("match by signal, paced to 2,000/s", paced, "p99 < 20 ms"),
        ("upload, hash, match (1024x768 JPEGs as the body)", upload, ">= 80% of bench/hash.py"),
        ("the same as a multipart form", upload_form, ""),
        ("the same as the body, with dihedral queries (8 views)", upload_dihedral, ""),
        ("ceiling: the same uploads hashed by a bare ASGI app (no auth, match or audit)", bare, ""),
    ]
    table = "\n".join(
        [
            f"# API benchmark ({args.hashes:,} bank hashes, {args.workers} workers, {args.connections} connections, "
            f"{os.cpu_count()} cores shared with the load generator; load average {load_before:.1f} before the run)",
            "",
            "| path | requests/s | p50 ms | p90 ms | p99 ms | non-2xx | server CPU ms per request | target |",
            "|---|--:|--:|--:|--:|--:|--:|---|",
            *(
                f"| {name} | {r['requests_per_s']:.0f} | {r['p50_ms']:.2f} | {r['p90_ms']:.2f} | {r['p99_ms']:.2f} | "
                f"{r['non_2xx']:.0f} | {r['server_cpu_ms_per_request']:.3f} | {target} |"
                for name, r, target in rows
            ),
            "",
            f"Uploads: the {len(photos)} photos bench/hash.py times, as 1024x768 JPEGs, in turn. bench/hash.py's "
            f"measurement of the same files on all cores: {hash_rate:.1f} images/s; the upload path reaches "
            f"{results['upload_vs_bench_hash']:.0%} of it; a bare ASGI app that only hashes them reaches "
            f"{results['bare_vs_bench_hash']:.0%} (bench/bare_upload.py), and the node {results['upload_vs_bare']:.0%} "
            f"of that. In CPU: {hash_cpu_ms:.2f} ms to hash one in-process, "
            f"{upload['server_cpu_ms_per_request']:.2f} ms per upload in the server (hashing is "
            f"{upload_cpu_ratio:.0%} of the server's work). Server start (index build or load): {startup:.1f} s.",
        ]
    )
    (RESULTS / "api.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
