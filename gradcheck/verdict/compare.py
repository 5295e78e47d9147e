"""Analytic against numeric derivatives, entry by entry: the error figures of a Comparison."""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

from . import map as mismatch
from .comparison import Comparison, Entry
from .hints import At, shape_hints, value_hints
from .naming import Naming
from .shown import Shown, shown
from .tolerance import DEFAULT_TOLERANCES, Tolerance, default_tolerances

Array = NDArray[np.floating]

#: How many of the worst entries a report lists.
WORST_SHOWN = 5

__all__ = ["DEFAULT_TOLERANCES", "WORST_SHOWN", "compare", "default_tolerances"]


def compare(
    analytic: Array,
    numeric: Array,
    naming: Naming,
    tol: Tolerance,
    *,
    method: str = "",
    allowance: Array | None = None,
    failed: NDArray[np.bool_] | None = None,
    at: At | None = None,
) -> Comparison:
    """Compare entry by entry: |analytic - numeric| <= atol + rtol * |numeric| + allowance.

    `naming` names the entries, its shapes those of f(x) and x; `allowance` is the numeric
    estimate's own error bound, where it has one; `failed` marks entries that fail whatever their
    numbers (a kink at x). `at`, the point and f's value there, lets a hint recognise an epsilon
    guard or a derivative that returns them. NaN or inf in either array is a failure, never a
    pass. The report shows the part `shown` picks, in the user's terms.
    """
    analytic = np.asarray(analytic)
    numeric = np.asarray(numeric, dtype=np.float64)
    rtol, atol, out_ndim = tol.rtol, tol.atol, naming.out_ndim
    make = functools.partial(Comparison, rtol=rtol, atol=atol, title=naming.heading, method=method, total=numeric.size)
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
            shown_ = ", ".join(
                f"{naming.qualified(tuple(int(k) for k in idx))} = {arr[tuple(idx)]}" for idx in np.argwhere(bad)[:3]
            )
            why = "" if label == "analytic" else " (f is not finite on every side of x there)"
            return make(
                passed=False,
                max_abs_error=np.inf,
                max_rel_error=np.inf,
                mismatched=int(bad.sum()),
                problem=f"{label} has {int(bad.sum())} non-finite entries{why}: {shown_}",
                mismatch_map=mismatch.build(bad, None, out_ndim, naming.of, naming.wrt),
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
    if not over.any():
        return make(
            passed=True,
            max_abs_error=float(err.max(initial=0.0)),
            max_rel_error=float(rel.max(initial=0.0)),
            mismatched=0,
        )
    part = shown(naming, over)
    return _failure(make, part, (a, numeric, err, bound, rel), over, failed, tol, at)


def _failure(
    make: functools.partial[Comparison],
    part: Shown,
    arrays: tuple[Array, Array, Array, Array, Array],
    over: NDArray[np.bool_],
    failed: NDArray[np.bool_] | None,
    tol: Tolerance,
    at: At | None,
) -> Comparison:
    """The report of a failing comparison, of the part `part` shows: its count, largest errors,
    worst entries, hints and map. `arrays` are analytic, numeric, |error|, bound and rel error."""
    a, numeric, err, bound, rel = (part.take(arr) for arr in arrays)
    over = part.take(over)
    forced = None if failed is None else part.take(failed)
    failing = np.flatnonzero(over)
    with np.errstate(divide="ignore", invalid="ignore"):  # atol=0 and numeric=0 make bound 0
        excess = err.reshape(-1)[failing] / bound.reshape(-1)[failing]
        if forced is not None:  # the forced failures first, then by how far each is off
            excess = np.where(forced.reshape(-1)[failing], np.inf, excess)
    order = failing[np.argsort(excess)[::-1][:WORST_SHOWN]]
    worst = tuple(
        Entry(
            part.name(idx),
            float(a[idx]),
            float(numeric[idx]),
            float(err[idx]),
            np.inf if numeric[idx] == 0 and a[idx] != 0 else float(rel[idx]),  # f does not move at all
            part.full(idx),
        )
        for idx in (tuple(int(i) for i in np.unravel_index(o, err.shape)) for o in order)
    )
    # as the table says: infinite where a failing entry's numeric is 0 and its analytic is not
    still = np.any(over & (numeric == 0) & (a != 0))
    naming = part.naming
    point = at if part.whole or at is None else At(at.x, at.fx if part.diagonal else None)
    hints = value_hints(a, numeric, over, tol, part.out_ndim, naming, point)
    return make(
        passed=False,
        max_abs_error=float(err.max(initial=0.0)),
        max_rel_error=np.inf if still else float(rel.max(initial=0.0)),
        mismatched=int(failing.size),
        total=over.size,
        unit=part.unit,
        context=part.context,
        worst=worst,
        hints=part.hints + hints,
        mismatch_map=_map(over, err, bound, rel, part),
    )


def _map(over: NDArray[np.bool_], err: Array, bound: Array, scratch: Array, part: Shown) -> mismatch.MismatchMap:
    """The mismatch map, its ratio |analytic - numeric| / tolerance computed in `scratch`'s memory."""
    ratio = np.divide(err, bound, out=scratch, where=bound > 0)
    zero = bound == 0  # atol=0 and numeric=0: an error there is infinitely many tolerances
    ratio[zero] = np.where(err[zero] > 0, np.inf, 0.0)
    return mismatch.build(over, ratio, part.out_ndim, *part.map_names)


def _shape_problem(got: tuple[int, ...], want: tuple[int, ...], out_ndim: int) -> str:
    return f"analytic has shape {got}; expected {want} = f(x).shape {want[:out_ndim]} + x.shape {want[out_ndim:]}"
