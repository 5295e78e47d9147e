"""`python -m gradcheck generate`: write the shipped copies of the case format (schema, the key tables
of README.md and of the documentation's pages under docs/) from its declaration, or with --check say
which are stale."""

from __future__ import annotations

import argparse
import sys
from importlib import resources
from pathlib import Path
from typing import Any

from ..casefile.generate import SCHEMA_FILE, readme_with_tables, schema_text


def add_parser(commands: argparse._SubParsersAction[Any]) -> None:
    # for the project's development (it writes into the package), so not listed in --help
    generate = commands.add_parser(
        "generate",
        description="Write the case-file JSON Schema and the pages' key tables from the format's declaration.",
    )
    generate.add_argument(
        "--readme",
        default=None,
        help="The one page whose tables to write (default: README.md and every docs/**/*.md that holds a table).",
    )
    generate.add_argument("--check", action="store_true", help="Write nothing; exit 1 if a copy is stale.")


def run(args: argparse.Namespace) -> int:
    schema_path = Path(str(resources.files("gradcheck.casefile").joinpath(SCHEMA_FILE)))
    pages = [Path(args.readme)] if args.readme else [Path("README.md"), *sorted(Path("docs").rglob("*.md"))]
    try:
        made = {schema_path: schema_text()}
        for page in pages:
            made[page] = readme_with_tables(page.read_text(encoding="utf-8"))
        stale = [path for path, text in made.items() if not path.is_file() or path.read_text(encoding="utf-8") != text]
        if args.check:
            for path in stale:
                print(f"gradcheck generate: {path} is stale; run python -m gradcheck generate", file=sys.stderr)
            return 1 if stale else 0
        for path in stale:
            path.write_text(made[path], encoding="utf-8")
            print(f"wrote {path}")
    except (OSError, ValueError) as error:
        print(f"gradcheck generate: {error}", file=sys.stderr)
        return 2
    return 0
