"""Hints in second-order terms, for a Hessian (its own shape x.shape + x.shape) that disagrees with
the numeric one: not symmetric where the numeric one is, off by a factor 2 or 1/2 (the
1/2 xᵀAx slip), with the blocks of a matrix x transposed, or right on the diagonal and wrong off
it (cross terms missing or wrong)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from .patterns import close

Array = NDArray[np.floating]


def square(a: Array) -> Array | None:
    """A Hessian of x.shape + x.shape as an (n, n) matrix, or None for any other shape."""
    half = a.ndim // 2
    if a.ndim < 2 or a.ndim % 2 or a.shape[:half] != a.shape[half:]:
        return None
    size = int(np.prod(a.shape[:half]))
    return a.reshape(size, size)


def _transposed(a: Array, n: Array, rtol: float, atol: float) -> list[str]:
    """For x a matrix (m, p), the Hessian (m, p, m, p) of `a` with its blocks transposed against `n`'s."""
    if a.ndim != 4 or a.shape != n.shape or a.shape[:2] != a.shape[2:]:
        return []
    m, p = a.shape[:2]
    layouts = (
        (
            n.transpose(0, 3, 2, 1),
            "each block d2f/dx[i, :]dx[k, :] is transposed: analytic[i, j, k, l] = numeric[i, l, k, j] "
            "(= numeric[k, j, i, l] for a symmetric Hessian); the column indices j and l swapped",
        ),
        (
            np.ascontiguousarray(n.transpose(1, 0, 3, 2)).reshape(a.shape),
            f"it is the Hessian of xᵀ, ({p}, {m}, {p}, {m}), laid out in x's shape ({m}, {p}, {m}, {p}) "
            "without transposing: transpose its axes (1, 0, 3, 2) instead",
        ),
    )
    return [
        f"the analytic Hessian has the blocks of x's shape transposed: {words}"
        for candidate, words in layouts
        if not close(candidate, n, rtol, atol) and close(a, candidate, rtol, atol)
    ]


def second_hints(a: Array, n: Array, rtol: float, atol: float) -> list[str]:
    """What a mismatched analytic Hessian `a` (against numeric `n`) most likely got wrong; [] if
    neither is a square Hessian or no pattern fits."""
    am, nm = square(a), square(n)
    if am is None or nm is None or am.shape[0] < 1:
        return []
    hints = []
    symmetric = close(nm, nm.T, rtol, atol)
    if symmetric and am.shape[0] > 1 and not close(am, am.T, rtol, atol):
        hints.append(
            "the analytic Hessian is not symmetric and the numeric one is: d2f/dx[i]dx[j] must equal "
            "d2f/dx[j]dx[i]; for f = xᵀNx it is N + Nᵀ, not 2N (symmetrize: (H + Hᵀ) / 2 of the wrong one)"
        )
    hints.extend(_transposed(a, n, rtol, atol))
    for k, words in (
        (
            2.0,
            "twice the numeric one: the 1/2 of f = 1/2 xᵀAx kept in the Hessian (A, not 2A), or a factor 2 of the "
            "square's derivative applied twice?",
        ),
        (
            0.5,
            "half the numeric one: for f = xᵀAx the Hessian is A + Aᵀ (2A for a symmetric A), not A; or a "
            "1/2 dropped from f but kept in the Hessian?",
        ),
    ):
        if np.any(nm) and close(am, k * nm, rtol, atol):
            hints.append(f"analytic = {k:g} * numeric: the analytic Hessian is {words}")
    diagonal = np.eye(am.shape[0], dtype=bool)
    if am.shape[0] > 1 and close(am[diagonal], nm[diagonal], rtol, atol) and not hints:
        off = am[~diagonal]
        if not np.any(off) and np.any(nm[~diagonal]):
            hints.append(
                "the analytic Hessian is right on its diagonal and zero off it: the cross terms d2f/dx[i]dx[j] "
                "(i != j) are missing, as when each coordinate is differentiated twice on its own"
            )
        elif not close(off, nm[~diagonal], rtol, atol):
            hints.append(
                "the analytic Hessian is right on its diagonal and wrong off it: look at the cross terms "
                "d2f/dx[i]dx[j] (i != j), a sign or a factor of a product of two coordinates"
            )
    return hints
