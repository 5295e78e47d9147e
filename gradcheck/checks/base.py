"""A Check: one derivative to verify, f at x against its analytic derivative, and how to evaluate f."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from ..numerics.types import Function
from ..options import MAX_ELEMENTS
from ..verdict.arguments import Evaluation, Options, named
from ..verdict.comparison import Comparison
from ..verdict.naming import Naming
from ..verdict.verify import Analytic, checked


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
    # f(x) a stack of cotangent products (a vjp or backward check): what each cotangent was, the
    # first `random_cotangents` seeded random; or an elementwise derivative, the Jacobian's diagonal
    cotangents: tuple[str, ...] = ()
    random_cotangents: int = 0
    elementwise: bool = False
    tangents: tuple[str, ...] = ()  # f(t) is f along seeded random tangents (a jvp check): what each was
    forward: bool = False  # the analytic Jacobian was assembled from a jvp, column by column
    fixed_mode: str = ""  # the mode whatever the case asks (along a jvp's few tangents: "full")
    second: bool = False  # f is a gradient, analytic its Hessian: entries named d2f/dx[i]dx[j]
    differenced: str = ""  # what f is where it is itself a derivative, for the method (the analytic dXE/dW)

    def naming(self, title: str | None = None) -> Naming:
        """What the check's entries are called: in the user's terms (`dW[1, 3]` of a cotangent's
        product, `tanh'(x)[2]`, `d2f/dx[0]dx[2]`), else the Jacobian's."""
        return dataclasses.replace(
            named(self.of, self.wrt, title, self.label_class),
            cotangents=self.cotangents,
            random=self.random_cotangents,
            elementwise=self.elementwise,
            tangents=self.tangents,
            forward=self.forward,
            second=self.second,
        )

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
        options = Options(
            rtol,
            atol,
            step,
            self.fixed_mode or mode,
            scheme,
            subgradient=subgradient,
            nondet_tol=nondet_tol,
            max_elements=max_elements,
        )
        naming = self.naming(title)
        evaluation = Evaluation(self.vectorized, workers=self.workers, order=self.order)
        result = checked(self.f, self.x, self.analytic, options, naming, evaluation)
        if self.tangents:  # x moved along each tangent v by t, |t| the step
            along = f"along {len(self.tangents)} seeded random tangents v, each entry scaled by max(1, |x_i|)"
            result = dataclasses.replace(result, method=f"{result.method}, {along}")
        if self.differenced:
            method = result.method.replace("central differences", f"central differences of {self.differenced}", 1)
            result = dataclasses.replace(result, method=method)
        if self.problem:
            return dataclasses.replace(result, passed=False, problem=self.problem, diagnosis="bug")
        return result
