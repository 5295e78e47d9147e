"""Misuse of the Python API as a user sees it: one ArgumentError line naming the argument or the
call, raised before NumPy's own messages can be; and a 0-d x, a scalar function of a scalar, works."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pluginrun import run, sections

from gradcheck import ArgumentError, assert_jacobian, check_jacobian, numerical_jacobian
from gradcheck.errors import FunctionError

X = np.array([0.1, 0.5, 0.4])
COS = np.diag(np.cos(X))
REAL = "a real number or an array of them"
NUMBERS = f"expected {REAL}"


def sin(**options: Any) -> Callable[[], object]:
    """check_jacobian of np.sin at X (right derivative) with `options`."""
    return lambda: check_jacobian(np.sin, X, COS, **options)


def branch(x: np.ndarray) -> np.ndarray | None:
    """x**2 where x[0] >= 0.1, else (a forgotten return) None."""
    if x[0] >= 0.1:
        return x**2
    return None


ARGUMENTS = [
    # -- x ---------------------------------------------------------------------------------
    (lambda: check_jacobian(np.sin, None, COS), f"x must be {REAL}, got None"),
    (lambda: check_jacobian(np.sin, "0.5", COS), f"x must be {REAL}, got a str ('0.5')"),
    (
        lambda: check_jacobian(np.sin, [[1.0, 2.0], [3.0]], COS),
        f"x must be {REAL}, got a ragged list (its rows differ in length)",
    ),
    (
        lambda: check_jacobian(np.sin, X + 0j, COS),
        "x must be real, got complex values (complex128); the complex step (scheme='complex') takes a real x "
        "and perturbs it along the imaginary axis itself",
    ),
    (lambda: check_jacobian(np.sin, X > 0, COS), f"x must be {REAL}, got an array of booleans (bool)"),
    (
        lambda: check_jacobian(np.sin, [np.nan, 1.0, np.inf], COS),
        "x must be finite, got nan at x[0] and 1 more non-finite entries",
    ),
    # -- f and what it returns --------------------------------------------------------------
    (lambda: check_jacobian(3, X, COS), "f must be a function, got an int (3)"),
    (lambda: check_jacobian(lambda x: None, X, COS), f"f returned None at x; {NUMBERS}"),
    (lambda: check_jacobian(lambda x: "abc", X, COS), f"f returned a str ('abc') at x; {NUMBERS}"),
    (
        lambda: check_jacobian(lambda x: [[1.0, 2.0], [3.0]], X, COS),
        f"f returned a ragged list (its rows differ in length) at x; {NUMBERS}",
    ),
    (lambda: check_jacobian(lambda x: {"y": 1}, X, COS), f"f returned a dict ({{'y': 1}}) at x; {NUMBERS}"),
    (lambda: check_jacobian(lambda x: x > 0, X, COS), f"f returned an array of booleans (bool) at x; {NUMBERS}"),
    (
        lambda: check_jacobian(lambda x: x * (1 + 0.5j), X, COS),
        "f returned complex values (imaginary part 0.25 at [1]) at x; expected real values for a real x",
    ),
    (
        lambda: check_jacobian(branch, X, np.diag(2 * X)),
        f"f returned None at x with x[0] moved by -6.06e-06; {NUMBERS}",
    ),
    (
        lambda: check_jacobian(lambda x: x if x[2] <= 0.4 else x[:2], X, COS),
        "f returned shape (2,) at x with x[2] moved by +6.06e-06; at x it returned shape (3,): "
        "f must return the same shape at every point",
    ),
    (
        lambda: check_jacobian(lambda x: 1.0, X, np.zeros(3), vectorized=True),
        "f (vectorized=True) returned shape () for a stack of 6 points; expected (6,), the stack's length + "
        "f(x).shape (): f must broadcast over a leading axis (or use vectorized=False)",
    ),
    (
        lambda: check_jacobian(np.sum, X, np.ones(3), vectorized=True),
        "f (vectorized=True) returned shape () for a stack of 6 points; expected (6,), the stack's length + "
        "f(x).shape (): f must broadcast over a leading axis (or use vectorized=False)",
    ),
    (
        lambda: check_jacobian(lambda x: None if x.ndim > 1 else np.sin(x), X, COS, vectorized=True),
        f"f (vectorized=True) returned None for a stack of 6 points; {NUMBERS}",
    ),
    (
        lambda: check_jacobian(lambda x: None if x[0] != 0.1 else x, X, np.eye(3), mode="directional"),
        f"f returned None at a point along a direction from x; {NUMBERS}",
    ),
    (
        lambda: check_jacobian(lambda x: None if np.iscomplexobj(x) else x, X, np.eye(3), scheme="complex"),
        f"f returned None at x + ih (complex step); {NUMBERS}",
    ),
    # -- analytic -----------------------------------------------------------------------------
    (
        lambda: check_jacobian(np.sin, X, None),
        "analytic must be an array of real numbers or a function of x, got None",
    ),
    (
        lambda: check_jacobian(np.sin, X, "cos"),
        "analytic must be an array of real numbers or a function of x, got a str ('cos')",
    ),
    (lambda: check_jacobian(np.sin, X, lambda x: None), f"analytic returned None at x; {NUMBERS}"),
    (
        lambda: check_jacobian(np.sin, X, COS * 1j),
        "analytic must be real, got complex values (imaginary part 0.995 at [0, 0])",
    ),
    # -- the keywords -------------------------------------------------------------------------
    (sin(rtol="1e-6"), "rtol must be a positive number, got '1e-6'"),
    (sin(rtol=0.0), "rtol must be a positive number, got 0.0"),
    (sin(rtol=True), "rtol must be a positive number, got True"),
    (sin(atol=-1e-9), "atol must be a non-negative number, got -1e-09"),
    (sin(atol=[0.1]), "atol must be a non-negative number, got [0.1]"),
    (sin(step=0.0), "step must be a positive number, got 0.0"),
    (sin(step=np.nan), "step must be a positive number, got nan"),
    (
        sin(step=1e-300),
        "step 1e-300 underflowed to 0 at x[0] = 0.1: x + h rounds to x; expected a relative step of at least 2.2e-16",
    ),
    (
        sin(step=1e-320, scheme="complex"),
        "step 1e-320 underflowed at x[0] = 0.1: h = 1e-320 is below the smallest normal float64; "
        "expected a relative step of at least 2.2e-308",
    ),
    (sin(mode="sideways"), "mode must be one of auto, full, directional, got 'sideways'"),
    (sin(mode=["full"]), "mode must be one of auto, full, directional, got ['full']"),
    (sin(scheme="forward"), "scheme must be one of central, central4, complex, richardson, got 'forward'"),
    (sin(order="K", vectorized=True), "order must be one of C, F, got 'K'"),
    (sin(vectorized="yes"), "vectorized must be True or False, got 'yes'"),
    (sin(chunk_bytes=0), "chunk_bytes must be a positive integer, got 0"),
    (sin(workers=2.5), "workers must be a positive integer, got 2.5"),
    (sin(workers=True), "workers must be a positive integer, got True"),
    (sin(probes=0, mode="directional"), "probes must be a positive integer, got 0"),
    (sin(seed=-1), "seed must be a non-negative integer, got -1"),
    (sin(of=3), "of must be a string, got an int (3)"),
    (sin(wrt=None), "wrt must be a string, got None"),
    (sin(title=3), "title must be a string or None, got an int (3)"),
    (sin(label_class="2"), "label_class must be a non-negative integer, got '2'"),
    # -- numerical_jacobian and assert_jacobian check the same ------------------------------
    (lambda: numerical_jacobian(lambda x: None, X), f"f returned None at x; {NUMBERS}"),
    (lambda: numerical_jacobian(np.sin, "x"), f"x must be {REAL}, got a str ('x')"),
    (lambda: numerical_jacobian(np.sin, X, step=-1), "step must be a positive number, got -1"),
    (lambda: numerical_jacobian(np.sin, X, vectorized=1), "vectorized must be True or False, got 1"),
    (lambda: assert_jacobian(lambda x: None, X, COS), f"f returned None at x; {NUMBERS}"),
]


@pytest.mark.parametrize(("call", "expected"), ARGUMENTS, ids=[expected[:48] for _, expected in ARGUMENTS])
def test_misuse_is_one_argument_error_naming_the_argument(call: Callable[[], object], expected: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        call()
    assert str(caught.value) == expected


def test_an_argument_error_is_a_value_error_and_a_type_error() -> None:
    with pytest.raises(ValueError, match="rtol"):
        check_jacobian(np.sin, X, COS, rtol=-1.0)
    with pytest.raises(TypeError, match="f must be a function"):
        check_jacobian(None, X, COS)  # type: ignore[arg-type]


def test_an_error_f_raises_itself_is_not_masked() -> None:
    # The black-box loop looks twice at a TypeError or ValueError: f's own goes through unchanged.
    def picky(x: np.ndarray) -> np.ndarray:
        if x[1] > 0.5:
            raise ValueError("x[1] is out of my range")
        return x

    with pytest.raises(
        FunctionError, match=r"^f raised ValueError at x\[1\] \+ 6.1e-06, first pass: x\[1\] is out"
    ) as caught:
        check_jacobian(picky, X, np.eye(3))
    assert not isinstance(caught.value, ArgumentError)  # f's own error, named where it was raised
    assert isinstance(caught.value.__cause__, ValueError) and str(caught.value.__cause__) == "x[1] is out of my range"


# -- a 0-d x: a scalar function of a scalar ------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [{}, {"scheme": "central4"}, {"scheme": "complex"}, {"scheme": "richardson"}, {"mode": "directional"}]
    + [{"vectorized": True}, {"mode": "auto"}],
    ids=["central", "central4", "complex", "richardson", "directional", "vectorized", "auto"],
)
def test_a_0d_x_is_a_point(options: dict[str, Any]) -> None:
    assert check_jacobian(np.sin, np.array(0.5), np.cos, **options).passed
    assert check_jacobian(np.sin, 0.5, np.cos(0.5), **options).passed
    assert not check_jacobian(np.sin, 0.5, lambda x: np.cos(x) * 1.001, **options).passed


def test_a_0d_x_fails_with_a_report_naming_x() -> None:
    report = str(check_jacobian(np.sin, 0.5, lambda x: np.cos(x) + 0.1))
    assert "1 of 1 entries differ beyond rtol=1e-06, atol=1e-08" in report
    assert "    x          0.97758256      0.87758256         0.1       0.114" in report
    assert numerical_jacobian(np.sin, np.array(0.5)) == pytest.approx(np.cos(0.5), rel=1e-9)


# -- the jacobian_check fixture ------------------------------------------------------------------

FIXTURE_TESTS = """\
import numpy as np


def test_keyword(jacobian_check):
    jacobian_check(np.sin, np.ones(2), np.diag(np.cos(np.ones(2))), rtl=1e-3)


def test_none(jacobian_check):
    jacobian_check(lambda x: None, np.ones(2), np.eye(2))


def test_scalar(jacobian_check):
    jacobian_check(np.sin, np.array(0.5), np.cos)


def test_raises(jacobian_check):
    jacobian_check(lambda x: x[5], np.ones(2), np.eye(2))
"""


def test_the_fixture_fails_misuse_with_one_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_misuse=FIXTURE_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=3)
    raised = sections(result).pop("test_raises")
    assert raised[0] == (
        "jacobian_check: IndexError: index 5 is out of bounds for axis 0 with size 2, raised by f or analytic"
    )
    assert raised[-1] == "test_misuse.py:17: IndexError"  # the user's lambda, and no frame of gradcheck's
    assert "gradcheck/" not in result.stdout.str()
    assert {k: v for k, v in sections(result).items() if k != "test_raises"} == {
        "test_keyword": [
            "jacobian_check: unknown keyword 'rtl' (did you mean 'rtol'?); expected one of rtol, atol, step, "
            "mode, scheme, vectorized, chunk_bytes, workers, order, probes, seed, of, wrt, title, label_class, "
            "subgradient, nondet_tol, max_elements"
        ],
        "test_none": [f"jacobian_check: f returned None at x; {NUMBERS}"],
    }


# -- explanations say what happened ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["full", "directional"])
def test_f_not_finite_at_x_itself_is_said_so(mode: str) -> None:
    result = check_jacobian(lambda x: 1.0 / x, np.array([0.0, 1.0]), -np.eye(2), mode=mode)
    assert not result.passed
    assert result.problem == (
        "f(x) itself has 1 non-finite entries (f(x)[0] = inf): no derivative is defined there; "
        "check at a point where f is finite"
    )


def test_f_leaving_its_domain_near_x_is_still_said_so() -> None:
    # sqrt at 0 is finite, and NaN at -h for every h: the step shrinks, then the entry is reported.
    result = check_jacobian(np.sqrt, np.array([0.0, 4.0]), np.diag([0.0, 0.25]))
    assert "shrunk at 1 entries where f left its domain" in result.method
    assert result.problem.startswith("numeric has 1 non-finite entries (f is not finite on every side of x there)")


# -- the hypothesis strategies --------------------------------------------------------------------

STRATEGIES = [
    ({"inputs": (0, 3)}, "inputs must be (least, most), positive integers with least <= most, got (0, 3)"),
    ({"classes": (5, 2)}, "classes must be (least, most), positive integers with least <= most, got (5, 2)"),
    ({"inputs": 3}, "inputs must be (least, most), positive integers with least <= most, got 3"),
    ({"x_scale": -1.0}, "x_scale must be a positive number, got -1.0"),
    ({"bias": "yes"}, "bias must be True or False, got 'yes'"),
]


@pytest.mark.parametrize(("options", "expected"), STRATEGIES, ids=[e[:30] for _, e in STRATEGIES])
def test_a_strategy_misused_says_so_when_it_is_made(options: dict[str, Any], expected: str) -> None:
    from gradcheck.strategies import layers

    with pytest.raises(ArgumentError) as caught:
        layers(**options)
    assert str(caught.value) == expected


def test_arrays_refuse_a_scale_that_is_not_positive() -> None:
    from gradcheck.strategies import arrays

    with pytest.raises(ArgumentError, match=r"^scale must be a positive number, got 0$"):
        arrays(3, scale=0)


def test_large_finite_entries_are_a_point_though_their_sum_overflows() -> None:
    from gradcheck.numerics import validate

    x = np.array([1e308, 1e308, -0.5])
    assert validate.point(x) is not None
    with pytest.raises(ArgumentError, match=r"^x must be finite, got inf at x\[1\]$"):
        validate.point(np.array([1e308, np.inf, -0.5]))
