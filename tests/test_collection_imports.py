"""The project modules a case file names are imported once, at collection: a script's work at
import (training, say) counts in no item's time and is named apart in the terminal summary; a
module that fails to import still fails its items alone, in one line; what the import changes
(os.environ, NumPy's random state) does not reach the rest of the run."""

from __future__ import annotations

import json

import pytest
from pluginrun import run, write

#: A script that works for a while when loaded, as one that trains at import does.
SLOW = """\
import os
import time

import numpy as np

time.sleep(0.8)
os.environ["SET_BY_THE_SCRIPT"] = "1"
np.random.seed(123)
W = np.linspace(-1.0, 1.0, 6).reshape(3, 2)


def loss(x):
    return float(np.sum(np.tanh(x @ W) ** 2))


def loss_grad(x):
    t = np.tanh(x @ W)
    return (2 * t * (1 - t**2)) @ W.T
"""

CASES = """\
cases:
  - name: slow-{n}
    function: scripts/train-at-import.py:loss
    gradient: scripts/train-at-import.py:loss_grad
    args: {{x: {{shape: [4, 3], seed: {n}}}}}
"""

#: An ordinary test of the same run, after collection: what the import changed is undone.
ORDINARY = """\
import os

import numpy as np


def test_the_import_left_the_run_as_it_was():
    assert "SET_BY_THE_SCRIPT" not in os.environ
    assert np.random.get_state()[1][0] != np.random.RandomState(123).get_state()[1][0]
"""


def test_a_slow_import_is_timed_apart_from_the_items(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "scripts/train-at-import.py", SLOW)
    write(pytester, "cases/a.yaml", CASES.format(n=1))
    write(pytester, "cases/b.yaml", CASES.format(n=2))  # the same script: loaded once
    write(pytester, "test_ordinary.py", ORDINARY)
    result = run(pytester, "-p", "no:cacheprovider", "--gradcheck-report", "report.json", "cases", "test_ordinary.py")
    result.assert_outcomes(passed=3)
    (line,) = [line for line in result.outlines if line.startswith("gradcheck: importing")]
    assert "at collection, counted in no item's time: scripts/train-at-import.py " in line
    seconds = float(line.rsplit(" ", 2)[-2])
    assert 0.8 <= seconds < 5.0
    records = json.loads((pytester.path / "report.json").read_text())["records"]
    assert len(records) == 2 and all(r["seconds"] < 0.5 for r in records)  # the 0.8 s sleep is in neither


def test_a_quick_import_is_not_named(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "scripts/train-at-import.py", SLOW.replace("time.sleep(0.8)", ""))
    write(pytester, "cases/a.yaml", CASES.format(n=1))
    result = run(pytester, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not [line for line in result.outlines if line.startswith("gradcheck: importing")]


def test_a_module_that_raises_at_import_fails_its_items_alone(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "scripts/train-at-import.py", SLOW.replace("time.sleep(0.8)", "raise RuntimeError('no data')"))
    write(pytester, "cases/a.yaml", CASES.format(n=1))
    result = run(pytester, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)  # an item's failure, not a collection error
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert any(
        "cases/a.yaml:3: function: loading scripts/train-at-import.py raised RuntimeError: no data" in line
        for line in result.outlines
    )
