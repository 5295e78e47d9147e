"""User-function cases: a function named `module:attr` in YAML, checked against its jacobian, gradient or vjp."""

from __future__ import annotations

import importlib
import keyword
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import cases
from .cases import CaseError, Limits, Mark
from .checks import Check
from .evaluation import ORDERS
from .yamlsafe import YList, YMap

#: The derivative a user case names: one of these keys, each `module:attribute`.
KINDS = ("jacobian", "gradient", "vjp")
#: Every key of a user-function case, in the order the README lists them: its own keys (they
#: mark a case as a user-function case, cases.USER_ONLY_KEYS) among those it shares with layer cases.
USER_KEYS = ("name", "description", *cases.USER_ONLY_KEYS, "rtol", "atol", "step", "dtype", "marks", "mode", "scheme")
TARGET_RE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
#: A vjp is checked in full (one call per basis cotangent) for outputs up to this many
#: entries; a larger output is checked through VJP_PROBES seeded random cotangents.
VJP_BASIS_MAX = 1024
VJP_PROBES = 3
VJP_SEED = 0
#: How far f(stack of x, x) may stray from f(x), relatively, for vectorized: true.
VECTORIZED_RTOL = 1e-6
#: The most threads a case may ask for (workers:).
MAX_WORKERS = 64
#: How much of a user's exception message goes into the one-line error.
MESSAGE_CHARS = 200


@dataclass(frozen=True, eq=False)
class UserCase:
    """One validated user-function case; arrays are built, every field remembers its line."""

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


# -- parsing (cases.parse_document dispatches here) -----------------------------------------


def parse_if_user(item: Any, defaults: YMap, path: str, line: int, limits: Limits) -> UserCase | None:
    """The UserCase when the case (or the defaults) has `function:`; None for a layer case,
    after refusing the keys only a user case has."""
    if not isinstance(item, YMap):
        return None
    if "function" in item or "function" in defaults:
        return _UserCaseParser(item, defaults, path, line, limits).parse()
    for key in item:
        if key in cases.USER_ONLY_KEYS:
            raise CaseError(
                path,
                item.key_lines[key],
                f"{key}: belongs to a user-function case; add 'function: module:attribute' "
                "to check your own function, or remove it from this layer case",
            )
    return None


def check_defaults_keys(defaults: YMap, path: str) -> None:
    """Refuse an unknown key in `defaults:`, listing the keys of user-function cases where the
    file has them (or the key looks like one of theirs), else those of layer cases."""
    for key in defaults:
        if key in cases.CASE_KEYS or key in cases.USER_ONLY_KEYS:
            continue
        user = "function" in defaults or bool(cases.did_you_mean(key, cases.USER_ONLY_KEYS))
        single = YMap(defaults.line)
        single[key] = defaults[key]
        single.key_lines[key] = defaults.key_lines[key]
        cases._check_keys(single, USER_KEYS if user else cases.CASE_KEYS, path, "defaults")


def layer_defaults(defaults: YMap) -> YMap:
    """The defaults that apply to a layer case: those of user cases are left out."""
    out = YMap(defaults.line)
    for key, value in defaults.items():
        if key not in cases.USER_ONLY_KEYS:
            out[key] = value
            out.key_lines[key] = defaults.key_lines[key]
    return out


class _UserCaseParser(cases._CaseParser):
    """Validates a user case; array specs, tolerances and marks are read as in a layer case."""

    def __init__(self, item: YMap, defaults: YMap, path: str, line: int, limits: Limits) -> None:
        super().__init__(YMap(line), YMap(), path, line, limits, ())
        for key in item:
            self._refuse(key, item.key_lines[key])
        shared = {k: v for k, v in defaults.items() if k in USER_KEYS}  # layer defaults do not apply here
        self.values = {**shared, **item}
        self.lines = {**{k: defaults.key_lines[k] for k in shared}, **item.key_lines}

    def _refuse(self, key: str, line: int) -> None:
        if key in USER_KEYS:
            return
        if key == "checks":
            message = "does not apply to a user-function case, which checks its jacobian:, gradient: or vjp:; remove it"
        elif key in cases.CASE_KEYS:
            message = (
                "is a key of layer cases; a user-function case passes its function's inputs in args:, "
                "e.g. args: {x: {shape: [4], seed: 0}}"
            )
        else:
            message = f"unknown key in user-function case{cases.did_you_mean(key, USER_KEYS)}; expected one of " + (
                ", ".join(USER_KEYS)
            )
        raise CaseError(self.path, line, f"{cases._show_key(key)}: {message}")

    def parse(self) -> UserCase:  # type: ignore[override]
        name = self.values.get("name")
        if name is None:
            raise self.error("name", "missing; give each case a name of letters, digits, '_', '.' or '-'")
        if not isinstance(name, str) or not cases.NAME_RE.fullmatch(name):
            raise self.error("name", f"{cases._show(name)} is not a valid name; use letters, digits, '_', '.' or '-'")
        function = self._target("function")
        kind = self._kind()
        dtype = self.values.get("dtype", "float64")
        if dtype not in cases.DTYPES:
            raise self.error("dtype", f"{dtype!r} is not supported; expected one of {', '.join(cases.DTYPES)}")
        args = self._args(dtype)
        vectorized = self.values.get("vectorized", False)
        if not isinstance(vectorized, bool):
            raise self.error(
                "vectorized", f"{cases._show(vectorized)} is {cases._kind(vectorized)}; expected true or false"
            )
        for key in ("order", "workers"):
            if key in self.values and not vectorized:
                raise self.error(
                    key, f"applies to vectorized: true only; add vectorized: true (if f broadcasts) or drop {key}"
                )
        return UserCase(
            name=name,
            path=self.path,
            line=self.line,
            function=function,
            kind=kind,
            derivative=self._target(kind),
            args=args,
            wrt=self._wrt(args),
            vectorized=vectorized,
            rtol=self._positive("rtol"),
            atol=self._positive("atol", zero=True),
            step=self._positive("step"),
            dtype=dtype,
            marks=self._marks(),
            lines=dict(self.lines),
            mode=self._choice("mode", cases.MODES, "auto"),
            scheme=self._choice("scheme", cases.SCHEMES, "central"),
            order=self._choice("order", ORDERS, "C"),
            workers=self._workers(),
        )

    def _workers(self) -> int:
        if "workers" not in self.values:
            return 1
        expected = f"an integer 1..{MAX_WORKERS}"
        value = self._positive_int("workers", expected)
        if value > MAX_WORKERS:
            raise self.error("workers", f"{value} is over {MAX_WORKERS}; expected {expected}")
        return value

    def _target(self, key: str) -> str:
        value = self.values[key]
        if not isinstance(value, str) or not TARGET_RE.fullmatch(value):
            raise self.error(
                key, f"{cases._show(value)} is not 'module:attribute'; expected e.g. mylib.activations:tanh"
            )
        return value

    def _kind(self) -> str:
        given = [k for k in KINDS if k in self.values]
        if not given:
            raise self.error(
                "function",
                "needs its derivative: give one of jacobian:, gradient: or vjp: as module:attribute",
            )
        if len(given) > 1:
            later = max(given, key=lambda k: self.lines.get(k, self.line))
            raise self.error(later, f"give only one of jacobian:, gradient: or vjp:; this case has {', '.join(given)}")
        return given[0]

    def _args(self, dtype: str) -> dict[str, Any]:
        if "args" not in self.values:
            raise self.error("args", "missing; give the function's keyword arguments, e.g. args: {x: [0.5, -1.0]}")
        raw = self.values["args"]
        if not isinstance(raw, YMap) or not raw:
            raise self.error(
                "args", f"{cases._show(raw)} is {cases._kind(raw)}; expected a mapping of keyword arguments"
            )
        out: dict[str, Any] = {}
        total = 0
        for name, value in raw.items():
            key = f"args.{name}"
            self.lines[key] = raw.key_lines[name]
            if not name.isidentifier() or keyword.iskeyword(name):
                raise self.error(key, "is not a Python keyword argument name; expected an identifier")
            if isinstance(value, YList):
                arr = self._literal(key, value)
            elif isinstance(value, YMap):
                arr = self._generated(key, _normal_by_default(value), self._spec_shape(key, value))
            elif value is None or isinstance(value, bool | str) or cases._finite(value):
                out[name] = value  # a plain argument: passed as it is
                continue
            else:
                raise self.error(
                    key, f"{cases._show(value)} is {cases._kind(value)}; expected a number, a list or an array spec"
                )
            total += arr.size
            if total > self.limits.max_elements:
                raise self.error(
                    key, f"the array arguments have {total} entries, over the limit of {self.limits.max_elements}"
                )
            out[name] = self._cast(key, arr, dtype)
        return out

    def _spec_shape(self, key: str, spec: YMap) -> tuple[int, ...]:
        given = spec.get("shape")
        if given is None:
            raise self.error(key, "an array spec here needs shape:, e.g. {shape: [4], seed: 0, scale: 1}")
        if not isinstance(given, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in given
        ):
            raise self.error(key, f"shape {cases._show(given)} is not a list of positive integers; expected e.g. [4]")
        if math.prod(given) > self.limits.max_elements:
            raise self.error(
                key,
                f"shape {list(given)} has {math.prod(given)} entries, over the limit of {self.limits.max_elements} "
                "(gradcheck_max_elements)",
            )
        return tuple(given)

    def _wrt(self, args: dict[str, Any]) -> str:
        arrays = [name for name, value in args.items() if isinstance(value, np.ndarray)]
        if "wrt" not in self.values:
            if len(arrays) == 1:
                return arrays[0]
            if not arrays:
                raise self.error("args", "has no array to differentiate; give one as a list or an array spec")
            raise self.error(
                "args",
                f"has several arrays ({', '.join(arrays)}); name the one to differentiate, e.g. wrt: {arrays[0]}",
            )
        wrt = self.values["wrt"]
        if not isinstance(wrt, str) or wrt not in args:
            choices = ", ".join(args)
            hint = cases.did_you_mean(wrt, args) if isinstance(wrt, str) else ""
            raise self.error("wrt", f"{cases._show(wrt)} is not an argument{hint}; expected one of {choices}")
        if wrt not in arrays:
            raise self.error(
                "wrt",
                f"{wrt!r} is {cases._kind(args[wrt])}; expected an array argument (a list or an array spec): "
                f"one of {', '.join(arrays) or 'none given'}",
            )
        if args[wrt].size == 0:
            raise self.error("wrt", f"{wrt!r} has no entries; give it at least one")
        return wrt


def _normal_by_default(spec: YMap) -> YMap:
    """A spec that gives none of fill, scale or low/high is standard normal: {shape: [4], seed: 0}."""
    if any(k in spec for k in ("fill", "scale", "low", "high")):
        return spec
    out = YMap(spec.line)
    out.update(spec)
    out.key_lines.update(spec.key_lines)
    out["scale"] = 1.0
    out.key_lines["scale"] = spec.line
    return out


# -- running: import the user's functions and build the Check -------------------------------


class UserCodeError(Exception):
    """The user's function could not be imported, raised, or returned the wrong thing;
    `cause` is the user's exception, if any, whose traceback is theirs to read."""

    def __init__(self, path: str, line: int, message: str, cause: BaseException | None = None) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message, self.cause = path, line, message, cause


def build_check(case: UserCase) -> Check:
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


def _evaluation(case: UserCase) -> dict[str, Any]:
    """How the case's checks evaluate f: one point at a time, or stacks (in order, by workers)."""
    return {"vectorized": case.vectorized, "order": case.order, "workers": case.workers}


def _vjp_check(
    case: UserCase,
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


def resolve(case: UserCase, key: str) -> Callable[..., Any]:
    """Import `module:attribute` named by the case's `key` (function, jacobian, gradient or vjp)."""
    target = case.function if key == "function" else case.derivative
    line = case.line_of(key)
    module_name, _, attr = target.partition(":")
    importlib.invalidate_caches()  # files written since the last import are found
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise UserCodeError(case.path, line, f"{key}: cannot import {module_name!r}: {_first_line(exc)}", exc) from exc
    except Exception as exc:  # the module itself raised while being imported
        raise UserCodeError(case.path, line, f"{key}: importing {module_name!r} raised {_described(exc)}", exc) from exc
    parts = attr.split(".")
    for i, part in enumerate(parts):
        if not hasattr(obj, part):
            owner = module_name if i == 0 else f"{module_name}:{'.'.join(parts[:i])}"
            known = [n for n in dir(obj) if not n.startswith("_")]
            raise UserCodeError(
                case.path, line, f"{key}: {owner!r} has no attribute {part!r}{cases.did_you_mean(part, known)}"
            )
        obj = getattr(obj, part)
    if not callable(obj):
        raise UserCodeError(case.path, line, f"{key}: {target!r} is {type(obj).__name__}, not a function")
    return obj  # type: ignore[no-any-return]


def _guarded(case: UserCase, key: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    """fn, with an exception it raises turned into a UserCodeError at the case's line."""
    target = case.function if key == "function" else case.derivative

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise UserCodeError(case.path, case.line_of(key), f"{key}: {target} raised {_described(exc)}", exc) from exc

    return call


def _numbers(case: UserCase, key: str, value: Any, verb: str) -> NDArray[Any]:
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


def _shaped(case: UserCase, value: Any, shape: tuple[int, ...], what: str) -> NDArray[Any]:
    arr = _numbers(case, case.kind, value, "returned")
    if arr.shape != shape:
        raise UserCodeError(
            case.path,
            case.line_of(case.kind),
            f"{case.kind}: {case.derivative} returned shape {arr.shape}; expected {shape}, from {what}",
        )
    return arr


def _check_vectorized(
    case: UserCase, func: Callable[[NDArray[np.floating]], Any], x0: NDArray[np.floating], out: NDArray[Any]
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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS] + "..."


def _described(exc: BaseException) -> str:
    message = _first_line(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__
