"""The user's code as a function case names it: `module:attribute` imported, a method or an attribute
path of an object looked up, and every call guarded, so that what goes wrong is one line at the
case's line (followed by the user's own traceback where their code raised)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.function import FunctionCase
from ..errors import UserCodeError, did_you_mean, first_line, summary


class PathError(Exception):
    """An attribute path that does not lead anywhere on an object: the message says where it stops."""


def error(case: FunctionCase, key: str, message: str, cause: BaseException | None = None) -> UserCodeError:
    """A problem with the user's code, reported at the line of the case's `key`."""
    return UserCodeError(case.path, case.line_of(key), f"{key}: {message}", cause)


def imported(case: FunctionCase, key: str, target: str) -> Any:
    """The object `module:attribute` names (the attribute possibly dotted), for the case's `key`."""
    module_name, _, attr = target.partition(":")
    importlib.invalidate_caches()  # files written since the last import are found
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise error(case, key, f"cannot import {module_name!r}: {first_line(exc)}", exc) from exc
    except Exception as exc:  # the module itself raised while being imported
        raise error(case, key, f"importing {module_name!r} raised {summary(exc)}", exc) from exc
    parts = attr.split(".")
    for i, part in enumerate(parts):
        if not hasattr(obj, part):
            owner = module_name if i == 0 else f"{module_name}:{'.'.join(parts[:i])}"
            known = [n for n in dir(obj) if not n.startswith("_")]
            raise error(case, key, f"{owner!r} has no attribute {part!r}{did_you_mean(part, known)}")
        if inspect.isclass(obj) and inspect.isfunction(inspect.getattr_static(obj, part)):
            cls = f"{module_name}:{'.'.join(parts[:i])}"
            raise error(
                case,
                key,
                f"{target} is a method of class {obj.__name__}, which needs an object: give object: {cls} "
                f"(with init: for its constructor's arguments) and {key}: {part}",
            )
        obj = getattr(obj, part)
    return obj


def resolve(case: FunctionCase, key: str) -> Callable[..., Any]:
    """The function that the case's `key` (function or its derivative) names as `module:attribute`."""
    target = case.function if key == "function" else case.derivative
    obj = imported(case, key, target)
    if not callable(obj):
        raise error(case, key, f"{target!r} is {type(obj).__name__}, not a function")
    return obj  # type: ignore[no-any-return]


def method(case: FunctionCase, key: str, obj: Any) -> Callable[..., Any]:
    """The method of `obj` that the case's `key` names."""
    name = case.function if key == "function" else case.derivative
    cls = type(obj).__name__
    if not hasattr(obj, name):
        known = [n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n, None))]
        raise error(case, key, f"{cls!r} object has no method {name!r}{did_you_mean(name, known)}")
    found = getattr(obj, name)
    if not callable(found):
        raise error(case, key, f"{cls}.{name} is {type(found).__name__}, not a method")
    return found  # type: ignore[no-any-return]


def guarded(case: FunctionCase, key: str, fn: Callable[..., Any], what: str = "") -> Callable[..., Any]:
    """fn, with an exception it raises turned into a UserCodeError at the line of `key`."""
    shown = what or case.shown(key)

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise error(case, key, f"{shown} raised {summary(exc)}", exc) from exc

    return call


def lookup(root: Any, path: str, shown: str) -> Any:
    """What `path` (`W`, `params.W1`, `layers.0.W`) leads to on `root`, named `shown` in an error:
    a key of a mapping, an index of a list or tuple, else an attribute."""
    obj = root
    for part in path.split("."):
        if isinstance(obj, Mapping):
            if part not in obj:
                keys = [str(k) for k in obj]
                raise PathError(
                    f"{shown} has no key {part!r}{did_you_mean(part, keys)}; it has {', '.join(keys) or 'none'}"
                )
            obj = obj[part]
        elif isinstance(obj, Sequence) and not isinstance(obj, str) and part.isdigit():
            if int(part) >= len(obj):
                raise PathError(f"{shown} has {len(obj)} entries, not {int(part) + 1}")
            obj = obj[int(part)]
        elif hasattr(obj, part):
            obj = getattr(obj, part)
        else:
            known = [n for n in dir(obj) if not n.startswith("_")]
            raise PathError(f"{shown} has no attribute {part!r}{did_you_mean(part, known)}")
        shown = f"{shown}.{part}"
    return obj


def numbers(case: FunctionCase, key: str, value: Any, verb: str, what: str = "") -> NDArray[Any]:
    """`value` as an array of numbers, or a UserCodeError naming what it was."""
    try:
        arr = np.asarray(value)
    except Exception:  # a ragged list, say
        arr = np.asarray(None)
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_) or (key == "function" and arr.size == 0):
        got = f"an empty array {arr.shape}" if arr.size == 0 else f"{type(value).__name__} of dtype {arr.dtype}"
        raise error(case, key, f"{case.shown(key)} {verb} {got}{what}; expected an array of numbers")
    return arr
