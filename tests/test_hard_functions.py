"""Hard functions: every correct derivative of tests/hardcases.py passes and every wrong one fails,
in every mode, with the diagnosis of what the second look saw; the second look's parts (the
noise estimate, kinks, float32 inside f) and what the report says about them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hardcases import CONFIGS, HardCase, applies, cases

import gradcheck
from gradcheck.errors import FunctionError
from gradcheck.numerics import noise, stencils
from gradcheck.verdict import hints

CASES = cases()
RUNS = [pytest.param(c, config, id=f"{config}-{c.name}") for c in CASES for config in CONFIGS if applies(c, config)]


@pytest.mark.parametrize(("case", "config"), RUNS)
def test_every_correct_derivative_passes_and_every_wrong_one_fails(case: HardCase, config: str) -> None:
    result = gradcheck.check_jacobian(case.f, case.x, case.analytic, **case.options, **CONFIGS[config])
    assert result.passed is case.correct, str(result)
    assert result.diagnosis == (None if case.correct else case.diagnosis), str(result)


def test_the_suite_has_every_category_of_the_issue_correct_and_wrong() -> None:
    categories = {"noise", "scale", "overflow", "kink", "float32", "domain"}
    assert {c.category for c in CASES} == categories
    for category in categories:
        assert {c.correct for c in CASES if c.category == category} == {True, False}, category


#: The default relative step of a float64 check.
STEP = stencils.base_step(np.float64)


def _case(name: str) -> HardCase:
    return next(c for c in CASES if c.name == name)


def _check(name: str, **options: Any) -> gradcheck.Comparison:
    c = _case(name)
    return gradcheck.check_jacobian(c.f, c.x, c.analytic, **{**c.options, **options})


# -- what the report says ---------------------------------------------------------------------


def test_a_kink_within_the_step_is_stepped_around_and_noted() -> None:
    result = _check("ReLU at 1e-7")
    assert result.passed
    assert "second look at 1 entries" in result.method
    assert "kink nearby at x[0] (the first step straddles it, a smaller step does not)" in result.method


def test_at_a_kink_itself_the_one_sided_derivatives_are_the_diagnosis() -> None:
    result = _check("ReLU at 0")
    assert not result.passed and result.diagnosis == "kink"
    assert (
        "not differentiable at x[0]: one-sided derivatives 0 (left) and 0.7 (right), analytic 0 "
        "(with subgradient, any value between them passes)"
    ) in result.hints
    assert not result.sweeps  # a step sweep would call the kink a bug
    assert _check("ReLU at 0", subgradient=True).passed
    result = _check("abs at 0")
    assert "not differentiable at x[0]: one-sided derivatives -1 (left) and 1 (right), analytic 1" in str(result)


def test_a_noise_limited_entry_is_noted_with_its_measured_noise() -> None:
    result = _check("2,000 cancelling terms of 1e8 at |x| ~ 2")
    assert result.passed
    assert "noise-limited at 5 entries, e.g. x[" in result.method  # the worst of them
    assert "measured noise of f" in result.method


def test_the_allowance_is_the_estimates_measured_error_and_nothing_more() -> None:
    # 1e8 + sin(x): the noise is about 7e-9; an allowance from |f| (eps * 1e8 / h) would swallow
    # a 0.1 % error, the measured one does not
    c = _case("1e8 + sin(x) + 1e-3 x^2, 0.1 % in one entry")
    result = gradcheck.check_jacobian(c.f, c.x, c.analytic)
    assert not result.passed and result.mismatched == 1 and result.worst[0].name == "x[2]"


def test_steps_go_larger_than_the_default_where_the_noise_asks() -> None:
    result = _check("naive variance near 1e4")
    steps = result.method.split("steps ")[1].split(")")[0].split(" to ")
    assert float(steps[0]) > 10 * 6.06e-6 * 1e4  # far above the default step of x ~ 1e4


def test_a_failure_names_its_cause_in_the_diagnosis() -> None:
    assert _check("sin(x) at x ~ 1e6, 1 %").diagnosis == "bug"
    assert _check("ReLU at 0").diagnosis == "kink"
    result = gradcheck.check_jacobian(np.sqrt, np.array([0.0, 4.0]), np.diag([0.0, 0.25]))
    assert result.diagnosis == "non-finite"
    # f jumps at x: no step settles its differences, and the report says no more than that
    jump = gradcheck.check_jacobian(lambda v: float(np.sum((v > 0) + v)), np.array([0.0, 0.5]), np.ones(2))
    assert jump.diagnosis == "noise"
    assert "x[0]: the estimates do not settle at any step down to" in str(jump)
    assert "f is too noisy or not smooth there to check this entry" in str(jump)


# -- float32 inside f -------------------------------------------------------------------------


def test_f_that_computes_in_float32_is_detected_whatever_x_dtype() -> None:
    c = _case("float32 inside f, float64 x")
    assert c.x.dtype == np.float64
    probe = stencils.Probe(c.f, c.x)
    assert probe.precision == np.float64  # x's dtype says nothing ...
    assert probe.lower_precision(STEP) and probe.precision == np.float32  # ... f's rounding does
    result = gradcheck.check_jacobian(c.f, c.x, c.analytic)
    assert result.passed
    assert (result.rtol, result.atol) == (1e-4, 1e-5)
    assert result.step == pytest.approx(float(np.finfo(np.float32).eps) ** (1 / 3))


def test_a_float64_function_is_not_taken_for_a_float32_one() -> None:
    for name in ("1e8 + sin(x) + 1e-3 x^2", "2,000 cancelling terms of 1e8 at |x| ~ 2", "naive variance near 1e4"):
        c = _case(name)
        assert not stencils.Probe(c.f, c.x).lower_precision(STEP), name


def test_the_float32_probe_moves_no_entry_beyond_the_check_s_step() -> None:
    c = _case("float32 inside f, float64 x")
    seen: list[np.ndarray] = []

    def recorded(x: np.ndarray) -> object:
        seen.append(np.array(x))
        return c.f(x)

    for step in (STEP, 1e-6):
        seen.clear()
        probe = stencils.Probe(recorded, c.x)
        assert probe.lower_precision(step)  # float32 inside f is still seen with a smaller step
        moved = np.abs(np.stack(seen[1:]) - c.x) / np.maximum(1.0, np.abs(c.x))
        assert len(seen) == 5 and moved.max() <= step * (1 + 1e-9)  # to the rounding of x + d - x
    # a step with no room for the probe's larger changes: it cannot tell, and says float64
    assert not stencils.Probe(c.f, c.x).lower_precision(1e-9)


def test_f_raising_in_the_float32_probe_says_so() -> None:
    x0 = np.array([0.5, 1.5, 2.0])

    def fragile(x: np.ndarray) -> float:
        if np.all(x != x0):  # every entry moved at once: the probe's points, never the first pass's
            raise ValueError("all entries moved")
        return float(np.sum(np.sin(x)))

    with pytest.raises(FunctionError) as raised:
        gradcheck.check_jacobian(fragile, x0, lambda x: 1.1 * np.cos(x))
    assert str(raised.value).startswith(
        "f raised ValueError at x with every entry moved at once, by at most 6.1e-06 * max(1, |x|), float32 probe"
    ), str(raised.value)


def test_a_passing_check_costs_no_more_evaluations_than_before() -> None:
    calls = [0]

    def f(v: np.ndarray) -> float:
        calls[0] += 1
        return float(np.sum(np.sin(v)))

    x = np.linspace(-1.0, 1.0, 7)
    assert gradcheck.check_jacobian(f, x, np.cos(x)).passed
    assert calls[0] == 1 + 2 * x.size  # f(x), then two per entry: no probe, no second look


# -- Moré-Wild noise estimate -----------------------------------------------------------------


@pytest.mark.parametrize("sigma", [1e-12, 1e-8, 1e-4])
def test_the_noise_estimate_finds_the_noise_added_to_a_smooth_function(sigma: float) -> None:
    rng = np.random.default_rng(0)
    t = np.arange(-noise.HALF, noise.HALF + 1) * 1e-6
    smooth = np.exp(0.3 + t)[None, :, None]
    tables = smooth + sigma * rng.standard_normal((200, t.size, 1))
    estimate, status = noise.levels(tables)
    ok = status == noise.OK
    assert ok.mean() > 0.9  # the rest look too smooth to call noise, by chance: a narrower table is tried
    assert 0.7 * sigma < np.median(estimate[ok]) < 1.4 * sigma
    assert np.all(estimate[ok] < 4 * sigma)


def test_the_noise_estimate_is_zero_for_exact_arithmetic_and_flat_below_resolution() -> None:
    t = np.arange(-noise.HALF, noise.HALF + 1, dtype=np.float64)
    linear = (3.0 + 2.0**-20 * t)[None, :, None]  # exact in floating point
    estimate, status = noise.levels(linear)
    assert (estimate[0, 0], status[0, 0]) == (0.0, noise.OK)
    stairs = np.floor(t / 4)[None, :, None]  # a staircase wider than the spacing
    assert noise.levels(stairs)[1][0, 0] == noise.FLAT


# -- the step sweep's wording -----------------------------------------------------------------

STEPS = [9.7e-5, 2.4e-5, 6.1e-6, 1.5e-6, 3.8e-7]


def test_a_falling_error_is_never_a_real_bug() -> None:
    line = hints.sweep_line("x[0]", STEPS, [0.5, 0.5, 0.49, 0.47, 0.37])  # ReLU at 1e-7
    assert "real bug" not in line and "stays put" not in line
    assert "changes irregularly with the step: noise, or a kink within the step" in line


def test_an_error_that_stays_put_is_a_bug_and_one_that_shrinks_like_h2_is_the_step() -> None:
    assert "stays put" in hints.sweep_line("x[0]", STEPS, [0.5, 0.5, 0.5, 0.5, 0.5])
    shrinking = [16.0**-k for k in range(5)]
    assert "shrinks like h^2" in hints.sweep_line("x[0]", STEPS, shrinking)


# -- f raising at a perturbed point -----------------------------------------------------------


def _fragile(limit: float, offset: float = 0.0) -> Any:
    def f(v: np.ndarray) -> float:
        if v[1] > limit:
            raise ValueError("v[1] out of range")
        return offset + float(np.sum(v**3))

    return f


def test_f_raising_in_the_first_pass_names_the_entry_and_step() -> None:
    x = np.array([0.5, 1.0, 2.0])
    with pytest.raises(
        FunctionError, match=r"^f raised ValueError at x\[1\] \+ 6.1e-06, first pass: v\[1\] out"
    ) as info:
        gradcheck.check_jacobian(_fragile(1.0), x, 3 * x**2)
    assert isinstance(info.value.__cause__, ValueError)  # f's own, with its traceback


def test_f_raising_in_the_second_look_says_so() -> None:
    # an offset of 1e8 makes f noisy: the second look of x[1] takes steps far above the first's
    x = np.array([0.5, 1.0, 2.0])
    wrong = 3 * x**2 * np.array([1.0, 1.01, 1.0])
    with pytest.raises(FunctionError, match=r"at x\[1\] \+ [0-9.e-]+, second look: v\[1\] out of range"):
        gradcheck.check_jacobian(_fragile(1.0 + 1e-3, offset=1e8), x, wrong)


def test_f_raising_along_a_direction_names_the_direction() -> None:
    x = np.array([0.5, 0.7, 2.0])
    with pytest.raises(FunctionError, match=r"at x \+ 6.1e-06 \* d \(a random direction\), directional check"):
        gradcheck.check_jacobian(_fragile(0.7), x, 3 * x**2, mode="directional")


# -- hints ------------------------------------------------------------------------------------


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)  # type: ignore[no-any-return]


def test_diagonal_only_is_named_for_a_batch_of_jacobians() -> None:
    z = np.random.default_rng(1).standard_normal((3, 4))
    s = _softmax(z)
    full = np.einsum("bi,ij,bc->bicj", s, np.eye(4), np.eye(3)) - np.einsum("bi,bj,bc->bicj", s, s, np.eye(3))
    diagonal_only = np.einsum("bi,ij,bc->bicj", s - s * s, np.eye(4), np.eye(3))
    assert gradcheck.check_jacobian(_softmax, z, full).passed
    result = gradcheck.check_jacobian(_softmax, z, diagonal_only)
    assert "analytic has only the diagonal of numeric: off-diagonal terms missing" in result.hints


def test_a_half_with_two_classes_may_be_missing_off_diagonal_terms() -> None:
    def f(z: np.ndarray) -> Any:
        s = _softmax(z)
        return np.sum(s * np.array([1.0, -1.0]), axis=-1)  # dL/ds = (1, -1)

    z = np.array([0.3, -0.4])
    s = _softmax(z)
    grad_diag_only = s * (1 - s) * np.array([1.0, -1.0])  # half of the true gradient for K = 2
    result = gradcheck.check_jacobian(f, z, grad_diag_only)
    assert any("factor of 0.5 can also mean the off-diagonal terms" in h for h in result.hints), result.hints


def test_an_epsilon_guard_is_named() -> None:
    result = _check("cross-entropy, log(p + 1e-7) in the loss only")
    assert "relative error = 1e-07 / x at every mismatched entry: an epsilon guard" in str(result)


def test_no_confinement_hint_on_an_axis_of_length_one() -> None:
    x = np.random.default_rng(2).standard_normal((1, 5))
    wrong = 2 * x
    wrong[0, 1:3] *= 1.01
    result = gradcheck.check_jacobian(lambda v: float(np.sum(v**2)), x, wrong)
    assert not any("lies in the slice" in h for h in result.hints), result.hints


def test_the_rel_error_column_is_inf_where_numeric_is_zero() -> None:
    result = gradcheck.check_jacobian(lambda v: float(v[0] ** 2), np.array([1.0, 2.0]), np.array([2.0, 0.5]))
    entry = next(e for e in result.worst if e.name == "x[1]")
    assert (entry.numeric, entry.rel_error) == (0.0, np.inf)
    assert "inf" in str(result).split("x[1]")[1].splitlines()[0]
