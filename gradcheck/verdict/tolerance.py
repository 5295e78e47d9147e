"""How far analytic may be from numeric and still pass, as one value: Tolerance, and the defaults by dtype."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Default (rtol, atol) by the lowest floating precision among x, f(x) and the analytic array.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-6, 1e-8),
    "float32": (1e-4, 1e-5),
    "float16": (1e-2, 1e-3),
}


def default_tolerances(*dtypes: np.dtype) -> tuple[float, float]:
    """(rtol, atol) for the least precise floating dtype among `dtypes` (float64 if none)."""
    floats = [np.dtype(d) for d in dtypes if np.issubdtype(d, np.floating)]
    if not floats:
        return DEFAULT_TOLERANCES["float64"]
    least = max(floats, key=lambda d: float(np.finfo(d).eps))
    return DEFAULT_TOLERANCES.get(least.name, DEFAULT_TOLERANCES["float64"])


@dataclass(frozen=True)
class Tolerance:
    """An entry passes when |analytic - numeric| <= atol + rtol * |numeric|; with `subgradient`,
    an analytic value anywhere between the one-sided derivatives at a kink passes too."""

    rtol: float
    atol: float
    subgradient: bool = False
