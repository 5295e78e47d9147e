"""The complex step: Im f(x + i h e_k) / h, derivatives exact to rounding for f that accept complex input."""

from __future__ import annotations

import warnings

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import validate
from .chunks import chunk_pairs
from .evaluation import Evaluator, SchemeError
from .types import Array


def complex_step(ev: Evaluator, idx: NDArray[np.intp], h: Array) -> Array:
    """Im f(x + i h e_k) / h for each entry k of `idx`: derivatives exact to rounding, (k, m)."""
    with warnings.catch_warnings():
        # f that casts its input to a real type throws the imaginary part (the derivative) away
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        try:
            return _complex_step(ev, idx, h)
        except np.exceptions.ComplexWarning:
            raise SchemeError(
                "scheme 'complex' needs a function that keeps complex input complex; f casts it to a real "
                "type, discarding the imaginary part (use scheme 'central4' or 'richardson' instead)"
            ) from None


def _complex_step(ev: Evaluator, idx: NDArray[np.intp], h: Array) -> Array:
    k, m = idx.size, ev.f0.size
    cols = np.empty((k, m))
    xc = ev.x.astype(np.complex128)
    if ev.vectorized:
        c = max(1, min(k, chunk_pairs(ev.flat.size, m, ev.chunk_bytes, ev.workers) * 2))
        buf = np.broadcast_to(xc.reshape(-1), (c, xc.size)).copy()
        for start in range(0, k, c):
            sel, hs = idx[start : start + c], h[start : start + c]
            rows = np.arange(sel.size)
            buf[rows, sel] += 1j * hs
            out = _complex_out(ev, ev.f(buf[: sel.size].reshape((sel.size, *ev.shape))), sel.size)
            buf[rows, sel] = xc.reshape(-1)[sel]
            cols[start : start + sel.size] = out.imag.reshape(sel.size, m) / hs[:, None]
        return cols
    flat = xc.reshape(-1)
    for r, (i, hi) in enumerate(zip(idx.tolist(), h.tolist(), strict=True)):
        flat[i] += 1j * hi
        cols[r] = _complex_out(ev, ev.f(xc)).imag.reshape(-1) / hi
        flat[i] = ev.flat[i]
    return cols


def _complex_out(ev: Evaluator, out: ArrayLike, points: int | None = None) -> NDArray[np.complexfloating]:
    """What f returned at complex points (a stack of `points`, or one): complex, of f(x)'s shape."""
    if points is None:
        arr = validate.shaped(out, ev.out_shape, at="at x + ih (complex step)", complex_ok=True)
    else:
        arr = validate.stacked(out, points, ev.out_shape, complex_ok=True)
    if not np.iscomplexobj(arr):
        raise SchemeError(
            "scheme 'complex' needs a function that accepts complex input and keeps it complex; "
            f"f returned {arr.dtype} (use scheme 'central4' or 'richardson' instead)"
        )
    return arr
