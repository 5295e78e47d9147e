"""The central-difference gradient of a scalar f, and the vector-Jacobian product u·J of any f,
with numerical_jacobian's step choice: the references students compare a backward pass with."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ..errors import ArgumentError
from .stencils import numerical_jacobian
from .types import Array, Function


def numerical_gradient(f: Function, x: ArrayLike, *, step: float | None = None) -> Array:
    """The central-difference gradient of a scalar-valued f at x, of x's shape."""
    grad = numerical_jacobian(f, x, step=step)
    shape = np.shape(x)
    if grad.shape != shape:
        raise ArgumentError(
            f"f returned shape {grad.shape[: grad.ndim - len(shape)]} at x; numerical_gradient needs a scalar f "
            "(for the product of a cotangent with the Jacobian of another f, numerical_vjp(f, x, dout))",
            "f",
        )
    return grad


def numerical_vjp(f: Function, x: ArrayLike, dout: ArrayLike, *, step: float | None = None) -> Array:
    """dout·J, the central-difference gradient of sum(dout * f(x)), of x's shape: what a backward
    pass handed the cotangent `dout` must return for x."""
    cotangent = np.asarray(dout, dtype=np.float64)

    def weighted(v: Array) -> float:
        out = np.asarray(f(v), dtype=np.float64)
        if out.shape != cotangent.shape:
            raise ArgumentError(
                f"f returned shape {out.shape}; dout has shape {cotangent.shape}, and must match", "dout"
            )
        return float(np.vdot(cotangent, out))

    return numerical_gradient(weighted, x, step=step)
