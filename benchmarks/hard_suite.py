"""Verdicts on hard functions: how many correct derivatives pass and how many wrong ones fail.

Run:  python benchmarks/hard_suite.py [-v]

The cases are tests/hardcases.py: in each category where finite differences go astray (noise,
the scale of variation, overflow, kinks, float32 inside f, the edge of f's domain) a correct
derivative and subtly wrong ones (0.1 % to 1 % errors, a missing term, a wrong threshold). Each
runs with check_jacobian's defaults, vectorized, in mode="directional" and with scheme="central4".
Prints the counts per configuration and per category, and (on stderr) the cases any
configuration got wrong.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import hardcases  # noqa: E402

import gradcheck  # noqa: E402


def verdicts(verbose: bool) -> int:
    cases = hardcases.cases()
    wrong_cases = 0
    print("| configuration | correct passed | bugs caught | diagnosis right | seconds |")
    print("|---|---|---|---|---|")
    per_category: Counter[tuple[str, str, bool]] = Counter()
    for config, options in hardcases.CONFIGS.items():
        passed = caught = diagnosed = correct = bugs = 0
        start = time.perf_counter()
        for case in cases:
            if not hardcases.applies(case, config):
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # a warning is a defect here
                result = gradcheck.check_jacobian(case.f, case.x, case.analytic, **case.options, **options)
            right = result.passed is case.correct
            if case.correct:
                correct += 1
                passed += right
            else:
                bugs += 1
                caught += right
                diagnosed += right and result.diagnosis == case.diagnosis
            per_category[(config, case.category, right)] += 1
            if not right or (verbose and not case.correct):
                wrong_cases += not right
                label = "WRONG" if not right else "caught"
                print(f"  {label} [{config}] {case.name}: {result.diagnosis}", file=sys.stderr)
        seconds = time.perf_counter() - start
        print(f"| {config} | {passed}/{correct} | {caught}/{bugs} | {diagnosed}/{bugs} | {seconds:.2f} |")
    print("\n| category | " + " | ".join(hardcases.CONFIGS) + " |")
    print("|---|" + "---|" * len(hardcases.CONFIGS))
    for category in sorted({c.category for c in cases}):
        cells = []
        for config in hardcases.CONFIGS:
            right, wrong = per_category[(config, category, True)], per_category[(config, category, False)]
            cells.append(f"{right}/{right + wrong}")
        print(f"| {category} | " + " | ".join(cells) + " |")
    return wrong_cases


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="also list every bug caught, with its diagnosis")
    args = parser.parse_args()
    print(f"# hard functions: {len(hardcases.cases())} cases\n")
    wrong = verdicts(args.verbose)
    print(f"\n{'every verdict right' if wrong == 0 else f'{wrong} wrong verdicts'}")
    return 0 if wrong == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
