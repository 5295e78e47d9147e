"""The second look at entries that failed the first comparison: a step chosen per entry from f's
measured noise and the truncation error observed on a ladder of steps, and kinks told from bugs.

For each entry (or direction), f's noise sigma is measured first (noise.py). Central differences
D(h), D(2h), D(4h) then give Richardson's R(h) = (4 D(h) - D(2h)) / 3 and a measured error bound:
the disagreement with R(2h) plus the noise, 3 sigma / h for each D. The ladder starts where the
noise allows the tolerance and moves, up or down, towards the step where that bound is least;
steps where the differences do not shrink as a smooth f's must (like h^2) are too large, and are
left for smaller ones. The forward and backward differences (f(x+h) - f(x)) / h and
(f(x) - f(x-h)) / h tell a kink: for a smooth f they differ by about h f'', at a kink within h by
a fraction of the jump of f' that does not shrink with h. A kink within the step is stepped
around (a smaller step stays on one side); one that no step gets around is at x itself, and the
one-sided derivatives are the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import noise as noisemod
from .noise import Stencil
from .types import Array

#: The noise of one central difference D(h) is bounded by NOISE_D sigma / h (about four standard
#: deviations of (e+ - e-) / 2h, with room for sigma's own error); that of the forward minus the
#: backward difference, (f(x+h) - 2 f(x) + f(x-h)) / h, by NOISE_J sigma / h.
NOISE_D = 3.0
NOISE_J = 10.0
#: The ladder starts where the noise of D is an eighth of the tolerance (START sigma / tol), but
#: no further than these factors from the first pass's step.
START = 24.0
START_BELOW = 1024.0
START_ABOVE = 256.0
#: An estimate whose error bound is within GOAL of the tolerance is good enough.
GOAL = 0.5
#: At most this many ladders (three steps each) per entry.
LADDERS = 6
#: A ladder whose differences do not shrink like h^2 is too large: the next is SHRINK times
#: smaller; one with a kink inside, KINK_SHRINK times. A move towards the best step goes at most
#: MOVE times either way.
SHRINK = 16.0
KINK_SHRINK = 64.0
MOVE = 64.0
#: Where the ladder's truncation error is below its noise, the next ladder is GROW times larger.
GROW = 8.0
#: A kink is looked for at a smaller step only while its jump stays KINK_NOISE times above the
#: noise there.
KINK_NOISE = 8.0
#: Forward and backward differences that stay within this factor as the step halves (instead of
#: halving with it) straddle a kink.
KINK_RATIO = 0.7
#: A first-pass error this many times the smooth truncation error predicted for its step, with
#: forward and backward differences disagreeing by about twice that error, was a kink nearby.
UNEXPLAINED = 10.0
#: Measured noise is trusted to within this factor: differences up to this many times their
#: noise bound that fall as the step grows widen it; larger ones say the step is too large.
UNDERESTIMATE = 30.0
#: A step that left f's domain (a non-finite value) shrinks by DOMAIN_SHRINK, at most MAX_SHRINKS times.
DOMAIN_SHRINK = 8.0
MAX_SHRINKS = 16

#: f's noise is never taken below SIGMA_FLOOR * eps * |f(x)|: its result is rounded.
SIGMA_FLOOR = 0.5

# The outcome per entry and output.
SMOOTH, KINK_NEAR, KINK_AT, UNRESOLVED, NONFINITE, UNCHECKED = 0, 1, 2, 3, 4, 5


@dataclass(frozen=True)
class Look:
    """The second look at k entries (columns of the Jacobian) or directions, per output: (k, m)."""

    value: Array  # the estimate: Richardson's (or the mean of the one-sided derivatives at a kink)
    error: Array  # its measured error bound
    status: NDArray[np.int8]  # SMOOTH, KINK_NEAR, KINK_AT, UNRESOLVED, NONFINITE, or UNCHECKED
    left: Array  # the one-sided derivatives where KINK_AT (else nan) ...
    right: Array
    side_error: Array  # ... and their error bound
    step: Array  # the step of the estimate
    sigma: Array  # f's measured noise
    lowest: Array  # (k,) the smallest step tried
    evaluations: int


@dataclass(frozen=True)
class Ladder:
    """Central, forward and backward differences at h, 2h and 4h: (3, c, m), in units of f's scale."""

    d: Array  # (f(x+h) - f(x-h)) / 2h
    fwd: Array  # (f(x+h) - f(x)) / h
    bwd: Array  # (f(x) - f(x-h)) / h
    nu: Array  # (c, m): sigma / h, the noise unit of the smallest step

    @property
    def j(self) -> Array:
        """Forward minus backward difference, (f(x+h) - 2 f(x) + f(x-h)) / h."""
        out: Array = self.fwd - self.bwd
        return out

    def noise(self, factor: float) -> Array:
        """factor * sigma / h at each of the three steps: (3, c, m)."""
        out: Array = factor * self.nu[None] / np.array([1.0, 2.0, 4.0])[:, None, None]
        return out


def pow2(h: Array) -> Array:
    """The nearest power of two: x + h is then exact wherever h is at least the spacing of x."""
    with np.errstate(divide="ignore"):
        return np.where(h > 0, np.exp2(np.round(np.log2(np.where(h > 0, h, 1.0)))), h)


def second_look(
    stencil: Stencil,
    f0: Array,
    target: Array,
    tol: Array,
    matter: NDArray[np.bool_],
    first: Array,
    delta: Array,
    floor: Array,
    eps: float,
) -> Look:
    """Estimate k columns again, each with its own steps; `target` (k, m) are the analytic values
    to judge (the ladder stops once its verdict cannot change), `tol` their tolerances, `matter`
    the outputs to estimate; `first` (k,) the first pass's steps, `delta` (k,) the noise table's
    first spacing, `floor` (k,) the smallest step allowed."""
    k, m = matter.shape
    scale = np.where(np.isfinite(f0) & (f0 != 0), np.abs(f0), 1.0)  # differences in units of f
    measured = noisemod.measure(stencil, f0, pow2(delta), scale, matter, floor=floor)
    # in units of f's scale; never below the rounding of f's result, which the table's exactly
    # representable points can miss
    sig = np.maximum(measured.sigma / scale, SIGMA_FLOOR * eps * np.abs(f0) / scale)
    state = _State(k, m, sig, matter, first)
    # f did not move at any spacing of the table: it does not depend on this entry (derivative 0)
    state.still = (measured.status == noisemod.FLAT) & (measured.sigma == 0)
    with np.errstate(all="ignore"):
        need = np.where(matter, START * measured.sigma / tol, 0.0).max(axis=1, initial=0.0)
    h = pow2(np.clip(need, first / START_BELOW, first * START_ABOVE))
    floor = np.maximum(floor, 4.0 * measured.flat)  # below f's resolution in x, f does not move
    h = np.maximum(h, floor)
    active = matter.any(axis=1) & np.all(np.isfinite(tol) | ~matter, axis=1)
    evaluations = measured.evaluations
    t_scaled = target / scale
    tol_scaled = tol / scale
    visited = np.zeros((k, LADDERS))
    for ladder_no in range(LADDERS):
        cols = np.flatnonzero(active)
        if cols.size == 0:
            break
        ladder, h[cols], finite = _ladder(stencil, cols, h[cols], f0, scale, sig[cols], state.matter[cols])
        evaluations += 6 * cols.size
        visited[cols, ladder_no] = h[cols]
        nxt = state.judge(cols, ladder, h[cols], finite, t_scaled[cols], tol_scaled[cols])
        nxt = pow2(np.where(nxt > 0, np.maximum(nxt, floor[cols]), 0.0))
        moved = (nxt > 0) & ~np.any(visited[cols] == nxt[:, None], axis=1)  # no ladder twice
        h[cols] = np.where(moved, nxt, h[cols])
        active[cols] = moved
    unexplained = state.finish()
    evaluations += _first_step_kinks(stencil, f0, scale, first, state, unexplained)
    return Look(
        state.value * scale,
        state.error * scale,
        state.status,
        state.left * scale,
        state.right * scale,
        state.side_error * scale,
        state.step,
        measured.sigma,
        state.lowest,
        evaluations,
    )


def _ladder(
    stencil: Stencil, cols: NDArray[np.intp], h: Array, f0: Array, scale: Array, sig: Array, matter: NDArray[np.bool_]
) -> tuple[Ladder, Array, NDArray[np.bool_]]:
    """f at x +- h, 2h, 4h for each column, the steps shrunk where they left f's domain for
    every output that matters (MAX_SHRINKS times at most); also which outputs (c, m) are finite
    at every step (where f(x) is)."""
    c, m = cols.size, f0.size
    h = h.copy()
    rows = np.repeat(cols, 3)
    mult = np.tile([1.0, 2.0, 4.0], c)
    fp, fm, width = stencil(rows, np.repeat(h, 3) * mult)
    finite0 = np.isfinite(f0)
    finite: NDArray[np.bool_] = np.ones((c, m), dtype=bool)
    for _ in range(MAX_SHRINKS + 1):
        finite = np.all((np.isfinite(fp) & np.isfinite(fm) | ~finite0).reshape(c, 3, m), axis=1)
        left = ~(finite & matter).any(axis=1) & matter.any(axis=1)  # no output that matters is finite
        if not left.any():
            break
        redo = np.flatnonzero(left)
        h[redo] /= DOMAIN_SHRINK
        sel = (redo[:, None] * 3 + np.arange(3)).reshape(-1)
        fp[sel], fm[sel], width[sel] = stencil(rows[sel], np.repeat(h[redo], 3) * mult[sel])
    with np.errstate(all="ignore"):
        half = (width / 2.0).reshape(c, 3).T[:, :, None]  # (3, c, 1): the represented half-widths
        up = fp.reshape(c, 3, m).transpose(1, 0, 2) / scale
        down = fm.reshape(c, 3, m).transpose(1, 0, 2) / scale
        mid = f0 / scale
        d = (up - down) / (2.0 * half)
        fwd = (up - mid) / half
        bwd = (mid - down) / half
        nu = sig / h[:, None]
    return Ladder(d, fwd, bwd, nu), h, finite


@dataclass(frozen=True)
class Reading:
    """What one ladder says per (entry, output): (c, m) each."""

    kink: NDArray[np.bool_]  # forward and backward differences straddle a kink within h
    straddled: NDArray[np.bool_]  # ... apart beyond noise and not halving with h (at any step)
    smooth: NDArray[np.bool_]  # central differences shrink like h^2 (or stay within noise)
    frozen: NDArray[np.bool_]  # f did not move at all: the steps are below its resolution in x
    value: Array  # the ladder's estimate, and its measured error bound, at step `step`
    error: Array
    step: Array
    truncation: Array  # the h^2 coefficient of D's error (a bound)
    move: Array  # the factor to the step where the error bound would be least
    growth: Array  # |D(2h) - D(h)| / its noise bound: above 1.5 |D(4h) - D(2h)|'s, noise grows as h falls


def read(ld: Ladder, h: Array, matter: NDArray[np.bool_], jump: Array, still: NDArray[np.bool_]) -> Reading:
    """Read a ladder at steps h, 2h, 4h (c,): kinks, regime, the estimate and its error bound.
    `jump` (c, m) is the forward minus backward difference where a larger step straddled a kink
    (0 where none did); `still`, where f does not move along the entry at all."""
    nd, nj = ld.noise(NOISE_D), ld.noise(NOISE_J)
    j = np.abs(ld.j)
    with np.errstate(all="ignore"):
        # forward and backward differences apart beyond noise, and not halving with the step
        straddled = (j[0] > nj[0]) & (j[0] - nj[0] > KINK_RATIO * (j[1] + nj[1])) & matter
        # below a step that straddled a kink, they must drop well below its jump to show a step
        # on one side of it; within noise of it, the kink is still there
        persists = (jump > 0) & (j[0] + nj[0] > jump / 4.0) & matter
        d1, d2 = ld.d[1] - ld.d[0], ld.d[2] - ld.d[1]
        n1, n2 = nd[0] + nd[1], nd[1] + nd[2]
        a1, a2 = np.abs(d1), np.abs(d2)
        noisy = (a1 <= n1) & (a2 <= n2)
        lo = (a2 - n2) / (a1 + n1)
        hi = (a2 + n2) / np.maximum(a1 - n1, np.finfo(np.float64).tiny)
        same = (np.sign(d1) == np.sign(d2)) | (a1 <= n1) | (a2 <= n2)
        smooth = noisy | (same & (lo <= 8.0) & (hi >= 2.0))  # D(4h) - D(2h) = 4 (D(2h) - D(h))
        frozen = np.all(ld.fwd == 0, axis=0) & np.all(ld.bwd == 0, axis=0) & ~still
        # Richardson's R(h) = (4 D(h) - D(2h)) / 3, off by its disagreement with R(2h) at most
        # (with noise); or D(4h), whose h^2 term is 4/3 of D(4h) - D(2h), if that bound is less
        r0 = (4.0 * ld.d[0] - ld.d[1]) / 3.0
        r1 = (4.0 * ld.d[1] - ld.d[2]) / 3.0
        err_r = np.abs(r0 - r1) + 2.7 * nd[0]
        err_d = (4.0 / 3.0) * (a2 + n2) + nd[2]
        use_d = err_d < err_r
        # R(h) - R(2h) beyond its own noise is truncation; where none shows, a larger step will do
        trunc = np.maximum(np.abs(r0 - r1) - 2.0 * nd[0], 0.0)
        best = (2.7 * nd[0] / (4.0 * trunc)) ** 0.2  # where t h^4 + n / h is least, over h
        move = np.clip(np.nan_to_num(best, nan=GROW, posinf=GROW), 1.0 / MOVE, MOVE)
        # differences that fall as h grows, and within UNDERESTIMATE of the noise bound: noise
        # above the measured sigma (further off, f varies on a smaller scale than h)
        ratio = np.where(n1 > 0, a1 / n1, 1.0)
        growth = ratio * ((a1 > 1.5 * a2) & ~smooth & (ratio <= UNDERESTIMATE))
        return Reading(
            kink=straddled | persists,
            straddled=straddled,
            smooth=smooth & np.all(np.isfinite(ld.d), axis=0),
            frozen=frozen,
            value=np.where(use_d, ld.d[2], r0),
            error=np.where(use_d, err_d, err_r),
            step=h[:, None] * np.where(use_d, 4.0, 1.0),
            truncation=(a2 + n2) / (12.0 * h[:, None] ** 2),
            move=move,
            growth=growth,
        )


class _State:
    """What the ladders have found so far, per (entry, output)."""

    def __init__(self, k: int, m: int, sig: Array, matter: NDArray[np.bool_], first: Array) -> None:
        self.sig, self.matter, self.first = sig, matter, first
        self.value = np.full((k, m), np.nan)
        self.error = np.full((k, m), np.inf)
        self.step = np.zeros((k, m))
        self.truncation = np.full((k, m), np.inf)  # h^2 coefficient of D's error, where measured
        self.confirmed = np.zeros((k, m), dtype=bool)  # two ladders agree on the estimate
        self.status = np.where(matter, UNRESOLVED, UNCHECKED).astype(np.int8)
        self.left = np.full((k, m), np.nan)
        self.right = np.full((k, m), np.nan)
        self.side_error = np.full((k, m), np.inf)  # the error bound of left and right
        self.kink = np.zeros((k, m), dtype=bool)  # the latest ladder had a kink inside
        self.jump = np.zeros((k, m))  # forward minus backward difference where a kink was straddled
        self.kink_seen = np.zeros(k)  # the largest step whose ladder had a kink inside (0: none)
        self.finite_seen = np.zeros((k, m), dtype=bool)
        self.still = np.zeros((k, m), dtype=bool)  # f does not move along the entry at all
        self.lowest = np.full(k, np.inf)

    def judge(
        self, cols: NDArray[np.intp], ld: Ladder, h: Array, finite: NDArray[np.bool_], target: Array, tol: Array
    ) -> Array:
        """Take the ladder's estimates where they beat the best so far; return each column's next
        step (0: done)."""
        outside = self.matter[cols] & ~finite  # left f's domain: a smaller step
        matter = self.matter[cols] & finite
        self.finite_seen[cols] |= matter
        self.lowest[cols] = np.minimum(self.lowest[cols], h)
        r = read(ld, h, matter, self.jump[cols], self.still[cols])
        # a kink within h counts where h is no larger than the first pass's step; above it, f may
        # just vary on a smaller scale than h, which is too large rather than kinked
        kink = r.kink & (h <= self.first[cols])[:, None]
        valid = matter & ~kink & r.smooth & ~r.frozen
        self._take(cols, r, valid)
        self._one_sided(cols, ld, kink)
        self.kink[cols] = kink
        self.jump[cols] = np.where(kink & r.straddled, np.abs(ld.j[0]), self.jump[cols])
        self.kink_seen[cols] = np.where(kink.any(axis=1), np.maximum(self.kink_seen[cols], h), self.kink_seen[cols])
        # noise beyond the measured sigma (differences that fall as the step grows): widen sigma
        noise_like = matter & ~kink & ((r.growth > 0) | r.frozen)
        self.sig[cols] = np.where(noise_like & (r.growth > 1), self.sig[cols] * r.growth, self.sig[cols])
        rough = (matter & ~kink & (~r.smooth | r.straddled) & ~noise_like) | outside
        with np.errstate(all="ignore"):
            resolvable = np.abs(ld.j[0]) > KINK_NOISE * KINK_SHRINK * ld.noise(NOISE_J)[0]
        return self._next(cols, h, kink, rough, noise_like, target, tol, r.move, resolvable)

    def _take(self, cols: NDArray[np.intp], r: Reading, valid: NDArray[np.bool_]) -> None:
        """Keep the ladder's estimates that beat the best so far. Two estimates that disagree
        beyond their error bounds cannot both be right: the smaller step's, the more local,
        stands; two that agree confirm each other."""
        best_v, best_e, best_h = self.value[cols], self.error[cols], self.step[cols]
        has = np.isfinite(best_e)
        with np.errstate(all="ignore"):
            agree = np.abs(r.value - best_v) <= r.error + best_e
        overrule = valid & has & ~agree & (r.step < best_h)
        better = valid & (((r.error < best_e) & (agree | ~has)) | overrule)
        for name, new in (("value", r.value), ("error", r.error), ("step", r.step), ("truncation", r.truncation)):
            getattr(self, name)[cols] = np.where(better, new, getattr(self, name)[cols])
        self.confirmed[cols] = (self.confirmed[cols] | (valid & has & agree)) & ~overrule
        self.status[cols] = np.where(better, SMOOTH, self.status[cols])

    def _one_sided(self, cols: NDArray[np.intp], ld: Ladder, kink: NDArray[np.bool_]) -> None:
        """Where forward and backward differences straddle a kink, their extrapolations to h = 0,
        2 F(h) - F(2h), are the one-sided derivatives (kept from the step where they are best known)."""
        with np.errstate(all="ignore"):
            right = 2.0 * ld.fwd[0] - ld.fwd[1]
            left = 2.0 * ld.bwd[0] - ld.bwd[1]
            # F(h) = f'+ + h f''/2: 2 F(h) - F(2h) is off by O(h^2), less than F(h) - F(2h); its noise
            # is that of (f(x+h) - f(x)) / h twice over
            nd = ld.noise(NOISE_D)[0]
            error = np.maximum(np.abs(ld.fwd[0] - ld.fwd[1]), np.abs(ld.bwd[0] - ld.bwd[1])) + 2.0 * nd
        take = kink & (error < self.side_error[cols])  # the best of the steps that straddle the kink
        self.right[cols] = np.where(take, right, self.right[cols])
        self.left[cols] = np.where(take, left, self.left[cols])
        self.side_error[cols] = np.where(take, error, self.side_error[cols])

    def _next(
        self,
        cols: NDArray[np.intp],
        h: Array,
        kink: NDArray[np.bool_],
        rough: NDArray[np.bool_],
        noise_like: NDArray[np.bool_],
        target: Array,
        tol: Array,
        move: Array,
        resolvable: NDArray[np.bool_],
    ) -> Array:
        """The next step of each column: smaller past a kink or where differences do not shrink
        like h^2; towards the least error bound where an output's verdict could still change; a
        smaller one to confirm a failure seen once (a step too large can mislead)."""
        value, error = self.value[cols], self.error[cols]
        with np.errstate(all="ignore"):
            failing = np.abs(target - value) > tol + error
            decided = (failing & self.confirmed[cols]) | (~failing & (error <= GOAL * tol))
            open_ = self.matter[cols] & ~decided & np.isfinite(error)
        factor = np.where(failing & ~self.confirmed[cols], 1.0 / SHRINK, move)
        want = np.where(open_, factor, np.inf)
        nxt = np.where(open_.any(axis=1), h * np.min(want, axis=1), 0.0)
        nxt = np.where(noise_like.any(axis=1), h * SHRINK, nxt)
        nxt = np.where(rough.any(axis=1), h / SHRINK, nxt)
        # a kink inside: a smaller step, while the jump stays above the noise there (else the kink
        # is at x, as far as f's noise lets anyone tell)
        kinked = kink.any(axis=1)
        nxt = np.where(kinked, np.where(np.where(kink, resolvable, True).all(axis=1), h / KINK_SHRINK, 0.0), nxt)
        # past a kink, stay below the steps that straddled it
        seen = self.kink_seen[cols]
        return np.where(kinked, nxt, np.minimum(nxt, np.where(seen > 0, seen / KINK_SHRINK, np.inf)))

    def finish(self) -> NDArray[np.bool_]:
        """Settle each output's outcome; returns where the estimate is smooth (to be looked at
        for a kink nearby that the first pass's step straddled)."""
        at = self.kink & self.matter & (self.status != SMOOTH)
        self.status[at] = KINK_AT
        with np.errstate(all="ignore"):
            self.value[at] = (self.left[at] + self.right[at]) / 2.0
            self.error[at] = np.abs(self.right[at] - self.left[at]) / 2.0
        near = (self.status == SMOOTH) & (self.kink_seen[:, None] > 0)
        self.status[near] = KINK_NEAR
        nonfinite = self.matter & ~self.finite_seen
        self.status[nonfinite] = NONFINITE
        smooth: NDArray[np.bool_] = (self.status == SMOOTH) & self.matter
        return smooth


def _first_step_kinks(
    stencil: Stencil, f0: Array, scale: Array, first: Array, state: _State, smooth: NDArray[np.bool_]
) -> int:
    """Mark KINK_NEAR the smooth estimates whose first-pass error (at step `first`) is far beyond
    the smooth truncation error their ladder measured, where the forward and backward differences
    at that step disagree by about twice the error: the first step straddled a kink that the
    second look's smaller step does not. Returns the evaluations spent."""
    cols = np.flatnonzero(smooth.any(axis=1))
    if cols.size == 0:
        return 0
    fp, fm, width = stencil(cols, first[cols])
    with np.errstate(all="ignore"):
        half = (width / 2.0)[:, None]
        up, down, mid = fp / scale, fm / scale, f0 / scale
        d = (up - down) / (2.0 * half)
        j = np.abs(up - 2.0 * mid + down) / half
        value, err = state.value[cols], state.error[cols]
        e = np.abs(d - value)
        sig = state.sig[cols]
        predicted = state.truncation[cols] * half**2 + NOISE_D * sig / half + err
        kinked = (e > UNEXPLAINED * predicted) & (j > NOISE_J * sig / half) & (np.abs(j - 2.0 * e) < e)
    kinked &= smooth[cols]
    state.status[cols] = np.where(kinked, KINK_NEAR, state.status[cols])
    state.kink_seen[cols] = np.where(
        kinked.any(axis=1), np.maximum(state.kink_seen[cols], first[cols]), state.kink_seen[cols]
    )
    return 2 * cols.size
