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
#: Orders whose noise levels agree within this factor give the estimate.
AGREE = 4.0
#: The table's first spacing is eps ** SPACING_POWER * max(1, |x_i|) (about 1.4e-6 in float64).
SPACING_POWER = 3.0 / 8.0
#: A smooth part's levels fall to the noise by more than this factor from one order to the next
#: (by a factor of about delta over the scale of f's variation; where they fall slower, delta is
#: near that scale and they can look like noise).
DROP = 16.0
#: Levels that fall by more than this factor across the orders compared fall as a smooth part's
#: do, not noise's (noise's do so by chance in one table of 20 to 50).
TREND = 3.0
#: A table whose values spread more than this fraction of their size varies on the scale of
#: delta: its differences are no estimate of noise, though they may look like it.
RANGE = 0.01
#: A table with at least this many equal neighbours is flat: delta is below f's resolution.
FLAT_PAIRS = 3
#: A table whose two largest second differences hold more than this fraction of their squares
#: has a kink in it (noise spreads them: it does so by chance once in 10,000 tables).
SPIKE = 0.99
#: A table whose three largest third differences hold more than this fraction of their squares
#: has a joint in it where f'' jumps (f is C1 there, as max(x, 0)^2 or Huber's loss at its switch):
#: the joint's differences look like noise from the third order on (noise concentrates them so
#: by chance once in 1,500 tables of 9 points; a wrong call only takes the estimate from a half).
JOINT = 0.999
#: Differences from some order on below EXACT times the table's size are float64's rounding.
EXACT = 4.0 * 2.0**-52
#: A table that is too rough, or flat, is tried again with delta divided by RETRY, at most
#: RETRIES times.
RETRY = 1024.0
RETRIES = 2
#: A table that leaves f's domain is made DOMAIN_SHRINK times narrower, at most DOMAIN_TRIES times.
DOMAIN_SHRINK = 8.0
DOMAIN_TRIES = 16
#: An estimate is checked on a table WIDE times wider, where rounding errors alike at nearby
#: points show as noise.
WIDE = 64.0

# The status of an estimate, per output.
OK, ROUGH, FLAT, KINKED = 0, 1, 2, 3

# A stencil evaluates f on both sides of x along k directions: given rows (which of the k) and
# steps h, it returns f(x + h d), f(x - h d) (rows, m) and the represented widths (rows,).
Stencil = Callable[[NDArray[np.intp], Array], tuple[Array, Array, Array]]


@dataclass(frozen=True)
class Noise:
    """The noise of f along each of k entries (or directions), per output: (k, m)."""

    sigma: Array  # the standard deviation of f's rounding near x
    status: NDArray[np.int8]  # OK, or ROUGH / FLAT / KINKED where no estimate was found (sigma a bound)
    flat: Array  # (k,) the largest spacing at which f barely moved: steps below it see no change
    evaluations: int


def levels(table: Array) -> tuple[Array, NDArray[np.int8]]:
    """Noise estimates from tables of f at equally spaced points: `table` is (k, p, m), p points.

    For each difference order j = 1..p-1, sigma_j = sqrt(gamma_j mean((Delta^j f)^2)) with
    gamma_j = (j!)^2 / (2j)!. The estimate is the first sigma_j with which the higher orders agree
    (within AGREE, and not falling by TREND), whose differences change sign (noise, not
    curvature), and either the order before it more than DROP above it (the smooth part's
    differences fall to the noise; where they fall slowly, or stay alike from the first order
    on, f varies on the scale of delta) or the table moving by little (Moré and Wild's test).
    Returns sigma and the status per (k, m): ROUGH where none is found (sigma is then the
    smallest level, an upper bound), KINKED where a kink in the table spoils it, FLAT where f
    barely changes between the points (delta below f's resolution, or f constant on a side).
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
            if j == 3 and p > 5:  # a joint where f'' jumps: three third differences hold nearly all
                squares = np.sort(diffs * diffs, axis=1)
                spiked |= (np.sum(squares[:, -3:], axis=1) > JOINT * np.sum(squares, axis=1)) & (
                    np.sqrt(squares[:, -1]) > EXACT * top
                )
            gamma *= 0.5 * j / (2 * j - 1)  # (j!)^2 / (2j)!
            lv[j - 1] = np.sqrt(gamma * np.mean(diffs * diffs, axis=1))
            sign_change[j - 1] = (diffs.min(axis=1) < 0) & (diffs.max(axis=1) > 0)
        sigma = np.zeros((k, m))
        found = np.zeros((k, m), dtype=bool)
        for j in range(p - 3):
            # noise is alike at every order: the levels from j on agree (up to the orders with
            # three differences at least), where a smooth part's keep falling
            window = lv[j : max(j + 3, p - 3)]
            alike = (window.max(axis=0) <= AGREE * window.min(axis=0)) & (window[-1] * TREND >= window[0])
            take = alike & sign_change[j] & ~found
            # Noise under a smooth part: the levels drop to it. Where they stay alike from the
            # first order on, the table is noise only, or f varies on the scale of delta and
            # its values jump about like noise; Moré and Wild's test tells: noise moves f by
            # little, such an f by much of its size
            small = spread <= RANGE * top
            take &= ((lv[j - 1] > DROP * lv[j]) | small) if j > 0 else small
            sigma[take] = lv[j][take]
            found |= take
        # Differences that vanish, or nearly, from some order on (two orders at least): f is a
        # low-degree polynomial here, in floating point; sigma is that level, rounding
        tail = np.maximum.accumulate(lv[::-1], axis=0)[::-1]  # the largest level from each order on
        exact = np.min(tail[1:-1], axis=0)
        quiet = ~found & (exact <= EXACT * top)
        sigma[quiet] = exact[quiet]
        found |= quiet
        outside = ~np.all(np.isfinite(table), axis=1)  # left f's domain: a narrower table
        rough = ~found | outside | (spiked & (lv[1] > EXACT * top))
        bound = np.min(np.where(np.isfinite(lv), lv, np.inf), axis=0)
        sigma = np.where(rough, bound, sigma)
    status = np.where(rough, ROUGH, OK).astype(np.int8)
    status[rough & spiked & (lv[1] > EXACT * top)] = KINKED
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
    table too rough for one of them, or flat, is tried again RETRY times narrower. Spacings stay
    above `floor` (k,). The returned sigma is in f's own units.
    """
    k, m = matter.shape
    sigma = np.full((k, m), np.inf)
    status = np.full((k, m), ROUGH, dtype=np.int8)
    todo = np.arange(k)
    delta = np.asarray(delta, dtype=np.float64).copy()
    narrowed = np.zeros(k, dtype=bool)
    used = delta.copy()  # the spacing of each column's estimate
    flat_at = np.zeros(k)
    evaluations = 0
    for attempt in range(RETRIES + 1):
        if todo.size == 0:
            break
        spacing = delta[todo]
        table = _table(stencil, todo, spacing, f0, scale)
        delta[todo] = spacing
        s, st = _estimate(table, scale)
        evaluations += 2 * HALF * todo.size
        better = (st == OK) | ((status[todo] != OK) & (s < sigma[todo]))
        sigma[todo] = np.where(better, s, sigma[todo])
        status[todo] = np.where(better, st, status[todo])
        used[todo] = np.where((better & matter[todo]).any(axis=1), delta[todo], used[todo])
        if attempt == RETRIES:
            break
        # A table that does not move at all is final: f does not depend on this entry near x.
        # One too rough, or flat (f barely moves: a kink near x, or f constant at x) is tried
        # narrower, once for flat; flat again after that, f moves in stairs wider than the
        # table: below f's resolution, the estimate of a wider table stands
        moving = np.ptp(table, axis=1) > 0
        rough = (((st == ROUGH) | (st == KINKED)) & matter[todo]).any(axis=1)
        flat = ((st == FLAT) & matter[todo] & moving).any(axis=1) & ~rough
        # (f constant on one side of x and, past a few still points, moving at every point of
        # the other, as max(x, 0)^2 just left of 0, is no stairs: the table spans a joint)
        stairs = flat & narrowed[todo] & ~(one_sided(table) | ~matter[todo]).all(axis=1)
        flat_at[todo[stairs]] = np.maximum(flat_at[todo[stairs]], delta[todo[stairs]])
        again = rough | (flat & ~narrowed[todo])
        delta[todo[again]] /= RETRY
        narrowed[todo[again]] = True
        if floor is not None:
            again &= delta[todo] >= floor[todo]
        todo = todo[again]
    # Rounding errors can be alike at nearby points (a sum's low bits change only now and then):
    # a table WIDE times wider sees them as noise, where it gives an estimate at all
    wide = np.flatnonzero(((status == OK) & matter).any(axis=1))
    if wide.size:
        table = _table(stencil, wide, used[wide] * WIDE, f0, scale)
        s, st = _estimate(table, scale)
        evaluations += 2 * HALF * wide.size
        # (not where f is constant on a side: its rounding on the other is not the table's to tell)
        sigma[wide] = np.where((st == OK) & (s > sigma[wide]) & ~one_sided(table), s, sigma[wide])
    return Noise(sigma, status, flat_at, evaluations)


def one_sided(table: Array) -> NDArray[np.bool_]:
    """Where a table (k, p, m) holds still on one side of x (beyond its first point at most: a joint
    or kink between) and, on the other, holds still at most up to some point and moves at every
    point beyond it (two at least): f is constant on a side, not below its resolution in x, whose
    stairs at least four spacings wide would hold still again on the moving side."""
    sides = (table[:, HALF::-1], table[:, HALF:])  # outward from x
    still, moves = [], []
    for side in sides:
        nonzero = np.diff(side, axis=1) != 0
        still.append(~np.any(nonzero[:, 1:], axis=1))
        moves.append(np.all(nonzero[:, -2:], axis=1) & np.all(np.diff(nonzero.astype(np.int8), axis=1) >= 0, axis=1))
    out: NDArray[np.bool_] = (still[0] & moves[1]) | (still[1] & moves[0])
    return out


def _estimate(table: Array, scale: Array) -> tuple[Array, NDArray[np.int8]]:
    """Sigma (in f's units) and status from tables (k, p, m): the whole table's, or, where a kink
    spoils it or f is flat on a side, its halves' (x and the points on one side): a kink at x
    spoils neither half, one on a side spoils that half only, and the smaller of two estimates
    is taken; f constant on one side counts as a half without noise."""
    s, st = levels(table)
    low = np.full(s.shape, np.inf)
    estimated = np.zeros(s.shape, dtype=bool)  # a half with an estimate of noise
    kinked = np.zeros(s.shape, dtype=bool)  # a half with a kink in it
    for half in (table[:, : HALF + 1], table[:, HALF:]):
        sh, sth = levels(half)
        clean = (sth == OK) | (np.ptp(half, axis=1) == 0)  # an estimate, or f constant on that side
        low = np.where(clean, np.minimum(low, sh), low)
        estimated |= sth == OK
        kinked |= sth == KINKED
    # (a constant half beside one in stairs is no estimate: below f's resolution, both look so)
    use = np.isfinite(low) & (estimated | kinked) & ((st == KINKED) | (st == FLAT))
    # f constant on one side and moving beyond x on the other, whose half a joint or kink near x
    # spoils: no noise on the constant side, the rounding of its values next to x on the other
    side = one_sided(table) & (st == FLAT) & ~use
    s = np.where(side, EXACT * np.max(np.abs(table[:, HALF - 1 : HALF + 2]), axis=1), s)
    return np.where(use, low, s) * scale, np.where(use | side, OK, st).astype(np.int8)


def _table(stencil: Stencil, cols: NDArray[np.intp], delta: Array, f0: Array, scale: Array) -> Array:
    """f / scale at x + k delta, k = -HALF..HALF, for the columns `cols`: (len(cols), 2 HALF + 1, m).
    A table that leaves f's domain (values not finite where f(x) is) is made DOMAIN_SHRINK times
    narrower, at most DOMAIN_TRIES times: `delta` is updated in place."""
    table = _points(stencil, cols, delta, f0, scale)
    for _ in range(DOMAIN_TRIES):
        out = (~np.isfinite(table) & np.isfinite(f0 / scale)).any(axis=(1, 2))
        if not out.any():
            break
        delta[out] /= DOMAIN_SHRINK
        table[out] = _points(stencil, cols[out], delta[out], f0, scale)
    return table


def _points(stencil: Stencil, cols: NDArray[np.intp], delta: Array, f0: Array, scale: Array) -> Array:
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
