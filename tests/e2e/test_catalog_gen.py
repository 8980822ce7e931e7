"""The catalog benchmark's generator (bench/catalog_gen.py): the small size has the counts
issue 21 names, is the same file every time, and is a seed the `gatehouse` binary accepts
(`serve` and `import` validate with the same parser); its one-price change differs in one
amount only."""

import collections
import hashlib
import io
import json
import os
import sys
import urllib.parse
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "bench"))

import catalog_gen  # noqa: E402
from test_gatehouse_binary import serve  # noqa: E402


def generated(size="small", change_one_price=False):
    out = io.StringIO()
    counts = catalog_gen.generate(size, out, change_one_price)
    return out.getvalue(), counts


@pytest.fixture(scope="module")
def small():
    text, counts = generated()
    return text, json.loads(text), counts


def test_small_has_the_issues_counts(small):
    _, seed, counts = small
    assert len(seed["markets"]) == 10
    assert len(seed["skus"]) == 1000
    assert len(seed["price_lists"]) == 2
    assert len(seed["stock_locations"]) == 30
    # Each market its own 3 stock locations.
    numbers = [tuple(m["stock_location_numbers"]) for m in seed["markets"]]
    assert all(len(set(n)) == 3 for n in numbers)
    assert len({n for market in numbers for n in market}) == 30
    # Price lists shared by several markets.
    assert set(collections.Counter(m["price_list_id"] for m in seed["markets"]).values()) == {5}
    assert len(seed["stock_items"]) == 1000 * catalog_gen.SIZES["small"]["stock_per_sku"]
    assert 0.8 * 2000 < len(seed["prices"]) < 2000
    assert counts == {name: len(records) for name, records in seed.items() if name != "organization"}


def test_sizes_are_the_issues():
    large = catalog_gen.SIZES["large"]
    assert (large["markets"], large["locations_per_market"], large["skus"]) == (300, 10, 50_000)
    assert large["skus"] * large["stock_per_sku"] == 1_000_000
    medium = catalog_gen.SIZES["medium"]
    assert (medium["markets"], medium["locations_per_market"], medium["skus"]) == (60, 6, 10_000)
    for size in ("medium", "large"):
        ids = catalog_gen.Ids(size, "skus", "sku")
        assert len({ids.next() for _ in range(100)}) == 100
        assert all(len(ids.next()) == 36 for _ in range(100))


def test_the_same_file_every_time(small):
    text, _, _ = small
    again, _ = generated()
    assert hashlib.sha256(again.encode()).digest() == hashlib.sha256(text.encode()).digest()


def test_one_price_change_differs_in_one_amount(small):
    _, seed, _ = small
    changed, _ = generated(change_one_price=True)
    changed = json.loads(changed)
    assert {k: v for k, v in changed.items() if k != "prices"} == \
        {k: v for k, v in seed.items() if k != "prices"}
    differ = [(a, b) for a, b in zip(seed["prices"], changed["prices"]) if a != b]
    assert len(changed["prices"]) == len(seed["prices"])
    assert len(differ) == 1
    (before, after), = differ
    assert after["amount_cents"] == before["amount_cents"] + 1
    assert {**after, "amount_cents": before["amount_cents"]} == before


def test_gatehouse_loads_the_small_seed(small, tmp_path):
    text, seed, _ = small
    path = tmp_path / "catalog-small.json"
    path.write_text(text)
    process, base = serve(tmp_path, "--seed", str(path))
    try:
        body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "client_id": catalog_gen.CLIENT_ID,
                                       "scope": "market:1001 stock_location:1"}).encode()
        with urllib.request.urlopen(f"{base}/oauth/token", body, timeout=10) as response:
            token = json.load(response)["access_token"]
        request = urllib.request.Request(f"{base}/api/stock_items?page[size]=1",
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            listed = json.load(response)["meta"]["record_count"]
    finally:
        process.terminate()
        process.wait(10)
    at_location_1 = sum(1 for item in seed["stock_items"] if item["stock_location_number"] == 1)
    assert listed == at_location_1 > 0
