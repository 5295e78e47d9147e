"""Hints for plain patterns, each from a planted bug with its exact line, and the correct
derivative of the same f with no hint: a constant factor per row (per sample), a clip's or a
mask's bound, a derivative that returns f(x) or x; and the report's problem lines in the JSON
record's hints."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import numpy as np
import pytest
from pluginrun import run, write

import gradcheck
from gradcheck.verdict.arguments import Evaluation, Options, named
from gradcheck.verdict.verify import checked

Array = np.ndarray
X = np.array([-1.6, -0.9, -0.7, -0.2, 0.3, 0.6, 0.8, 1.4, 2.1])  # a clip at [-1, 1] flattens 3 entries
BATCH = np.random.default_rng(0).standard_normal((4, 3))
WEIGHTS = np.array([1.0, 2.0, 3.0, 4.0])  # one per sample


def clipped(v: Array) -> float:
    return float(np.sum(np.clip(v, -1.0, 1.0) ** 2) / 2)


def weighted(v: Array) -> float:
    return float(np.sum(WEIGHTS[:, None] * v**2))


def cubed(v: Array) -> float:
    return float(np.sum(v**3) / 3)


def sigmoid(v: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.exp(-v))
    return out


def hints_of(f: Callable[[Array], object], x: Array, d: Callable[[Array], Array]) -> tuple[bool, tuple[str, ...]]:
    c = gradcheck.check_jacobian(f, x, d)
    return c.passed, c.hints


def test_a_factor_per_sample_is_shown_with_its_factors() -> None:
    assert hints_of(weighted, BATCH, lambda v: 2 * v) == (  # the weights forgotten
        False,
        (
            "analytic = k[i] * numeric, a constant factor per row i (the first axis): k = 1, 0.5, 0.3333, 0.25: "
            "a per-sample weight, count or 1/B applied on one side only?",
        ),
    )
    assert hints_of(weighted, BATCH, lambda v: 2 * WEIGHTS[:, None] * v) == (True, ())


def test_one_factor_for_every_row_stays_the_constant_factor_hint() -> None:
    passed, hints = hints_of(weighted, BATCH, lambda v: 4 * WEIGHTS[:, None] * v)
    assert not passed and hints[0].startswith("analytic = 2 * numeric: off by a constant factor")
    assert not any("per row" in h for h in hints)


def test_a_missing_clip_mask_is_read_off_x() -> None:
    assert hints_of(clipped, X, lambda v: np.clip(v, -1.0, 1.0)) == (
        False,
        (
            "numeric is zero where analytic is not, at 3 of the mismatched entries (at every entry with x outside "
            "[-0.9, 0.8], and only there): f is flat there (clipped, or saturated) but the derivative is not: a "
            "missing mask, such as (x > 0) or a clip's bounds?",
        ),
    )
    assert hints_of(clipped, X, lambda v: v * (np.abs(v) < 1.0)) == (True, ())


def test_a_mask_cut_at_other_bounds_than_the_clip_is_told() -> None:
    assert hints_of(clipped, X, lambda v: v * (np.abs(v) < 0.5)) == (
        False,
        (
            "analytic is zero where numeric is not, at 4 of the mismatched entries; analytic is zero at every x "
            "outside [-0.2, 0.3], numeric (f flat) at every x outside [-0.9, 0.8]: the derivative's mask cuts at "
            "other bounds than f's clip",
        ),
    )


def test_a_gradient_clipped_at_a_bound_is_told() -> None:
    steep = 3.0 * X  # the gradient of sum(x^3) at 3x is 27 x^2: above 5 at three entries
    passed, hints = hints_of(cubed, steep, lambda v: np.clip(v**2, -5.0, 5.0))
    assert not passed
    assert hints == (
        "analytic is ±5 at every mismatched entry, where numeric is larger: a derivative clipped at 5 (such as "
        "np.clip(g, -5, 5))? check it before the clip",
    )
    assert hints_of(cubed, steep, lambda v: v**2) == (True, ())
    # a factor off at entries that happen to share a size is no clip: numeric is smaller there
    assert not any("clipped" in h for h in hints_of(cubed, np.array([2.0, -2.0, 0.5]), lambda v: 2 * v**2)[1])


def test_a_derivative_that_returns_x_is_told() -> None:
    assert hints_of(cubed, BATCH, lambda v: v) == (
        False,
        ("analytic equals x, the input, at every entry: does the derivative return its argument?",),
    )
    assert hints_of(cubed, BATCH, lambda v: v**2) == (True, ())


def test_an_elementwise_derivative_that_returns_f_of_x_is_told() -> None:
    elementwise = dataclasses.replace(named("sigmoid", "z", None, None), elementwise=True)

    def run_with(d: Callable[[Array], Array]) -> tuple[bool, tuple[str, ...]]:
        c = checked(sigmoid, BATCH[0], d, Options(), elementwise, Evaluation())
        return c.passed, c.hints

    assert run_with(lambda v: np.diag(sigmoid(v))) == (
        False,
        (
            "analytic equals f(x), the forward value, at every entry: does the derivative return it instead of "
            "the derivative (such as s for sigmoid's s * (1 - s))?",
        ),
    )
    assert run_with(lambda v: np.diag(sigmoid(v) * (1 - sigmoid(v)))) == (True, ())


SQUARE = """\
import numpy as np


def square(x):
    return x**2


def square_vjp_ignoring(cotangent, x):
    return 2.0 * x


def square_vjp(cotangent, x):
    return 2.0 * x * cotangent


def square_prime_returning_f(x):
    return x**2
"""


def test_the_problem_lines_of_a_report_are_in_the_json_hints(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "nnlib/__init__.py", "")
    write(pytester, "nnlib/nn.py", SQUARE)
    line = "  - name: {0}\n    function: nnlib.nn:square\n    {1}: nnlib.nn:{2}\n    args: {{x: [0.5, -1.0, 3.0]}}\n"
    cases = [("ignoring", "vjp", "square_vjp_ignoring"), ("ok", "vjp", "square_vjp")]
    cases.append(("forward", "elementwise", "square_prime_returning_f"))
    write(pytester, "cases/c.yaml", "cases:\n" + "".join(line.format(*c) for c in cases))
    result = run(pytester, "--gradcheck-report", "report.json")
    result.assert_outcomes(passed=1, failed=2)
    ignored = (
        "vjp: nnlib.nn:square_vjp_ignoring ignores its cotangent: vjp(2u) equals vjp(u); it must return u·J, "
        "the cotangent u times the Jacobian"
    )
    result.stdout.fnmatch_lines([f"  {ignored}"])
    records = {r["case"]: r for r in json.loads((pytester.path / "report.json").read_text())["records"]}
    assert records["ignoring"]["hints"][0] == ignored
    assert records["ok"]["hints"] == []
    assert records["forward"]["hints"] == [
        "analytic equals f(x), the forward value, at every entry: does the derivative return it instead of the "
        "derivative (such as s for sigmoid's s * (1 - s))?"
    ]


def test_a_zero_block_of_a_jacobian_is_no_factor_per_row() -> None:
    w = np.arange(1.0, 7.0).reshape(2, 3)

    def f(v: Array) -> Array:
        out: Array = w * v
        return out

    def last_block_zero(v: Array) -> Array:  # d(w * v)[a, b]/dv[c, d], the block of output row 1 left zero
        jac: Array = np.einsum("ab,ac,bd->abcd", w, np.eye(2), np.eye(3))
        jac[1] = 0.0
        return jac

    c = gradcheck.check_jacobian(f, np.ones((2, 3)), last_block_zero)
    assert not c.passed and "analytic is zero where numeric is not, at 3 of the mismatched entries" in c.hints
    assert not any("per row" in h for h in c.hints)
