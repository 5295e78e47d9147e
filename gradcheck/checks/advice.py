"""What a message about a derivative's result suggests: the form the case most likely meant
(`gradient: returned` for a function that returns (loss, gradient), `elementwise:` for a
derivative of x's shape, `params.W1` for a parameter kept in a dict on the object)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..casefile.function import FunctionCase


def held_in(obj: Any, name: str) -> list[str]:
    """The paths `attribute.name` of the object's public dicts that hold the key `name` (`params.W1`)."""
    found = []
    for attribute in dir(obj):
        if attribute.startswith("_"):
            continue
        try:
            value = getattr(obj, attribute)
        except Exception:  # a property that raises is no dict of parameters
            continue
        if isinstance(value, Mapping) and name in value:
            found.append(f"{attribute}.{name}")
    return found


def did_you_mean_held(obj: Any, name: str) -> str:
    """`; did you mean params.W1?` where a dict on the object holds `name`, else ""."""
    paths = held_in(obj, name.split(".", 1)[0])
    return f"; did you mean {' or '.join(paths)}?" if paths else ""


def loss_and_gradient(case: FunctionCase, raw: Sequence[Any], unread: Sequence[str]) -> str:
    """For a gradient that returned one value more than wrt reads, the first a number: the form of a
    function that returns (loss, gradient), `gradient: returned`; else ""."""
    if case.kind != "gradient" or len(raw) != len(unread) + 1 or np.ndim(raw[0]) != 0:
        return ""
    return (
        f"; it looks like (loss, gradient): a function that returns both is written "
        f"function: {case.derivative} with gradient: returned"
    )


def elementwise(case: FunctionCase, got: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """For a jacobian: that returned x's shape where f(x) has it too: the elementwise: form; else ""."""
    if case.kind != "jacobian" or 2 * len(got) != len(expected) or expected != got + got:
        return ""
    return f" (x's shape: a derivative taken entry by entry, f'(x), is written elementwise: {case.derivative})"


def wrt_form(case: FunctionCase, holder: Any, keys: Sequence[str]) -> str:
    """For a dict of gradients without the default wrt (`wrt:` not given): the `wrt:` list that names
    its keys, where the object keeps them (`wrt: [params.W1, params.b1]`); else ""."""
    if "wrt" in case.lines or not keys:
        return ""
    paths = [(held_in(holder, key) or [key])[0] if holder is not None else key for key in keys]
    return (
        f"; without wrt: the case differentiates {case.wrt}, its first array argument: to check the "
        f"parameters, name them, wrt: [{', '.join(paths)}]"
    )
