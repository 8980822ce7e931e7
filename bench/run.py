"""The benchmark: one run on this machine, every figure of issue 11 printed as one table.

`scripts/bench` installs the tools (wrk, the peer's npm packages, moto), builds, and runs this.
What it measures, in order:

1. the physical limit: one ES256 signature, and one access token through the service's own
   signing path (`es256-bench`, on one core), its CPU time measured again before each of the
   REPEATS rounds of load against the embedded store, each round's CPU per token set against it;
2. client_credentials tokens per second with p50/p99 at 8 and 64 connections (wrk) against
   `gatehouse serve` on the embedded store, on DynamoDB through moto, and against the peer
   (panva's oidc-provider issuing ES256 JWT access tokens, `bench/peer`), each started here on
   loopback. The rate limiter stays on at its default (30 per 60 s per address): the load is
   spread over 2^17 loopback addresses through `serve --client-ip-header`, so its cost is in
   the figure. The server's CPU time (user + system, from /proc) gives the CPU per token and
   the cores it used, and from those its tokens per core-second against the signature limit;
3. peak and steady memory (VmHWM, VmRSS) of `gatehouse serve` under that load;
4. cold start, exec to first token (median of several runs; alone, and side by side with
   another build, with `--cold-start [--against BINARY]`): `gatehouse serve` on the demo
   seed, and the token function's binary under a Lambda Runtime API emulator
   (`tests/lambda/runtime_api.py`) with its key in Secrets Manager and its table on moto;
5. the warm token function's invocation time (median), and the DynamoDB requests and round
   trips of each grant on a warm function, counted by an SDK interceptor
   (`tests/tests/dynamodb_requests.rs`);
6. the size of each arm64 bootstrap (`target/lambda/*/bootstrap`, as `sam build` builds it);
7. each function's CPU, memory and DynamoDB units per request, the memory it needs, and the bill
   of a million grants of each kind and resource API pages beside Cognito's (bench/lambda_cost.py);
8. password hashing's memory: 1,000 password grants at 64 parallel against `gatehouse serve`
   (peak and settled RSS) and `gatehouse import` of 10,000 customers (peak RSS), from
   `bench/password_memory.py`, which also runs on its own (`--password-memory` here);
9. the CPU of one resource API request (`GET /api/skus?page[size]=25`, a market token seen
   before) on `gatehouse serve`, from `bench/api_cost.py` (alone: `--api-cost` here).

Machines differ and this one is shared: compare figures of one run only.
"""

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import (  # noqa: E402
    MiB, RELEASE, ROOT, SPREAD_HEADER, TARGET, cpu_seconds, free_port, function_environment, memory,
    post, start, stop,
)

sys.path.insert(0, os.path.join(ROOT, "tests", "lambda"))

from runtime_api import Function  # noqa: E402

CC_BODY = "grant_type=client_credentials&client_id=demo-storefront&scope=market:1001"
PEER_BODY = (
    "grant_type=client_credentials&client_id=bench-client"
    "&client_secret=bench-secret-0123456789abcdef&scope=market:1001"
)
FUNCTIONS = ["token", "revoke", "authorize", "api", "wellknown", "admin"]
# Rounds of (signature CPU, load at 8 and 64 connections) against the embedded store.
REPEATS = 3


def wrk(port, path, body, connections, seconds, spread, allow_errors=False):
    """One wrk run: tokens/s, p50/p99 (ms); fails if any answer was not a 200, unless told
    that errors are expected (moto, overloaded, times out)."""
    env = {**os.environ, "BENCH_PATH": path, "BENCH_BODY": body}
    if spread:
        env["BENCH_SPREAD_IP_HEADER"] = SPREAD_HEADER
    threads = min(2, connections)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s",
         "-s", os.path.join(ROOT, "bench", "wrk", "post_form.lua"), f"http://127.0.0.1:{port}"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    if (result["non_200"] or result["socket_errors"]) and not allow_errors:
        raise SystemExit(f"wrk saw errors against port {port}: {result}")
    return result


def load(name, process, port, path, body, seconds, spread, allow_errors=False):
    """wrk at 8 and then 64 connections against a started server, with its CPU use. Tokens
    per second count 200 answers only."""
    rows = []
    for connections in (8, 64):
        # A short warm-up, so that JITs, caches and connection pools are ready.
        wrk(port, path, body, connections, 1, spread, allow_errors)
        before = cpu_seconds(process.pid)
        result = wrk(port, path, body, connections, seconds, spread, allow_errors)
        used = cpu_seconds(process.pid) - before
        tokens = result["requests"] - result["non_200"]
        rows.append({
            "server": name,
            "connections": connections,
            "tokens_per_second": tokens / result["duration_s"],
            "errors": result["non_200"] + result["socket_errors"],
            "p50_ms": result["p50_ms"],
            "p99_ms": result["p99_ms"],
            "cpu_us_per_token": used / max(tokens, 1) * 1e6,
            "cores_used": used / result["duration_s"],
        })
        print(f"  {name} c={connections}: {tokens / result['duration_s']:.0f} tokens/s", file=sys.stderr)
    return rows


def es256_bench(seconds):
    """One run of es256-bench: rates and CPU microseconds of a raw signature and a token."""
    return json.loads(subprocess.run([os.path.join(RELEASE, "es256-bench"), str(seconds)],
                                     capture_output=True, text=True, check=True).stdout)


def signing_share(server, port, seconds):
    """REPEATS rounds against a started `gatehouse serve`: the signature's CPU time, then the
    load. Each row gets `signing_share`: CPU per raw signature ÷ the server's CPU per token."""
    rows, signing = [], []
    for _ in range(REPEATS):
        measured = es256_bench(1)
        signing.append(measured)
        for row in load("gatehouse serve, embedded", server, port, "/oauth/token", CC_BODY,
                        seconds, spread=True):
            row["signing_share"] = measured["raw_es256_cpu_microseconds"] / row["cpu_us_per_token"]
            rows.append(row)
    return rows, signing


def spread(values, form):
    """Median (min-max) of `values`, each written with `form`."""
    return (f"{form.format(statistics.median(values))} "
            f"({form.format(min(values))}-{form.format(max(values))})")


def serve_command(*extra):
    return [os.path.join(RELEASE, "gatehouse"), "serve", *extra]


def cold_start_serve(runs, binary=None):
    """exec of `gatehouse serve` (embedded store, demo seed) to its first 200 token."""
    times = []
    command = [binary, "serve"] if binary else serve_command()
    for _ in range(runs):
        port = free_port()
        began = time.perf_counter()
        process = subprocess.Popen(
            command + ["--port", str(port)], stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, cwd=ROOT,
        )
        while True:
            try:
                if post(port, "/oauth/token", CC_BODY) == 200:
                    break
            except OSError:
                if process.poll() is not None:
                    raise SystemExit("gatehouse serve exited at start")
                time.sleep(0.0005)
        times.append((time.perf_counter() - began) * 1000)
        stop(process)
    return times


def cold_start_side_by_side(runs, against):
    """This build's cold start, and `against`'s, in turn so that the machine's load hits both."""
    binaries = {"this build": None, **({against: against} if against else {})}
    times = {name: [] for name in binaries}
    for _ in range(runs):
        for name, binary in binaries.items():
            times[name] += cold_start_serve(1, binary)
    print(f"| cold start to first token, `gatehouse serve` (median of {runs}) | ms | target |")
    print("|---|---|---|")
    for name, measured in times.items():
        print(f"| {name} | {spread(measured, '{:.1f}')} | < 20 ms |")


def token_event():
    with open(os.path.join(ROOT, "tests", "fixtures", "apigw-v2-post-oauth-token.json")) as f:
        event = json.load(f)
    event["requestContext"]["requestId"] = uuid.uuid4().hex
    # Each from its own address (198.18.0.0/15, for benchmarks), so that the rate limit
    # counts every invocation against a fresh window, as the wrk runs do.
    address = uuid.uuid4().int
    event["requestContext"]["http"]["sourceIp"] = f"198.{18 + address % 2}.{address >> 8 & 255}.{address >> 16 & 255}"
    return event


def token_function(environment, runs, warm_invocations):
    """Cold starts of the token function's binary (exec to its first token's response) and,
    in the last process, the time of warm invocations."""
    bootstrap = os.path.join(RELEASE, "token")
    cold, warm = [], []
    for run in range(runs):
        event = token_event()
        began = time.perf_counter()
        function = Function(bootstrap, environment)
        try:
            kind, payload = function.invoke(event)
            cold.append((time.perf_counter() - began) * 1000)
            assert kind == "response" and payload["statusCode"] == 200, payload
            if run == runs - 1:
                for _ in range(warm_invocations):
                    event = token_event()
                    began = time.perf_counter()
                    kind, payload = function.invoke(event)
                    warm.append((time.perf_counter() - began) * 1000)
                    assert payload["statusCode"] == 200, payload
        finally:
            function.finish()
    return cold, warm


def requests_per_grant(moto):
    """The `grant=` lines of the interceptor-counted test (see its file)."""
    output = subprocess.run(
        ["cargo", "test", "-p", "gatehouse-tests", "--test", "dynamodb_requests", "--",
         "--ignored", "--nocapture", "every_grant_on_a_warm_function"],
        cwd=ROOT, env={**os.environ, "GATEHOUSE_TEST_DYNAMODB_ENDPOINT": moto,
                       "GATEHOUSE_REQUIRE_DYNAMODB": "1"},
        capture_output=True, text=True,
    )
    grants = {}
    for match in re.finditer(r"grant=(\w+) requests=(\d+) rounds=(\d+)", output.stdout):
        grants[match[1]] = {"requests": int(match[2]), "rounds": int(match[3])}
    if output.returncode != 0 or len(grants) != 4:
        raise SystemExit(f"the request-count test failed:\n{output.stdout}\n{output.stderr}")
    return grants


def bootstrap_sizes():
    sizes = {}
    for name in FUNCTIONS:
        path = os.path.join(TARGET, "lambda", name, "bootstrap")
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: cargo lambda build --release --arm64")
        sizes[name] = os.path.getsize(path)
    return sizes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each wrk run")
    parser.add_argument("--runs", type=int, default=9, help="cold starts per binary")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--password-memory", action="store_true",
                        help="measure password hashing's memory only (bench/password_memory.py)")
    parser.add_argument("--api-cost", action="store_true",
                        help="measure a resource API request's CPU only (bench/api_cost.py)")
    parser.add_argument("--cold-start", action="store_true",
                        help="measure `gatehouse serve`'s cold start only")
    parser.add_argument("--against", metavar="BINARY",
                        help="with --cold-start: another gatehouse binary, measured in turn with this one")
    args = parser.parse_args()
    if args.cold_start:
        return cold_start_side_by_side(args.runs, args.against)
    if args.api_cost:
        import api_cost
        sys.argv = [sys.argv[0]] + (["--json", args.json] if args.json else [])
        return api_cost.main()
    if args.password_memory:
        import password_memory
        sys.argv = [sys.argv[0]] + (["--json", args.json] if args.json else [])
        return password_memory.main()
    with open(os.path.join(ROOT, "bench", "prices.json")) as f:
        prices = json.load(f)

    print("signing limit (es256-bench)...", file=sys.stderr)
    signing = es256_bench(3)

    moto_port = free_port()
    moto = f"http://127.0.0.1:{moto_port}"
    moto_process = start([sys.executable, os.path.join(ROOT, "scripts", "moto_dynamodb.py"),
                          str(moto_port)], moto_port)
    processes = [moto_process]
    try:
        print("embedded store...", file=sys.stderr)
        port = free_port()
        server = start(serve_command("--port", str(port), "--client-ip-header", SPREAD_HEADER), port)
        processes.append(server)
        rows, signing_rounds = signing_share(server, port, args.seconds)
        serve_memory = memory(server.pid)
        stop(server)

        print("DynamoDB (moto)...", file=sys.stderr)
        table, environment = function_environment(moto)
        port = free_port()
        server = start(serve_command("--port", str(port), "--client-ip-header", SPREAD_HEADER,
                                     "--dynamodb-endpoint", moto, "--table", table), port)
        processes.append(server)
        # moto answers one request at a time, in Python: at 64 connections some requests
        # wait past the SDK's timeouts and get a 503. Reported, not tuned away.
        rows += load("gatehouse serve, DynamoDB on moto", server, port, "/oauth/token", CC_BODY,
                     max(3, args.seconds // 2), spread=True, allow_errors=True)
        stop(server)

        print("peer (oidc-provider)...", file=sys.stderr)
        port = free_port()
        peer = start(["node", "server.mjs", str(port)], port, cwd=os.path.join(ROOT, "bench", "peer"))
        processes.append(peer)
        # The same wrk script, spread header included (the peer ignores it), so that the load
        # generator costs the same CPU in both runs.
        rows += load("oidc-provider 9.13.3 (Node)", peer, port, "/token", PEER_BODY,
                     args.seconds, spread=True)
        stop(peer)

        print("cold starts...", file=sys.stderr)
        serve_cold = cold_start_serve(args.runs)
        function_cold, warm = token_function(environment, args.runs, 50)
        print("requests per grant...", file=sys.stderr)
        grants = requests_per_grant(moto)
        import password_memory
        hashing = password_memory.measure()
        import api_cost
        api = api_cost.measure(seconds=args.seconds)
        print("each function's cost per request...", file=sys.stderr)
        import lambda_cost
        costs = lambda_cost.measure(rounds={**{grant: used["rounds"] for grant, used in grants.items()},
                                            "api_skus_page": 2})
    finally:
        for process in processes:
            stop(process)

    sizes = bootstrap_sizes()

    embedded_rows = [row for row in rows if row["server"].endswith("embedded")]
    by_connections = {c: [r for r in embedded_rows if r["connections"] == c] for c in (8, 64)}
    peer_rows = {row["connections"]: row for row in rows if row["server"].startswith("oidc")}

    figures = {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, {platform.platform()}",
        "signing": signing,
        "signing_rounds": signing_rounds,
        "load": rows,
        "serve_memory_bytes": serve_memory,
        "cold_start_ms": {"serve": serve_cold, "token_function": function_cold},
        "warm_invocation_ms": warm,
        "grants": grants,
        "bootstrap_bytes": sizes,
        "lambda_cost": costs,
        "password_memory": hashing,
        "api": api,
    }
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=2)

    out = []
    out.append(f"Machine: {figures['machine']}; {time.strftime('%Y-%m-%d')}")
    out.append("")
    out.append("| client_credentials | conns | tokens/s | p50 ms | p99 ms | CPU µs/token | cores used | errors |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        out.append(f"| {row['server']} | {row['connections']} | {row['tokens_per_second']:,.0f} | "
                   f"{row['p50_ms']:.2f} | {row['p99_ms']:.2f} | {row['cpu_us_per_token']:.1f} | "
                   f"{row['cores_used']:.2f} | {row['errors']} |")
    out.append("")
    out.append("| figure | value | target |")
    out.append("|---|---|---|")
    for c in (8, 64):
        ratios = [r["tokens_per_second"] / peer_rows[c]["tokens_per_second"] for r in by_connections[c]]
        out.append(f"| embedded ÷ peer, {c} connections, over {len(ratios)} runs | "
                   f"{spread(ratios, '{:.1f}×')} | ≥ 10× |")
    out.append(f"| one ES256 signature (aws-lc, one core) | {signing['raw_es256_microseconds']} µs = "
               f"{signing['raw_es256_per_second']:,.0f}/s; CPU "
               f"{spread([r['raw_es256_cpu_microseconds'] for r in signing_rounds], '{:.1f}')} µs | the limit |")
    out.append(f"| one access token through the signing path | {signing['token_sign_microseconds']} µs | |")
    for c in (8, 64):
        shares = [r["signing_share"] for r in by_connections[c]]
        cpu = [r["cpu_us_per_token"] for r in by_connections[c]]
        out.append(f"| CPU per signature ÷ server CPU per token, {c} connections, over {len(shares)} runs "
                   f"| {spread(shares, '{:.0%}')} (server {spread(cpu, '{:.1f}')} µs a token) | ≥ 50% |")
    out.append(f"| `gatehouse serve` memory under load | peak {serve_memory['VmHWM'] / MiB:.1f} MiB, "
               f"at the end {serve_memory['VmRSS'] / MiB:.1f} MiB | < 64 MiB |")
    out.append(f"| cold start to first token, `gatehouse serve` (median of {len(serve_cold)}) | "
               f"{statistics.median(serve_cold):.1f} ms (min {min(serve_cold):.1f}, max {max(serve_cold):.1f}) | < 20 ms |")
    out.append(f"| cold start to first token, token function on moto (median of {len(function_cold)}) | "
               f"{statistics.median(function_cold):.1f} ms (min {min(function_cold):.1f}, max {max(function_cold):.1f}) | |")
    out.append(f"| warm token invocation on moto (median of {len(warm)}) | {statistics.median(warm):.2f} ms | |")
    for grant, used in grants.items():
        target = "≤ 2 requests, 1 round trip" if grant == "client_credentials" else "≤ 2 round trips"
        out.append(f"| DynamoDB, warm {grant} | {used['requests']} requests, "
                   f"{used['rounds']} round trip{'s' if used['rounds'] != 1 else ''} | {target} |")
    for name, size in sizes.items():
        out.append(f"| arm64 bootstrap `{name}` | {size / MiB:.2f} MiB ({size:,} bytes) | < 8 MiB |")
    for figure, value, target in (password_memory.rows(hashing) + api_cost.rows(api)
                                  + lambda_cost.rows(costs)):
        out.append(f"| {figure} | {value} | {target} |")
    out.append("")
    out.append(f"Costs: list prices of {prices['region']} as of {prices['as_of']} (bench/prices.json); "
               f"billed time modelled from the CPU measured here and {lambda_cost.ROUND_TRIP_MS} ms a "
               f"DynamoDB round trip (bench/lambda_cost.py). By part: " + "; ".join(
                   f"{kind} " + ", ".join(f"{name} ${value:.3f}" for name, value in cost["parts"].items())
                   for kind, cost in costs["costs"].items()) + ".")
    print("\n".join(out))


if __name__ == "__main__":
    main()
