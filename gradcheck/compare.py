"""Verdicts: analytic against numeric derivatives, error figures, the report and its hints."""

from __future__ import annotations

import functools
import itertools
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]

#: Default (rtol, atol) by the lowest floating precision among x, f(x) and the analytic array.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-6, 1e-8),
    "float32": (1e-4, 1e-5),
    "float16": (1e-2, 1e-3),
}
#: How many of the worst entries a report lists.
WORST_SHOWN = 5


def default_tolerances(*dtypes: np.dtype) -> tuple[float, float]:
    """(rtol, atol) for the least precise floating dtype among `dtypes` (float64 if none)."""
    floats = [np.dtype(d) for d in dtypes if np.issubdtype(d, np.floating)]
    if not floats:
        return DEFAULT_TOLERANCES["float64"]
    least = max(floats, key=lambda d: float(np.finfo(d).eps))
    return DEFAULT_TOLERANCES.get(least.name, DEFAULT_TOLERANCES["float64"])


@dataclass(frozen=True)
class Entry:
    """One entry of the Jacobian, named as `W[2, 1]` or `dS[0]/dZ[1]`."""

    name: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    index: tuple[int, ...] = ()  # into the Jacobian, f(x).shape + x.shape


@dataclass(frozen=True)
class Comparison:
    """The verdict of one derivative check; `str()` is the human report."""

    passed: bool
    max_abs_error: float
    max_rel_error: float
    mismatched: int
    total: int
    rtol: float
    atol: float
    title: str = "gradcheck"
    method: str = ""
    problem: str = ""
    worst: tuple[Entry, ...] = ()
    hints: tuple[str, ...] = field(default=())
    unit: str = "entries"  # what `mismatched` and `total` count
    step: float | None = None  # the relative step of the central differences, where known
    mode: str = ""  # "full" or "directional", as check_jacobian decided
    scheme: str = "central"  # the finite-difference scheme of the numeric reference
    diagnosis: tuple[str, ...] = ()  # step sweeps of the worst entries

    def __str__(self) -> str:
        return format_report(self)

    def figures(self) -> dict[str, float | int | None]:
        """The verdict's numbers by name: errors, mismatch count, step and tolerances."""
        return {
            "max_abs_error": self.max_abs_error,
            "max_rel_error": self.max_rel_error,
            "mismatched": self.mismatched,
            "step": self.step,
            "rtol": self.rtol,
            "atol": self.atol,
        }


def entry_name(index: tuple[int, ...], out_ndim: int, of: str, wrt: str) -> str:
    """`W[2, 1]` for a gradient, `dS[0]/dW[2, 1]` for a Jacobian entry."""

    def named(name: str, idx: tuple[int, ...]) -> str:
        return f"{name}[{', '.join(str(i) for i in idx)}]" if idx else name

    out_idx, in_idx = index[:out_ndim], index[out_ndim:]
    if out_ndim == 0:
        return named(wrt, in_idx)
    return f"d{named(of, out_idx)}/d{named(wrt, in_idx)}"


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
) -> Comparison:
    """Compare entry by entry: |analytic - numeric| <= atol + rtol * |numeric| + allowance.

    `allowance` is the numeric estimate's own error bound, where it has one. NaN or inf
    in either array is a failure, never a pass.
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
            )
    # In place where it can be: a check's memory is a few copies of its Jacobian.
    err = np.subtract(a, numeric)
    np.abs(err, out=err)
    mag = np.abs(numeric)
    bound = mag * rtol
    bound += atol
    if allowance is not None:
        bound += allowance
    over = err > bound
    rel = np.zeros_like(err)
    np.divide(err, mag, out=rel, where=mag > atol)
    del mag
    failing = np.flatnonzero(over)
    with np.errstate(divide="ignore", invalid="ignore"):  # atol=0 and numeric=0 make bound 0
        excess = err.reshape(-1)[failing] / bound.reshape(-1)[failing]
    order = failing[np.argsort(excess)[::-1][:WORST_SHOWN]]
    worst = tuple(
        Entry(
            entry_name(idx, out_ndim, of, wrt),
            float(a[idx]),
            float(numeric[idx]),
            float(err[idx]),
            float(rel[idx]),
            idx,
        )
        for idx in (tuple(int(i) for i in np.unravel_index(o, err.shape)) for o in order)
    )
    return make(
        passed=not over.any(),
        max_abs_error=float(err.max(initial=0.0)),
        max_rel_error=float(rel.max(initial=0.0)),
        mismatched=int(over.sum()),
        worst=worst,
        hints=value_hints(a, numeric, over, rtol, atol, out_ndim, label_class) if over.any() else (),
    )


def _shape_problem(got: tuple[int, ...], want: tuple[int, ...], out_ndim: int) -> str:
    return f"analytic has shape {got}; expected {want} = f(x).shape {want[:out_ndim]} + x.shape {want[out_ndim:]}"


def _close(a: Array, b: Array, rtol: float, atol: float) -> bool:
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
) -> tuple[str, ...]:
    """Patterns that name a likely bug when analytic and numeric disagree."""
    hints: list[str] = []
    if _close(-a, n, rtol, atol):
        hints.append("analytic = -numeric: the sign is flipped")
    nn = float(np.vdot(n, n))
    if nn > 0 and not hints:
        k = float(np.vdot(a, n)) / nn
        if abs(k - 1) > rtol and k != 0 and _close(a, k * n, rtol, atol):
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


def format_report(c: Comparison) -> str:
    """The failure (or success) report, laid out like pytest.approx's."""
    verdict = "passed" if c.passed else "FAILED"
    lines = [f"{c.title}: {verdict}"]
    tol = f"rtol={c.rtol:g}, atol={c.atol:g}"
    if c.method:
        lines.append(f"  numeric: {c.method}")
    if c.problem:
        lines.append(f"  {c.problem}")
    else:
        lines.append(f"  {c.mismatched} of {c.total} {c.unit} differ beyond {tol}")
        lines.append(f"  max abs error {c.max_abs_error:.3g}, max rel error {c.max_rel_error:.3g}")
    if c.problem:
        lines.append(f"  tolerances: {tol}")
    if c.worst:
        width = max(len("entry"), *(len(e.name) for e in c.worst))
        lines.append("  worst entries:")
        lines.append(f"    {'entry':<{width}}  {'analytic':>14}  {'numeric':>14}  {'abs error':>10}  {'rel error':>10}")
        for e in c.worst:
            lines.append(
                f"    {e.name:<{width}}  {e.analytic:>14.8g}  {e.numeric:>14.8g}  "
                f"{e.abs_error:>10.3g}  {e.rel_error:>10.3g}"
            )
    lines.extend(f"  hint: {h}" for h in c.hints)
    lines.extend(f"  {d}" for d in c.diagnosis)
    return "\n".join(lines)
