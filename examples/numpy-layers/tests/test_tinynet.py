"""Ordinary tests, run together with the YAML cases by a plain `pytest`."""

from __future__ import annotations

import numpy as np
from tinynet.functional import affine_backward, affine_forward
from tinynet.layers import Dense

from gradcheck import JacobianCheck


def test_dense_matches_the_functional_affine() -> None:
    rng = np.random.default_rng(0)
    x, W, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4)), rng.standard_normal(4)
    layer = Dense(W, b)
    out, cache = affine_forward(x, W, b)
    np.testing.assert_allclose(layer.forward(x), out)
    dout = rng.standard_normal(out.shape)
    dx, dw, db = affine_backward(dout, cache)
    np.testing.assert_allclose(layer.backward(dout), dx)
    np.testing.assert_allclose(layer.dW, dw)
    np.testing.assert_allclose(layer.db, db)


def test_the_affine_input_gradient_with_the_fixture(jacobian_check: JacobianCheck) -> None:
    rng = np.random.default_rng(1)
    w, b = rng.standard_normal((3, 2)), rng.standard_normal(2)
    x = rng.standard_normal((4, 3))
    # d(sum of outputs)/dx: the backward pass of an upstream gradient of ones
    grad = affine_backward(np.ones((4, 2)), (x, w))[0]
    jacobian_check(lambda x_: affine_forward(x_, w, b)[0].sum(), x, grad, of="sum", wrt="x")
