"""Batches, bias and input gradients, log-softmax and the logits loss; dtypes; schemes; diagnosis."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pytest

import gradcheck
from gradcheck import functions as fn
from gradcheck import options
from gradcheck.casefile import document, yamlreader
from gradcheck.casefile.layer import Case
from gradcheck.checks import Registry
from gradcheck.checks.layer import BUILTIN
from gradcheck.errors import CaseError
from gradcheck.numerics import stencils
from gradcheck.verdict import compare, hints
from gradcheck.verdict.comparison import Comparison

NEW_CHECKS = ("bias", "input", "log_softmax", "logits_loss")


def case_from(yaml_text: str) -> Case:
    """The one case of a case-file text."""
    entries = document.parse_document(
        yamlreader.parse(yaml_text), "x.yaml", limits=document.Limits(), checks=tuple(BUILTIN)
    )
    case = entries[0].case
    assert isinstance(case, Case), case
    return case


BATCH = case_from(
    """
cases:
  - name: batch
    batch: 6
    inputs: 5
    classes: 4
    x: {seed: 1, scale: 1.0}
    weights: {seed: 2, scale: 0.5}
    bias: {seed: 3, scale: 0.1}
    label: {seed: 4}
"""
)
ONE = case_from(
    """
cases:
  - name: one
    inputs: 5
    classes: 4
    x: [0.3, -0.2, 0.5, 1.0, -0.7]
    weights: {seed: 5, scale: 0.5}
    bias: [0.1, 0.0, -0.1, 0.2]
    label: 2
"""
)


def run(check: str, case: Case, **kw: Any) -> Comparison:
    return Registry().build(check, case).run(title=f"{case.name}[{check}]", **kw)


@contextmanager
def planted(name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> Iterator[None]:
    """Replace gradcheck.functions.<name> by a buggy version for the block."""
    good = getattr(fn, name)
    setattr(fn, name, make(good))
    try:
        yield
    finally:
        setattr(fn, name, good)


# -- closed forms ---------------------------------------------------------------------------


def test_batch_gradients_are_the_closed_forms() -> None:
    x, w, b, y = BATCH.x, BATCH.weights, BATCH.bias, BATCH.label
    s = fn.softmax(x @ w + b)
    d = s - y
    np.testing.assert_allclose(fn.loss_grad(x, w, y, b), x.T @ d / 6)
    np.testing.assert_allclose(fn.loss_grad(x, w, y, b, reduction="sum"), x.T @ d)
    np.testing.assert_allclose(fn.bias_grad(x, w, y, b), d.mean(axis=0))
    np.testing.assert_allclose(fn.input_grad(x, w, y, b), d @ w.T / 6)
    np.testing.assert_allclose(fn.chain_grad(x, w, y, b), fn.loss_grad(x, w, y, b), atol=1e-15)
    # one sample: dXE/dx = W (s - y), dXE/db = s - y
    s1 = fn.softmax(ONE.x @ ONE.weights + ONE.bias)
    np.testing.assert_allclose(fn.input_grad(ONE.x, ONE.weights, 2, ONE.bias), ONE.weights @ (s1 - np.eye(4)[2]))
    np.testing.assert_allclose(fn.bias_grad(ONE.x, ONE.weights, 2, ONE.bias), s1 - np.eye(4)[2])


def test_log_softmax_and_logits_loss_are_finite_at_1e4() -> None:
    z = np.array([1e4, -1e4, 5e3])
    assert np.all(np.isfinite(fn.log_softmax(z)))
    np.testing.assert_allclose(fn.log_softmax(z), [0.0, -2e4, -5e3])
    assert fn.logits_cross_entropy(z, np.eye(3)[1]) == pytest.approx(2e4)
    np.testing.assert_allclose(fn.logits_cross_entropy_grad(z, np.eye(3)[1]), [1.0, -1.0, 0.0], atol=1e-300)
    small = np.array([0.3, -0.1, 0.8])
    np.testing.assert_allclose(fn.log_softmax(small), np.log(fn.softmax(small)))
    assert fn.logits_cross_entropy(small, np.eye(3)[0]) == pytest.approx(fn.cross_entropy(fn.softmax(small), 0))
    s = fn.softmax(small)
    np.testing.assert_allclose(fn.log_softmax_jacobian(small), np.eye(3) - s[None, :])


def test_label_smoothing_keeps_a_distribution() -> None:
    y = fn.smooth_labels(np.eye(4)[1], 0.2)
    np.testing.assert_allclose(y, [0.05, 0.85, 0.05, 0.05])
    assert y.sum() == pytest.approx(1.0)


# -- every new check passes, and fails on its planted bug ------------------------------------


@pytest.mark.parametrize("case", [ONE, BATCH], ids=["one", "batch"])
@pytest.mark.parametrize("check", tuple(BUILTIN))
def test_every_check_passes_on_one_sample_and_on_a_batch(check: str, case: Case) -> None:
    result = run(check, case)
    assert result.passed, str(result)


def test_checks_by_the_weights_hand_f_fortran_ordered_points() -> None:
    # x @ W contracts W's first axis, which Fortran order lays out contiguously.
    orders = {name: build(ONE).order for name, build in BUILTIN.items()}
    assert {name for name, order in orders.items() if order == "F"} == {"layer", "chain", "loss"}
    assert set(orders.values()) == {"C", "F"}


def _bias_sum(good: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, W, y, b=None, reduction="mean": good(x, W, y, b, reduction="sum")


def _input_transposed(good: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, W, y, b=None, reduction="mean": -good(x, W, y, b, reduction=reduction)


def _log_softmax_no_offdiag(good: Callable[..., Any]) -> Callable[..., Any]:
    return lambda z: good(z) * np.eye(np.shape(z)[-1])


def _logits_sign(good: Callable[..., Any]) -> Callable[..., Any]:
    return lambda z, y, reduction="mean": -good(z, y, reduction)


BUGS = {
    "bias": ("bias_grad", _bias_sum, "off by a constant factor 6 (a missing 1/6, such as the 1/B of a batch mean?)"),
    "input": ("input_grad", _input_transposed, "the sign is flipped"),
    "log_softmax": ("log_softmax_jacobian", _log_softmax_no_offdiag, "analytic is zero where numeric is not"),
    "logits_loss": ("logits_cross_entropy_grad", _logits_sign, "the sign is flipped"),
}


@pytest.mark.parametrize("check", NEW_CHECKS)
def test_every_new_check_fails_on_its_planted_bug_with_its_hint(check: str) -> None:
    name, bug, hint = BUGS[check]
    with planted(name, bug):
        result = run(check, BATCH)
    assert not result.passed
    assert hint in str(result)
    assert "stays put as the step shrinks, so the derivative is wrong (a real bug)" in str(result)


# -- hints, each shown by a planted bug -------------------------------------------------------

SQUARE = case_from(
    """
cases:
  - name: square
    inputs: 6
    classes: 6
    x: {seed: 7, scale: 1.0}
    weights: {seed: 8, scale: 0.5}
    label: 2
"""
)


def test_hint_transpose_of_a_square_gradient() -> None:
    with planted("loss_grad", lambda good: lambda x, W, y, b=None: good(x, W, y, b).T):
        report = str(run("loss", SQUARE))
    assert "analytic matches the transpose of numeric: rows and columns swapped" in report


def test_hint_permutation_of_axes_of_a_jacobian() -> None:
    with planted("layer_jacobian", lambda good: lambda x, W, b=None: good(x, W, b).transpose(1, 0, 2)):
        report = str(run("layer", SQUARE))
    assert "analytic matches numeric with its axes permuted as (1, 0, 2): a transposed layout" in report


def test_hint_sign_flipped() -> None:
    with planted("loss_grad", lambda good: lambda x, W, y, b=None: -good(x, W, y, b)):
        assert "analytic = -numeric: the sign is flipped" in str(run("loss", ONE))


def test_hint_missing_one_over_b() -> None:
    with planted("loss_grad", lambda good: lambda x, W, y, b=None, reduction="mean": good(x, W, y, b, "sum")):
        report = str(run("loss", BATCH))
    assert "analytic = 6 * numeric: off by a constant factor 6 (a missing 1/6" in report


def test_hint_off_diagonal_terms_missing() -> None:
    with planted("softmax_jacobians", lambda good: lambda s: good(s) * np.eye(np.shape(s)[-1])):
        report = str(run("softmax", ONE))
    assert "analytic has only the diagonal of numeric: off-diagonal terms missing" in report


def test_hint_zero_where_numeric_is_not() -> None:
    def zeroed(good: Callable[..., Any]) -> Callable[..., Any]:
        def grad(x: Any, W: Any, y: Any, b: Any = None) -> Any:
            out = good(x, W, y, b).copy()
            out[1:3] = 0.0
            return out

        return grad

    with planted("loss_grad", zeroed):
        assert "analytic is zero where numeric is not, at 8 of the mismatched entries" in str(run("loss", ONE))


def test_hint_only_the_diagonal_block_of_the_label_class() -> None:
    def block(good: Callable[..., Any]) -> Callable[..., Any]:
        def jac(x: Any, W: Any, b: Any = None) -> Any:
            out = good(x, W, b).copy()
            out[2, :, 2] *= 1.5  # the s_c (1 - s_c) x_j terms of the true class
            return out

        return jac

    with planted("layer_jacobian", block):
        report = str(run("layer", ONE))
    assert "every mismatched entry lies in the diagonal block [2, :, 2]: only the label class 2 is wrong" in report


def test_hint_only_the_label_class_column_of_the_gradient() -> None:
    no_minus_y = lambda good: lambda x, W, y, b=None: np.outer(x, fn.softmax(fn.dense(x, W, b)))  # noqa: E731
    with planted("loss_grad", no_minus_y):
        report = str(run("loss", ONE))
    assert "every mismatched entry lies in the slice [:, 2]: only the label class 2 is wrong (its -y term?)" in report


# -- the step sweep tells a real bug from a poor step ----------------------------------------


def _sweep(f: Callable[[Any], Any], x: float, slope: float) -> str:
    probe = stencils.Probe(f, np.array([x]))
    steps = [1e-1 / 4**k for k in range(5)]
    errors = [abs(slope - float(probe.central(np.array([0]), np.array([h]))[0][0, 0])) for h in steps]
    return hints.sweep_line("x[0]", steps, errors)


def test_sweep_of_a_correct_derivative_at_a_large_step_is_a_false_alarm_of_order_2() -> None:
    line = _sweep(np.exp, 0.5, float(np.exp(0.5)))
    assert "it shrinks like h^2 with the step, so the step was too large (a false alarm)" in line


def test_sweep_of_a_wrong_derivative_stays_put() -> None:
    line = _sweep(np.exp, 0.5, float(np.exp(0.5)) * 1.01)
    assert "it stays put as the step shrinks, so the derivative is wrong (a real bug)" in line


def test_sweep_at_a_kink_is_irregular() -> None:
    line = hints.sweep_line("x[0]", [1e-1, 2.5e-2, 6e-3], [0.5, 0.02, 0.3])
    assert "changes irregularly with the step: noise, or a kink within the step" in line


# -- schemes converge at their order ------------------------------------------------------------


def _smooth(x: Any) -> Any:
    return np.sin(3 * x) * np.exp(x)


X0, SLOPE = 0.7, float(3 * np.cos(2.1) * np.exp(0.7) + np.sin(2.1) * np.exp(0.7))


def _error(scheme: str, step: float) -> float:
    est = stencils.estimate(stencils.Probe(_smooth, np.array([X0])), step, scheme)
    return abs(float(est.jacobian[0, 0]) - SLOPE)


@pytest.mark.parametrize(("scheme", "order"), [("central", 2), ("central4", 4)])
def test_scheme_converges_at_its_order(scheme: str, order: int) -> None:
    errors = [_error(scheme, h) for h in (4e-2, 2e-2, 1e-2)]
    for coarse, fine in zip(errors, errors[1:], strict=False):
        assert coarse / fine == pytest.approx(2**order, rel=0.1)


def test_complex_step_is_second_order_and_exact_to_rounding_at_tiny_steps() -> None:
    # Im f(x + ih) / h = f'(x) - h^2 f‴(x)/6 + ...: second order, and no subtraction, so no
    # rounding floor: a tiny step makes it exact to rounding
    assert _error("complex", 2e-2) / _error("complex", 1e-2) == pytest.approx(4, rel=0.05)
    for step in (1e-8, 1e-20, 1e-100):
        assert _error("complex", step) <= 1e-14 * abs(SLOPE)  # a few ulps of sin, cos and exp


def test_richardson_is_far_more_accurate_than_its_first_step() -> None:
    assert _error("richardson", 1e-2) < 1e-11 < _error("central", 8e-2)


@pytest.mark.parametrize("scheme", options.SCHEMES)
def test_each_scheme_passes_a_layer_and_catches_a_scale_bug(scheme: str) -> None:
    assert run("loss", ONE, scheme=scheme).passed
    with planted("loss_grad", lambda good: lambda x, W, y, b=None: good(x, W, y, b) * 1.001):
        result = run("loss", ONE, scheme=scheme)
    assert not result.passed and result.scheme == scheme


def test_complex_scheme_on_a_real_only_function_fails_with_a_clear_problem() -> None:
    result = gradcheck.check_jacobian(lambda v: np.abs(v).sum(), np.ones(3), np.ones(3), scheme="complex")
    assert not result.passed
    assert "scheme 'complex' needs a function that accepts complex input" in str(result)


# -- dtypes --------------------------------------------------------------------------------


def _f32_loss(x: np.ndarray, y: int) -> Callable[[np.ndarray], float]:
    """A float32 implementation that rounds whatever it is given to float32 and returns a float."""

    def loss(w: np.ndarray) -> float:
        z = x.astype(np.float32) @ w.astype(np.float32)
        z = z - z.max()
        return float(np.log(np.exp(z).sum()) - z[y])

    return loss


def test_a_forced_float32_implementation_gets_float32_steps_and_tolerances() -> None:
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal(8).astype(np.float32), (rng.standard_normal((8, 4)) * 0.5).astype(np.float32)
    grad = fn.loss_grad(x, w, 1)
    probe = stencils.Probe(_f32_loss(x, 1), w)
    assert probe.precision == np.float32
    result = gradcheck.check_jacobian(_f32_loss(x, 1), w, grad)
    assert result.passed, str(result)
    assert result.step == pytest.approx(float(np.finfo(np.float32).eps) ** (1 / 3))
    assert (result.rtol, result.atol) == compare.DEFAULT_TOLERANCES["float32"]
    assert not gradcheck.check_jacobian(_f32_loss(x, 1), w, grad * 1.001).passed


def test_a_dtype_following_implementation_is_checked_against_a_float64_reference() -> None:
    rng = np.random.default_rng(10)
    x, w = rng.standard_normal(8).astype(np.float32), (rng.standard_normal((8, 4)) * 0.5).astype(np.float32)

    def loss(v: np.ndarray) -> float:
        return fn.cross_entropy(fn.softmax(x @ v), 1)  # computes in v's dtype

    probe = stencils.Probe(loss, w)
    assert probe.precision == np.float64  # f is handed float64 and computes in it
    result = gradcheck.check_jacobian(loss, w, fn.loss_grad(x, w, 1))
    assert result.passed and result.step == pytest.approx(stencils.base_step())
    assert (result.rtol, result.atol) == compare.DEFAULT_TOLERANCES["float32"]  # x and the analytic are float32
    assert result.max_rel_error < 1e-5  # the float64 reference sees float32's own rounding only


# -- cases --------------------------------------------------------------------------------------


def test_batch_cases_parse_labels_per_sample() -> None:
    case = case_from(
        """
cases:
  - name: b
    inputs: 2
    classes: 3
    x: [[1.0, 2.0], [3.0, 4.0]]
    weights: {fill: 0.1}
    label: [2, [0.5, 0.5, 0.0]]
    reduction: sum
    label_smoothing: 0.1
    scheme: central4
"""
    )
    assert case.batched and case.x.shape == (2, 2)
    np.testing.assert_array_equal(case.label, [[0, 0, 1], [0.5, 0.5, 0]])
    assert (case.reduction, case.label_smoothing, case.scheme) == ("sum", 0.1, "central4")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("batch: 0", "batch: 0 is not positive; expected a positive number of samples"),
        ("batch: 2\n    label: [1, 2, 0]", "label: has 3 labels; batch=2 needs one per sample"),
        ("batch: 2\n    label: [1, 7]", "label: sample 1: class index 7 is out of range; expected 0..2"),
        ("reduction: avg", "reduction: 'avg' is not a reduction; expected one of mean, sum"),
        ("scheme: centre", "scheme: 'centre' is not a scheme (did you mean 'central'?); expected one of central"),
        ("label_smoothing: 1.0", "label_smoothing: 1.0 is outside [0, 1); expected e.g. 0.1"),
    ],
)
def test_new_keys_are_validated_at_their_line(extra: str, message: str) -> None:
    text = "cases:\n  - name: b\n    inputs: 2\n    classes: 3\n    x: {fill: 1}\n    weights: {fill: 0.1}\n"
    text += f"    label: 1\n    {extra}\n" if "label:" not in extra else f"    {extra}\n"
    entries = document.parse_document(yamlreader.parse(text), "x.yaml", limits=document.Limits(), checks=tuple(BUILTIN))
    assert isinstance(entries[0].case, CaseError)
    assert message in str(entries[0].case)
    assert str(entries[0].case).startswith("x.yaml:")


def test_the_plugin_runs_a_case_with_its_scheme(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        x="""
cases:
  - name: four
    scheme: central4
    inputs: 2
    classes: 3
    x: [0.5, -1.0]
    weights: {seed: 1, scale: 0.5}
    label: 1
    checks: [loss, bias]
""",
    )
    result = pytester.runpytest(
        "-p", "no:hypothesispytest", "--gradcheck-cases", "x.yaml", "--gradcheck-report", "r.json"
    )
    result.assert_outcomes(passed=2)
    records = json.loads((pytester.path / "r.json").read_text())["records"]
    assert {r["scheme"] for r in records} == {"central4"}
