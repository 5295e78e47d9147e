"""What forward-mode and second-order checks cost, in calls, measured in one run.

Run:  python benchmarks/second_order_cost.py

For x of n entries: a Hessian checked from an analytic gradient (calls of the gradient; the
issue's target 2n, plus the gradient's own check, which calls f), from f alone (calls of f: the
stencil's count), and a JVP in full mode (calls of f; target 2n) and in directional mode (target
2 per tangent). Each call is counted; the targets are printed beside the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import gradcheck


def counted(fn: Callable[..., Any]) -> tuple[Callable[..., Any], list[int]]:
    """`fn`, and a one-element list that counts its calls."""
    calls = [0]

    def wrapper(*args: Any) -> Any:
        calls[0] += 1
        return fn(*args)

    return wrapper, calls


def problem(n: int) -> tuple[Any, ...]:
    """A smooth scalar f of x (n,), its gradient, Hessian, and a map g with its jvp."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)

    def f(v: np.ndarray) -> float:
        return float(np.sum(np.log(np.cosh(a @ v))))

    def grad(v: np.ndarray) -> np.ndarray:
        return np.asarray(a.T @ np.tanh(a @ v))

    def hess(v: np.ndarray) -> np.ndarray:
        return np.asarray(a.T @ np.diag(1 - np.tanh(a @ v) ** 2) @ a)

    def g(v: np.ndarray) -> np.ndarray:
        return np.tanh(a @ v)

    def jvp(t: np.ndarray, v: np.ndarray) -> np.ndarray:  # the tangent first, as check_jvp calls it
        return np.asarray((1 - np.tanh(a @ v) ** 2) * (a @ t))

    return x, f, grad, hess, g, jvp


def row(check: str, n: int, calls: int, target: object, passed: bool) -> None:
    print(f"{check:<46} {n:>5} {calls:>8} {target!s:>8}  {passed}")


def main() -> None:
    print(f"{'check':<46} {'n':>5} {'calls':>8} {'target':>8}  passed")
    for n in (10, 50):
        x, f, grad, hess, g, jvp = problem(n)
        counted_grad, grad_calls = counted(grad)
        result = gradcheck.check_hessian(f, x, hess, gradient=counted_grad)
        row("hessian from the gradient (calls of gradient)", n, grad_calls[0], 2 * n, result.passed)
        counted_f, f_calls = counted(f)
        result = gradcheck.check_hessian(counted_f, x, hess)
        row("hessian from f alone (calls of f)", n, f_calls[0], "stencil", result.passed)
        counted_g, g_calls = counted(g)
        result = gradcheck.check_jvp(counted_g, x, jvp, mode="full")
        row("jvp, full (calls of f)", n, g_calls[0], 2 * n, result.passed)
        counted_g, g_calls = counted(g)
        result = gradcheck.check_jvp(counted_g, x, jvp, mode="directional")
        row("jvp, directional, 3 tangents (calls of f)", n, g_calls[0], 2 * 3, result.passed)


if __name__ == "__main__":
    main()
