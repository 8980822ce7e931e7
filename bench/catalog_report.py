"""The catalog benchmark's figures as one Markdown table, the issue's targets beside them
(bench/catalog.py measures; this only prints)."""

MiB = 1024 * 1024

# Issue 21's targets, by size and figure.
TARGETS = {
    ("medium", "full import seconds"): ("< 600 s (10 minutes)", lambda f: f["seconds"] < 600),
    ("large", "table items"): ("< 20,000,000 items", lambda f: f["table_items"] < 20_000_000),
    ("large", "full import cost"): ("< $25", lambda f: f["cost_usd"] < 25),
    ("large", "one-price change items"): ("< 1,000 items written",
                                          lambda f: f["items_written"] < 1000),
}


def target(size, figure, figures):
    entry = TARGETS.get((size, figure))
    if not entry:
        return ""
    text, met = entry
    if not figures.get("finished"):
        return f"{text}: not reached"
    return f"{text}: {'met' if met(figures) else 'MISSED'}"


def unfinished(figures, budget):
    if figures.get("error"):
        return f"FAILED: {figures['error']}"
    return (f"did not finish within {budget:.0f} s ({figures.get('reached', 'stopped')}; "
            f"peak RSS {figures.get('peak_bytes', 0) / MiB:,.0f} MiB)")


def page_rows(prefix, pages):
    rows = []
    for name, figures in pages.items():
        cells = []
        for page, figure in figures.items():
            if "median_ms" in figure:
                how = {True: " (page[after])", False: " (the link has no page[after])"}.get(
                    figure.get("cursor"), "")
                cells.append(f"page {page}{how}: {figure['median_ms']:.2f} ms")
            elif "absent" in figure:
                cells.append(f"no page {page}: {figure['absent']}")
            else:
                cells.append(f"page {page}: {figure['error']}")
        rows.append((f"{prefix} `{name}`", "; ".join(cells), ""))
    return rows


def served(prefix, figures, budget, load_label):
    if not figures.get("finished"):
        return [(prefix, unfinished(figures, budget), "")]
    rows = [(f"{prefix} {load_label}",
             f"{figures['load_seconds']:.2f} s, peak RSS {figures['peak_bytes'] / MiB:,.1f} MiB; "
             f"held after the pages (VmRSS) {figures['rss_after_pages_bytes'] / MiB:,.1f} MiB",
             "held under 1,024 MiB at large")]
    runs = next((f["runs"] for p in figures["pages"].values() for f in p.values() if "runs" in f), 0)
    return rows + page_rows(f"{prefix} median of {runs},", figures["pages"])


def import_rows(size, step, figures, budget):
    prefix = f"moto, {step}:"
    if not figures["finished"]:
        reached = (f"{figures['items_written']:,} items written ({figures['write_units']:,} "
                   f"write units) in {figures['seconds']:.0f} s, {figures['table_items']:,} items "
                   f"in the table, import's peak RSS {figures['peak_bytes'] / MiB:,.0f} MiB")
        if figures.get("error"):
            value = f"FAILED after {figures['seconds']:.0f} s: {figures['error']} ({reached})"
        else:
            value = f"did not finish within {budget:.0f} s: {reached}"
        which = {"full import": "full import seconds",
                 "one-price change": "one-price change items"}.get(step, "")
        return [(prefix, value, target(size, which, figures))]
    rows = [
        (f"{prefix} seconds, import's peak RSS",
         f"{figures['seconds']:.1f} s, {figures['peak_bytes'] / MiB:,.1f} MiB",
         target(size, "full import seconds", figures) if step == "full import" else ""),
        (f"{prefix} items written",
         f"{figures['items_written']:,} ({figures['puts']:,} puts, {figures['deletes']:,} deletes, "
         f"{figures['updates']:,} updates; {figures['bytes_written'] / MiB:,.1f} MiB)",
         target(size, "one-price change items", figures) if step == "one-price change" else ""),
        (f"{prefix} write units, cost",
         f"{figures['write_units']:,} WRU = ${figures['cost_usd']:,.4f}",
         target(size, "full import cost", figures) if step == "full import" else ""),
    ]
    if step == "full import":
        rows.append((f"{prefix} table after", f"{figures['table_items']:,} items, "
                     f"{figures['table_bytes'] / MiB:,.1f} MiB",
                     target(size, "table items", figures)))
    return rows


def table(results, price):
    out = ["| size | figure | value | target |", "|---|---|---|---|"]
    for result in results:
        size, budget = result["size"], result["budget_seconds"]
        records = result["records"]
        rows = [("seed", f"{records['markets']:,} markets, {records['stock_locations']:,} stock "
                 f"locations, {records['price_lists']:,} price lists, {records['skus']:,} SKUs, "
                 f"{records['prices']:,} prices, {records['stock_items']:,} stock items; "
                 f"{result['seed_bytes'] / MiB:,.1f} MiB, generated in "
                 f"{result['generate_seconds']:.1f} s", "")]
        if "embedded" in result:
            rows += served("embedded:", result["embedded"], budget, "load (exec to listening)")
        if "moto" in result:
            imports = result["moto"]["imports"]
            for step, figures in imports.items():
                rows += import_rows(size, step, figures, budget)
            for step in ("full import", "one-price change", "re-import of the same file"):
                if step not in imports:
                    rows.append((f"moto, {step}:", "not run (an earlier step did not finish)",
                                 ""))
            if "serve" in result["moto"]:
                rows += served("moto, `gatehouse serve` on the table:", result["moto"]["serve"],
                               budget, "start (exec to listening)")
        if "moto_plan" in result:
            import catalog_plan  # it uses this module's target()
            measured = result.get("moto", {}).get("imports")
            rows += catalog_plan.rows(size, result["moto_plan"], measured)
        out += [f"| {size} | {figure} | {value} | {goal} |" for figure, value, goal in rows]
    out.append("")
    out.append(
        f"Write units: counted by moto (bench/moto_counting.py) for every item it puts, deletes "
        f"or updates, one unit per started KB of the larger of the item before and after; cost at "
        f"${price} per million on-demand write units (bench/prices.json). A transaction's writes "
        f"count twice, as DynamoDB bills them. Pages: page[size]=25; the market token is "
        f"`market:1001`, the narrowed one `market:1001 stock_location:1`, and `all` an "
        f"integration's `market:all`.")
    return "\n".join(out)
