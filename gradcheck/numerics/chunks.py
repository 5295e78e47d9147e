"""Vectorized evaluation: f handed chunks of perturbed points stacked on a leading axis, from scratch
memory, each point in C or Fortran order, evaluated by one or more worker threads."""

from __future__ import annotations

import math
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray

from . import scratch, validate
from .types import Array, Function

#: Vectorized evaluation: the perturbed points of one chunk take at most this much memory...
CHUNK_BYTES = 64 * 2**20
#: ...and, where that allows it, about this much (all workers' chunks together), so that the
#: chunks stay in the CPU cache.
CACHE_BYTES = 8 * 2**20


def chunk_pairs(n: int, m: int, chunk_bytes: int, workers: int) -> int:
    """How many (x + h, x - h) pairs of an x of n entries and an f(x) of m one chunk holds (each
    worker has a chunk; the workers' chunks share the bound and, where they can, the cache)."""
    pair_bytes = 2 * 8 * max(1, n + m)  # an empty x and f(x) hold nothing
    bound = chunk_bytes // workers
    return max(1, min(bound, max(CACHE_BYTES // workers, 2 * pair_bytes)) // pair_bytes)


class Chunks:
    """The perturbed points of a vectorized f: each worker's chunk holds x in every row, and only
    the perturbed entries change (then go back)."""

    def __init__(
        self,
        f: Function,
        flat: Array,
        shape: tuple[int, ...],
        out_shape: tuple[int, ...],
        *,
        order: str,
        workers: int,
        chunk_bytes: int,
    ) -> None:
        """`flat` is x flattened (read only here), of `shape`; f(x) has `out_shape`."""
        self.f, self.flat, self.shape, self.out_shape, self.order = f, flat, shape, out_shape, order
        self._m = math.prod(out_shape)
        self.workers, self.chunk_bytes = workers, chunk_bytes
        self._buffers: list[Array] = []  # one chunk of points per worker, filled with x ...
        self._raw: list[Array] = []  # ... each a view of a scratch buffer

    def _axes(self) -> tuple[int, ...]:
        """The axes that turn a chunk's rows (C-ordered, of x's reversed shape in order F) into
        points of x's shape; () where the rows already are points."""
        if self.order == "C" or len(self.shape) < 2:
            return ()
        return (0, *range(len(self.shape), 0, -1))

    def pairs(self, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
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
        k, m = idx.size, self._m
        c = min(chunk_pairs(self.flat.size, m, self.chunk_bytes, self.workers), max(k, 1))
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
        n, x = self.flat.size, self.flat.reshape(self.shape)
        raw = scratch.take(rows * n)
        chunk = raw[: rows * n].reshape(rows, n)
        chunk[0].reshape(shape)[...] = x.transpose([a - 1 for a in axes[1:]]) if axes else x
        chunk[1:] = chunk[0]  # the other rows copy the first: contiguous, where x.T would be strided
        if worker == len(self._buffers):
            self._buffers.append(chunk)
            self._raw.append(raw)
        else:
            scratch.give(self._raw[worker])
            self._buffers[worker], self._raw[worker] = chunk, raw

    def _stack(self, points: Array) -> Array:
        """f of a stack of points, checked to be one value of f(x)'s shape per point."""
        return np.asarray(validate.stacked(self.f(points), len(points), self.out_shape), dtype=np.float64)

    def release(self) -> None:
        """Give the chunks back to scratch memory; the next evaluation takes them again."""
        for raw in self._raw:
            scratch.give(raw)
        self._buffers, self._raw = [], []
