"""A Check: one derivative to verify, f at x against its analytic derivative, and how to evaluate f."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..numerics.types import Function
from ..options import MAX_ELEMENTS
from ..verdict.comparison import Comparison
from ..verdict.verify import Analytic, check_jacobian


@dataclass(frozen=True)
class Check:
    """One derivative to verify: f at x against `analytic` (an array or a callable of x)."""

    name: str
    f: Function
    x: NDArray[np.floating]
    analytic: Analytic
    of: str = "f"
    wrt: str = "x"
    vectorized: bool = False  # f takes a stack of points (B,) + x.shape
    order: str = "C"  # the memory order of each point of a stack
    workers: int = 1  # threads evaluating the stacks
    label_class: int | None = None  # the true class, where there is one, for the report's hints
    problem: str = ""  # what is wrong whatever the numbers say (a vjp that ignores its cotangent)

    def run(
        self,
        *,
        rtol: float | None = None,
        atol: float | None = None,
        step: float | None = None,
        mode: str = "full",
        scheme: str = "central",
        title: str | None = None,
        subgradient: bool = False,
        nondet_tol: float = 0.0,
        max_elements: int = MAX_ELEMENTS,
    ) -> Comparison:
        """Compare the analytic derivative with numerical differences (see check_jacobian)."""
        result = check_jacobian(
            self.f,
            self.x,
            self.analytic,
            rtol=rtol,
            atol=atol,
            step=step,
            mode=mode,
            scheme=scheme,
            vectorized=self.vectorized,
            order=self.order,
            workers=self.workers,
            of=self.of,
            wrt=self.wrt,
            title=title,
            label_class=self.label_class,
            subgradient=subgradient,
            nondet_tol=nondet_tol,
            max_elements=max_elements,
        )
        if self.problem:
            return dataclasses.replace(result, passed=False, problem=self.problem, diagnosis="bug")
        return result
