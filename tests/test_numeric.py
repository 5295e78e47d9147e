"""Numerical Jacobians (steps, stencils, domain shrinking, Richardson) and the Comparison verdict."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest

from gradcheck import Comparison, assert_jacobian, check_jacobian, numerical_jacobian
from gradcheck.numerics import stencils

EPS = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


# --- known derivatives --------------------------------------------------------------------


def test_sin_is_diagonal_cos() -> None:
    x = np.linspace(-3.0, 3.0, 7)
    J = numerical_jacobian(np.sin, x)
    assert J.shape == (7, 7)
    np.testing.assert_allclose(J, np.diag(np.cos(x)), rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("x0", [-2.5, -0.3, 0.0, 0.7, 4.0, 123.0])
def test_cube(x0: float) -> None:
    J = numerical_jacobian(lambda v: v**3, np.array([x0]))
    assert J[0, 0] == pytest.approx(3 * x0**2, rel=1e-8, abs=1e-10)


def test_matrix_product() -> None:
    rng = np.random.default_rng(0)
    A = rng.normal(size=(4, 3))
    x = rng.normal(size=3)
    np.testing.assert_allclose(numerical_jacobian(lambda v: A @ v, x), A, rtol=1e-8, atol=1e-10)


def test_matrix_product_wrt_a_matrix() -> None:
    # f(W) = x @ W, W (3, 2): df_k/dW_jl = x_j δ_kl, shape (2, 3, 2)
    rng = np.random.default_rng(1)
    x = rng.normal(size=3)
    W = rng.normal(size=(3, 2))
    expected = np.einsum("j,kl->kjl", x, np.eye(2))
    np.testing.assert_allclose(numerical_jacobian(lambda w: x @ w, W), expected, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("x0", [-5.0, 0.0, 1.0, 5.0, 20.0])
def test_exp(x0: float) -> None:
    J = numerical_jacobian(np.exp, np.array([x0]))
    assert J[0, 0] == pytest.approx(np.exp(x0), rel=1e-8)


def test_integer_x_is_not_truncated() -> None:
    J = numerical_jacobian(lambda v: v**3, np.array([1, 2]))
    np.testing.assert_allclose(J, np.diag([3.0, 12.0]), rtol=1e-8)


def test_x_is_not_modified() -> None:
    x = np.array([[0.5, -1.0], [2.0, 3.0]])
    before = x.copy()
    numerical_jacobian(lambda v: np.sum(v**2), x)
    check_jacobian(lambda v: np.sum(v**2), x, 2 * x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("layout", ["fortran", "transposed-view"])
def test_non_c_ordered_x(layout: str) -> None:
    # the stencil perturbs a flat view of x; a Fortran-ordered x must not turn it into a copy
    rng = np.random.default_rng(2)
    A = rng.normal(size=(3, 4))
    x = np.asfortranarray(A) if layout == "fortran" else A.T.copy().T
    assert not x.flags.c_contiguous
    J = numerical_jacobian(lambda v: np.sum(v**2), x)
    np.testing.assert_allclose(J, 2 * A, rtol=1e-8, atol=1e-10)
    # and a wrong (all-zero) derivative must not pass there
    assert not check_jacobian(lambda v: np.sum(v**2), x, np.zeros_like(A)).passed


# --- step choice --------------------------------------------------------------------------


def test_default_step_is_cube_root_of_eps_times_scale() -> None:
    x = np.array([0.0, 0.5, -1.0, 3.0, -250.0, 1e6])
    est = stencils.numerical_estimate(np.sin, x)
    h = EPS ** (1.0 / 3.0)
    assert est.base_step == pytest.approx(h, rel=1e-12)
    assert 5e-6 < est.base_step < 7e-6
    np.testing.assert_allclose(est.nominal, h * np.maximum(1.0, np.abs(x)), rtol=1e-12)
    # half the represented step is the asked-for step up to rounding of x +- h
    np.testing.assert_allclose(est.steps, est.nominal, rtol=1e-9)
    assert est.shrunk == 0
    assert est.steps.shape == x.shape


def test_explicit_step_is_relative() -> None:
    x = np.array([0.1, 4.0])
    est = stencils.numerical_estimate(np.exp, x, step=1e-4)
    assert est.base_step == 1e-4
    np.testing.assert_allclose(est.nominal, [1e-4, 4e-4], rtol=1e-12)


def test_divides_by_the_represented_step_at_1e8() -> None:
    # At x = 1e8 the spacing of doubles is 1.49e-8: x + 1e-7 is really x + 1.04e-7.
    x = np.array([1e8])
    est = stencils.numerical_estimate(lambda v: 2.0 * v, x, step=1e-15)
    assert abs(est.steps[0] - est.nominal[0]) > 0.01 * est.nominal[0]  # the step really moved
    assert est.jacobian[0, 0] == pytest.approx(2.0, rel=1e-9)  # dividing by 2 * 1e-7 would be 4 % off
    shifted = stencils.numerical_estimate(lambda v: v - 1e8, x, step=1e-15)
    assert shifted.jacobian[0, 0] == pytest.approx(1.0, rel=1e-9)


def test_divides_by_the_represented_step_when_h_is_not_representable() -> None:
    # f(v) = 4 v - 4 at v = 1 is exact in floating point; only the step's rounding can spoil it
    x = np.array([1.0])
    step = 1e-9 / 3.0
    est = stencils.numerical_estimate(lambda v: 4.0 * v - 4.0, x, step=step)
    assert abs(est.steps[0] / est.nominal[0] - 1.0) > 1e-8  # x +- h is not x +- step exactly
    assert est.jacobian[0, 0] == pytest.approx(4.0, rel=1e-9)


# --- domain shrinking ---------------------------------------------------------------------


def test_log_near_zero_shrinks_the_step() -> None:
    s = np.array([1e-13])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = stencils.numerical_estimate(np.log, s)
    assert np.all(np.isfinite(est.jacobian))
    assert est.shrunk == 1
    assert est.steps[0] < s[0]  # the stencil stayed inside the domain
    # a plain central difference at that step is rough (log is curved at that scale) ...
    assert est.jacobian[0, 0] == pytest.approx(1e13, rel=0.5)


def test_log_near_zero_correct_derivative_passes_and_wrong_fails() -> None:
    s = np.array([1e-13, 0.5, 3.0])
    result = check_jacobian(np.log, s, np.diag(1.0 / s))
    assert result.passed, str(result)
    assert "shrunk at 1 entries" in result.method
    wrong = check_jacobian(np.log, s, np.diag(1.001 / s))
    assert not wrong.passed
    assert wrong.mismatched == 3


def test_function_undefined_on_one_side_is_a_failure() -> None:
    # sqrt at 0: f(0) is finite but f(-h) is NaN for every h; never a silent pass
    result = check_jacobian(np.sqrt, np.array([0.0, 4.0]), np.diag([0.0, 0.25]))
    assert not result.passed
    assert "numeric has 1 non-finite entries" in str(result)


def test_function_nan_at_x_is_a_failure_even_against_nan() -> None:
    result = check_jacobian(lambda v: np.log(v - 1.0), np.array([0.5]), np.array([[np.nan]]))
    assert not result.passed
    assert "non-finite" in str(result)


# --- Richardson ---------------------------------------------------------------------------


@pytest.mark.parametrize("h", [0.05, 0.2])
def test_richardson_beats_a_plain_central_difference(h: float) -> None:
    x = np.array([5.0])
    true = np.exp(5.0)
    plain = numerical_jacobian(np.exp, x, step=h / 5.0)[0, 0]  # absolute step h = rel * |x|
    values, errors = stencils.richardson(np.exp, x, np.array([0]), np.array([h]))
    assert values.shape == errors.shape == (1, 1)
    plain_err = abs(plain - true)
    rich_err = abs(values[0, 0] - true)
    assert plain_err > 1e-3 * true * h**2  # the plain one is visibly off (~ e^5 h^2 / 6)
    assert rich_err < 1e-6 * plain_err
    assert rich_err / true < 1e-11
    # its error estimate bounds the true error, and is itself small
    assert errors[0, 0] >= rich_err
    assert errors[0, 0] / true < 1e-9


@pytest.mark.parametrize(
    ("f", "df", "x0"),
    [
        (np.exp, np.exp, -1.0),
        (np.sin, np.cos, 0.3),
        (np.tanh, lambda v: 1 - np.tanh(v) ** 2, 2.0),
        (np.log, lambda v: 1 / v, 0.01),
    ],
    ids=["exp", "sin", "tanh", "log"],
)
def test_richardson_error_estimate_bounds_true_error(f: object, df: object, x0: float) -> None:
    x = np.array([x0, 1.5])
    steps = np.array([1e-3, 1e-1])
    values, errors = stencils.richardson(f, x, np.array([0, 1]), steps)  # type: ignore[arg-type]
    true = np.diag(df(x))  # type: ignore[operator]
    # columns 0 and 1 of the Jacobian, as rows
    assert np.all(np.abs(values - true) <= errors)
    np.testing.assert_allclose(values, true, rtol=1e-9, atol=1e-12)


def test_richardson_refines_only_what_failed() -> None:
    # check_jacobian re-estimates failing columns; a 0.1 % error stays a failure
    x = np.array([5.0, 1.0])
    ok = check_jacobian(np.exp, x, np.diag(np.exp(x)), step=1e-2)  # large step: plain estimate is off
    assert ok.passed, str(ok)
    assert "second look at 2 entries" in ok.method
    bad = check_jacobian(np.exp, x, np.diag(np.exp(x) * np.array([1.001, 1.0])), step=1e-2)
    assert not bad.passed
    assert bad.mismatched == 1


# --- float32 ------------------------------------------------------------------------------


def test_float32_x_with_a_float64_function() -> None:
    x = np.array([0.25, -1.5, 2.0], dtype=np.float32)
    J = numerical_jacobian(np.sin, x)
    assert J.dtype == np.float64
    np.testing.assert_allclose(J, np.diag(np.cos(x.astype(np.float64))), rtol=1e-8, atol=1e-10)


def test_float32_function_uses_a_float32_step() -> None:
    x = np.array([0.25, -1.5, 2.0], dtype=np.float32)

    def f(v: np.ndarray) -> np.ndarray:
        return np.sin(v.astype(np.float32))

    est = stencils.numerical_estimate(f, x)
    assert est.out_dtype == np.float32
    assert est.base_step == pytest.approx(EPS32 ** (1.0 / 3.0), rel=1e-6)
    assert np.all(np.isfinite(est.jacobian))
    np.testing.assert_allclose(est.jacobian, np.diag(np.cos(x.astype(np.float64))), rtol=1e-4, atol=1e-5)


def test_float32_check_uses_float32_tolerances() -> None:
    x = np.array([0.25, -1.5, 2.0], dtype=np.float32)

    def f(v: np.ndarray) -> np.ndarray:
        return np.exp(v.astype(np.float32))

    good = check_jacobian(f, x, np.diag(np.exp(x)).astype(np.float32))
    assert good.passed, str(good)
    assert (good.rtol, good.atol) == (1e-4, 1e-5)
    bad = check_jacobian(f, x, (np.diag(np.exp(x)) * np.float32(1.001)).astype(np.float32))
    assert not bad.passed


# --- the Comparison -----------------------------------------------------------------------


def test_comparison_fields_on_pass() -> None:
    x = np.array([0.1, 0.2, 0.3])
    c = check_jacobian(np.sin, x, np.diag(np.cos(x)))
    assert isinstance(c, Comparison)
    assert c.passed is True
    assert c.mismatched == 0
    assert c.total == 9
    assert 0 <= c.max_abs_error < 1e-8
    assert 0 <= c.max_rel_error < 1e-6
    assert (c.rtol, c.atol) == (1e-6, 1e-8)
    text = str(c)
    assert "passed" in text
    assert "0 of 9 entries differ beyond rtol=1e-06, atol=1e-08" in text


def test_comparison_fields_on_failure_and_report() -> None:
    x = np.array([0.1, 0.2, 0.3])
    analytic = np.diag(np.cos(x))
    analytic[1, 1] += 0.01
    analytic[2, 0] = 0.5
    c = check_jacobian(np.sin, x, analytic, of="y", wrt="x", title="my sine")
    assert c.passed is False
    assert c.mismatched == 2
    assert c.total == 9
    assert c.max_abs_error == pytest.approx(0.5, rel=1e-6)
    assert c.max_rel_error == np.inf  # analytic 0.5 where numeric is 0, as the table shows it
    text = str(c)
    assert text.startswith("my sine: FAILED")
    assert "2 of 9 entries differ beyond rtol=1e-06, atol=1e-08" in text
    assert "worst entries:" in text
    assert "dy[2]/dx[0]" in text
    assert "dy[1]/dx[1]" in text
    assert "max abs error 0.5" in text
    # the worst entry comes first
    assert text.index("dy[2]/dx[0]") < text.index("dy[1]/dx[1]")


def test_gradient_entries_are_named_by_wrt_only() -> None:
    W = np.arange(6.0).reshape(3, 2) / 10
    analytic = 2 * W
    analytic[2, 1] *= 1.5
    c = check_jacobian(lambda w: np.sum(w**2), W, analytic, wrt="W")
    assert not c.passed
    assert "W[2, 1]" in str(c)


def test_assert_jacobian_passes_quietly_and_raises_with_the_report() -> None:
    x = np.array([0.4, 1.1])
    c = assert_jacobian(np.exp, x, np.diag(np.exp(x)))
    assert c.passed
    with pytest.raises(AssertionError, match=r"gradcheck of df/dx: FAILED") as info:
        assert_jacobian(np.exp, x, np.diag(np.exp(x)) * 1.01)
    assert "2 of 4 entries differ" in str(info.value)


def test_analytic_may_be_a_callable_of_x() -> None:
    x = np.array([0.4, 1.1])
    assert check_jacobian(np.exp, x, lambda v: np.diag(np.exp(v))).passed
    assert not check_jacobian(np.exp, x, lambda v: np.diag(np.exp(v) + 1e-3)).passed


# --- non-finite and wrong-shaped analytic values ------------------------------------------


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("where", [(0, 0), (1, 2), (2, 2)], ids=["first", "middle", "last"])
def test_non_finite_analytic_fails(bad: float, where: tuple[int, int]) -> None:
    x = np.array([0.1, 0.2, 0.3])
    analytic = np.diag(np.cos(x))
    analytic[where] = bad
    c = check_jacobian(np.sin, x, analytic, rtol=1e300, atol=1e300)  # even at absurd tolerances
    assert c.passed is False
    assert c.mismatched == 1
    assert c.max_abs_error == np.inf
    assert "analytic has 1 non-finite entries" in str(c)
    assert f"df[{where[0]}]/dx[{where[1]}]" in str(c)


def test_all_nan_analytic_fails() -> None:
    x = np.array([0.1, 0.2])
    c = check_jacobian(np.sin, x, np.full((2, 2), np.nan))
    assert not c.passed
    assert c.mismatched == 4


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((3,), (3, 3)), ((3, 3, 1), (3, 3)), ((3, 2), (3, 3)), ((9,), (3, 3))],
)
def test_wrong_shape_analytic_fails_naming_both_shapes(shape: tuple[int, ...], expected: tuple[int, ...]) -> None:
    x = np.array([0.1, 0.2, 0.3])
    analytic = np.ones(shape)
    c = check_jacobian(np.sin, x, analytic)
    assert c.passed is False
    text = str(c)
    assert str(shape) in text
    assert str(expected) in text
    assert "f(x).shape (3,) + x.shape (3,)" in text


# --- argument validation ------------------------------------------------------------------


@pytest.mark.parametrize("value", [0.0, -1e-6, np.nan, np.inf])
def test_rtol_must_be_positive(value: float) -> None:
    with pytest.raises(ValueError, match="rtol"):
        check_jacobian(np.sin, np.array([0.1]), np.cos([[0.1]]), rtol=value)


@pytest.mark.parametrize("value", [-1e-12, np.nan, np.inf])
def test_atol_must_be_non_negative(value: float) -> None:
    with pytest.raises(ValueError, match="atol"):
        check_jacobian(np.sin, np.array([0.1]), np.cos([[0.1]]), atol=value)


@pytest.mark.parametrize("value", [0.0, -1e-5, np.nan, np.inf])
def test_step_must_be_positive(value: float) -> None:
    with pytest.raises(ValueError, match="step"):
        check_jacobian(np.sin, np.array([0.1]), np.cos([[0.1]]), step=value)
    with pytest.raises(ValueError, match="step"):
        numerical_jacobian(np.sin, np.array([0.1]), step=value)


def test_atol_zero_is_allowed_with_exact_zeros() -> None:
    # numeric entries that are exactly 0 with atol=0 must not divide by zero (warnings are errors)
    x = np.array([0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        good = check_jacobian(lambda v: np.sum(v**2), x, np.array([0.0, 2.0]), atol=0)
        bad = check_jacobian(lambda v: np.sum(v**2), x, np.array([1e-3, 2.0]), atol=0)
    assert good.passed, str(good)
    assert not bad.passed
    assert "x[0]" in str(bad)


def test_the_numerical_core_imports_neither_pytest_nor_yaml() -> None:
    # README "Layout": the maths can be used (and tested) without the plugin's dependencies.
    code = (
        "import sys\n"
        "import gradcheck.functions, gradcheck.numerics.stencils, gradcheck.numerics.directional\n"
        "import gradcheck.verdict.verify, gradcheck.verdict.sweep\n"
        "print(sorted({'pytest', 'yaml', '_pytest'} & set(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
