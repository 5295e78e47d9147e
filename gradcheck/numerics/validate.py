"""The arguments of the Python API and what f returns, checked before NumPy sees them: one
ArgumentError naming the argument or the call (numpy only)."""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import ArgumentError, described

#: What f (and an analytic array) must return.
NUMBERS = "a real number or an array of them"


def function(name: str, value: object) -> None:
    """`value` is callable."""
    if not callable(value):
        raise ArgumentError(f"{name} must be a function, got {described(value)}")


def choice(name: str, value: object, choices: Sequence[str]) -> str:
    """`value` is one of the strings `choices`."""
    if not isinstance(value, str) or value not in choices:
        raise ArgumentError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def flag(name: str, value: object) -> bool:
    """`value` is True or False (a NumPy bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise ArgumentError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def integer(name: str, value: object, *, minimum: int) -> int:
    """`value` is an integer (not a bool, not a float) of at least `minimum`."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or int(value) < minimum:
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ArgumentError(f"{name} must be {kind}, got {value!r}")
    return int(value)


def number(name: str, value: object, *, zero: bool = False) -> float:
    """`value` is a finite real number (not a bool or a string), positive (or zero, with zero=True)."""
    real = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
    v = float(value) if real else float("nan")  # type: ignore[arg-type]
    if not (np.isfinite(v) and (v >= 0 if zero else v > 0)):
        raise ArgumentError(f"{name} must be {'a non-negative' if zero else 'a positive'} number, got {value!r}")
    return v


def text(name: str, value: object, *, optional: bool = False) -> None:
    """`value` is a string (or None, with optional=True)."""
    if not (isinstance(value, str) or (optional and value is None)):
        raise ArgumentError(f"{name} must be a string{' or None' if optional else ''}, got {described(value)}")


def point(x: object, name: str = "x") -> NDArray[Any]:
    """x as an array of finite real numbers (0-d for a scalar function of a scalar)."""
    arr = _numbers(x, f"{name} must be {NUMBERS}, got")
    if arr.dtype.kind == "c":
        raise ArgumentError(
            f"{name} must be real, got complex values ({arr.dtype}); the complex step (scheme='complex') "
            "takes a real x and perturbs it along the imaginary axis itself"
        )
    with np.errstate(over="ignore", invalid="ignore"):
        suspect = arr.dtype.kind == "f" and not np.isfinite(arr.sum())  # no copy; finite sums are the rule
    bad = ~np.isfinite(arr) if suspect else np.zeros(0, dtype=bool)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        more = int(bad.sum()) - 1
        others = f" and {more} more non-finite entries" if more else ""
        raise ArgumentError(f"{name} must be finite, got {arr[first]} at {entry(name, first)}{others}")
    return arr


def output(value: object, *, call: str = "f", at: str = "at x", complex_ok: bool = False) -> NDArray[Any]:
    """What `call` returned (`at` a point) as an array of numbers. f is given a real x, so a complex value
    must have no imaginary part (its real part is returned), unless `complex_ok` (the complex step)."""
    arr = _numbers(value, f"{call} returned", f" {at}; expected {NUMBERS}")
    if arr.dtype.kind != "c" or complex_ok:
        return arr
    imaginary = _imaginary(arr)
    if imaginary:
        raise ArgumentError(f"{call} returned {imaginary} {at}; expected real values for a real x")
    return arr.real


def array(name: str, value: object, expected: str) -> NDArray[Any]:
    """An array argument as real numbers (a complex one with no imaginary part gives its real part)."""
    arr = _numbers(value, f"{name} must be {expected}, got")
    imaginary = _imaginary(arr) if arr.dtype.kind == "c" else ""
    if imaginary:
        raise ArgumentError(f"{name} must be real, got {imaginary}")
    return arr.real if arr.dtype.kind == "c" else arr


def _imaginary(arr: NDArray[Any]) -> str:
    """`complex values (imaginary part 0.5 at [1])`, or "" where no entry has an imaginary part."""
    imag = np.abs(arr.imag)
    if not imag.any():
        return ""
    k = tuple(int(i) for i in np.unravel_index(int(np.argmax(imag)), arr.shape))
    where = f" at {entry('', k)}" if k else ""
    return f"complex values (imaginary part {arr.imag[k]:.3g}{where})"


def shaped(value: object, shape: tuple[int, ...], *, at: str, complex_ok: bool = False) -> NDArray[Any]:
    """What f returned at a point other than x: numbers of the shape f(x) has."""
    arr = output(value, at=at, complex_ok=complex_ok)
    if arr.shape != shape:
        raise ArgumentError(
            f"f returned shape {arr.shape} {at}; at x it returned shape {shape}: "
            "f must return the same shape at every point"
        )
    return arr


def returned_when_moved(
    f: Callable[[NDArray[np.float64]], object], x: NDArray[np.float64], given: NDArray[Any], shape: tuple[int, ...]
) -> ArgumentError | None:
    """After a loop over perturbed copies of x broke, x still perturbed where it broke: what f returns
    there, if that is not numbers of f(x)'s `shape` (None, a string, another shape); None if it is
    (or f raises there: the error was f's own). Puts x back to `given`."""
    flat, original = x.reshape(-1), given.reshape(-1).astype(np.float64)
    moved = np.flatnonzero(flat != original)
    at = "at x"
    if moved.size == 1:
        k = int(moved[0])
        index = tuple(int(i) for i in np.unravel_index(k, x.shape))
        at = f"at x with {entry('x', index)} moved by {flat[k] - original[k]:+.3g}"
    try:
        with np.errstate(all="ignore"):
            value = f(x)
    except Exception:
        return None
    finally:
        flat[moved] = original[moved]
    try:
        shaped(value, shape, at=at)
    except ArgumentError as problem:
        return problem
    return None


def stacked(value: object, points: int, shape: tuple[int, ...], *, complex_ok: bool = False) -> NDArray[Any]:
    """What a vectorized f returned for a stack of `points` points: (points,) + f(x).shape."""
    at = f"for a stack of {points} points"
    arr = output(value, call="f (vectorized=True)", at=at, complex_ok=complex_ok)
    if arr.shape != (points, *shape):
        raise ArgumentError(
            f"f (vectorized=True) returned shape {arr.shape} {at}; expected {(points, *shape)}, the stack's "
            f"length + f(x).shape {shape}: f must broadcast over a leading axis (or use vectorized=False)"
        )
    return arr


def resolved_steps(x: NDArray[np.float64], step: float, *, complex_step: bool = False, name: str = "x") -> None:
    """The relative step `step` moves every entry of x: h = step * max(1, |x_i|) with
    (x_i + h) - (x_i - h) not 0 (and, for the complex step, h not below the smallest normal number)."""
    h = step * np.maximum(1.0, np.abs(x))
    with np.errstate(all="ignore"):
        lost = h < np.finfo(np.float64).tiny if complex_step else (x + h) - (x - h) == 0
    if lost.any():
        k = tuple(int(i) for i in np.argwhere(lost)[0])
        at = f"{entry(name, k)} = {x[k]:.6g}"
        if complex_step:
            why = f"underflowed at {at}: h = {h[k]:.3g} is below the smallest normal float64"
            least = float(np.finfo(np.float64).tiny)
        else:
            why = f"underflowed to 0 at {at}: x + h rounds to x"
            least = float(np.finfo(np.float64).eps)
        raise ArgumentError(f"step {step!r} {why}; expected a relative step of at least {least:.2g}", "step")


def entry(name: str, index: tuple[int, ...]) -> str:
    """`x[1, 2]`, or `x` for a 0-d array."""
    return f"{name}[{', '.join(str(i) for i in index)}]" if index else name


def _numbers(value: object, said: str, expected: str = "") -> NDArray[Any]:
    """`value` as an array of numbers (integers, floats or complex), else an ArgumentError
    `{said} <what value is>{expected}`."""
    if value is None:
        raise ArgumentError(f"{said} None{expected}")
    if isinstance(value, (str, bytes)):
        raise ArgumentError(f"{said} {described(value)}{expected}")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError):  # a ragged list
        raise ArgumentError(f"{said} a ragged {type(value).__name__} (its rows differ in length){expected}") from None
    if arr.dtype.kind not in "iufc":
        what = {"b": "booleans", "U": "strings", "S": "bytes", "O": "objects"}.get(arr.dtype.kind, str(arr.dtype))
        shown = described(value) if arr.ndim == 0 else f"an array of {what} ({arr.dtype})"
        raise ArgumentError(f"{said} {shown}{expected}")
    return arr
