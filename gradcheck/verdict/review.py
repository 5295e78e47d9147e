"""The second look's verdict: the entries that failed the first comparison, estimated again with
steps of their own (numerics/secondlook.py); what it saw, for the report: kinks, noise, bugs."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..numerics import secondlook as sl
from ..numerics import stencils
from ..numerics.evaluation import Evaluator
from ..numerics.noise import HALF, SPACING_POWER, Stencil
from . import compare as cmp
from .comparison import Comparison, entry_name
from .hints import At
from .naming import Naming
from .tolerance import Tolerance

Array = NDArray[np.float64]

#: The smallest step of a second look is FLOOR spacings of x_i (its steps, powers of two, are exact).
FLOOR = 4.0
#: How many entries a note names before it only counts them.
NAMED = 3
#: The second look examines the failing columns of the Jacobian worst first, LOOK_FIRST at first
#: and twice as many each round after, and stops once entries of CONFIRMED columns are confirmed
#: wrong: a failure costs at most about twice a pass, not a look at each of its entries.
LOOK_FIRST = 16
CONFIRMED = 16


@dataclass(frozen=True)
class Review:
    """The columns of the numeric Jacobian the second look estimated again, with the allowance for
    their measured error: (n_out, c) each."""

    jacobian: Array  # the estimates (the first pass's where an output did not fail)
    allowance: Array  # the measured error bound of each estimate (0 where the first pass stood)
    failed: NDArray[np.bool_]  # entries that fail whatever their numbers: a kink at x, or no estimate
    method: str  # for the report's numeric: line
    hints: tuple[str, ...]  # what the second look saw, where it decides a failure
    diagnosis: str | None  # bug, kink or noise: the cause of a failure it confirmed
    wrong: NDArray[np.bool_]  # entries it confirmed wrong
    looked: int = 0  # how many of the columns it was given it looked at (the worst first)


def judged(
    probe: Evaluator,
    a: Array,
    est: stencils.Estimate,
    first: Array,
    naming: Naming,
    tol: Tolerance,
    recheck: Callable[[], bool] | None,
    method: str,
) -> tuple[Comparison, NDArray[np.bool_] | None] | None:
    """The verdict of a full check: the first comparison, and where it fails, the second look
    (starting from the steps `first`, x.shape); also the entries whose failure the second look
    explained as other than a bug (or None). None where the first comparison fails and
    `recheck` says to start again."""
    allowance = None if est.errors is None else stencils.ERROR_SAFETY * est.errors
    at = At(probe.base.reshape(probe.shape), probe.f0.reshape(probe.out_shape))
    result = cmp.compare(a, est.jacobian, naming, tol, method=method, allowance=allowance, at=at)
    if (result.passed and allowance is None) or a.shape != est.jacobian.shape or not np.all(np.isfinite(a)):
        return result, None
    rtol, atol = tol.rtol, tol.atol
    n_in = probe.flat.size
    a2 = np.asarray(a, dtype=np.float64).reshape(-1, n_in)
    num2 = est.jacobian.reshape(-1, n_in)
    # A scheme's own error bound (Richardson's) assumes f's noise: entries it alone lets pass
    # are looked at again, with the noise measured
    over = suspects(a2, num2, rtol, atol, None)
    if not over.any():
        return result, None
    if recheck is not None and recheck():
        return None
    probe.look = "second look"
    cols = worst_first(a2, num2, over, rtol, atol)
    starts = first.reshape(-1)[cols]
    r = review(probe, a2[:, cols], num2[:, cols], over[:, cols], cols, starts, tol, naming)
    jac, allow, failed = num2.copy(), np.zeros_like(num2), np.zeros(num2.shape, dtype=bool)
    seen = cols[: r.looked]
    jac[:, seen], allow[:, seen], failed[:, seen] = r.jacobian, r.allowance, r.failed
    if allowance is not None:  # the first pass's bound where the second look did not look
        looked = np.zeros(n_in, dtype=bool)
        looked[seen] = True
        allow = np.where(over & looked, allow, allowance.reshape(-1, n_in))
    shape = est.jacobian.shape
    result = cmp.compare(
        a,
        jac.reshape(shape),
        naming,
        tol,
        method=method + r.method,
        allowance=allow.reshape(shape),
        failed=failed.reshape(shape),
        at=at,
    )
    if naming.cotangents or naming.elementwise:  # the user's entries, of x's shape (dW), not the Jacobian's
        counts = (int(over.any(axis=0).sum()), r.looked, int(r.wrong.any(axis=0).sum()))
    else:
        counts = (int(over.sum()), int(over[:, seen].sum()), int(r.wrong.sum()))
    result = dataclasses.replace(result, second_look=counts)
    if not result.passed:
        cause = r.diagnosis or ("non-finite" if result.problem else "bug")
        result = dataclasses.replace(result, diagnosis=cause, hints=r.hints + result.hints)
    return result, failed.reshape(shape)


def worst_first(a: Array, numeric: Array, over: NDArray[np.bool_], rtol: float, atol: float) -> NDArray[np.intp]:
    """The columns (entries of x) where `over` (n_out, n_in) fails, the worst first: by the
    largest first-pass error of their outputs in tolerances (a non-finite one first)."""
    cols = np.flatnonzero(over.any(axis=0))
    with np.errstate(all="ignore"):
        excess = np.abs(a[:, cols] - numeric[:, cols]) / (atol + rtol * np.abs(numeric[:, cols]))
    excess = np.where(over[:, cols], np.nan_to_num(excess, nan=np.inf), 0.0).max(axis=0, initial=0.0)
    return cols[np.argsort(-excess, kind="stable")]


def resolution(x: Array, precision: np.dtype) -> Array:
    """Steps below which f may not move as x does: the spacing at x of the precision f computes
    in (where f rounds x to float32, steps below float32's spacing go unseen)."""
    out: Array = np.spacing(np.abs(x).astype(precision)).astype(np.float64)
    return out


def suspects(a: Array, numeric: Array, rtol: float, atol: float, allowance: Array | None) -> NDArray[np.bool_]:
    """The entries (n_out, n_in) that fail the first comparison, or whose numeric value is not finite."""
    with np.errstate(all="ignore"):
        bound = atol + rtol * np.abs(numeric)
        if allowance is not None:
            bound = bound + allowance
        ok = np.abs(a - numeric) <= bound
    return ~ok & np.isfinite(a)


def review(
    probe: Evaluator,
    a: Array,
    numeric: Array,
    over: NDArray[np.bool_],
    cols: NDArray[np.intp],
    first: Array,
    tol: Tolerance,
    naming: Naming,
) -> Review:
    """Look again at the entries `cols` of x (flat, the worst first), whose outputs `over`
    (n_out, c) failed: a and numeric are their columns of the Jacobian (n_out, c), `first` the
    first pass's steps. The look goes in rounds (LOOK_FIRST columns, then twice as many each time)
    and stops once CONFIRMED columns hold an entry confirmed wrong; the Review covers the columns
    it looked at, `looked` of them, the first."""
    x = probe.base[cols].astype(np.float64)
    with np.errstate(all="ignore"):
        bound = tol.atol + tol.rtol * np.abs(a.T)
    task = sl.Task(
        target=a.T,
        tol=bound,
        matter=over.T,
        first=first,
        delta=np.minimum(probe.eps**SPACING_POWER * np.maximum(1.0, np.abs(x)), first / HALF),
        floor=FLOOR * np.spacing(np.abs(x)),
        resolution=resolution(x, probe.precision),
        eps=probe.eps,
    )
    rule = _Rule(tol, _Names(probe, cols, naming))
    looks: list[sl.Look] = []
    looked, confirmed, size = 0, 0, LOOK_FIRST
    while looked < cols.size and confirmed < CONFIRMED:
        part = slice(looked, min(looked + size, cols.size))
        looks.append(sl.second_look(_columns(probe, cols[part]), probe.f0, _task_part(task, part)))
        confirmed += int(rule.verdict(looks[-1], a[:, part], numeric[:, part], over[:, part]).wrong.any(axis=0).sum())
        looked, size = part.stop, 2 * size
    seen = slice(0, looked)
    r = rule.verdict(_joined(looks), a[:, seen], numeric[:, seen], over[:, seen], bound.T[:, seen], cols.size)
    return dataclasses.replace(r, looked=looked)


def _columns(probe: Evaluator, cols: NDArray[np.intp]) -> Stencil:
    """The evaluations a second look asks for, at the entries `cols` of x."""
    return lambda rows, hs: probe.pairs(cols[rows], hs)


def _task_part(task: sl.Task, part: slice) -> sl.Task:
    """The task of the columns `part` of `task`."""
    return dataclasses.replace(
        task,
        target=task.target[part],
        tol=task.tol[part],
        matter=task.matter[part],
        first=task.first[part],
        delta=task.delta[part],
        floor=task.floor[part],
        resolution=task.resolution[part],
    )


def _joined(looks: list[sl.Look]) -> sl.Look:
    """The looks at consecutive groups of columns as one look at all of them."""
    arrays = {
        f.name: np.concatenate([getattr(look, f.name) for look in looks]) for f in dataclasses.fields(sl.Look)[:-1]
    }
    return sl.Look(**arrays, evaluations=sum(look.evaluations for look in looks))


@dataclass(frozen=True)
class _Rule:
    """How a second look's estimates decide: the tolerances (subgradients allowed or not), and
    the names of the columns it looked at (the worst first)."""

    tolerance: Tolerance
    names: _Names

    def verdict(
        self,
        look: sl.Look,
        a: Array,
        numeric: Array,
        over: NDArray[np.bool_],
        tol: Array | None = None,
        failing: int = 0,
    ) -> Review:
        """The Review of the first columns of a look (a, numeric, over: (n_out, c)); its method
        line and hints where `tol` (n_out, c) is given, with the `failing` columns it was given."""
        rtol, atol, subgradient, names = (
            self.tolerance.rtol,
            self.tolerance.atol,
            self.tolerance.subgradient,
            self.names,
        )
        jac, allow = numeric.copy(), np.zeros_like(numeric)
        status, value, error = look.status.T, look.value.T, look.error.T
        estimated = over & np.isin(status, (sl.SMOOTH, sl.KINK_NEAR, sl.UNRESOLVED)) & np.isfinite(value)
        jac = np.where(estimated, value, jac)
        allow = np.where(estimated & (status != sl.UNRESOLVED), error, 0.0)
        kinked = over & (status == sl.KINK_AT)
        left, right, side = look.left.T, look.right.T, look.side_error.T
        lo, hi = np.minimum(left, right), np.maximum(left, right)
        if subgradient:  # any value between the one-sided derivatives is a subgradient
            jac = np.where(kinked, np.clip(a, lo, hi), jac)
            allow = np.where(kinked, side, allow)
        else:
            jac = np.where(kinked, (left + right) / 2.0, jac)
        unresolved = over & (status == sl.UNRESOLVED)
        failed = (kinked & (not subgradient)) | unresolved
        with np.errstate(all="ignore"):
            wrong = estimated & ~unresolved & (np.abs(a - jac) > atol + rtol * np.abs(jac) + allow)
            wrong |= kinked & (np.abs(a - jac) > atol + rtol * np.abs(jac) + allow) & subgradient
        diagnosis = (
            "bug" if wrong.any() else "kink" if (kinked & failed).any() else "noise" if unresolved.any() else None
        )
        if tol is None:
            return Review(jac, allow, failed, "", (), diagnosis, wrong)
        hints = _kink_lines(names, kinked & (not subgradient), left, right, a)
        hints += _unresolved_lines(names, unresolved, value, a, look.lowest)
        method = _method(names, look, over, status, error, tol, a.shape[1], failing)
        if a.shape[1] < failing:
            method += (
                f"; {int(wrong.sum())} entries confirmed wrong, the other failing entries as the first pass found them"
            )
        return Review(jac, allow, failed, method, hints, diagnosis, wrong)


class _Names:
    """Names of the reviewed entries: `W[3, 1]`, or `dS[0]/dW[3, 1]` for a Jacobian (as `naming` says)."""

    def __init__(self, probe: Evaluator, cols: NDArray[np.intp], naming: Naming) -> None:
        self.out_shape, self.shape, self.cols, self.naming = probe.out_shape, probe.shape, cols, naming

    def __call__(self, row: int, k: int) -> str:
        out_idx = np.unravel_index(row, self.out_shape) if self.out_shape else ()
        in_idx = np.unravel_index(int(self.cols[k]), self.shape) if self.shape else ()
        return self.naming.qualified(tuple(int(i) for i in (*out_idx, *in_idx)))

    def column(self, k: int) -> str:
        in_idx = np.unravel_index(int(self.cols[k]), self.shape) if self.shape else ()
        return entry_name(tuple(int(i) for i in in_idx), 0, self.naming.of, self.naming.wrt)


def _kink_lines(names: _Names, where: NDArray[np.bool_], left: Array, right: Array, a: Array) -> tuple[str, ...]:
    rows, ks = np.nonzero(where)
    lines = [
        f"not differentiable at {names(r, k)}: one-sided derivatives {left[r, k]:.6g} (left) and "
        f"{right[r, k]:.6g} (right), analytic {a[r, k]:.6g} (with subgradient, any value between them passes)"
        for r, k in zip(rows[:NAMED].tolist(), ks[:NAMED].tolist(), strict=True)
    ]
    if rows.size > NAMED:
        lines.append(f"not differentiable at {rows.size - NAMED} more entries")
    return tuple(lines)


def _unresolved_lines(
    names: _Names, where: NDArray[np.bool_], value: Array, a: Array, lowest: Array
) -> tuple[str, ...]:
    rows, ks = np.nonzero(where)
    lines = []
    for r, k in zip(rows[:NAMED].tolist(), ks[:NAMED].tolist(), strict=True):
        last = f"last {value[r, k]:.6g}, " if np.isfinite(value[r, k]) else ""
        lines.append(
            f"{names(r, k)}: the estimates do not settle at any step down to {lowest[k]:.2g} ({last}analytic "
            f"{a[r, k]:.6g}): f is too noisy or not smooth there to check this entry"
        )
    return tuple(lines)


def _method(
    names: _Names,
    look: sl.Look,
    seen: NDArray[np.bool_],
    status: NDArray[np.int8],
    error: Array,
    tol: Array,
    looked: int,
    failing: int,
) -> str:
    """The second look, for the report's numeric: line: how many entries (`looked` of the
    `failing` columns), the steps, and the entries where it saw a kink nearby or where the noise
    limits the estimate."""
    steps = look.step.T[seen & (look.step.T > 0)]
    which = f"the {looked} worst of {failing}" if looked < failing else f"{looked}"
    text = f"; second look at {which} entries (noise measured"
    if steps.size:
        text += (
            f", steps {steps.min():.2g} to {steps.max():.2g}"
            if steps.min() != steps.max()
            else f", step {steps.min():.2g}"
        )
    text += ")"
    near = np.flatnonzero((seen & (status == sl.KINK_NEAR)).any(axis=0))
    if near.size:
        shown = ", ".join(names.column(int(k)) for k in near[:NAMED]) + (
            f" and {near.size - NAMED} more" if near.size > NAMED else ""
        )
        text += f"; kink nearby at {shown} (the first step straddles it, a smaller step does not)"
    with np.errstate(all="ignore"):
        limited = seen & ((status == sl.SMOOTH) | (status == sl.KINK_NEAR)) & (error > tol)
    rows, ks = np.nonzero(limited)
    if rows.size:
        r, k = int(rows[0]), int(ks[0])
        text += (
            f"; noise-limited at {rows.size} entries, e.g. {names(r, k)}: estimate {look.value[k, r]:.8g} "
            f"+- {error[r, k]:.2g} (measured noise of f {look.sigma[k, r]:.2g})"
        )
    return text
