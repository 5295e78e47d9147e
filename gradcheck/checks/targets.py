"""The user's code as a function case names it: `module:attribute` imported (only the project's
own, see scope.py), a method or an attribute path of an object looked up, and every call guarded,
so that what goes wrong is one line at the case's line (followed by the user's own traceback where
their code raised)."""

from __future__ import annotations

import copy
import importlib
import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.function import FunctionCase
from ..errors import Ended, UserCodeError, did_you_mean, ending, first_line, summary
from . import scripts
from .scope import Missing, Scope


class PathError(Exception):
    """An attribute path that does not lead anywhere on an object: the message says where it stops."""


def error(case: FunctionCase, key: str, message: str, cause: BaseException | None = None) -> UserCodeError:
    """A problem with the user's code, reported at the line of the case's `key`."""
    return UserCodeError(case.path, case.line_of(key), f"{key}: {message}", cause)


#: What a refusal adds: how to allow an installed package.
ALLOW = "to check an installed package's function, name it in gradcheck_modules"


def imported(case: FunctionCase, key: str, target: str, scope: Scope) -> Any:
    """The object `module:attribute` names (the attribute possibly dotted), for the case's `key`: the
    module found without importing it and imported only if it is the project's own (or allowed by
    gradcheck_modules); no private name, no path through another module, and the object defined in
    the scope too."""
    module_name, _, attr = target.partition(":")
    if module_name.endswith(".py"):
        return _attribute(case, key, target, scripts.loaded(case, key, module_name, scope), scope)
    importlib.invalidate_caches()  # files written since the last import are found
    try:
        problem = scope.module_problem(module_name)
    except Missing as exc:
        raise error(
            case,
            key,
            f"cannot import {module_name!r}: {exc} on sys.path, which holds the rootdir {scope.root}; "
            "add the folder that holds it to pythonpath in the pytest configuration",
        ) from None
    if problem:
        raise error(case, key, f"{target}: {module_name} {problem} (rootdir {scope.root}); {ALLOW}")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise error(case, key, f"cannot import {module_name!r}: {first_line(exc)}", exc) from exc
    except BaseException as exc:  # the module itself raised while being imported
        refuse_ending(case, key, f"importing {module_name!r}", exc)
        if not isinstance(exc, Exception):
            raise  # Ctrl-C, a time limit
        raise error(case, key, f"importing {module_name!r} raised {summary(exc)}", exc) from exc
    return _attribute(case, key, target, obj, scope)


def _attribute(case: FunctionCase, key: str, target: str, obj: Any, scope: Scope) -> Any:
    """What the public attribute path after the colon of `target` leads to on the module `obj`."""
    module_name, _, attr = target.partition(":")
    parts = attr.split(".")
    for i, part in enumerate(parts):
        owner = module_name if i == 0 else f"{module_name}:{'.'.join(parts[:i])}"
        if part.startswith("_"):
            raise error(case, key, f"{target}: {part!r} is private; name a public function or class of the project")
        if not hasattr(obj, part):
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
        if inspect.ismodule(obj):
            raise error(
                case,
                key,
                f"{target}: {owner}.{part} is a module, which a target cannot pass through; "
                f"name the module itself before the colon ({module_name}.{part}:...)",
            )
    problem = scope.object_problem(obj) if callable(obj) else ""  # a plain value is refused as not callable
    if problem:
        raise error(case, key, f"{target} {problem} (rootdir {scope.root}); {ALLOW}")
    return obj


def resolve(case: FunctionCase, key: str, scope: Scope) -> Callable[..., Any]:
    """The function that the case's `key` (function or its derivative) names as `module:attribute`."""
    target = case.function if key == "function" else case.derivative
    obj = case.given[key] if key in case.given else imported(case, key, target, scope)
    if not callable(obj):
        raise error(case, key, f"{target!r} is {type(obj).__name__}, not a function")
    return obj  # type: ignore[no-any-return]


def constructor(case: FunctionCase, scope: Scope) -> Callable[..., Any]:
    """The class that the case's `object:` names; for an object check_function was given, what
    makes a copy of it."""
    given = case.given.get("object")
    if given is not None and not inspect.isclass(given):
        return lambda: copy.deepcopy(given)
    cls = given if given is not None else imported(case, "object", str(case.cls), scope)
    if not inspect.isclass(cls):
        raise error(case, "object", f"{case.cls!r} is {type(cls).__name__}, not a class; object: names a class")
    return cls


def method(case: FunctionCase, key: str, obj: Any, scope: Scope, name: str = "") -> Callable[..., Any]:
    """The method of `obj` that the case's `key` names (or the method `name`, for a setup call or a
    layer's), defined in the scope."""
    name = name or (case.function if key == "function" else case.derivative)
    cls = type(obj).__name__
    if not hasattr(obj, name):
        known = [n for n in dir(obj) if not n.startswith("_") and callable(getattr(obj, n, None))]
        hint = did_you_mean(name, known) or f"; it has {', '.join(known) or 'no public method'}"
        raise error(case, key, f"{cls!r} object has no method {name!r}{hint}")
    found = getattr(obj, name)
    if not callable(found):
        raise error(case, key, f"{cls}.{name} is {type(found).__name__}, not a method")
    problem = scope.object_problem(found)
    if problem:
        raise error(case, key, f"{cls}.{name} {problem} (rootdir {scope.root}); {ALLOW}")
    return found  # type: ignore[no-any-return]


def guarded(case: FunctionCase, key: str, fn: Callable[..., Any], what: str = "") -> Callable[..., Any]:
    """fn, with an exception it raises turned into a UserCodeError at the line of `key`, and
    SystemExit or one of pytest's outcomes into an Ended (see refuse_ending)."""
    shown = what or case.shown(key)

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except BaseException as exc:
            refuse_ending(case, key, shown, exc)
            if not isinstance(exc, Exception):
                raise  # Ctrl-C, a time limit
            raise error(case, key, f"{shown} raised {summary(exc)}{_misnamed(key, exc)}", exc) from exc

    return call


#: What a derivative of these keys is called with: the case's arguments, as f is.
_CALLED_AS_F = ("jacobian", "gradient", "elementwise")


def _misnamed(key: str, exc: Exception) -> str:
    """Where a derivative called as f is called refused its arguments (a TypeError raised by the
    call itself, not inside it): the keys that call a derivative with a cotangent instead."""
    refused = isinstance(exc, TypeError) and exc.__traceback__ is not None and exc.__traceback__.tb_next is None
    if key not in _CALLED_AS_F or not refused:
        return ""
    return (
        f"; {key}: is called with the case's args, as function: is; a derivative that takes a cotangent is "
        "backward: (backward(dout, *cache)) or vjp: (vjp(u, **args)); one called with other arguments says "
        "which in takes: ([] for backward(), [self.output, y_true] for backward(self.output, y_true))"
    )


def refuse_ending(case: FunctionCase, key: str, shown: str, exc: BaseException) -> None:
    """An Ended, one line at the line of `key`, where project code (`shown`) raised `exc` and `exc`
    would end the run or decide the item's outcome (SystemExit, pytest.exit, skip, xfail, fail)."""
    ended = ending(exc)
    if ended:
        raise Ended(error(case, key, f"{shown} {ended}")) from None


def lookup(root: Any, path: str, shown: str) -> Any:
    """What `path` (`W`, `params.W1`, `layers.0.W`) leads to on `root`, named `shown` in an error:
    a key of a mapping, an index of a list or tuple, else an attribute."""
    obj = root
    for part in path.split("."):
        if part.startswith("_"):
            raise PathError(f"{shown}.{part} is private; a path names the object's public parameters")
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
        if inspect.ismodule(obj):
            raise PathError(f"{shown}.{part} is a module; a path names the object's own parameters")
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
        stored = value is None and key == "function" and case.cls is not None and not case.output
        fix = " (a method that stores its output, self.output = ..., needs output: output beside it)" if stored else ""
        raise error(case, key, f"{case.shown(key)} {verb} {got}{what}; expected an array of numbers{fix}")
    return arr
