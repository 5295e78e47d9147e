"""Evaluating f around a point: the black-box loop that perturbs one copy of x in place, the
vectorized chunks (scratch memory, Fortran order, worker threads), the complex step, and points
along a direction. stencils.py turns these evaluations into derivatives."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ..options import ORDERS
from . import scratch, validate

Array = NDArray[np.float64]
Function = Callable[[NDArray[Any]], ArrayLike]  # x: real, or complex for the complex step

#: Vectorized evaluation: the perturbed points of one chunk take at most this much memory...
CHUNK_BYTES = 64 * 2**20
#: ...and, where that allows it, about this much (all workers' chunks together), so that the
#: chunks stay in the CPU cache.
CACHE_BYTES = 8 * 2**20
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
        self._buffers: list[Array] = []  # one chunk of points per worker, filled with x ...
        self._raw: list[Array] = []  # ... each a view of a scratch buffer
        self._points: Array | None = None  # the points of a direction ...
        self._points_raw: Array = np.empty(0)  # ... a view of this scratch buffer

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

    def complex_step(self, idx: NDArray[np.intp], h: Array) -> Array:
        """Im f(x + i h e_k) / h for each entry k of `idx`: derivatives exact to rounding, (k, m)."""
        k, m = idx.size, self.f0.size
        cols = np.empty((k, m))
        xc = self.x.astype(np.complex128)
        if self.vectorized:
            c = max(1, min(k, self.chunk_pairs() * 2))
            buf = np.broadcast_to(xc.reshape(-1), (c, xc.size)).copy()
            for start in range(0, k, c):
                sel, hs = idx[start : start + c], h[start : start + c]
                rows = np.arange(sel.size)
                buf[rows, sel] += 1j * hs
                out = self._complex_out(self.f(buf[: sel.size].reshape((sel.size, *self.shape))), sel.size)
                buf[rows, sel] = xc.reshape(-1)[sel]
                cols[start : start + sel.size] = out.imag.reshape(sel.size, m) / hs[:, None]
            return cols
        flat = xc.reshape(-1)
        for r, (i, hi) in enumerate(zip(idx.tolist(), h.tolist(), strict=True)):
            flat[i] += 1j * hi
            cols[r] = self._complex_out(self.f(xc)).imag.reshape(-1) / hi
            flat[i] = self.flat[i]
        return cols

    def _complex_out(self, out: ArrayLike, points: int | None = None) -> NDArray[np.complexfloating]:
        """What f returned at complex points (a stack of `points`, or one): complex, of f(x)'s shape."""
        if points is None:
            arr = validate.shaped(out, self.out_shape, at="at x + ih (complex step)", complex_ok=True)
        else:
            arr = validate.stacked(out, points, self.out_shape, complex_ok=True)
        if not np.iscomplexobj(arr):
            raise SchemeError(
                "scheme 'complex' needs a function that accepts complex input and keeps it complex; "
                f"f returned {arr.dtype} (use scheme 'central4' or 'richardson' instead)"
            )
        return arr

    # -- evaluating f on both sides of x ----------------------------------------------

    def pairs(self, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
        """f(x + h_r e_i), f(x - h_r e_i) for each (i, h_r), and the represented widths."""
        if self.vectorized:
            return self._pairs_batched(idx, h)
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

    def _stack(self, points: Array) -> Array:
        """f of a stack of points, checked to be one value of f(x)'s shape per point."""
        return np.asarray(validate.stacked(self.f(points), len(points), self.out_shape), dtype=np.float64)

    def _one(self, point: Array) -> Array:
        """f at one point along a direction, checked to be of f(x)'s shape, flat."""
        value = validate.shaped(self.f(point), self.out_shape, at="at a point along a direction from x")
        return np.asarray(value, dtype=np.float64).reshape(-1)

    def chunk_pairs(self) -> int:
        """How many (x + h, x - h) pairs one vectorized chunk holds (each worker has a chunk;
        the workers' chunks share the bound and, where they can, the cache)."""
        pair_bytes = 2 * 8 * max(1, self.flat.size + self.f0.size)  # an empty x and f(x) hold nothing
        bound = self.chunk_bytes // self.workers
        return max(1, min(bound, max(CACHE_BYTES // self.workers, 2 * pair_bytes)) // pair_bytes)

    def _axes(self) -> tuple[int, ...]:
        """The axes that turn a chunk's rows (C-ordered, of x's reversed shape in order F) into
        points of x's shape; () where the rows already are points."""
        if self.order == "C" or len(self.shape) < 2:
            return ()
        return (0, *range(len(self.shape), 0, -1))

    def _pairs_batched(self, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
        axes = self._axes()
        if not axes:
            return self._pairs_chunked(idx, idx, None, h, axes)
        # Fortran order: entry i of x lies at cell pos(i) of a row. The cells go in memory order,
        # so that consecutive ones lie on diagonals of the chunk again; dest maps them back.
        n, rev = self.flat.size, axes[1:]
        if idx.size == n and np.array_equal(idx, np.arange(n)):  # every entry: every cell
            dest = np.arange(n).reshape(self.shape).transpose(tuple(a - 1 for a in rev)).reshape(-1)
            return self._pairs_chunked(idx, idx, dest, h, axes)
        cells = np.ravel_multi_index(np.unravel_index(idx, self.shape)[::-1], self.shape[::-1])
        dest = np.argsort(cells, kind="stable")
        return self._pairs_chunked(cells[dest], idx, dest, h, axes)

    def _pairs_chunked(
        self,
        cells: NDArray[np.intp],
        idx: NDArray[np.intp],
        dest: NDArray[np.intp] | None,
        h: Array,
        axes: tuple[int, ...],
    ) -> tuple[Array, Array, Array]:
        """f on both sides of x's entries: the r-th pair perturbs cell cells[r] of a chunk's
        row, which is entry idx[dest[r]] of x (idx[r] where dest is None), with its step h, and
        fills row dest[r] (r) of the results."""
        k, m = idx.size, self.f0.size
        c = min(self.chunk_pairs(), max(k, 1))
        fp, fm, width = np.empty((k, m)), np.empty((k, m)), np.empty(k)
        shape = self.shape[::-1] if axes else self.shape
        flat = self.flat

        def points(buf: Array, rows: int) -> Array:
            stacked = buf[:rows].reshape((rows, *shape))
            return stacked.transpose(axes) if axes else stacked

        starts = list(range(0, k, c))
        workers = min(self.workers, len(starts))

        n = self.flat.size
        for w in range(max(workers, 1)):
            if w == len(self._buffers) or self._buffers[w].shape[0] < 2 * c:
                self._fresh_chunk(w, 2 * c, shape, axes)

        # The workers take chunks in turn as they finish one, so a core that runs slower (shared
        # with other work) takes fewer of them; a worker that fails stops the others.
        pending, lock, failed = iter(starts), threading.Lock(), threading.Event()

        def next_start() -> int | None:
            with lock:
                return None if failed.is_set() else next(pending, None)

        def work(worker: int) -> None:
            try:
                run(worker)
            except BaseException:
                failed.set()
                raise

        def run(worker: int) -> None:
            buf = self._buffers[worker]  # holds x; only the perturbed entries change, then go back
            memory = buf.reshape(-1)
            with np.errstate(all="ignore"):
                while (start := next_start()) is not None:
                    end = min(k, start + c)
                    sel, j = cells[start:end], end - start
                    out_rows = slice(start, end) if dest is None else dest[start:end]
                    xi, hs = flat[idx[out_rows]], h[out_rows]
                    up, down = xi + hs, xi - hs
                    if sel[-1] - sel[0] == j - 1:
                        # Consecutive cells: point r perturbs cell sel[0] + r, so the cells lie
                        # on a diagonal of the chunk, a strided view (no fancy indexing).
                        first = int(sel[0])
                        plus = memory[first : first + j * (n + 1) : n + 1]
                        minus = memory[j * n + first : j * n + first + j * (n + 1) : n + 1]
                        plus[...], minus[...] = up, down
                        out = self._stack(points(buf, 2 * j))
                        plus[...], minus[...] = xi, xi
                    else:
                        rows = np.arange(j)
                        buf[rows, sel], buf[j + rows, sel] = up, down
                        out = self._stack(points(buf, 2 * j))
                        buf[rows, sel], buf[j + rows, sel] = xi, xi
                    width[out_rows] = up - down
                    out = out.reshape(2 * j, m)
                    fp[out_rows], fm[out_rows] = out[:j], out[j:]

        if workers <= 1:
            run(0)
        else:  # this thread is worker 0
            with ThreadPoolExecutor(workers - 1) as pool:
                others = [pool.submit(work, w) for w in range(1, workers)]
                work(0)
                for other in others:
                    other.result()
        return fp, fm, width

    def _fresh_chunk(self, worker: int, rows: int, shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
        """Give worker a chunk of `rows` points, each x laid out as `shape` (x's own shape, or its
        reversed one for Fortran order: then x transposed), from scratch memory."""
        n = self.flat.size
        raw = scratch.take(rows * n)
        chunk = raw[: rows * n].reshape(rows, n)
        chunk[0].reshape(shape)[...] = self.x.transpose([a - 1 for a in axes[1:]]) if axes else self.x
        chunk[1:] = chunk[0]  # the other rows copy the first: contiguous, where x.T would be strided
        if worker == len(self._buffers):
            self._buffers.append(chunk)
            self._raw.append(raw)
        else:
            scratch.give(self._raw[worker])
            self._buffers[worker], self._raw[worker] = chunk, raw

    def pairs_along(self, d: Array, h: Array) -> tuple[Array, Array, Array]:
        """f(x + h_r d), f(x - h_r d) for each step h_r along one direction d."""
        k, m = h.size, self.f0.size
        fp, fm = np.empty((k, m)), np.empty((k, m))
        points, base = self._along_points(), self.base
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

    def along_rolled(self, stepped: Array, shift: int) -> Array:
        """(f(x + d) - f(x - d)) / 2 for d = np.roll(stepped, shift), without building d: the
        directional fast path, two passes over x per evaluation."""
        n, m = self.base.size, self.f0.size
        rows = 2 if self.vectorized else 1
        points, base, cut = self._along_points(), self.base, n - shift
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

    def _along_points(self) -> Array:
        """The points x + h d and x - h d of a direction (one row, reused, for a black-box f;
        both for a vectorized f), from scratch memory; reused by every call."""
        rows, n = (2 if self.vectorized else 1), self.base.size
        if self._points is None:
            self._points_raw = scratch.take(rows * n)
            self._points = self._points_raw[: rows * n].reshape(rows, n)
        return self._points

    def release(self) -> None:
        """Give the chunk buffers and the points of a direction back (to scratch memory); the
        next evaluation takes them again."""
        for raw in [*self._raw, *([] if self._points is None else [self._points_raw])]:
            scratch.give(raw)
        self._buffers, self._raw, self._points = [], [], None
