"""The step sweep of a failure's worst entries: their error at steps around the one used, and
what its course says (hints.sweep_line)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..numerics import stencils
from .comparison import Comparison
from .hints import sweep_line

#: A failure's worst entries are estimated again at these multiples of the step used.
SWEEP_FACTORS = (16.0, 4.0, 1.0, 0.25, 0.0625)
REPORTED_ENTRIES = 2  # how many of a failure's worst entries its report sweeps (a plot follows SWEEP_ENTRIES)


def sweeps(
    probe: stencils.Probe,
    a: NDArray[Any],
    steps: NDArray[np.float64],
    result: Comparison,
    skip: NDArray[np.bool_] | None = None,
) -> tuple[str, ...]:
    """Step sweeps for the worst entries (but those in `skip`, whose failure the second look
    explained otherwise: a kink at x, noise): an error that shrinks with the step is the step's
    fault; one that stays put is a real bug."""
    entries = [e for e in result.worst if e.index and (skip is None or not skip[e.index])][:REPORTED_ENTRIES]
    if not entries:
        return ()
    out_ndim = len(probe.out_shape)
    n = probe.flat.size
    cols = np.array([np.ravel_multi_index(e.index[out_ndim:], probe.shape) if probe.shape else 0 for e in entries])
    rows = [np.ravel_multi_index(e.index[:out_ndim], probe.out_shape) if out_ndim else 0 for e in entries]
    base = steps.reshape(-1)[cols] if n else np.zeros(0)
    probe.look = "step sweep"
    numbers = []
    for factor in SWEEP_FACTORS:
        values, _, _ = probe.central(cols, base * factor)
        numbers.append([float(values[k, r]) for k, r in enumerate(rows)])
    lines = []
    for k, e in enumerate(entries):
        errors = [abs(e.analytic - numbers[s][k]) for s in range(len(SWEEP_FACTORS))]
        hs = [float(base[k] * factor) for factor in SWEEP_FACTORS]
        lines.append(sweep_line(e.name, hs, errors))
    return tuple(lines)
