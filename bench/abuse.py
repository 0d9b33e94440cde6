"""Abuse benchmark: what floods without a valid credential do to another caller's matching.

    python bench/abuse.py [--hashes 100000] [--seconds 15] [--quick]

Serves a node (bench/api.py's seed and start-and-wait helpers) and measures a platform's
/v1/match latency with `wrk`, paced to 200 requests/s on 8 connections: first quiet, then while
each abuse runs beside it from a second `wrk`:
- a login flood: 40 connections posting wrong passwords for made-up usernames;
- an anonymous flood: 16 connections posting to /v1/match with made-up API keys;
- big unauthenticated bodies: 8 connections posting 15 MB JSON bodies without a credential.
Prints p50/p99 under each abuse against quiet (the target: p99 within 3x), the server's peak
memory, and writes bench/results/abuse.json and abuse.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api as api_bench  # (bench/api.py: seed, serve, stop, wrk and its paced script)

RESULTS = api_bench.RESULTS
RATE, CONNECTIONS = 200, 8

LOGIN_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local name = "guess-" .. math.random(1, 1000000)
  return wrk.format(nil, "/v1/session", nil, '{"username":"' .. name .. '","password":"wrong password"}')
end
"""

ANONYMOUS_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local key = string.format("alk_%08x_%d", math.random(0, 2147483647), math.random(1, 1000000))
  wrk.headers["Authorization"] = "Bearer " .. key
  return wrk.format(nil, "/v1/match", nil, '{"signals":[{"type":"md5","value":"0123456789abcdef0123456789abcdef"}]}')
end
"""

BIG_BODY_LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"entries":[' .. string.rep('{"signals":[{"type":"md5","value":"00"}]},', 15 * 1024 * 1024 / 42) .. '{}]}'
wrk.path = "/v1/banks/bench/entries"
"""

ABUSES = [
    ("login flood (40 connections, wrong passwords)", LOGIN_LUA, 40),
    ("anonymous flood (16 connections, made-up keys)", ANONYMOUS_LUA, 16),
    ("15 MB bodies without a credential (8 connections)", BIG_BODY_LUA, 8),
]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def abuse(url: str, script: str, connections: int, seconds: int) -> subprocess.Popen[str]:
    """A second wrk beside the measured one; its script file is removed when it ends."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "-s", f.name, url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    process.args = [*command, f.name]
    return process


def abuse_rate(process: subprocess.Popen[str]) -> float:
    out, _ = process.communicate()
    os.unlink(process.args[-1])
    found = [line for line in out.splitlines() if line.startswith("Requests/sec:")]
    return float(found[0].split()[1]) if found else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hashes", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--quick", action="store_true", help="10k hashes, 5 s runs")
    args = parser.parse_args()
    if args.quick:
        args.hashes, args.seconds = 10_000, 5
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    home = Path(tempfile.mkdtemp(prefix="alliance-bench-abuse-"))
    try:
        token, known = api_bench.seed(home, args.hashes, np.random.default_rng(7))
        port = api_bench.free_port()
        server = api_bench.serve(home, port, 1, rate=1e6)
        url = f"http://127.0.0.1:{port}"
        known_lua = ",".join(f'"{v}"' for v in known)
        interval = f"{api_bench.WRK_THREADS / RATE * 1000:.3f}"
        paced = api_bench.PACED_LUA % {"token": token, "known": known_lua, "interval_ms": interval}

        def measure() -> dict[str, float]:
            return api_bench.run_wrk(url, paced, args.seconds, CONNECTIONS, server.pid)

        try:
            measure()  # warm-up
            rows = [("quiet", measure(), 0.0)]
            for name, script, connections in ABUSES:
                api_bench.settle(server.pid)
                attacker = abuse(url, script, connections, args.seconds + 2)
                time.sleep(1)  # the flood under way before the measurement starts
                measured = measure()
                rows.append((name, measured, abuse_rate(attacker)))
            peak = peak_rss_mb(server.pid)
        finally:
            api_bench.stop(server, home / "server.log")
    finally:
        shutil.rmtree(home, ignore_errors=True)
    quiet = rows[0][1]
    results = {
        "hashes": args.hashes,
        "seconds": args.seconds,
        "paced_rate": RATE,
        "server_peak_rss_mb": round(peak, 1),
        "runs": [
            {
                "abuse": name,
                "abuse_requests_per_s": round(rate, 1),
                **r,
                "p50_ratio": round(r["p50_ms"] / quiet["p50_ms"], 2),
                "p99_ratio": round(r["p99_ms"] / quiet["p99_ms"], 2),
            }
            for name, r, rate in rows
        ],
        "target": {"p99_ratio": 3.0},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "abuse.json").write_text(json.dumps(results, indent=2))
    table = "\n".join(
        [
            f"# Abuse benchmark ({args.hashes:,} bank hashes, 1 worker, {os.cpu_count()} cores shared with both "
            f"load generators; {args.seconds} s runs)",
            "",
            f"A platform's /v1/match, paced to {RATE}/s on {CONNECTIONS} connections, quiet and beside each abuse.",
            "",
            "| abuse | abuse requests/s | match p50 ms | match p99 ms | p50 / quiet | p99 / quiet | match non-2xx |",
            "|---|--:|--:|--:|--:|--:|--:|",
            *(
                f"| {run['abuse']} | {run['abuse_requests_per_s']:.0f} | {run['p50_ms']:.2f} | {run['p99_ms']:.2f} | "
                f"{run['p50_ratio']:.2f} | {run['p99_ratio']:.2f} | {run['non_2xx']:.0f} |"
                for run in results["runs"]
            ),
            "",
            f"Target: p99 under abuse within 3x of quiet. Server peak RSS over the whole run: {peak:.0f} MB.",
        ]
    )
    (RESULTS / "abuse.md").write_text(table + "\n")
    print(table)


if __name__ == "__main__":
    main()
