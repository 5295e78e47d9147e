"""pytest's rerun and selection options work with case items as with parametrized tests: an item
`cases/c.yaml::CASE[CHECK]` is the case CASE with the parameters CHECK, so that pytest's cache
reads back the ids it wrote (--lf, --ff, --nf, --sw), and node ids and -k select as usual."""

from __future__ import annotations

import pytest
from pluginrun import write

CELL = """\
import numpy as np


def square(x):
    return float(np.sum(x**2))


def twice(x):
    return 2 * x


def thrice(x):
    return 3 * x
"""

CASES = """\
cases:
  - name: good
    function: cell:square
    gradient: cell:twice
    args: {x: [1.0, 2.0]}
  - name: bad
    function: cell:square
    gradient: cell:thrice
    args: {x: [1.0, 2.0]}
  - name: also
    function: cell:square
    gradient: cell:twice
    args: {x: [3.0]}
"""


def folder(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "cell.py", CELL)
    write(pytester, "cases/c.yaml", CASES)


def rerun(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """pytest in a fresh interpreter, as a user reruns it (the cache is written on exit)."""
    return pytester.runpytest_subprocess("-p", "no:randomly", "-v", *args)


def ran(result: pytest.RunResult) -> list[str]:
    return [line.split(" ")[0] for line in result.outlines if line.startswith("cases/c.yaml::")]


def test_last_failed_reruns_exactly_the_failed_items(pytester: pytest.Pytester) -> None:
    folder(pytester)
    rerun(pytester).assert_outcomes(passed=2, failed=1)
    result = rerun(pytester, "--lf")
    result.assert_outcomes(failed=1)
    assert ran(result) == ["cases/c.yaml::bad[gradient]"]
    result.stdout.fnmatch_lines(["run-last-failure: rerun previous 1 failure*"])


def test_failed_first_runs_the_failed_item_first(pytester: pytest.Pytester) -> None:
    folder(pytester)
    rerun(pytester)
    assert ran(rerun(pytester, "--ff")) == [
        "cases/c.yaml::bad[gradient]",
        "cases/c.yaml::good[gradient]",
        "cases/c.yaml::also[gradient]",
    ]


def test_new_first_runs_a_new_case_first(pytester: pytest.Pytester) -> None:
    folder(pytester)
    rerun(pytester)
    text = CASES + "  - name: fresh\n    function: cell:square\n    gradient: cell:twice\n    args: {x: [4.0]}\n"
    write(pytester, "cases/c.yaml", text)
    assert ran(rerun(pytester, "--nf"))[0] == "cases/c.yaml::fresh[gradient]"


def test_stepwise_goes_on_from_the_failed_item(pytester: pytest.Pytester) -> None:
    folder(pytester)
    rerun(pytester, "--sw").assert_outcomes(passed=1, failed=1)
    write(pytester, "cell.py", CELL.replace("return 3 * x", "return 2 * x"))  # fixed
    result = rerun(pytester, "--sw")
    result.assert_outcomes(passed=2, deselected=1)
    assert ran(result) == ["cases/c.yaml::bad[gradient]", "cases/c.yaml::also[gradient]"]


@pytest.mark.parametrize(
    ("selection", "selected"),
    [
        (["cases/c.yaml::bad[gradient]"], ["cases/c.yaml::bad[gradient]"]),
        (["cases/c.yaml::bad"], ["cases/c.yaml::bad[gradient]"]),  # a case without its bracket
        (["-k", "also and gradient"], ["cases/c.yaml::also[gradient]"]),
    ],
)
def test_node_ids_and_k_select_as_usual(pytester: pytest.Pytester, selection: list[str], selected: list[str]) -> None:
    folder(pytester)
    assert ran(rerun(pytester, *selection)) == selected
