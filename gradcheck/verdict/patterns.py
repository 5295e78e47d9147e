"""Hints for plain patterns of a mismatch: a constant factor per row (per sample), a derivative
that is zero where f is not flat or the other way round (a clip's or a mask's bound), a derivative
clipped at a bound, and a derivative that returns f(x) or x itself."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]
#: How many per-row factors a hint shows before it ends with "...".
FACTORS_SHOWN = 8
#: A clip's or a mask's bound is read off x only where at least this many mismatched entries show it.
MIN_BOUND_ENTRIES = 2


def close(a: Array, b: Array, rtol: float, atol: float) -> bool:
    """Every entry of a within atol + rtol * |b| of b's."""
    with np.errstate(all="ignore"):  # values near overflow differ by inf: not close
        return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def row_factors(a: Array, n: Array, rtol: float, atol: float) -> list[str]:
    """analytic = k_i * numeric in each row i of the first axis of a derivative of x's shape (a
    sample of a batch), with factors that differ and none zero (one factor for all is the
    constant-factor hint's, a zero row the zeros'): a per-sample scale on one side only."""
    if a.ndim < 2 or a.shape[0] < 2:
        return []
    rows_a, rows_n = a.reshape(a.shape[0], -1), n.reshape(n.shape[0], -1)
    factors = []
    with np.errstate(all="ignore"):
        for ra, rn in zip(rows_a, rows_n, strict=True):
            nn = float(np.vdot(rn, rn))
            if nn == 0 or not np.isfinite(nn):
                return []
            k = float(np.vdot(ra, rn)) / nn
            if not np.isfinite(k) or not close(ra, k * rn, rtol, atol):
                return []
            factors.append(k)
    spread = max(factors) - min(factors)
    if spread <= rtol * max(abs(k) for k in factors) or 0.0 in factors:  # one factor, or zeros (their own hint)
        return []
    shown = ", ".join(f"{k:.4g}" for k in factors[:FACTORS_SHOWN]) + (", ..." if len(factors) > FACTORS_SHOWN else "")
    return [
        f"analytic = k[i] * numeric, a constant factor per row i (the first axis): k = {shown}: a per-sample "
        "weight, count or 1/B applied on one side only?"
    ]


def bounds(x: Array, mask: NDArray[np.bool_]) -> str:
    """`outside [-0.97, 0.98]` where `mask` holds exactly the entries whose x lies outside the range
    of the others' (a clip or a mask that cuts at two bounds, or one), else ""."""
    if not mask.any() or mask.all():
        return ""
    inside = x[~mask]
    lo, hi = float(inside.min()), float(inside.max())
    marked = x[mask]
    if not np.all((marked < lo) | (marked > hi)):
        return ""
    if np.all(marked > hi):
        return f"above {hi:.3g}"
    if np.all(marked < lo):
        return f"below {lo:.3g}"
    return f"outside [{lo:.3g}, {hi:.3g}]"


def flat_hints(a: Array, n: Array, over: NDArray[np.bool_], x: Array | None) -> list[str]:
    """Zeros on one side where the other side is not zero: f flat (clipped, or saturated) where
    the derivative is not, or the derivative zero where f is not flat; with the entries' x, where
    it shows a bound (for a derivative of x's shape)."""
    flat = over & (n == 0) & (a != 0)
    zero = over & (a == 0)
    # a bound read off x where the entries are x's own, and at least two of them show it
    by_x = x is not None and x.shape == a.shape and int(flat.sum()) + int(zero.sum()) >= MIN_BOUND_ENTRIES
    hints = []
    if flat.any():
        where = bounds(x, n == 0) if by_x and x is not None and not zero.any() else ""
        at = f" (at every entry with x {where}, and only there)" if where else ""
        hints.append(
            f"numeric is zero where analytic is not, at {int(flat.sum())} of the mismatched entries{at}: f is "
            "flat there (clipped, or saturated) but the derivative is not: a missing mask, such as (x > 0) or "
            "a clip's bounds?"
        )
    if zero.any():
        text = f"analytic is zero where numeric is not, at {int(zero.sum())} of the mismatched entries"
        if by_x and x is not None and not flat.any():
            cut, flat_at = bounds(x, a == 0), bounds(x, n == 0)
            if cut and flat_at:
                text += (
                    f"; analytic is zero at every x {cut}, numeric (f flat) at every x {flat_at}: the derivative's "
                    "mask cuts at other bounds than f's clip"
                )
            elif cut:
                text += f" (every x {cut}): the derivative's mask cuts where f is not flat"
        hints.append(text)
    return hints


def returned_hints(a: Array, n: Array, x: Array | None, fx: Array | None, rtol: float, atol: float) -> list[str]:
    """The derivative returned f(x), the forward value, or x, its input, instead of the derivative."""
    hints = []
    for value, what in ((fx, "f(x), the forward value"), (x, "x, the input")):
        if value is None or value.shape != a.shape or close(n, value, rtol, atol):
            continue
        if close(a, np.asarray(value, dtype=np.float64), rtol, atol):
            hints.append(
                f"analytic equals {what}, at every entry: does the derivative return it instead of the derivative "
                "(such as s for sigmoid's s * (1 - s))?"
                if what.startswith("f(x)")
                else f"analytic equals {what}, at every entry: does the derivative return its argument?"
            )
    return hints


def clipped_hints(a: Array, n: Array, over: NDArray[np.bool_], rtol: float) -> list[str]:
    """The derivative clipped: at every mismatched entry (two at least) analytic is +c or -c, one
    bound c > 0, and numeric is larger in size with the same sign; no entry of analytic beyond c."""
    if int(over.sum()) < MIN_BOUND_ENTRIES:
        return []
    at, num = a[over], n[over]
    bound = float(np.abs(at).max(initial=0.0))
    with np.errstate(all="ignore"):
        at_bound = np.abs(np.abs(at) - bound) <= rtol * bound
        beyond = (np.abs(num) > bound * (1 + rtol)) & (np.sign(num) == np.sign(at))
    if bound == 0 or not np.isfinite(bound) or not (at_bound.all() and beyond.all()):
        return []
    if float(np.abs(a).max()) > bound * (1 + rtol):
        return []
    return [
        f"analytic is ±{bound:.4g} at every mismatched entry, where numeric is larger: a derivative clipped "
        f"at {bound:.4g} (such as np.clip(g, -{bound:.4g}, {bound:.4g}))? check it before the clip"
    ]
