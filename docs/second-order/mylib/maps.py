import numpy as np


def mix(x, W):
    return np.tanh(W @ x)


def mix_jvp(tangent, x, W):
    return (1 - np.tanh(W @ x) ** 2) * (W @ tangent)


def mix_vjp(cotangent, x, W):
    return W.T @ ((1 - np.tanh(W @ x) ** 2) * cotangent)


def mix_jvp_transposed(tangent, x, W):  # the bug: the reverse product, Jᵀ·v
    return W.T @ ((1 - np.tanh(W @ x) ** 2) * tangent)
