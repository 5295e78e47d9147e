"""Numerical derivatives: step choice, central-difference stencils, Richardson sweeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

Array = NDArray[np.float64]
Function = Callable[[NDArray[np.floating]], ArrayLike]

#: The default relative step is eps ** STEP_POWER (about 6e-6 in float64), which balances
#: the truncation error of a central difference (~h^2) against rounding (~eps / h).
STEP_POWER = 1.0 / 3.0
#: Factor applied to a step whose stencil left the function's domain (a non-finite value).
SHRINK = 0.1
#: How often a step may shrink before the entry is reported as not finite.
MAX_SHRINKS = 16
#: The careful estimate starts RICHARDSON_START times above the default step and halves it
#: RICHARDSON_LEVELS - 1 times, extrapolating away the h^2, h^4, ... error terms.
RICHARDSON_START = 8.0
RICHARDSON_LEVELS = 7


def working_dtype(dtype: DTypeLike) -> np.dtype:
    """Precision in which derivatives are estimated: float64, or the output's lower precision."""
    if np.issubdtype(dtype, np.floating) and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        return np.dtype(dtype)
    return np.dtype(np.float64)


def base_step(dtype: DTypeLike = np.float64) -> float:
    """The default relative step for values of `dtype`: eps ** (1/3)."""
    return float(np.finfo(working_dtype(dtype)).eps ** STEP_POWER)


def entry_steps(x: NDArray[np.floating], step: float) -> Array:
    """Per-entry steps: step * max(1, |x_i|)."""
    return step * np.maximum(1.0, np.abs(x.astype(np.float64).reshape(-1)))


@dataclass(frozen=True)
class Estimate:
    """A numerical Jacobian with the steps that produced it."""

    jacobian: Array  # f(x).shape + x.shape
    steps: Array  # x.shape: half the represented step (x + h) - (x - h), per entry
    nominal: Array  # x.shape: the step asked for, step * max(1, |x_i|)
    base_step: float  # the relative step before any shrinking
    out_dtype: np.dtype

    @property
    def shrunk(self) -> int:
        """How many entries needed a smaller step than asked for (they left the domain)."""
        return int(np.count_nonzero(self.steps < 0.5 * self.nominal))


class Probe:
    """`f` at a point, evaluated on a private float64 copy of x that is perturbed in place."""

    def __init__(self, f: Function, x: ArrayLike) -> None:
        x_arr = np.asarray(x)
        self.f = f
        self.shape: tuple[int, ...] = x_arr.shape
        # C order, so that reshape(-1) is a view (for a Fortran-ordered x it would be a copy)
        self.x = np.array(x_arr, dtype=np.float64, copy=True, order="C")
        self.flat = self.x.reshape(-1)  # a view: writing flat[i] perturbs x
        with np.errstate(all="ignore"):
            out = np.asarray(f(self.x))
        self.out_shape: tuple[int, ...] = out.shape
        self.out_dtype = out.dtype if np.issubdtype(out.dtype, np.floating) else np.dtype(np.float64)
        self.f0 = out.astype(np.float64).reshape(-1)
        self.finite0 = np.isfinite(self.f0)
        self.eps = float(np.finfo(working_dtype(self.out_dtype)).eps)

    def pairs(self, idx: list[int], h: list[float]) -> tuple[Array, Array, Array]:
        """f(x + h_r e_i), f(x - h_r e_i) for each (i, h_r), and the represented 2h."""
        k, m = len(idx), self.f0.size
        fp, fm, width = np.empty((k, m)), np.empty((k, m)), np.empty(k)
        flat, f, x = self.flat, self.f, self.x
        with np.errstate(all="ignore"):
            for r, (i, hi) in enumerate(zip(idx, h, strict=True)):
                xi = flat[i]
                up, down = xi + hi, xi - hi
                flat[i] = up
                fp[r] = np.asarray(f(x), dtype=np.float64).reshape(-1)
                flat[i] = down
                fm[r] = np.asarray(f(x), dtype=np.float64).reshape(-1)
                flat[i] = xi
                width[r] = up - down
        return fp, fm, width

    def central(self, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
        """Central differences for the entries `idx`, shrinking steps that leave the domain.

        Returns the columns (k, m), the half-widths actually used (k,), and an estimate
        of each value's rounding error (k, m).
        """
        h = np.array(h, dtype=np.float64)
        fp, fm, width = self.pairs(idx.tolist(), h.tolist())
        for _ in range(MAX_SHRINKS):
            bad = self._unfinished(fp, fm, width)
            if not bad.any():
                break
            h[bad] *= SHRINK
            fp[bad], fm[bad], width[bad] = self.pairs(idx[bad].tolist(), h[bad].tolist())
        with np.errstate(all="ignore"):
            # (f(x + h) - f(x - h)) / 2h, with 2h the step the floating-point x really took
            cols = (fp - fm) / width[:, None]
            noise = self.eps * (np.abs(fp) + np.abs(fm)) / width[:, None]
        return cols, width / 2, noise

    def _unfinished(self, fp: Array, fm: Array, width: Array) -> NDArray[np.bool_]:
        """Rows whose stencil produced a non-finite value where f(x) itself is finite."""
        left = ~(np.isfinite(fp) & np.isfinite(fm)) & self.finite0
        return left.any(axis=1) & (width > 0)


def numerical_estimate(f: Function, x: ArrayLike, *, step: float | None = None) -> Estimate:
    """Central-difference Jacobian of f at x, with the steps used."""
    probe = Probe(f, x)
    rel = base_step(probe.out_dtype) if step is None else float(step)
    if not (rel > 0 and np.isfinite(rel)):
        raise ValueError(f"step must be positive and finite, got {step!r}")
    nominal = entry_steps(probe.x, rel)
    idx = np.arange(probe.x.size)
    cols, half, _ = probe.central(idx, nominal)
    jac = cols.T.reshape(probe.out_shape + probe.shape)
    return Estimate(jac, half.reshape(probe.shape), nominal.reshape(probe.shape), rel, probe.out_dtype)


def numerical_jacobian(f: Function, x: ArrayLike, *, step: float | None = None) -> Array:
    """Central-difference Jacobian of f at x, shape f(x).shape + x.shape."""
    return numerical_estimate(f, x, step=step).jacobian


def richardson(
    f: Function, x: ArrayLike, idx: NDArray[np.intp], steps: Array, *, levels: int = RICHARDSON_LEVELS
) -> tuple[Array, Array]:
    """A careful estimate of the Jacobian columns `idx` and of its own error.

    Central differences at steps h, h/2, h/4, ... (h starting RICHARDSON_START times above
    `steps[idx]`, shrunk where it leaves the domain) are extrapolated by Richardson's
    tableau R[k][j] = R[k][j-1] + (R[k][j-1] - R[k-1][j-1]) / (4^j - 1). Each entry keeps
    the extrapolate whose neighbours agree best; that disagreement is its error estimate.
    Returns values and errors, both (len(idx), m).
    """
    probe = Probe(f, x)
    h = np.asarray(steps, dtype=np.float64).reshape(-1)[idx] * RICHARDSON_START
    rows: list[list[Array]] = []
    noises: list[Array] = []
    for level in range(levels):
        d, half, noise = probe.central(idx, h / 2.0**level if level else h)
        if level == 0:
            h = half  # later levels halve the step the first one settled on
        rows.append([d])
        noises.append(noise)
        for j in range(1, level + 1):
            prev, above = rows[level][j - 1], rows[level - 1][j - 1]
            rows[level].append(prev + (prev - above) / (4.0**j - 1.0))
    best = np.full_like(rows[0][0], np.nan)
    best_err = np.full_like(rows[0][0], np.inf)
    with np.errstate(all="ignore"):
        for k in range(1, levels):
            for j in range(1, k + 1):
                value = rows[k][j]
                err = np.abs(value - rows[k][j - 1])
                if j < k:
                    err = np.maximum(err, np.abs(value - rows[k - 1][j]))
                err = np.maximum(err, 4.0 * noises[k])  # extrapolation amplifies rounding
                take = err < best_err
                best = np.where(take, value, best)
                best_err = np.where(take, err, best_err)
    return best, best_err
