"""Arrays in a case file: literal (nested) lists and array specs such as {seed: 0, scale: 1}.

One parser serves every kind of case. A spec's shape is the one the case implies (a layer's
x, weights, bias) or its own `shape:` (a function's arguments); `{seed: N}` alone is standard
normal, as NumPy's default.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .budget import Budget
from .fields import FieldReader, check_keys, finite, kind
from .format import SPEC_KEYS
from .yamlreader import YList, YMap, show

#: The keys of a spec that say how its values are drawn; a spec gives at most one (none: scale 1).
DRAWS = ("fill", "scale", "low", "integers")
#: Integer entries of a literal list stay integers below this magnitude (int64).
INT_LIMIT = 2**63


def array(
    fields: FieldReader,
    key: str,
    dtype: str,
    budget: Budget,
    shape: tuple[int, ...] | None = None,
    reason: str = "",
) -> NDArray[np.floating]:
    """The array `key` holds, a list or a spec, cast to `dtype`. `shape` is what the case needs
    (`reason` says why, e.g. "inputs=3"); None where a spec must give its own shape."""
    return cast(fields, key, typed(fields, key, budget, shape, reason), dtype)


def typed(
    fields: FieldReader,
    key: str,
    budget: Budget,
    shape: tuple[int, ...] | None = None,
    reason: str = "",
) -> NDArray[np.float64] | NDArray[np.int64]:
    """The array `key` holds as YAML gives it: int64 for a list of integers or an `integers:`
    spec, float64 otherwise."""
    spec = fields.values[key]
    if isinstance(spec, YList):
        arr = literal(fields, key, spec, budget, integers=True)
        if shape is not None and arr.shape != shape:
            raise fields.error(key, f"has shape {arr.shape}; {reason} needs {shape}")
        return arr
    if isinstance(spec, YMap):
        return generated(fields, key, spec, _spec_shape(fields, key, spec, shape, reason, budget))
    expected = f"a list of shape {shape} or an array spec" if shape is not None else "a list or an array spec"
    raise fields.error(key, f"{show(spec)} is {kind(spec)}; expected {expected}")


def cast(fields: FieldReader, key: str, arr: NDArray[Any], dtype: str) -> NDArray[np.floating]:
    """`arr` as `dtype`, refused where it overflows that type."""
    with np.errstate(over="ignore"):
        out = arr.astype(dtype)
    if not np.all(np.isfinite(out)):
        limit = float(np.finfo(dtype).max)
        raise fields.error(key, f"has entries beyond the {dtype} range; expected magnitudes below {limit:.3g}")
    return out


def literal(
    fields: FieldReader, key: str, spec: YList, budget: Budget, integers: bool = False, booleans: bool = False
) -> NDArray[Any]:
    """A rectangular nested list of finite numbers as a float64 array; with `integers`, an int64
    array where every entry is an integer (of int64's range); with `booleans`, a list of booleans
    as a bool array (a mask)."""
    shape: list[int] = []
    level: Any = spec
    while isinstance(level, list):
        shape.append(len(level))
        level = level[0] if level else None
    budget.axes(fields, key, len(shape))
    budget.take(fields, key, math.prod(shape))
    flat: list[float] = []
    _flatten(fields, key, spec, tuple(shape), flat, booleans)
    if booleans:
        return np.array(flat, dtype=bool).reshape(shape)
    if integers and flat and all(type(v) is int and -INT_LIMIT <= v < INT_LIMIT for v in flat):
        return np.array(flat, dtype=np.int64).reshape(shape)
    return np.array(flat, dtype=np.float64).reshape(shape)


def _flatten(
    fields: FieldReader, key: str, node: Any, shape: tuple[int, ...], out: list[float], booleans: bool = False
) -> None:
    if not shape:
        if booleans:
            if not isinstance(node, bool):
                raise fields.error(key, f"entry {show(node)} is {kind(node)}; a mask holds true or false only")
            out.append(node)
            return
        if isinstance(node, bool):
            raise fields.error(
                key, f"entry {show(node)} is a boolean among numbers; give all booleans (a mask) or all numbers"
            )
        if not isinstance(node, int | float):
            raise fields.error(key, f"entry {show(node)} is {kind(node)}; expected a number")
        if not finite(node):
            raise fields.error(key, f"entry {show(node)} is not finite; expected a finite number")
        out.append(node)
        return
    if not isinstance(node, list) or len(node) != shape[0]:
        got = f"a list of {len(node)}" if isinstance(node, list) else kind(node)
        raise fields.error(key, f"is a ragged list: {got} where a list of {shape[0]} belongs; give a rectangular array")
    for item in node:
        _flatten(fields, key, item, shape[1:], out, booleans)


def is_spec(mapping: YMap) -> bool:
    """Whether a mapping of an argument is an array spec (its keys a spec's, or a `shape:`) rather
    than a plain mapping passed as it is (`{stride: 1, pad: 1}`, `{p: 0.5, mode: train, seed: 0}`)."""
    return "shape" in mapping or all(k in SPEC_KEYS for k in mapping)


def leaves(node: Any) -> set[str]:
    """What the innermost entries of a nested list are: "number", "boolean", "other"."""
    if isinstance(node, list):
        return set().union(*(leaves(item) for item in node)) if node else set()
    if isinstance(node, bool):
        return {"boolean"}
    return {"number"} if isinstance(node, int | float) else {"other"}


def _spec_shape(
    fields: FieldReader, key: str, spec: YMap, shape: tuple[int, ...] | None, reason: str, budget: Budget
) -> tuple[int, ...]:
    """The shape a spec fills: the case's, which its own `shape:` may repeat, or its own."""
    given = spec.get("shape")
    if shape is not None:
        if given is not None:
            if not isinstance(given, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in given):
                raise fields.error(key, f"shape {show(given)} is not a list of integers; expected {list(shape)}")
            if tuple(given) != shape:
                raise fields.error(key, f"shape {show(list(given))} contradicts {reason}, which needs {list(shape)}")
        budget.take(fields, key, math.prod(shape), f"shape {list(shape)} has {math.prod(shape)} entries")
        return shape
    if given is None:
        raise fields.error(
            key,
            "an array spec here needs shape:, e.g. {shape: [4], seed: 0, scale: 1} (a mapping passed to your code as "
            "it is holds a key that is not a spec's)",
        )
    if not isinstance(given, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in given):
        raise fields.error(key, f"shape {show(given)} is not a list of positive integers; expected e.g. [4]")
    budget.axes(fields, key, len(given))
    budget.take(fields, key, math.prod(given), f"shape {list(given)} has {math.prod(given)} entries")
    return tuple(given)


def generated(
    fields: FieldReader, key: str, spec: YMap, shape: tuple[int, ...]
) -> NDArray[np.float64] | NDArray[np.int64]:
    """The array a spec describes: fill, normal (scale; the default) or uniform (low/high),
    plus offset, with a fraction of zeros; or random integers; seeded by `seed`."""
    check_keys(spec, SPEC_KEYS, fields.path, key)
    if "integers" in spec:
        return _integers(fields, key, spec, shape)
    numbers = {k: spec[k] for k in SPEC_KEYS[1:] if k in spec}
    for k, v in numbers.items():
        if not finite(v):
            raise fields.error(key, f"{k} {show(v)} is not a finite number; expected a number")
    if ("high" in numbers) != ("low" in numbers):
        raise fields.error(key, "low and high go together; give both, e.g. {seed: 0, low: -1, high: 1}")
    draws = [k for k in DRAWS if k in numbers]
    if len(draws) > 1:
        raise fields.error(key, "give at most one of fill, scale, low/high or integers, e.g. {seed: 0, scale: 1}")
    draw = draws[0] if draws else "scale"
    rng = _rng(fields, key, numbers, draw != "fill" or "zeros" in numbers or "seed" in numbers)
    if draw == "fill":
        arr = np.full(shape, float(numbers["fill"]))
    elif draw == "scale":
        scale = numbers.get("scale", 1.0)
        if scale <= 0:
            raise fields.error(key, f"scale {scale} is not positive; expected a positive standard deviation")
        with np.errstate(over="ignore"):  # too large a scale is refused below, as not finite
            arr = rng.standard_normal(shape) * float(scale)
    else:
        low, high = float(numbers["low"]), float(numbers["high"])
        if not low < high:
            raise fields.error(key, f"low {low:g} is not below high {high:g}; expected low < high")
        if not math.isfinite(high - low):
            raise fields.error(key, f"low {low:g} to high {high:g} is wider than the float range; narrow it")
        arr = rng.uniform(low, high, shape)
    with np.errstate(over="ignore"):
        arr = arr + float(numbers.get("offset", 0.0))
    if "zeros" in numbers:
        if not 0 <= numbers["zeros"] <= 1:
            raise fields.error(key, f"zeros {numbers['zeros']} is not a fraction; expected 0 <= zeros <= 1")
        arr[rng.random(shape) < numbers["zeros"]] = 0.0
    if not np.all(np.isfinite(arr)):
        raise fields.error(key, "the spec produces values that are not finite; use a smaller scale or offset")
    return arr


def _rng(fields: FieldReader, key: str, spec: dict[str, Any], random: bool) -> np.random.Generator:
    """The spec's generator, seeded by its `seed`; a random draw needs one."""
    seed = spec.get("seed")
    if random and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise fields.error(
            key, f"seed {show(seed)} is not a non-negative integer; random arrays need one, e.g. seed: 0"
        )
    return np.random.default_rng(int(seed or 0))


def _integers(fields: FieldReader, key: str, spec: YMap, shape: tuple[int, ...]) -> NDArray[np.int64]:
    """`{integers: [low, high], seed: N}`: random integers on [low, high), an int64 array."""
    others = [k for k in spec if k not in ("shape", "seed", "integers")]
    if others:
        raise fields.error(
            key, f"integers: takes shape and seed only, not {', '.join(others)}; e.g. {{integers: [0, 10], seed: 0}}"
        )
    bounds = spec["integers"]
    if not (
        isinstance(bounds, list)
        and len(bounds) == 2
        and all(isinstance(b, int) and not isinstance(b, bool) and -INT_LIMIT <= b < INT_LIMIT for b in bounds)
        and bounds[0] < bounds[1]
    ):
        raise fields.error(
            key, f"integers {show(bounds)} is not [low, high] with integers low < high; expected e.g. [0, 10]"
        )
    rng = _rng(fields, key, dict(spec), True)
    return rng.integers(bounds[0], bounds[1], shape, dtype=np.int64)
