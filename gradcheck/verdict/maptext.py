"""The report's map of where a failing check's mismatches lie: one character per entry, or per
group of entries for a large Jacobian, laid out as map.py lays out the Jacobian; and the labels
of its rows, columns and axes, which the heatmap (heatmap.py) shares."""

from __future__ import annotations

import numpy as np

from .map import Dim, MismatchMap

#: The report's map: at most this many characters down and across (gaps between blocks included).
TEXT_ROWS = 24
TEXT_COLS = 64
#: How many blocks or columns with mismatches the line under the map names.
NAMED = 6


def map_lines(m: MismatchMap) -> list[str]:
    """The map with its title, legend, labelled rows (each with its count) and column labels."""
    t = m.fit(TEXT_ROWS, TEXT_COLS, gap=1)
    counts, _ = t.image()
    if t.located:
        marks = np.where(counts > 0, "#", ".")
    else:
        marks = np.where(counts == 0, ".", np.where(counts >= t.entries(), "#", "+"))
    gap = 1 if t.cols.blocks else 0
    per_block = t.cols.cells[1]
    labels = row_labels(t)
    width = max(len(label) for label in labels)
    lines = [f"  where the mismatches lie in {t.template()} {m.shape}: {describe(t)}", f"  {_legend(t)}"]
    header = _column_header(t, gap)
    if header.strip():
        lines.append(f"    {'':<{width}}  {header}".rstrip())
    for r, label in enumerate(labels):
        cells = marks[r]
        blocks = ("".join(cells[b * per_block : (b + 1) * per_block]) for b in range(t.cols.cells[0]))
        row = " ".join(blocks) if gap else "".join(cells)
        lines.append(f"    {label:<{width}}  {row}  {int(counts[r].sum())}")
    footer = _footer(t)
    if footer:
        lines.append(f"  mismatches {footer}")
    return lines


def describe(m: MismatchMap) -> str:
    """`rows i; columns a, j (a block per a)`."""
    return "; ".join(p for p in (direction(m, m.rows), direction(m, m.cols)) if p)


def direction(m: MismatchMap, dim: Dim) -> str:
    """`columns a, j (a block per a)`: the axes along the map's rows or columns (`dim`); "" for none."""
    letters = ", ".join(m.letter(a) for a in dim.outer + dim.inner)
    if not letters:
        return ""
    blocks = f" (a block per {', '.join(m.letter(a) for a in dim.outer)})" if dim.blocks else ""
    return f"{'rows' if dim is m.rows else 'columns'} {letters}{blocks}"


def _legend(m: MismatchMap) -> str:
    if m.located:
        return (
            "'#' holds an entry the bisection located, '.' none located "
            "(the directional mode compares projections, not every entry)"
        )
    if not (m.rows.binned or m.cols.binned):
        return "'#' mismatched, '.' within tolerance"
    down, across = (_largest_cell(d) for d in (m.rows, m.cols))
    return f"binned, a character per up to {down} x {across} entries: '#' all mismatched, '+' some, '.' none"


def _largest_cell(dim: Dim) -> int:
    """The most entries one cell spans along a direction."""
    outer, inner = dim.spans()
    return int(outer.max()) * int(inner.max()) if dim.outer_bin > 1 else int(inner.max())


def row_labels(m: MismatchMap) -> list[str]:
    """A label per row of cells: `i=3`, or `a=0 b=1` with the block's label on its first row only."""
    dim = m.rows
    outer_cells, inner_cells = dim.cells
    whole = dim.outer and inner_cells == 1 and dim.inner_bin >= dim.inner_size  # rows of whole blocks
    labels = []
    for oc in range(outer_cells):
        head = m.cell_label(dim, True, oc)
        for ic in range(inner_cells):
            tail = "" if whole else m.cell_label(dim, False, ic)
            shown = " " * len(head) if ic and dim.blocks else head
            labels.append(f"{shown} {tail}" if head and tail else shown or tail)
    return labels


def column_labels(m: MismatchMap) -> list[str]:
    """A label per column of cells, "" where the text map leaves one out: each block's on its
    first column (`a=0`), else every few columns' index (`j=0`, then `5`, `10`)."""
    dim = m.cols
    outer_cells, inner_cells = dim.cells
    if dim.blocks:
        return [
            m.cell_label(dim, True, c // inner_cells) if c % inner_cells == 0 else ""
            for c in range(outer_cells * inner_cells)
        ]
    outer = bool(dim.outer) and inner_cells == 1
    cells = outer_cells if outer else inner_cells
    every = 1 if cells <= 10 else 5
    labels = [m.cell_label(dim, outer, c) if c % every == 0 else "" for c in range(cells)]
    return [text if c == 0 else text.partition("=")[2] for c, text in enumerate(labels)]


def _column_header(m: MismatchMap, gap: int) -> str:
    """The column labels over the map's columns, left to right, each where it does not touch the
    one before (`gap` characters between blocks)."""
    inner_cells = m.cols.cells[1]
    line = ""
    for c, text in enumerate(column_labels(m)):
        position = c + gap * (c // inner_cells) if m.cols.blocks else c
        if text and position >= len(line) + (1 if line else 0):
            line = f"{line:<{position}}{text}"
    return line


def _footer(m: MismatchMap) -> str:
    """`by a: a=2 (3); by j: j=2-3 (6)`: the runs of blocks and columns that hold mismatches."""
    four = m.counts
    groups = []
    if m.rows.blocks:
        groups.append((m.rows, True, four.sum(axis=(1, 2, 3))))
    if m.cols.blocks or m.cols.cells[0] > 1:  # blocks, or cells of whole blocks
        groups.append((m.cols, True, four.sum(axis=(0, 1, 3))))
    if m.cols.cells[1] > 1:
        groups.append((m.cols, False, four.sum(axis=(0, 1, 2))))
    parts = []
    for dim, outer, sums in groups:
        axes, size, step = (
            (dim.outer, dim.outer_size, dim.outer_bin) if outer else (dim.inner, dim.inner_size, dim.inner_bin)
        )
        hit = np.flatnonzero(sums)
        if hit.size == 0 or hit.size == sums.size:
            continue  # nowhere, or everywhere: nothing to point at
        runs = np.split(hit, np.flatnonzero(np.diff(hit) > 1) + 1)
        named = [f"{m.cell_label(dim, outer, int(r[0]), int(r[-1]))} ({int(sums[r].sum())})" for r in runs[:NAMED]]
        more = f", and {len(runs) - NAMED} more" if len(runs) > NAMED else ""
        axes = dim.outer if outer else dim.inner
        name = m.letter(axes[0]) if len(axes) == 1 else f"({','.join(m.letter(a) for a in axes)})"
        parts.append(f"by {name}: {', '.join(named)}{more}")
    return "; ".join(parts)
