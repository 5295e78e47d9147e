"""Layer cases: a softmax classifier layer (sizes, x, weights, bias, labels) into a validated Case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import did_you_mean
from ..options import DTYPES, MODES, REDUCTIONS, SCHEMES
from . import arrays, labels
from .budget import Budget
from .fields import FieldReader, Mark, finite, kind
from .yamlreader import YList, YMap, show

#: `checks: all` runs every built-in check.
ALL = "all"


@dataclass(frozen=True, eq=False)
class Case:
    """One validated case; arrays are built, every field remembers its line."""

    name: str
    path: str
    line: int
    inputs: int
    classes: int
    x: NDArray[np.floating]
    weights: NDArray[np.floating]
    bias: NDArray[np.floating] | None
    label: NDArray[np.floating]  # a distribution over the classes
    checks: tuple[str, ...] | None  # None: the default checks
    rtol: float | None
    atol: float | None
    step: float | None
    dtype: str
    marks: tuple[Mark, ...]
    lines: Mapping[str, int]
    mode: str = "auto"  # full Jacobian, random projections, or by size
    scheme: str = "central"  # the finite-difference stencil
    reduction: str = "mean"  # how a batch's per-sample losses combine
    label_smoothing: float = 0.0
    subgradient: bool = False  # at a kink, any value between the one-sided derivatives passes
    nondet_tol: float = 0.0  # how far f at x may move between two calls

    @property
    def batched(self) -> bool:
        """Whether x is a batch (B, n) rather than one sample (n,)."""
        return self.x.ndim == 2

    def line_of(self, key: str) -> int:
        """The line of field `key`, or of the case itself."""
        return self.lines.get(key, self.line)


def parse_layer(
    item: YMap, defaults: YMap, path: str, budget: Budget, checks: tuple[str, ...], all_checks: tuple[str, ...]
) -> Case:
    """Validate a layer case (its fields over the defaults'). `checks` are the known check
    names (none: any name goes), `all_checks` what `checks: all` stands for."""
    fields = FieldReader.merged(item, defaults, defaults.key_lines, path)
    return _LayerReader(fields, budget, checks, all_checks).parse()


class _LayerReader:
    def __init__(
        self, fields: FieldReader, budget: Budget, checks: tuple[str, ...], all_checks: tuple[str, ...]
    ) -> None:
        self.fields, self.budget, self.known_checks, self.all_checks = fields, budget, checks, all_checks
        self.error = fields.error

    def parse(self) -> Case:
        f = self.fields
        name = f.name()
        dtype = f.dtype(DTYPES)
        inputs, classes = self._sizes()
        batch = self._batch(inputs)
        sizes = {"inputs": inputs, "classes": classes, "batch": batch}
        x_reason = "batch={batch}, inputs={inputs}" if batch is not None else "inputs={inputs}"
        x_shape = (inputs,) if batch is None else (batch, inputs)
        x = self._array("x", x_shape, dtype, x_reason.format(**sizes))
        weights = self._array("weights", (inputs, classes), dtype, f"inputs={inputs}, classes={classes}")
        bias = self._array("bias", (classes,), dtype, f"classes={classes}") if "bias" in f.values else None
        return Case(
            name=name,
            path=f.path,
            line=f.line,
            inputs=inputs,
            classes=classes,
            x=x,
            weights=weights,
            bias=bias,
            label=labels.read(f, self.budget, classes, dtype, batch),
            checks=self._checks(),
            rtol=f.positive("rtol"),
            atol=f.positive("atol", zero=True),
            step=f.positive("step"),
            dtype=dtype,
            marks=f.marks(),
            lines=dict(f.lines),
            mode=f.choice("mode", MODES, "auto"),
            scheme=f.choice("scheme", SCHEMES, "central"),
            reduction=f.choice("reduction", REDUCTIONS, "mean"),
            label_smoothing=self._smoothing(),
            subgradient=f.boolean("subgradient"),
            nondet_tol=f.positive("nondet_tol", zero=True) or 0.0,
        )

    def _array(self, key: str, shape: tuple[int, ...], dtype: str, reason: str) -> NDArray[np.floating]:
        if key not in self.fields.values:
            raise self.error(
                key, f"missing; give a list of shape {shape} or an array spec such as {{seed: 0, scale: 1}}"
            )
        return arrays.array(self.fields, key, dtype, self.budget, shape, reason)

    def _sizes(self) -> tuple[int, int]:
        sizes = []
        for key in ("inputs", "classes"):
            if key not in self.fields.values:
                raise self.error(key, f"missing; give the number of {key} as a positive integer")
            sizes.append(self.fields.positive_int(key, "a positive integer"))
        inputs, classes = sizes
        if inputs * classes > self.budget.limit:
            raise self.error(
                "inputs",
                f"inputs={show(inputs)}, classes={show(classes)} needs {show(inputs * classes)} weights, "
                f"over the limit of {self.budget.limit} (gradcheck_max_elements)",
            )
        return inputs, classes

    def _batch(self, inputs: int) -> int | None:
        """B for a batch x (B, n): the `batch` key, or the length of a 2-D literal x; else None."""
        if "batch" not in self.fields.values:
            x = self.fields.values.get("x")
            return len(x) if isinstance(x, YList) and x and isinstance(x[0], list) else None
        value = self.fields.positive_int("batch", "a positive number of samples")
        if value * inputs > self.budget.limit:
            raise self.error(
                "batch",
                f"batch={show(value)}, inputs={show(inputs)} needs {show(value * inputs)} inputs, "
                f"over the limit of {self.budget.limit} (gradcheck_max_elements)",
            )
        return value

    def _smoothing(self) -> float:
        value = self.fields.values.get("label_smoothing", 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not finite(value):
            raise self.error("label_smoothing", f"{show(value)} is {kind(value)}; expected a number in [0, 1)")
        if not 0.0 <= value < 1.0:
            raise self.error("label_smoothing", f"{show(value)} is outside [0, 1); expected e.g. 0.1")
        return float(value)

    def _checks(self) -> tuple[str, ...] | None:
        if "checks" not in self.fields.values:
            return None
        value = self.fields.values["checks"]
        if value == ALL:
            return self.all_checks
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
            raise self.error("checks", f"{show(value)} is not a list of check names; expected e.g. [softmax, loss]")
        for name in value:
            if self.known_checks and name not in self.known_checks:
                hint = did_you_mean(name, self.known_checks)
                known = ", ".join(self.known_checks)
                raise self.error("checks", f"{show(name)} is not a known check{hint}; expected one of {known}")
        if len(set(value)) != len(value):
            raise self.error("checks", "names a check twice; list each once")
        return tuple(value)
