"""Activations, each followed by its derivatives."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def tanh(x: Array) -> Array:
    return np.tanh(x)


def tanh_jacobian(x: Array) -> Array:
    # d tanh(x_i) / d x_j = (1 - tanh(x_i)^2) if i == j else 0
    return np.diag(1.0 - np.tanh(x) ** 2)


def tanh_vjp(cotangent: Array, x: Array) -> Array:
    # u . J = u * (1 - tanh(x)^2), without building the diagonal J
    return cotangent * (1.0 - np.tanh(x) ** 2)


def relu(x: Array) -> Array:
    return np.maximum(x, 0.0)


def relu_jacobian(x: Array) -> Array:
    # 1 where x > 0, 0 where x < 0; at the kink x = 0 there is no derivative, so cases stay away from it
    return np.diag((x > 0).astype(x.dtype))
