"""A layer case's labels: a class index or a distribution over the classes, one per sample for a batch."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from . import arrays
from .budget import Budget
from .fields import FieldReader, check_keys, kind
from .yamlreader import YList, YMap, show

#: Tolerance for a soft label's sum.
LABEL_SUM_TOL = 1e-6


def read(fields: FieldReader, budget: Budget, classes: int, dtype: str, batch: int | None) -> NDArray[np.floating]:
    """The case's label as a distribution (K,), or one per sample (B, K) for a batch."""
    return (
        _shared(fields, budget, classes, dtype) if batch is None else _per_sample(fields, budget, batch, classes, dtype)
    )


def _per_sample(fields: FieldReader, budget: Budget, batch: int, classes: int, dtype: str) -> NDArray[np.floating]:
    """One label per sample (B, K): a list of B indices or distributions, random indices
    {seed: N}, or one index or distribution shared by every sample."""
    value = fields.values.get("label")
    if isinstance(value, YMap):
        check_keys(value, ("seed",), fields.path, "label")
        seed = value.get("seed")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise fields.error("label", f"seed {show(seed)} is not a non-negative integer; expected e.g. {{seed: 0}}")
        budget.take(fields, "label", batch * classes)
        indices = np.random.default_rng(seed).integers(classes, size=batch)
        return np.eye(classes, dtype=dtype)[indices]
    per_sample = isinstance(value, YList) and all(
        isinstance(v, list) or (isinstance(v, int) and not isinstance(v, bool)) for v in value
    )
    if not isinstance(value, YList) or not per_sample:
        shared = _shared(fields, budget, classes, dtype)
        budget.take(fields, "label", (batch - 1) * classes)
        return np.broadcast_to(shared, (batch, classes)).copy()
    if len(value) != batch:
        raise fields.error("label", f"has {len(value)} labels; batch={batch} needs one per sample")
    return np.stack([_one(fields, budget, v, classes, dtype, f"sample {i}: ") for i, v in enumerate(value)])


def _shared(fields: FieldReader, budget: Budget, classes: int, dtype: str) -> NDArray[np.floating]:
    if "label" not in fields.values:
        raise fields.error(
            "label", f"missing; give a class index 0..{classes - 1} or a distribution over {classes} classes"
        )
    return _one(fields, budget, fields.values["label"], classes, dtype)


def _one(
    fields: FieldReader, budget: Budget, value: object, classes: int, dtype: str, sample: str = ""
) -> NDArray[np.floating]:
    """One sample's label, a class index or a distribution, as a distribution."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < classes:
            raise fields.error("label", f"{sample}class index {show(value)} is out of range; expected 0..{classes - 1}")
        budget.take(fields, "label", classes)
        dist = np.zeros(classes)
        dist[value] = 1.0
        return dist.astype(dtype)
    if isinstance(value, YList):
        dist = arrays.literal(fields, "label", value, budget)
        if dist.shape != (classes,):
            raise fields.error(
                "label",
                f"{sample}has shape {dist.shape}; classes={classes} needs a distribution of shape ({classes},)",
            )
        if np.any(dist < 0):
            raise fields.error(
                "label", f"{sample}has a negative probability {dist.min():g}; a distribution is non-negative"
            )
        with np.errstate(over="ignore"):
            total = float(dist.sum())
        if not abs(total - 1.0) <= LABEL_SUM_TOL:
            raise fields.error("label", f"{sample}sums to {total:.9g}; a one-hot or soft label sums to 1")
        return arrays.cast(fields, "label", dist, dtype)
    raise fields.error(
        "label",
        f"{sample}{show(value)} is {kind(value)}; expected a class index or a list of {classes} probabilities",
    )
