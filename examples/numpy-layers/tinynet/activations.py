"""Activations as objects: fn(x) and its elementwise derivative gradient(x), of x's shape."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


class Sigmoid:
    def fn(self, z: Array) -> Array:
        return 1.0 / (1.0 + np.exp(-z))

    def gradient(self, z: Array) -> Array:
        s = self.fn(z)
        return s * (1.0 - s)


class SoftPlus:
    def __init__(self, beta: float = 1.0) -> None:
        self.beta = beta

    def fn(self, z: Array) -> Array:
        return np.logaddexp(0.0, self.beta * z) / self.beta

    def gradient(self, z: Array) -> Array:
        return 1.0 / (1.0 + np.exp(-self.beta * z))


def swish(z: Array) -> Array:
    return z / (1.0 + np.exp(-z))


def swish_prime(z: Array) -> Array:
    s = 1.0 / (1.0 + np.exp(-z))
    return s + z * s * (1.0 - s)
