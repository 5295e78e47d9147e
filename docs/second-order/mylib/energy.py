import numpy as np


def energy(x, N):
    return x @ N @ x + np.sum(np.cos(x))


def energy_grad(x, N):
    return (N + N.T) @ x - np.sin(x)


def energy_hessian(x, N):
    return N + N.T - np.diag(np.cos(x))


def energy_hvp(tangent, x, N):
    return (N + N.T) @ tangent - np.cos(x) * tangent


def energy_hessian_2n(x, N):  # the bug: 2N, the Hessian of x @ N @ x only for a symmetric N
    return 2 * N - np.diag(np.cos(x))
