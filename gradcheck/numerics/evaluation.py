"""Evaluating f around a point: the black-box loop that perturbs one copy of x in place, the
vectorized chunks (scratch memory, Fortran order, worker threads), the complex step, and points
along a direction. stencils.py turns these evaluations into derivatives."""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from ..errors import ArgumentError, FunctionError
from ..options import ORDERS
from . import validate
from .along import Along
from .chunks import CHUNK_BYTES, Chunks
from .types import Array, Function

#: The black-box loop converts this many entries at a time to Python floats.
LOOP_BLOCK = 1024


def _flat(value: object) -> NDArray[Any]:
    """f's value in the black-box loop, flat. Not numbers (None, which NumPy would turn into NaN,
    strings, objects) is a TypeError, which the loop's caller turns into what f returned."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iufc":
        raise TypeError("f returned something other than numbers")
    return arr.reshape(-1)


class SchemeError(ValueError):
    """The function cannot be differentiated by the scheme asked for."""


class PointError(Exception):
    """f raised at a perturbed point: at entry `index` (flat) + `offset`, or along a direction
    (index None) at step `offset`, or at one of `points` points of a stack; during `look`."""

    def __init__(
        self, cause: BaseException, look: str, index: int | None, offset: float, *, points: int = 1, every: bool = False
    ) -> None:
        # a function case's guard wraps the user's exception; the user's own is the cause
        inner = getattr(cause, "cause", None)
        self.cause: BaseException = inner if isinstance(inner, BaseException) else cause
        self.look, self.index, self.offset, self.points = look, index, offset, points
        self.every = every  # every entry moved at once, each by at most `offset` * max(1, |x_i|)
        super().__init__(f"f raised {type(self.cause).__name__} during the {look}")

    def named(self, shape: tuple[int, ...], of: str, wrt: str) -> FunctionError:
        """The error as the user reads it: `f raised ValueError at W[3, 1] + 4.8e-05, second look: ...`."""
        step = f"{'+' if self.offset >= 0 else '-'} {abs(self.offset):.2g}"
        if self.every:
            where = f"{wrt} with every entry moved at once, by at most {abs(self.offset):.2g} * max(1, |{wrt}|)"
        elif self.index is None:
            where = f"{wrt} {step} * d (a random direction)"
        else:
            idx = np.unravel_index(self.index, shape) if shape else ()
            entry = f"{wrt}[{', '.join(str(int(i)) for i in idx)}]" if shape else wrt
            where = f"{entry} {step}" if self.points <= 1 else f"one of {self.points} points, the first {entry} {step}"
        return FunctionError(f"at {where}, {self.look}", self.cause, of)


def working_dtype(dtype: DTypeLike) -> np.dtype:
    """Precision in which derivatives are estimated: float64, or the output's lower precision."""
    if np.issubdtype(dtype, np.floating) and np.finfo(dtype).eps > np.finfo(np.float64).eps:
        return np.dtype(dtype)
    return np.dtype(np.float64)


class Counted:
    """f, counting its calls (from any of the worker threads): what a report says f cost."""

    def __init__(self, f: Function) -> None:
        self.f, self.calls, self._lock = f, 0, threading.Lock()

    def __call__(self, v: Any) -> Any:
        with self._lock:
            self.calls += 1
        return self.f(v)


class Evaluator:
    """`f` near a point x. The black-box path perturbs a private float64 copy of x in place;
    the vectorized path hands f a chunk of perturbed points stacked on a leading axis."""

    def __init__(
        self,
        f: Function,
        x: ArrayLike,
        *,
        vectorized: bool = False,
        chunk_bytes: int = CHUNK_BYTES,
        workers: int = 1,
        order: str = "C",
    ) -> None:
        validate.function("f", f)
        x_arr = validate.point(x)
        self.order = validate.choice("order", order, ORDERS)
        self.counted = Counted(f)
        self.f: Function = self.counted
        self.vectorized = validate.flag("vectorized", vectorized)
        self.chunk_bytes = validate.integer("chunk_bytes", chunk_bytes, minimum=1)
        self.workers = validate.integer("workers", workers, minimum=1)
        self.shape: tuple[int, ...] = x_arr.shape
        self._given = x_arr
        self.given_dtype = x_arr.dtype
        self._copy: Array | None = None  # made on first use of x (only paths that perturb in place)
        # x flat, for paths that only read it: the caller's own array (as a read-only view)
        # where it already is float64 in C order, else the private copy
        if x_arr.dtype == np.float64 and x_arr.flags.c_contiguous:
            self.base: Array = x_arr.reshape(-1).view()
            self.base.flags.writeable = False
        else:
            self.base = self.flat
        with np.errstate(all="ignore"):
            out = validate.output(self.f(self.base.reshape(self.shape)))  # an error here is f's own, at x
        self.out_shape: tuple[int, ...] = out.shape
        self.out_dtype = out.dtype if np.issubdtype(out.dtype, np.floating) else np.dtype(np.float64)
        self.f0 = np.asarray(out.real if np.iscomplexobj(out) else out, dtype=np.float64).reshape(-1)
        self.finite0 = np.isfinite(self.f0)
        # The precision f really computes in: its output's, or x's own lower one where f rounds a
        # float64 x to it before computing (and returns a float64); see lower_precision.
        self.precision = working_dtype(self.out_dtype)
        lower = working_dtype(x_arr.dtype)
        if self.precision == np.float64 != lower and np.all(self.finite0) and rounds_below(self, lower):
            self.precision = lower
        #: which part of the check is evaluating f, for an error f raises: "first pass", "second look", ...
        self.look = "first pass"
        self._chunks: Chunks | None = None  # the vectorized chunks, made on first use
        self._directions: Along | None = None  # the points along a direction, made on first use

    def __enter__(self) -> Evaluator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def x(self) -> Array:
        """A private float64 copy of x in C order, perturbed in place by the black-box path."""
        if self._copy is None:
            # C order, so that reshape(-1) is a view (for a Fortran-ordered x it would be a copy)
            self._copy = np.array(self._given, dtype=np.float64, copy=True, order="C")
        return self._copy

    @property
    def flat(self) -> Array:
        """x flattened: a view, so that writing flat[i] perturbs x."""
        return self.x.reshape(-1)

    @property
    def eps(self) -> float:
        """The machine epsilon of the precision f computes in."""
        return float(np.finfo(self.precision).eps)

    def lower_precision(self, step: float) -> bool:
        """Whether f, whose result is float64, really computes in float32 (it rounds x, or its
        work, to float32 whatever x's dtype): then precision becomes float32. Costs four
        evaluations (one call of a vectorized f), none moving an entry by more than `step` *
        max(1, |x_i|); asked only of a check that failed."""
        self.look = "float32 probe"
        if self.precision != np.float64 or not np.all(self.finite0):
            return False
        try:
            lower = rounds_below(self, np.dtype(np.float32), step)
        except ArgumentError:  # what f returned, said already
            raise
        except Exception as exc:
            raise PointError(exc, self.look, None, step, every=True) from exc
        if not lower:
            return False
        self.precision = np.dtype(np.float32)
        return True

    # -- evaluating f on both sides of x ----------------------------------------------

    def pairs(self, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
        """f(x + h_r e_i), f(x - h_r e_i) for each (i, h_r), and the represented widths."""
        if not self.vectorized:
            return _loop_pairs(self, idx, h)
        if self._chunks is None:
            self._chunks = Chunks(
                self.f,
                self.flat,
                self.shape,
                self.out_shape,
                order=self.order,
                workers=self.workers,
                chunk_bytes=self.chunk_bytes,
            )
        try:
            return self._chunks.pairs(idx, h)
        except ArgumentError:  # what f returned, said already
            raise
        except Exception as exc:
            first = int(idx[0]) if idx.size else None
            raise PointError(exc, self.look, first, float(h[0]) if h.size else 0.0, points=2 * idx.size) from exc

    def pairs_along(self, d: Array, h: Array) -> tuple[Array, Array, Array]:
        """f(x + h_r d), f(x - h_r d) for each step h_r along one direction d."""
        try:
            return self._along().pairs(d, h)
        except ArgumentError:  # what f returned, said already
            raise
        except Exception as exc:
            raise PointError(exc, self.look, None, float(h[0]) if h.size else 0.0) from exc

    def along_rolled(self, stepped: Array, shift: int) -> Array:
        """(f(x + d) - f(x - d)) / 2 for d = np.roll(stepped, shift), without building d: the
        directional fast path, two passes over x per evaluation."""
        try:
            return self._along().rolled(stepped, shift)
        except ArgumentError:  # what f returned, said already
            raise
        except Exception as exc:
            raise PointError(exc, self.look, None, 1.0) from exc

    def _along(self) -> Along:
        if self._directions is None:
            self._directions = Along(self.f, self.base, self.shape, self.out_shape, vectorized=self.vectorized)
        return self._directions

    def release(self) -> None:
        """Give the chunk buffers and the points of a direction back (to scratch memory); the
        next evaluation takes them again."""
        if self._chunks is not None:
            self._chunks.release()
        if self._directions is not None:
            self._directions.release()


#: The float32 probe's larger changes are this many times its small ones, or fewer where the
#: check's step leaves less room; with fewer than MIN_PROBE_SCALE it cannot tell.
PROBE_SCALE = 1024.0
MIN_PROBE_SCALE = 4.0


def rounds_below(ev: Evaluator, dtype: np.dtype, step: float = np.inf) -> bool:
    """Whether f ignores changes of x too small for `dtype` to represent, where changes up to 1024
    times larger along them (no entry moved by more than `step` * max(1, |x_i|), the check's own
    step) show that float64 arithmetic would have seen them.

    A small change moves each x_i half-way to its rounding in `dtype`, or, where x_i is
    representable, a quarter of dtype's spacing up or down: rounded to `dtype`, that point is x.
    Two of them are tried, the second with seeded random signs (so that neither a shift f does
    not see nor the changes of its terms cancelling out can pass for rounding). Four
    evaluations (one call of a vectorized f). False where the step leaves no room for a larger
    change (MIN_PROBE_SCALE times the small one).
    """
    x = ev.base.astype(np.float64)
    with np.errstate(all="ignore"):
        rounded = x.astype(dtype).astype(np.float64)
        spacing = np.spacing(np.abs(rounded).astype(dtype)).astype(np.float64)
        signs = np.where(np.random.default_rng(0).random(x.size) < 0.5, -1.0, 1.0)
        changes = [np.where(rounded != x, (rounded - x) / 2.0, spacing / 4.0 * s) for s in (1.0, signs)]
        room = step * np.maximum(1.0, np.abs(x)) / np.maximum(np.abs(changes[0]), np.abs(changes[1]))
        scale = float(min(PROBE_SCALE, room.min(initial=PROBE_SCALE)))
        if not scale >= MIN_PROBE_SCALE:
            return False
        points = np.stack([x + c * k for c in changes for k in (1.0, scale)]).reshape((4, *ev.shape))
        if ev.vectorized:
            values = np.asarray(ev.f(points), dtype=np.float64).reshape(4, -1)
        else:
            values = np.stack([np.asarray(ev.f(p), dtype=np.float64).reshape(-1) for p in points])
        near, far = values[0::2], values[1::2]
        moved = np.abs(far - ev.f0) / scale
        visible = moved > 16.0 * np.finfo(np.float64).eps * np.maximum(np.abs(ev.f0), np.abs(far))
    return bool(np.all(near == ev.f0) and np.any(visible & np.isfinite(far)))


def _loop_pairs(ev: Evaluator, idx: NDArray[np.intp], h: Array) -> tuple[Array, Array, Array]:
    """The black-box loop: f(x + h_r e_i), f(x - h_r e_i), perturbing one private copy of x in place."""
    k, m = idx.size, ev.f0.size
    fp, fm, width = np.empty((k, m)), np.empty((k, m)), np.empty(k)
    flat, f, x = ev.flat, ev.f, ev.x
    scalar = ev.out_shape == ()
    fp_s, fm_s = fp.reshape(-1), fm.reshape(-1)  # for a scalar f: one slot per row
    i, xi = 0, 0.0
    try:
        with np.errstate(all="ignore"):
            # Python floats are fastest in the loop; made a block at a time, they cost no memory.
            for start in range(0, k, LOOP_BLOCK):
                block = slice(start, start + LOOP_BLOCK)
                entries, xs, hs = idx[block].tolist(), flat[idx[block]].tolist(), h[block].tolist()
                widths = width[block]
                for r, (i, xi, hi) in enumerate(zip(entries, xs, hs, strict=True), start=start):
                    up, down = xi + hi, xi - hi
                    flat[i] = up
                    if scalar:
                        fp_s[r] = f(x)
                        flat[i] = down
                        fm_s[r] = f(x)
                    else:
                        fp[r] = _flat(f(x))
                        flat[i] = down
                        fm[r] = _flat(f(x))
                    flat[i] = xi
                    widths[r - start] = up - down
    except Exception as exc:
        offset = float(flat[i]) - xi
        if isinstance(exc, (TypeError, ValueError)):  # f's own error, or what it returned there
            problem = validate.returned_when_moved(f, x, np.asarray(ev._given), ev.out_shape)  # puts x back
            if problem is not None:
                raise problem from None
        flat[i] = xi
        raise PointError(exc, ev.look, i, offset) from exc
    return fp, fm, width
