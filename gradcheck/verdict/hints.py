"""Hints that name a likely bug from the pattern of a mismatch, and the step sweep's reading."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import patterns
from .naming import Naming
from .secondorder import second_hints
from .tolerance import Tolerance

Array = NDArray[np.floating]


@dataclass(frozen=True)
class At:
    """Where a check is made, for the hints that recognise its values: x, and f(x) where the
    derivative has f(x)'s shape entry for entry (an elementwise one)."""

    x: Array
    fx: Array | None = None


_close = patterns.close


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


#: The hint where f never moved: numeric is zero everywhere, analytic is not.
UNMOVED = (
    "f does not change when x does: does f read its argument? (gradcheck perturbs its own copy of x, "
    "so an f that reads the parameters off its object or a global, not off its argument, never moves)"
)


def value_hints(
    a: Array,
    n: Array,
    over: NDArray[np.bool_],
    tol: Tolerance,
    out_ndim: int = 0,
    naming: Naming | None = None,
    at: At | None = None,
) -> tuple[str, ...]:
    """Patterns that name a likely bug when analytic and numeric disagree (by `naming`: the label
    class a hint may name; `forward`, analytic the Jacobian a jvp gave column by column; `second`,
    a Hessian, in second-order terms first)."""
    rtol, atol, x = tol.rtol, tol.atol, None if at is None else at.x
    label_class = None if naming is None else naming.label_class
    forward, second = (False, False) if naming is None else (naming.forward, naming.second)
    hints: list[str] = []
    if over.any() and not np.any(n) and np.any(a):  # f's value did not move at any step
        return (UNMOVED,)
    if second and (named := second_hints(a, n, rtol, atol)):
        return tuple(named)
    if _close(-a, n, rtol, atol):
        hints.append("analytic = -numeric: the sign is flipped")
    with np.errstate(all="ignore"):
        peak = float(np.max(np.abs(n), initial=0.0))
        unit = n / peak if peak > 0 else n  # the factor's fit, safe from overflow
        nn = float(np.vdot(unit, unit))
        k = float(np.vdot(a / peak if peak > 0 else a, unit)) / nn if nn > 0 else 0.0
    fits = nn > 0 and np.isfinite(k) and not hints and abs(k - 1) > rtol and k != 0
    if fits and _close(a, k * n, rtol, atol):
        hints.append(_factor_hint(k, 2 in a.shape))
    elif not hints and out_ndim == 0:
        hints.extend(patterns.row_factors(a, n, rtol, atol))
    hints.extend(patterns.returned_hints(a, n, x, None if at is None else at.fx, rtol, atol))
    transposed = _transposed_jvp(a, n, rtol, atol) if forward else []
    hints.extend(transposed or _permutation_hints(a, n, rtol, atol))
    hints.extend(_diagonal_hints(a, n, rtol, atol))
    hints.extend(_guard_hints(a, n, over, out_ndim, x))
    hints.extend(patterns.flat_hints(a, n, over, x))
    hints.extend(patterns.clipped_hints(a, n, over, rtol))
    hints.extend(_confined_hints(over, out_ndim, label_class))
    if 0 < over.sum() <= 3 and over.size > 10:
        hints.append(f"only {int(over.sum())} of {over.size} entries are wrong: look at those indices")
    return tuple(hints)


def _factor_hint(k: float, pairs: bool = False) -> str:
    """`analytic = k * numeric`, naming a missing 1/B or B where k is (nearly) an integer or its
    inverse; with an axis of length 2 (two classes), a half can also be off-diagonal terms missing."""
    text = f"analytic = {k:.6g} * numeric: off by a constant factor"
    if k >= 2 and abs(k - round(k)) <= 1e-6 * k:
        return f"{text} {round(k)} (a missing 1/{round(k)}, such as the 1/B of a batch mean?)"
    if 0 < k <= 0.5 and abs(1 / k - round(1 / k)) <= 1e-6 / k:
        text = f"{text} 1/{round(1 / k)} (divided by {round(1 / k)} once too often, such as 1/B twice?)"
        if pairs and round(1 / k) == 2:
            text += (
                "; with 2 classes a factor of 0.5 can also mean the off-diagonal terms of a softmax Jacobian "
                "are missing (for K = 2 they equal the diagonal ones, negated)"
            )
    return text


def _diagonal_hints(a: Array, n: Array, rtol: float, atol: float) -> list[str]:
    """Analytic is numeric's diagonal alone, for a Jacobian whose output has x's shape: (K, K),
    a batch's (B, K, B, K), or one assembled from a vjp."""
    half = a.ndim // 2
    if a.ndim < 2 or a.ndim % 2 or a.shape[:half] != a.shape[half:]:
        return []
    size = int(np.prod(a.shape[:half]))
    am, nm = a.reshape(size, size), n.reshape(size, size)
    diagonal = np.diag(np.diag(nm))
    if np.any(nm - diagonal) and _close(am, diagonal, rtol, atol):
        return ["analytic has only the diagonal of numeric: off-diagonal terms missing"]
    return []


#: An epsilon guard is recognised for a constant between these (as in log(x + 1e-7)), a power of
#: ten within GUARD_MATCH.
GUARDS = (1e-16, 1e-4)
GUARD_MATCH = 0.01


def _guard_hints(a: Array, n: Array, over: NDArray[np.bool_], out_ndim: int, x: Array | None) -> list[str]:
    """Every mismatched entry off by a relative error of c / x_j for one power of ten c: an
    epsilon guard, log(x + c) in f but not in its derivative (or the other way round)."""
    if x is None or x.size == 0 or not over.any():
        return []
    xs = np.broadcast_to(np.asarray(x, dtype=np.float64).reshape((1,) * out_ndim + x.shape), a.shape)[over]
    am, nm = a[over], n[over]
    with np.errstate(all="ignore"):
        for c, where in (
            ((am / nm - 1.0) * xs, "in f but not in its derivative"),
            (
                (nm / am - 1.0) * xs,
                "in the derivative but not in f",
            ),
        ):
            if not np.all(np.isfinite(c)) or not np.all(c > 0):
                continue
            power = 10.0 ** np.round(np.log10(np.median(c)))
            if GUARDS[0] <= power <= GUARDS[1] and np.all(np.abs(c / power - 1.0) <= GUARD_MATCH):
                return [
                    f"relative error = {power:.0e} / x at every mismatched entry: an epsilon guard, "
                    f"such as log(x + {power:.0e}) {where}"
                ]
    return []


def _transposed_jvp(a: Array, n: Array, rtol: float, atol: float) -> list[str]:
    """A jvp that returns Jᵀ·v (a square J): its columns are the numeric Jacobian's rows."""
    size = int(np.sqrt(a.size))
    if size < 2 or size * size != a.size or a.shape[: a.ndim // 2] != a.shape[a.ndim // 2 :]:
        return []
    if not _close(a.reshape(size, size).T, n.reshape(size, size), rtol, atol):
        return []
    return ["the jvp returns Jᵀ·v, what a vjp returns, not J·v: its columns are the Jacobian's rows; multiply v by J"]


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
    # an axis of length 1 holds every entry: it confines nothing
    fixed = [
        (axis, int(where[0, axis]))
        for axis in range(over.ndim)
        if over.shape[axis] > 1 and np.all(where[:, axis] == where[0, axis])
    ]
    if not fixed or len(fixed) == sum(length > 1 for length in over.shape):
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
    """One entry's step sweep (steps falling), and what it says: the error stays put (a real bug),
    shrinks like h^k (the step's fault), or changes irregularly (noise, or a kink within the step)."""
    shown = ", ".join(f"{e:.2g}" for e in errors)
    hs = ", ".join(f"{h:.2g}" for h in steps)
    head = f"step sweep at {name}: |analytic - numeric| = {shown} at h = {hs}"
    tail = errors[len(errors) // 2 :]
    # the error at the smaller steps: the same within 10 %, and not falling
    if max(tail) > 0 and min(tail) >= max(tail) / STILL and tail[-1] >= tail[0] / STILL:
        return f"{head}: it stays put as the step shrinks, so the derivative is wrong (a real bug)"
    ratios = [b / a for a, b in zip(errors, errors[1:], strict=False) if a > 0]
    if ratios and all(r < 0.5 for r in ratios[:2]):
        # the rate k of h^k from the first two ratios of errors and of steps (falling)
        pairs = zip(steps, steps[1:], ratios[:2], strict=False)
        rates = [math.log(r) / math.log(b / a) for a, b, r in pairs if 0 < b < a and r > 0]
        if rates and min(rates) < 1.5:
            return (
                f"{head}: it shrinks like h, not h^2, with the step: the steps straddle a point where f'' "
                "jumps (a joint, as max(x, 0)^2 has at 0); only steps below its distance tell"
            )
        order = 4 if max(ratios[:2]) < 1 / 64 else 2
        return f"{head}: it shrinks like h^{order} with the step, so the step was too large (a false alarm)"
    return f"{head}: it changes irregularly with the step: noise, or a kink within the step (is f smooth here?)"


#: A sweep's error "stays put" where its values at the smaller steps are within this factor.
STILL = 1.1
