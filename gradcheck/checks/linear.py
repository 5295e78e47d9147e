"""What a product derivative (a vjp or backward, u·J; a jvp, J·v) must be whatever the numbers say:
linear in the vector it multiplies, p(2w) = 2 p(w) for a seeded random w."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: A product is checked in full (one call per basis vector) for vectors of up to this many entries;
#: a larger one is checked through PROBES seeded random vectors.
BASIS_MAX = 1024
PROBES = 3
SEED = 0
#: The basis vectors are this times a unit vector (a product that ignores its vector would pass
#: with 1), their products divided by it again (a power of two: exactly).
SCALE = 2.0
#: p(2w) must be 2 p(w) within this relative tolerance (of p(w)'s largest entry).
LINEAR_RTOL = 1e-6

Product = Callable[[NDArray[Any]], NDArray[Any]]

#: The words for each kind of product: the vector it multiplies, its letter, and what it must return.
COTANGENT = ("cotangent", "u", "u·J, the cotangent u times the Jacobian")
TANGENT = ("tangent", "v", "J·v, the Jacobian times the tangent v")


def nonlinear(
    name: str, kind: str, product: Product, shape: tuple[int, ...], dtype: np.dtype, words: tuple[str, str, str]
) -> str:
    """What is wrong with a product `name` (`vjp: mylib:f_vjp`) that is not linear in its vector
    (of `shape`), or "" where it is."""
    vector, w, due = words
    u = np.random.default_rng(SEED + 1).standard_normal(shape).astype(dtype)
    once = np.asarray(product(u), dtype=np.float64)
    twice = np.asarray(product(2 * u), dtype=np.float64)
    size = float(np.max(np.abs(once), initial=0.0))
    with np.errstate(all="ignore"):
        if np.allclose(twice, 2 * once, rtol=LINEAR_RTOL, atol=LINEAR_RTOL * size, equal_nan=True):
            return ""
        if size > 0 and np.allclose(twice, once, rtol=LINEAR_RTOL, atol=LINEAR_RTOL * size):
            return f"{name} ignores its {vector}: {kind}(2{w}) equals {kind}({w}); it must return {due}"
    short = due.split(",")[0]
    return f"{name} is not linear in its {vector}: {kind}(2{w}) is not 2 {kind}({w}); it must return {short}"


def basis_products(product: Product, shape: tuple[int, ...], dtype: np.dtype) -> list[NDArray[Any]]:
    """`product` of every basis vector of `shape`, in flat order: product(SCALE e_k) / SCALE (SCALE,
    not 1, so that a product that ignores its vector shows; a power of two, so exactly)."""
    out = []
    for k in range(math.prod(shape)):
        w = np.zeros(shape, dtype=dtype)
        w.flat[k] = SCALE
        out.append(np.asarray(product(w)) / SCALE)
    return out


def by_columns(product: Product, x_shape: tuple[int, ...], out_shape: tuple[int, ...], dtype: np.dtype) -> NDArray[Any]:
    """The Jacobian (out_shape + x_shape) whose column k is the product of the basis vector e_k of x:
    J·e_k of a jvp, H·e_k of an hvp."""
    size = math.prod(out_shape)
    columns = [np.asarray(c, dtype=np.float64).reshape(size) for c in basis_products(product, x_shape, dtype)]
    shape = out_shape + x_shape
    return np.stack(columns, axis=-1).reshape(shape) if columns else np.zeros(shape)
