"""A whole model whose loss returns its value and the gradients of every parameter."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .functional import affine_backward, affine_forward, relu_backward, relu_forward, softmax_loss

Array = NDArray[np.float64]


class TwoLayerNet:
    """affine - relu - affine - softmax, parameters in self.params."""

    def __init__(self, n_in: int, n_hidden: int, n_classes: int, std: float = 0.1, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.params = {
            "W1": std * rng.standard_normal((n_in, n_hidden)),
            "b1": std * rng.standard_normal(n_hidden),
            "W2": std * rng.standard_normal((n_hidden, n_classes)),
            "b2": np.zeros(n_classes),
        }

    def loss(self, X: Array, y: NDArray[np.int64]) -> tuple[float, dict[str, Array]]:
        p = self.params
        a1, cache1 = affine_forward(X, p["W1"], p["b1"])
        h, cache_relu = relu_forward(a1)
        scores, cache2 = affine_forward(h, p["W2"], p["b2"])
        loss, dscores = softmax_loss(scores, y)
        dh, dW2, db2 = affine_backward(dscores, cache2)
        _, dW1, db1 = affine_backward(relu_backward(dh, cache_relu), cache1)
        return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
