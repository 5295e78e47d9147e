"""check_function's keywords as the fields of one function case, for the reader of case files:
what Python hands over (a function, a class or an object, an argument's value) is a Given,
passed on as it is, where a case file holds text and data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .format import KINDS
from .yamlreader import YList, YMap

#: What check_function's messages name in place of a case file's `path:line`, and its case's name.
WHERE = "check_function"
#: The keys that name code: a case file gives them as text, check_function as Python objects.
CODE_KEYS = ("function", "object", *KINDS)


@dataclass(frozen=True)
class Given:
    """A Python object handed to check_function: code (a function, a class, an object) or an
    argument's value, used as it is. A case file never holds one."""

    value: Any


def given_name(value: Any) -> str:
    """`module:qualname` of a function or class (of an object, its class), as messages name it."""
    named = value if hasattr(value, "__qualname__") else type(value)
    return f"{getattr(named, '__module__', None) or '?'}:{named.__qualname__}"


def case_item(keywords: Mapping[str, Any]) -> YMap:
    """check_function's keywords (None: not given, as null in a case file) as a case's fields at
    line 0: code and argument values as Given, a list of names as a YList, a mapping as a YMap."""
    item = YMap(line=0)
    for key, value in {"name": WHERE, **keywords}.items():
        if value is not None:
            item[key], item.key_lines[key] = _field(key, value), 0
    return item


def _field(key: str, value: Any) -> Any:
    if key in CODE_KEYS and not isinstance(value, str):  # a method's name, or `returned`, stays text
        return Given(value)
    if key in ("args", "init", "gradients") and isinstance(value, Mapping):
        return _mapping({name: Given(v) if key != "gradients" else v for name, v in value.items()})
    if key == "wrt" and isinstance(value, list | tuple):
        return YList(list(value), [0] * len(value), 0)
    return value


def _mapping(values: dict[str, Any]) -> YMap:
    out = YMap(line=0)
    for name, value in values.items():
        out[name], out.key_lines[name] = value, 0
    return out
