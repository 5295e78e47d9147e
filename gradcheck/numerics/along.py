"""Evaluating f along a direction: the points x + h d and x - h d, reused from scratch memory."""

from __future__ import annotations

import math

import numpy as np

from . import scratch, validate
from .types import Array, Function


class Along:
    """f at points along directions through x (`base`, x flattened, read only)."""

    def __init__(
        self, f: Function, base: Array, shape: tuple[int, ...], out_shape: tuple[int, ...], *, vectorized: bool
    ) -> None:
        self.f, self.base, self.shape, self.out_shape, self.vectorized = f, base, shape, out_shape, vectorized
        self._m = math.prod(out_shape)
        self._points: Array | None = None  # the points of a direction ...
        self._points_raw: Array = np.empty(0)  # ... a view of this scratch buffer

    def pairs(self, d: Array, h: Array) -> tuple[Array, Array, Array]:
        """f(x + h_r d), f(x - h_r d) for each step h_r along one direction d."""
        k, m = h.size, self._m
        fp, fm = np.empty((k, m)), np.empty((k, m))
        points, base = self._take(), self.base
        with np.errstate(all="ignore"):
            for r, hr in enumerate(h.tolist()):
                plus, minus = points[0], points[-1]
                np.multiply(d, hr, out=minus)
                if self.vectorized:
                    np.add(base, minus, out=plus)
                    np.subtract(base, minus, out=minus)
                    out = self._stack(points.reshape((2, *self.shape))).reshape(2, m)
                    fp[r], fm[r] = out[0], out[1]
                    continue
                plus += base  # x + h d
                fp[r] = self._one(plus.reshape(self.shape))
                np.subtract(base, plus, out=minus)  # x - (x + h d) = -h d ...
                minus += base  # ... and x - h d
                fm[r] = self._one(minus.reshape(self.shape))
        return fp, fm, 2.0 * h

    def rolled(self, stepped: Array, shift: int) -> Array:
        """(f(x + d) - f(x - d)) / 2 for d = np.roll(stepped, shift), without building d: the
        directional fast path, two passes over x per evaluation."""
        n, m = self.base.size, self._m
        rows = 2 if self.vectorized else 1
        points, base, cut = self._take(), self.base, n - shift
        with np.errstate(all="ignore"):
            outs = []
            for row, sign in zip((0, rows - 1), (np.add, np.subtract), strict=True):
                sign(base[:shift], stepped[cut:], out=points[row, :shift])
                sign(base[shift:], stepped[:cut], out=points[row, shift:])
                if not self.vectorized:
                    outs.append(self._one(points[row].reshape(self.shape)))
            if self.vectorized:
                both = self._stack(points.reshape((2, *self.shape))).reshape(2, m)
                outs = [both[0], both[1]]
        diff: Array = (outs[0] - outs[1]) / 2.0
        return diff

    def _take(self) -> Array:
        """The points x + h d and x - h d of a direction (one row, reused, for a black-box f;
        both for a vectorized f), from scratch memory; reused by every call."""
        rows, n = (2 if self.vectorized else 1), self.base.size
        if self._points is None:
            self._points_raw = scratch.take(rows * n)
            self._points = self._points_raw[: rows * n].reshape(rows, n)
        return self._points

    def _stack(self, points: Array) -> Array:
        """f of a stack of points, checked to be one value of f(x)'s shape per point."""
        return np.asarray(validate.stacked(self.f(points), len(points), self.out_shape), dtype=np.float64)

    def _one(self, point: Array) -> Array:
        """f at one point along a direction, checked to be of f(x)'s shape, flat."""
        value = validate.shaped(self.f(point), self.out_shape, at="at a point along a direction from x")
        return np.asarray(value, dtype=np.float64).reshape(-1)

    def release(self) -> None:
        """Give the points back to scratch memory; the next evaluation takes them again."""
        if self._points is not None:
            scratch.give(self._points_raw)
        self._points = None
