"""The checks a function case makes: one per name in its `wrt` list; a jvp beside a vjp or backward
makes three, the jvp's, the other's and the dot-product test of the two (`case[jvp]`,
`case[vjp]`, `case[dot]`); a gradient beside a hessian or hvp makes two, `case[gradient]` and
`case[hessian]` (or `case[hvp]`)."""

from __future__ import annotations

import dataclasses

from .function import FunctionCase


def checks_of(case: FunctionCase) -> tuple[FunctionCase, ...]:
    """Each check of the case, as a case of its own: `check` names it, `jvp` is left set on the dot test's only."""
    made = []
    for wrt in case.differentiated:
        one = dataclasses.replace(case, wrt=wrt)
        if case.jvp:
            made.append(dataclasses.replace(one, kind="jvp", derivative=case.jvp, jvp=""))
            made.append(dataclasses.replace(one, jvp=""))
        if case.gradient:  # the gradient's own item first; the hessian's checks it again before differencing it
            made.append(dataclasses.replace(one, kind="gradient", derivative=case.gradient, gradient=""))
        made.append(one)
    return tuple(made)
