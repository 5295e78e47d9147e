"""Forward mode from Python: check_jvp (J·v against central differences along v, the Jacobian
assembled column by column for a small x, seeded random tangents for a large one), the
dot-product test check_dot_product, and check_function(jvp=...)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gradcheck
from gradcheck.checks import linear
from gradcheck.errors import ArgumentError

RNG = np.random.default_rng(7)
A = RNG.normal(size=(4, 3))
X = np.array([0.3, -0.2, 0.5])


def layer(x: Any) -> Any:
    return np.tanh(A @ x)


def layer_jvp(v: Any, x: Any) -> Any:
    return (1 - np.tanh(A @ x) ** 2) * (A @ v)


def layer_vjp(u: Any, x: Any) -> Any:
    return A.T @ ((1 - np.tanh(A @ x) ** 2) * u)


# -- hard but correct -----------------------------------------------------------------------


def test_a_right_jvp_passes_in_full_and_along_random_tangents() -> None:
    full = gradcheck.check_jvp(layer, X, layer_jvp)
    assert full.passed and full.total == 12 and full.mode == "full", full
    along = gradcheck.check_jvp(layer, X, layer_jvp, mode="directional")
    assert along.passed and along.total == 4 * linear.PROBES, along


def test_a_matrix_argument_at_large_values_passes() -> None:
    W = 1e3 * RNG.normal(size=(3, 5))  # large entries: each step scales with max(1, |W_ij|)
    B = RNG.normal(size=(2, 3)) / 1e3

    def f(W: Any) -> Any:
        return np.sin(B @ W) * np.sum(W**2) / 1e6

    def jvp(V: Any, W: Any) -> Any:
        return np.cos(B @ W) * (B @ V) * np.sum(W**2) / 1e6 + np.sin(B @ W) * 2 * np.sum(W * V) / 1e6

    result = gradcheck.check_jvp(f, W, jvp, of="f", wrt="W")
    assert result.passed and result.total == 10 * 15, result


def test_a_large_x_is_checked_through_seeded_random_tangents_at_two_calls_each() -> None:
    x = RNG.normal(size=1100)  # above the 1024 entries that are assembled in full
    calls = []

    def f(x: Any) -> Any:
        calls.append(1)
        return np.array([np.sum(np.sin(x)), np.sum(x**3) / x.size])

    def jvp(v: Any, x: Any) -> Any:
        return np.array([np.sum(np.cos(x) * v), np.sum(3 * x**2 * v) / x.size])

    result = gradcheck.check_jvp(f, x, jvp)
    assert result.passed and result.total == 2 * linear.PROBES, result
    assert len(calls) <= 2 + 2 * linear.PROBES  # f at x (twice at most), then 2 per tangent
    wrong = gradcheck.check_jvp(f, x, lambda v, x: jvp(v, x) * np.array([1.0, 1.1]))
    assert not wrong.passed
    assert wrong.worst[0].name.startswith("df[1] along tangent "), wrong


# -- planted bugs -----------------------------------------------------------------------------


def test_a_wrong_column_is_named_in_the_jacobians_terms() -> None:
    def off(v: Any, x: Any) -> Any:
        out = layer_jvp(v, x)
        out[2] += 0.3 * v[1]
        return out

    result = gradcheck.check_jvp(layer, X, off)
    assert not result.passed and result.mismatched == 1 and result.diagnosis == "bug"
    assert result.worst[0].name == "df[2]/dx[1]"


def test_a_jvp_returning_the_transposed_product_gets_its_own_hint() -> None:
    B = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [2.0, 0.0, 1.0]])
    result = gradcheck.check_jvp(lambda x: np.sin(B @ x), X, lambda v, x: B.T @ (np.cos(B @ x) * v))
    assert not result.passed
    assert any(h.startswith("the jvp returns Jᵀ·v") for h in result.hints), result.hints
    assert not any("transpose of numeric" in h for h in result.hints)  # the general hint gives way


def test_a_jvp_that_ignores_its_tangent_or_is_not_linear_fails_so() -> None:
    ignores = gradcheck.check_jvp(layer, X, lambda v, x: layer_jvp(np.ones(3), x))
    assert not ignores.passed
    assert ignores.problem.startswith("jvp ignores its tangent: jvp(2v) equals jvp(v)"), ignores.problem
    squared = gradcheck.check_jvp(layer, X, lambda v, x: layer_jvp(v, x) ** 2)
    assert "is not linear in its tangent: jvp(2v) is not 2 jvp(v)" in squared.problem


def test_a_jvp_of_the_wrong_shape_is_one_line() -> None:
    with pytest.raises(ArgumentError, match=r"jvp returned shape \(3,\); expected \(4,\)"):
        gradcheck.check_jvp(layer, X, lambda v, x: v)


# -- the dot-product test ---------------------------------------------------------------------


def test_the_dot_product_test_passes_to_rounding_and_catches_a_wrong_vjp() -> None:
    right = gradcheck.check_dot_product(layer, X, layer_jvp, layer_vjp)
    assert right.passed and right.total == linear.PROBES and right.max_rel_error < 1e-14, right
    wrong = gradcheck.check_dot_product(layer, X, layer_jvp, lambda u, x: layer_vjp(u, x) * [1, 1, 1 + 1e-7])
    assert not wrong.passed and wrong.unit == "pairs" and wrong.worst, wrong
    assert "not transposes of each other" in wrong.hints[0]


def test_check_function_makes_the_jvp_the_vjp_and_the_dot_test_of_a_pair() -> None:
    def f(x: Any) -> Any:
        return layer(x)

    def jvp(v: Any, x: Any) -> Any:
        return layer_jvp(v, x)

    def vjp(u: Any, x: Any) -> Any:
        return layer_vjp(u, x)

    both = gradcheck.check_function(f, args={"x": X}, jvp=jvp, vjp=vjp)
    assert list(both) == ["jvp", "vjp", "dot"] and both, both
    alone = gradcheck.check_function(f, args={"x": X}, jvp=lambda v, x: 2 * jvp(v, x))
    assert list(alone) == ["x"] and not alone["x"].passed
    bad_vjp = gradcheck.check_function(f, args={"x": X}, jvp=jvp, vjp=lambda u, x: vjp(u, x) * 1.001)
    assert [name for name, c in bad_vjp.items() if not c.passed] == ["vjp", "dot"]


def test_the_docs_lines_run() -> None:
    page = (Path(__file__).resolve().parent.parent / "docs" / "how-to" / "second-order.md").read_text(encoding="utf-8")
    section = page.split("## Hessians and Hessian-vector products", 1)[0]
    code = section.split("```python\n")[-1].split("```", 1)[0]
    assert len(code.splitlines()) == 3 and "check_jvp" in code and "assert_dot_product" in code
    namespace = {"gradcheck": gradcheck, "np": np, "W": A, "x": X}
    exec(compile(code, "second-order.md", "exec"), namespace)  # the page's own lines, run
    assert namespace["result"].passed
