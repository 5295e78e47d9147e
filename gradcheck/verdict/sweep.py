"""Error against step: |analytic - central difference| over a log range of steps, for a check's worst entries."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..numerics import stencils
from ..numerics.evaluation import PointError
from ..numerics.types import Function
from .naming import Naming
from .verify import Analytic

#: Relative steps swept by default: SWEEP_POINTS from 10**SWEEP_FROM to 10**SWEEP_TO.
SWEEP_FROM = -12.0
SWEEP_TO = -1.0
SWEEP_POINTS = 45
#: How many of the worst entries a sweep follows.
SWEEP_ENTRIES = 3


@dataclass(frozen=True)
class Curve:
    """One Jacobian entry followed across the steps."""

    name: str  # as the report names it: `W[2, 1]`, `dS[0]/dW[2, 1]`, `dW[2, 1] for cotangent 1 of 3 ...`
    analytic: float
    errors: NDArray[np.float64]  # |analytic - central difference| at each step


@dataclass(frozen=True)
class Sweep:
    """Curves of error against relative step; entry i moves by step * max(1, |x_i|)."""

    title: str
    steps: NDArray[np.float64]
    default_step: float  # eps ** (1/3) of f's output precision
    case_step: float | None  # the step a case sets, if any
    curves: tuple[Curve, ...]


def default_steps() -> NDArray[np.float64]:
    """The relative steps a sweep uses unless told otherwise."""
    return np.logspace(SWEEP_FROM, SWEEP_TO, SWEEP_POINTS)


def sweep(
    f: Function,
    x: ArrayLike,
    analytic: Analytic,
    *,
    steps: ArrayLike | None = None,
    entries: int = SWEEP_ENTRIES,
    vectorized: bool = False,
    naming: Naming | None = None,
    title: str = "",
    case_step: float | None = None,
    indices: Sequence[tuple[int, ...]] | None = None,
) -> Sweep:
    """Follow the `entries` worst entries (by error at the default step) across `steps`; or the
    Jacobian entries at `indices` (f(x).shape + x.shape), as a failed check named them. `naming`
    names the curves as the check's report does (default: f and x, the Jacobian's entries)."""
    x64 = np.array(x, dtype=np.float64, copy=True, order="C")
    a = np.asarray(analytic(x64.copy()) if callable(analytic) else analytic, dtype=np.float64)
    f0 = np.asarray(f(x64.copy()))
    out_dtype = f0.dtype if np.issubdtype(f0.dtype, np.floating) else np.dtype(np.float64)
    default = stencils.base_step(out_dtype)
    rel = default_steps() if steps is None else np.asarray(steps, dtype=np.float64).reshape(-1)
    a2 = a.reshape(f0.size, x64.size)
    if indices is not None:
        order = [int(np.ravel_multi_index(index, f0.shape + x64.shape)) for index in indices][:entries]
    else:
        try:
            first = stencils.estimate(stencils.Probe(f, x64, vectorized=vectorized)).jacobian.reshape(a2.shape)
        except PointError as exc:  # what f raised, as the loop below would see it
            raise exc.__cause__ or exc from None
        with np.errstate(all="ignore"):
            err = np.abs(a2 - first)
        err[~np.isfinite(err)] = np.inf
        # entries where f does not move and the derivative is 0 show no curve on a log axis
        live = (err > 0) | (a2 != 0)
        order = [int(k) for k in np.argsort(np.where(live, err, -1.0), axis=None)[::-1] if live.flat[k]][:entries]
    names = (naming or Naming()).shaped(f0.shape, x64.shape)
    curves = []
    probe = stencils.Probe(f, x64)  # one point at a time, perturbed in place, as the check's black-box loop
    for k in order:
        out, col = divmod(k, x64.size)
        h = rel * max(1.0, abs(float(probe.base[col])))
        try:
            fp, fm, width = probe.pairs(np.full(rel.size, col, dtype=np.intp), h)
        except PointError as exc:  # what f raised, as the caller reads it
            raise exc.__cause__ or exc from None
        with np.errstate(all="ignore"):
            # (f(x + h) - f(x - h)) / 2h, with 2h the step the floating-point x really took
            errors = np.abs(a2.flat[k] - (fp[:, out] - fm[:, out]) / width)
        index = tuple(int(i) for i in np.unravel_index(k, f0.shape + x64.shape))
        curves.append(Curve(names.qualified(index), float(a2.flat[k]), errors))
    return Sweep(title or f"d{names.of}/d{names.wrt}", rel, default, case_step, tuple(curves))
