"""Check a hand-written backward pass from Python alone, as a case file would: a dense layer with
a tanh, y = tanh(x @ W + b), its backward pass, and the same pass with a bug planted in it."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

import gradcheck

Array = NDArray[np.float64]


def dense_forward(x: Array, W: Array, b: Array) -> tuple[Array, tuple[Array, Array, Array]]:
    """y = tanh(x @ W + b) for a batch x (B, n), weights W (n, k), bias b (k,); and its cache."""
    y = np.tanh(x @ W + b)
    return y, (x, W, y)


def dense_backward(dy: Array, cache: tuple[Array, Array, Array]) -> dict[str, Array]:
    """The gradients of sum(dy * y) for x, W and b: through tanh' = 1 - y**2, then the affine map."""
    x, W, y = cache
    dz = dy * (1 - y**2)
    return {"x": dz @ W.T, "W": x.T @ dz, "b": dz.sum(axis=0)}


def buggy_backward(dy: Array, cache: tuple[Array, Array, Array]) -> dict[str, Array]:
    """dense_backward with a bug planted: the bias gradient skips tanh's derivative."""
    grads = dense_backward(dy, cache)
    return {**grads, "b": dy.sum(axis=0)}


def main() -> None:
    rng = np.random.default_rng(0)
    args: dict[str, Any] = {"x": rng.normal(size=(4, 3)), "W": rng.normal(size=(3, 2)), "b": rng.normal(size=2)}
    results = gradcheck.check_function(dense_forward, args=args, wrt=["x", "W", "b"], backward=dense_backward)
    print(repr(results))
    planted = gradcheck.check_function(dense_forward, args=args, wrt=["x", "W", "b"], backward=buggy_backward)
    print(repr(planted))
    print(planted["b"].report())


if __name__ == "__main__":
    main()
