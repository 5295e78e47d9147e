"""The heatmap of a failure's mismatch map, labelled as the report's text map is (maptext.py), and
a figure as PNG bytes.

matplotlib (the optional `plot` extra) is imported inside the functions, when a figure is drawn.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import numpy as np

from .map import Dim, MismatchMap
from .maptext import column_labels, direction, row_labels

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Resolution of the PNG files.
DPI = 100
#: The PNG files' Software text: what tells a picture gradcheck wrote from any other file.
SOFTWARE = "gradcheck"
#: The heatmap's colour scale spans at least this factor either side of the tolerance (ratio 1),
#: and at most 1e16 in all.
SCALE_SPAN = 10.0
#: At most about this many tick labels along a heatmap axis.
TICKS = 8


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI, metadata={"Software": SOFTWARE})
    return out.getvalue()


def map_figure(m: MismatchMap, title: str) -> Figure:
    """|analytic - numeric| / tolerance on the map's layout, on a log colour scale centred on the
    tolerance (blue within, red beyond); grey where an entry's error is not known (the
    directional mode estimates only the entries it located)."""
    from matplotlib.colors import TwoSlopeNorm
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    _, ratio = m.image()
    known = ratio[np.isfinite(ratio) & (ratio > 0)]
    top = max(float(known.max()) if known.size else 1.0, SCALE_SPAN)
    bottom = max(min(float(known.min()) if known.size else 1.0, 1.0 / SCALE_SPAN), top * 1e-16)
    shown = np.where(np.isposinf(ratio), top, np.where(ratio > 0, ratio, bottom))  # exact: the scale's bottom
    with np.errstate(invalid="ignore"):  # NaN (not known) stays NaN, drawn grey
        logs = np.log10(np.clip(shown, bottom, top))
    rows, cols = ratio.shape
    fig = Figure(figsize=(8.0, min(max(2.5 + 5.5 * rows / cols, 3.5), 8.0)), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(
        np.ma.masked_invalid(logs),
        norm=TwoSlopeNorm(vmin=np.log10(bottom), vcenter=0.0, vmax=np.log10(top)),
        cmap=_colours(),
        aspect="auto",
        interpolation="nearest",
    )
    bar = fig.colorbar(image, ax=ax, label="|analytic - numeric| / tolerance")
    bar.locator = MaxNLocator(integer=True)
    bar.formatter = FuncFormatter(lambda v, _: f"$10^{{{v:g}}}$")
    bar.update_ticks()
    _axis(ax, m, m.cols, column_labels(m))
    _axis(ax, m, m.rows, row_labels(m))
    ax.set_title(f"{m.template()} {m.shape}" + (f"\n{title}" if title else ""), fontsize="medium")
    return fig


def _colours() -> Any:
    """Blue below the tolerance, red above, grey where not known."""
    from matplotlib import colormaps

    return colormaps["RdBu_r"].with_extremes(bad="lightgrey")


def _axis(ax: Any, m: MismatchMap, dim: Dim, labels: list[str]) -> None:
    """Block lines, ticks and the title of one direction of the heatmap (`dim`, the map's rows or
    columns), labelled as the text map labels it: each block's label (`a=0`), centred on it, or
    the labels of every few of its cells (`labels`, at most about TICKS of them)."""
    horizontal = dim is m.cols
    outer_cells, inner_cells = dim.cells
    if dim.blocks:
        for k in range(1, outer_cells):
            (ax.axvline if horizontal else ax.axhline)(k * inner_cells - 0.5, color="white", linewidth=1.5)
        spots = [(k * inner_cells + (inner_cells - 1) / 2, m.cell_label(dim, True, k)) for k in range(outer_cells)]
        spots = spots[:: max(1, -(-outer_cells // (2 * TICKS)))]
    else:
        labelled = [(float(c), text) for c, text in enumerate(labels) if text.strip()]
        spots = labelled[:: max(1, -(-len(labelled) // TICKS))]
    ticks = ([p for p, _ in spots], [t.strip() for _, t in spots])
    (ax.set_xticks if horizontal else ax.set_yticks)(*ticks, fontsize="small")
    (ax.set_xlabel if horizontal else ax.set_ylabel)(direction(m, dim))
    if horizontal and dim.blocks and len(spots) > 4:
        ax.tick_params(axis="x", labelrotation=45)
