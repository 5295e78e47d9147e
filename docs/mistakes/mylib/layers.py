"""Layers with the mistakes a case file or its code can make ("Bounds and errors" shows the lines)."""

import numpy as np


class Dense:
    def __init__(self, W):
        if np.ndim(W) != 2:
            raise ValueError("W must be 2-D")
        self.W = np.array(W, dtype=float)

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, dout):
        self.dW = self.x.T @ dout
        return dout @ self.W.T


def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout  # db forgotten
