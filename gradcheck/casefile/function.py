"""Function cases: a function named `module:attr` in YAML, with its jacobian, gradient or vjp, into a FunctionCase."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import CaseError, did_you_mean
from ..options import DTYPES, MAX_WORKERS, MODES, ORDERS, SCHEMES
from . import arrays
from .fields import FieldReader, Mark, finite, kind
from .format import FUNCTION_KEYS, FUNCTION_ONLY_KEYS, KINDS, LAYER_KEYS
from .yamlreader import YList, YMap, show, show_key

#: `module:attribute`, the attribute possibly dotted.
TARGET_RE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


@dataclass(frozen=True, eq=False)
class FunctionCase:
    """One validated function case; arrays are built, every field remembers its line."""

    name: str
    path: str
    line: int
    function: str  # "module:attribute"
    kind: str  # "jacobian", "gradient" or "vjp"
    derivative: str  # "module:attribute" of the jacobian, gradient or vjp
    args: Mapping[str, Any]  # keyword arguments: arrays, or plain YAML scalars
    wrt: str  # the array argument differentiated
    vectorized: bool
    rtol: float | None
    atol: float | None
    step: float | None
    dtype: str
    marks: tuple[Mark, ...]
    lines: Mapping[str, int]
    mode: str = "auto"
    scheme: str = "central"  # the finite-difference stencil, as in a layer case
    order: str = "C"  # the memory order of each point of a stack (vectorized only)
    workers: int = 1  # threads evaluating the stacks (vectorized only)

    def line_of(self, key: str) -> int:
        """The line of field `key` (`args.x` for an argument), or of the case itself."""
        return self.lines.get(key, self.line)

    @property
    def x(self) -> NDArray[np.floating]:
        """The point the derivative is checked at: the `wrt` argument."""
        value: NDArray[np.floating] = self.args[self.wrt]
        return value


def is_function_case(item: YMap, defaults: YMap) -> bool:
    """Whether a case is a function case: it or the defaults name a function."""
    return "function" in item or "function" in defaults


def refuse_function_keys(item: YMap, path: str) -> None:
    """A layer case may not have the keys only function cases have."""
    for key in item:
        if key in FUNCTION_ONLY_KEYS:
            raise CaseError(
                path,
                item.key_lines[key],
                f"{key}: belongs to a user-function case; add 'function: module:attribute' "
                "to check your own function, or remove it from this layer case",
            )


def parse_function(item: YMap, defaults: YMap, path: str, limit: int) -> FunctionCase:
    """Validate a function case: its fields over those defaults that function cases have."""
    for key in item:
        _refuse(key, item.key_lines[key], path)
    shared = {k: v for k, v in defaults.items() if k in FUNCTION_KEYS}  # layer defaults do not apply here
    lines = {k: defaults.key_lines[k] for k in shared}
    return _FunctionReader(FieldReader.merged(item, shared, lines, path), limit).parse()


def _refuse(key: str, line: int, path: str) -> None:
    if key in FUNCTION_KEYS:
        return
    if key == "checks":
        message = "does not apply to a user-function case, which checks its jacobian:, gradient: or vjp:; remove it"
    elif key in LAYER_KEYS:
        message = (
            "is a key of layer cases; a user-function case passes its function's inputs in args:, "
            "e.g. args: {x: {shape: [4], seed: 0}}"
        )
    else:
        message = f"unknown key in user-function case{did_you_mean(key, FUNCTION_KEYS)}; expected one of " + (
            ", ".join(FUNCTION_KEYS)
        )
    raise CaseError(path, line, f"{show_key(key)}: {message}")


class _FunctionReader:
    def __init__(self, fields: FieldReader, limit: int) -> None:
        self.fields, self.limit, self.error = fields, limit, fields.error

    def parse(self) -> FunctionCase:
        f = self.fields
        name = f.name()
        function = self._target("function")
        kind_ = self._kind()
        dtype = f.dtype(DTYPES)
        args, arg_lines = self._args(dtype)
        vectorized = f.boolean("vectorized")
        for key in ("order", "workers"):
            if key in f.values and not vectorized:
                raise self.error(
                    key, f"applies to vectorized: true only; add vectorized: true (if f broadcasts) or drop {key}"
                )
        return FunctionCase(
            name=name,
            path=f.path,
            line=f.line,
            function=function,
            kind=kind_,
            derivative=self._target(kind_),
            args=args,
            wrt=self._wrt(args),
            vectorized=vectorized,
            rtol=f.positive("rtol"),
            atol=f.positive("atol", zero=True),
            step=f.positive("step"),
            dtype=dtype,
            marks=f.marks(),
            lines={**f.lines, **arg_lines},
            mode=f.choice("mode", MODES, "auto"),
            scheme=f.choice("scheme", SCHEMES, "central"),
            order=f.choice("order", ORDERS, "C"),
            workers=f.bounded_int("workers", 1, MAX_WORKERS),
        )

    def _target(self, key: str) -> str:
        value = self.fields.values[key]
        if not isinstance(value, str) or not TARGET_RE.fullmatch(value):
            raise self.error(key, f"{show(value)} is not 'module:attribute'; expected e.g. mylib.activations:tanh")
        return value

    def _kind(self) -> str:
        given = [k for k in KINDS if k in self.fields.values]
        if not given:
            raise self.error(
                "function", "needs its derivative: give one of jacobian:, gradient: or vjp: as module:attribute"
            )
        if len(given) > 1:
            later = max(given, key=lambda k: self.fields.lines.get(k, self.fields.line))
            raise self.error(later, f"give only one of jacobian:, gradient: or vjp:; this case has {', '.join(given)}")
        return given[0]

    def _args(self, dtype: str) -> tuple[dict[str, Any], dict[str, int]]:
        """The keyword arguments (arrays built), and the line of each as `args.NAME`."""
        if "args" not in self.fields.values:
            raise self.error("args", "missing; give the function's keyword arguments, e.g. args: {x: [0.5, -1.0]}")
        raw = self.fields.values["args"]
        if not isinstance(raw, YMap) or not raw:
            raise self.error("args", f"{show(raw)} is {kind(raw)}; expected a mapping of keyword arguments")
        lines = {f"args.{name}": raw.key_lines[name] for name in raw}
        # the arguments read as fields of their own, `args.x`, at their own lines
        fields = FieldReader({f"args.{n}": v for n, v in raw.items()}, lines, self.fields.path, self.fields.line)
        out: dict[str, Any] = {}
        total = 0
        for name, value in raw.items():
            key = f"args.{name}"
            if not name.isidentifier() or keyword.iskeyword(name):
                raise fields.error(key, "is not a Python keyword argument name; expected an identifier")
            if not isinstance(value, YList | YMap):
                if value is None or isinstance(value, bool | str) or finite(value):
                    out[name] = value  # a plain argument: passed as it is
                    continue
                raise fields.error(key, f"{show(value)} is {kind(value)}; expected a number, a list or an array spec")
            arr = arrays.array(fields, key, dtype, self.limit)
            total += arr.size
            if total > self.limit:
                raise fields.error(key, f"the array arguments have {total} entries, over the limit of {self.limit}")
            out[name] = arr
        return out, lines

    def _wrt(self, args: dict[str, Any]) -> str:
        arrays_ = [name for name, value in args.items() if isinstance(value, np.ndarray)]
        if "wrt" not in self.fields.values:
            if len(arrays_) == 1:
                return arrays_[0]
            if not arrays_:
                raise self.error("args", "has no array to differentiate; give one as a list or an array spec")
            raise self.error(
                "args",
                f"has several arrays ({', '.join(arrays_)}); name the one to differentiate, e.g. wrt: {arrays_[0]}",
            )
        wrt = self.fields.values["wrt"]
        if not isinstance(wrt, str) or wrt not in args:
            hint = did_you_mean(wrt, args) if isinstance(wrt, str) else ""
            raise self.error("wrt", f"{show(wrt)} is not an argument{hint}; expected one of {', '.join(args)}")
        if wrt not in arrays_:
            raise self.error(
                "wrt",
                f"{wrt!r} is {kind(args[wrt])}; expected an array argument (a list or an array spec): "
                f"one of {', '.join(arrays_) or 'none given'}",
            )
        if args[wrt].size == 0:
            raise self.error("wrt", f"{wrt!r} has no entries; give it at least one")
        return wrt
