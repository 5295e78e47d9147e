"""numerical_gradient and numerical_vjp: the references a hand-written backward pass is compared
with, in closed form (a linear layer) and in their one-line errors."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.errors import ArgumentError

RNG = np.random.default_rng(0)
X, W, DOUT = RNG.standard_normal((4, 3)), RNG.standard_normal((3, 5)), RNG.standard_normal((4, 5))


def test_the_vjp_of_a_linear_layer_is_its_closed_form() -> None:
    dw = gradcheck.numerical_vjp(lambda w: X @ w, W, DOUT)
    dx = gradcheck.numerical_vjp(lambda x: x @ W, X, DOUT)
    np.testing.assert_allclose(dw, X.T @ DOUT, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(dx, DOUT @ W.T, rtol=1e-7, atol=1e-9)


def test_the_gradient_of_a_quadratic_is_its_closed_form() -> None:
    np.testing.assert_allclose(gradcheck.numerical_gradient(lambda w: float(np.sum(w**2)), W), 2 * W, rtol=1e-8)


def test_a_gradient_of_an_array_valued_f_names_the_vjp() -> None:
    with pytest.raises(ArgumentError, match=r"needs a scalar f .*numerical_vjp\(f, x, dout\)"):
        gradcheck.numerical_gradient(lambda w: X @ w, W)


def test_a_cotangent_of_another_shape_is_one_line() -> None:
    with pytest.raises(ArgumentError, match=r"f returned shape \(4, 5\); dout has shape \(5,\), and must match"):
        gradcheck.numerical_vjp(lambda w: X @ w, W, np.ones(5))
