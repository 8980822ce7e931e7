"""What one request costs each function on AWS, from what its built binary does here: the CPU,
memory and DynamoDB capacity of a client_credentials, a password and a refresh_token grant and
of a page of `GET /api/skus`, the memory size each function needs, and the bill of a million.

Each function's release binary (built for this machine) runs under the Lambda Runtime API
emulator of tests/lambda against bench/moto_counting.py, a moto that counts the read and write
units DynamoDB would bill (see its docstring), with the demo seed and the signing key in Secrets
Manager. Per request kind, after a warm-up: the CPU time of the function's process over the
invocation (every thread's, from /proc/<pid>/task/*/schedstat, in nanoseconds), the wall time,
and the units counted; per function, its peak RSS (VmHWM) and the CPU of its cold start (exec to
waiting for its first event).

Lambda gives a function CPU in proportion to its memory, one vCPU at 1,769 MB ("Lambda allocates
CPU power in proportion to the amount of memory configured", Lambda developer guide, "Configure
Lambda function memory"). A request's billed time at M MB is taken as its CPU time here scaled by
1769 / M (no faster than one core), plus its DynamoDB round trips at ROUND_TRIP_MS each. That last
figure is an assumption, not a measurement (moto answers in Python, 10 times slower than DynamoDB
in its own region); say what your region measures by changing it. This machine's cores are not
Graviton's either: the sizes below leave room for that.

Alone: `python3 bench/lambda_cost.py` after `cargo build --release -p gatehouse-cli
-p gatehouse-token -p gatehouse-api -p gatehouse-revoke -p gatehouse-wellknown`.
"""

import glob
import json
import math
import os
import statistics
import sys
import threading
import urllib.parse
import urllib.request
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from support import RELEASE, ROOT, free_port, function_environment, memory, start, stop  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests", "lambda"))

from runtime_api import Function  # noqa: E402

ROUND_TRIP_MS = 6
ONE_VCPU_MB = 1769
# A password hash's share of a sign-in: what it may take at the memory chosen. Past it, a
# customer waits visibly, and the hashing bound's queue (one run at a time per instance) holds
# the instance longer.
HASH_BUDGET_MS = 100
# Any other request's CPU at the memory chosen: a resource API page or a revocation is on a
# storefront's path, and its DynamoDB rounds come on top.
REQUEST_BUDGET_MS = 25
# A cold start's CPU at the memory chosen: what the first request after a scale-out may wait.
COLD_BUDGET_MS = 100
SIZES_MB = (128, 256, 512, 1024, 1769)
WARM_UP = 3

with open(os.path.join(ROOT, "tests", "fixtures", "apigw-v2-post-oauth-token.json")) as f:
    TOKEN_EVENT = json.load(f)


def event(method, path, body="", headers=None, query="", address=None):
    """An API Gateway HTTP API v2 event like the fixture, from `address`."""
    e = json.loads(json.dumps(TOKEN_EVENT))
    e["routeKey"] = e["requestContext"]["routeKey"] = f"{method} {path}"
    e["rawPath"] = e["requestContext"]["http"]["path"] = path
    e["rawQueryString"] = query
    e["requestContext"]["http"]["method"] = method
    e["requestContext"]["requestId"] = uuid.uuid4().hex
    if address:
        e["requestContext"]["http"]["sourceIp"] = address
    e["headers"] = {k: v for k, v in e["headers"].items() if k not in ("content-type", "content-length")}
    e["headers"].update(headers or {})
    e["body"] = body
    if body:
        e["headers"]["content-type"] = "application/x-www-form-urlencoded"
        e["headers"]["content-length"] = str(len(body))
    return e


def token_request(fields, address):
    return event("POST", "/oauth/token", urllib.parse.urlencode(fields), address=address)


def cpu_ns(pid):
    """CPU time of every thread of a process so far, in nanoseconds (first field of schedstat)."""
    total = 0
    for path in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(path) as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass  # a thread that ended: its time is in the process's, lost to this count
    return total


def units(moto, table):
    with urllib.request.urlopen(f"{moto}/_bench/writes") as response:
        figures = json.load(response).get(table, {})
    return figures.get("read_units", 0.0), figures.get("write_units", 0)


class Measured:
    """A function's process, started cold, with its cold start's CPU."""

    def __init__(self, name, environment):
        self.function = Function(os.path.join(RELEASE, name), environment)
        pid = self.function.process.pid
        # Its log lines go to a pipe; unread, a full pipe would stop the function mid-request.
        threading.Thread(target=lambda: self.function.process.stdout.read(), daemon=True).start()
        while self.function.api.next_calls == 0:
            if self.function.process.poll() is not None:
                raise SystemExit(f"the {name} function exited at start: {self.function.finish()}")
        self.cold_cpu_ms = cpu_ns(pid) / 1e6
        self.pid = pid

    def call(self, e, moto, table):
        """One invocation: (status, body, CPU ms, read units, write units)."""
        reads, writes = units(moto, table)
        before = cpu_ns(self.pid)
        kind, payload = self.function.invoke(e)
        cpu = (cpu_ns(self.pid) - before) / 1e6
        after_reads, after_writes = units(moto, table)
        assert kind == "response", payload
        return payload["statusCode"], payload.get("body", ""), cpu, after_reads - reads, after_writes - writes

    def peak_rss(self):
        return memory(self.pid)["VmHWM"]


def summary(samples):
    return {
        "cpu_ms": statistics.median(s[2] for s in samples),
        "read_units": statistics.median(s[3] for s in samples),
        "write_units": statistics.median(s[4] for s in samples),
        "runs": len(samples),
    }


def addresses(count):
    return [f"198.18.{i // 250}.{i % 250 + 1}" for i in range(count)]


def measure_token(environment, moto, table, runs):
    token = Measured("token", environment)
    kinds = {}
    cc = {"grant_type": "client_credentials", "client_id": "demo-storefront", "scope": "market:1001"}
    # Each address once to warm its rate-limit window, then measured on its second request:
    # a client that comes back, as most do (the first request from an address writes its window).
    seen = addresses(runs)
    for address in seen:
        assert token.call(token_request(cc, address), moto, table)[0] == 200
    samples = [token.call(token_request(cc, address), moto, table) for address in seen]
    assert all(s[0] == 200 for s in samples), samples[0]
    kinds["client_credentials"] = summary(samples)

    password = {"grant_type": "password", "client_id": "demo-storefront",
                "username": "alice@example.com", "password": "alice-demo-password",
                "scope": "market:code:vip"}
    samples, refresh = [], None
    for i in range(WARM_UP + runs):
        measured = token.call(token_request(password, seen[i % len(seen)]), moto, table)
        assert measured[0] == 200, measured[1]
        refresh = json.loads(measured[1])["refresh_token"]
        if i >= WARM_UP:
            samples.append(measured)
    kinds["password"] = summary(samples)

    samples = []
    for i in range(runs):
        measured = token.call(token_request({"grant_type": "refresh_token", "client_id": "demo-storefront",
                                             "refresh_token": refresh}, seen[i % len(seen)]), moto, table)
        assert measured[0] == 200, measured[1]
        refresh = json.loads(measured[1])["refresh_token"]
        samples.append(measured)
    kinds["refresh_token"] = summary(samples)
    status, body, *_ = token.call(token_request(cc, seen[0]), moto, table)
    access_token = json.loads(body)["access_token"]
    return token, kinds, access_token


def measure_api(environment, moto, table, runs, access_token):
    api = Measured("api", environment)
    page = event("GET", "/api/skus", query="page%5Bsize%5D=25",
                 headers={"authorization": f"Bearer {access_token}"})
    samples = []
    for i in range(WARM_UP + runs):
        measured = api.call(page, moto, table)
        assert measured[0] == 200, measured[1]
        if i >= WARM_UP:
            samples.append(measured)
    return api, {"api_skus_page": summary(samples)}


def measure_small(name, environment, moto, table, runs, make_event):
    function = Measured(name, environment)
    samples = [function.call(make_event(i), moto, table) for i in range(WARM_UP + runs)][WARM_UP:]
    assert all(s[0] == 200 for s in samples), samples[0]
    return function, summary(samples)


def size_for(peak_rss, heaviest_cpu_ms, budget_ms, cold_cpu_ms):
    """The smallest memory size that holds twice the peak RSS, runs the heaviest request's CPU
    within its budget (HASH_BUDGET_MS or REQUEST_BUDGET_MS) and the cold start's within
    COLD_BUDGET_MS, at the memory's share of a vCPU."""
    for size in SIZES_MB:
        share = min(1.0, size / ONE_VCPU_MB)
        if (2 * peak_rss <= size * 1024 * 1024 and heaviest_cpu_ms / share <= budget_ms
                and cold_cpu_ms / share <= COLD_BUDGET_MS):
            return size
    return SIZES_MB[-1]


def billed_ms(cpu_ms, rounds, memory_mb):
    return math.ceil(cpu_ms / min(1.0, memory_mb / ONE_VCPU_MB) + rounds * ROUND_TRIP_MS)


def cost_per_million(prices, kind, memory_mb, rounds):
    """The bill of a million requests of one kind, by part, in USD."""
    duration = billed_ms(kind["cpu_ms"], rounds, memory_mb)
    return duration, {
        "HTTP API": prices["http_api_per_million_requests"],
        "Lambda requests": prices["lambda_per_million_requests"],
        "Lambda duration": memory_mb / 1024 * duration / 1000 * 1e6 * prices["lambda_arm64_per_gb_second"],
        "DynamoDB reads": kind["read_units"] * prices["dynamodb_per_million_read_units"],
        "DynamoDB writes": kind["write_units"] * prices["dynamodb_per_million_write_units"],
    }


def template_memory():
    """Each function's MemorySize in template.yaml (the Globals' where it sets none)."""
    import re
    with open(os.path.join(ROOT, "template.yaml")) as f:
        text = f.read()
    default = int(re.search(r"Globals:.*?MemorySize:\s*(\d+)", text, re.S)[1])
    sizes = {}
    for name in ("token", "authorize", "revoke", "api", "wellknown", "admin"):
        logical = {"wellknown": "WellKnown"}.get(name, name.capitalize())
        block = re.search(rf"\n  {logical}Function:\n(.*?)(?=\n  \S)", text, re.S)
        found = re.search(r"\n      MemorySize:\s*(\d+)", block[1]) if block else None
        sizes[name] = int(found[1]) if found else default
    return sizes


def measure(runs=20, rounds=None):
    """Every figure, with moto_counting started and stopped here."""
    rounds = rounds or {"client_credentials": 1, "password": 2, "refresh_token": 2, "api_skus_page": 2}
    port = free_port()
    moto = f"http://127.0.0.1:{port}"
    counting = start([sys.executable, os.path.join(ROOT, "bench", "moto_counting.py"), str(port)], port)
    functions = []
    try:
        table, environment = function_environment(moto)
        token, kinds, access_token = measure_token(environment, moto, table, runs)
        functions.append(("token", token, kinds["password"]["cpu_ms"], HASH_BUDGET_MS))
        api, api_kinds = measure_api(environment, moto, table, runs, access_token)
        kinds.update(api_kinds)
        functions.append(("api", api, kinds["api_skus_page"]["cpu_ms"], REQUEST_BUDGET_MS))
        revoke, revoking = measure_small(
            "revoke", environment, moto, table, runs,
            lambda i: event("POST", "/oauth/revoke", urllib.parse.urlencode(
                {"client_id": "demo-storefront", "token": uuid.uuid4().hex}), address=addresses(runs)[i % runs]))
        functions.append(("revoke", revoke, revoking["cpu_ms"], REQUEST_BUDGET_MS))
        wellknown, jwks = measure_small("wellknown", environment, moto, table, runs,
                                        lambda i: event("GET", "/.well-known/jwks.json"))
        functions.append(("wellknown", wellknown, jwks["cpu_ms"], REQUEST_BUDGET_MS))
        sized = {}
        for name, function, heaviest, budget in functions:
            rss = function.peak_rss()
            sized[name] = {"peak_rss_bytes": rss, "cold_cpu_ms": function.cold_cpu_ms,
                           "heaviest_cpu_ms": heaviest,
                           "size_mb": size_for(rss, heaviest, budget, function.cold_cpu_ms)}
    finally:
        for _, function, _, _ in functions:
            function.function.finish()
        stop(counting)
    with open(os.path.join(ROOT, "bench", "prices.json")) as f:
        prices = json.load(f)
    chosen = template_memory()
    costs = {}
    for kind, figures in kinds.items():
        function = "api" if kind.startswith("api") else "token"
        duration, parts = cost_per_million(prices, figures, chosen[function], rounds[kind])
        costs[kind] = {"memory_mb": chosen[function], "billed_ms": duration, "parts": parts,
                       "total": sum(parts.values())}
    return {"kinds": kinds, "functions": sized, "template_memory_mb": chosen, "costs": costs,
            "rounds": rounds, "prices": prices}


def rows(figures):
    """(figure, value, target) rows for the benchmark's table."""
    out = []
    names = {"client_credentials": "a client_credentials token", "password": "a password grant",
             "refresh_token": "a refresh_token grant", "api_skus_page": "a page of 25 `/api/skus`"}
    prices = figures["prices"]
    for kind, cost in figures["costs"].items():
        measured = figures["kinds"][kind]
        out.append((f"1 M × {names[kind]} on AWS ({cost['memory_mb']} MB, billed {cost['billed_ms']} ms, "
                    f"{measured['read_units']:g} RRU + {measured['write_units']:g} WRU, "
                    f"{measured['cpu_ms']:.2f} ms CPU here)", f"${cost['total']:.2f}",
                    cognito(prices, kind)))
    for name, sized in figures["functions"].items():
        chosen = figures["template_memory_mb"][name]
        out.append((f"`{name}` function: peak RSS, cold start CPU, heaviest request CPU",
                    f"{sized['peak_rss_bytes'] / 1048576:.1f} MiB, {sized['cold_cpu_ms']:.1f} ms, "
                    f"{sized['heaviest_cpu_ms']:.2f} ms → needs {sized['size_mb']} MB",
                    f"template: {chosen} MB" + ("" if chosen >= sized["size_mb"] else " (too small)")))
    return out


def cognito(prices, kind):
    if kind == "client_credentials":
        return (f"Cognito: ${prices['cognito_m2m_per_thousand_token_requests'] * 1000:,.0f} "
                f"(+ ${prices['cognito_m2m_per_app_client_month']:.0f} a client a month)")
    if kind in ("password", "refresh_token"):
        return (f"Cognito: per monthly active user, not per token: ${prices['cognito_lite_per_mau']} "
                f"(Lite) or ${prices['cognito_essentials_per_mau']} (Essentials) beyond "
                f"{prices['cognito_free_mau']:,} free")
    return "Cognito: no resource API"


def main():
    figures = measure()
    if len(sys.argv) > 2 and sys.argv[1] == "--json":
        with open(sys.argv[2], "w") as f:
            json.dump(figures, f, indent=2)
    for figure, value, target in rows(figures):
        print(f"| {figure} | {value} | {target} |")


if __name__ == "__main__":
    main()
