"""The documentation's shown files and command outputs, made by the code they show.

A page under docs/ (or README.md) marks a fenced block it does not write by hand with a comment line
just above it:

- `<!-- file: PATH -->`: the block is the file PATH (relative to the repository), as it is;
- `<!-- output: COMMAND -->`: the block is `$ COMMAND` and what the command prints, run from the
  repository's root; `<!-- output in DIR: ... -->` runs it in DIR, and a filter after the
  directory keeps a part: `section ITEM` the report of one item of a pytest run (its `____ ITEM ____`
  section), `grep REGEX` the lines that match, `entries REGEX` those with the lines indented
  deeper that follow each (an option's help), `after REGEX` the lines from the first that
  matches to the next blank line.

The folder a command runs in is shown as /path/to/project (the repository's as /path/to/gradcheck),
and pytest's closing timings are left out: they differ from machine to machine and run to run.

`python tests/docpages.py` rewrites every stale block; `--check` says which are stale (exit 1).
tests/test_docs.py fails while one is. `pytest` in a COMMAND runs as `python -m pytest` without
the cache, random ordering or xdist, with 80 columns, so that the output is the same on every machine.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The pages whose blocks are made: the README and every page of the site.
PAGES = (ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md")))

DIRECTIVE_RE = re.compile(
    r"^<!-- (?P<kind>file|output)(?: in (?P<dir>\S+))?(?: (?P<filter>section|grep|entries|after) (?P<pattern>\S+))?: "
    r"(?P<target>.+?) -->\n(?P<fence>```+)(?P<inner>(?P<lang>\w*)\n(?P<body>.*?))(?P=fence)\n",
    re.S | re.M,
)
#: pytest's closing timings (`1 failed, 2 passed in 0.31s`), which differ from run to run.
TIMING_RE = re.compile(r" in \d+(?:\.\d+)?s(?: \(\d+:\d+:\d+\))?")
LANGUAGES = {".py": "python", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml", ".ini": "ini", ".json": "json"}


@dataclass(frozen=True)
class Block:
    """One made block of a page: what makes it, and where it sits in the page's text."""

    page: Path
    kind: str  # file or output
    target: str  # the file's path, or the command
    where: str  # the directory the command runs in, relative to the repository
    filter: str  # "", section or grep
    pattern: str
    span: tuple[int, int]  # of the block's language and body in the page's text
    lang: str
    body: str

    @property
    def name(self) -> str:
        line = self.page.read_text(encoding="utf-8")[: self.span[0]].count("\n")
        return f"{self.page.relative_to(ROOT)}:{line}"


def blocks(page: Path) -> Iterator[Block]:
    """The made blocks of a page, in order."""
    text = page.read_text(encoding="utf-8")
    for m in DIRECTIVE_RE.finditer(text):
        yield Block(
            page,
            m["kind"],
            m["target"],
            m["dir"] or ".",
            m["filter"] or "",
            m["pattern"] or "",
            m.span("inner"),
            m["lang"],
            m["body"],
        )


def _run(command: str, where: Path) -> str:
    """What `command` prints (stdout then stderr), run in `where` as the module docstring says."""
    words = shlex.split(command)
    if words[0] == "pytest":
        words = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-p", "no:xdist"]
        words += shlex.split(command)[1:]
    elif words[0] == "python":
        words[0] = sys.executable
    # pytest leaves its short summary untruncated where CI or BUILD_NUMBER is set: drop both
    # so a page made here reads as one made in CI.
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_")) and k not in ("CI", "BUILD_NUMBER")
    }
    env.update(COLUMNS="80", PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(words, cwd=where, env=env, capture_output=True, text=True, timeout=300, check=False)
    return done.stdout + done.stderr


def _section(output: str, item: str) -> str:
    """The report of one item in a pytest run's output: its `____ item ____` header and what follows."""
    lines = output.splitlines()
    header = re.compile(r"_{3,} " + re.escape(item) + r" _{3,}")
    start = next((i for i, line in enumerate(lines) if header.fullmatch(line)), None)
    if start is None:
        raise ValueError(f"no report of {item} in:\n{output}")
    end = next((i for i in range(start + 1, len(lines)) if re.match(r"(_{3,} |={3,})", lines[i])), len(lines))
    return "\n".join(lines[start:end]).rstrip("\n") + "\n"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _kept(lines: list[str], how: str, pattern: str) -> str:
    """The lines a grep, entries or after filter keeps."""
    kept: list[str] = []
    if how == "after":
        start = next(i for i, line in enumerate(lines) if re.search(pattern, line))
        end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
        return "".join(line + "\n" for line in lines[start:end])
    depth = None  # the indent of the entry being kept, while its deeper lines follow
    for line in lines:
        if re.search(pattern, line):
            kept.append(line)
            depth = _indent(line) if how == "entries" else None
        elif depth is not None and line.strip() and _indent(line) > depth:
            kept.append(line)
        else:
            depth = None
    return "".join(line + "\n" for line in kept)


def made(block: Block) -> str:
    """What the block should hold."""
    if block.kind == "file":
        return (ROOT / block.target).read_text(encoding="utf-8")
    output = _run(block.target, ROOT / block.where)
    if block.filter == "section":
        output = _section(output, block.pattern)
    elif block.filter:
        output = _kept(output.splitlines(), block.filter, block.pattern)
    # the folders of this checkout, which differ from machine to machine
    output = output.replace(str(ROOT / block.where), "/path/to/project").replace(str(ROOT), "/path/to/gradcheck")
    output = "\n".join(TIMING_RE.sub("", line).rstrip() for line in output.splitlines())
    if not output.strip():
        raise ValueError(f"{block.name}: {block.target} printed nothing to show")
    return f"$ {block.target}\n{output.strip(chr(10))}\n"


def language(block: Block) -> str:
    """The fence's language: by the file's suffix, or console for a command."""
    return LANGUAGES.get(Path(block.target).suffix, "text") if block.kind == "file" else "console"


def rewrite(page: Path) -> bool:
    """Make every block of the page anew; whether it changed."""
    text = page.read_text(encoding="utf-8")
    out, last = [], 0
    for block in blocks(page):
        out += [text[last : block.span[0]], f"{language(block)}\n{made(block)}"]
        last = block.span[1]
    out.append(text[last:])
    new = "".join(out)
    if new != text:
        page.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    if "--check" not in argv:
        for page in PAGES:
            if rewrite(page):
                print(f"wrote {page.relative_to(ROOT)}")
        return 0
    stale = [b.name for page in PAGES for b in blocks(page) if (b.lang, b.body) != (language(b), made(b))]
    for name in stale:
        print(f"{name}: stale; run python tests/docpages.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
