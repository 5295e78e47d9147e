"""`call:`: the setup methods called on a fresh object after `init:` and `set:`, before its first
forward (`layer.initialize(n_in=3, n_out=4)` for a layer that builds its weights there), in order,
each with keyword arguments as in `args`; read for an `object:` case and for each entry of `layers:`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .budget import Budget
from .fields import FieldReader, kind
from .format import PUBLIC_PATTERN
from .objects import keyword_args, refuse_private
from .yamlreader import YList, YMap, show

#: A method's name.
METHOD_RE = re.compile(PUBLIC_PATTERN)
#: What one entry of `call:` looks like, as the messages show it.
EXAMPLE = "[{initialize: {n_in: 3, n_out: 4}}] or [reset]"


@dataclass(frozen=True)
class Call:
    """One setup call: the method's name, its keyword arguments, and the field its errors are
    reported at (`call.0`, `layers.1.call.0`), whose line the case keeps."""

    method: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    field: str = "call"


def setup_calls(fields: FieldReader, where: str, arrays: tuple[str, Budget]) -> tuple[tuple[Call, ...], dict[str, int]]:
    """The calls `call:` of `fields` lists, in order, and the line of each (and of its arguments) by
    its field name, `where` (`call` or `layers.1.call`) followed by its position; () where none."""
    if "call" not in fields.values:
        return (), {}
    value = fields.values["call"]
    if not isinstance(value, YList):
        raise fields.error("call", f"{show(value)} is {kind(value)}; expected a list of method calls, e.g. {EXAMPLE}")
    calls, lines = [], {}
    for number, (entry, line) in enumerate(zip(value, value.item_lines, strict=True)):
        name = f"{where}.{number}"
        own = FieldReader({name: entry}, {name: line}, fields.path, line)
        method, arguments = _entry(own, name, entry)
        own.values[name] = arguments
        kwargs, kwarg_lines = keyword_args(own, name, *arrays)
        calls.append(Call(method, kwargs, name))
        lines.update({name: line, **kwarg_lines})
    return tuple(calls), lines


def _entry(own: FieldReader, name: str, entry: Any) -> tuple[str, YMap]:
    """The method an entry names and the mapping of its keyword arguments (empty for a bare name)."""
    if isinstance(entry, str):
        method, arguments = entry, YMap()
    elif isinstance(entry, YMap) and len(entry) == 1:
        ((method, arguments),) = entry.items()
        arguments = YMap(entry.line) if arguments is None else arguments
    else:
        raise own.error(
            name, f"{show(entry)} is {kind(entry)}; expected a method's name, or one method with its keyword arguments"
        )
    refuse_private(own, name, method)
    if not isinstance(method, str) or not METHOD_RE.fullmatch(method):
        raise own.error(name, f"{show(method)} is not a method name; expected e.g. {EXAMPLE}")
    if not isinstance(arguments, YMap):
        raise own.error(
            name, f"{method}: {show(arguments)} is {kind(arguments)}; expected a mapping of keyword arguments or {{}}"
        )
    return method, arguments
