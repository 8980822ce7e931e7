"""Every command in the documentation names what it works on.

In each ```sh block of README.md and docs/*.md (continuation lines joined): a `sam deploy` or
`aws cloudformation` command names its stack (`--stack-name`), and its region; an `aws` command
on a regional service names its region; a `gatehouse` command on a table (import, apps, markets,
audit, serve from DynamoDB) names the table (`--table`, or `$T` where the block sets T with one).
A command that leaves them out works on whatever the shell's defaults say, which is how a
mistyped or forgotten name reaches the wrong stack or table.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")])
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
# Route 53 and IAM are global; every other service the docs call is regional.
GLOBAL_SERVICES = {"route53", "iam", "sts"}
TABLE_COMMANDS = re.compile(r"\bgatehouse(?:-cli --)?\s+(import|apps|markets|audit)\b")


def commands(block):
    """The block's commands: continuation lines joined, comments dropped, `$(...)` and `(...)`
    arrays' contents kept in the line that holds them."""
    joined = re.sub(r"\\\n\s*", " ", block)
    # A bash array written over several lines, as operate.md's DEPLOY=( ... ).
    joined = re.sub(r"=\(([^)]*)\)", lambda m: "=(" + " ".join(m[1].split()) + ")", joined)
    for line in joined.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        if line:
            yield line


def problems_of(text, page):
    problems = []
    for block in SH_BLOCK.findall(text):
        lines = list(commands(block))
        table_variable = any(re.match(r'T="[^"]*--table ', line) for line in lines)
        arrays = {m[1]: m[2] for line in lines for m in [re.match(r"(\w+)=\((.*)\)$", line)] if m}
        for line in lines:
            expanded = re.sub(r'"\$\{(\w+)\[@\]\}"', lambda m: arrays.get(m[1], m[0]), line)
            where = f"{page}: {line[:100]}"
            if re.search(r"\bsam deploy\b|\baws cloudformation\b", expanded):
                for flag in ("--stack-name", "--region"):
                    if flag not in expanded:
                        problems.append(f"{where}: no {flag}")
            for service in re.findall(r"\baws ([a-z0-9-]+)\b", expanded):
                if service not in GLOBAL_SERVICES and "--region" not in expanded \
                        and "AWS_REGION=" not in expanded:
                    problems.append(f"{where}: aws {service} without --region")
            if TABLE_COMMANDS.search(expanded) and "--plan" not in expanded:
                if "--table" not in expanded and not (table_variable and "$T" in expanded):
                    problems.append(f"{where}: no --table")
            if re.search(r"\bserve\b.*--dynamodb-endpoint", expanded) and "--table" not in expanded:
                problems.append(f"{where}: serve from DynamoDB without --table")
    return problems


def test_every_documented_command_names_its_stack_region_or_table():
    problems = []
    for page in PAGES:
        problems += problems_of(page.read_text(), page.relative_to(ROOT))
    assert not problems, "\n".join(problems)


def test_the_check_sees_a_command_without_its_names():
    block = "```sh\nsam deploy --parameter-overrides A=1\ngatehouse apps list --mode test\n" \
            "aws secretsmanager create-secret --name x\n```\n"
    found = problems_of(block, "page")
    assert any("no --stack-name" in p for p in found), found
    assert any("no --table" in p for p in found), found
    assert any("aws secretsmanager without --region" in p for p in found), found
