"""The cost of a resource API request (issue 21): the CPU `gatehouse serve` spends on one
`GET /api/skus?page[size]=25` on the embedded store, with a market token (the benchmark
storefront's, market:1001), under wrk at 8 connections. The catalog is the catalog benchmark's
small one (`catalog_gen.py small`: 1,000 SKUs, 400 of them sold in market 1001), so that each
page holds 25 records; the run stops if the first page holds fewer.

The figure is the server's user + system CPU time (from /proc) over a wrk run, divided by the
requests answered 200; any other answer makes the run fail, so that no cheap refusal is in it.
Three runs of 10 s on one server: the figure is their median, shown with their range.
Tokens: TOKENS of them, fetched first (the token endpoint's limit raised to let them through),
the wrk script taking them in turn. The API's per-token limit stays on, raised to 300 a second
per token (256 tokens: room for 76,800 requests a second) (when the binary has it: `serve --help` names `--api-rate-limit`), so its check is in
the figure and no request is refused.

Runs on its own (`python3 bench/api_cost.py [--binary PATH]`, after `cargo build --release -p
gatehouse-cli`; or `scripts/bench --api-cost`), and as part of `bench/run.py`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import urllib.request

import catalog_gen

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import RELEASE, ROOT, cpu_seconds, free_port, start, stop  # noqa: E402

PATH = "/api/skus?page[size]=25"
TOKENS = 256
CONNECTIONS = 8
TARGET_US = 50
# The machine's other load moves one run's figure by up to a fifth: the median of three is
# the figure, and the table shows the range.
RUNS = 3
TOKEN_BODY = "grant_type=client_credentials&client_id=bench-storefront&scope=market:1001"
PAGE_SIZE = 25


def token(port):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/oauth/token", data=TOKEN_BODY.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.load(response)["access_token"]


def first_page_size(port, access_token):
    """How many records the measured page holds."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{PATH}", headers={"Authorization": f"Bearer {access_token}"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        return len(json.load(response)["data"])


def wrk(port, tokens, seconds):
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as file:
        file.write("\n".join(tokens))
        file.flush()
        env = {**os.environ, "BENCH_PATH": PATH, "BENCH_TOKENS_FILE": file.name}
        return run_wrk(port, env, seconds)


def run_wrk(port, env, seconds):
    output = subprocess.run(
        ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "5s",
         "-s", os.path.join(ROOT, "bench", "wrk", "get_bearer.lua"), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def measure(binary=None, seconds=10, runs=RUNS):
    """CPU µs per request (the median of `runs` wrk runs, and their range), with the
    requests per second and p50/p99 of the median run."""
    binary = binary or os.path.join(RELEASE, "gatehouse")
    port = free_port()
    seed = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    with seed:
        catalog_gen.generate("small", seed)
    command = [binary, "serve", "--port", str(port), "--seed", seed.name, "--rate-limit", "300"]
    help_text = subprocess.run([binary, "serve", "--help"], capture_output=True, text=True).stdout
    if "--api-rate-limit" in help_text:
        command += ["--api-rate-limit", "300", "--api-rate-limit-window", "1"]
    server = start(command, port)
    measured = []
    try:
        tokens = [token(port) for _ in range(TOKENS)]
        if (held := first_page_size(port, tokens[0])) != PAGE_SIZE:
            raise SystemExit(f"the measured page holds {held} records, not {PAGE_SIZE}")
        wrk(port, tokens, 1)  # warm-up: every token seen once, connections open
        for _ in range(runs):
            before = cpu_seconds(server.pid)
            result = wrk(port, tokens, seconds)
            used = cpu_seconds(server.pid) - before
            if result["non_200"] or result["socket_errors"]:
                raise SystemExit(f"wrk saw errors against /api: {result}")
            measured.append((used / max(result["requests"], 1) * 1e6, used, result))
    finally:
        stop(server)
        os.unlink(seed.name)
    measured.sort(key=lambda m: m[0])
    cpu_us, used, result = measured[len(measured) // 2]
    return {
        "path": PATH,
        "connections": CONNECTIONS,
        "runs": runs,
        "requests_per_second": result["requests"] / result["duration_s"],
        "p50_ms": result["p50_ms"],
        "p99_ms": result["p99_ms"],
        "cpu_us_per_request": cpu_us,
        "cpu_us_per_request_range": [measured[0][0], measured[-1][0]],
        "cores_used": used / result["duration_s"],
    }


def rows(figure):
    """The figure as the benchmark table's rows: (figure, value, target)."""
    return [(
        f"CPU per `GET {figure['path']}` (25 records; {figure['connections']} connections, "
        "embedded)",
        f"{figure['cpu_us_per_request']:.1f} µs (median of {figure['runs']}: "
        f"{figure['cpu_us_per_request_range'][0]:.1f}-{figure['cpu_us_per_request_range'][1]:.1f}; "
        f"{figure['requests_per_second']:,.0f}/s, "
        f"p50 {figure['p50_ms']:.2f} ms, p99 {figure['p99_ms']:.2f} ms)",
        f"< {TARGET_US} µs",
    )]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", help="the gatehouse binary (default: the release build)")
    parser.add_argument("--seconds", type=int, default=10, help="length of the wrk run")
    parser.add_argument("--json", help="also write the figure to this file")
    args = parser.parse_args()
    figure = measure(args.binary, args.seconds)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figure, f, indent=2)
    for name, value, target in rows(figure):
        print(f"| {name} | {value} | {target} |")


if __name__ == "__main__":
    main()
