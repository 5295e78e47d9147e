"""A network assembled from the project's own layers (`layers:`): each layer an object made from
`module:Class` with its `init`, its forward feeding the next, the case's `function` the loss at
the end (`loss, dscores = loss(scores, **args)`); read from a case file as the other fields are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .budget import Budget
from .fields import FieldReader, kind
from .objects import PATH_RE, TARGET_RE, file_hint, keyword_args, refuse_private
from .yamlreader import YList, YMap, show

#: The keys of one entry of `layers:`.
LAYER_KEYS = ("object", "init", "forward", "backward", "gradients")


@dataclass(frozen=True)
class Piece:
    """One layer of a network: its class, its constructor's arguments, its methods, and where its
    backward leaves each parameter's gradient (default: `dW` for `W`)."""

    cls: str
    line: int
    init: Mapping[str, Any] = field(default_factory=dict)
    forward: str = "forward"
    backward: str = "backward"
    gradients: Mapping[str, str] = field(default_factory=dict)

    def gradient_of(self, parameter: str) -> str:
        """The attribute that holds the gradient of `parameter` after backward."""
        return self.gradients.get(parameter, "d" + parameter.rsplit(".", 1)[-1])


def pieces(fields: FieldReader, dtype: str, budget: Budget) -> tuple[Piece, ...]:
    """The `layers:` list, each entry checked at its own line; () where the case has none."""
    if "layers" not in fields.values:
        return ()
    value = fields.values["layers"]
    if not isinstance(value, YList) or not value:
        raise fields.error("layers", f"{show(value)} is {kind(value)}; expected a list of {{object: module:Class}}")
    out = []
    for number, (entry, line) in enumerate(zip(value, value.item_lines, strict=True)):
        key = f"layers.{number}"
        if not isinstance(entry, YMap):
            raise FieldReader({}, {}, fields.path, line).error(
                key, f"{show(entry)} is {kind(entry)}; expected a mapping such as {{object: m:Dense}}"
            )
        own = FieldReader(dict(entry), {k: entry.key_lines[k] for k in entry}, fields.path, line)
        for name in entry:
            if name not in LAYER_KEYS:
                raise own.error(name, f"unknown key in {key}; expected one of {', '.join(LAYER_KEYS)}")
        out.append(_piece(own, key, line, (dtype, budget)))
    return tuple(out)


def _piece(own: FieldReader, key: str, line: int, arrays: tuple[str, Budget]) -> Piece:
    cls = own.values.get("object")
    refuse_private(own, "object", cls)
    if not isinstance(cls, str) or not TARGET_RE.fullmatch(cls):
        hint = file_hint(cls)
        raise own.error("object", f"{show(cls)} is not 'module:Class' in {key}{hint}; expected e.g. mylib.layers:Dense")
    methods = {}
    for name in ("forward", "backward"):
        method = own.values.get(name, name)
        refuse_private(own, name, method)
        if not isinstance(method, str) or not method.isidentifier():
            raise own.error(name, f"{show(method)} is not a method name in {key}; expected e.g. {name}")
        methods[name] = method
    gradients = own.values.get("gradients", YMap())
    if not isinstance(gradients, YMap) or not all(
        isinstance(v, str) and PATH_RE.fullmatch(v) and PATH_RE.fullmatch(k) for k, v in gradients.items()
    ):
        raise own.error("gradients", f"{show(gradients)} is not a mapping of parameters to paths, e.g. {{W: dW}}")
    for path in gradients.values():
        refuse_private(own, "gradients", path)
    init, _ = keyword_args(own, "init", *arrays)
    return Piece(cls, line, init, methods["forward"], methods["backward"], dict(gradients))


def network_input(fields: FieldReader, layers: tuple[Piece, ...], args: dict[str, Any], cls: str | None) -> str:
    """The argument the first layer takes (`input:`, default `x`), with what `layers:` needs of the
    case: no `object:`, the loss's own gradient (`gradient: returned`), an array argument to take."""
    if not layers:
        return "x"
    if cls is not None:
        raise fields.error("layers", "and object: are one or the other; the layers are the objects here")
    if fields.values.get("gradient") != "returned":
        raise fields.error(
            "layers", "needs gradient: returned, the loss giving (loss, dscores) that the layers' backward take"
        )
    name = fields.values.get("input", "x")
    if name not in args or not hasattr(args[name], "shape"):
        arrays = [n for n, v in args.items() if hasattr(v, "shape")]
        raise fields.error(
            "input" if "input" in fields.values else "layers",
            f"the first layer takes the argument {name!r}, which args does not hold as an array; "
            f"name it in input: (one of {', '.join(arrays) or 'none'})",
        )
    return str(name)
