"""A two-layer MLP, tanh(x @ W1 + b1) @ W2 + b2, with its backward pass written by hand."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .activations import tanh
from .losses import mse, mse_grad

Array = NDArray[np.float64]


def forward(x: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> Array:
    """Outputs (B, m) for a batch x (B, n); W1 (n, h), W2 (h, m)."""
    return tanh(x @ W1 + b1) @ W2 + b2


def forward_vjp_x(cotangent: Array, x: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> Array:
    """u . d forward / d x for a cotangent u (B, m): back through W2, tanh and W1."""
    h = tanh(x @ W1 + b1)
    return ((cotangent @ W2.T) * (1.0 - h**2)) @ W1.T


def loss(x: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> float:
    """The mean squared error of the outputs against targets y (B, m)."""
    return mse(forward(x, W1, b1, W2, b2), y)


def backward(x: Array, y: Array, W1: Array, b1: Array, W2: Array, b2: Array) -> dict[str, Array]:
    """Gradients of the loss for every parameter, by the chain rule, layer by layer."""
    h = tanh(x @ W1 + b1)
    out = h @ W2 + b2
    d_out = mse_grad(out, y)  # (B, m)
    d_h = d_out @ W2.T  # (B, h)
    d_a1 = d_h * (1.0 - h**2)  # through tanh
    return {"W1": x.T @ d_a1, "b1": d_a1.sum(axis=0), "W2": h.T @ d_out, "b2": d_out.sum(axis=0)}
