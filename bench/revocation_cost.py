"""Revocation's cost (issue 24): the CPU `gatehouse serve` spends on a token request and on a
resource API request, measured on two builds one after the other (the build before revocation
and today's), so that the machine's load is the same for both.

- Token request: `POST /oauth/token` client_credentials for the demo storefront (market:1001),
  wrk at 8 connections, each request from another address (`--client-ip-header`), embedded
  store. Today's build also reserves status list indexes (one write per 1,024 tokens) and
  writes the `status` claim.
- API request: `bench/api_cost.py`'s `GET /api/skus?page[size]=25`. Today's build also reads
  the token's revocation state at every request (`gatehouse serve` keeps no answer: a
  revocation is seen at the next request).

Each figure is the median of RUNS runs of the server's user + system CPU over the requests
answered 200, with the range. Usage (after building both binaries in release):

    python3 bench/revocation_cost.py --before PATH --after PATH [--seconds 10]
"""

import argparse
import os
import subprocess
import sys
import json

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import api_cost  # noqa: E402
from support import ROOT, cpu_seconds, free_port, start, stop  # noqa: E402

RUNS = 3
CONNECTIONS = 8
SPREAD_HEADER = "x-bench-client-ip"
TOKEN_BODY = "grant_type=client_credentials&client_id=demo-storefront&scope=market:1001"


def token_wrk(port, seconds):
    env = {**os.environ, "BENCH_PATH": "/oauth/token", "BENCH_BODY": TOKEN_BODY,
           "BENCH_SPREAD_IP_HEADER": SPREAD_HEADER}
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
         "-s", os.path.join(ROOT, "bench", "wrk", "post_form.lua"), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    if result["non_200"] or result["socket_errors"]:
        raise SystemExit(f"wrk saw errors against /oauth/token: {result}")
    return result


def token_cost(binary, seconds):
    """CPU µs per token: the median of RUNS runs and their range."""
    port = free_port()
    server = start([binary, "serve", "--port", str(port), "--client-ip-header", SPREAD_HEADER], port)
    measured = []
    try:
        token_wrk(port, 1)
        for _ in range(RUNS):
            before = cpu_seconds(server.pid)
            result = token_wrk(port, seconds)
            used = cpu_seconds(server.pid) - before
            measured.append(used / max(result["requests"], 1) * 1e6)
    finally:
        stop(server)
    measured.sort()
    return measured[len(measured) // 2], measured[0], measured[-1]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="the gatehouse binary before revocation")
    parser.add_argument("--after", required=True, help="today's gatehouse binary")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    rows = {}
    # One after the other, twice over, so that a slow minute weighs on both builds.
    for name, binary in [("before", args.before), ("after", args.after)] * 2:
        token = token_cost(binary, args.seconds)
        api = api_cost.measure(binary, seconds=args.seconds)
        api = (api["cpu_us_per_request"], *api["cpu_us_per_request_range"])
        rows.setdefault(name, []).append((token, api))
        print(f"  {name}: token {token[0]:.1f} µs, api {api[0]:.1f} µs", file=sys.stderr)
    print("| CPU per request (embedded store, 8 connections) | before revocation | with revocation |")
    print("|---|---|---|")
    for label, index in (("`POST /oauth/token` client_credentials", 0), ("`GET /api/skus?page[size]=25`", 1)):
        cells = []
        for name in ("before", "after"):
            cells.append("; ".join(f"{m:.1f} µs ({lo:.1f}-{hi:.1f})" for m, lo, hi in
                                   (pair[index] for pair in rows[name])))
        print(f"| {label} | {cells[0]} | {cells[1]} |")


if __name__ == "__main__":
    main()
