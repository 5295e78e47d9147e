"""The names of the built-in checks (stdlib only, so that the plugin knows them without importing numpy)."""

from __future__ import annotations

#: The built-in checks, in the order a case runs them (checks/layer.py has a builder `_NAME` for each).
BUILTIN_NAMES = (
    "softmax",
    "layer",
    "cross_entropy",
    "chain",
    "loss",
    "bias",
    "input",
    "log_softmax",
    "logits_loss",
    "logits_hessian",
    "hessian",
)
#: What a case runs when it names no checks: the five derivatives of the classic layer.
#: `checks: all` runs every built-in check.
DEFAULT_CHECKS = BUILTIN_NAMES[:5]
