"""Analytic against numeric derivatives, entry by entry: the error figures of a Comparison."""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

from . import map as mismatch
from .comparison import Comparison, Entry, entry_name
from .hints import shape_hints, value_hints

Array = NDArray[np.floating]

#: How many of the worst entries a report lists.
WORST_SHOWN = 5

#: Default (rtol, atol) by the lowest floating precision among x, f(x) and the analytic array.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-6, 1e-8),
    "float32": (1e-4, 1e-5),
    "float16": (1e-2, 1e-3),
}


def default_tolerances(*dtypes: np.dtype) -> tuple[float, float]:
    """(rtol, atol) for the least precise floating dtype among `dtypes` (float64 if none)."""
    floats = [np.dtype(d) for d in dtypes if np.issubdtype(d, np.floating)]
    if not floats:
        return DEFAULT_TOLERANCES["float64"]
    least = max(floats, key=lambda d: float(np.finfo(d).eps))
    return DEFAULT_TOLERANCES.get(least.name, DEFAULT_TOLERANCES["float64"])


def compare(
    analytic: Array,
    numeric: Array,
    *,
    rtol: float,
    atol: float,
    out_ndim: int,
    allowance: Array | None = None,
    of: str = "f",
    wrt: str = "x",
    title: str = "gradcheck",
    method: str = "",
    label_class: int | None = None,
    failed: NDArray[np.bool_] | None = None,
    seen: tuple[str, ...] = (),
    x: Array | None = None,
) -> Comparison:
    """Compare entry by entry: |analytic - numeric| <= atol + rtol * |numeric| + allowance.

    `allowance` is the numeric estimate's own error bound, where it has one; `failed` marks
    entries that fail whatever their numbers (a kink at x), and `seen` says why, ahead of the
    hints. `x`, the point, lets a hint recognise an epsilon guard. NaN or inf in either array
    is a failure, never a pass.
    """
    analytic = np.asarray(analytic)
    numeric = np.asarray(numeric, dtype=np.float64)
    make = functools.partial(Comparison, rtol=rtol, atol=atol, title=title, method=method, total=numeric.size)
    if analytic.shape != numeric.shape:
        return make(
            passed=False,
            max_abs_error=np.inf,
            max_rel_error=np.inf,
            mismatched=numeric.size,
            problem=_shape_problem(analytic.shape, numeric.shape, out_ndim),
            hints=shape_hints(analytic, numeric, rtol, atol),
        )
    a = np.asarray(analytic, dtype=np.float64)
    for label, arr in (("analytic", a), ("numeric", numeric)):
        bad = ~np.isfinite(arr)
        if bad.any():
            shown = ", ".join(
                f"{entry_name(tuple(int(k) for k in idx), out_ndim, of, wrt)} = {arr[tuple(idx)]}"
                for idx in np.argwhere(bad)[:3]
            )
            why = "" if label == "analytic" else " (f is not finite on every side of x there)"
            return make(
                passed=False,
                max_abs_error=np.inf,
                max_rel_error=np.inf,
                mismatched=int(bad.sum()),
                problem=f"{label} has {int(bad.sum())} non-finite entries{why}: {shown}",
                mismatch_map=mismatch.build(bad, None, out_ndim, of, wrt),
            )
    # In place where it can be: a check's memory is a few copies of its Jacobian.
    err = np.asarray(np.subtract(a, numeric))  # an array even for 0-d a (a scalar function of a scalar)
    np.abs(err, out=err)
    mag = np.abs(numeric)
    bound = mag * rtol
    bound += atol
    if allowance is not None:
        bound += allowance
    over = err > bound
    if failed is not None:
        over |= failed
    rel = np.zeros_like(err)
    np.divide(err, mag, out=rel, where=mag > atol)
    del mag
    failing = np.flatnonzero(over)
    with np.errstate(divide="ignore", invalid="ignore"):  # atol=0 and numeric=0 make bound 0
        excess = err.reshape(-1)[failing] / bound.reshape(-1)[failing]
        if failed is not None:  # the forced failures first, then by how far each is off
            excess = np.where(failed.reshape(-1)[failing], np.inf, excess)
    order = failing[np.argsort(excess)[::-1][:WORST_SHOWN]]
    worst = tuple(
        Entry(
            entry_name(idx, out_ndim, of, wrt),
            float(a[idx]),
            float(numeric[idx]),
            float(err[idx]),
            np.inf if numeric[idx] == 0 and a[idx] != 0 else float(rel[idx]),  # f does not move at all
            idx,
        )
        for idx in (tuple(int(i) for i in np.unravel_index(o, err.shape)) for o in order)
    )
    # as the table says: infinite where a failing entry's numeric is 0 and its analytic is not
    still = np.any(over & (numeric == 0) & (a != 0))
    max_rel = np.inf if still else float(rel.max(initial=0.0))
    return make(
        passed=failing.size == 0,
        max_abs_error=float(err.max(initial=0.0)),
        max_rel_error=max_rel,
        mismatched=int(failing.size),
        worst=worst,
        hints=seen + value_hints(a, numeric, over, rtol, atol, out_ndim, label_class, x) if failing.size else (),
        mismatch_map=_map(over, err, bound, rel, out_ndim, of, wrt) if failing.size else None,
    )


def _map(
    over: NDArray[np.bool_], err: Array, bound: Array, scratch: Array, out_ndim: int, of: str, wrt: str
) -> mismatch.MismatchMap:
    """The mismatch map, its ratio |analytic - numeric| / tolerance computed in `scratch`'s memory."""
    ratio = np.divide(err, bound, out=scratch, where=bound > 0)
    zero = bound == 0  # atol=0 and numeric=0: an error there is infinitely many tolerances
    ratio[zero] = np.where(err[zero] > 0, np.inf, 0.0)
    return mismatch.build(over, ratio, out_ndim, of, wrt)


def _shape_problem(got: tuple[int, ...], want: tuple[int, ...], out_ndim: int) -> str:
    return f"analytic has shape {got}; expected {want} = f(x).shape {want[:out_ndim]} + x.shape {want[out_ndim:]}"
