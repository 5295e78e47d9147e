"""Activations with the mistakes a case file or its code can make ("Bounds and errors" shows the lines)."""

import numpy as np


def tanh(x):
    return np.tanh(x)


def tanh_jacobian(x):
    return 1 - np.tanh(x) ** 2  # the diagonal only: a Jacobian is (4, 4)


def log_sum(x):
    if np.any(x <= 0):
        raise ValueError("x must be positive")
    return np.sum(np.log(x))
