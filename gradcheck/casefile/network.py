"""A network assembled from the project's own layers (`layers:`): each layer an object made from
`module:Class` with its `init` (and its setup `call:`), its forward feeding the next, and the loss
at the end: the case's `function` (`loss, dscores = loss(scores, **args)`), or a loss object
(`loss:`) with a forward and a backward of its own; read from a case file as the other fields are."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import did_you_mean
from .budget import Budget
from .calls import Call, setup_calls
from .fields import FieldReader, kind
from .format import KINDS, LOSS_KEYS, LOSS_REDUCTIONS
from .objects import PATH_RE, TARGET_RE, file_hint, keyword_args, refuse_private
from .yamlreader import YList, YMap, show

#: The keys of one entry of `layers:`.
LAYER_KEYS = ("object", "init", "call", "forward", "backward", "output", "gradient", "gradients")
#: What a loss object's backward may take besides the case's arguments and `self.` paths.
LOSS_TAKES = ("scores", "output")


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
    calls: tuple[Call, ...] = ()  # setup methods called after it is made, before its first forward
    lines: Mapping[str, int] = field(default_factory=dict)  # the line of each call (`layers.0.call.0`)
    output: str = ""  # where forward leaves its output on the object ("": it returns it)
    gradient: str = ""  # where backward leaves the gradient of its input ("": it returns it)

    def gradient_of(self, parameter: str) -> str:
        """The attribute that holds the gradient of `parameter` after backward."""
        return self.gradients.get(parameter, "d" + parameter.rsplit(".", 1)[-1])


def pieces(fields: FieldReader, dtype: str, budget: Budget) -> tuple[Piece, ...]:
    """The `layers:` list, each entry checked at its own line; () where the case has none."""
    if "layers" not in fields.values:
        return ()
    value = fields.values["layers"]
    if "takes" in fields.values:
        raise fields.error(
            "takes",
            "the layers' backward calls each take the gradient of the next; what a loss object's backward takes "
            "goes in loss: {object: module:Class, takes: [...]}",
        )
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
    calls, lines = setup_calls(own, f"{key}.call", arrays)
    output, gradient = _path(own, "output", key), _path(own, "gradient", key)
    piece = Piece(cls, line, init, methods["forward"], methods["backward"], dict(gradients), calls, lines)
    return replace(piece, output=output, gradient=gradient)


def _path(own: FieldReader, name: str, key: str) -> str:
    """Where a method leaves its result on the object (`output`, `gradient`), a path; "" if not given."""
    value = own.values.get(name, "")
    refuse_private(own, name, value)
    if not isinstance(value, str) or (value and not PATH_RE.fullmatch(value)):
        where = "the loss object" if key == "loss" else f"the object in {key}"
        example = "output" if name == "output" else "dinputs"
        raise own.error(name, f"{show(value)} is not a path on {where}; expected e.g. {example}")
    return value


@dataclass(frozen=True)
class Loss:
    """A loss object at the end of a network: made as a layer is (`piece`), its forward called as
    `forward(scores, **args)`, its backward with what `takes` says (None: as forward is), its
    gradient of the scores what backward returns or, with the piece's `gradient`, the path it leaves
    it at; the objective is forward's value reduced by `reduction`."""

    piece: Piece
    takes: tuple[str, ...] | None = None
    reduction: str = "none"


def loss_object(
    fields: FieldReader, layers: tuple[Piece, ...], args: Mapping[str, Any], arrays: tuple[str, Budget]
) -> Loss | None:
    """`loss:`, a loss object ending the network; None where the case has none. Its methods stand
    for the case's `function` and derivative, which it therefore may not give."""
    if "loss" not in fields.values:
        return None
    value, line = fields.values["loss"], fields.lines.get("loss", fields.line)
    if not layers:
        raise fields.error("loss", "ends a network; give the layers it follows in layers:")
    if not isinstance(value, YMap):
        raise fields.error(
            "loss", f"{show(value)} is {kind(value)}; expected a mapping such as {{object: m:CrossEntropy}}"
        )
    for key in ("function", *KINDS):
        if key in fields.values:
            raise fields.error(
                key, "with loss:, the loss object's forward and backward are the loss and its gradient; drop " + key
            )
    own = FieldReader(dict(value), {k: value.key_lines[k] for k in value}, fields.path, line)
    for name in value:
        if name not in LOSS_KEYS:
            raise own.error(
                name, f"unknown key in loss{did_you_mean(name, LOSS_KEYS)}; expected one of {', '.join(LOSS_KEYS)}"
            )
    piece = _piece(own, "loss", line, arrays)
    return Loss(piece, _loss_takes(own, args), own.choice("reduction", LOSS_REDUCTIONS, "none"))


def _loss_takes(own: FieldReader, args: Mapping[str, Any]) -> tuple[str, ...] | None:
    """What the loss's backward is called with, in order: `scores` (the last layer's output),
    `output` (what its forward returned), arguments of the case, `self.` paths on the loss object."""
    if "takes" not in own.values:
        return None
    value, known = own.values["takes"], [*LOSS_TAKES, *args]
    if not isinstance(value, YList) or not all(isinstance(v, str) for v in value):
        raise own.error("takes", f"{show(value)} is not a list of names; expected e.g. [scores, y] or []")
    for name in value:
        refuse_private(own, "takes", name)
        path = name.removeprefix("self.")
        if name != path and PATH_RE.fullmatch(path):
            continue
        if name not in known:
            why = "; a loss's backward starts the backward pass and takes no cotangent" if name == "cotangent" else ""
            raise own.error(
                "takes",
                f"{name!r} is neither scores, output, an argument nor a self. path{did_you_mean(name, known)}{why}",
            )
    return tuple(value)


def network_input(fields: FieldReader, layers: tuple[Piece, ...], args: dict[str, Any], cls: str | None) -> str:
    """The argument the first layer takes (`input:`, default `x`), with what `layers:` needs of the
    case: no `object:`, a loss that gives its own gradient (`gradient: returned`, or `loss:`), an array
    argument to take."""
    if not layers:
        return "x"
    if cls is not None:
        raise fields.error("layers", "and object: are one or the other; the layers are the objects here")
    if "loss" not in fields.values and fields.values.get("gradient") != "returned":
        raise fields.error(
            "layers",
            "needs gradient: returned, the loss function giving (loss, dscores) that the layers' backward take, "
            "or a loss object: loss: {object: module:Class}",
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
