"""The built-in checks of a softmax classifier layer: each turns a layer Case into a Check."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .. import functions as fn
from ..casefile.layer import Case
from ..numerics.types import Function
from ..options import MAX_ELEMENTS
from ..verdict.verify import Analytic
from .base import Check
from .forward import JvpOptions, jvp_check
from .linear import BASIS_MAX
from .names import BUILTIN_NAMES

CheckBuilder = Callable[[Case], Check]

# The built-in checks' functions broadcast over leading axes (a stack of perturbed points),
# so they run vectorized, and accept complex input, for the complex-step scheme. They look
# functions up in `fn` when called, so that a test can plant a bug in gradcheck.functions
# and watch the check catch it. For a batch, each function of the whole batch is checked:
# a Jacobian of per-sample outputs is block-diagonal, a loss is the batch's mean (or sum).


@dataclass(frozen=True)
class _Layer:
    """A case's layer as the checks see it: labels smoothed, bias present (zero if absent)."""

    x: NDArray[np.floating]
    w: NDArray[np.floating]
    b: NDArray[np.floating]
    y: NDArray[np.floating]
    batched: bool
    reduction: str
    label_class: int | None

    @classmethod
    def of(cls, case: Case) -> _Layer:
        y = case.label if not case.label_smoothing else fn.smooth_labels(case.label, case.label_smoothing)
        b = case.bias if case.bias is not None else np.zeros(case.classes, dtype=case.weights.dtype)
        one_hot = not case.batched and np.count_nonzero(case.label) == 1
        label_class = int(np.argmax(case.label)) if one_hot else None
        return cls(case.x, case.weights, b, y, case.batched, case.reduction, label_class)

    @property
    def options(self) -> dict[str, str]:
        """Keyword arguments of the gradient functions: the reduction, for a batch only, so that
        a one-sample case calls them exactly as DESIGN.md's signatures read."""
        return {"reduction": self.reduction} if self.batched else {}

    def logits(self) -> NDArray[np.floating]:
        return fn.dense(self.x, self.w, self.b)

    def loss(self, x: ArrayLike, w: ArrayLike, b: ArrayLike) -> ArrayLike:
        """The layer's loss XE(softmax(x @ W + b), y), computed from the logits (log-softmax), so
        that it stays finite where softmax underflows; x, w or b may be a stack of points."""
        rows = fn.logits_cross_entropy(fn.dense(x, w, b), self.y)
        return fn.reduce_batch(rows, self.batched, self.reduction)

    def per_sample(self, jac: NDArray[np.floating]) -> NDArray[np.floating]:
        """A Jacobian of each sample's outputs by its own inputs (..., K, K), laid out for the
        whole batch: (B, K, B, K), zero between different samples."""
        if not self.batched:
            return jac
        out: NDArray[np.floating] = np.einsum("bij,bc->bicj", jac, np.eye(jac.shape[0], dtype=jac.dtype))
        return out

    def check(self, name: str, f: Function, x: NDArray[np.floating], analytic: Analytic, of: str, wrt: str) -> Check:
        # x @ W contracts W's first axis: Fortran-ordered points of W are faster to multiply.
        order = "F" if wrt == "W" else "C"
        return Check(name, f, x, analytic, of=of, wrt=wrt, vectorized=True, order=order, label_class=self.label_class)


def _softmax(case: Case) -> Check:
    layer = _Layer.of(case)
    return layer.check(
        "softmax", fn.softmax, layer.logits(), lambda z: layer.per_sample(fn.softmax_jacobians(fn.softmax(z))), "S", "Z"
    )


def _layer(case: Case) -> Check:
    layer = _Layer.of(case)
    return layer.check(
        "layer",
        lambda w: fn.softmax(fn.dense(layer.x, w, layer.b)),
        layer.w,
        lambda w: fn.layer_jacobian(layer.x, w, layer.b),
        "S",
        "W",
    )


def _cross_entropy(case: Case) -> Check:
    layer = _Layer.of(case)
    scale = fn.batch_scale(layer.x, layer.reduction)
    return layer.check(
        "cross_entropy",
        lambda s: fn.reduce_batch(fn.cross_entropy_rows(s, layer.y), layer.batched, layer.reduction),
        fn.softmax(layer.logits()),
        lambda s: fn.cross_entropy_grad(s, layer.y) * scale,
        "XE",
        "S",
    )


def _chain(case: Case) -> Check:
    layer = _Layer.of(case)
    return layer.check(
        "chain",
        lambda w: layer.loss(layer.x, w, layer.b),
        layer.w,
        lambda w: fn.chain_grad(layer.x, w, layer.y, layer.b, **layer.options),
        "XE",
        "W",
    )


def _loss(case: Case) -> Check:
    layer = _Layer.of(case)
    return layer.check(
        "loss",
        lambda w: layer.loss(layer.x, w, layer.b),
        layer.w,
        lambda w: fn.loss_grad(layer.x, w, layer.y, layer.b, **layer.options),
        "XE",
        "W",
    )


def _bias(case: Case) -> Check:
    layer = _Layer.of(case)

    def loss(b: NDArray[np.floating]) -> ArrayLike:
        # A stack of biases (P, K) meets a batch of logits (B, K) as (P, 1, K).
        return layer.loss(layer.x, layer.w, b[..., None, :] if layer.batched else b)

    return layer.check(
        "bias",
        loss,
        layer.b,
        lambda b: fn.bias_grad(layer.x, layer.w, layer.y, b, **layer.options),
        "XE",
        "b",
    )


def _input(case: Case) -> Check:
    layer = _Layer.of(case)
    return layer.check(
        "input",
        lambda x: layer.loss(x, layer.w, layer.b),
        layer.x,
        lambda x: fn.input_grad(x, layer.w, layer.y, layer.b, **layer.options),
        "XE",
        "x",
    )


def _log_softmax(case: Case) -> Check:
    layer = _Layer.of(case)
    return layer.check(
        "log_softmax",
        fn.log_softmax,
        layer.logits(),
        lambda z: layer.per_sample(fn.log_softmax_jacobian(z)),
        "logS",
        "Z",
    )


def _logits_loss(case: Case) -> Check:
    layer = _Layer.of(case)
    return layer.check(
        "logits_loss",
        lambda z: fn.reduce_batch(fn.logits_cross_entropy(z, layer.y), layer.batched, layer.reduction),
        layer.logits(),
        lambda z: fn.logits_cross_entropy_grad(z, layer.y, **layer.options),
        "XE",
        "Z",
    )


def _logits_hessian(case: Case) -> Check:
    """d2XE/dZ2 against central differences of the analytic dXE/dZ (which logits_loss checks), one
    column per logit; not vectorized, as the gradient reads a batch's size off its argument's shape."""
    layer = _Layer.of(case)
    return Check(
        "logits_hessian",
        lambda z: fn.logits_cross_entropy_grad(z, layer.y, **layer.options),
        layer.logits(),
        lambda z: fn.logits_cross_entropy_hessian(z, **layer.options),
        of="XE",
        wrt="Z",
        second=True,
        differenced="the analytic dXE/dZ",
    )


def _hessian(case: Case) -> Check:
    """d2XE/dW2 against central differences of the analytic dXE/dW (which loss checks), one column per
    entry of W; for a W of more than BASIS_MAX entries, its products with seeded random tangents
    (loss_hvp) against central differences along them, as an hvp is checked."""
    layer = _Layer.of(case)

    def gradient(w: NDArray[np.floating]) -> NDArray[np.floating]:
        return fn.loss_grad(layer.x, w, layer.y, layer.b, **layer.options)

    differenced = "the analytic dXE/dW"
    if layer.w.size <= BASIS_MAX:
        hessian = fn.loss_hessian(layer.x, layer.w, layer.b, **layer.options)
        return Check("hessian", gradient, layer.w, hessian, of="XE", wrt="W", second=True, differenced=differenced)
    products = jvp_check(
        "hessian",
        gradient,
        lambda v: fn.loss_hvp(layer.x, layer.w, v, layer.b, **layer.options),
        layer.w,
        gradient(layer.w),
        JvpOptions(
            of="XE",
            wrt="W",
            shown="gradcheck.functions.loss_hvp",
            evaluation={},
            max_elements=MAX_ELEMENTS,
            mode="directional",
            second=True,
        ),
    )
    return dataclasses.replace(products, differenced=differenced)


#: The built-in checks by name, in the order a case runs them: `_NAME` above for each name.
BUILTIN: dict[str, CheckBuilder] = {name: globals()[f"_{name}"] for name in BUILTIN_NAMES}
