"""A network assembled from the project's layers (`layers:`), run as a training loop runs it: each
forward feeding the next and the loss at the end, a function or a loss object; the gradient is what
the layers' own backward calls give, chained in reverse from the loss's dscores, for the input or a
layer's parameter."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.function import FunctionCase
from ..casefile.network import Piece
from .lossobject import LossObject
from .objects import Subject, seeded, split
from .scope import Scope
from .setupcalls import make_calls
from .targets import PathError, error, guarded, imported, lookup


def is_network(case: FunctionCase) -> bool:
    """Whether the case assembles a network from layers."""
    return bool(case.layers)


class Network(Subject):
    """The layers (and a loss object) made from their classes and set up by their `call:` (NumPy's
    random state seeded), a parameter `layers.N.P` perturbed in place on them, the loss the case's
    function or its loss object."""

    def setup(self) -> None:
        case = self.case
        if case.wrt in case.args and case.wrt != case.input:
            raise error(
                case,
                "wrt",
                f"{case.wrt!r} is an argument of the loss, which the layers' backward calls give no gradient of; "
                f"a network's gradient is of its input ({case.input}) or of a layer's parameter (layers.N.NAME)",
            )
        with seeded():
            self.layers = [self._made(piece, f"layers.{n}") for n, piece in enumerate(case.layers)]
            self.head = self._made(case.loss.piece, "loss") if case.loss else None
        if case.loss is None:
            self.loss = guarded(case, "function", imported(case, "function", case.function, self.scope))
        self.ending = LossObject(case, self.scope) if case.loss else None
        self.on_layer = case.wrt not in case.args
        if self.on_layer:
            self.x0 = np.array(self._parameter(self.layers))
        self.raw_first = self._value(self.layers, self.head, self._input())
        self.shapes = []
        self.snapshot = copy.deepcopy((self.layers, self.head))

    def _made(self, piece: Piece, key: str) -> Any:
        """A layer (or the loss object, `key` loss) made from its class and set up by its calls."""
        field, shown = ("loss", f"{piece.cls}(...)") if key == "loss" else ("layers", f"{key}: {piece.cls}(...)")
        cls = imported(self.case, field, piece.cls, self.scope)
        init = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in piece.init.items()}
        made = guarded(self.case, field, cls, shown)(**init)
        make_calls(self.case, piece.calls, made, self.scope)
        return made

    def _parameter(self, layers: list[Any]) -> NDArray[Any]:
        case = self.case
        try:
            value = lookup({"layers": layers}, case.wrt, "the network")
        except PathError as exc:
            raise error(case, "wrt", f"{exc}; a network's parameter is layers.N.NAME") from None
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fc" or not value.flags.writeable:
            raise error(case, "wrt", f"{case.wrt} is not a writable array of floats on its layer")
        return value

    def _input(self) -> Any:
        """The argument the first layer takes, at the case's point (its own copy, where it is `wrt`)."""
        given = self.fixed[self.case.input]
        return np.array(given) if self.case.wrt == self.case.input else given

    def _method(self, layers: list[Any], number: int, name: str) -> Any:
        """Layer `number`'s method `name`, defined in the project, guarded."""
        shown = f"layers.{number}: {self.case.layers[number].cls}"
        method = getattr(layers[number], name, None)
        if not callable(method):
            raise error(self.case, "layers", f"{shown} has no method {name!r}")
        problem = self.scope.object_problem(method)
        if problem:
            raise error(self.case, "layers", f"{shown}.{name} {problem} (rootdir {self.scope.root})")
        return guarded(self.case, "layers", method, f"{shown}.{name}")

    def _forward(self, layers: list[Any], x: Any) -> Any:
        out = x
        for number, piece in enumerate(self.case.layers):
            out = self._result(layers, number, self._method(layers, number, piece.forward)(out), "forward")
        return out

    def _result(self, layers: list[Any], number: int, returned: Any, what: str) -> Any:
        """What layer `number`'s forward or backward gave the next: what it returned, or a copy of
        what it left on itself where the layer says where (`output: output`, `gradient: dinputs`)."""
        piece = self.case.layers[number]
        path = piece.output if what == "forward" else piece.gradient
        shown = f"layers.{number}: {piece.cls}.{getattr(piece, what)}"
        if not path:
            if returned is None:
                key, example = ("output", "output") if what == "forward" else ("gradient", "dinputs")
                raise error(
                    self.case,
                    "layers",
                    f"{shown} returned None; a layer that stores its result says where: {key}: {example}",
                )
            return returned
        try:
            return np.array(lookup(layers[number], path, f"layers.{number}"))
        except PathError as exc:
            raise error(self.case, "layers", f"after {shown}, {exc}") from None

    def _rest(self) -> dict[str, Any]:
        """The arguments the loss takes besides the scores."""
        return {k: v for k, v in self.fixed.items() if k != self.case.input}

    def _value(self, layers: list[Any], head: Any, x: Any) -> Any:
        """What the loss gives at the end of the network: the loss function's (loss, dscores), or the
        objective of the loss object's value."""
        scores = self._forward(layers, x)
        if self.ending is None:
            return self.loss(scores, **self._rest())
        return self.ending.objective(self.ending.forward(head, scores, self._rest()))

    def f(self, x: NDArray[Any]) -> Any:
        if not self.on_layer:
            return split(self._value(self.layers, self.head, x))[0]
        parameter = self._parameter(self.layers)
        parameter[...] = x  # perturbed in place, restored after
        try:
            return split(self._value(self.layers, self.head, self._input()))[0]
        finally:
            parameter[...] = self.x0

    def _dscores(self, layers: list[Any], head: Any) -> Any:
        """The gradient in the scores the loss gives, on fresh copies of the layers and the loss object."""
        case, x = self.case, self._input()
        if self.ending is None:
            rest = split(self._value(layers, head, x))[1]
            if not rest:
                raise error(case, "function", f"{case.function} returned one value; layers: need (loss, dscores)")
            return rest[0]
        scores = self._forward(layers, x)
        returned = self.ending.forward(head, scores, self._rest())
        return self.ending.gradient(head, scores, returned, {**self.fixed, case.input: x})

    def derivative_at(self, cotangent: Any = None) -> tuple[Any, Any]:
        """The layers' backward calls chained in reverse from the loss's dscores, on fresh copies;
        the gradient of the input, or the one the parameter's layer left (`dW` for `W`)."""
        case = self.case
        layers, head = copy.deepcopy(self.snapshot)
        d = self._dscores(layers, head)
        for number in reversed(range(len(layers))):
            d = self._result(layers, number, self._method(layers, number, case.layers[number].backward)(d), "backward")
        if not self.on_layer:
            return {case.wrt: d}, None
        _, index, parameter = case.wrt.split(".", 2)
        piece = case.layers[int(index)]
        try:
            found = lookup(layers[int(index)], piece.gradient_of(parameter), f"layers.{index}")
        except PathError as exc:
            raise error(
                case, "layers", f"after backward, {exc}; say where it is: gradients: {{{parameter}: ...}}"
            ) from None
        return {case.wrt: found}, None


def subject(case: FunctionCase, scope: Scope) -> Network:
    """The Subject of a network case, set up: its layers made and its loss called once."""
    made = Network(case, scope)
    made.setup()
    return made
