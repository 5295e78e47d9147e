"""Where a failing check's mismatched entries lie: a small grid laid out by the Jacobian's axes,
carried by its Comparison, drawn as text in the report (maptext.py) and as a heatmap (heatmap.py).

The layout: one block per entry of f, laid out like x (x's last axis across, its others down),
the blocks side by side along f's last axis and stacked along its others; so dS/dW of shape
(K, n, K) is K blocks of n x K, and a gradient is x's own shape. Where f and x are vectors, or
have the same shape (S(Z) of a batch, (B, K, B, K)), the Jacobian is a matrix, f's entries down
and x's across, in blocks by the first axis of each: one diagonal block per sample.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: The grid a Comparison carries: at most this many cells down and across, whatever the
#: Jacobian's size (the resolution of the heatmap; the report's map is coarser).
GRID_ROWS = 96
GRID_COLS = 192
#: Index letters of f's axes and of x's axes, in the map's labels.
OUT_LETTERS = "abcdefgh"
IN_LETTERS = "ijklmnpq"

Grid = NDArray[np.int32]


@dataclass(frozen=True)
class Dim:
    """One direction of the map, rows or columns: blocks along the Jacobian's `outer` axes, each
    laid out along its `inner` axes; one cell spans `outer_bin` blocks and `inner_bin` entries."""

    outer: tuple[int, ...]
    inner: tuple[int, ...]
    outer_size: int
    inner_size: int
    outer_bin: int = 1
    inner_bin: int = 1

    @property
    def cells(self) -> tuple[int, int]:
        """(cells along the outer axes, cells along the inner axes)."""
        return -(-self.outer_size // self.outer_bin), -(-self.inner_size // self.inner_bin)

    @property
    def blocks(self) -> bool:
        """Whether the cells fall into blocks of several cells, drawn apart."""
        return self.outer_size > 1 and self.outer_bin == 1 and self.cells[1] > 1

    @property
    def binned(self) -> bool:
        return self.outer_bin > 1 or self.inner_bin > 1

    def fit(self, cap: int, gap: int) -> tuple[Dim, tuple[int, int]]:
        """This direction with cells merged so that they, and `gap` between blocks, fit in `cap`;
        and how many cells (outer, inner) each new cell merges."""
        outer, inner = self.cells
        per_block = (cap - (outer - 1) * gap) // outer
        if not self.blocks:  # one run of cells: along the inner axes, or of whole blocks
            factors = (1, -(-inner // cap)) if outer == 1 else (-(-outer // cap), 1)
        elif outer * inner + (outer - 1) * gap <= cap:
            factors = (1, 1)
        elif per_block >= 2:  # a few cells per block
            factors = (1, -(-inner // per_block))
        else:  # a cell per block, or per few blocks
            factors = (-(-outer // cap), inner)
        merged = dataclasses.replace(self, outer_bin=self.outer_bin * factors[0], inner_bin=self.inner_bin * factors[1])
        return merged, factors

    def spans(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """How many blocks each outer cell spans, and how many entries each inner cell."""
        return _spans(self.outer_size, self.outer_bin), _spans(self.inner_size, self.inner_bin)

    def cell_entries(self) -> NDArray[np.int64]:
        """Entries per cell along this direction, outer cells major."""
        outer, inner = self.spans()
        return np.outer(outer, inner).reshape(-1)


def _spans(size: int, step: int) -> NDArray[np.int64]:
    starts = np.arange(0, size, step)
    return np.minimum(starts + step, size) - starts


@dataclass(frozen=True)
class MismatchMap:
    """A failing check's mismatches on a grid of at most GRID_ROWS x GRID_COLS cells. The grids
    have axes (row blocks, rows in a block, column blocks, columns in a block), in cells."""

    shape: tuple[int, ...]  # the Jacobian's: f(x).shape + x.shape
    out_ndim: int
    of: str
    wrt: str
    rows: Dim
    cols: Dim
    counts: Grid  # mismatched entries per cell
    ratio: NDArray[np.float32]  # the largest |analytic - numeric| / tolerance per cell; NaN: not known
    located: bool = False  # only the entries the directional mode located are known

    def fit(self, rows: int, cols: int, gap: int = 0) -> MismatchMap:
        """The same map with cells merged to fit `rows` x `cols` (with `gap` between blocks)."""
        row_dim, (ro, ri) = self.rows.fit(rows, gap)
        col_dim, (co, ci) = self.cols.fit(cols, gap)
        counts, ratio = self.counts, self.ratio
        for axis, factor in enumerate((ro, ri, co, ci)):
            if factor > 1:
                starts = np.arange(0, counts.shape[axis], factor)
                counts = np.add.reduceat(counts, starts, axis=axis)
                ratio = np.fmax.reduceat(ratio, starts, axis=axis)
        return dataclasses.replace(self, rows=row_dim, cols=col_dim, counts=counts, ratio=ratio)

    def image(self) -> tuple[Grid, NDArray[np.float32]]:
        """(counts, ratio) as 2-D arrays: a row of cells per map row, a column per map column."""
        ro, ri, co, ci = self.counts.shape
        return self.counts.reshape(ro * ri, co * ci), self.ratio.reshape(ro * ri, co * ci)

    def entries(self) -> NDArray[np.int64]:
        """Entries per cell, as a 2-D array like image()'s."""
        return np.outer(self.rows.cell_entries(), self.cols.cell_entries())

    def letter(self, axis: int) -> str:
        """The index letter of a Jacobian axis: a, b, ... for f's axes; i, j, ... for x's."""
        pool, k = (OUT_LETTERS, axis) if axis < self.out_ndim else (IN_LETTERS, axis - self.out_ndim)
        return pool[k] if k < len(pool) else f"{pool[-1]}{k}"

    def template(self) -> str:
        """The entries' name with index letters: `dS[a]/dW[i, j]`, or `W[i, j]` for a gradient."""

        def named(name: str, axes: range) -> str:
            return f"{name}[{', '.join(self.letter(a) for a in axes)}]" if len(axes) else name

        wrt = named(self.wrt, range(self.out_ndim, len(self.shape)))
        return f"d{named(self.of, range(self.out_ndim))}/d{wrt}" if self.out_ndim else wrt

    def label(self, axes: Sequence[int], start: int, stop: int) -> str:
        """`i=3`, `i=0-32` or `(i,j)=(0,0)-(1,4)`: the entries [start, stop) along `axes`, flattened."""
        if not axes:
            return ""
        sizes = tuple(self.shape[a] for a in axes)
        names = [self.letter(a) for a in axes]

        def at(flat: int) -> str:
            idx = np.unravel_index(flat, sizes)
            return str(int(idx[0])) if len(sizes) == 1 else f"({','.join(str(int(i)) for i in idx)})"

        head = names[0] if len(names) == 1 else f"({','.join(names)})"
        return f"{head}={at(start)}" + (f"-{at(stop - 1)}" if stop - start > 1 else "")

    def cell_label(self, dim: Dim, outer: bool, first: int, last: int | None = None) -> str:
        """The label of the cells first..last (default: first only) along the outer or inner
        axes of a direction: `a=2`, `i=0-32`."""
        axes, size, step = (
            (dim.outer, dim.outer_size, dim.outer_bin) if outer else (dim.inner, dim.inner_size, dim.inner_bin)
        )
        return self.label(axes, first * step, min(((first if last is None else last) + 1) * step, size))

    def owner(self, axis: int) -> str:
        """The name of the array a Jacobian axis indexes: f's or x's."""
        return self.of if axis < self.out_ndim else self.wrt


def layout(shape: tuple[int, ...], out_ndim: int) -> tuple[Dim, Dim]:
    """The rows and columns of a Jacobian of `shape` (f(x).shape + x.shape), entry by entry."""
    out = tuple(range(out_ndim))
    x = tuple(range(out_ndim, len(shape)))
    if out and (len(x) == len(out) == 1 or shape[:out_ndim] == shape[out_ndim:]):  # f's entries down, x's across
        groups = ((out[:1], out[1:]), (x[:1], x[1:]))
    else:  # a block per entry of f, laid out like x
        groups = ((out[:-1], x[:-1]), (out[-1:], x[-1:]))
    dims = []
    for outer, inner in groups:
        if math.prod(shape[a] for a in inner) == 1:  # a single entry per block: no blocks
            outer, inner = (), outer + inner
        dims.append(Dim(outer, inner, math.prod(shape[a] for a in outer), math.prod(shape[a] for a in inner)))
    return dims[0], dims[1]


def _four(a: NDArray[np.generic], rows: Dim, cols: Dim) -> NDArray[np.generic]:
    """A Jacobian-shaped array viewed with axes (row blocks, rows, column blocks, columns)."""
    groups = (rows.outer, rows.inner, cols.outer, cols.inner)
    present = sorted((g for g in range(4) if groups[g]), key=lambda g: groups[g][0])
    view = a.reshape([math.prod(a.shape[ax] for ax in groups[g]) for g in present] + [1] * (4 - len(present)))
    source = present + [g for g in range(4) if not groups[g]]
    return view.transpose([source.index(g) for g in range(4)])


def build(over: NDArray[np.bool_], ratio: NDArray[np.floating] | None, out_ndim: int, of: str, wrt: str) -> MismatchMap:
    """The map of a full comparison: `over` marks the mismatched entries, `ratio` holds
    |analytic - numeric| / tolerance for every entry (None: not known, e.g. non-finite entries)."""
    rows, cols = _grid_dims(over.shape, out_ndim)
    counts: NDArray[np.generic] = _four(over, rows, cols)
    worst: NDArray[np.generic] | None = None if ratio is None else _four(ratio, rows, cols)
    for axis, step in enumerate((rows.outer_bin, rows.inner_bin, cols.outer_bin, cols.inner_bin)):
        if step > 1:
            starts = np.arange(0, counts.shape[axis], step)
            counts = np.add.reduceat(counts, starts, axis=axis, dtype=np.int32)
            worst = None if worst is None else np.maximum.reduceat(worst, starts, axis=axis)
    grid = np.ascontiguousarray(counts, dtype=np.int32)
    if worst is None:
        cells = np.where(grid > 0, np.inf, np.nan).astype(np.float32)
    else:
        cells = np.ascontiguousarray(worst, dtype=np.float32)
    return MismatchMap(tuple(over.shape), out_ndim, of, wrt, rows, cols, grid, cells)


def from_entries(
    shape: tuple[int, ...],
    out_ndim: int,
    of: str,
    wrt: str,
    indices: Sequence[tuple[int, ...]],
    ratios: Sequence[float],
) -> MismatchMap:
    """The map of the entries the directional mode located (the others are not known one by one)."""
    rows, cols = _grid_dims(shape, out_ndim)
    cells = (*rows.cells, *cols.cells)
    counts = np.zeros(cells, dtype=np.int32)
    worst = np.full(cells, np.nan, dtype=np.float32)
    if indices:
        where = np.asarray(indices, dtype=np.int64).reshape(len(indices), len(shape))
        at = []
        for dim in (rows, cols):
            for axes, step in ((dim.outer, dim.outer_bin), (dim.inner, dim.inner_bin)):
                if not axes:
                    at.append(np.zeros(len(indices), dtype=np.int64))
                    continue
                flat = np.ravel_multi_index(tuple(where[:, a] for a in axes), tuple(shape[a] for a in axes))
                at.append(np.asarray(flat) // step)
        np.add.at(counts, tuple(at), 1)
        np.fmax.at(worst, tuple(at), np.asarray(ratios, dtype=np.float32))
    return MismatchMap(tuple(shape), out_ndim, of, wrt, rows, cols, counts, worst, located=True)


def _grid_dims(shape: tuple[int, ...], out_ndim: int) -> tuple[Dim, Dim]:
    rows, cols = layout(shape, out_ndim)
    return rows.fit(GRID_ROWS, 0)[0], cols.fit(GRID_COLS, 0)[0]
