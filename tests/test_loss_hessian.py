"""The built-in check hessian: d2XE/dW2 = x_i x_k (diag(s) - s sᵀ)[j, l] at [i, j, k, l] for one sample,
summed over a batch's samples (divided by B for the mean); its closed form, and planted bugs that fail
through the plugin."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from pluginrun import run as run_pytest
from pluginrun import sections, write
from test_numerics_depth import BATCH, ONE, case_from, planted, run

from gradcheck import functions as fn
from gradcheck.casefile.layer import Case
from gradcheck.checks.linear import BASIS_MAX

Make = Callable[[Callable[..., Any]], Callable[..., Any]]


def _explicit(case: Case, reduction: str = "mean") -> np.ndarray:
    """The Hessian entry by entry from its formula, a loop over samples and indices."""
    xs = np.atleast_2d(case.x)
    n, k_classes = case.weights.shape
    out = np.zeros((n, k_classes, n, k_classes))
    for x in xs:
        s = fn.softmax(x @ case.weights + case.bias)
        for i, j, k, m in np.ndindex(out.shape):
            out[i, j, k, m] += x[i] * x[k] * ((s[j] if j == m else 0.0) - s[j] * s[m])
    return out / len(xs) if case.batched and reduction == "mean" else out


def _hessian_of_loss(case: Case, h: float = 1e-4) -> np.ndarray:
    """The Hessian of layer_loss by second differences of the loss alone (no gradient)."""
    w0, size = case.weights, case.weights.size
    out = np.zeros((size, size))

    def loss(*moves: tuple[int, float]) -> float:
        w = w0.copy().reshape(-1)
        for k, d in moves:
            w[k] += d
        return float(fn.layer_loss(case.x, w.reshape(w0.shape), case.label, case.bias))

    for a in range(size):
        for c in range(size):
            out[a, c] = (
                loss((a, h), (c, h)) - loss((a, h), (c, -h)) - loss((a, -h), (c, h)) + loss((a, -h), (c, -h))
            ) / (4 * h * h)
    return out.reshape(w0.shape + w0.shape)


@pytest.mark.parametrize("case", [ONE, BATCH], ids=["one", "batch"])
def test_the_hessian_is_the_closed_form_and_symmetric(case: Case) -> None:
    got = fn.loss_hessian(case.x, case.weights, case.bias, **({"reduction": "mean"} if case.batched else {}))
    assert got.shape == case.weights.shape * 2
    np.testing.assert_allclose(got, _explicit(case), atol=1e-15)
    np.testing.assert_allclose(got, _hessian_of_loss(case), atol=1e-6)
    flat = got.reshape(case.weights.size, -1)
    np.testing.assert_array_equal(flat, flat.T)
    if case.batched:
        total = fn.loss_hessian(case.x, case.weights, case.bias, reduction="sum")
        np.testing.assert_allclose(total, _explicit(case, "sum"), atol=1e-15)
        np.testing.assert_allclose(got, total / len(case.x))


@pytest.mark.parametrize("case", [ONE, BATCH], ids=["one", "batch"])
def test_the_product_is_the_hessian_times_v(case: Case) -> None:
    v = np.random.default_rng(7).standard_normal(case.weights.shape)
    hessian = fn.loss_hessian(case.x, case.weights, case.bias)
    np.testing.assert_allclose(fn.loss_hvp(case.x, case.weights, v, case.bias), np.tensordot(hessian, v, 2), atol=1e-14)


@pytest.mark.parametrize("case", [ONE, BATCH], ids=["one", "batch"])
def test_the_built_in_check_passes_saying_what_it_differenced(case: Case) -> None:
    result = run("hessian", case)
    assert result.passed and "central differences of the analytic dXE/dW" in result.method, result
    assert result.total == case.weights.size**2, result


def _moved(x: Any, W: Any, b: Any, reduction: str) -> tuple[np.ndarray, np.ndarray, float]:
    """x as a batch, its softmax outputs and the reduction's scale."""
    xs = np.atleast_2d(x)
    return xs, fn.softmax(fn.dense(xs, W, b)), fn.batch_scale(np.asarray(x), reduction)


def _factor_2(good: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, W, b=None, reduction="mean": 2 * good(x, W, b, reduction)


def _no_outer(good: Callable[..., Any]) -> Callable[..., Any]:
    def hessian(x: Any, W: Any, b: Any = None, reduction: str = "mean") -> np.ndarray:
        xs, s, scale = _moved(x, W, b, reduction)
        # x_i x_k diag(s)[j, l] alone: the - x_i x_k s_j s_l term added back
        return good(x, W, b, reduction) + np.einsum("bi,bk,bj,bl->ijkl", xs, xs, s, s) * scale

    return hessian


def _x_i_x_i(good: Callable[..., Any]) -> Callable[..., Any]:
    def hessian(x: Any, W: Any, b: Any = None, reduction: str = "mean") -> np.ndarray:
        xs, s, scale = _moved(x, W, b, reduction)
        blocks = fn.softmax_jacobians(s)
        return np.einsum("bi,bjl,k->ijkl", xs**2, blocks, np.ones(xs.shape[1])) * scale

    return hessian


def _layout_of_w_t(good: Callable[..., Any]) -> Callable[..., Any]:
    # (diag(s) - s sᵀ)[j, l] is symmetric, so swapping j and l alone changes nothing: the bug is the
    # Hessian of Wᵀ (K, n, K, n) reshaped to W's (n, K, n, K) without transposing back
    def hessian(x: Any, W: Any, b: Any = None, reduction: str = "mean") -> np.ndarray:
        out = good(x, W, b, reduction)
        return np.ascontiguousarray(out.transpose(1, 0, 3, 2)).reshape(out.shape)

    return hessian


BUGS: dict[str, Make] = {
    "factor-2": _factor_2,
    "no-outer": _no_outer,
    "x_i-x_i": _x_i_x_i,
    "w-t-layout": _layout_of_w_t,
}


@pytest.mark.parametrize("bug", list(BUGS))
def test_a_planted_bug_fails_through_the_plugin_for_one_sample_and_a_batch(pytester: pytest.Pytester, bug: str) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    one = "inputs: 3\n    classes: 4\n    x: [0.3, -0.7, 1.1]\n    weights: {seed: 5, scale: 0.5}\n    label: 2"
    batch = "batch: 4\n    inputs: 3\n    classes: 4\n    x: {seed: 1}\n    weights: {seed: 2}\n    label: {seed: 3}"
    cases = "".join(
        f"  - name: {name}\n    checks: [loss, hessian]\n    {body}\n"
        for name, body in [("one", one), ("batch", batch)]
    )
    write(pytester, "cases/x.yaml", "cases:\n" + cases)
    with planted("loss_hessian", BUGS[bug]):
        result = run_pytest(pytester, "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=2)  # the gradients pass, their Hessians fail
    shown = sections(result)
    assert any("d2XE/dW[" in line for line in shown["one[hessian]"]), shown["one[hessian]"]
    hint = {"factor-2": "analytic = 2 * numeric", "w-t-layout": "the Hessian of xᵀ, (4, 3, 4, 3), laid out"}
    if bug in hint:
        assert any(hint[bug] in line for line in shown["batch[hessian]"]), shown["batch[hessian]"]


def test_the_built_in_check_still_passes_without_planted_bugs(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    text = "    inputs: 3\n    classes: 4\n    x: [0.3, -0.7, 1.1]\n    weights: {seed: 5, scale: 0.5}\n    label: 2\n"
    write(pytester, "cases/x.yaml", "cases:\n  - name: one\n    checks: all\n" + text)
    run_pytest(pytester, "-p", "no:cacheprovider").assert_outcomes(passed=11)


LARGE = case_from(
    f"""
cases:
  - name: large
    batch: 3
    inputs: {BASIS_MAX // 8 + 1}
    classes: 8
    x: {{seed: 1}}
    weights: {{seed: 2, scale: 0.1}}
    label: {{seed: 3}}
"""
)


def test_a_large_w_is_checked_through_products_with_seeded_tangents() -> None:
    result = run("hessian", LARGE)
    assert result.passed and "along 3 seeded random tangents" in result.method, result
    assert "central differences of the analytic dXE/dW" in result.method, result
    with planted("loss_hvp", lambda good: lambda x, W, V, b=None, reduction="mean": 2 * good(x, W, V, b, reduction)):
        wrong = run("hessian", LARGE)
    assert not wrong.passed and "d2XE/dW" in str(wrong), wrong
