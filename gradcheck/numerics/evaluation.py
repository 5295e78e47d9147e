"""Evaluating f around a point: the black-box loop that perturbs one copy of x in place, the
vectorized chunks (scratch memory, Fortran order, worker threads), the complex step, and points
along a direction. stencils.py turns these evaluations into derivatives."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ..options import ORDERS
from . import validate
from .along import Along
from .chunks import CHUNK_BYTES, Chunks
from .types import Array, Function

#: The black-box loop converts this many entries at a time to Python floats.
LOOP_BLOCK = 1024


def _flat(value: object) -> NDArray[Any]:
    """f's value in the black-box loop, flat. Not numbers (None, which NumPy would turn into NaN,
    strings, objects) is a TypeError, which the loop's caller turns into what f returned."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iufc":
        raise TypeError("f returned something other than numbers")
    return arr.reshape(-1)


class SchemeError(ValueError):
    """The function cannot be differentiated by the scheme asked for."""


def working_dtype(dtype: DTypeLike) -> np.dtype:
    """Precision in which derivatives are estimated: float64, or the output's lower precision."""
    if np.issubdtype(dtype, np.floating) and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        return np.dtype(dtype)
    return np.dtype(np.float64)


class Evaluator:
    """`f` near a point x. The black-box path perturbs a private float64 copy of x in place;
    the vectorized path hands f a chunk of perturbed points stacked on a leading axis."""

    def __init__(
        self,
        f: Function,
        x: ArrayLike,
        *,
        vectorized: bool = False,
        chunk_bytes: int = CHUNK_BYTES,
        workers: int = 1,
        order: str = "C",
    ) -> None:
        validate.function("f", f)
        x_arr = validate.point(x)
        self.order = validate.choice("order", order, ORDERS)
        self.f = f
        self.vectorized = validate.flag("vectorized", vectorized)
        self.chunk_bytes = validate.integer("chunk_bytes", chunk_bytes, minimum=1)
        self.workers = validate.integer("workers", workers, minimum=1)
        self.shape: tuple[int, ...] = x_arr.shape
        self._given = x_arr
        self._copy: Array | None = None  # made on first use of x (only paths that perturb in place)
        # x flat, for paths that only read it: the caller's own array (as a read-only view)
        # where it already is float64 in C order, else the private copy
        if x_arr.dtype == np.float64 and x_arr.flags.c_contiguous:
            self.base: Array = x_arr.reshape(-1).view()
            self.base.flags.writeable = False
        else:
            self.base = self.flat
        with np.errstate(all="ignore"):
            out = validate.output(f(self.base.reshape(self.shape)))
        self.out_shape: tuple[int, ...] = out.shape
        self.out_dtype = out.dtype if np.issubdtype(out.dtype, np.floating) else np.dtype(np.float64)
        self.f0 = np.asarray(out.real if np.iscomplexobj(out) else out, dtype=np.float64).reshape(-1)
        self.finite0 = np.isfinite(self.f0)
        # The precision f really computes in: its output's, or x's own where f rounds a
        # float64 x to x's lower precision before computing (and returns a Python float).
        self.precision = working_dtype(self.out_dtype)
        if self.precision == np.float64 and working_dtype(x_arr.dtype) != np.float64 and self._rounds_input():
            self.precision = working_dtype(x_arr.dtype)
        self.eps = float(np.finfo(self.precision).eps)
        self._chunks: Chunks | None = None  # the vectorized chunks, made on first use
        self._directions: Along | None = None  # the points along a direction, made on first use

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def x(self) -> Array:
        """A private float64 copy of x in C order, perturbed in place by the black-box path."""
        if self._copy is None:
            # C order, so that reshape(-1) is a view (for a Fortran-ordered x it would be a copy)
            self._copy = np.array(self._given, dtype=np.float64, copy=True, order="C")
        return self._copy

    @property
    def flat(self) -> Array:
        """x flattened: a view, so that writing flat[i] perturbs x."""
        return self.x.reshape(-1)

    def _rounds_input(self) -> bool:
        """Whether f ignores a change of x below float32's resolution but not a larger one."""
        scale = np.maximum(1.0, np.abs(self.x))
        with np.errstate(all="ignore"):
            tiny = np.asarray(self.f(self.x + 1e-10 * scale), dtype=np.float64).reshape(-1)
            small = np.asarray(self.f(self.x + 1e-3 * scale), dtype=np.float64).reshape(-1)
        return bool(np.array_equal(tiny, self.f0) and not np.array_equal(small, self.f0))

    # -- evaluating f on both sides of x ----------------------------------------------

    def pairs(self, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
        """f(x + h_r e_i), f(x - h_r e_i) for each (i, h_r), and the represented widths."""
        if self.vectorized:
            if self._chunks is None:
                self._chunks = Chunks(
                    self.f,
                    self.flat,
                    self.shape,
                    self.out_shape,
                    order=self.order,
                    workers=self.workers,
                    chunk_bytes=self.chunk_bytes,
                )
            return self._chunks.pairs(idx, h)
        try:
            return self._pairs_loop(idx, h)
        except (TypeError, ValueError):  # f's own error, or what it returned at a perturbed point
            problem = validate.returned_when_moved(self.f, self.x, np.asarray(self._given), self.out_shape)
            if problem is None:
                raise
            raise problem from None

    def _pairs_loop(self, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
        k, m = idx.size, self.f0.size
        fp, fm, width = np.empty((k, m)), np.empty((k, m)), np.empty(k)
        flat, f, x = self.flat, self.f, self.x
        scalar = self.out_shape == ()
        fp_s, fm_s = fp.reshape(-1), fm.reshape(-1)  # for a scalar f: one slot per row
        with np.errstate(all="ignore"):
            # Python floats are fastest in the loop; made a block at a time, they cost no memory.
            for start in range(0, k, LOOP_BLOCK):
                block = slice(start, start + LOOP_BLOCK)
                entries, xs, hs = idx[block].tolist(), flat[idx[block]].tolist(), h[block].tolist()
                widths = width[block]
                for r, (i, xi, hi) in enumerate(zip(entries, xs, hs, strict=True), start=start):
                    up, down = xi + hi, xi - hi
                    flat[i] = up
                    if scalar:
                        fp_s[r] = f(x)
                        flat[i] = down
                        fm_s[r] = f(x)
                    else:
                        fp[r] = _flat(f(x))
                        flat[i] = down
                        fm[r] = _flat(f(x))
                    flat[i] = xi
                    widths[r - start] = up - down
        return fp, fm, width

    def pairs_along(self, d: Array, h: Array) -> tuple[Array, Array, Array]:
        """f(x + h_r d), f(x - h_r d) for each step h_r along one direction d."""
        return self._along().pairs(d, h)

    def along_rolled(self, stepped: Array, shift: int) -> Array:
        """(f(x + d) - f(x - d)) / 2 for d = np.roll(stepped, shift), without building d: the
        directional fast path, two passes over x per evaluation."""
        return self._along().rolled(stepped, shift)

    def _along(self) -> Along:
        if self._directions is None:
            self._directions = Along(self.f, self.base, self.shape, self.out_shape, vectorized=self.vectorized)
        return self._directions

    def release(self) -> None:
        """Give the chunk buffers and the points of a direction back (to scratch memory); the
        next evaluation takes them again."""
        if self._chunks is not None:
            self._chunks.release()
        if self._directions is not None:
            self._directions.release()
