"""A network assembled from the project's layers (`layers:`), run as a training loop runs it: each
forward feeding the next and the loss at the end; the gradient is what the layers' own backward
calls give, chained in reverse from the loss's dscores, for the input or a layer's parameter."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.function import FunctionCase
from .objects import Subject, seeded, split
from .scope import Scope
from .targets import PathError, error, guarded, imported, lookup


def is_network(case: FunctionCase) -> bool:
    """Whether the case assembles a network from layers."""
    return bool(case.layers)


class Network(Subject):
    """The layers made from their classes (NumPy's random state seeded), a parameter `layers.N.P`
    perturbed in place on them, the loss the case's function."""

    def setup(self) -> None:
        case = self.case
        with seeded():
            self.layers = [self._made(number) for number in range(len(case.layers))]
        self.loss = guarded(case, "function", imported(case, "function", case.function, self.scope))
        self.on_layer = case.wrt not in case.args
        if self.on_layer:
            self.x0 = np.array(self._parameter(self.layers))
        self.raw_first = self._loss(self.layers, self._input())
        self.shapes = []
        self.snapshot = copy.deepcopy(self.layers)

    def _made(self, number: int) -> Any:
        piece = self.case.layers[number]
        cls = imported(self.case, "layers", piece.cls, self.scope)
        init = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in piece.init.items()}
        return guarded(self.case, "layers", cls, f"layers.{number}: {piece.cls}(...)")(**init)

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
            out = self._method(layers, number, piece.forward)(out)
        return out

    def _loss(self, layers: list[Any], x: Any) -> Any:
        rest = {k: v for k, v in self.fixed.items() if k != self.case.input}
        return self.loss(self._forward(layers, x), **rest)

    def f(self, x: NDArray[Any]) -> Any:
        if not self.on_layer:
            return split(self._loss(self.layers, x))[0]
        parameter = self._parameter(self.layers)
        parameter[...] = x  # perturbed in place, restored after
        try:
            return split(self._loss(self.layers, self._input()))[0]
        finally:
            parameter[...] = self.x0

    def derivative_at(self, cotangent: Any = None) -> tuple[Any, Any]:
        """The layers' backward calls chained in reverse from the loss's dscores, on fresh copies;
        the gradient of the input, or the one the parameter's layer left (`dW` for `W`)."""
        case = self.case
        layers = copy.deepcopy(self.snapshot)
        value, rest = split(self._loss(layers, self._input()))
        if not rest:
            raise error(case, "function", f"{case.function} returned one value; layers: need (loss, dscores)")
        d = rest[0]
        for number in reversed(range(len(layers))):
            d = self._method(layers, number, case.layers[number].backward)(d)
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
