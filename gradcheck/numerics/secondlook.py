"""The second look at entries that failed the first comparison: a step chosen per entry from f's
measured noise and the truncation error observed on a ladder of steps, and kinks told from bugs.

For each entry (or direction), f's noise sigma is measured first (noise.py). Central differences
D(h), D(2h), D(4h) then give Richardson's R(h) = (4 D(h) - D(2h)) / 3 and a measured error bound:
the truncation its tableau shows plus the noise, 3 sigma / h for each D (ladder.py). The ladder
starts where the noise allows the tolerance and moves, up or down, towards the step where that
bound is least; steps where the differences do not shrink as a smooth f's must (like h^2) are
too large, and are left for smaller ones; a failure seen once is confirmed on a smaller step.

The forward and backward differences (f(x+h) - f(x)) / h and (f(x) - f(x-h)) / h tell a kink:
for a smooth f they differ by about h f'', at a kink within h by a fraction of the jump of f'
that does not shrink with h. A kink within the step is stepped around (a smaller step stays on
one side); one that no step gets around is at x itself, and the one-sided derivatives are the
answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import noise as noisemod
from .ladder import NOISE_D, NOISE_J, Ladder, Reading, climb, pow2, read
from .noise import Stencil
from .types import Array

#: The ladder starts where the noise of D is half the tolerance (START sigma / tol), but no
#: further than these factors from the first pass's step: it moves on from there, up in steps of
#: two where no truncation shows (ladder.GROW), so that a larger step is reached only past the
#: smaller ones whose estimates it must agree with.
START = 6.0
START_BELOW = 1024.0
START_ABOVE = 256.0
#: An estimate whose error bound is within GOAL of the tolerance is good enough.
GOAL = 0.5
#: At most this many ladders (three steps each) per entry.
LADDERS = 6
#: A ladder whose differences do not shrink like h^2 is too large: the next is SHRINK times
#: smaller; one with a kink inside, KINK_SHRINK times.
SHRINK = 16.0
KINK_SHRINK = 64.0
#: A failure seen once is looked at again on a step CONFIRM times smaller (its truncation 16
#: times less, its noise only twice as much); a ladder whose differences look like noise beyond
#: the measured one is followed by one NOISE_GROW times larger (not by much: near f's scale of
#: variation, differences that do not shrink like h^2 look so too).
CONFIRM = 2.0
NOISE_GROW = 4.0
#: A kink is looked for at a smaller step only while its jump stays KINK_NOISE times above the
#: noise there.
KINK_NOISE = 8.0
#: A kink off x whose jump sinks into the noise at a smaller step (a joint where f'' jumps looks so
#: from afar) is looked for at a step OFF_X_SHRINK times smaller all the same.
OFF_X_SHRINK = 4.0
#: A first-pass error this many times the smooth truncation error predicted for its step, with
#: forward and backward differences disagreeing by about twice that error, was a kink nearby.
UNEXPLAINED = 10.0
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
class Task:
    """What a second look is asked: k entries (columns of the Jacobian) or directions, m outputs."""

    target: Array  # (k, m) the analytic values: the look stops once its verdict cannot change
    tol: Array  # (k, m) their tolerances
    matter: NDArray[np.bool_]  # (k, m) the outputs to estimate (those that failed)
    first: Array  # (k,) the steps of the first pass (of its central differences)
    delta: Array  # (k,) the noise table's first spacing
    floor: Array  # (k,) the smallest step
    resolution: Array  # (k,) steps below which f may not move as x does (float32 inside f)
    eps: float  # that of f's precision
    rounding: Array | None = None  # (k, m): a least noise, what rounding x + h d adds, if any


def second_look(stencil: Stencil, f0: Array, task: Task) -> Look:
    """Estimate k columns again, each with its own steps (see the module's docstring)."""
    target, tol, matter, first, floor = task.target, task.tol, task.matter, task.first, task.floor
    k, m = matter.shape
    scale = np.where(np.isfinite(f0) & (f0 != 0), np.abs(f0), 1.0)  # differences in units of f
    # a power of two (x + k delta exact), no larger than asked (the table stays in f's domain)
    measured = noisemod.measure(stencil, f0, np.exp2(np.floor(np.log2(task.delta))), scale, matter, floor=floor)
    # in units of f's scale; never below the rounding of f's result, which the table's exactly
    # representable points can miss, nor below that of the points themselves
    sig = np.maximum(measured.sigma / scale, SIGMA_FLOOR * task.eps * np.abs(f0) / scale)
    if task.rounding is not None:
        sig = np.maximum(sig, task.rounding / scale)
    state = _State(k, m, sig, matter, first, task.resolution)
    # f did not move at any spacing of the table: it does not depend on this entry (derivative 0)
    state.still = (measured.status == noisemod.FLAT) & (measured.sigma == 0)
    with np.errstate(all="ignore"):
        need = np.where(matter, START * sig * scale / tol, 0.0).max(axis=1, initial=0.0)
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
        ladder, h[cols], finite = climb(stencil, cols, h[cols], f0, scale, sig[cols], state.matter[cols])
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
        state.sig * scale,
        state.lowest,
        evaluations,
    )


class _State:
    """What the ladders have found so far, per (entry, output)."""

    def __init__(self, k: int, m: int, sig: Array, matter: NDArray[np.bool_], first: Array, resolution: Array) -> None:
        self.sig, self.matter, self.first, self.resolution = sig, matter, first, resolution
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
        # f that does not move at steps well above any resolution of x is constant there; below
        # it, it may just not see the steps (f rounds x to float32): a larger step tells
        blind = r.frozen & (4.0 * h < self.resolution[cols])[:, None]
        valid = matter & ~kink & r.smooth & ~blind
        self._take(cols, r, valid, target, tol)
        self._one_sided(cols, ld, kink)
        self.kink[cols] = kink
        self.jump[cols] = np.where(kink & r.straddled, np.abs(ld.j[0]), self.jump[cols])
        self.kink_seen[cols] = np.where(kink.any(axis=1), np.maximum(self.kink_seen[cols], h), self.kink_seen[cols])
        # noise beyond the measured sigma (differences that fall as the step grows): widen sigma
        noise_like = matter & ~kink & ~r.straddled & ((r.growth > 0) | blind)
        widen = noise_like & (r.growth > 1)
        self.sig[cols] = np.where(widen, self.sig[cols] * np.where(widen, r.growth, 1.0), self.sig[cols])
        rough = (matter & ~kink & (~r.smooth | r.straddled) & ~noise_like) | outside
        with np.errstate(all="ignore"):
            # the smallest step at which the kink's jump stays KINK_NOISE times above the noise
            least = KINK_NOISE * ld.noise(NOISE_J)[0] * h[:, None] / np.abs(ld.j[0])
            # ... but a kink at x leaves the central differences smooth (the mean of its one-sided
            # derivatives at every step); where they are not, it is off x: a step below it tells
            off_x = kink & ~r.smooth & ~r.frozen
            least = np.where(off_x, np.minimum(least, h[:, None] / OFF_X_SHRINK), least)
            least = np.where(kink, np.nan_to_num(least, nan=np.inf), 0.0).max(axis=1)
        return self._next(cols, h, kink, rough, noise_like, target, tol, r.move, least)

    def _take(self, cols: NDArray[np.intp], r: Reading, valid: NDArray[np.bool_], target: Array, tol: Array) -> None:
        """Keep the ladder's estimates that beat the best so far (see `_choice`)."""
        better, overrule, both = _choice(r, valid, self.value[cols], self.error[cols], self.step[cols], (target, tol))
        for name, new in (("value", r.value), ("error", r.error), ("step", r.step), ("truncation", r.truncation)):
            getattr(self, name)[cols] = np.where(better, new, getattr(self, name)[cols])
        self.confirmed[cols] = (self.confirmed[cols] | both) & ~overrule
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
        least: Array,
    ) -> Array:
        """The next step of each column: smaller past a kink (down to `least`, where its jump
        still shows above the noise) or where differences do not shrink like h^2; towards the
        least error bound where an output's verdict could still change; smaller, to confirm a
        failure seen once (a step too large can mislead)."""
        value, error = self.value[cols], self.error[cols]
        with np.errstate(all="ignore"):
            failing = _fails(target, value, error, tol)
            decided = (failing & self.confirmed[cols]) | (~failing & (error <= GOAL * tol))
            open_ = self.matter[cols] & ~decided & np.isfinite(error)
        # a failure seen once is looked at on a step just smaller, whose noise is not much more
        factor = np.where(failing & ~self.confirmed[cols], 1.0 / CONFIRM, move)
        want = np.where(open_, factor, np.inf)
        nxt = np.where(open_.any(axis=1), h * np.min(want, axis=1), 0.0)
        nxt = np.where(noise_like.any(axis=1), h * NOISE_GROW, nxt)
        nxt = np.where(rough.any(axis=1), h / SHRINK, nxt)
        # a kink inside: a smaller step, while the jump stays above the noise there (else the kink
        # is at x, as far as f's noise lets anyone tell)
        kinked = kink.any(axis=1)
        smaller = np.maximum(h / KINK_SHRINK, least)
        nxt = np.where(kinked, np.where(smaller <= h / 2.0, smaller, 0.0), nxt)
        # past a kink, stay below the steps that straddled it
        seen = self.kink_seen[cols]
        return np.where(kinked, nxt, np.minimum(nxt, np.where(seen > 0, seen / KINK_SHRINK, np.inf)))

    def finish(self) -> NDArray[np.bool_]:
        """Settle each output's outcome; returns where the estimate is smooth (to be looked at
        for a kink nearby that the first pass's step straddled)."""
        at = self.kink & self.matter & (self.status != SMOOTH)
        with np.errstate(all="ignore"):
            self.value[at] = (self.left[at] + self.right[at]) / 2.0
            self.error[at] = np.abs(self.right[at] - self.left[at]) / 2.0
            # one-sided derivatives that agree within their error show no jump: no kink, as far
            # as f's noise lets anyone tell (a joint where f'' jumps, seen from afar), but an
            # estimate with that error
            jumpless = at & (np.abs(self.right - self.left) <= self.side_error)
        self.error[jumpless] += self.side_error[jumpless]
        self.status[at] = np.where(jumpless[at], KINK_NEAR, KINK_AT)
        near = (self.status == SMOOTH) & (self.kink_seen[:, None] > 0)
        self.status[near] = KINK_NEAR
        nonfinite = self.matter & ~self.finite_seen
        self.status[nonfinite] = NONFINITE
        smooth: NDArray[np.bool_] = (self.status == SMOOTH) & self.matter
        return smooth


def _fails(target: Array, value: Array, error: Array, tol: Array) -> NDArray[np.bool_]:
    """Where an estimate (its value and error bound) shows the analytic `target` wrong beyond `tol`."""
    out: NDArray[np.bool_] = np.abs(target - value) > tol + error
    return out


def _choice(
    r: Reading, valid: NDArray[np.bool_], best_v: Array, best_e: Array, best_h: Array, judged: tuple[Array, Array]
) -> tuple[NDArray[np.bool_], NDArray[np.bool_], NDArray[np.bool_]]:
    """Where a ladder's estimates (`valid` of them) replace the best so far (value, error bound,
    step), where they overrule it, and where the two confirm a failure against `judged` (the
    analytic values and their tolerances). Two estimates that disagree beyond their error bounds
    cannot both be right: the smaller step's, the more local, stands. A smaller step's estimate
    that passes stands, too, over a larger step's that fails: a tableau read at steps near f's
    scale of variation can show less truncation than it holds (its h^4 term need not dominate).
    Two that agree confirm a failure only where each fails on its own."""
    target, tol = judged
    has = np.isfinite(best_e)
    with np.errstate(all="ignore"):
        agree = np.abs(r.value - best_v) <= r.error + best_e
        fails, best_fails = _fails(target, r.value, r.error, tol), _fails(target, best_v, best_e, tol)
    overrule = valid & has & (~agree | (best_fails & ~fails)) & (r.step < best_h)
    better = valid & (((r.error < best_e) & (agree | ~has)) | overrule)
    return better, overrule, valid & has & agree & fails & best_fails


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
