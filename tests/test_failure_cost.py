"""A failure costs about what a pass does: the second look examines the failing entries worst
first and stops once a few are confirmed wrong; the report says how many it looked at, and the
count of evaluations it states is the count of calls of f. (Counts, not times: the times are
benchmarks/failure_cost.py's.)"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pytest

import gradcheck
from gradcheck.verdict.review import CONFIRMED, LOOK_FIRST


def layer(n: int, k: int) -> tuple[Callable[[np.ndarray], float], np.ndarray, np.ndarray, list[int]]:
    """A softmax + cross-entropy loss as a function of W (counting its calls), W, dL/dW."""
    rng = np.random.default_rng(0)
    x, w, y = rng.standard_normal(n), rng.standard_normal((n, k)) * 0.05, 3
    calls = [0]

    def f(weights: np.ndarray) -> float:
        calls[0] += 1
        z = x @ weights
        return float(np.log(np.exp(z - z.max()).sum()) + z.max() - z[y])

    z = x @ w
    p = np.exp(z - z.max())
    p /= p.sum()
    p[y] -= 1.0
    return f, w, np.outer(x, p), calls


@pytest.mark.parametrize("planted", [lambda a: a * 1.001, lambda a: -a], ids=["0.1% off", "sign flipped"])
def test_a_failing_full_check_costs_about_a_passing_one(planted: Callable[[np.ndarray], np.ndarray]) -> None:
    f, w, analytic, calls = layer(784, 10)
    assert gradcheck.check_jacobian(f, w, analytic, mode="full").passed
    passing, calls[0] = calls[0], 0
    result = gradcheck.check_jacobian(f, w, planted(analytic), mode="full")
    assert not result.passed and result.diagnosis == "bug"
    assert calls[0] <= 2 * passing + 1000  # 16,185 against 15,681 here; 250,905 when every entry was looked at
    assert result.mismatched == 7840  # every entry is still counted as wrong
    failed_first, looked, confirmed = result.second_look or (0, 0, 0)
    assert failed_first == 7840 and LOOK_FIRST <= looked < 100 and confirmed >= CONFIRMED
    assert f"second look at the {looked} worst of 7840 entries" in result.method
    assert "the other failing entries as the first pass found them" in result.method


def test_the_second_look_goes_on_while_what_it_sees_is_noise() -> None:
    """Entries that fail the first pass only through f's rounding noise (a large constant added
    to f) are explained one by one, the worst first: a bug among them still is found, wherever
    the look must go for it."""
    x = np.random.default_rng(1).uniform(-2.0, 2.0, 60)

    def f(v: np.ndarray) -> float:
        return float(1e8 + np.sum(np.sin(v)))

    analytic = np.cos(x)
    analytic[7] *= 1.001  # the one real bug
    result = gradcheck.check_jacobian(f, x, analytic)
    assert not result.passed and result.diagnosis == "bug"
    assert [e.name for e in result.worst] == ["x[7]"]
    failed_first, looked, confirmed = result.second_look or (0, 0, 0)
    assert failed_first > 2 * LOOK_FIRST and looked == failed_first and confirmed == 1  # in rounds, to the end
    assert gradcheck.check_jacobian(f, x, np.cos(x)).passed


def test_a_directional_check_says_how_many_times_it_called_f() -> None:
    f, w, analytic, calls = layer(784, 50)
    wrong = analytic.copy()
    wrong[3] *= 1.01
    result = gradcheck.check_jacobian(f, w, wrong, mode="directional")
    assert not result.passed
    stated = re.search(r"(\d+) evaluations of f in all", result.method)
    assert stated is not None and int(stated[1]) == calls[0] <= 1000
