"""Second order from Python: check_hessian and check_hvp against central differences of a gradient
(checked first) or second differences of f; planted bugs named in second-order terms, hard but
correct Hessians (strong and weak curvature, large logits, a matrix argument), check_function."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gradcheck
from gradcheck.checks import second
from gradcheck.errors import ArgumentError

HERE = Path(__file__).resolve().parent

A = np.array([[2.0, 0.5, 0.1], [0.5, 3.0, -0.4], [0.1, -0.4, 1.5]])
N = np.array([[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [3.0, 0.0, 2.0]])
X = np.array([0.3, -0.7, 1.1])


def f(x: Any) -> Any:  # exp terms, a quadratic form and a product of three coordinates
    return np.sum(np.exp(x)) + 0.5 * x @ A @ x + x[0] * x[1] * x[2]


def grad(x: Any) -> Any:
    return np.exp(x) + A @ x + np.array([x[1] * x[2], x[0] * x[2], x[0] * x[1]])


def hess(x: Any) -> Any:
    cross = np.array([[0, x[2], x[1]], [x[2], 0, x[0]], [x[1], x[0], 0]])
    return np.diag(np.exp(x)) + A + cross


def one_sign_flipped(x: Any) -> Any:
    h = hess(x)
    h[0, 2] = -h[0, 2]
    return h


def logsumexp(z: Any) -> Any:
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def logsumexp_grad(z: Any) -> Any:
    e = np.exp(z - np.max(z))
    return e / e.sum()


def logsumexp_hess(z: Any) -> Any:
    s = logsumexp_grad(z)
    return np.diag(s) - np.outer(s, s)


# -- hard but correct -----------------------------------------------------------------------


@pytest.mark.parametrize("with_gradient", [True, False])
def test_a_right_hessian_passes_and_says_which_reference_it_used(with_gradient: bool) -> None:
    result = gradcheck.check_hessian(f, X, hess, grad if with_gradient else None)
    assert result.passed and result.total == 9, result
    said = "central differences of the analytic gradient" if with_gradient else "second differences of f"
    assert said in result.method, result.method


@pytest.mark.parametrize("scale", [1e4, 1e-4])
def test_strong_and_weak_curvature_pass_from_the_gradient_and_from_f(scale: float) -> None:
    def g(x: Any) -> Any:
        return scale * np.cosh(x).sum()

    x = np.linspace(-1.5, 2.0, 6)
    for gradient in (lambda x: scale * np.sinh(x), None):
        result = gradcheck.check_hessian(g, x, lambda x: scale * np.diag(np.cosh(x)), gradient)
        assert result.passed, result


def test_large_logits_pass_through_a_stable_logsumexp() -> None:
    z = np.array([250.0, 248.5, 251.0, 240.0])
    for gradient in (logsumexp_grad, None):
        result = gradcheck.check_hessian(logsumexp, z, logsumexp_hess, gradient)
        assert result.passed, result


def test_a_matrix_argument_names_its_entries_in_two_indices() -> None:
    B = np.array([[1.0, -0.5], [0.25, 2.0]])

    def trace_form(W: Any) -> Any:  # tr(Wᵀ W B) + sum W^4 / 12
        return np.trace(W.T @ W @ B) + np.sum(W**4) / 12

    def trace_hess(W: Any) -> Any:
        h = np.einsum("ik,jl->ijkl", np.eye(2), B + B.T)  # d2/dW[i,j]dW[k,l] of tr(Wᵀ W B)
        idx = np.arange(2)
        h[idx[:, None], idx[None, :], idx[:, None], idx[None, :]] += W**2
        return h

    W = np.array([[0.5, -1.0], [1.5, 0.2]])
    right = gradcheck.check_hessian(trace_form, W, trace_hess)
    assert right.passed and right.total == 16, right
    wrong = gradcheck.check_hessian(trace_form, W, lambda W: trace_hess(W) * 1.01)
    assert not wrong.passed and re.fullmatch(r"d2f/dx\[\d, \d\]dx\[\d, \d\]", wrong.worst[0].name), wrong
    named = gradcheck.check_hessian(trace_form, W, lambda W: trace_hess(W) * 1.01, of="q", wrt="W")
    assert "d2q/dW[" in str(named) and "]dW[" in str(named), named


def test_a_right_hvp_passes_on_the_basis_and_along_random_pairs() -> None:
    small = gradcheck.check_hvp(f, X, lambda v, x: hess(x) @ v)
    assert small.passed and small.total == 9, small
    big = np.linspace(-1, 1, second.SECOND_MAX + 20)
    along = gradcheck.check_hvp(lambda x: np.sum(np.cosh(x)), big, lambda v, x: np.cosh(x) * v)
    assert along.passed and along.total == 3 and "seeded random pairs" in along.method, along
    through = gradcheck.check_hvp(lambda x: np.sum(np.cosh(x)), X, lambda v, x: np.cosh(x) * v, np.sinh)
    assert through.passed and "analytic gradient" in through.method, through


# -- planted bugs -----------------------------------------------------------------------------


def hints(result: gradcheck.Comparison) -> str:
    return " | ".join(result.hints)


@pytest.mark.parametrize("with_gradient", [True, False])
def test_a_hessian_off_by_two_names_the_half_of_a_quadratic_form(with_gradient: bool) -> None:
    result = gradcheck.check_hessian(f, X, lambda x: 2 * hess(x), grad if with_gradient else None)
    assert not result.passed and "analytic = 2 * numeric" in hints(result) and "1/2 xᵀAx" in hints(result)
    half = gradcheck.check_hessian(f, X, lambda x: 0.5 * hess(x), grad if with_gradient else None)
    assert not half.passed and "analytic = 0.5 * numeric" in hints(half), half


def test_a_hessian_with_its_blocks_transposed_is_named() -> None:
    left, right = np.array([[1.0, 2.0], [-0.5, 1.5]]), np.array([[2.0, 0.3, -1.0], [0.0, 1.0, 0.5], [0.7, -0.2, 3.0]])

    def form(W: Any) -> Any:  # tr(Wᵀ L W R) with neither L nor R symmetric
        return np.trace(W.T @ left @ W @ right)

    def form_hess(W: Any) -> Any:  # L_ik R_lj + L_ki R_jl at [i, j, k, l]
        return np.einsum("ik,lj->ijkl", left, right) + np.einsum("ki,jl->ijkl", left, right)

    W = np.array([[0.5, -1.0, 0.3], [1.5, 0.2, -0.4]])
    assert gradcheck.check_hessian(form, W, form_hess).passed
    wrong = gradcheck.check_hessian(form, W, lambda W: form_hess(W).transpose(0, 3, 2, 1))
    assert not wrong.passed and "analytic[i, j, k, l] = numeric[i, l, k, j]" in hints(wrong), wrong
    assert "right on its diagonal" not in hints(wrong), wrong


def test_missing_cross_terms_are_named() -> None:
    result = gradcheck.check_hessian(f, X, lambda x: np.diag(np.diag(hess(x))), grad)
    assert not result.passed and "cross terms" in hints(result) and "missing" in hints(result), result
    assert result.mismatched == 6 and all(e.name.startswith("d2f/dx[") for e in result.worst), result


def test_one_cross_term_of_the_wrong_sign_is_found_at_its_entry() -> None:
    result = gradcheck.check_hessian(f, X, one_sign_flipped)
    assert not result.passed and result.mismatched == 1, result
    assert result.worst[0].name == "d2f/dx[0]dx[2]" and "not symmetric" in hints(result), result


def test_an_asymmetric_hessian_of_a_form_with_a_nonsymmetric_matrix() -> None:
    def form(x: Any) -> Any:
        return x @ N @ x

    right = gradcheck.check_hessian(form, X, lambda x: N + N.T, lambda x: (N + N.T) @ x)
    assert right.passed, right
    wrong = gradcheck.check_hessian(form, X, lambda x: 2 * N, lambda x: (N + N.T) @ x)
    assert not wrong.passed and "not symmetric" in hints(wrong) and "N + Nᵀ, not 2N" in hints(wrong), wrong


def test_a_wrong_gradient_fails_the_hessian_before_it_is_differenced() -> None:
    result = gradcheck.check_hessian(f, X, hess, lambda x: 2 * grad(x))
    assert not result.passed and "the gradient is wrong" in result.problem, result
    assert result.worst[0].name.startswith("x["), result  # the gradient's own entries


def test_an_hvp_that_ignores_its_tangent_fails_saying_so() -> None:
    result = gradcheck.check_hvp(f, X, lambda v, x: hess(x) @ np.ones(3))
    assert not result.passed and "ignores its tangent" in result.problem, result


def test_wrong_shapes_and_a_vector_f_are_refused() -> None:
    with pytest.raises(ArgumentError, match="x.shape \\+ x.shape"):
        gradcheck.check_hessian(f, X, lambda x: np.zeros(3))
    with pytest.raises(ArgumentError, match="scalar f"):
        gradcheck.check_hessian(np.sin, X, hess)


def test_check_function_gives_the_gradient_and_the_hessian_items() -> None:
    results = gradcheck.check_function(f, args={"x": X}, gradient=grad, hessian=hess)
    assert list(results) == ["gradient", "hessian"] and results, results
    wrong = gradcheck.check_function(f, args={"x": X}, hvp=lambda tangent, x: 2 * hess(x) @ tangent)
    assert not wrong and "analytic = 2 * numeric" in hints(wrong["x"]), wrong


def test_the_docs_lines_run() -> None:
    page = (HERE.parent / "docs" / "how-to" / "second-order.md").read_text(encoding="utf-8")
    section = page.split("## Hessians and Hessian-vector products", 1)[1].split("\n## ", 1)[0]
    code = section.split("```python\n")[-1].split("```", 1)[0]
    assert len(code.splitlines()) == 3 and "check_hessian" in code and "assert_hvp" in code
    namespace = {"gradcheck": gradcheck, "np": np, "A": N, "x": X}
    exec(compile(code, "second-order.md", "exec"), namespace)  # the page's own lines, run
    assert namespace["result"].passed and "analytic gradient" in namespace["result"].method


def test_a_float32_function_is_checked_by_second_differences_and_from_its_gradient() -> None:
    """f computed in float32 (its rounding 1e-7, so second differences keep ~3 digits): the right
    Hessian passes both ways, and the 2N bug, one sign and the missing cross terms still fail."""
    x32, a32 = X.astype(np.float32), A.astype(np.float32)

    def f32(x: Any) -> Any:
        return np.sum(np.exp(x)) + np.float32(0.5) * x @ a32 @ x + x[0] * x[1] * x[2]

    assert f32(x32).dtype == np.float32
    for gradient in (None, grad):
        assert gradcheck.check_hessian(f32, x32, hess, gradient).passed, gradient
        for wrong in (one_sign_flipped, lambda x: np.diag(np.diag(hess(x))), lambda x: 2 * hess(x)):
            assert not gradcheck.check_hessian(f32, x32, wrong, gradient).passed, (gradient, wrong)
        assert gradcheck.check_hvp(f32, x32, lambda v, x: hess(x) @ v, gradient).passed, gradient
        assert not gradcheck.check_hvp(f32, x32, lambda v, x: one_sign_flipped(x) @ v, gradient).passed, gradient
