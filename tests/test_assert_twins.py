"""Every public check_* has an assert_* twin: the same result when it passes, an AssertionError
carrying the same report when it fails, the check's keywords passed through."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import gradcheck

W = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [2.0, 0.0, 1.0]])
A = np.array([[2.0, 1.0, 0.0], [0.0, 1.0, -1.0], [3.0, 0.0, 2.0]])
X = np.array([0.5, -0.3, 0.8])


def quadratic(x: Any) -> Any:  # xᵀAx with A not symmetric: its Hessian is A + Aᵀ
    return x @ A @ x


def tanh_map(x: Any) -> Any:
    return np.tanh(W @ x)


def tanh_jvp(v: Any, x: Any) -> Any:
    return (1 - np.tanh(W @ x) ** 2) * (W @ v)


#: name: (arguments of a right derivative, the same with a planted bug)
CASES: dict[str, tuple[tuple[Any, ...], tuple[Any, ...]]] = {
    "jacobian": ((np.exp, X, np.diag(np.exp(X))), (np.exp, X, np.diag(np.exp(X)) * 1.01)),
    "jvp": ((tanh_map, X, tanh_jvp), (tanh_map, X, lambda v, x: W.T @ ((1 - np.tanh(W @ x) ** 2) * v))),  # Jᵀv
    "dot_product": (
        (lambda x: W @ x, X, lambda v, x: W @ v, lambda u, x: u @ W),
        (lambda x: W @ x, X, lambda v, x: W @ v, lambda u, x: W @ u),  # the vjp not transposed
    ),
    "hessian": ((quadratic, X, lambda x: A + A.T), (quadratic, X, lambda x: 2 * A)),  # the 2N bug
    "hvp": ((quadratic, X, lambda v, x: (A + A.T) @ v), (quadratic, X, lambda v, x: 2 * A @ v)),
}


def pair(name: str) -> tuple[Callable[..., Any], Callable[..., Any]]:
    return getattr(gradcheck, f"check_{name}"), getattr(gradcheck, f"assert_{name}")


def test_every_public_check_has_an_assert_twin() -> None:
    checks = {n.removeprefix("check_") for n in gradcheck.__all__ if n.startswith("check_")}
    twins = {n.removeprefix("assert_") for n in gradcheck.__all__ if n.startswith("assert_")}
    assert checks == twins
    assert set(CASES) | {"function"} == checks  # each twin is tried below


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_twin_returns_the_result_of_a_check_that_passes(name: str) -> None:
    check, twin = pair(name)
    right, _ = CASES[name]
    expected = check(*right)
    result = twin(*right)
    assert expected.passed and result.passed
    assert result.report() == expected.report()


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_twin_raises_the_report_of_a_check_that_fails(name: str) -> None:
    check, twin = pair(name)
    _, wrong = CASES[name]
    expected = check(*wrong)
    assert not expected.passed
    with pytest.raises(AssertionError) as info:
        twin(*wrong)
    assert str(info.value) == str(expected)


def test_a_twin_passes_the_keywords_through() -> None:
    slightly = np.diag(np.exp(X)) * (1 + 1e-4)
    assert not gradcheck.check_jacobian(np.exp, X, slightly).passed
    assert gradcheck.assert_jacobian(np.exp, X, slightly, rtol=1e-3).passed
    with pytest.raises(TypeError, match="unexpected keyword"):
        gradcheck.assert_hessian(quadratic, X, lambda x: A + A.T, tolerance=1e-3)


def test_assert_function_raises_every_report_when_one_check_fails() -> None:
    def f(W: Any, b: Any) -> Any:
        return np.sum(np.tanh(X @ W + b))

    def grads(W: Any, b: Any) -> Any:
        d = 1 - np.tanh(X @ W + b) ** 2
        return {"W": np.outer(X, d), "b": 2 * d}  # db off by a factor 2

    args = {"W": W, "b": np.array([0.1, -0.2, 0.3])}
    good = gradcheck.assert_function(f, args=args, wrt="W", gradient=lambda W, b: grads(W, b)["W"])
    assert good.passed and list(good) == ["W"]
    expected = gradcheck.check_function(f, args=args, wrt="b", gradient=lambda W, b: grads(W, b)["b"])
    with pytest.raises(AssertionError) as info:
        gradcheck.assert_function(f, args=args, wrt="b", gradient=lambda W, b: grads(W, b)["b"])
    assert str(info.value) == str(expected) and "FAILED" in str(info.value)
