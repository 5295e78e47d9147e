"""A function case's Check: import its function and derivative, call each once to check what it
returns, and compare the derivative (a jacobian, a gradient, or a Jacobian assembled from a vjp)
with central differences."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.function import FunctionCase
from ..errors import UserCodeError, did_you_mean, first_line, summary
from .base import Check

#: A vjp is checked in full (one call per basis cotangent) for outputs up to this many
#: entries; a larger output is checked through VJP_PROBES seeded random cotangents.
VJP_BASIS_MAX = 1024
VJP_PROBES = 3
VJP_SEED = 0
#: How far f(stack of x, x) may stray from f(x), relatively, for vectorized: true.
VECTORIZED_RTOL = 1e-6


def build_check(case: FunctionCase) -> Check:
    """Import the case's function and derivative, call each once to check what it returns,
    and give the Check that compares the derivative with central differences."""
    f = _guarded(case, "function", resolve(case, "function"))
    derivative = _guarded(case, case.kind, resolve(case, case.kind))
    fixed = {name: _read_only(value) for name, value in case.args.items()}
    x0 = np.array(case.x)

    def at(x: Any) -> dict[str, Any]:
        return {**fixed, case.wrt: x}

    def func(x: NDArray[np.floating]) -> Any:
        return f(**at(x))

    out = _numbers(case, "function", func(x0.copy()), "returned")
    if case.vectorized:
        _check_vectorized(case, func, x0, out)
    of = case.function.rsplit(":", 1)[1].rsplit(".", 1)[-1]
    what = f"{case.wrt}.shape {x0.shape}"
    if case.kind == "gradient":
        if out.shape != ():
            raise UserCodeError(
                case.path,
                case.line_of("function"),
                f"function: {case.function} returned shape {out.shape}; a gradient: case needs a scalar function "
                "(for other outputs use jacobian: or vjp:)",
            )
        analytic = _shaped(case, derivative(**at(x0.copy())), x0.shape, what)
        return Check("gradient", func, x0, analytic, of=of, wrt=case.wrt, **_evaluation(case))
    if case.kind == "jacobian":
        expected = out.shape + x0.shape
        analytic = _shaped(case, derivative(**at(x0.copy())), expected, f"f.shape {out.shape} + {what}")
        return Check("jacobian", func, x0, analytic, of=of, wrt=case.wrt, **_evaluation(case))
    return _vjp_check(case, func, derivative, at, x0, out, of)


def _evaluation(case: FunctionCase) -> dict[str, Any]:
    """How the case's checks evaluate f: one point at a time, or stacks (in order, by workers)."""
    return {"vectorized": case.vectorized, "order": case.order, "workers": case.workers}


def _vjp_check(
    case: FunctionCase,
    func: Callable[[NDArray[np.floating]], Any],
    vjp: Callable[..., Any],
    at: Callable[[Any], dict[str, Any]],
    x0: NDArray[np.floating],
    out: NDArray[Any],
    of: str,
) -> Check:
    """vjp(u, **args) is u·J. Small outputs: J assembled from the basis cotangents, row by row.
    Large ones: the Jacobian of g(x) = U·f(x) for a few seeded random cotangents U, whose rows are vjp(U[k])."""
    what = f"{case.wrt}.shape {x0.shape}"
    dtype = out.dtype if np.issubdtype(out.dtype, np.floating) else np.dtype(np.float64)
    if out.size <= VJP_BASIS_MAX:
        rows = []
        for k in range(out.size):
            u = np.zeros(out.shape, dtype=dtype)
            u.flat[k] = 1
            rows.append(_shaped(case, vjp(u, **at(x0.copy())), x0.shape, what))
        jac = np.stack(rows).reshape(out.shape + x0.shape) if rows else np.zeros(out.shape + x0.shape)
        return Check("vjp", func, x0, jac, of=of, wrt=case.wrt, **_evaluation(case))
    cotangents = np.random.default_rng(VJP_SEED).standard_normal((VJP_PROBES, *out.shape)).astype(dtype)
    rows = [_shaped(case, vjp(u, **at(x0.copy())), x0.shape, what) for u in cotangents]
    axes = tuple(range(1, 1 + out.ndim))

    def projected(x: NDArray[np.floating]) -> NDArray[Any]:
        y = np.asarray(func(x))
        if case.vectorized:  # (B,) + out.shape against (P,) + out.shape: (B, P)
            return np.tensordot(y, cotangents, axes=(axes, axes))
        return np.tensordot(cotangents, y, axes=out.ndim)

    return Check("vjp", projected, x0, np.stack(rows), of=f"u·{of}", wrt=case.wrt, **_evaluation(case))


def resolve(case: FunctionCase, key: str) -> Callable[..., Any]:
    """Import `module:attribute` named by the case's `key` (function, jacobian, gradient or vjp)."""
    target = case.function if key == "function" else case.derivative
    line = case.line_of(key)
    module_name, _, attr = target.partition(":")
    importlib.invalidate_caches()  # files written since the last import are found
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserCodeError(case.path, line, f"{key}: cannot import {module_name!r}: {first_line(exc)}", exc) from exc
    except Exception as exc:  # the module itself raised while being imported
        raise UserCodeError(case.path, line, f"{key}: importing {module_name!r} raised {summary(exc)}", exc) from exc
    parts = attr.split(".")
    for i, part in enumerate(parts):
        if not hasattr(obj, part):
            owner = module_name if i == 0 else f"{module_name}:{'.'.join(parts[:i])}"
            known = [n for n in dir(obj) if not n.startswith("_")]
            raise UserCodeError(
                case.path, line, f"{key}: {owner!r} has no attribute {part!r}{did_you_mean(part, known)}"
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise UserCodeError(case.path, line, f"{key}: {target!r} is {type(obj).__name__}, not a function")
    return obj  # type: ignore[no-any-return]


def _guarded(case: FunctionCase, key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn, with an exception it raises turned into a UserCodeError at the case's line."""
    target = case.function if key == "function" else case.derivative

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise UserCodeError(case.path, case.line_of(key), f"{key}: {target} raised {summary(exc)}", exc) from exc

    return call


def _numbers(case: FunctionCase, key: str, value: Any, verb: str) -> NDArray[Any]:
    """`value` as an array of numbers, or a UserCodeError naming what it was."""
    target = case.function if key == "function" else case.derivative
    try:
        arr = np.asarray(value)
    except Exception:  # a ragged list, say
        arr = np.asarray(None)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_) or (key == "function" and arr.size == 0):
        got = f"an empty array {arr.shape}" if arr.size == 0 else f"{type(value).__name__} of dtype {arr.dtype}"
        raise UserCodeError(case.path, case.line_of(key), f"{key}: {target} {verb} {got}; expected an array of numbers")
    return arr


def _shaped(case: FunctionCase, value: Any, shape: tuple[int, ...], what: str) -> NDArray[Any]:
    arr = _numbers(case, case.kind, value, "returned")
    if arr.shape != shape:
        raise UserCodeError(
            case.path,
            case.line_of(case.kind),
            f"{case.kind}: {case.derivative} returned shape {arr.shape}; expected {shape}, from {what}",
        )
    return arr


def _check_vectorized(
    case: FunctionCase, func: Callable[[NDArray[np.floating]], Any], x0: NDArray[np.floating], out: NDArray[Any]
) -> None:
    """With vectorized: true, f of a stack (x, x) must be (f(x), f(x)), so leading axes broadcast."""
    stacked = _numbers(case, "function", func(np.stack([x0, x0])), "given a stack of 2 points returned")
    line = case.line_of("vectorized")
    if stacked.shape != (2, *out.shape):
        raise UserCodeError(
            case.path,
            line,
            f"vectorized: {case.function} given a stack of 2 points {(2, *x0.shape)} returned shape "
            f"{stacked.shape}; expected {(2, *out.shape)}: make it broadcast over leading axes, or drop vectorized",
        )
    scale = float(np.max(np.abs(out))) if out.size else 0.0
    if not np.allclose(stacked, out, rtol=VECTORIZED_RTOL, atol=VECTORIZED_RTOL * scale, equal_nan=True):
        raise UserCodeError(
            case.path,
            line,
            f"vectorized: {case.function} of a stack of 2 copies of {case.wrt} differs from its value at "
            f"{case.wrt}; the points of a stack must not mix: make it broadcast over leading axes, or drop vectorized",
        )


def _read_only(value: Any) -> Any:
    """A read-only copy of an array argument, so that a function writing into it fails loudly."""
    if not isinstance(value, np.ndarray):
        return value
    copy = value.copy()
    copy.setflags(write=False)
    return copy
