"""A loss object at the end of a network (`loss:`): its forward's value reduced to the training
loop's objective as `reduction` says, and its backward, called with what `takes` names, giving the
gradient of that objective in the scores (returned, or left at the path `gradient` names), which the
layers' backward calls take in turn."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.function import FunctionCase
from .scope import Scope
from .targets import PathError, error, guarded, lookup, method


class LossObject:
    """The loss object of a case, made (and set up) by the network: its methods found in the scope."""

    def __init__(self, case: FunctionCase, scope: Scope) -> None:
        assert case.loss is not None
        self.case, self.scope, self.loss = case, scope, case.loss

    def shown(self, name: str) -> str:
        """How a message names one of its methods: `mylib.losses:CrossEntropy.forward`."""
        return f"{self.loss.piece.cls}.{name}"

    def _method(self, obj: Any, name: str) -> Any:
        return guarded(self.case, "loss", method(self.case, "loss", obj, self.scope, name), self.shown(name))

    def forward(self, obj: Any, scores: Any, rest: Mapping[str, Any]) -> Any:
        """What its forward returns for the scores, the case's other arguments as keywords."""
        return self._method(obj, self.loss.piece.forward)(scores, **rest)

    def objective(self, value: Any) -> float:
        """The training loop's objective of what forward returned, as `reduction` says."""
        shown, reduction = self.shown(self.loss.piece.forward), self.loss.reduction
        arr = _numbers(value)
        if arr is None:
            raise error(self.case, "loss", f"{shown} returned {type(value).__name__}; expected a number or an array")
        if reduction == "none" and arr.ndim:
            raise error(
                self.case,
                "loss",
                f"{shown} returned shape {arr.shape}; with reduction: none its value is the objective, a scalar: "
                "for one loss per sample say how the training loop combines them, reduction: mean or sum",
            )
        if reduction != "none" and not arr.ndim:
            raise error(
                self.case,
                "loss",
                f"{shown} returned a scalar; reduction: {reduction} combines one loss per sample: for a loss "
                "reduced already, reduction: none",
            )
        reduced = arr.mean() if reduction == "mean" else arr.sum() if reduction == "sum" else arr
        return float(reduced)

    def gradient(self, obj: Any, scores: NDArray[Any], returned: Any, point: Mapping[str, Any]) -> NDArray[Any]:
        """The gradient its backward gives in the scores, after forward returned `returned` on `obj`."""
        loss, rest = self.loss, {k: v for k, v in point.items() if k != self.case.input}
        backward = self._method(obj, loss.piece.backward)
        if loss.takes is None:  # as forward is called
            out = backward(np.array(scores), **copy.deepcopy(rest))
        else:
            out = backward(*(copy.deepcopy(v) for v in self._taken(obj, scores, returned, point)))
        shown, where = self.shown(loss.piece.backward), ""
        if loss.piece.gradient:
            out, where = self._lookup(obj, loss.piece.gradient, f"after {shown}, "), f" at {loss.piece.gradient}"
        arr = _numbers(out)
        if arr is None or arr.shape != np.shape(scores):
            got = f"shape {arr.shape}" if arr is not None else type(out).__name__
            fix = (
                "" if loss.piece.gradient else " (where it returns nothing, name where it leaves it: gradient: dinputs)"
            )
            raise error(
                self.case,
                "loss",
                f"{shown} gave {got}{where}; expected the scores' shape {np.shape(scores)}, the gradient of the "
                f"objective in them{fix}",
            )
        return np.array(arr)

    def _taken(self, obj: Any, scores: Any, returned: Any, point: Mapping[str, Any]) -> list[Any]:
        values: list[Any] = []
        after = f"after {self.shown(self.loss.piece.forward)}, "
        for name in self.loss.takes or ():
            if name == "scores":
                values.append(scores)
            elif name == "output":
                values.append(returned)
            elif name.startswith("self."):
                values.append(self._lookup(obj, name.removeprefix("self."), after))
            else:
                values.append(point[name])
        return values

    def _lookup(self, obj: Any, path: str, when: str) -> Any:
        try:
            return lookup(obj, path, type(obj).__name__)
        except PathError as exc:
            raise error(self.case, "loss", f"{when}{exc}") from None


def _numbers(value: Any) -> NDArray[Any] | None:
    """`value` as an array of numbers, or None where it is not one."""
    try:
        arr = np.asarray(value)
    except Exception:
        return None
    return arr if np.issubdtype(arr.dtype, np.number) and arr.size else None
