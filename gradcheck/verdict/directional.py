"""The verdict of the directional mode: projections compared, a failing one looked at again along
its direction, and a failure narrowed down to entries that get the full mode's second look."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..numerics import secondlook as sl
from ..numerics import stencils
from ..numerics.directional import LEAF, MAX_BLOCKS, Array, DirectionalCheck, Projection
from ..numerics.noise import HALF, SPACING_POWER
from .compare import WORST_SHOWN
from .comparison import Comparison, Entry
from .map import from_entries
from .naming import Naming
from .review import resolution, review, suspects, worst_first
from .tolerance import Tolerance


@dataclass(frozen=True)
class Directions:
    """How the directional mode projects: the relative step, the seed and number of projections."""

    step: float
    seed: int
    probes: int


def directional_comparison(
    probe: stencils.Probe,
    analytic: Array,
    naming: Naming,
    tol: Tolerance,
    directions: Directions,
    method: str,
    recheck: Callable[[], bool] | None = None,
) -> Comparison | None:
    """The verdict of the directional mode; a failure is narrowed down to named entries. None
    where a projection fails and `recheck` says to start again."""
    shrink = _overflow_scale(probe, analytic)
    if shrink is not None:  # f and its derivatives near overflow: judged in units 1 / shrink
        scaled = dataclasses.replace(tol, atol=tol.atol * float(shrink.min()))
        result = directional_comparison(
            _scaled_probe(probe, shrink), analytic * shrink[:, None], naming, scaled, directions, method, recheck
        )
        return None if result is None else _unscaled(result, shrink, probe.out_shape)
    rtol, atol, subgradient = tol.rtol, tol.atol, tol.subgradient
    step, seed, probes = directions.step, directions.seed, directions.probes
    m, n = analytic.shape
    check = DirectionalCheck(probe, analytic, rtol=rtol, atol=atol, step=step, seed=seed)
    probe.look = "directional check"
    projections, shifts = check.run(probes)
    method = f"{method}; directional: {probes} seeded random projections (seed {seed})"
    looks: dict[int, tuple[float, Array]] = {}  # projection: the step its second look chose, and its error
    limited = 0  # projections that pass only as their numeric value's error allows
    if recheck is not None and any(p.excess() > 1.0 for p in projections) and recheck():
        return None
    for i, p in enumerate(projections):
        if p.excess() > 1.0:
            probe.look = "second look along a direction"
            projections[i], looks[i] = _look_along(probe, check, check.direction(shifts[i]), p, subgradient)
            limited += projections[i].excess() <= 1.0 and bool(np.any(looks[i][1] > p.bound))
    if looks:
        method += f"; second look along {len(looks)} of them"
    err = np.concatenate([np.abs(p.analytic - p.numeric) for p in projections])
    mag = np.concatenate([np.abs(p.numeric) for p in projections])
    rel = np.divide(err, mag, out=np.zeros_like(err), where=mag > atol)
    failing = [i for i, p in enumerate(projections) if p.excess() > 1.0]
    common: dict[str, Any] = {"rtol": rtol, "atol": atol, "title": naming.heading}
    spread, summary = False, ""
    if failing:
        d = check.direction(shifts[failing[0]])
        t, allowance = looks.get(failing[0], (step, np.zeros(m)))
        probe.look = "directional bisection"
        cols, spread = check.locate(d, check.plain(d, t), t, allowance)
        summary = f"{len(failing)} of {probes} random projections disagree"
    elif limited and n <= RESOLVE_ALL:  # noise hides as much as a projection shows: each entry
        cols = list(range(n))
        method += f"; {limited} noise-limited, so every entry was looked at"
    else:
        if limited:
            method += f"; {limited} noise-limited (mode=full looks at each entry)"
        biggest = (float(err.max(initial=0.0)), float(rel.max(initial=0.0)))
        return Comparison(True, *biggest, 0, probes * m, **common, method=method, unit="projections")
    probe.look = "second look"
    found, seen, diagnosis, notes = _resolve(probe, analytic, np.asarray(cols, dtype=np.intp), tol, step, naming)
    searched = "bisection found"
    if failing and not found and n <= RESOLVE_ALL and len(cols) < n:  # none in the blocks followed: all
        searched = "bisection found none; looking at every entry found"
        rest = np.setdiff1d(np.arange(n), np.asarray(cols, dtype=np.intp))
        found, seen, diagnosis, notes = _resolve(probe, analytic, rest, tol, step, naming)
    method = f"{method}{notes}; {probe.counted.calls} {_calls(probe)} of f in all"
    if failing:
        summary += f"; {searched} {len(found)} wrong entries"
    if spread:
        summary += (
            f"; the mismatch is spread over more than {MAX_BLOCKS} blocks, so only the first were resolved: "
            "a bug that touches many entries (mode=full on a smaller case shows its pattern)"
        )
    if not found and n <= RESOLVE_ALL:  # every entry right: what the projections saw is no entry's
        biggest = (float(err.max(initial=0.0)), float(rel.max(initial=0.0)))
        return Comparison(True, *biggest, 0, m * n, **common, method=method)
    return Comparison(
        passed=False,
        max_abs_error=max([float(err.max())] + [e.abs_error for e in found]),
        max_rel_error=max([float(rel.max(initial=0.0))] + [e.rel_error for e in found]),
        mismatched=len(found) if found else len(failing),
        total=m * n if found else probes * m,
        **common,
        method=method,
        worst=tuple(found[:WORST_SHOWN]),
        hints=(*seen, summary) if summary else seen,
        unit="entries" if found else "projections",
        diagnosis=diagnosis or "bug",
        mismatch_map=from_entries(
            probe.out_shape + probe.shape,
            len(probe.out_shape),
            naming.of,
            naming.wrt,
            [e.index for e in found],
            _ratios(found, atol, rtol),
        )
        if found
        else None,
    )


def _calls(probe: stencils.Probe) -> str:
    """What a count of f's calls counts: `evaluations`, or `calls` of a vectorized f (each of a stack of points)."""
    return "calls (each of a stack of points)" if probe.vectorized else "evaluations"


def _ratios(found: list[Entry], atol: float, rtol: float) -> list[float]:
    """Each located entry's |analytic - numeric| / tolerance, for the map (at least 1: it failed)."""
    return [max(1.0, e.abs_error / (atol + rtol * abs(e.numeric))) for e in found]


def _look_along(
    probe: stencils.Probe, check: DirectionalCheck, d: Array, p: Projection, subgradient: bool
) -> tuple[Projection, tuple[float, Array]]:
    """The projection along d after the second look (numerics/secondlook.py) at f along d, with
    the step it chose and its measured error (for the bisection that may follow)."""
    check.plain(d)  # the step f's domain allows along d
    first = check.used_step
    with np.errstate(all="ignore"):
        over = ~(np.abs(p.analytic - p.numeric) <= p.bound)
        # the smallest step moves the largest entry of x by a few of its spacings
        spacing = float(np.max(np.spacing(np.abs(probe.base)), initial=0.0))
        reach = max(float(np.max(np.abs(d), initial=0.0)), np.finfo(np.float64).tiny)  # of the largest entry
        floor = 4.0 * spacing / reach
    task = sl.Task(
        target=p.analytic[None],
        tol=p.bound[None],
        matter=over[None],
        first=np.array([first]),
        delta=np.array([min(probe.eps**SPACING_POWER, first / HALF)]),
        floor=np.array([floor]),
        resolution=np.array([float(np.max(resolution(probe.base, probe.precision), initial=0.0)) / reach]),
        eps=probe.eps,
        rounding=_rounding(check.a, probe.base)[None],
    )
    look = sl.second_look(lambda rows, hs: probe.pairs_along(d, hs), probe.f0, task)
    status, value, error = look.status[0], look.value[0], look.error[0]
    smooth = over & ((status == sl.SMOOTH) | (status == sl.KINK_NEAR)) & np.isfinite(value)
    numeric = np.where(smooth, value, p.numeric)
    bound = p.bound + np.where(smooth, error, 0.0)
    kinked = over & (status == sl.KINK_AT)
    forced = bool(np.any(over & ((status == sl.UNRESOLVED) | (status == sl.NONFINITE))))
    if subgradient:  # any value between the one-sided derivatives along d
        lo, hi = np.minimum(look.left[0], look.right[0]), np.maximum(look.left[0], look.right[0])
        numeric = np.where(kinked, np.clip(p.analytic, lo, hi), numeric)
        bound = bound + np.where(kinked, look.side_error[0], 0.0)
    else:
        forced |= bool(kinked.any())
    steps = look.step[0][smooth]
    chosen = float(np.min(steps)) if steps.size else check.step
    return Projection(p.analytic, numeric, bound, forced), (chosen, np.where(smooth, error, 0.0))


def _resolve(
    probe: stencils.Probe,
    analytic: Array,
    cols: NDArray[np.intp],
    tol: Tolerance,
    step: float,
    naming: Naming,
) -> tuple[list[Entry], tuple[str, ...], str | None, str]:
    """The wrong entries among the columns `cols`, checked as the full mode does: central
    differences, and a second look at those that fail; with what the second look saw (hints),
    its diagnosis and its note for the method line."""
    if cols.size == 0:
        return [], (), None, ""
    rtol, atol = tol.rtol, tol.atol
    a = analytic[:, cols]
    values, first, _ = probe.central(cols, stencils.entry_steps(probe.base[cols], step))  # shrunk at f's domain
    numeric = values.T
    over = suspects(a, numeric, rtol, atol, None)
    if not over.any():
        return [], (), None, ""
    sub = worst_first(a, numeric, over, rtol, atol)
    r = review(probe, a[:, sub], numeric[:, sub], over[:, sub], cols[sub], first[sub], tol, naming)
    sub = sub[: r.looked]  # the worst; the others stand as the first pass found them
    numeric[:, sub] = r.jacobian
    allowance = np.zeros_like(numeric)
    allowance[:, sub] = r.allowance
    failed = np.zeros(numeric.shape, dtype=bool)
    failed[:, sub] = r.failed
    with np.errstate(all="ignore"):
        wrong = (np.abs(a - numeric) > atol + rtol * np.abs(numeric) + allowance) | failed
    rows, where = np.nonzero(wrong)
    out_ndim = len(probe.out_shape)
    found = []
    for row, w in zip(rows.tolist(), where.tolist(), strict=True):
        out_idx = np.unravel_index(row, probe.out_shape) if out_ndim else ()
        index = tuple(int(i) for i in (*out_idx, *np.unravel_index(int(cols[w]), probe.shape)))
        a_val, n_val = float(a[row, w]), float(numeric[row, w])
        e = abs(a_val - n_val)
        rel_e = e / abs(n_val) if abs(n_val) > atol else (np.inf if n_val == 0 and a_val != 0 else 0.0)
        forced = np.inf if failed[row, w] else 0.0
        entry = Entry(naming.qualified(index), a_val, n_val, e, rel_e, index)
        found.append((forced, e / (atol + rtol * abs(n_val) + allowance[row, w]), entry))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return [entry for _, _, entry in found], r.hints, r.diagnosis, r.method


#: Where noise limits the projections (they pass only as their measured error allows), every
#: entry of an x of at most this many is looked at, as the full mode would.
RESOLVE_ALL = LEAF * MAX_BLOCKS
#: Projections of rows of the Jacobian beyond this size could overflow (their squared norms
#: sooner): such rows (and f's outputs) are scaled down by a power of two first.
LARGE = 2.0**400


def _overflow_scale(probe: stencils.Probe, analytic: Array) -> Array | None:
    """Per output, a power of two that brings f and its row of the Jacobian (times the largest
    direction) well below overflow; None where no output needs one."""
    base, (m, n) = probe.base, analytic.shape
    with np.errstate(all="ignore"):  # in powers of two, where the sizes themselves cannot overflow
        # largest magnitudes as max(max, -min): passes over x and A, not copies of them
        largest_x = max(1.0, float(base.max(initial=0.0)), -float(base.min(initial=0.0)))
        rows = np.maximum(analytic.max(axis=1, initial=0.0), -analytic.min(axis=1, initial=0.0)) if n else np.zeros(m)
        reach = np.log2(largest_x * max(1, n))
        size = np.maximum(np.log2(rows) + reach, np.log2(np.abs(probe.f0)))
    over = size > np.log2(LARGE)
    if not np.any(over):
        return None
    return np.where(over, np.exp2(-np.ceil(size - np.log2(LARGE))), 1.0)


def _scaled_probe(probe: stencils.Probe, shrink: Array) -> stencils.Probe:
    factor = shrink.reshape(probe.out_shape)
    f = probe.f

    def scaled(v: Array) -> Array:
        out: Array = np.asarray(f(v), dtype=np.float64) * factor
        return out

    out = stencils.Probe(
        scaled,
        probe.base.reshape(probe.shape),
        vectorized=probe.vectorized,
        chunk_bytes=probe.chunk_bytes,
        workers=probe.workers,
        order=probe.order,
    )
    out.precision = probe.precision
    return out


def _unscaled(result: Comparison, shrink: Array, out_shape: tuple[int, ...]) -> Comparison:
    """A comparison made in units 1 / shrink, in f's own units again."""
    worst = []
    for e in result.worst:
        row = int(np.ravel_multi_index(e.index[: len(out_shape)], out_shape)) if out_shape and e.index else 0
        c = float(shrink[row])
        worst.append(dataclasses.replace(e, analytic=e.analytic / c, numeric=e.numeric / c, abs_error=e.abs_error / c))
    with np.errstate(over="ignore"):
        biggest = result.max_abs_error / float(shrink.min())
    return dataclasses.replace(result, worst=tuple(worst), max_abs_error=biggest)


def _rounding(a: Array, x: Array) -> Array:
    """The noise that rounding x + t d to floating point adds to each output along a direction:
    each x_j lands within half its spacing of the point asked for, which moves f by about
    A_ij spacing_j / sqrt(12) (m,), the errors adding in quadrature."""
    with np.errstate(all="ignore"):
        moved = np.abs(a) * np.spacing(np.abs(x))
        peak = np.max(moved, axis=1, initial=0.0)
        unit = np.where(peak > 0, peak, 1.0)
        out: Array = peak * np.sqrt(np.einsum("ij,ij->i", moved / unit[:, None], moved / unit[:, None]) / 12.0)
    return out
