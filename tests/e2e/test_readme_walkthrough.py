"""The README's walk-through runs as pasted, and prints what the README says it prints.

Starts `gatehouse serve` as the README's first command does (the binary for `cargo run`, a free
port for 3000), runs every ```sh block of the "Walk-through" section in one bash session with
`set -euo pipefail` (as a reader pasting them in order into one shell), and checks:

- that each block exits 0;
- that what each block prints matches the output block that follows it in the README (```json
  or ```text, right after the command block): whitespace is ignored, so that the README may wrap
  long JSON, and `…` stands for any text;
- the facts those outputs show, computed here from the seed the server loads (scopes, claims,
  lifetimes, which SKUs each market sells), not copied from a server's answer.

The rate-limit block starts with `sleep 61`, only to empty the window that the blocks before it
filled: the test runs that block against a second, fresh server instead of waiting.
"""

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from test_gatehouse_binary import serve

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
FIRST_COMMAND = "cargo run -p gatehouse-cli -- serve"
README_URL = "http://127.0.0.1:3000"
PAUSE = "sleep 61"

# Defaults of the contract (docs/api.md, "Lifetimes" and "Rate limits"), not of the seed.
SALES_CHANNEL_LIFETIME = 14400
RATE_LIMIT = 30


def fenced_blocks(text):
    """(language, body, start offset, end offset) of each fenced block, in order."""
    return [
        (m.group(1), m.group(2), m.start(), m.end())
        for m in re.finditer(r"^```(\w*)\n(.*?)^```\n", text, re.S | re.M)
    ]


def section(text, heading):
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def walkthrough():
    """[(command block, expected output or None)] of the README's walk-through."""
    text = section(README.read_text(), "Walk-through")
    blocks = fenced_blocks(text)
    steps = []
    for i, (language, body, start, _) in enumerate(blocks):
        if language in ("sh", "bash"):
            steps.append([body, None])
        elif language in ("json", "text"):
            previous = blocks[i - 1] if i else None
            assert previous and previous[0] in ("sh", "bash") and text[previous[3] : start] == "", (
                f"an output block that does not follow a command block: {body[:60]!r}"
            )
            steps[-1][1] = body
        else:
            raise AssertionError(f"a ```{language} block in the walk-through: the test runs only sh and checks json/text")
    return steps


def first_command_args():
    """The arguments the README's first command gives `serve`."""
    text = README.read_text()
    language, body, _, _ = fenced_blocks(text)[0]
    line = body.splitlines()[0]
    command, _, comment = line.partition("#")
    assert command.strip().startswith(FIRST_COMMAND), f"the README's first command is no longer `{FIRST_COMMAND}`: {line}"
    assert README_URL in comment, f"the first command no longer says it serves on {README_URL}: {line}"
    return shlex.split(command.strip()[len(FIRST_COMMAND) :])


def the_seed(args):
    path = args[args.index("--seed") + 1] if "--seed" in args else "demo/seed.json"
    return json.loads((ROOT / path).read_text())


def pattern(expected):
    """A regular expression for an output block: whitespace ignored, `…` any text."""
    squeezed = re.sub(r"\s+", "", expected)
    return re.compile(".*?".join(re.escape(part) for part in squeezed.split("…")), re.S)


def matches(expected, actual):
    return pattern(expected).fullmatch(re.sub(r"\s+", "", actual)) is not None


def run_session(steps, tmp_path, base, fresh_base):
    """Runs every block in one bash session; returns each block's (stdout, stderr)."""
    lines = ["set -euo pipefail"]
    for i, (command, _) in enumerate(steps):
        if command.splitlines()[0].split("#")[0].strip() == PAUSE:
            command = "\n".join(command.splitlines()[1:]) + "\n"
            lines.append(f"GATEHOUSE={fresh_base}")
        command = command.replace(README_URL, base)
        (tmp_path / f"block{i}.sh").write_text(command)
        lines.append(f"echo {i} > started")
        lines.append(f"source block{i}.sh > out{i} 2> err{i}")
    lines.append("echo done > started")
    (tmp_path / "session.sh").write_text("\n".join(lines) + "\n")
    result = subprocess.run(["bash", "session.sh"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    started = (tmp_path / "started").read_text().strip()
    outputs = [
        ((tmp_path / f"out{i}").read_text(), (tmp_path / f"err{i}").read_text())
        for i in range(len(steps))
        if (tmp_path / f"out{i}").exists()
    ]
    if result.returncode != 0 or started != "done":
        i = int(started)
        raise AssertionError(
            f"walk-through block {i + 1} failed (exit {result.returncode}):\n{steps[i][0]}\n"
            f"stdout: {outputs[i][0]}\nstderr: {outputs[i][1]}{result.stderr}"
        )
    return outputs


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    args = first_command_args()
    tmp_path = tmp_path_factory.mktemp("walkthrough")
    (tmp_path / "main").mkdir()
    (tmp_path / "fresh").mkdir()
    seed_args = [str(ROOT / args[i + 1]) if a == "--seed" else a for i, a in enumerate(args)]
    process, base = serve(tmp_path / "main", *seed_args)
    fresh, fresh_base = serve(tmp_path / "fresh", *seed_args)
    try:
        steps = walkthrough()
        outputs = run_session(steps, tmp_path, base, fresh_base)
        yield steps, outputs, base, the_seed(args)
    finally:
        for p in (process, fresh):
            p.terminate()
            p.wait(10)


def output_of(run, needle):
    """The printed output and README output of the one block whose command holds `needle`."""
    steps, outputs, _, _ = run
    found = [(outputs[i][0], expected) for i, (command, expected) in enumerate(steps) if needle in command]
    assert len(found) == 1, f"{len(found)} walk-through blocks hold {needle!r}"
    return found[0]


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_every_block_runs_and_prints_what_the_readme_shows(run):
    steps, outputs, base, _ = run
    assert len(steps) >= 8, "the walk-through lost its blocks"
    assert steps[-1][0].startswith(PAUSE), "the rate-limit block (with its pause) is the walk-through's last"
    for (command, expected), (stdout, _) in zip(steps, outputs):
        if expected is not None:
            expected = expected.replace(README_URL, base)
            assert matches(expected, stdout), f"block:\n{command}\nprinted:\n{stdout}\nthe README shows:\n{expected}"


def test_the_matching_is_not_vacuous():
    assert matches('{"a":…,"b":2}', '{"a": 1, "b": 2}\n')
    assert not matches('{"a":…,"b":2}', '{"a":1,"b":3}')
    assert not matches("30 200\n1 429", "29 200\n2 429")


def market(seed, mode, **key):
    (found,) = [m for m in seed["markets"] if m["mode"] == mode and all(m[k] == v for k, v in key.items())]
    return found


def location(seed, mode, **key):
    (found,) = [s for s in seed["stock_locations"] if s["mode"] == mode and all(s[k] == v for k, v in key.items())]
    return found


def application(seed, client_id):
    (found,) = [a for a in seed["applications"] if a["client_id"] == client_id]
    return found


def test_a_scope_by_code_comes_back_as_asked(run):
    _, _, _, seed = run
    scope = "market:code:eu stock_location:code:ber"
    printed, expected = output_of(run, scope)
    eu, ber = market(seed, "test", code="eu"), location(seed, "test", code="ber")
    assert ber["number"] in eu["stock_location_numbers"]
    (body,) = json_lines(printed)
    assert body["scope"] == scope and body["expires_in"] == SALES_CHANNEL_LIFETIME
    assert f'"scope":"{scope}"' in expected and f'"expires_in":{SALES_CHANNEL_LIFETIME}' in expected


def test_the_claims_are_the_seeds_records(run):
    _, _, base, seed = run
    printed, _ = output_of(run, "| claims")
    (claims,) = json_lines(printed)
    eu = market(seed, "test", number=1001)
    app = application(seed, "demo-storefront")
    assert claims["iss"] == base
    assert claims["scope"] == "market:1001" and claims["test"] is (app["mode"] == "test")
    assert claims["organization"] == seed["organization"]
    assert claims["application"] == {"id": app["id"], "client_id": app["client_id"], "kind": app["kind"], "public": app["client_secret"] is None, "confidential": app["client_secret"] is not None}
    assert claims["market"] == {
        "id": eu["id"],
        "number": eu["number"],
        "price_list_id": eu["price_list_id"],
        "stock_location_ids": [location(seed, "test", number=n)["id"] for n in eu["stock_location_numbers"]],
    }
    assert claims["exp"] - claims["iat"] == SALES_CHANNEL_LIFETIME
    # Its entry in the status list of the hour it was issued in.
    assert claims["status"]["status_list"]["uri"] == f"{base}/oauth/status_lists/{claims['iat'] // 3600}"


def test_the_integration_gets_every_market_for_its_own_lifetime(run):
    _, _, _, seed = run
    printed, expected = output_of(run, "-u demo-integration:demo-integration-secret")
    lifetime = application(seed, "demo-integration")["token_lifetime"]
    (body,) = json_lines(printed)
    assert body["scope"] == "market:all" and body["expires_in"] == lifetime
    assert f'"expires_in":{lifetime}' in expected


def test_the_refused_scopes_are_refused_for_the_reasons_the_seed_gives(run):
    _, _, _, seed = run
    disabled = [m["number"] for m in seed["markets"] if m["mode"] == "test" and not m["active"]]
    private = [m["number"] for m in seed["markets"] if m["mode"] == "test" and m["customer_group_id"]]
    numbers = {m["number"] for m in seed["markets"] if m["mode"] == "test"}
    printed, expected = output_of(run, f"scope=market:{disabled[0]};")
    assert f"market:{disabled[0]} is disabled" in json_lines(printed)[0]["error_description"]
    printed, expected = output_of(run, "for scope in")
    lines = printed.splitlines()
    assert lines[0] == f"market:{private[0]} is private to a customer group: only a logged-in customer of that group gets it in scope"
    assert 9999 not in numbers and lines[1] == "market:9999 does not exist"
    assert 103 not in market(seed, "test", number=1001)["stock_location_numbers"]
    assert lines[3] == "stock_location:103 does not belong to market:1001"


def test_alice_logs_in_to_her_groups_private_market(run):
    _, _, _, seed = run
    printed, _ = output_of(run, "grant_type=password")
    (alice,) = [c for c in seed["customers"] if c["email"] == "alice@example.com"]
    vip = market(seed, "test", number=1003)
    assert vip["customer_group_id"] == alice["customer_group_id"] is not None
    (body,) = json_lines(printed)
    assert body["owner_id"] == alice["id"] and body["owner_type"] == "customer"
    assert body["scope"] == "market:1003" and body["refresh_token"]


def sellable(seed, number):
    """The SKU codes a market lists: a price in its price list, a stock item at one of its locations."""
    m = market(seed, "test", number=number)
    priced = {p["sku_code"] for p in seed["prices"] if p["price_list_id"] == m["price_list_id"]}
    stocked = {s["sku_code"] for s in seed["stock_items"] if s["stock_location_number"] in m["stock_location_numbers"]}
    return priced & stocked


def test_each_token_sees_its_markets_skus(run):
    _, _, _, seed = run
    printed, expected = output_of(run, "/api/skus")
    eu, us, refused = printed.splitlines()
    for document, number in ((eu, 1001), (us, 1002)):
        codes = {r["attributes"]["code"] for r in json.loads(document)["data"]}
        assert codes == sellable(seed, number)
    assert sellable(seed, 1001) != sellable(seed, 1002)
    for code in sellable(seed, 1001) | sellable(seed, 1002):
        assert f'"code":"{code}"' in expected
    assert refused.endswith(" 401")


def test_the_metadata_names_this_servers_token_endpoint(run):
    _, _, base, _ = run
    printed, _ = output_of(run, "oauth-authorization-server")
    assert printed.splitlines()[-1] == f"{base}/oauth/token"


def test_the_limit_refuses_the_request_after_the_limit(run):
    printed, expected = output_of(run, "seq 31")
    counts = [line.split() for line in printed.splitlines()[:2]]
    assert counts == [[str(RATE_LIMIT), "200"], ["1", "429"]]
    assert f"ratelimit-limit: {RATE_LIMIT}" in printed.lower() and "retry-after:" in printed.lower()
