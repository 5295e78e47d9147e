"""Layer cases: a softmax classifier layer (sizes, x, weights, bias, labels) into a validated Case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..errors import did_you_mean
from ..options import DTYPES, MODES, REDUCTIONS, SCHEMES
from . import arrays
from .fields import FieldReader, Mark, check_keys, finite, kind
from .yamlreader import YList, YMap, show

#: Tolerance for a soft label's sum.
LABEL_SUM_TOL = 1e-6
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

    @property
    def batched(self) -> bool:
        """Whether x is a batch (B, n) rather than one sample (n,)."""
        return self.x.ndim == 2

    def line_of(self, key: str) -> int:
        """The line of field `key`, or of the case itself."""
        return self.lines.get(key, self.line)


def parse_layer(
    item: YMap, defaults: YMap, path: str, limit: int, checks: tuple[str, ...], all_checks: tuple[str, ...]
) -> Case:
    """Validate a layer case (its fields over the defaults'). `checks` are the known check
    names (none: any name goes), `all_checks` what `checks: all` stands for."""
    fields = FieldReader.merged(item, defaults, defaults.key_lines, path)
    return _LayerReader(fields, limit, checks, all_checks).parse()


class _LayerReader:
    def __init__(self, fields: FieldReader, limit: int, checks: tuple[str, ...], all_checks: tuple[str, ...]) -> None:
        self.fields, self.limit, self.known_checks, self.all_checks = fields, limit, checks, all_checks
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
            label=self._label(classes, dtype) if batch is None else self._labels(batch, classes, dtype),
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
        )

    def _array(self, key: str, shape: tuple[int, ...], dtype: str, reason: str) -> NDArray[np.floating]:
        if key not in self.fields.values:
            raise self.error(
                key, f"missing; give a list of shape {shape} or an array spec such as {{seed: 0, scale: 1}}"
            )
        return arrays.array(self.fields, key, dtype, self.limit, shape, reason)

    def _sizes(self) -> tuple[int, int]:
        sizes = []
        for key in ("inputs", "classes"):
            if key not in self.fields.values:
                raise self.error(key, f"missing; give the number of {key} as a positive integer")
            sizes.append(self.fields.positive_int(key, "a positive integer"))
        inputs, classes = sizes
        if inputs * classes > self.limit:
            raise self.error(
                "inputs",
                f"inputs={show(inputs)}, classes={show(classes)} needs {show(inputs * classes)} weights, "
                f"over the limit of {self.limit} (gradcheck_max_elements)",
            )
        return inputs, classes

    def _batch(self, inputs: int) -> int | None:
        """B for a batch x (B, n): the `batch` key, or the length of a 2-D literal x; else None."""
        if "batch" not in self.fields.values:
            x = self.fields.values.get("x")
            return len(x) if isinstance(x, YList) and x and isinstance(x[0], list) else None
        value = self.fields.positive_int("batch", "a positive number of samples")
        if value * inputs > self.limit:
            raise self.error(
                "batch",
                f"batch={show(value)}, inputs={show(inputs)} needs {show(value * inputs)} inputs, "
                f"over the limit of {self.limit} (gradcheck_max_elements)",
            )
        return value

    # -- labels ---------------------------------------------------------------------------

    def _labels(self, batch: int, classes: int, dtype: str) -> NDArray[np.floating]:
        """One label per sample (B, K): a list of B indices or distributions, random indices
        {seed: N}, or one index or distribution shared by every sample."""
        value = self.fields.values.get("label")
        if isinstance(value, YMap):
            check_keys(value, ("seed",), self.fields.path, "label")
            seed = value.get("seed")
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise self.error("label", f"seed {show(seed)} is not a non-negative integer; expected e.g. {{seed: 0}}")
            indices = np.random.default_rng(seed).integers(classes, size=batch)
            return np.eye(classes, dtype=dtype)[indices]
        per_sample = isinstance(value, YList) and all(
            isinstance(v, list) or (isinstance(v, int) and not isinstance(v, bool)) for v in value
        )
        if not isinstance(value, YList) or not per_sample:
            shared = self._label(classes, dtype)
            return np.broadcast_to(shared, (batch, classes)).copy()
        if len(value) != batch:
            raise self.error("label", f"has {len(value)} labels; batch={batch} needs one per sample")
        return np.stack([self._one_label(v, classes, dtype, f"sample {i}: ") for i, v in enumerate(value)])

    def _label(self, classes: int, dtype: str) -> NDArray[np.floating]:
        if "label" not in self.fields.values:
            raise self.error(
                "label", f"missing; give a class index 0..{classes - 1} or a distribution over {classes} classes"
            )
        return self._one_label(self.fields.values["label"], classes, dtype)

    def _one_label(self, value: object, classes: int, dtype: str, sample: str = "") -> NDArray[np.floating]:
        """One sample's label, a class index or a distribution, as a distribution."""
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < classes:
                raise self.error(
                    "label", f"{sample}class index {show(value)} is out of range; expected 0..{classes - 1}"
                )
            dist = np.zeros(classes)
            dist[value] = 1.0
            return dist.astype(dtype)
        if isinstance(value, YList):
            dist = arrays.literal(self.fields, "label", value, self.limit)
            if dist.shape != (classes,):
                raise self.error(
                    "label",
                    f"{sample}has shape {dist.shape}; classes={classes} needs a distribution of shape ({classes},)",
                )
            if np.any(dist < 0):
                raise self.error(
                    "label", f"{sample}has a negative probability {dist.min():g}; a distribution is non-negative"
                )
            with np.errstate(over="ignore"):
                total = float(dist.sum())
            if not abs(total - 1.0) <= LABEL_SUM_TOL:
                raise self.error("label", f"{sample}sums to {total:.9g}; a one-hot or soft label sums to 1")
            return arrays.cast(self.fields, "label", dist, dtype)
        raise self.error(
            "label",
            f"{sample}{show(value)} is {kind(value)}; expected a class index or a list of {classes} probabilities",
        )

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
