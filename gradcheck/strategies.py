"""Hypothesis strategies for property tests of derivatives: well-scaled arrays and valid layer cases.

Needs hypothesis (the `test` extra); `import gradcheck` never imports this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.typing import NDArray

from .casefile.layer import Case
from .errors import ArgumentError
from .numerics import validate

__all__ = ["Layer", "arrays", "layer_cases", "layers"]

#: Default magnitude bounds of a layer's x and W (and bias), where softmax neither saturates
#: nor underflows, so that central differences are accurate to the default tolerances.
X_SCALE = 3.0
W_SCALE = 2.0


def arrays(
    shape: int | tuple[int, ...], *, scale: float = 1.0, dtype: Any = np.float64
) -> st.SearchStrategy[NDArray[Any]]:
    """Arrays of `shape` whose entries are finite numbers in [-scale, scale], without subnormals."""
    validate.number("scale", scale)
    width = np.dtype(dtype).itemsize * 8
    elements = st.floats(-scale, scale, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=width)
    return hnp.arrays(dtype, shape, elements=elements)


@dataclass(frozen=True)
class Layer:
    """A softmax layer: x (n,), W (n, K), an optional bias (K,), and a label: a class index
    or a distribution over the K classes."""

    x: NDArray[np.float64]
    W: NDArray[np.float64]
    b: NDArray[np.float64] | None
    y: int | NDArray[np.float64]

    @property
    def distribution(self) -> NDArray[np.float64]:
        """The label as a distribution over the classes (one-hot for an index)."""
        if isinstance(self.y, int):
            dist = np.zeros(self.W.shape[1])
            dist[self.y] = 1.0
            return dist
        return self.y


def layers(
    *,
    inputs: tuple[int, int] = (1, 12),
    classes: tuple[int, int] = (2, 8),
    x_scale: float = X_SCALE,
    w_scale: float = W_SCALE,
    bias: bool | None = None,
    soft_labels: bool = True,
) -> st.SearchStrategy[Layer]:
    """Layers with inputs and classes in the given (inclusive) ranges. bias: True always,
    False never, None either; soft_labels=False gives class indices only. A misuse is an
    ArgumentError now, not an error of hypothesis's when the first example is drawn."""
    for name, bounds in (("inputs", inputs), ("classes", classes)):
        _range(name, bounds)
    validate.number("x_scale", x_scale)
    validate.number("w_scale", w_scale)
    if bias is not None:
        validate.flag("bias", bias)
    validate.flag("soft_labels", soft_labels)
    return _layers(inputs, classes, x_scale, w_scale, bias, soft_labels)


def _range(name: str, bounds: object) -> None:
    """`bounds` is (least, most), positive integers in order."""
    if not (
        isinstance(bounds, tuple)
        and len(bounds) == 2
        and all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
        and 1 <= bounds[0] <= bounds[1]
    ):
        raise ArgumentError(f"{name} must be (least, most), positive integers with least <= most, got {bounds!r}")


@st.composite
def _layers(
    draw: st.DrawFn,
    inputs: tuple[int, int],
    classes: tuple[int, int],
    x_scale: float,
    w_scale: float,
    bias: bool | None,
    soft_labels: bool,
) -> Layer:
    n = draw(st.integers(*inputs), label="inputs")
    k = draw(st.integers(*classes), label="classes")
    x = draw(arrays(n, scale=x_scale), label="x")
    W = draw(arrays((n, k), scale=w_scale), label="W")
    with_bias = draw(st.booleans(), label="with bias") if bias is None else bias
    b = draw(arrays(k, scale=w_scale), label="bias") if with_bias else None
    if not soft_labels or draw(st.booleans(), label="index label"):
        y: int | NDArray[np.float64] = draw(st.integers(0, k - 1), label="label")
    else:
        weights = draw(hnp.arrays(np.float64, k, elements=st.floats(0.0, 1.0)), label="soft label")
        weights[draw(st.integers(0, k - 1))] += 0.5  # never all zero
        y = weights / weights.sum()
    return Layer(x, W, b, y)


def layer_cases(**options: Any) -> st.SearchStrategy[Case]:
    """Valid layer Cases (what a case file would give) from `layers(**options)`; the built-in
    checks and any registered ones take them: `BUILTIN["loss"](case).run()`."""
    return layers(**options).map(_as_case)


def _as_case(layer: Layer) -> Case:
    n, k = layer.W.shape
    return Case(
        name="hypothesis",
        path="<hypothesis>",
        line=0,
        inputs=n,
        classes=k,
        x=layer.x,
        weights=layer.W,
        bias=layer.b,
        label=layer.distribution,
        checks=None,
        rtol=None,
        atol=None,
        step=None,
        dtype="float64",
        marks=(),
        lines={},
    )
