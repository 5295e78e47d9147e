"""`python -m gradcheck`: print the case-file JSON Schema, plot a check's error against the step, or
write the shipped copies of the case format (generate)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import resources

import numpy as np

from ..errors import GradcheckError, UserCodeError
from ..verdict.sweep import SWEEP_ENTRIES
from . import generate
from . import sweep as sw

SCHEMA = "case.schema.json"
INSTALL_PLOT = 'sweep needs matplotlib: pip install "gradcheck[plot]"'


def schema_text() -> str:
    """The JSON Schema for case files, as shipped in the package."""
    return resources.files("gradcheck.casefile").joinpath(SCHEMA).read_text(encoding="utf-8")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m gradcheck", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    schema = commands.add_parser("schema", help="Print the JSON Schema for case files.")
    schema.add_argument("--path", action="store_true", help="Print where the installed schema file is instead.")
    sweep = commands.add_parser(
        "sweep", help="Plot |analytic - central difference| against the step for a check's worst entries."
    )
    sweep.add_argument("target", metavar="FILE::CASE[CHECK]", help="A test id, e.g. cases/x.yaml::seed[loss].")
    sweep.add_argument("-o", "--output", default="sweep.png", help="The image to write (default: sweep.png).")
    sweep.add_argument(
        "--entries", type=int, default=SWEEP_ENTRIES, help="How many of the worst entries to follow (default: 3)."
    )
    generate.add_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    except (ValueError, OSError, GradcheckError) as error:
        print(f"gradcheck sweep: {error}", file=sys.stderr)
        return 1
    if not sw.plot_available():  # fail before the sweep runs, not after
        print(INSTALL_PLOT, file=sys.stderr)
        return 2
    try:
        result = sw.sweep_check(check, entries=args.entries, title=args.target, case_step=case.step)
    except UserCodeError as error:  # a user case's function raised at a perturbed point
        print(f"gradcheck sweep: {error}", file=sys.stderr)
        return 1
    sw.plot(result, args.output)
    for curve in result.curves:
        best = int(np.where(np.isfinite(curve.errors), curve.errors, np.inf).argmin())
        print(
            f"{curve.name}: analytic {curve.analytic:.9g}; smallest error {curve.errors[best]:.3g} "
            f"at step {result.steps[best]:.3g} (default step {result.default_step:.3g})"
        )
    print(f"wrote {args.output}")
    return 0
