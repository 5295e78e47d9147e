"""The figure of a step sweep: the error of the worst entries against the step.

matplotlib (the optional `plot` extra) is imported inside the function, when the figure is drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ..verdict.sweep import Sweep

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def sweep_figure(result: Sweep) -> Figure:
    """The sweep as a log-log plot: one curve per entry, the default (and the case's) step marked."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    for curve in result.curves:
        shown = np.isfinite(curve.errors) & (curve.errors > 0)
        ax.loglog(result.steps[shown], curve.errors[shown], marker=".", label=f"{curve.name} = {curve.analytic:.6g}")
    ax.axvline(
        result.default_step, color="grey", linestyle="--", label=f"default step eps^(1/3) = {result.default_step:.3g}"
    )
    if result.case_step is not None and result.case_step != result.default_step:
        ax.axvline(result.case_step, color="black", linestyle=":", label=f"case step = {result.case_step:.3g}")
    ax.set_xlabel("relative step h (entry i moves by h * max(1, |x_i|))")
    ax.set_ylabel("|analytic - central difference|")
    ax.set_title(result.title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    return fig
