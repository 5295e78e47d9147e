"""f's noise near x, measured (Moré and Wild, "Estimating computational noise", 2011): the
high-order differences of f at equally spaced points along an entry, or a direction, vanish for
the smooth part of f; what remains is the rounding of f's own computation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .types import Array

#: The table has 2 * HALF + 1 points x + k delta, k = -HALF..HALF (2 * HALF evaluations of f).
HALF = 4
#: Consecutive orders whose noise levels agree within this factor give the estimate.
AGREE = 4.0
#: The table's first spacing is eps ** SPACING_POWER * max(1, |x_i|) (about 1.4e-6 in float64).
SPACING_POWER = 3.0 / 8.0
#: A table whose values spread more than this fraction of their size varies too fast: delta is
#: too large for the differences to reach the noise.
RANGE = 0.1
#: A table with at least this many equal neighbours is flat: delta is below f's resolution.
FLAT_PAIRS = 3
#: A table whose two largest second differences hold more than this fraction of their squares
#: has a kink in it (noise spreads them: it does so by chance once in 10,000 tables).
SPIKE = 0.99
#: Differences of some order below EXACT times the table's size are float64's rounding.
EXACT = 4.0 * 2.0**-52
#: A table that is too rough is tried again with delta divided by RETRY, a flat one with delta
#: times RETRY; at most RETRIES times.
RETRY = 1024.0
RETRIES = 2

# The status of an estimate, per output.
OK, ROUGH, FLAT = 0, 1, 2

# A stencil evaluates f on both sides of x along k directions: given rows (which of the k) and
# steps h, it returns f(x + h d), f(x - h d) (rows, m) and the represented widths (rows,).
Stencil = Callable[[NDArray[np.intp], Array], tuple[Array, Array, Array]]


@dataclass(frozen=True)
class Noise:
    """The noise of f along each of k entries (or directions), per output: (k, m)."""

    sigma: Array  # the standard deviation of f's rounding near x
    status: NDArray[np.int8]  # OK, or ROUGH / FLAT where no estimate was found (sigma is then a bound)
    flat: Array  # (k,) the largest spacing at which f barely moved: steps below it see no change
    evaluations: int


def levels(table: Array) -> tuple[Array, NDArray[np.int8]]:
    """Noise estimates from tables of f at equally spaced points: `table` is (k, p, m), p points.

    For each difference order j = 1..p-1, sigma_j = sqrt(gamma_j mean((Delta^j f)^2)) with
    gamma_j = (j!)^2 / (2j)!. The estimate is the first sigma_j whose next two orders agree with
    it within AGREE and whose differences change sign (noise, not curvature). Returns sigma and
    the status per (k, m): ROUGH where none is found (sigma is then the smallest level, an upper
    bound), FLAT where f barely changes between the points (delta below f's resolution).
    """
    k, p, m = table.shape
    top = np.max(np.abs(table), axis=1)
    spread = np.ptp(table, axis=1)
    lv = np.empty((p - 1, k, m))
    sign_change = np.empty((p - 1, k, m), dtype=bool)
    with np.errstate(all="ignore"):
        diffs, gamma = table, 1.0
        flat = spiked = np.zeros((k, m), dtype=bool)
        for j in range(1, p):
            diffs = np.diff(diffs, axis=1)
            if j == 1:
                flat = np.count_nonzero(diffs == 0, axis=1) >= FLAT_PAIRS
            if j == 2:  # a kink: one or two second differences hold nearly all, where noise spreads
                squares = np.sort(diffs * diffs, axis=1)
                spiked = squares[:, -1] + squares[:, -2] > SPIKE * np.sum(squares, axis=1)
            gamma *= 0.5 * j / (2 * j - 1)  # (j!)^2 / (2j)!
            lv[j - 1] = np.sqrt(gamma * np.mean(diffs * diffs, axis=1))
            sign_change[j - 1] = (diffs.min(axis=1) < 0) & (diffs.max(axis=1) > 0)
        sigma = np.zeros((k, m))
        found = np.zeros((k, m), dtype=bool)
        for j in range(p - 3):
            window = lv[j : j + 3]
            take = (window.max(axis=0) <= AGREE * window.min(axis=0)) & sign_change[j] & ~found
            sigma[take] = lv[j][take]
            found |= take
        # Differences that vanish, or nearly, from some order on (two orders at least): f is a
        # low-degree polynomial here, in floating point; sigma is that level, rounding
        tail = np.maximum.accumulate(lv[::-1], axis=0)[::-1]  # the largest level from each order on
        exact = np.min(tail[1:-1], axis=0)
        quiet = ~found & (exact <= EXACT * top)
        sigma[quiet] = exact[quiet]
        found |= quiet
        # Values that spread over a good part of their size: f varies on the scale of delta, and
        # its differences can look like noise (Moré and Wild's test); or values that left f's domain
        wide = (spread > RANGE * top) | ~np.all(np.isfinite(table), axis=1)
        rough = ~found | wide | (spiked & (lv[1] > EXACT * top))
        bound = np.min(np.where(np.isfinite(lv), lv, np.inf), axis=0)
        sigma = np.where(rough, bound, sigma)
    status = np.where(rough, ROUGH, OK).astype(np.int8)
    # Flat: many equal neighbours, or f does not move at all (then no noise to speak of, unless
    # delta is below f's resolution: a wider table tells).
    status[flat | (spread == 0)] = FLAT
    sigma[spread == 0] = 0.0
    return sigma, status


def measure(
    stencil: Stencil, f0: Array, delta: Array, scale: Array, matter: NDArray[np.bool_], *, floor: Array | None = None
) -> Noise:
    """The noise of f along k entries or directions, from a table of 2 HALF + 1 points each.

    `delta` (k,) is the first spacing; `scale` (m,) divides f's values (so that differences of
    values near overflow stay finite); `matter` (k, m) says which outputs need an estimate. A
    table too rough for one of them is tried again RETRY times narrower; a flat one (f barely
    moves) narrower first, as f may be constant at x or have a kink near it, then wider, as f
    may move in stairs wider than delta. Spacings stay above `floor` (k,). The returned sigma
    is in f's own units.
    """
    k, m = matter.shape
    sigma = np.full((k, m), np.inf)
    status = np.full((k, m), ROUGH, dtype=np.int8)
    todo = np.arange(k)
    delta = np.asarray(delta, dtype=np.float64).copy()
    narrowed = np.zeros(k, dtype=bool)
    flat_at = np.zeros(k)
    evaluations = 0
    for attempt in range(RETRIES + 1):
        if todo.size == 0:
            break
        table = _table(stencil, todo, delta[todo], f0, scale)
        s, st = _estimate(table, scale)
        evaluations += 2 * HALF * todo.size
        better = (st == OK) | ((status[todo] != OK) & (s < sigma[todo]))
        sigma[todo] = np.where(better, s, sigma[todo])
        status[todo] = np.where(better, st, status[todo])
        if attempt == RETRIES:
            break
        # a table that does not move at all is final: f does not depend on this entry near x
        moving = np.ptp(table, axis=1) > 0
        rough = ((st == ROUGH) & matter[todo]).any(axis=1)
        flat = ((st == FLAT) & matter[todo] & moving).any(axis=1) & ~rough
        wider = flat & narrowed[todo]
        flat_at[todo[wider]] = np.maximum(flat_at[todo[wider]], delta[todo[wider]])
        delta[todo[rough | (flat & ~wider)]] /= RETRY
        delta[todo[wider]] *= RETRY * RETRY
        narrowed[todo[flat & ~wider]] = True
        if floor is not None:
            rough &= delta[todo] >= floor[todo]
        todo = todo[rough | flat]
    return Noise(sigma, status, flat_at, evaluations)


def _estimate(table: Array, scale: Array) -> tuple[Array, NDArray[np.int8]]:
    """Sigma (in f's units) and status from tables (k, p, m): the whole table's, or its halves'
    (x and the points on one side). A kink within the table spoils it, and the half it lies in
    (at x itself, the whole only): a half that gives an estimate far below the whole's, or one
    where the whole gives none, is taken (the smaller of two); f constant on one side counts as
    a half without noise."""
    s, st = levels(table)
    low = np.full(s.shape, np.inf)
    for half in (table[:, : HALF + 1], table[:, HALF:]):
        sh, sth = levels(half)
        clean = (sth == OK) | (np.ptp(half, axis=1) == 0)  # an estimate, or f constant on that side
        low = np.where(clean, np.minimum(low, sh), low)
    use = np.isfinite(low) & ((st != OK) | (low * AGREE * AGREE < s))
    return np.where(use, low, s) * scale, np.where(use, OK, st).astype(np.int8)


def _table(stencil: Stencil, cols: NDArray[np.intp], delta: Array, f0: Array, scale: Array) -> Array:
    """f / scale at x + k delta, k = -HALF..HALF, for the columns `cols`: (len(cols), 2 HALF + 1, m)."""
    n = cols.size
    rows = np.repeat(cols, HALF)
    steps = (delta[:, None] * np.arange(1, HALF + 1)).reshape(-1)
    fp, fm, _ = stencil(rows, steps)
    m = f0.size
    table = np.empty((n, 2 * HALF + 1, m))
    with np.errstate(all="ignore"):
        table[:, HALF + 1 :] = fp.reshape(n, HALF, m) / scale
        table[:, :HALF] = fm.reshape(n, HALF, m)[:, ::-1] / scale
        table[:, HALF] = f0 / scale
    return table
