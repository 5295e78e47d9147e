"""A ladder of central differences: f at x +- h, 2h, 4h along an entry or a direction, and what
they say (numerics/secondlook.py climbs them): whether forward and backward differences straddle
a kink, whether the central ones shrink like h^2 as a smooth f's must, and Richardson's estimate
with its measured error bound."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .noise import Stencil
from .types import Array

#: The noise of one central difference D(h) is bounded by NOISE_D sigma / h (about four standard
#: deviations of (e+ - e-) / 2h, with room for sigma's own error); that of the forward minus the
#: backward difference, (f(x+h) - 2 f(x) + f(x-h)) / h, by NOISE_J sigma / h.
NOISE_D = 3.0
NOISE_J = 10.0
#: Forward and backward differences that stay within this factor as the step halves (instead of
#: halving with it) straddle a kink ...
KINK_RATIO = 0.7
#: ... and ones that grow faster than this factor as the step halves move in steps (noise, or a jump).
JUMPY = 1.6
#: Differences that shrink by less than this factor as the step halves (2 is O(h), 4 is O(h^2))
#: converge like h, not h^2: the stencils straddle a joint where f'' jumps. (Those that shrink
#: faster than h^2, up to 8 times per halving, still count: where only D(4h) straddles a kink or
#: joint, R(h) is clean and its bound, from R(2h), the larger.)
LINEAR = 2.0**1.5
#: Richardson's error bound is this many times the truncation error its tableau implies.
RICHARDSON_SAFETY = 3.0
#: Measured noise is trusted to within this factor: differences up to this many times their
#: noise bound that fall as the step grows widen it; larger ones say the step is too large.
UNDERESTIMATE = 30.0
#: The step where a ladder's error bound would be least is looked for at most MOVE times either
#: way; where its truncation error is below its noise, the next ladder is GROW times larger (two:
#: consecutive ladders share steps, so an estimate at a step near f's scale of variation, whose
#: tableau can show less truncation than it holds, meets a smaller step's that it must agree with).
MOVE = 64.0
GROW = 2.0
#: A step that left f's domain (a non-finite value) shrinks by DOMAIN_SHRINK, at most MAX_SHRINKS times.
DOMAIN_SHRINK = 8.0
MAX_SHRINKS = 16


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


def climb(
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
        # ... but growing like 1 / h as h falls: f moves in steps of its own (noise above the
        # measured sigma, or a jump), not a kink, whose jump in slope is bounded
        jumpy = straddled & (j[0] - nj[0] > JUMPY * (j[1] + nj[1]))
        straddled &= ~jumpy
        # below a step that straddled a kink, they must drop well below its jump to show a step
        # on one side of it; within noise of it, the kink is still there
        persists = (jump > 0) & (j[0] + nj[0] > jump / 4.0) & matter
        # ... unless they grow with the step beyond noise, as h f'' does and a kink's jump does not:
        # the curvature of one side, below a joint where f'' jumps that looked like a kink from afar
        grows = np.sign(ld.j[2]) * (ld.j[2] - ld.j[0]) > nj[0] + nj[2]
        persists &= ~(grows & (np.sign(ld.j[1]) == np.sign(ld.j[2])))
        d1, d2 = ld.d[1] - ld.d[0], ld.d[2] - ld.d[1]
        n1, n2 = nd[0] + nd[1], nd[1] + nd[2]
        a1, a2 = np.abs(d1), np.abs(d2)
        noisy = (a1 <= n1) & (a2 <= n2)
        lo = (a2 - n2) / (a1 + n1)
        hi = (a2 + n2) / np.maximum(a1 - n1, np.finfo(np.float64).tiny)
        same = (np.sign(d1) == np.sign(d2)) | (a1 <= n1) | (a2 <= n2)
        smooth = noisy | (same & (lo <= 8.0) & (hi >= LINEAR))  # D(4h) - D(2h) = 4 (D(2h) - D(h))
        smooth &= ~_joint(ld, straddled | jumpy, a2 > 16.0 / LINEAR * a1)
        frozen = np.all(ld.fwd == 0, axis=0) & np.all(ld.bwd == 0, axis=0) & ~still
        # Richardson's R(h) = (4 D(h) - D(2h)) / 3: its h^4 term is a 15th of R(2h) - R(h) (with
        # that difference's noise, 2 NOISE_D sigma / h), taken RICHARDSON_SAFETY times, plus its
        # own noise (4/3 of D(h)'s); or D(4h), whose h^2 term is 4/3 of D(4h) - D(2h), if that
        # bound is less
        r0 = (4.0 * ld.d[0] - ld.d[1]) / 3.0
        r1 = (4.0 * ld.d[1] - ld.d[2]) / 3.0
        noise_r = 1.4 * nd[0]
        err_r = RICHARDSON_SAFETY * (np.abs(r0 - r1) + 2.0 * nd[0]) / 15.0 + noise_r
        # differences beyond noise that shrink more like h than h^2 (though noise allows h^2):
        # the order is in doubt, and the bound allows for any geometric rate rho from lo on
        # (R is off by (1 / (rho - 1) - 1/3) (D(2h) - D(h)), at most 2/3 of it from rho = 2 on)
        doubt = ~noisy & same & (a2 < LINEAR * a1)
        err_r = np.where(doubt, np.maximum(err_r, _any_order(lo) * (a1 + n1) + noise_r), err_r)
        err_d = (4.0 / 3.0) * (a2 + n2) + nd[2]
        use_d = (err_d < err_r) & ~doubt
        # R(h) - R(2h) beyond its own noise is truncation; where none shows, a larger step will do
        trunc = RICHARDSON_SAFETY * np.maximum(np.abs(r0 - r1) - 2.0 * nd[0], 0.0) / 15.0
        best = (noise_r / (4.0 * trunc)) ** 0.2  # where t h^4 + n / h is least, over h
        move = np.clip(np.nan_to_num(best, nan=GROW, posinf=GROW), 1.0 / MOVE, MOVE)
        # differences that fall as h grows, and within UNDERESTIMATE of the noise bound: noise
        # above the measured sigma (further off, f varies on a smaller scale than h)
        ratio = np.where(n1 > 0, a1 / n1, 1.0)
        growth = ratio * ((a1 > 1.5 * a2) & ~smooth & (ratio <= UNDERESTIMATE))
        # forward minus backward differences that grow like 1 / h: noise of at least J h / NOISE_J
        growth = np.where(jumpy, np.maximum(growth, np.minimum(j[0] / nj[0], UNDERESTIMATE)), growth)
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


def _joint(ld: Ladder, kinked: NDArray[np.bool_], steep: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """Where the second differences S(h) = (f(x+h) - 2 f(x) + f(x-h)) / h^2 change beyond noise
    and not like h^2 (by LINEAR times less from 4h to 2h than 4 times it would), or change beyond
    noise from h to 2h where the central differences shrink `steep`ly (more than 16 / LINEAR times
    per halving): the stencils straddle a joint where f'' jumps (f C1 there). Their central
    differences can then shrink like h^2, or faster, over a ladder just above the joint's distance
    while still off by O(h); S, a mixture of the two sides' f'', shows it. (Where only D(4h)
    straddles, S(h) and S(2h) agree and R(h) is clean.) Not where f' jumps or f moves in steps:
    `kinked`."""
    scale = np.array([1.0, 2.0, 4.0])[:, None, None]
    s = ld.j / scale  # h S(h), h S(2h), h S(4h)
    ns = ld.noise(NOISE_J) / scale
    e1, e2 = np.abs(s[1] - s[0]), np.abs(s[2] - s[1])
    m1, m2 = ns[0] + ns[1], ns[1] + ns[2]
    out: NDArray[np.bool_] = (e1 > m1) & ((e2 + m2 < LINEAR * (e1 - m1)) | steep) & ~kinked
    return out


def _any_order(lo: Array) -> Array:
    """How many times D(2h) - D(h) Richardson's R(h) may be off where D converges geometrically
    with a ratio of at least `lo` (clipped to 1.5 .. 2) per doubling of h: 1 / (rho - 1) - 1/3."""
    rho = np.clip(np.nan_to_num(lo, nan=1.5), 1.5, 2.0)
    out: Array = 1.0 / (rho - 1.0) - 1.0 / 3.0
    return out
