"""gradcheck: check hand-derived derivatives against central finite differences.

The public names load on first use (`gradcheck.check_jacobian` imports numpy then), so that the
pytest plugin, which imports this package, costs nothing in a run without case files.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: The version, in this one place: pyproject.toml reads it from here.
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .checks.forwardapi import assert_dot_product, assert_jvp, check_dot_product, check_jvp
    from .checks.frompython import assert_function, check_function
    from .checks.secondapi import assert_hessian, assert_hvp, check_hessian, check_hvp
    from .errors import ArgumentError
    from .functions import (
        cross_entropy,
        cross_entropy_grad,
        dense,
        layer_jacobian,
        loss_grad,
        softmax,
        softmax_jacobian,
    )
    from .numerics.gradients import numerical_gradient, numerical_vjp
    from .numerics.stencils import numerical_jacobian
    from .pytest_plugin.fixture import JacobianCheck
    from .verdict.comparison import Comparison
    from .verdict.comparisons import Comparisons
    from .verdict.verify import assert_jacobian, check_jacobian

#: Where each public name lives.
_PUBLIC = {
    "ArgumentError": "errors",
    "Comparison": "verdict.comparison",
    "Comparisons": "verdict.comparisons",
    "JacobianCheck": "pytest_plugin.fixture",
    "assert_dot_product": "checks.forwardapi",
    "assert_function": "checks.frompython",
    "assert_hessian": "checks.secondapi",
    "assert_hvp": "checks.secondapi",
    "assert_jacobian": "verdict.verify",
    "assert_jvp": "checks.forwardapi",
    "check_dot_product": "checks.forwardapi",
    "check_function": "checks.frompython",
    "check_hessian": "checks.secondapi",
    "check_hvp": "checks.secondapi",
    "check_jacobian": "verdict.verify",
    "check_jvp": "checks.forwardapi",
    "cross_entropy": "functions",
    "cross_entropy_grad": "functions",
    "dense": "functions",
    "layer_jacobian": "functions",
    "loss_grad": "functions",
    "numerical_gradient": "numerics.gradients",
    "numerical_jacobian": "numerics.stencils",
    "numerical_vjp": "numerics.gradients",
    "softmax": "functions",
    "softmax_jacobian": "functions",
}

__all__ = [
    "ArgumentError",
    "Comparison",
    "Comparisons",
    "JacobianCheck",
    "assert_dot_product",
    "assert_function",
    "assert_hessian",
    "assert_hvp",
    "assert_jacobian",
    "assert_jvp",
    "check_dot_product",
    "check_function",
    "check_hessian",
    "check_hvp",
    "check_jacobian",
    "check_jvp",
    "cross_entropy",
    "cross_entropy_grad",
    "dense",
    "layer_jacobian",
    "loss_grad",
    "numerical_gradient",
    "numerical_jacobian",
    "numerical_vjp",
    "softmax",
    "softmax_jacobian",
]


def __getattr__(name: str) -> Any:
    if name not in _PUBLIC:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_PUBLIC[name]}", __name__), name)
    globals()[name] = value  # looked up once
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
