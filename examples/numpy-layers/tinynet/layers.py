"""Layers as objects that keep what the backward pass needs between forward and backward."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class Dense:
    """y = x @ W + b. The gradients of the parameters are left on the layer, in dW and db."""

    def __init__(self, W: Array, b: Array) -> None:
        self.W = np.array(W, dtype=float)
        self.b = np.array(b, dtype=float)
        self.dW = np.zeros_like(self.W)
        self.db = np.zeros_like(self.b)

    def forward(self, x: Array) -> Array:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: Array) -> Array:
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class FullyConnected:
    """act(X @ W + b), whose weights are drawn on the first forward call, once the input size is
    known. Parameters and their gradients live in dicts; backward adds to the gradients (they
    are summed over the batches seen until flush_gradients)."""

    def __init__(self, n_out: int, act_fn: str = "tanh", init_scale: float = 0.5) -> None:
        self.n_out, self.act_fn, self.init_scale = n_out, act_fn, init_scale
        self.parameters: dict[str, Array] = {}
        self.gradients: dict[str, Array] = {}

    def _init(self, n_in: int) -> None:
        self.parameters = {
            "W": self.init_scale * np.random.randn(n_in, self.n_out),
            "b": np.zeros(self.n_out),
        }
        self.flush_gradients()

    def flush_gradients(self) -> None:
        self.gradients = {name: np.zeros_like(value) for name, value in self.parameters.items()}

    def _act(self, z: Array) -> tuple[Array, Array]:
        """The activation and its derivative at z."""
        if self.act_fn == "tanh":
            a = np.tanh(z)
            return a, 1.0 - a**2
        if self.act_fn == "identity":
            return z, np.ones_like(z)
        raise ValueError(f"unknown activation {self.act_fn!r}")

    def forward(self, X: Array) -> Array:
        if not self.parameters:
            self._init(X.shape[-1])
        self.X = X
        a, self.da_dz = self._act(X @ self.parameters["W"] + self.parameters["b"])
        return a

    def backward(self, dLdy: Array) -> Array:
        dz = dLdy * self.da_dz
        self.gradients["W"] += self.X.T @ dz
        self.gradients["b"] += dz.sum(axis=0)
        return dz @ self.parameters["W"].T
