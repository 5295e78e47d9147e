"""Determinism first: where the first comparison fails, f is evaluated at x again, and an f that
gives two values there (a dropout layer drawing a new mask on every call) fails for that reason,
not as a bug, a kink or noise; nondet_tol allows a difference the user expects."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest
from pluginrun import run, write

import gradcheck

X = np.linspace(0.5, 1.5, 12)


def dropout_loss(rng: np.random.Generator) -> Callable[[np.ndarray], float]:
    def f(x: np.ndarray) -> float:
        mask = rng.random(x.shape) > 0.5  # a new mask on every call
        return float(np.sum((x * mask) ** 2) * 2.0)

    return f


def test_an_f_that_draws_anew_on_each_call_fails_as_nondeterministic() -> None:
    result = gradcheck.check_jacobian(dropout_loss(np.random.default_rng(0)), X, 2 * X)
    assert not result.passed and result.diagnosis == "nondeterministic"
    assert result.problem.startswith("f gave different values at the same x (max difference ")
    assert "such as dropout? seed it inside f, or check it in evaluation mode" in result.problem
    assert result.worst == () and result.hints == ()


def test_directional_mode_asks_the_same() -> None:
    result = gradcheck.check_jacobian(dropout_loss(np.random.default_rng(0)), X, 2 * X, mode="directional")
    assert result.diagnosis == "nondeterministic"


def jittery(scale: float) -> Callable[[np.ndarray], float]:
    rng = np.random.default_rng(1)

    def f(x: np.ndarray) -> float:  # a sum whose rounding varies from call to call
        return float(np.sum(x**3) + scale * rng.standard_normal())

    return f


def test_nondet_tol_allows_a_stated_difference_and_still_finds_a_bug() -> None:
    correct, wrong = 3 * X**2, 3 * X**2 * np.where(np.arange(12) == 4, 1.05, 1.0)
    assert gradcheck.check_jacobian(jittery(1e-9), X, wrong).diagnosis == "nondeterministic"
    allowed = gradcheck.check_jacobian(jittery(1e-9), X, wrong, nondet_tol=1e-7)
    assert not allowed.passed and allowed.diagnosis == "bug" and [e.name for e in allowed.worst] == ["x[4]"]
    assert gradcheck.check_jacobian(jittery(1e-9), X, correct, nondet_tol=1e-7).passed


def test_a_deterministic_bug_is_still_a_bug() -> None:
    result = gradcheck.check_jacobian(lambda x: float(np.sum(x**3)), X, 3.1 * X**2)
    assert result.diagnosis == "bug"


LAYER = """\
import numpy as np


class Dropout:
    def __init__(self, p):
        self.p = p
        self.W = np.linspace(0.5, 1.5, 40)

    def loss(self):
        mask = np.random.random(self.W.shape) > self.p  # the global state, drawn on every call
        return float(np.sum((self.W * mask) ** 2) / (1 - self.p))

    def grad(self):
        return 2 * self.W
"""


def dropout_case(pytester: pytest.Pytester, more: str = "") -> None:
    write(pytester, "mylayers.py", LAYER)
    case = "    object: mylayers:Dropout\n    init: {p: 0.5}\n    function: loss\n    gradient: grad\n    wrt: W\n"
    write(pytester, "cases/d.yaml", f"cases:\n  - name: drop\n{case}{more}")


def test_a_case_of_a_dropout_layer_says_why_in_one_line(pytester: pytest.Pytester) -> None:
    dropout_case(pytester)
    result = run(pytester, "--gradcheck-cases", "cases", "--gradcheck-report", "r.json")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  f gave different values at the same W (max difference *): a random layer*"])
    (record,) = json.loads((pytester.path / "r.json").read_text())["records"]
    assert record["diagnosis"] == "nondeterministic"


def test_nondet_tol_is_a_case_key(pytester: pytest.Pytester) -> None:
    dropout_case(pytester, "    nondet_tol: -1\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cases/d.yaml:8: nondet_tol: *"])
