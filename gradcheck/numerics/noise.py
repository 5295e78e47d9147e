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
#: The spacing of the table, relative to max(1, |x_i|): sqrt(eps) of f's precision, times this.
SPACING = 1.0
#: A table whose values spread more than this fraction of their size varies too fast: delta is
#: too large for the differences to reach the noise.
RANGE = 0.1
#: A table with at least this many equal neighbours is flat: delta is below f's resolution.
FLAT_PAIRS = 3
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
        flat = np.zeros((k, m), dtype=bool)
        for j in range(1, p):
            diffs = np.diff(diffs, axis=1)
            if j == 1:
                flat = np.count_nonzero(diffs == 0, axis=1) >= FLAT_PAIRS
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
        # Differences that vanish exactly: f is a low-degree polynomial in floating point here (sigma 0).
        found |= np.any(lv[1:] == 0, axis=0)
        # Values that spread over a good part of their size, with a "noise" near that spread: the
        # differences are of a function that varies on the scale of delta, not noise.
        aliased = (spread > RANGE * top) & (sigma * 100 > spread)
        rough = ~found | aliased | ~np.all(np.isfinite(table), axis=1)  # left f's domain: smaller
        bound = np.min(np.where(np.isfinite(lv), lv, np.inf), axis=0)
        sigma = np.where(rough, bound, sigma)
    status = np.where(rough, ROUGH, OK).astype(np.int8)
    # Flat: many equal neighbours, or f does not move at all (then no noise to speak of, unless
    # delta is below f's resolution: a wider table tells).
    status[flat | (spread == 0)] = FLAT
    sigma[spread == 0] = 0.0
    return sigma, status


def _halves(table: Array) -> tuple[Array, NDArray[np.bool_]]:
    """The noise from each half of the tables (x and the points on one side): a kink at x itself
    spoils the whole table but neither half. Returns the larger estimate, and where it is usable:
    neither half rough, and one of them an estimate (not both flat, as below f's resolution)."""
    left, left_status = levels(table[:, : HALF + 1])
    right, right_status = levels(table[:, HALF:])
    usable = (left_status != ROUGH) & (right_status != ROUGH) & ((left_status == OK) | (right_status == OK))
    return np.maximum(left, right), usable


def measure(
    stencil: Stencil, f0: Array, delta: Array, scale: Array, matter: NDArray[np.bool_], *, floor: Array | None = None
) -> Noise:
    """The noise of f along k entries or directions, from a table of 2 HALF + 1 points each.

    `delta` (k,) is the first spacing; `scale` (m,) divides f's values (so that differences of
    values near overflow stay finite); `matter` (k, m) says which outputs need an estimate: a
    table that is rough or flat for one of them is tried again with another spacing. Spacings
    stay above `floor` (k,). The returned sigma is in f's own units.
    """
    k, m = matter.shape
    sigma = np.full((k, m), np.inf)
    status = np.full((k, m), ROUGH, dtype=np.int8)
    todo = np.arange(k)
    delta = np.asarray(delta, dtype=np.float64).copy()
    flat_at = np.zeros(k)
    evaluations = 0
    for attempt in range(RETRIES + 1):
        if todo.size == 0:
            break
        table = _table(stencil, todo, delta[todo], f0, scale)
        evaluations += 2 * HALF * todo.size
        s, st = levels(table)
        half, whole = _halves(table)
        # the halves where the whole table gave none, or one far above theirs: a kink at x
        use = whole & ((st != OK) | (half * AGREE * AGREE < s))
        s = np.where(use, half, s) * scale
        st = np.where(use, OK, st).astype(np.int8)
        better = (st == OK) | ((status[todo] != OK) & (s < sigma[todo]))
        sigma[todo] = np.where(better, s, sigma[todo])
        status[todo] = np.where(better, st, status[todo])
        if attempt == RETRIES:
            break
        rough = ((st == ROUGH) & matter[todo]).any(axis=1)
        flat = ((st == FLAT) & matter[todo]).any(axis=1) & ~rough
        flat_at[todo[flat]] = np.maximum(flat_at[todo[flat]], delta[todo[flat]])
        delta[todo[rough]] /= RETRY
        delta[todo[flat]] *= RETRY
        if floor is not None:
            rough &= delta[todo] >= floor[todo]
        todo = todo[rough | flat]
    return Noise(sigma, status, flat_at, evaluations)


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
