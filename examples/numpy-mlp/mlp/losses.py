"""Losses, each followed by its gradient."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def mse(pred: Array, target: Array) -> float:
    # mean over every entry of (pred - target)^2
    return float(np.mean((pred - target) ** 2))


def mse_grad(pred: Array, target: Array) -> Array:
    # d mse / d pred = 2 (pred - target) / N
    return 2.0 * (pred - target) / pred.size


def mse_grad_v0(pred: Array, target: Array) -> Array:
    # An early version, kept to show what a failing check looks like: the factor 2 is missing.
    return (pred - target) / pred.size
