"""The catalog benchmark (issue 21): the catalog at the size of a real shop, on the embedded
store and on DynamoDB (moto), beside the issue's targets.

For each size (bench/catalog_gen.py: small, medium, large) and each store:

- embedded: `gatehouse serve --seed FILE`: seconds from exec to listening (the seed loaded),
  peak RSS (VmHWM), then page-1 and page-400 latency (page[size]=25, median of --runs) of
  `/api/skus`, `/api/prices` and `/api/stock_items` for a market-scoped token (`market:1001`)
  and a stock-location-narrowed one (`market:1001 stock_location:1`);
- moto: `gatehouse import` into a fresh table on bench/moto_counting.py (moto as
  bench/moto_bulk.py serves bulk imports, counting the writes it applies), three times: the
  full import, the one-price change (`catalog_gen.py --change-one-price`), and a re-import of
  that same file. Each: seconds, import's peak RSS (wait4), items written and on-demand write
  units (counted by moto, one unit per started KB of the larger of the item before and after),
  their cost at bench/prices.json's price, and the table's items and bytes after. Then the same
  page latencies through `gatehouse serve` on that table.

On moto, each size's three imports are also computed without a table by the release binary's
`gatehouse import --plan` (bench/catalog_plan.py: the full import; the one-price change with
`--against` the full file; the full file against itself), reported as "computed with --plan,
not written", beside what moto counted. The large catalog on moto is only computed, not
written (the issue: "on moto it may compute the items and write units without writing them,
and say so"), unless --write-large is given.

Page 400 is measured twice: by `page[number]=400` alone, which steps over the entries before
it, and as a client following links reaches it, by the `next` link of page 399 (its
`page[after]`), checked to hold the same records.

Each (size, store) has a time budget (--budget seconds, shared by its steps): what does not
finish within it is stopped and reported as such, with what it had reached.

Usage: python3 bench/catalog.py [--size small|medium|large ...] [--store embedded|moto ...]
                                [--budget SECONDS] [--runs N] [--json FILE] [--write-large]
(`scripts/bench catalog ...` builds the release binary first.)
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import catalog_gen  # noqa: E402
import catalog_plan  # noqa: E402
import catalog_report  # noqa: E402
from support import RELEASE, ROOT, free_port, memory, start, stop  # noqa: E402

PAGE_SIZE = 25
PAGES = (1, 400)
LISTS = ("/api/skus", "/api/prices", "/api/stock_items")
# label: (client_id, client_secret, scope)
SCOPES = {
    "market": (catalog_gen.CLIENT_ID, None, "market:1001"),
    "stock location": (catalog_gen.CLIENT_ID, None, "market:1001 stock_location:1"),
    "all": (catalog_gen.INTEGRATION_ID, catalog_gen.INTEGRATION_SECRET, "market:all"),
}
MOTO_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": "us-east-1"}


class Budget:
    def __init__(self, seconds):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds

    def left(self):
        return max(0.0, self.deadline - time.monotonic())


def generate(size, work):
    """The size's seed and its one-price change: paths, counts and bytes."""
    files = {}
    for name, changed in (("seed", False), ("one_price_change", True)):
        path = os.path.join(work, f"catalog-{size}{'-changed' if changed else ''}.json")
        with open(path, "w", buffering=1 << 20) as out:
            counts = catalog_gen.generate(size, out, changed)
        files[name] = path
    return files, counts, os.path.getsize(files["seed"])


def request(connection, method, path, body=None, headers=None):
    began = time.perf_counter()
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    return response.status, data, time.perf_counter() - began


def by_next_link(connection, bearer, path, page, by_number, runs):
    """Page `page` as a client following links reaches it: the `next` link of page `page - 1`
    (asked by number), with the `page[after]` it carries; checked to hold the same records as
    `page[number]` alone (`by_number`, that page's body)."""
    url = f"{path}?page[size]={PAGE_SIZE}&page[number]={page - 1}"
    status, data, _ = request(connection, "GET", url, headers=bearer)
    if status != 200:
        return {"error": f"page {page - 1}: {status} {data[:200].decode(errors='replace')}"}
    parsed = urllib.parse.urlsplit(json.loads(data)["links"]["next"])
    following = f"{parsed.path}?{parsed.query}"
    status, data, _ = request(connection, "GET", following, headers=bearer)
    if status != 200:
        return {"error": f"next link: {status} {data[:200].decode(errors='replace')}"}
    ids = [r["id"] for r in json.loads(data)["data"]]
    if ids != [r["id"] for r in json.loads(by_number)["data"]]:
        return {"error": "the next link's page differs from page[number]'s"}
    times = [request(connection, "GET", following, headers=bearer)[2] * 1000
             for _ in range(runs)]
    return {"median_ms": statistics.median(times), "runs": runs,
            "cursor": "page%5Bafter%5D" in parsed.query or "page[after]" in parsed.query}


def latencies(port, runs):
    """Page 1 and page 400 of each list for each token: the median of `runs` requests, after
    one that also reads how many pages the list has."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    out = {}
    try:
        for label, (client_id, secret, scope) in SCOPES.items():
            form = {"grant_type": "client_credentials", "scope": scope, "client_id": client_id}
            if secret:
                form["client_secret"] = secret
            body = urllib.parse.urlencode(form)
            status, data, _ = request(connection, "POST", "/oauth/token", body,
                                      {"Content-Type": "application/x-www-form-urlencoded"})
            if status != 200:
                raise SystemExit(f"no token for {scope!r}: {status} {data[:300]!r}")
            bearer = {"Authorization": f"Bearer {json.loads(data)['access_token']}"}
            for path in LISTS:
                figures = {}
                for page in PAGES:
                    url = f"{path}?page[size]={PAGE_SIZE}&page[number]={page}"
                    status, data, _ = request(connection, "GET", url, headers=bearer)
                    if status != 200:
                        figures[page] = {"error": f"{status} {data[:200].decode(errors='replace')}"}
                        continue
                    meta = json.loads(data).get("meta", {})
                    if page > meta.get("page_count", 0):
                        figures[page] = {"absent": f"the list has {meta.get('page_count')} pages "
                                                   f"({meta.get('record_count')} records)"}
                        continue
                    times = [request(connection, "GET", url, headers=bearer)[2] * 1000
                             for _ in range(runs)]
                    figures[page] = {"median_ms": statistics.median(times), "runs": runs,
                                     "records": meta.get("record_count")}
                    if page > 1:
                        figures[f"{page} by next link"] = by_next_link(
                            connection, bearer, path, page, data, runs)
                out[f"{path} ({label})"] = figures
    finally:
        connection.close()
    return out


def tail(log):
    log.seek(0)
    return log.read().decode(errors="replace").strip()[-500:]


def serve_and_measure(command, budget, runs):
    """Starts `gatehouse serve`; seconds to listening and peak RSS, then the page latencies,
    unless the budget runs out first."""
    port = free_port()
    log = tempfile.TemporaryFile()  # a file, not a pipe: nothing reads it while serve runs
    began = time.monotonic()
    process = subprocess.Popen([*command, "--port", str(port)], stdout=log, stderr=log, cwd=ROOT)
    peak = 0
    try:
        while True:
            if process.poll() is not None:
                return {"finished": False, "error": f"serve exited: {tail(log)}"}
            peak = max(peak, memory(process.pid).get("VmHWM", 0))
            if budget.left() == 0:
                return {"finished": False, "seconds": time.monotonic() - began,
                        "peak_bytes": peak, "reached": "still loading the seed"}
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=0.2).connect()
                break
            except OSError:
                time.sleep(0.05)
        ready = time.monotonic() - began
        peak = memory(process.pid)["VmHWM"]
        pages = latencies(port, runs)
        after = memory(process.pid)
        # What the store holds once loaded (VmRSS) is the target; the peak includes the seed's
        # parse, which the process gives back.
        return {"finished": True, "load_seconds": ready, "peak_bytes": peak,
                "peak_after_pages_bytes": after["VmHWM"], "rss_after_pages_bytes": after["VmRSS"],
                "pages": pages}
    finally:
        stop(process)
        log.close()


def moto_figures(endpoint, table):
    connection = http.client.HTTPConnection(urllib.parse.urlparse(endpoint).netloc, timeout=600)
    try:
        status, data, _ = request(connection, "GET", "/_bench/writes")
    finally:
        connection.close()
    figures = json.loads(data).get(table, {})
    return {name: figures.get(name, 0) for name in
            ("puts", "deletes", "updates", "write_units", "bytes_written", "items", "bytes")}


def run_import(seed, endpoint, table, budget, price):
    """One `gatehouse import` of `seed`, within the budget: its figures, the writes moto
    counted (those so far, when stopped) and the table after."""
    before = moto_figures(endpoint, table)
    log = tempfile.TemporaryFile()
    began = time.monotonic()
    process = subprocess.Popen(
        [os.path.join(RELEASE, "gatehouse"), "import", "--seed", seed,
         "--dynamodb-endpoint", endpoint, "--table", table, "--create-table"],
        stdout=subprocess.DEVNULL, stderr=log, cwd=ROOT, env={**os.environ, **MOTO_ENV})
    finished, usage, status = False, None, None
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            finished = True
            break
        if budget.left() == 0:
            process.kill()
            _, status, usage = os.wait4(process.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.monotonic() - began
    code = os.waitstatus_to_exitcode(status)
    error = tail(log) if finished and code else None
    log.close()
    after = moto_figures(endpoint, table)
    written = {name: after[name] - before[name]
               for name in ("puts", "deletes", "updates", "write_units", "bytes_written")}
    return {
        "finished": finished and code == 0, "stopped_by_budget": not finished, "error": error,
        "seconds": seconds, "peak_bytes": usage.ru_maxrss * 1024,
        "items_written": written["puts"] + written["deletes"] + written["updates"], **written,
        "cost_usd": written["write_units"] * price / 1e6,
        "table_items": after["items"], "table_bytes": after["bytes"],
    }


def on_moto(files, budget, runs, price):
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    moto = start([sys.executable, os.path.join(ROOT, "bench", "moto_counting.py"), str(port)], port)
    table = f"gatehouse-bench-catalog-{uuid.uuid4().hex[:10]}"
    out = {"table": table, "imports": {}}
    try:
        for step, seed in (("full import", files["seed"]),
                           ("one-price change", files["one_price_change"]),
                           ("re-import of the same file", files["one_price_change"])):
            print(f"  moto: {step}...", file=sys.stderr)
            out["imports"][step] = figures = run_import(seed, endpoint, table, budget, price)
            if not figures["finished"]:
                return out
        print("  moto: pages through gatehouse serve...", file=sys.stderr)
        out["serve"] = serve_and_measure(
            [os.path.join(RELEASE, "gatehouse"), "serve", "--seed", files["seed"],
             "--dynamodb-endpoint", endpoint, "--table", table, "--create-table"], budget, runs)
    finally:
        stop(moto)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", action="append", choices=catalog_gen.SIZES,
                        help="a size to run (repeatable; default: small)")
    parser.add_argument("--store", action="append", choices=("embedded", "moto"),
                        help="a store to run on (repeatable; default: both)")
    parser.add_argument("--budget", type=float, default=600,
                        help="seconds allowed to each size on each store (default 600)")
    parser.add_argument("--runs", type=int, default=7, help="requests per page latency (median)")
    parser.add_argument("--work", help="where to write the seed files (default: a temporary folder)")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--write-large", action="store_true",
                        help="also import the large catalog into moto (default: computed only)")
    args = parser.parse_args()
    sizes, stores = args.size or ["small"], args.store or ["embedded", "moto"]
    if not os.path.exists(os.path.join(RELEASE, "gatehouse")):
        raise SystemExit(f"{RELEASE}/gatehouse is missing: cargo build --release -p gatehouse-cli")
    with open(os.path.join(ROOT, "bench", "prices.json")) as f:
        price = json.load(f)["dynamodb_per_million_write_units"]
    results = []
    with tempfile.TemporaryDirectory(prefix="gatehouse-catalog-") as scratch:
        work = args.work or scratch
        os.makedirs(work, exist_ok=True)
        for size in sizes:
            print(f"{size}: generating...", file=sys.stderr)
            began = time.monotonic()
            files, counts, size_bytes = generate(size, work)
            result = {"size": size, "records": counts, "seed_bytes": size_bytes,
                      "generate_seconds": time.monotonic() - began, "budget_seconds": args.budget}
            if "embedded" in stores:
                print(f"{size}: embedded store...", file=sys.stderr)
                result["embedded"] = serve_and_measure(
                    [os.path.join(RELEASE, "gatehouse"), "serve", "--seed", files["seed"]],
                    Budget(args.budget), args.runs)
            if "moto" in stores:
                print(f"{size}: computing the imports with --plan...", file=sys.stderr)
                result["moto_plan"] = catalog_plan.plans(files, price)
                if size != "large" or args.write_large:
                    print(f"{size}: DynamoDB on moto...", file=sys.stderr)
                    result["moto"] = on_moto(files, Budget(args.budget), args.runs, price)
            results.append(result)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    print(catalog_report.table(results, price))


if __name__ == "__main__":
    main()
