"""A function case's `hessian:` or `hvp:` as a SecondCheck: against central differences of the
`gradient:` beside it (the gradient checked first, in the same item), else second differences of f."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.format import RETURNED
from ..casefile.function import FunctionCase
from . import objects
from .base import Check
from .forward import JvpOptions, jvp_check
from .scope import Scope
from .second import SecondCheck
from .secondapi import hvp_by_second_differences
from .targets import error, numbers


def _shaped(case: FunctionCase, key: str, value: Any, shape: tuple[int, ...], expected: str) -> NDArray[Any]:
    arr = numbers(case, key, value, "returned")
    if arr.shape != shape:
        raise error(case, key, f"{case.shown(key)} returned shape {arr.shape}; expected {shape}, {expected}")
    return np.array(arr)


def second_check(case: FunctionCase, scope: Scope) -> SecondCheck:
    """The case's subject made and called once (f must be scalar), its Hessian read (or its hvp wrapped),
    and the check against the gradient beside it or second differences of f."""
    kind = case.kind
    if case.wrts:
        raise error(case, "wrt", f"a {kind}: is of one argument: name one in wrt, not a list")
    subject = objects.subject(case, scope)
    x0, shown = subject.x0, case.shown("function")
    out = numbers(case, "function", objects.split(subject.raw_first, case.outputs)[0], "returned")
    if out.shape != ():
        raise error(case, "function", f"{shown} returned shape {out.shape}; a {kind}: case needs a scalar function")
    of = case.function.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    what = f"{case.wrt}.shape {x0.shape}"

    def product(v: NDArray[Any]) -> NDArray[Any]:
        return _shaped(case, kind, subject.derivative_at(v.copy())[0], x0.shape, f"H·v for a tangent of {what}")

    hessian = None
    if kind == "hessian":
        hessian = _shaped(case, kind, subject.derivative_at()[0], x0.shape * 2, f"from {what} + {what}")
    if not case.gradient:
        if hessian is not None:
            return SecondCheck(subject.f, x0, hessian=hessian, of=of, wrt=case.wrt)
        return hvp_by_second_differences(subject.f, x0, product, f"hvp: {case.shown(kind)}", of, case.wrt)
    gradient = _gradient(case, scope, x0, what)
    first = Check("gradient", subject.f, x0, gradient(x0), of=of, wrt=case.wrt)
    if hessian is not None:
        differenced = Check(kind, gradient, x0, hessian, of=of, wrt=case.wrt, second=True)
    else:
        differenced = jvp_check(
            kind,
            gradient,
            product,
            x0,
            x0,
            JvpOptions(
                of=of,
                wrt=case.wrt,
                shown=f"hvp: {case.shown(kind)}",
                evaluation={},
                max_elements=scope.max_elements,
                mode=case.mode,
                second=True,
            ),
        )
    return SecondCheck(
        subject.f, x0, first=first, differenced=differenced, of=of, wrt=case.wrt, gradient_name=case.shown("gradient")
    )


def _gradient(case: FunctionCase, scope: Scope, x0: NDArray[Any], what: str) -> Callable[[NDArray[Any]], NDArray[Any]]:
    """g(x): the gradient beside the case's hessian or hvp, called at any x near x0."""
    beside = dataclasses.replace(case, kind="gradient", derivative=case.gradient, gradient="")
    if beside.wrt not in beside.args:
        raise error(case, "wrt", f"beside {case.kind}:, a gradient is differenced in an argument: name one in args")
    if beside.derivative == RETURNED and beside.cls is not None:
        raise error(case, "gradient", f"beside {case.kind}: with object:, name the gradient's method, not returned")
    made = objects.subject(beside, scope)

    def gradient(x: NDArray[Any]) -> NDArray[Any]:
        saved = made.x0, made.raw_first
        made.x0 = np.array(x)
        try:
            if beside.derivative == RETURNED:
                made.raw_first = made.forward(**made.at(np.array(x)))
            return _shaped(beside, "gradient", made.derivative_at()[0], x0.shape, f"from {what}")
        finally:
            made.x0, made.raw_first = saved

    return gradient
