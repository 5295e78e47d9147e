"""The documentation cannot drift from the code: its shown files, outputs and key tables are made by
the code (tests/docpages.py, `python -m gradcheck generate`), its Python blocks run, and the
README stays a landing page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from docpages import PAGES, ROOT, Block, blocks, language, made
from sybil import Sybil
from sybil.parsers.markdown import PythonCodeBlockParser, SkipParser

from gradcheck.casefile import generate

BLOCKS = [block for page in PAGES for block in blocks(page)]
SITE = sorted((ROOT / "docs").rglob("*.md"))
MKDOCS = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
STALE = "stale: run python tests/docpages.py"


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_a_shown_file_or_output_is_what_the_code_makes(block: Block) -> None:
    assert (block.lang, block.body) == (language(block), made(block)), f"{block.name}: {STALE}"


@pytest.mark.parametrize("page", SITE, ids=[str(p.relative_to(ROOT)) for p in SITE])
def test_a_pages_key_tables_are_the_generated_ones(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    assert text == generate.readme_with_tables(text), f"{page}: run python -m gradcheck generate"


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT)) for p in PAGES])
def test_a_pages_python_blocks_run(page: Path) -> None:
    """Every ```python block of a page runs, in order, in one namespace per page (as Sybil runs them;
    `<!-- invisible-code-block: python -->` sets a block up, `<!-- skip: next -->` skips one)."""
    document = Sybil(parsers=[PythonCodeBlockParser(), SkipParser()]).parse(page)
    for example in document:
        example.evaluate()


def test_every_page_is_in_the_navigation() -> None:
    listed = set(re.findall(r":\s*(\S+\.md)\s*$", MKDOCS, re.M))
    assert {str(p.relative_to(ROOT / "docs")) for p in SITE} == listed


def test_the_made_blocks_show_commands_outputs_and_files() -> None:
    """A guard on the guard: the pages do hold made blocks of every kind."""
    kinds = {(b.kind, b.filter) for b in BLOCKS}
    assert {("file", ""), ("output", ""), ("output", "section"), ("output", "grep")} <= kinds


def test_the_readme_is_a_landing_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 200
    for page in ("tutorial.md", "reference/case-files.md", "explanation/numerics.md"):
        assert f"docs/{page}" in readme, page


def test_the_tutorials_fix_is_one_line() -> None:
    before, after = (ROOT / "docs" / "tutorial" / d for d in ("before", "after"))
    assert (before / "cases" / "tanh_layer.yaml").read_bytes() == (after / "cases" / "tanh_layer.yaml").read_bytes()
    old = (before / "tanh_layer.py").read_text(encoding="utf-8").splitlines()
    new = (after / "tanh_layer.py").read_text(encoding="utf-8").splitlines()
    assert len(old) == len(new) and sum(a != b for a, b in zip(old, new, strict=True)) == 1
