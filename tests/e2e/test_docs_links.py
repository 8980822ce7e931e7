"""Every link of the documentation leads somewhere inside the repository.

README.md, SECURITY.md and docs/*.md: each relative link (and image) names a file or folder of
the repository, never one outside it; each `#anchor` names a heading of its target (GitHub's
rule for heading ids); each repository path written in backticks under the folders below exists;
the README links every file of docs/; and no page refers to a file outside the repository.
"""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([ROOT / "README.md", ROOT / "SECURITY.md", *(ROOT / "docs").glob("*.md")])

# Paths in backticks that are checked: folders whose layout is not being moved about.
CHECKED_PATHS = re.compile(
    r"(?:scripts|demo|bench|docs|tests/(?:e2e|deploy|browser|interop-python|interop-node|lambda|fixtures))"
    r"(?:/[\w.-]+)*/?|template\.yaml|SECURITY\.md|README\.md"
)
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def prose(text):
    """The text without fenced blocks, where a link is not a link."""
    return FENCE.sub("", text)


def links(text):
    """The targets of the inline links and images of `text` (code spans left out)."""
    return LINK.findall(INLINE_CODE.sub("``", prose(text)))


def slug(heading):
    """GitHub's id for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = text.replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path):
    ids, seen = set(), {}
    for line in prose(path.read_text()).splitlines():
        m = re.match(r"#{1,6} +(.*?)\s*#*\s*$", line)
        if m:
            base = slug(m.group(1))
            n = seen.get(base, 0)
            seen[base] = n + 1
            ids.add(base if n == 0 else f"{base}-{n}")
    return ids


def broken_links(page):
    """What is wrong with the links of one page, as readable lines."""
    problems = []
    for target in links(page.read_text()):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:: not a file
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / unquote(path_part)).resolve() if path_part else page
        where = f"{page.relative_to(ROOT)}: ({target})"
        if not resolved.is_relative_to(ROOT):
            problems.append(f"{where} leaves the repository")
            continue
        if not resolved.exists():
            problems.append(f"{where} names no file")
            continue
        if anchor:
            if resolved.suffix != ".md" or resolved.is_dir():
                problems.append(f"{where} has an anchor into a file that is not Markdown")
            elif anchor not in anchors(resolved):
                problems.append(f"{where}: no heading '#{anchor}' in {resolved.relative_to(ROOT)}")
    return problems


def missing_paths(page):
    problems = []
    for code in INLINE_CODE.findall(prose(page.read_text())):
        if CHECKED_PATHS.fullmatch(code) and not (ROOT / code).exists():
            problems.append(f"{page.relative_to(ROOT)}: `{code}` is not in the repository")
    return problems


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_resolves_inside_the_repository(page):
    assert broken_links(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_repository_path_in_backticks_exists(page):
    assert missing_paths(page) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_page_refers_to_a_file_outside_the_repository(page):
    text = page.read_text()
    assert "../shared/" not in text and "DESIGN.md" not in text


def test_the_readme_links_every_docs_file():
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links((ROOT / "README.md").read_text())}
    for doc in (ROOT / "docs").glob("*.md"):
        assert doc.resolve() in linked, f"README.md does not link {doc.relative_to(ROOT)}"


def test_the_checks_catch_what_they_are_for():
    """A broken link, a missing anchor and a link out of the repository are each reported."""
    page = ROOT / "docs" / "__link_check_probe.md"
    page.write_text(
        "# Probe\n\n[ok](api.md#refresh-tokens) [self](#probe) [gone](nowhere.md) "
        "[anchor](api.md#no-such-heading) [out](../../outside.md) `demo/nothing.json`\n\n"
        "```sh\n[not a link](nowhere-either.md)\n```\n"
    )
    try:
        problems = broken_links(page)
        assert len(problems) == 3, problems
        assert any("nowhere.md" in p and "names no file" in p for p in problems)
        assert any("no heading '#no-such-heading'" in p for p in problems)
        assert any("leaves the repository" in p for p in problems)
        assert missing_paths(page) == ["docs/__link_check_probe.md: `demo/nothing.json` is not in the repository"]
    finally:
        page.unlink()


def test_slugs_follow_githubs_rule():
    assert slug("Password hashing's memory") == "password-hashings-memory"
    assert slug("The admin API on `gatehouse serve`") == "the-admin-api-on-gatehouse-serve"
    assert slug("Sending a change again: `Idempotency-Key`") == "sending-a-change-again-idempotency-key"
    assert slug("moto, serialized") == "moto-serialized"
