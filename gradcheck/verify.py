"""check_jacobian / assert_jacobian: estimate, compare, refine the failing entries, decide."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import compare as cmp
from . import numeric

Analytic = ArrayLike | Callable[[NDArray[np.floating]], ArrayLike]

#: The careful estimate's own error bound is widened by this factor in the verdict.
ERROR_SAFETY = 2.0


def check_jacobian(
    f: numeric.Function,
    x: ArrayLike,
    analytic: Analytic,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    of: str = "f",
    wrt: str = "x",
    title: str | None = None,
) -> cmp.Comparison:
    """Compare `analytic` (an array, or a callable of x) with central differences of f at x.

    The Jacobian has shape f(x).shape + x.shape. Entries that fail the first comparison
    get a careful Richardson estimate, and the verdict allows for that estimate's error.
    `of` and `wrt` name the output and input in the report (`dS[0]/dW[2, 1]`).
    """
    x_arr = np.asarray(x)
    a = np.asarray(analytic(x_arr.copy()) if callable(analytic) else analytic)
    est = numeric.numerical_estimate(f, x_arr, step=step)
    d_rtol, d_atol = cmp.default_tolerances(x_arr.dtype, a.dtype, est.out_dtype)
    rtol = d_rtol if rtol is None else _positive("rtol", rtol)
    atol = d_atol if atol is None else _positive("atol", atol, allow_zero=True)
    out_ndim = est.jacobian.ndim - x_arr.ndim
    method = f"central differences, step {est.base_step:.3g} * max(1, |{wrt}|)"
    if est.shrunk:
        method += f", shrunk at {est.shrunk} entries where f left its domain"
    common: dict[str, Any] = {
        "rtol": rtol,
        "atol": atol,
        "out_ndim": out_ndim,
        "of": of,
        "wrt": wrt,
        "title": title or f"gradcheck of d{of}/d{wrt}",
    }
    first = cmp.compare(a, est.jacobian, method=method, **common)
    if first.passed or first.problem:
        return first
    # Refine every input entry (Jacobian column) with at least one mismatch.
    a64 = a.astype(np.float64)
    over = np.abs(a64 - est.jacobian) > atol + rtol * np.abs(est.jacobian)
    cols = np.flatnonzero(over.reshape(-1, x_arr.size).any(axis=0))
    values, errors = numeric.richardson(f, x_arr, cols, est.steps)
    jac = est.jacobian.reshape(-1, x_arr.size).copy()
    allow = np.zeros_like(jac)
    jac[:, cols] = values.T
    allow[:, cols] = ERROR_SAFETY * errors.T
    method += f"; {cols.size} entries re-estimated by Richardson extrapolation"
    return cmp.compare(
        a,
        jac.reshape(est.jacobian.shape),
        allowance=allow.reshape(est.jacobian.shape),
        method=method,
        **common,
    )


def assert_jacobian(f: numeric.Function, x: ArrayLike, analytic: Analytic, **options: Any) -> cmp.Comparison:
    """Like check_jacobian, but raise AssertionError carrying the report when it fails."""
    __tracebackhide__ = True
    result = check_jacobian(f, x, analytic, **options)
    if not result.passed:
        raise AssertionError(str(result))
    return result


def _positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    value = float(value)
    if not (value >= 0 if allow_zero else value > 0) or not np.isfinite(value):
        raise ValueError(f"{name} must be {'non-negative' if allow_zero else 'positive'}, got {value!r}")
    return value
