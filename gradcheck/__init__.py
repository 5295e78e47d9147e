"""gradcheck: check hand-derived derivatives against central finite differences."""

from __future__ import annotations

from .compare import Comparison
from .functions import (
    cross_entropy,
    cross_entropy_grad,
    dense,
    layer_jacobian,
    loss_grad,
    softmax,
    softmax_jacobian,
)
from .numeric import numerical_jacobian
from .verify import assert_jacobian, check_jacobian

__all__ = [
    "Comparison",
    "assert_jacobian",
    "check_jacobian",
    "cross_entropy",
    "cross_entropy_grad",
    "dense",
    "layer_jacobian",
    "loss_grad",
    "numerical_jacobian",
    "softmax",
    "softmax_jacobian",
]
