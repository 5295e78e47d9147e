"""What a function case hands to the user's code and what it differentiates: keyword arguments
(`args`, and `init` for an object's constructor), the names in `wrt` (arguments, or parameters
living on the object such as `W` or `params.W1`) and where each gradient is read (`gradients`)."""

from __future__ import annotations

import keyword
import re
from typing import Any

import numpy as np

from ..errors import did_you_mean
from ..options import MAX_OUTPUTS
from . import arrays
from .budget import Budget
from .fields import FieldReader, finite, kind
from .format import PATH_PATTERN, TARGET_PATTERN
from .given import Given
from .yamlreader import YList, YMap, show

#: An attribute path on an object: `W`, `params.W1`, `layers.0.W`.
PATH_RE = re.compile(PATH_PATTERN)
#: A target, `module:attribute` (or `path/file.py:attribute`): what `function:`, `object:`, a layer's
#: `object:` and a module's global array in `wrt:` (`mylib.rnn:Wxh`) name.
TARGET_RE = re.compile(TARGET_PATTERN)


def file_hint(value: Any) -> str:
    """For a target whose module part is no module name (`min-char-rnn:lossFun`), how to name the
    file instead: by its path under the rootdir; else ""."""
    if not isinstance(value, str) or ":" not in value:
        return ""
    module, _, attribute = value.partition(":")
    if not module or module.endswith(".py") or all(part.isidentifier() for part in module.split(".")):
        return ""
    path = f"{module.replace('.', '/')}.py:{attribute}"
    return f" ({module} is no module name: name the file by its path under the rootdir, e.g. scripts/{path})"


def private(value: Any) -> str:
    """The first name after the colon of a target (or in a path) that starts with `_`, or ""."""
    if not isinstance(value, str):
        return ""
    names = value.rpartition(":")[2].split(".")
    return next((name for name in names if name.startswith("_")), "")


def refuse_private(fields: FieldReader, key: str, value: Any) -> None:
    """A private name (`_os`, `__globals__`) is refused in every target and path of a case."""
    name = private(value)
    if name:
        raise fields.error(
            key,
            f"{value!r}: {name!r} is a private name, which a case file cannot reach; name a public function, "
            "class, method or parameter of the project",
        )


def keyword_args(fields: FieldReader, key: str, dtype: str, budget: Budget) -> tuple[dict[str, Any], dict[str, int]]:
    """The keyword arguments `key` holds (`args` or `init`): arrays built (a list of integers or an
    `integers:` spec stays int64, other arrays become `dtype`), plain values (and what check_function
    hands over, its float arrays as `dtype`) as they are; the line of each as `KEY.NAME`. Their
    arrays count against the case's `budget`."""
    raw = fields.values.get(key, YMap())
    if not isinstance(raw, YMap):
        raise fields.error(key, f"{show(raw)} is {kind(raw)}; expected a mapping of keyword arguments")
    lines = {f"{key}.{name}": raw.key_lines[name] for name in raw}
    # the arguments read as fields of their own, `args.x`, at their own lines
    own = FieldReader({f"{key}.{n}": v for n, v in raw.items()}, lines, fields.path, fields.line)
    out: dict[str, Any] = {}
    for name, value in raw.items():
        field = f"{key}.{name}"
        if not name.isidentifier() or keyword.iskeyword(name):
            raise own.error(field, "is not a Python keyword argument name; expected an identifier")
        if isinstance(value, Given):  # from check_function: as it is, a float array as `dtype`
            given = value.value
            floats = isinstance(given, np.ndarray) and given.dtype.kind == "f"
            out[name] = arrays.cast(own, field, given, dtype) if floats else given
            continue
        if not isinstance(value, YList | YMap):
            if value is None or isinstance(value, bool | str) or finite(value):
                out[name] = value  # a plain argument: passed as it is
                continue
            raise own.error(field, f"{show(value)} is {kind(value)}; expected a number, a list or an array spec")
        found = arrays.leaves(value) if isinstance(value, YList) else set()
        if (isinstance(value, YMap) and not arrays.is_spec(value)) or "other" in found:
            out[name] = plain(own, field, value)  # settings, names, a vocabulary: a dict or list as written
            continue
        if isinstance(value, YList) and found == {"boolean"}:
            out[name] = arrays.literal(own, field, value, budget, booleans=True)  # a mask
            continue
        arr = arrays.typed(own, field, budget)
        out[name] = arr if arr.dtype.kind == "i" else arrays.cast(own, field, arr, dtype)
    return out, lines


def plain(fields: FieldReader, key: str, value: Any) -> Any:
    """A mapping or list of plain values as Python's dict or list (its own entries likewise); a
    number that is not finite is refused at `key`'s line."""
    if isinstance(value, dict):
        return {k: plain(fields, key, v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(fields, key, v) for v in value]
    if isinstance(value, float) and not finite(value):
        raise fields.error(key, f"holds {show(value)}, which is not finite; expected finite numbers")
    return value


def floating(value: Any) -> bool:
    """Whether an argument is an array of floats (what wrt takes by default)."""
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def wrt_names(fields: FieldReader, args: dict[str, Any], on_object: bool) -> tuple[list[str], bool]:
    """The names `wrt` gives and whether it gave a list (one item each). A name is an array
    argument, or with an object a parameter on it (an attribute path such as `params.W1`)."""
    arrays_ = [name for name, value in args.items() if isinstance(value, np.ndarray)]
    if "wrt" not in fields.values:
        floats = [name for name in arrays_ if floating(args[name])]
        candidates = floats or arrays_
        if len(candidates) == 1:
            return candidates, False
        if not candidates:
            hint = "; or name a parameter of the object, e.g. wrt: W" if on_object else ""
            raise fields.error("args", f"has no array to differentiate; give one as a list or an array spec{hint}")
        raise fields.error(
            "args",
            f"has several arrays ({', '.join(candidates)}); name the one to differentiate, e.g. wrt: {candidates[0]}",
        )
    value = fields.values["wrt"]
    listed = isinstance(value, YList)
    names = list(value) if listed else [value]
    if listed and not names:
        raise fields.error("wrt", "the list is empty; name at least one argument")
    for name in names:
        _check_wrt(fields, name, args, arrays_, on_object)
    twice = [name for i, name in enumerate(names) if name in names[:i]]
    if twice:
        raise fields.error("wrt", f"names {twice[0]!r} twice; list each once")
    return names, listed


def _check_wrt(fields: FieldReader, name: Any, args: dict[str, Any], arrays_: list[str], on_object: bool) -> None:
    if isinstance(name, str) and name in args:
        if name not in arrays_:
            raise fields.error(
                "wrt",
                f"{name!r} is {kind(args[name])}; expected an array argument (a list or an array spec): "
                f"one of {', '.join(arrays_) or 'none given'}",
            )
        if args[name].size == 0:
            raise fields.error("wrt", f"{name!r} has no entries; give it at least one")
        return
    refuse_private(fields, "wrt", name)
    if on_object and isinstance(name, str) and PATH_RE.fullmatch(name):
        return  # a parameter of the object, found when it is made
    if not on_object and isinstance(name, str) and TARGET_RE.fullmatch(name):
        return  # a module's global, `mylib.rnn:Wxh`, found when the check is made
    hint = did_you_mean(name, args) if isinstance(name, str) else ""
    function = fields.values.get("function")
    known = isinstance(function, str) and ":" in function
    module = function.partition(":")[0] if isinstance(function, str) and known else "mylib.rnn"
    example = f"{module}:{name}" if isinstance(name, str) and name.isidentifier() else f"{module}:W"
    where = (
        " nor a path on the object such as W or params.W1"
        if on_object
        else f" nor a module's global, named with its module: {example if known else f'e.g. {example}'}"
    )
    raise fields.error(
        "wrt", f"{show(name)} is not an argument{where}{hint}; expected one of {', '.join(args) or 'none given'}"
    )


def gradient_sources(
    fields: FieldReader, names: list[str], args: dict[str, Any], on_object: bool
) -> dict[str, str | int]:
    """Where `gradients` says each gradient is read: a path on the object after the derivative
    was called, or a position in the tuple it returned. One path `P` stands for `P.NAME` for
    every parameter of the object that wrt names."""
    if "gradients" not in fields.values:
        return {}
    value = fields.values["gradients"]
    parameters = [name for name in names if name not in args]
    if isinstance(value, str):
        _need_object(fields, on_object, value)
        if not parameters:
            raise fields.error(
                "gradients", f"a single path applies to parameters of the object; wrt names only arguments ({names[0]})"
            )
        return {name: f"{value}.{name.rsplit('.', 1)[-1]}" for name in parameters}
    if not isinstance(value, YMap) or not value:
        raise fields.error(
            "gradients", f"{show(value)} is {kind(value)}; expected a mapping such as {{W: dW, b: db}} or a path"
        )
    out: dict[str, str | int] = {}
    for name, source in value.items():
        if name not in names:
            raise fields.error(
                "gradients", f"{name!r} is not in wrt{did_you_mean(name, names)}; expected one of {', '.join(names)}"
            )
        if isinstance(source, int) and not isinstance(source, bool) and source >= 0:
            out[name] = source
        elif isinstance(source, str) and source.startswith("returned."):  # a key of what it returned
            refuse_private(fields, "gradients", source)
            if not PATH_RE.fullmatch(source):
                raise fields.error("gradients", f"{source!r} is not a path; expected e.g. returned.dW1")
            out[name] = source
        elif isinstance(source, str):
            _need_object(fields, on_object, source)
            out[name] = source
        else:
            raise fields.error(
                "gradients",
                f"{name}: {show(source)} is {kind(source)}; expected a path on the object (dW) or a position (0)",
            )
    return out


def output_path(fields: FieldReader, on_object: bool) -> str:
    """The `output` key: a public path on the object where `function` leaves its output, or ""."""
    if "output" not in fields.values:
        return ""
    value = fields.values["output"]
    refuse_private(fields, "output", value)
    if not isinstance(value, str) or not PATH_RE.fullmatch(value):
        raise fields.error("output", f"{show(value)} is not a path; expected attribute names with dots, e.g. output")
    if not on_object:
        raise fields.error("output", "is read on an object; add object: module:Class, or return the output")
    return value


def _need_object(fields: FieldReader, on_object: bool, path: str) -> None:
    refuse_private(fields, "gradients", path)
    if not PATH_RE.fullmatch(path):
        raise fields.error("gradients", f"{path!r} is not a path; expected attribute names with dots, e.g. grads.W")
    if not on_object:
        raise fields.error(
            "gradients", f"{path!r} is read on an object; add object: module:Class, or give positions such as {{x: 0}}"
        )


def attributes(fields: FieldReader, dtype: str, budget: Budget) -> tuple[dict[str, Any], dict[str, int]]:
    """`set:`: attributes set on the object after it is made, values as in `args`, public names only
    (no `__class__`, no `_cache`), with their lines."""
    values, lines = keyword_args(fields, "set", dtype, budget)
    named = FieldReader({}, dict(lines), fields.path, fields.line)
    for name in values:
        refuse_private(named, f"set.{name}", name)
    return values, lines


def outputs_count(fields: FieldReader, kind_: str, vectorized: bool) -> int:
    """`outputs:`, with what several outputs rule out: a derivative that takes no cotangent, `output:`
    and `vectorized:`."""
    count = fields.bounded_int("outputs", 1, MAX_OUTPUTS)
    if count > 1:
        if kind_ not in ("vjp", "backward"):
            raise fields.error(
                "outputs", f"needs vjp: or backward:, which take one cotangent per output; this case has {kind_}:"
            )
        for key in ("output", "vectorized"):
            if key in fields.values and (key != "vectorized" or vectorized):
                raise fields.error(key, f"applies to one output; drop it, or outputs: {count}")
    return count


def object_limits(fields: FieldReader, cls: str, parameters: list[str], evaluation: tuple[str, int]) -> None:
    """What an object's state rules out: threads calling its methods at once, and a complex step in
    a parameter (a float array on the object, which cannot hold one); `evaluation` is (scheme, workers)."""
    scheme, workers = evaluation
    if workers > 1:
        raise fields.error(
            "workers",
            f"threads would call the methods of one {cls} object at once, which is not safe where they keep "
            "state on it (self.x = x); drop workers",
        )
    if scheme == "complex" and parameters:
        raise fields.error(
            "scheme",
            f"complex steps x by an imaginary h, which the parameter {parameters[0]}, a float array perturbed in "
            "place on the object, cannot hold; use central, central4 or richardson",
        )


#: What `takes:` may name besides the case's arguments.
TAKES = ("output", "cotangent")


def takes(fields: FieldReader, kind_: str, args: dict[str, Any], on_object: bool) -> tuple[str, ...] | None:
    """`takes:`: what the derivative is called with, in order; None where the case does not say. A
    `self.` path is read on the object (`self.output`, what a layer stored)."""
    if "takes" not in fields.values:
        return None
    value = fields.values["takes"]
    known = [*TAKES, *args]
    if not isinstance(value, YList) or not all(isinstance(v, str) for v in value):
        raise fields.error("takes", f"{show(value)} is not a list of names; expected e.g. [output, y_true] or []")
    for name in value:
        if name.startswith("self."):
            refuse_private(fields, "takes", name)
            if not on_object or not PATH_RE.fullmatch(name.removeprefix("self.")):
                raise fields.error("takes", f"{name!r} is not a path on an object; expected e.g. self.output")
            continue
        if name not in known:
            raise fields.error(
                "takes",
                f"{name!r} is neither output, cotangent, an argument nor a self. path{did_you_mean(name, known)}",
            )
        if name == "cotangent" and kind_ not in ("vjp", "backward"):
            raise fields.error("takes", f"cotangent applies to vjp: and backward:; this case has {kind_}:")
    return tuple(value)
