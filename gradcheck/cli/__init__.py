"""`python -m gradcheck`: print the case-file JSON Schema, or plot a check's error against the step."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import resources
from typing import NoReturn

import numpy as np

from ..errors import ArgumentError, Ended, GradcheckError, UserCodeError, summary
from ..verdict.sweep import SWEEP_ENTRIES
from . import generate
from . import sweep as sw

SCHEMA = "case.schema.json"
INSTALL_PLOT = 'sweep needs matplotlib: pip install "gradcheck[plot]"'


def schema_text() -> str:
    """The JSON Schema for case files, as shipped in the package."""
    return resources.files("gradcheck.casefile").joinpath(SCHEMA).read_text(encoding="utf-8")


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr, `gradcheck sweep: what is wrong`, exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog.removeprefix('python -m ')}: {message} (see {self.prog} --help)\n")


def _count(text: str) -> int:
    """A count on the command line: a positive integer."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer; expected e.g. {SWEEP_ENTRIES}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not positive; expected e.g. {SWEEP_ENTRIES}")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m gradcheck", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    schema = commands.add_parser("schema", help="Print the JSON Schema for case files.")
    schema.add_argument("--path", action="store_true", help="Print where the installed schema file is instead.")
    sweep = commands.add_parser(
        "sweep", help="Plot |analytic - central difference| against the step for a check's worst entries."
    )
    sweep.add_argument("target", metavar="FILE::CASE[CHECK]", help="A test id, e.g. cases/x.yaml::seed[loss].")
    sweep.add_argument("-o", "--output", default="sweep.png", help="The image to write (default: sweep.png).")
    sweep.add_argument(
        "--entries", type=_count, default=SWEEP_ENTRIES, help="How many of the worst entries to follow (default: 3)."
    )
    generate.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as done:  # --help (0), or a malformed argument (2, its one line written)
        return done.code if isinstance(done.code, int) else 2
    if args.command == "schema":
        if args.path:
            print(resources.files("gradcheck.casefile").joinpath(SCHEMA))
        else:
            sys.stdout.write(schema_text())
        return 0
    if args.command == "generate":
        return generate.run(args)
    try:
        case, check = sw.load_check(args.target)
    except (ValueError, OSError, GradcheckError, Ended) as error:  # Ended: SystemExit, pytest's outcomes
        print(f"gradcheck sweep: {error}", file=sys.stderr)
        return 1
    if not sw.plot_available():  # fail before the sweep runs, not after
        print(INSTALL_PLOT, file=sys.stderr)
        return 2
    problem = sw.output_problem(args.output, sw.image_formats())
    if problem:
        print(f"gradcheck sweep: -o/--output: {problem}", file=sys.stderr)
        return 2
    try:
        result = sw.sweep_check(check, entries=args.entries, title=args.target, case_step=case.step)
    except (UserCodeError, ArgumentError, Ended) as error:  # a user case's function raised, or returned junk, near x
        print(f"gradcheck sweep: {error}", file=sys.stderr)
        return 1
    try:
        sw.plot(result, args.output)
    except Exception as error:  # checked before the sweep; still, a disk fills up, a format needs LaTeX (pgf)
        print(f"gradcheck sweep: -o/--output: cannot write {args.output}: {summary(error)}", file=sys.stderr)
        return 2
    for curve in result.curves:
        best = int(np.where(np.isfinite(curve.errors), curve.errors, np.inf).argmin())
        print(
            f"{curve.name}: analytic {curve.analytic:.9g}; smallest error {curve.errors[best]:.3g} "
            f"at step {result.steps[best]:.3g} (default step {result.default_step:.3g})"
        )
    print(f"wrote {args.output}")
    return 0
