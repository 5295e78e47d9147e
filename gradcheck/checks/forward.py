"""A jvp's Check: J·v, what a jvp returns for a tangent v of x's shape (in f's shape), against
central differences along v. For an x of at most BASIS_MAX entries (a Jacobian within
`max_elements`) the Jacobian is assembled column by column from the basis tangents and compared
in full, entries named `df[2]/dx[1]`: column x[1] is J·v for the basis tangent at x[1]. For a
larger x, PROBES seeded random tangents: each J·v against one central difference of f along it
(2 evaluations of f per tangent), entries named `df[2] along tangent 1 of 3`.
Either way the jvp is checked to be linear in its tangent first."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..options import MAX_ELEMENTS
from .base import Check
from .linear import BASIS_MAX, PROBES, SEED, TANGENT, Product, by_columns, nonlinear


def tangents(x0: NDArray[Any], dtype: np.dtype, seed: int = SEED) -> NDArray[Any]:
    """PROBES seeded random tangents of x's shape, each entry scaled by max(1, |x_i|), as the steps are."""
    v = np.random.default_rng(seed).standard_normal((PROBES, *x0.shape))
    return (v * np.maximum(1.0, np.abs(np.asarray(x0, dtype=np.float64)))).astype(dtype)


@dataclass(frozen=True)
class JvpOptions:
    """How a check of J·v is named and run: `of` and `wrt` name its entries, `shown` the jvp in a
    problem (`jvp: mylib:f_jvp`); its evaluation (vectorized, workers, order), the bound on the
    Jacobian's size, the mode ("directional" takes seeded random tangents drawn from `seed`
    whatever x's size) and, with `second`, f a gradient and the product a Hessian's (an hvp)."""

    of: str
    wrt: str
    shown: str
    evaluation: Mapping[str, Any] = field(default_factory=dict)
    max_elements: int = MAX_ELEMENTS
    mode: str = "auto"
    seed: int = SEED
    second: bool = False


def jvp_check(
    name: str,
    func: Callable[[NDArray[np.floating]], Any],
    product: Product,
    x0: NDArray[np.floating],
    out: NDArray[Any],
    how: JvpOptions,
) -> Check:
    """The Check of `product(v)` = J·v of f (`func`) at x0, f(x0) being `out`, as `how` says; with
    `how.second` its entries are named d2f/dx[i]dx[j]."""
    of, wrt, shown, evaluation = how.of, how.wrt, how.shown, dict(how.evaluation)
    max_elements, mode, seed, second = how.max_elements, how.mode, how.seed, how.second
    dtype = x0.dtype if np.issubdtype(x0.dtype, np.floating) else np.dtype(np.float64)
    problem = nonlinear(shown, "hvp" if second else "jvp", product, x0.shape, dtype, TANGENT)
    if mode != "directional" and x0.size <= BASIS_MAX and out.size * x0.size <= max_elements:
        jacobian = by_columns(product, x0.shape, out.shape, dtype)
        return Check(
            name, func, x0, jacobian, of=of, wrt=wrt, problem=problem, forward=not second, second=second, **evaluation
        )
    along = tangents(x0, dtype, seed)
    flat = along.reshape(PROBES, x0.size)
    products = np.stack([np.asarray(product(v), dtype=np.float64) for v in along], axis=-1)

    def moved(t: NDArray[np.floating]) -> Any:
        # t (PROBES,), or a stack (B, PROBES): x0 + sum_k t_k v_k, so df/dt_k is J·v_k
        return func(x0 + (np.asarray(t) @ flat).reshape(np.shape(t)[:-1] + x0.shape).astype(x0.dtype))

    labels = tuple(f"tangent {k + 1} of {PROBES}" for k in range(PROBES))  # seeded random, as the method says
    t0 = np.zeros(PROBES, dtype=dtype)
    return Check(
        name,
        moved,
        t0,
        products,
        of=of,
        wrt=wrt if second else "v",
        problem=problem,
        tangents=labels,
        fixed_mode="full",
        second=second,
        **evaluation,
    )
