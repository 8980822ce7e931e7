"""Password hashing's memory (issue 19, item 4): what argon2 costs `gatehouse serve` and
`gatehouse import`, beside the targets.

1. 1,000 password grants, 64 at once, against `gatehouse serve` on the embedded store, from a
   seed of 1,000 customers (each signs in once, with the right password: the per-account
   lockout never counts, and every grant is a first sign-in, the one that computes the seed's
   deferred hash). The per-address rate limit stays on: each request comes from its own
   loopback address through `serve --client-ip-header`, as the main benchmark spreads its
   load. Figures: the answers by status, the time taken, the server's peak RSS (VmHWM) and
   its RSS 10 s after the last answer (settled).
2. `gatehouse import` of a seed of 10,000 customers into a fresh DynamoDB table (moto, started
   here by `bench/moto_bulk.py`, which says why not `scripts/moto_dynamodb.py`): its peak RSS,
   from the kernel's accounting of the child (wait4).

Runs on its own (`python3 bench/password_memory.py`, after `cargo build --release -p
gatehouse-cli`; or `scripts/bench --password-memory`), and as part of `bench/run.py`.
"""

import argparse
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import (  # noqa: E402
    MiB, RELEASE, ROOT, SPREAD_HEADER, cpu_seconds, free_port, memory, start, stop,
)

GRANTS = 1000
PARALLEL = 64
IMPORT_CUSTOMERS = 10_000
SETTLE_SECONDS = 10
TARGETS = {"peak": 512 * MiB, "settled": 128 * MiB, "import_peak": 512 * MiB}


def seed_with_customers(count, path):
    """The demo seed with `count` test-mode customers instead of its own."""
    with open(os.path.join(ROOT, "demo", "seed.json")) as f:
        seed = json.load(f)
    seed["customers"] = [
        {"id": f"cus_bench_{n}", "mode": "test", "email": f"bench-{n}@example.com",
         "password": f"bench-password-{n}", "customer_group_id": None}
        for n in range(count)
    ]
    with open(path, "w") as f:
        json.dump(seed, f)


def password_grant(port, n):
    """One password grant of customer `n`, from its own loopback address: (status, seconds)."""
    body = (f"grant_type=password&client_id=demo-storefront&username=bench-{n}%40example.com"
            f"&password=bench-password-{n}&scope=market:1001")
    address = n + 1
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/oauth/token", data=body.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 SPREAD_HEADER: f"127.{address >> 16 & 255}.{address >> 8 & 255}.{address & 255}"},
    )
    began = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = "timeout or connection error"
    return status, time.perf_counter() - began


def serve_grants(gatehouse, grants, parallel, work):
    seed = os.path.join(work, "grants-seed.json")
    seed_with_customers(grants, seed)
    port = free_port()
    server = start([gatehouse, "serve", "--port", str(port), "--seed", seed,
                    "--client-ip-header", SPREAD_HEADER], port)
    try:
        began, cpu_before = time.perf_counter(), cpu_seconds(server.pid)
        with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
            answers = list(pool.map(lambda n: password_grant(port, n), range(grants)))
        seconds = time.perf_counter() - began
        cpu = cpu_seconds(server.pid) - cpu_before
        under_load = memory(server.pid)
        time.sleep(SETTLE_SECONDS)
        settled = memory(server.pid)
    finally:
        stop(server)
    statuses = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
    latencies = sorted(latency for _, latency in answers)
    return {
        "grants": grants,
        "parallel": parallel,
        "statuses": statuses,
        "seconds": seconds,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "server_cpu_ms_per_grant": cpu / grants * 1000,
        "peak_bytes": settled["VmHWM"],
        "rss_after_load_bytes": under_load["VmRSS"],
        "settled_bytes": settled["VmRSS"],
    }


def import_customers(gatehouse, customers, moto, work):
    seed = os.path.join(work, "import-seed.json")
    seed_with_customers(customers, seed)
    table = f"gatehouse-bench-import-{uuid.uuid4().hex[:10]}"
    began = time.perf_counter()
    process = subprocess.Popen(
        [gatehouse, "import", "--seed", seed, "--dynamodb-endpoint", moto, "--table", table,
         "--create-table"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
             "AWS_REGION": os.environ.get("AWS_REGION", "us-east-1")},
    )
    # wait4: this child's own peak RSS (ru_maxrss, KiB), not that of every child so far.
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    errors = process.stderr.read().decode(errors="replace").strip()
    # A failed import still has its peak so far; the table says it failed, and why.
    return {
        "customers": customers,
        "seconds": time.perf_counter() - began,
        "peak_bytes": usage.ru_maxrss * 1024,
        "error": errors if process.returncode != 0 else None,
    }


def bulk_moto():
    """A moto for the import (bench/moto_bulk.py): its endpoint and process."""
    port = free_port()
    process = start([sys.executable, os.path.join(ROOT, "bench", "moto_bulk.py"), str(port)], port)
    return f"http://127.0.0.1:{port}", process


def measure(gatehouse=None, grants=GRANTS, parallel=PARALLEL, customers=IMPORT_CUSTOMERS,
            moto=None):
    gatehouse = gatehouse or os.path.join(RELEASE, "gatehouse")
    with tempfile.TemporaryDirectory(prefix="gatehouse-bench-") as work:
        print(f"password grants ({grants} at {parallel} parallel)...", file=sys.stderr)
        serve = serve_grants(gatehouse, grants, parallel, work)
        print(json.dumps(serve), file=sys.stderr)
        if not customers:
            return {"serve": serve, "import": None}
        print(f"import of {customers} customers...", file=sys.stderr)
        moto_process = None
        if not moto:
            moto, moto_process = bulk_moto()
        try:
            imported = import_customers(gatehouse, customers, moto, work)
        finally:
            if moto_process:
                stop(moto_process)
    return {"serve": serve, "import": imported}


def rows(figures):
    """The figures as rows of the benchmark's table: figure, value, target."""
    serve = figures["serve"]
    statuses = ", ".join(f"{count} × {status}" for status, count in sorted(serve["statuses"].items()))
    out = [
        (f"`gatehouse serve`, {serve['grants']:,} password grants at {serve['parallel']} parallel",
         f"{serve['seconds']:.1f} s, {serve['grants'] / serve['seconds']:.0f}/s, p50 "
         f"{serve['p50_ms']:.0f} ms, p99 {serve['p99_ms']:.0f} ms, server CPU "
         f"{serve['server_cpu_ms_per_grant']:.1f} ms a grant; {statuses}", ""),
        ("  its peak RSS (VmHWM)", f"{serve['peak_bytes'] / MiB:.1f} MiB",
         f"< {TARGETS['peak'] // MiB} MiB"),
        (f"  its RSS {SETTLE_SECONDS} s after the last answer",
         f"{serve['settled_bytes'] / MiB:.1f} MiB (right after: "
         f"{serve['rss_after_load_bytes'] / MiB:.1f} MiB)", f"< {TARGETS['settled'] // MiB} MiB"),
    ]
    imported = figures["import"]
    if imported:
        outcome = f"{imported['seconds']:.0f} s"
        if imported.get("error"):
            outcome = f"FAILED after {outcome}: {imported['error']}"
        out.append((f"`gatehouse import` of {imported['customers']:,} customers (moto), peak RSS",
                    f"{imported['peak_bytes'] / MiB:.1f} MiB ({outcome})",
                    f"< {TARGETS['import_peak'] // MiB} MiB"))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gatehouse", help="the binary (default: the release build)")
    parser.add_argument("--dynamodb-endpoint",
                        help="a DynamoDB API for the import (default: bench/moto_bulk.py, started here)")
    parser.add_argument("--grants", type=int, default=GRANTS)
    parser.add_argument("--parallel", type=int, default=PARALLEL)
    parser.add_argument("--customers", type=int, default=IMPORT_CUSTOMERS,
                        help="customers to import (0: no import)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    figures = measure(args.gatehouse, args.grants, args.parallel, args.customers,
                      args.dynamodb_endpoint)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)
    print("| figure | value | target |")
    print("|---|---|---|")
    for figure, value, target in rows(figures):
        print(f"| {figure} | {value} | {target} |")


if __name__ == "__main__":
    main()
