"""Numerical derivatives: step choice, central-difference stencils, Richardson sweeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ..options import SCHEMES
from . import validate
from .chunks import CHUNK_BYTES
from .complexstep import complex_step
from .evaluation import Evaluator, PointError, working_dtype
from .types import Array, Function

#: The default relative step is eps ** STEP_POWER (about 6e-6 in float64), which balances
#: the truncation error of a central difference (~h^2) against rounding (~eps / h).
STEP_POWER = 1.0 / 3.0
CENTRAL4_POWER = 1.0 / 5.0
COMPLEX_STEP = 1e-20
#: Factor applied to a step whose stencil left the function's domain (a non-finite value).
SHRINK = 0.1
#: How often a step may shrink before the entry is reported as not finite.
MAX_SHRINKS = 16
#: The richardson scheme starts RICHARDSON_START times above the default step and halves it
#: RICHARDSON_LEVELS - 1 times, extrapolating away the h^2, h^4, ... error terms.
RICHARDSON_START = 8.0
RICHARDSON_LEVELS = 7
#: The richardson scheme's own error bound is widened by this factor in a verdict.
ERROR_SAFETY = 2.0

# A stencil evaluates f on both sides of x along k directions: given the rows (which of the
# k directions) and their steps h, it returns f(x + h d), f(x - h d) (rows, m) and the
# represented widths (x + h d) - (x - h d) (rows,).
Stencil = Callable[[NDArray[np.intp], Array], tuple[Array, Array, Array]]


def base_step(dtype: DTypeLike = np.float64, scheme: str = "central") -> float:
    """The default relative step of a scheme for values of `dtype`.

    central (and richardson, which starts above it): eps ** (1/3), balancing an h^2
    truncation error against eps / h rounding; central4: eps ** (1/5), for its h^4 error;
    complex: a step far below any rounding, as the complex step subtracts nothing.
    """
    eps = float(np.finfo(working_dtype(dtype)).eps)
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if scheme == "central4":
        return float(eps**CENTRAL4_POWER)
    if scheme == "complex":
        return COMPLEX_STEP
    return float(eps**STEP_POWER)


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
    errors: Array | None = None  # the estimate's own error bound, where the scheme gives one

    @property
    def shrunk(self) -> int:
        """How many entries needed a smaller step than asked for (they left the domain)."""
        return int(np.count_nonzero(self.steps < 0.5 * self.nominal))


class Probe(Evaluator):
    """`f` near a point x, with the derivatives it gives: central differences by entry or along
    a direction (the evaluations: evaluation.Evaluator)."""

    # -- derivatives --------------------------------------------------------------------

    def central(self, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
        """Central differences for the entries `idx`: columns (k, m), half-widths, noise."""
        return central(lambda rows, hs: self.pairs(idx[rows], hs), np.asarray(h, dtype=np.float64), self)

    def along(self, d: Array, t: float) -> tuple[Array, float]:
        """The derivative along d, (f(x + t d) - f(x - t d)) / 2t, shape (m,), and the step t
        used (smaller where f left its domain)."""
        value, half, _ = central(lambda rows, hs: self.pairs_along(d, hs), np.array([t]), self)
        row: Array = value[0]
        return row, float(half[0])


def central(stencil: Stencil, h: Array, probe: Probe, *, noise: bool = False) -> tuple[Array, Array, Array]:
    """Central differences through `stencil`, shrinking the steps that leave f's domain.

    Returns the derivatives (k, m), the half-widths actually used (k,), and, with
    noise=True, an estimate of each value's rounding error (k, m) (else an empty array).
    """
    h = h.copy()
    fp, fm, width = stencil(np.arange(h.size), h)
    for _ in range(MAX_SHRINKS):
        # rows whose stencil produced a non-finite value where f(x) itself is finite
        bad = (~(np.isfinite(fp) & np.isfinite(fm)) & probe.finite0).any(axis=1) & (width > 0)
        if not bad.any():
            break
        h[bad] *= SHRINK
        rows = np.flatnonzero(bad)
        fp[rows], fm[rows], width[rows] = stencil(rows, h[rows])
    with np.errstate(all="ignore"):
        # (f(x + h) - f(x - h)) / 2h, with 2h the step the floating-point x really took
        values = np.subtract(fp, fm)
        values /= width[:, None]
        rounding = np.empty((0, 0))
        if noise:
            rounding = np.abs(fp)
            rounding += np.abs(fm)
            rounding *= probe.eps
            rounding /= width[:, None]
    return values, width / 2, rounding


def richardson_tableau(
    stencil: Stencil, h: Array, probe: Probe, levels: int = RICHARDSON_LEVELS
) -> tuple[Array, Array]:
    """Central differences at h, h/2, h/4, ... extrapolated by Richardson's tableau.

    R[k][j] = R[k][j-1] + (R[k][j-1] - R[k-1][j-1]) / (4^j - 1) removes the h^2, h^4, ...
    error terms. Each entry keeps the extrapolate whose neighbours agree best; that
    disagreement (never less than the amplified rounding error) is its error estimate.
    """
    rows: list[list[Array]] = []
    noises: list[Array] = []
    for level in range(levels):
        d, half, noise = central(stencil, h / 2.0**level, probe, noise=True)
        if level == 0:
            h = half  # the first level may have shrunk; later levels halve what it settled on
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


def relative_step(probe: Probe, step: float | None, scheme: str = "central", wrt: str = "x") -> float:
    """The relative step: `step`, or the scheme's default for the precision f computes in. A step
    given must move every entry of x (named `wrt` in an error)."""
    if step is None:
        return base_step(probe.precision, scheme)
    rel = validate.number("step", step)
    validate.resolved_steps(probe.x, rel, complex_step=scheme == "complex", name=wrt)
    return rel


def estimate(probe: Probe, step: float | None = None, scheme: str = "central") -> Estimate:
    """The numerical Jacobian at the probe's point by `scheme`, with the steps used.

    The estimate's `errors` are Richardson's own error bounds (scheme richardson), else None.
    """
    rel = relative_step(probe, step, scheme)
    nominal = entry_steps(probe.x, rel)
    idx = np.arange(probe.flat.size)
    errors = None
    if scheme == "complex":
        cols, half = complex_step(probe, idx, nominal), nominal
    elif scheme == "richardson":
        cols, err = richardson_tableau(lambda rows, hs: probe.pairs(idx[rows], hs), nominal, probe)
        half, errors = nominal, err.T.reshape(probe.out_shape + probe.shape)
    else:
        cols, half, _ = probe.central(idx, nominal)
        if scheme == "central4":
            # The five-point stencil (-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h, written as
            # (4 D(h) - D(2h)) / 3 with D the central difference: h^2 cancels, h^4 remains.
            wide, _, _ = probe.central(idx, 2.0 * half)
            with np.errstate(all="ignore"):
                cols += (cols - wide) / 3.0
    probe.release()  # the verdict that follows needs memory more than the chunks
    jac = cols.T.reshape(probe.out_shape + probe.shape)
    return Estimate(jac, half.reshape(probe.shape), nominal.reshape(probe.shape), rel, probe.out_dtype, errors)


def numerical_estimate(
    f: Function, x: ArrayLike, *, step: float | None = None, vectorized: bool = False, chunk_bytes: int = CHUNK_BYTES
) -> Estimate:
    """Central-difference Jacobian of f at x, with the steps used. An exception f raises at a
    perturbed point is re-raised as FunctionError naming the point, f's own as its cause."""
    probe = Probe(f, x, vectorized=vectorized, chunk_bytes=chunk_bytes)
    try:
        return estimate(probe, step)
    except PointError as exc:
        raise exc.named(probe.shape, "f", "x") from exc.cause


def numerical_jacobian(
    f: Function, x: ArrayLike, *, step: float | None = None, vectorized: bool = False, chunk_bytes: int = CHUNK_BYTES
) -> Array:
    """Central-difference Jacobian of f at x, shape f(x).shape + x.shape.

    With vectorized=True, f takes a stack of points (B,) + x.shape and returns the stacked
    results; the points are evaluated in chunks of at most `chunk_bytes`.
    """
    return numerical_estimate(f, x, step=step, vectorized=vectorized, chunk_bytes=chunk_bytes).jacobian


def richardson(
    f: Function, x: ArrayLike, idx: NDArray[np.intp], steps: Array, *, levels: int = RICHARDSON_LEVELS
) -> tuple[Array, Array]:
    """A careful estimate of the Jacobian columns `idx` and of its own error, both (len(idx), m).

    See richardson_tableau; the first step is RICHARDSON_START times `steps[idx]`.
    """
    probe = Probe(f, x)
    h = np.asarray(steps, dtype=np.float64).reshape(-1)[idx] * RICHARDSON_START
    return richardson_tableau(lambda rows, hs: probe.pairs(idx[rows], hs), h, probe, levels)
