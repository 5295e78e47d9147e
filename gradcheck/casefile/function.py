"""Function cases: a function named `module:attr` in YAML (or a method of an object made from
`module:Class`), with its jacobian, gradient, vjp, backward, jvp or elementwise derivative (or a jvp
beside a vjp or backward), into a FunctionCase."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..errors import CaseError, described, did_you_mean
from ..options import DTYPES, MAX_WORKERS, MODES, ORDERS, SCHEMES
from . import arrays, network, objects
from .budget import Budget
from .calls import Call, setup_calls
from .fields import FieldReader, Mark
from .format import (
    FUNCTION_KEYS,
    FUNCTION_ONLY_KEYS,
    JVP_PARTNERS,
    KINDS,
    LAYER_KEYS,
    PUBLIC_PATTERN,
    RETURNABLE,
    RETURNED,
    SECOND_KINDS,
)
from .given import Given, given_name
from .network import Loss, Piece
from .yamlreader import YMap, show, show_key

#: `module:attribute`, the attribute possibly dotted.
TARGET_RE = objects.TARGET_RE
#: The name of a method.
METHOD_RE = re.compile(PUBLIC_PATTERN)


@dataclass(frozen=True, eq=False)
class FunctionCase:
    """One validated function case; arrays are built, every field remembers its line. A case whose
    `wrt` is a list gives one check per name: the collector makes a copy with `wrt` set to each."""

    name: str
    path: str
    line: int
    function: str  # "module:attribute", or with an object the name of its method
    kind: str  # "jacobian", "gradient", "vjp", "backward", "jvp", "elementwise"; "dot" for a pair's test
    derivative: str  # "module:attribute" (or a method's name) of the derivative, or "returned"
    args: Mapping[str, Any]  # keyword arguments: arrays, or plain YAML scalars
    wrt: str  # what this check differentiates: an array argument, or a parameter on the object
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
    subgradient: bool = False  # at a kink, any value between the one-sided derivatives passes
    nondet_tol: float = 0.0  # how far f at x may move between two calls
    cls: str | None = None  # "module:Class" (the `object:` key): function and derivative are its methods
    init: Mapping[str, Any] = field(default_factory=dict)  # the constructor's keyword arguments
    attributes: Mapping[str, Any] = field(default_factory=dict)  # `set:`, set on the object after it is made
    calls: tuple[Call, ...] = ()  # `call:`, setup methods called on the object after `set:`, before its first call
    takes: tuple[str, ...] | None = None  # what the derivative is called with (None: its kind's arguments)
    layers: tuple[Piece, ...] = ()  # a network assembled from layers, `function` its loss
    loss: Loss | None = None  # with layers: a loss object ending the network, in place of `function`
    input: str = "x"  # with layers: the argument the first layer takes
    outputs: int = 1  # how many of the values f returns are outputs (the rest goes to backward)
    output: str = ""  # with an object: where `function` leaves its output on it ("": it returns it)
    wrts: tuple[str, ...] = ()  # `wrt:` given as a list: one check for each (empty: one check, of `wrt`)
    gradients: Mapping[str, str | int] = field(default_factory=dict)  # wrt: path on the object or position
    given: Mapping[str, Any] = field(default_factory=dict)  # from check_function: the code of each key it names
    jvp: str = ""  # a jvp given beside the vjp or backward: the case makes the items jvp, the kind and dot
    gradient: str = ""  # a gradient given beside a hessian or hvp: differenced for it, and checked first

    def line_of(self, key: str) -> int:
        """The line of field `key` (`args.x` for an argument), or of the case itself."""
        return self.lines.get(key, self.line)

    @property
    def x(self) -> NDArray[np.floating]:
        """The point the derivative is checked at: the `wrt` argument (a parameter of an object is
        known only once the object is made)."""
        if self.wrt not in self.args:
            raise AttributeError(f"{self.wrt!r} is a parameter of the object, not an argument")
        value: NDArray[np.floating] = self.args[self.wrt]
        return value

    @property
    def check(self) -> str:
        """The check's name in the item's id: the kind (`dot`, the test of a jvp beside the kind), with the
        name differentiated when wrt is a list."""
        kind = "dot" if self.jvp else self.kind
        return f"{kind}:{self.wrt}" if self.wrts else kind

    @property
    def differentiated(self) -> tuple[str, ...]:
        """Every name the derivative gives a gradient for, in the order of `wrt`."""
        return self.wrts or (self.wrt,)

    def shown(self, key: str) -> str:
        """How the callable of `key` (function or the derivative) is named in a message."""
        name = self.function if key == "function" or self.derivative == RETURNED else self.derivative
        name = self.jvp if key == "jvp" and self.jvp else name
        name = self.gradient if key == "gradient" and self.gradient else name
        return f"{self.cls}.{name}" if self.cls else name

    @property
    def title(self) -> str:
        """What a report's first line says the check is: `gradient mylib:f_grad`, `backward:W mylib:Dense.backward`."""
        returned = "returned by " if self.derivative == RETURNED else ""
        if self.jvp:
            return f"{self.check} {self.shown('jvp')} · {self.shown(self.kind)}"
        return f"{self.check} {returned}{self.shown(self.kind)}"


def is_function_case(item: YMap, defaults: YMap) -> bool:
    """Whether a case is a function case: it or the defaults name a function, an object or a loss object."""
    return any(key in item or key in defaults for key in ("function", "object", "loss"))


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


def parse_function(item: YMap, defaults: YMap, path: str, budget: Budget) -> FunctionCase:
    """Validate a function case: its fields over those defaults that function cases have."""
    for key in item:
        if key == "reduction" and "layers" in item:
            raise CaseError(
                path,
                item.key_lines[key],
                "reduction: belongs to the loss object that ends the network: loss: {object: module:Class, "
                f"reduction: {item[key]}}}",
            )
        _refuse(key, item.key_lines[key], path)
    shared = {k: v for k, v in defaults.items() if k in FUNCTION_KEYS}  # layer defaults do not apply here
    lines = {k: defaults.key_lines[k] for k in shared}
    return _FunctionReader(FieldReader.merged(item, shared, lines, path), budget).parse()


def _refuse(key: str, line: int, path: str) -> None:
    if key in FUNCTION_KEYS:
        return
    if key == "checks":
        message = (
            "does not apply to a user-function case, which checks its jacobian:, gradient:, vjp:, backward: or "
            "elementwise:; remove it"
        )
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
    def __init__(self, fields: FieldReader, budget: Budget) -> None:
        self.fields, self.budget, self.error = fields, budget, fields.error

    def parse(self) -> FunctionCase:
        f = self.fields
        name = f.name()
        cls = self._class()
        dtype = f.dtype(DTYPES)
        args, arg_lines = objects.keyword_args(f, "args", dtype, self.budget)
        layers = network.pieces(f, dtype, self.budget)
        loss = network.loss_object(f, layers, args, (dtype, self.budget))
        if loss is None:
            function = self._callable("function", cls)
            (kind_, paired), derivative = _kind(f), ""
        else:  # the loss object's methods are the loss and its gradient
            function, (kind_, paired) = f"{loss.piece.cls}.{loss.piece.forward}", ("gradient", "")
            derivative = f"{loss.piece.cls}.{loss.piece.backward}"
        if not args and cls is None:
            raise self.error("args", "missing; give the function's keyword arguments, e.g. args: {x: [0.5, -1.0]}")
        init, init_lines = objects.keyword_args(f, "init", dtype, self.budget)
        attributes, set_lines = objects.attributes(f, dtype, self.budget)
        calls, call_lines = setup_calls(f, "call", (dtype, self.budget))
        piece_lines = {k: v for piece in (*layers, *([loss.piece] if loss else [])) for k, v in piece.lines.items()}
        names, listed = objects.wrt_names(f, args, cls is not None or bool(layers))
        for wrt in names:  # what is differentiated is floating, whatever YAML gave
            if wrt in args:
                args[wrt] = arrays.cast(f, "wrt", args[wrt], dtype)
        vectorized = self._vectorized(names, args)
        scheme, workers = f.choice("scheme", SCHEMES, "central"), f.bounded_int("workers", 1, MAX_WORKERS)
        if cls is not None:
            objects.object_limits(f, cls, [name for name in names if name not in args], (scheme, workers))
        return FunctionCase(
            name=name,
            path=f.path,
            line=f.line,
            function=function,
            kind=kind_,
            derivative=derivative or self._callable(kind_, cls),
            args=args,
            wrt=names[0],
            vectorized=vectorized,
            rtol=f.positive("rtol"),
            atol=f.positive("atol", zero=True),
            step=f.positive("step"),
            dtype=dtype,
            marks=f.marks(),
            lines={**f.lines, **arg_lines, **init_lines, **set_lines, **call_lines, **piece_lines},
            mode=f.choice("mode", MODES, "auto"),
            scheme=scheme,
            order=f.choice("order", ORDERS, "C"),
            workers=workers,
            subgradient=f.boolean("subgradient"),
            nondet_tol=f.positive("nondet_tol", zero=True) or 0.0,
            cls=cls,
            init=init,
            attributes=attributes,
            calls=calls,
            output=objects.output_path(f, cls is not None),
            outputs=objects.outputs_count(f, kind_, vectorized),
            takes=objects.takes(f, kind_, args, cls is not None),
            layers=layers,
            loss=loss,
            input=network.network_input(f, layers, args, cls),
            wrts=tuple(names) if listed else (),
            gradients=objects.gradient_sources(f, names, args, cls is not None),
            given={key: value.value for key, value in f.values.items() if isinstance(value, Given)},
            jvp=self._callable("jvp", cls) if paired == "jvp" else "",
            gradient=self._callable("gradient", cls) if paired == "gradient" else "",
        )

    def _class(self) -> str | None:
        values = self.fields.values
        if "object" not in values:
            for key in ("init", "set", "call"):
                if key in values:
                    raise self.error(key, f"applies with object: only; add object: module:Class, or drop {key}")
            return None
        value = values["object"]
        if isinstance(value, Given):  # from check_function: a class, or an object copied for every check
            if not isinstance(value.value, type) and "init" in values:
                raise self.error("init", "applies to a class only; an object given is copied as it is: drop init")
            return given_name(value.value)
        objects.refuse_private(self.fields, "object", value)
        if not isinstance(value, str) or not TARGET_RE.fullmatch(value):
            hint = objects.file_hint(value)
            raise self.error("object", f"{show(value)} is not 'module:Class'{hint}; expected e.g. mylib.layers:Dense")
        return value

    def _callable(self, key: str, cls: str | None) -> str:
        """A function or derivative: `module:attribute`; with an object, a method's name; `returned`."""
        if key not in self.fields.values:  # only `function` can be missing here
            raise self.error(
                key, "missing; name the function, module:attribute, or with object: its method, e.g. forward"
            )
        value = self.fields.values[key]
        if isinstance(value, Given):  # from check_function: the function itself
            if cls is not None:
                raise self.error(key, f"with object: {cls}, name its method, e.g. {key}: forward")
            if not callable(value.value):
                raise self.error(key, f"{described(value.value)} is not callable; expected a function")
            return given_name(value.value)
        if value == RETURNED and key in RETURNABLE:
            return RETURNED
        objects.refuse_private(self.fields, key, value)
        if value == RETURNED:
            raise self.error(key, f"returned applies to {', '.join(RETURNABLE)} only; name the {key} function")
        if cls is None:
            if isinstance(value, str) and TARGET_RE.fullmatch(value):
                return value
            hint = (
                " (a method needs object: module:Class beside it)"
                if isinstance(value, str) and METHOD_RE.fullmatch(value)
                else objects.file_hint(value)
            )
            raise self.error(
                key, f"{show(value)} is not 'module:attribute'{hint}; expected e.g. mylib.activations:tanh"
            )
        if isinstance(value, str) and METHOD_RE.fullmatch(value):
            return value
        raise self.error(
            key, f"{show(value)} is not a method name; with object: {cls}, name its method, e.g. {key}: forward"
        )

    def _vectorized(self, names: list[str], args: dict[str, Any]) -> bool:
        f = self.fields
        vectorized = f.boolean("vectorized")
        for key in ("order", "workers"):
            if key in f.values and not vectorized:
                raise self.error(
                    key, f"applies to vectorized: true only; add vectorized: true (if f broadcasts) or drop {key}"
                )
        if vectorized and not any(name in args for name in names):
            raise self.error(
                "vectorized",
                "stacks points of an argument, and wrt names only parameters of the object, which are perturbed "
                "in place one point at a time; drop vectorized",
            )
        return vectorized


def _kind(fields: FieldReader) -> tuple[str, str]:
    """The derivative's kind, and what stands beside it: a jvp (of a vjp or backward), a gradient (of a
    hessian or hvp), or nothing ("")."""
    given = [k for k in KINDS if k in fields.values]
    if not given:
        raise fields.error(
            "function",
            "needs its derivative: give one of jacobian:, gradient:, vjp:, backward:, jvp:, elementwise:, hessian: "
            "or hvp:",
        )
    if len(given) == 2 and given[1] == "jvp" and given[0] in JVP_PARTNERS:
        return given[0], "jvp"
    if len(given) == 2 and given[0] == "gradient" and given[1] in SECOND_KINDS:
        return given[1], "gradient"
    if len(given) > 1:
        later = max(given, key=lambda k: fields.lines.get(k, fields.line))
        raise fields.error(
            later,
            f"give only one of jacobian:, gradient:, vjp:, backward:, jvp:, elementwise:, hessian: or hvp: (or jvp: "
            f"beside vjp: or backward:, gradient: beside hessian: or hvp:); this case has {', '.join(given)} "
            "(null removes one the defaults give, e.g. gradient: null)",
        )
    return given[0], ""
