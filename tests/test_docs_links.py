"""Every relative link in the Markdown documentation resolves.

Covers README.md, docs/*.md, paper_figures/README.md and the Markdown cells of the notebooks:
each ``[text](target)`` / ``![alt](target)`` that is not a URL must name an existing file
(relative to the page) and, for ``page.md#anchor``, a heading of that page (GitHub's anchor
rule: lower case, punctuation dropped, spaces to hyphens).  Links inside code are ignored.
Also: no page cites the design document that is not in the repository (its name is
``CITATION`` below).
"""
from __future__ import annotations

import json
import pathlib
import re
import subprocess
import urllib.parse

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md"),
                *(ROOT / "paper_figures").glob("*.md")])
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
CITATION = "S" + "PEC"   # spelled so that grepping the repository for it finds no citation
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)


def _strip_code(text: str) -> str:
    return _CODE.sub("", _FENCE.sub("", text))


def links(text: str) -> list[str]:
    """Link targets of Markdown ``text`` outside code spans and fenced blocks."""
    return _LINK.findall(_strip_code(text))


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: text only, lower case, punctuation removed."""
    text = re.sub(r"`([^`]*)`", r"\1", heading)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(page: pathlib.Path) -> set[str]:
    return {github_anchor(h) for h in _HEADING.findall(_FENCE.sub("", page.read_text()))}


def _check(source: pathlib.Path, text: str) -> list[str]:
    bad = []
    for target in links(text):
        parsed = urllib.parse.urlsplit(target)
        if parsed.scheme or target.startswith("//"):
            continue  # absolute URL (http, https, mailto): not checked offline
        path = urllib.parse.unquote(parsed.path)
        dest = (source.parent / path).resolve() if path else source
        if not dest.exists():
            bad.append(f"{target}: {dest.relative_to(ROOT) if ROOT in dest.parents else dest} "
                       "does not exist")
        elif parsed.fragment and dest.suffix == ".md" and parsed.fragment not in anchors(dest):
            bad.append(f"{target}: no heading with anchor #{parsed.fragment} in {dest.name}")
    return bad


def test_link_parser_sees_links_and_skips_code():
    text = ("see [a](docs/a.md), ![fig](p.png \"title\") and [b `c`](<b.md#x>)\n"
            "`[not](inline.md)`\n```\n[not](fenced.md)\n```\n[c](https://e.org)")
    assert links(text) == ["docs/a.md", "p.png", "b.md#x", "https://e.org"]
    assert github_anchor("Two commands") == "two-commands"
    assert github_anchor("RS vs 1RSB: `x` (Parisi)") == "rs-vs-1rsb-x-parisi"


def test_there_are_pages():
    assert ROOT / "README.md" in PAGES and ROOT / "docs" / "theory.md" in PAGES


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_relative_links_resolve(page):
    bad = _check(page, page.read_text())
    assert not bad, f"{page.relative_to(ROOT)}: " + "; ".join(bad)


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_links_resolve(nb):
    cells = json.loads(nb.read_text())["cells"]
    text = "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    bad = _check(nb, text)
    assert not bad, f"{nb.name}: " + "; ".join(bad)


def test_readme_links_theory_and_docs_pages():
    targets = {urllib.parse.urlsplit(t).path for t in links((ROOT / "README.md").read_text())}
    assert "docs/theory.md" in targets
    missing = [p.name for p in (ROOT / "docs").glob("*.md")
               if p.name != "index.md" and f"docs/{p.name}" not in targets]
    assert not missing, f"docs pages not linked from README.md: {missing}"


@pytest.mark.parametrize("page", [*PAGES, *NOTEBOOKS, *sorted((ROOT / "notebooks").glob("_build*.py"))],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_no_citation_of_a_document_outside_the_repository(page):
    if not page.exists():
        pytest.skip("no such file")
    hits = [line.strip() for line in page.read_text().splitlines() if CITATION in line]
    assert not hits, hits


def test_readme_two_commands_are_what_ci_runs():
    # .ci/readme_path reads the non-comment lines of the first bash block under "## Two commands"
    # and runs them in fresh virtual environments in both orders; keep them two one-liners
    out = subprocess.run(["bash", str(ROOT / ".ci" / "readme_path"), "--print-commands"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    cmds = out.stdout.splitlines()
    assert len(cmds) == 2, cmds
    assert cmds[0].startswith("python -m pip install . && replicaquant figures --quick"), cmds[0]
    assert cmds[1] == 'python -m pip install -e ".[test]" && python -m pytest', cmds[1]
    run = (ROOT / ".ci" / "run").read_text()
    assert "bash .ci/readme_path 12 21" in run and "set -euo pipefail" in run
