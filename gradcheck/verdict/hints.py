"""Hints that name a likely bug from the pattern of a mismatch, and the step sweep's reading."""

from __future__ import annotations

import itertools

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def _close(a: Array, b: Array, rtol: float, atol: float) -> bool:
    with np.errstate(all="ignore"):  # values near overflow differ by inf: not close
        return bool(np.all(np.abs(a - b) <= atol + rtol * np.abs(b)))


def shape_hints(analytic: Array, numeric: Array, rtol: float, atol: float) -> tuple[str, ...]:
    """Hints for an analytic array of the wrong shape."""
    a = np.asarray(analytic, dtype=np.float64)
    if a.size != numeric.size:
        return ()
    if a.ndim == numeric.ndim:
        for perm in itertools.permutations(range(a.ndim)):
            moved = a.transpose(perm)
            if moved.shape == numeric.shape and _close(moved, numeric, rtol, atol):
                return (f"analytic matches numeric with its axes permuted as {perm}: a transposed layout",)
    if _close(a.reshape(numeric.shape), numeric, rtol, atol):
        return ("analytic has the right values in C order but the wrong shape: reshape it",)
    return ()


def value_hints(
    a: Array,
    n: Array,
    over: NDArray[np.bool_],
    rtol: float,
    atol: float,
    out_ndim: int = 0,
    label_class: int | None = None,
    x: Array | None = None,
) -> tuple[str, ...]:
    """Patterns that name a likely bug when analytic and numeric disagree."""
    hints: list[str] = []
    if _close(-a, n, rtol, atol):
        hints.append("analytic = -numeric: the sign is flipped")
    with np.errstate(all="ignore"):
        peak = float(np.max(np.abs(n), initial=0.0))
        unit = n / peak if peak > 0 else n  # the factor's fit, safe from overflow
        nn = float(np.vdot(unit, unit))
        k = float(np.vdot(a / peak if peak > 0 else a, unit)) / nn if nn > 0 else 0.0
    fits = nn > 0 and np.isfinite(k) and not hints and abs(k - 1) > rtol and k != 0
    if fits and _close(a, k * n, rtol, atol):
        hints.append(_factor_hint(k))
    hints.extend(_permutation_hints(a, n, rtol, atol))
    square = a.ndim == 2 and a.shape[0] == a.shape[1]
    if square and np.any(n - np.diag(np.diag(n))) and _close(a, np.diag(np.diag(n)), rtol, atol):
        hints.append("analytic has only the diagonal of numeric: off-diagonal terms missing")
    zero = over & (a == 0)
    if zero.any():
        hints.append(f"analytic is zero where numeric is not, at {int(zero.sum())} of the mismatched entries")
    hints.extend(_confined_hints(over, out_ndim, label_class))
    if 0 < over.sum() <= 3 and over.size > 10:
        hints.append(f"only {int(over.sum())} of {over.size} entries are wrong: look at those indices")
    return tuple(hints)


def _factor_hint(k: float) -> str:
    """`analytic = k * numeric`, naming a missing 1/B or B where k is (nearly) an integer or its inverse."""
    text = f"analytic = {k:.6g} * numeric: off by a constant factor"
    if k >= 2 and abs(k - round(k)) <= 1e-6 * k:
        return f"{text} {round(k)} (a missing 1/{round(k)}, such as the 1/B of a batch mean?)"
    if 0 < k <= 0.5 and abs(1 / k - round(1 / k)) <= 1e-6 / k:
        return f"{text} 1/{round(1 / k)} (divided by {round(1 / k)} once too often, such as 1/B twice?)"
    return text


def _permutation_hints(a: Array, n: Array, rtol: float, atol: float) -> list[str]:
    """A transposed layout: analytic equals numeric with two axes (or all axes) permuted."""
    if a.ndim < 2 or a.ndim > 4:
        return []
    for perm in itertools.permutations(range(a.ndim)):
        if perm == tuple(range(a.ndim)):
            continue
        if a.transpose(perm).shape == n.shape and _close(a.transpose(perm), n, rtol, atol):
            if a.ndim == 2:
                return ["analytic matches the transpose of numeric: rows and columns swapped"]
            return [f"analytic matches numeric with its axes permuted as {perm}: a transposed layout"]
    return []


def _confined_hints(over: NDArray[np.bool_], out_ndim: int, label_class: int | None) -> list[str]:
    """Mismatches that all share one index on some axes: a wrong term for one class or block."""
    if over.ndim < 2 or over.sum() < 2:
        return []
    where = np.argwhere(over)
    fixed = [(axis, int(where[0, axis])) for axis in range(over.ndim) if np.all(where[:, axis] == where[0, axis])]
    if not fixed or len(fixed) == over.ndim:
        return []
    # Several axes with one shared value: the diagonal block of that class, e.g. [c, :, c].
    values = {v for _, v in fixed}
    slot = ", ".join(str(dict(fixed)[axis]) if axis in dict(fixed) else ":" for axis in range(over.ndim))
    kind = "the diagonal block" if len(fixed) >= 2 and len(values) == 1 else "the slice"
    text = f"every mismatched entry lies in {kind} [{slot}]"
    if label_class is not None and values == {label_class}:
        text += f": only the label class {label_class} is wrong (its -y term?)"
    return [text]


def sweep_line(name: str, steps: list[float], errors: list[float]) -> str:
    """One entry's step sweep, and what it says: a real bug, or the step's fault."""
    shown = ", ".join(f"{e:.2g}" for e in errors)
    hs = ", ".join(f"{h:.2g}" for h in steps)
    head = f"step sweep at {name}: |analytic - numeric| = {shown} at h = {hs}"
    tail = errors[len(errors) // 2 :]
    if min(tail) >= 0.5 * max(tail) and max(tail) > 0:
        return f"{head}: it stays put as the step shrinks, so the derivative is wrong (a real bug)"
    ratios = [b / a for a, b in zip(errors, errors[1:], strict=False) if a > 0]
    if ratios and all(r < 0.5 for r in ratios[:2]):
        order = 4 if max(ratios[:2]) < 1 / 64 else 2
        return f"{head}: it shrinks like h^{order} with the step, so the step was too large (a false alarm)"
    return f"{head}: it changes erratically with the step (is f smooth here? a kink, a branch, rounding?)"
