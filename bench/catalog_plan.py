"""The catalog benchmark's computed imports (bench/catalog.py): `gatehouse import --plan` for a
full import into an empty table, and `--plan --against` for the one-price change and the
re-import, each computed from the seed files without a table and without writing.

What `--plan` counts is the catalog's lists: their entries, each list's `count` item and its
registry entry. An import also writes what is not a list (markets, stock locations,
applications, customer groups and customers in a full import; the import generation's 4
updates in every import), which `--plan` does not count: on moto, small and medium measure
both, so the difference is shown beside the computed figures."""

import os
import re
import subprocess
import tempfile
import time

from catalog_report import MiB, target
from support import RELEASE, ROOT

LINE = re.compile(r"writes ([\d,]+) items, ([\d,]+) bytes, ([\d,]+) write units")
STEPS = ("full import", "one-price change", "re-import of the same file")


def run_plan(seed, against, price):
    """One `gatehouse import --plan`: its figures, seconds and peak RSS (wait4)."""
    command = [os.path.join(RELEASE, "gatehouse"), "import", "--seed", seed, "--plan"]
    if against:
        command += ["--against", against]
    with tempfile.TemporaryFile() as log:
        began = time.monotonic()
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - began
        log.seek(0)
        out = log.read().decode(errors="replace")
    found = LINE.search(out)
    if os.waitstatus_to_exitcode(status) or not found:
        return {"finished": False, "error": out.strip()[-500:]}
    items, size, units = (int(group.replace(",", "")) for group in found.groups())
    return {"finished": True, "items_written": items, "bytes_written": size,
            "write_units": units, "cost_usd": units * price / 1e6, "table_items": items,
            "seconds": seconds, "peak_bytes": usage.ru_maxrss * 1024, "line": out.strip()}


def plans(files, price):
    """The three computed imports: the full import, the one-price change against the full file,
    and the full file against itself."""
    seed, changed = files["seed"], files["one_price_change"]
    return {"full import": run_plan(seed, None, price),
            "one-price change": run_plan(changed, seed, price),
            "re-import of the same file": run_plan(seed, seed, price)}


def rows(size, computed, measured=None):
    """Report rows for the computed imports, and beside them, when moto ran the same imports,
    what it wrote that `--plan` does not count."""
    out = []
    which = {"full import": ("full import cost", "table items"),
             "one-price change": ("one-price change items",)}
    for step in STEPS:
        figures = computed[step]
        label = f"moto, {step} (computed with --plan, not written):"
        if not figures["finished"]:
            out.append((label, f"FAILED: {figures['error']}", ""))
            continue
        goals = "; ".join(filter(None, (target(size, t, figures) for t in which.get(step, ()))))
        value = (f"{figures['items_written']:,} items, {figures['bytes_written'] / MiB:,.1f} MiB "
                 f"({figures['bytes_written']:,} bytes), {figures['write_units']:,} WRU = "
                 f"${figures['cost_usd']:,.4f}; computed in {figures['seconds']:.0f} s, "
                 f"peak RSS {figures['peak_bytes'] / MiB:,.0f} MiB")
        done = (measured or {}).get(step)
        if done and done.get("finished"):
            value += (f"; moto wrote {done['items_written'] - figures['items_written']:+,} items "
                      f"and {done['write_units'] - figures['write_units']:+,} WRU beside it "
                      f"(not lists: generation updates, markets, locations, applications...)")
        out.append((label, value, goals))
    return out
