"""Directional checks: random projections of the Jacobian, and bisection to the bad entries
(verdict/directional.py turns them into a Comparison)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import stencils as numeric

Array = NDArray[np.float64]

#: Random directions compared per check. Each costs two evaluations of f, whatever x's size.
#: Each direction gives every entry an independent uniform weight in [-1, 1): one wrong entry
#: escapes a direction only if its weight is below tolerance / error (about 1e-3 for a 0.05
#: error in a 1024x1000 layer), so it escapes three with a chance of about 1e-9.
PROBES = 3
#: Blocks of at most this many entries are resolved entry by entry when localising a mismatch.
LEAF = 32
#: At most this many blocks are followed down the bisection; past that the report says the
#: mismatch is spread and names what it found in those.
MAX_BLOCKS = 8


@dataclass(frozen=True)
class Projection:
    """The analytic and numeric derivative along one direction, and its tolerance."""

    analytic: Array  # (m,): A @ d
    numeric: Array  # (m,): (f(x + t d) - f(x - t d)) / 2t
    bound: Array  # (m,): the tolerance, and the allowance for the numeric value's measured error
    forced: bool = False  # fails whatever its numbers (f has a kink at x along the direction)

    def excess(self) -> float:
        """The largest error in units of the tolerance (inf where numeric is not finite)."""
        if self.forced or not (np.all(np.isfinite(self.numeric)) and np.all(np.isfinite(self.bound))):
            return float("inf")
        return float(np.max(np.abs(self.analytic - self.numeric) / self.bound, initial=0.0))


class DirectionalCheck:
    """Compare A (m, n) with f's derivative at x along seeded random directions.

    An entrywise tolerance atol + rtol |A_ij| projects onto a direction d, for independent
    entry errors, as atol ||d||_2 + rtol ||A_i * d||_2 (errors add in quadrature), which is
    at most atol ||d||_2 + rtol ||A_i||_2 max|d|: the bound used.
    """

    def __init__(
        self, probe: numeric.Probe, analytic: Array, *, rtol: float, atol: float, step: float, seed: int
    ) -> None:
        self.probe, self.a, self.rtol, self.atol, self.step = probe, analytic, rtol, atol, step
        self.rng = np.random.default_rng(seed)
        big = probe.base.size > 0 and max(float(probe.base.max()), -float(probe.base.min())) > 1.0
        self.scale = np.maximum(1.0, np.abs(probe.base)) if big else None  # as in the full mode
        self.used_step = step  # the step of the latest plain difference (smaller where f left its domain)
        n = probe.base.size
        # One uniform draw on [-1, 1), which every direction rolls; times the step where the
        # entries need no scale (the fast path perturbs x by it directly).
        self._uniform = np.subtract(self.rng.random(n, dtype=np.float32), 0.5, dtype=np.float64)
        self._uniform *= 2.0 * step if self.scale is None else 2.0
        self._stepped = self._uniform if self.scale is None else None
        self._unit = step if self.scale is None else 1.0  # |u| / unit is uniform on [0, 1)
        self._u_norm = float(np.sqrt(self._uniform @ self._uniform)) / self._unit
        self._u_max = 1.0  # |u| < 1: a bound that costs no pass
        self._a_norm = np.sqrt(np.einsum("ij,ij->i", analytic, analytic))

    def direction(self, shift: int) -> Array:
        """Uniform on [-1, 1) per entry, times max(1, |x_i|): no entry is left out by chance.

        The direction is one uniform draw rolled by `shift`: every direction is uniform, and
        two directions give an entry independent values.
        """
        d = np.roll(self._uniform, shift)
        if self.scale is not None:
            d *= self.scale
        else:
            d /= self._unit
        return d

    def plain(self, d: Array, step: float | None = None) -> Array:
        """The numeric derivative along d by one central difference (at `step`, else the check's)."""
        value, self.used_step = self.probe.along(d, self.step if step is None else step)
        return value

    def projection(
        self, d: Array, numeric_value: Array, cols: slice = slice(None), allowance: Array | float = 0.0
    ) -> Projection:
        """Compare along d restricted to `cols`, given its numeric value and an allowance for
        that value's measured error."""
        a, dc = self.a[:, cols], d[cols]
        a_norm = self._a_norm if cols == slice(None) else np.sqrt(np.einsum("ij,ij->i", a, a))
        d_norm, d_max = float(np.sqrt(dc @ dc)), float(np.abs(dc).max(initial=0.0))
        return self._judge(a @ dc, numeric_value, d_norm, d_max, a_norm, allowance)

    def _judge(
        self, analytic: Array, numeric_value: Array, d_norm: float, d_max: float, a_norm: Array, allowance: Any = 0.0
    ) -> Projection:
        # |sum_j e_ij d_j| for errors within tolerance, added in quadrature, is at most
        # atol ||d||_2 + rtol ||A_i||_2 max|d| (no per-direction pass over A is needed).
        bound = np.maximum(self.atol * d_norm + self.rtol * a_norm * d_max, np.finfo(np.float64).tiny)
        return Projection(analytic, numeric_value, bound + allowance)

    def _rolled(self, shift: int) -> Projection | None:
        """The projection along roll(u, shift) without building the direction: f at x plus and
        minus the rolled, pre-stepped draw, and A's rows dotted with the two halves of the roll.
        None where that does not apply (scaled entries) or f left its domain (shrink instead)."""
        if self._stepped is None:
            return None
        value = self.probe.along_rolled(self._stepped, shift) / self.step
        if not np.all(np.isfinite(value)):
            return None
        u, n, a = self._uniform, self._uniform.size, self.a
        analytic = (a[:, :shift] @ u[n - shift :] + a[:, shift:] @ u[: n - shift]) / self._unit
        return self._judge(analytic, value, self._u_norm, self._u_max, self._a_norm)

    def run(self, probes: int) -> tuple[list[Projection], list[int]]:
        """All projections, and the shifts of their directions (direction(shift) builds one)."""
        results: list[Projection] = []
        shifts = []
        n = self._uniform.size
        for _ in range(probes):
            shift = int(self.rng.integers(n)) if n else 0
            p = self._rolled(shift)
            if p is None:
                d = self.direction(shift)
                p = self.projection(d, self.plain(d))
            results.append(p)
            shifts.append(shift)
        return results, shifts

    def locate(self, d: Array, value: Array, step: float, allowance: Array) -> tuple[list[int], bool]:
        """Entries of x whose columns of A are wrong, found by bisecting a failing direction.

        Only the left half of a block is evaluated: the right half's derivative is the
        block's minus the left's, as a derivative is linear in the direction. `value` is d's
        derivative at `step` (the step the second look chose along d), whose measured error
        `allowance` every block's comparison allows for. Returns the
        flat indices of the blocks to resolve entry by entry, and whether the mismatch was
        spread over more than MAX_BLOCKS blocks (then only the first are followed).
        """
        level = [(0, d.size, value)]
        spread = False
        while any(hi - lo > LEAF for lo, hi, _ in level):
            below = []
            for lo, hi, v in level:
                if hi - lo <= LEAF:
                    below.append((lo, hi, v))
                    continue
                mid = (lo + hi) // 2
                left = self.plain(_restricted(d, slice(lo, mid)), step)
                for a, b, part in ((lo, mid, left), (mid, hi, v - left)):
                    if self.projection(d, part, slice(a, b), allowance).excess() > 1.0:
                        below.append((a, b, part))
            if len(below) > MAX_BLOCKS:
                spread, below = True, below[:MAX_BLOCKS]
            level = below
        return [i for lo, hi, _ in level for i in range(lo, hi)], spread


def _restricted(d: Array, cols: slice) -> Array:
    """d with every entry outside `cols` set to zero."""
    out = np.zeros_like(d)
    out[cols] = d[cols]
    return out
