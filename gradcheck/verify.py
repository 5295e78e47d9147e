"""check_jacobian / assert_jacobian: estimate, compare, refine the failing entries, decide."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import compare as cmp
from . import directional, numeric

Analytic = ArrayLike | Callable[[NDArray[np.floating]], ArrayLike]

#: The modes of check_jacobian. "auto" checks the full Jacobian when x has at most
#: AUTO_FULL_INPUTS entries and the Jacobian at most AUTO_FULL_ENTRIES, else directionally.
MODES = ("full", "directional", "auto")
AUTO_FULL_INPUTS = 20_000
AUTO_FULL_ENTRIES = 10_000_000


def check_jacobian(
    f: numeric.Function,
    x: ArrayLike,
    analytic: Analytic,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    mode: str = "full",
    vectorized: bool = False,
    chunk_bytes: int = numeric.CHUNK_BYTES,
    workers: int = 1,
    probes: int = directional.PROBES,
    seed: int = 0,
    of: str = "f",
    wrt: str = "x",
    title: str | None = None,
) -> cmp.Comparison:
    """Compare `analytic` (an array, or a callable of x) with central differences of f at x.

    The Jacobian has shape f(x).shape + x.shape. In mode "full" every entry is estimated;
    entries that fail the first comparison get a careful Richardson estimate, and the
    verdict allows for that estimate's error. Mode "directional" compares `probes` seeded
    random projections at a cost independent of x's size, and narrows a failure down to
    the wrong entries; "auto" picks by size. With vectorized=True, f takes a stack of
    points (B,) + x.shape, evaluated in chunks of at most `chunk_bytes` by `workers` threads
    (f must then be thread-safe, as numpy functions are). `of` and `wrt` name the entries in
    the report (`dS[0]/dW[2, 1]`).
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    rtol = None if rtol is None else _positive("rtol", rtol)
    atol = None if atol is None else _positive("atol", atol, allow_zero=True)
    x_arr = np.asarray(x)
    a = np.asarray(analytic(x_arr.copy()) if callable(analytic) else analytic)
    probe = numeric.Probe(f, x_arr, vectorized=vectorized, chunk_bytes=chunk_bytes, workers=workers)
    rel = numeric.relative_step(probe, step)
    d_rtol, d_atol = cmp.default_tolerances(x_arr.dtype, a.dtype, probe.out_dtype)
    rtol = d_rtol if rtol is None else rtol
    atol = d_atol if atol is None else atol
    full_shape = probe.out_shape + probe.shape
    if mode == "auto":
        small = x_arr.size <= AUTO_FULL_INPUTS and math.prod(full_shape) <= AUTO_FULL_ENTRIES
        mode = "full" if small else "directional"
    out_ndim = len(probe.out_shape)
    method = f"central differences, step {rel:.3g} * max(1, |{wrt}|)"
    common: dict[str, Any] = {"rtol": rtol, "atol": atol, "title": title or f"gradcheck of d{of}/d{wrt}"}
    if mode == "directional":
        if a.shape != full_shape or not np.all(np.isfinite(a)):
            return _used(
                cmp.compare(a, np.zeros(full_shape), out_ndim=out_ndim, of=of, wrt=wrt, method=method, **common),
                rel,
                mode,
            )
        a2 = np.asarray(a, dtype=np.float64).reshape(-1, x_arr.size)
        return _used(
            directional.directional_comparison(
                probe, a2, step=rel, seed=seed, probes=probes, of=of, wrt=wrt, method=method, **common
            ),
            rel,
            mode,
        )
    est = numeric.estimate(probe, rel)
    if est.shrunk:
        method += f", shrunk at {est.shrunk} entries where f left its domain"
    common.update(out_ndim=out_ndim, of=of, wrt=wrt)
    first = cmp.compare(a, est.jacobian, method=method, **common)
    if first.passed or first.problem:
        return _used(first, rel, mode)
    # Refine every input entry (Jacobian column) with at least one mismatch.
    a64 = a.astype(np.float64)
    over = np.abs(a64 - est.jacobian) > atol + rtol * np.abs(est.jacobian)
    cols = np.flatnonzero(over.reshape(-1, x_arr.size).any(axis=0))
    values, errors = probe.richardson(cols, est.steps)
    jac = est.jacobian.reshape(-1, x_arr.size).copy()
    allow = np.zeros_like(jac)
    jac[:, cols] = values.T
    allow[:, cols] = numeric.ERROR_SAFETY * errors.T
    method += f"; {cols.size} entries re-estimated by Richardson extrapolation"
    final = cmp.compare(
        a, jac.reshape(est.jacobian.shape), allowance=allow.reshape(est.jacobian.shape), method=method, **common
    )
    return _used(final, rel, mode)


def _used(result: cmp.Comparison, step: float, mode: str) -> cmp.Comparison:
    """The comparison, stamped with the relative step and the mode that produced it."""
    return dataclasses.replace(result, step=step, mode=mode)


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
