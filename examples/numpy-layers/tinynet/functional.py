"""Layers as pairs of functions: the forward pass returns its output and a cache, the backward
pass takes the upstream gradient and that cache and returns one gradient per input."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def affine_forward(x: Array, w: Array, b: Array) -> tuple[Array, tuple[Array, Array]]:
    """out = x @ w + b for a batch x (N, D), w (D, M), b (M,)."""
    return x @ w + b, (x, w)


def affine_backward(dout: Array, cache: tuple[Array, Array]) -> tuple[Array, Array, Array]:
    """dx, dw, db from the upstream gradient dout (N, M)."""
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def relu_forward(x: Array) -> tuple[Array, Array]:
    return np.maximum(x, 0.0), x


def relu_backward(dout: Array, x: Array) -> Array:
    return dout * (x > 0)


def softmax_loss(scores: Array, y: NDArray[np.int64]) -> tuple[float, Array]:
    """The mean cross-entropy of class scores (N, C) against integer labels y (N,), and its gradient."""
    n = scores.shape[0]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -float(log_p[np.arange(n), y].mean())
    dscores = np.exp(log_p)
    dscores[np.arange(n), y] -= 1.0
    return loss, dscores / n


def softmax_loss_v0(scores: Array, y: NDArray[np.int64]) -> tuple[float, Array]:
    """An old version whose gradient forgets to divide by the batch size."""
    loss, dscores = softmax_loss(scores, y)
    return loss, dscores * scores.shape[0]


def rosenbrock(x: Array, a: float = 1.0, b: float = 100.0) -> tuple[float, Array]:
    """The Rosenbrock function and its gradient, as scipy.optimize.minimize(..., jac=True) takes them."""
    head, tail = x[:-1], x[1:]
    value = float(np.sum(b * (tail - head**2) ** 2 + (a - head) ** 2))
    grad = np.zeros_like(x)
    grad[:-1] = -4.0 * b * head * (tail - head**2) - 2.0 * (a - head)
    grad[1:] += 2.0 * b * (tail - head**2)
    return value, grad
