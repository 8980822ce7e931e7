"""A deterministic catalog at the size of a real shop (issue 21), as a seed file that
`gatehouse serve --seed` and `gatehouse import` read (docs/seed-format.md).

Three sizes, each from a fixed random seed, so that every run writes the same bytes:

| size | markets | stock locations | price lists | SKUs | stock items | ids |
|---|---:|---:|---:|---:|---:|---|
| small | 10 | 3 each (30) | 2 | 1,000 | 5 a SKU (5,000) | short (`sku_000001`) |
| medium | 60 | 6 each (360) | 6 | 10,000 | 10 a SKU (100,000) | 36 characters (UUID-like) |
| large | 300 | 10 each (3,000) | 20 | 50,000 | 20 a SKU (1,000,000) | 36 characters (UUID-like) |

Shaped like a shop: a price list per currency or region, shared by the markets that take it
(market n sells from price list n mod lists); each market has stock locations of its own; a
SKU is priced in each price list with probability 0.9, and stocked at a fixed number of
distinct stock locations drawn at random among all of them (so the large size has exactly
1,000,000 stock items). A test-mode sales channel (`bench-storefront`) and integration (`bench-integration`, for
`market:all`) ask for tokens.

The JSON is written record by record: the generator holds one SKU's records at a time, whatever
the size. `--change-one-price` writes the same file except that the first price's amount is one
cent higher: the "one-price change" import. A re-import is the same file imported again.

Usage: python3 bench/catalog_gen.py SIZE FILE [--change-one-price]
"""

import argparse
import json
import random
import sys
import uuid

SIZES = {
    "small": {"markets": 10, "locations_per_market": 3, "price_lists": 2, "skus": 1_000,
              "stock_per_sku": 5, "uuid_ids": False},
    "medium": {"markets": 60, "locations_per_market": 6, "price_lists": 6, "skus": 10_000,
               "stock_per_sku": 10, "uuid_ids": True},
    "large": {"markets": 300, "locations_per_market": 10, "price_lists": 20, "skus": 50_000,
              "stock_per_sku": 20, "uuid_ids": True},
}
SEED = 21
PRICED_PROBABILITY = 0.9
CLIENT_ID = "bench-storefront"
# An integration sees the whole environment (`market:all`): the lists long enough for page 400.
INTEGRATION_ID = "bench-integration"
INTEGRATION_SECRET = "bench-integration-secret-0123456789abcdefghij"
FIRST_MARKET_NUMBER = 1001
# ISO 4217 codes, one a price list (20 at most): the first two are those of the small size.
CURRENCIES = ["EUR", "USD", "GBP", "CHF", "SEK", "JPY", "NOK", "DKK", "PLN", "CZK",
              "HUF", "CAD", "AUD", "NZD", "SGD", "HKD", "KRW", "BRL", "MXN", "ZAR"]


class Ids:
    """Ids of one collection: UUID-like (36 characters) from the collection's own random
    stream, or a prefix and a counter."""

    def __init__(self, size, collection, prefix):
        self.uuid = SIZES[size]["uuid_ids"]
        self.random = random.Random(f"{SEED}-{size}-{collection}-ids")
        self.prefix = prefix
        self.count = 0

    def next(self):
        self.count += 1
        if self.uuid:
            return str(uuid.UUID(int=self.random.getrandbits(128), version=4))
        return f"{self.prefix}_{self.count:06d}"


def location_number(market, slot, per_market):
    """Stock locations are numbered from 1, market by market."""
    return market * per_market + slot + 1


def market_number(market):
    return FIRST_MARKET_NUMBER + market


def sku_code(n):
    return f"SKU-{n + 1:06d}"


class Writer:
    """Writes the seed's JSON object one record at a time."""

    def __init__(self, out):
        self.out = out
        self.collections = 0
        self.records = 0

    def collection(self, name, records):
        self.out.write("," if self.collections else "{")
        self.out.write(f"\n{json.dumps(name)}: [")
        first = True
        for record in records:
            self.out.write("\n  " if first else ",\n  ")
            self.out.write(json.dumps(record, separators=(",", ":")))
            first = False
            self.records += 1
        self.out.write("\n]")
        self.collections += 1

    def value(self, name, value):
        self.out.write("," if self.collections else "{")
        self.out.write(f"\n{json.dumps(name)}: {json.dumps(value)}")
        self.collections += 1

    def finish(self):
        self.out.write("\n}\n")


def generate(size, out, change_one_price=False):
    """Writes the size's seed to `out`; returns its counts by collection."""
    shape = SIZES[size]
    markets, per_market = shape["markets"], shape["locations_per_market"]
    locations = markets * per_market
    counts = {}

    def counted(name, records):
        counts[name] = 0
        for record in records:
            counts[name] += 1
            yield record

    list_ids = Ids(size, "price_lists", "pl")
    price_lists = [list_ids.next() for _ in range(shape["price_lists"])]
    writer = Writer(out)
    writer.value("organization", {"id": "org_bench", "slug": "bench"})
    writer.collection("applications", counted("applications", [{
        "id": "app_bench_storefront", "mode": "test", "name": "Benchmark storefront",
        "kind": "sales_channel", "client_id": CLIENT_ID, "client_secret": None,
        "token_lifetime": None, "redirect_uris": []}, {
        "id": "app_bench_integration", "mode": "test", "name": "Benchmark integration",
        "kind": "integration", "client_id": INTEGRATION_ID, "client_secret": INTEGRATION_SECRET,
        "token_lifetime": None, "redirect_uris": []}]))
    writer.collection("price_lists", counted("price_lists", (
        {"id": pl, "mode": "test", "name": f"Price list {n + 1} ({CURRENCIES[n]})",
         "currency": CURRENCIES[n]} for n, pl in enumerate(price_lists))))
    location_ids = Ids(size, "stock_locations", "sl")
    writer.collection("stock_locations", counted("stock_locations", (
        {"id": location_ids.next(), "mode": "test", "number": n, "code": f"sl{n}",
         "name": f"Warehouse {n}"} for n in range(1, locations + 1))))
    market_ids = Ids(size, "markets", "mkt")
    writer.collection("markets", counted("markets", (
        {"id": market_ids.next(), "mode": "test", "number": market_number(m),
         "code": f"m{market_number(m)}", "name": f"Market {m + 1}", "active": True,
         "price_list_id": price_lists[m % len(price_lists)],
         "stock_location_numbers": [location_number(m, slot, per_market)
                                    for slot in range(per_market)],
         "customer_group_id": None} for m in range(markets))))
    sku_ids = Ids(size, "skus", "sku")
    writer.collection("skus", counted("skus", (
        {"id": sku_ids.next(), "mode": "test", "code": sku_code(n), "name": f"Product {n + 1}"}
        for n in range(shape["skus"]))))
    writer.collection("prices", counted("prices", prices(size, price_lists, change_one_price)))
    writer.collection("stock_items", counted("stock_items", stock_items(size, locations)))
    writer.finish()
    return counts


def prices(size, price_lists, change_one_price):
    draws = random.Random(f"{SEED}-{size}-prices")
    ids = Ids(size, "prices", "pr")
    first = True
    for n in range(SIZES[size]["skus"]):
        for price_list in price_lists:
            if draws.random() >= PRICED_PROBABILITY:
                continue
            amount = draws.randrange(100, 100_000)
            if first and change_one_price:
                amount += 1
            first = False
            yield {"id": ids.next(), "mode": "test", "sku_code": sku_code(n),
                   "price_list_id": price_list, "amount_cents": amount}


def stock_items(size, locations):
    draws = random.Random(f"{SEED}-{size}-stock")
    ids = Ids(size, "stock_items", "si")
    for n in range(SIZES[size]["skus"]):
        for number in sorted(draws.sample(range(1, locations + 1), SIZES[size]["stock_per_sku"])):
            yield {"id": ids.next(), "mode": "test", "sku_code": sku_code(n),
                   "stock_location_number": number, "quantity": draws.randrange(0, 500)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("size", choices=SIZES)
    parser.add_argument("file", help="where to write the seed ('-': standard output)")
    parser.add_argument("--change-one-price", action="store_true",
                        help="the first price one cent higher: the one-price change")
    args = parser.parse_args()
    if args.file == "-":
        counts = generate(args.size, sys.stdout, args.change_one_price)
    else:
        with open(args.file, "w", buffering=1 << 20) as out:
            counts = generate(args.size, out, args.change_one_price)
    print(json.dumps(counts), file=sys.stderr)


if __name__ == "__main__":
    main()
