"""A Hessian's or an hvp's Check without a gradient to difference: second differences of a scalar f.
For an x of at most SECOND_MAX entries the full stencil, every entry of H, against the Hessian
given (or assembled from the hvp column by column): the diagonal (f(x+h e_i) - 2 f(x) +
f(x-h e_i))/h², a cross term (f(x+h e_i+h e_j) - f(x+h e_i-h e_j) - f(x-h e_i+h e_j) +
f(x-h e_i-h e_j))/(4h²), h = eps^(1/4)·max(1, |x_i|). For a larger x, u·H·v for PROBES seeded
random pairs (u, v) by the same cross stencil along u and v. Second differences are less exact
than first ones: the tolerances are loosened (SECOND_TOLERANCES) and the report says so."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..verdict.compare import compare
from ..verdict.comparison import Comparison
from ..verdict.naming import Naming
from ..verdict.tolerance import Tolerance
from .base import Check
from .forward import tangents
from .linear import PROBES, SEED

#: The full second-difference stencil is taken for an x of at most this many entries (about 2n²
#: evaluations of f); above, u·H·v along PROBES seeded random pairs.
SECOND_MAX = 100
#: (rtol, atol) of a comparison with second differences, by dtype; atol is relative to max(1, |f(x)|).
SECOND_TOLERANCES = {"float64": (1e-4, 1e-5), "float32": (5e-2, 5e-2)}

Scalar = Callable[[NDArray[Any]], Any]
Product = Callable[[NDArray[Any]], NDArray[Any]]


def second_differences(f: Scalar, x0: NDArray[Any], steps: NDArray[Any]) -> NDArray[np.float64]:
    """The Hessian of a scalar f at x0 by second differences, `steps` of x's shape."""
    n, flat = x0.size, x0.reshape(-1)

    def at(*moves: tuple[int, float]) -> float:
        x = flat.copy()
        for i, d in moves:
            x[i] += d
        return float(np.asarray(f(x.reshape(x0.shape)), dtype=np.float64))

    h = steps.reshape(-1)
    f0, hess = at(), np.zeros((n, n))
    for i in range(n):
        hess[i, i] = (at((i, h[i])) - 2 * f0 + at((i, -h[i]))) / (h[i] * h[i])
        for j in range(i):
            plus = at((i, h[i]), (j, h[j])) - at((i, h[i]), (j, -h[j]))
            minus = at((i, -h[i]), (j, h[j])) - at((i, -h[i]), (j, -h[j]))
            hess[i, j] = hess[j, i] = (plus - minus) / (4 * h[i] * h[j])
    return hess.reshape(x0.shape + x0.shape)


def along_pairs(f: Scalar, x0: NDArray[Any], h: float, u: NDArray[Any], v: NDArray[Any]) -> float:
    """u·H·v by the cross stencil along u and v, each moved by h."""
    value = [float(np.asarray(f(x0 + a * h * u + b * h * v), dtype=np.float64)) for a in (1, -1) for b in (1, -1)]
    return (value[0] - value[1] - value[2] + value[3]) / (4 * h * h)


@dataclass(frozen=True)
class SecondCheck:
    """A Hessian (x.shape + x.shape; None: only the hvp `product`) of a scalar f at x against
    second differences of f, or, with `gradient` (g(x), x's shape), the Check `differenced` of the
    gradient's central differences, after the gradient's own Check `first`: a Hessian is never
    passed on a wrong gradient."""

    f: Scalar
    x: NDArray[Any]
    hessian: NDArray[Any] | None = None
    product: Product | None = None
    of: str = "f"
    wrt: str = "x"
    problem: str = ""  # a product that is not linear in its vector
    first: Check | None = None
    differenced: Check | None = None
    gradient_name: str = ""  # as a case shows it: `gradient mylib:f_grad`
    seed: int = SEED

    def run(
        self,
        *,
        rtol: float | None = None,
        atol: float | None = None,
        step: float | None = None,
        title: str | None = None,
        **options: Any,
    ) -> Comparison:
        """The verdict; the other keywords (mode, scheme, ...) go to the gradient's Checks."""
        heading = title or f"gradcheck of d2{self.of}/d{self.wrt}2"
        if self.first is not None and self.differenced is not None:
            given = {"rtol": rtol, "atol": atol, "step": step, "title": heading, **options}
            checked = self.first.run(**given)
            if not checked.passed:
                why = (
                    f"the gradient{self.gradient_name and ' ' + self.gradient_name} is wrong (below), and the "
                    "Hessian is checked against central differences of it: fix the gradient first"
                )
                return dataclasses.replace(checked, problem=f"{why}; {checked.problem}" if checked.problem else why)
            result = self.differenced.run(**given)
            method = result.method.replace("central differences", "central differences of the analytic gradient", 1)
            return dataclasses.replace(result, method=method)
        return self._second_differences(rtol, atol, step, heading)

    def _second_differences(
        self, rtol: float | None, atol: float | None, step: float | None, heading: str
    ) -> Comparison:
        dtype = self.x.dtype if np.issubdtype(self.x.dtype, np.floating) else np.dtype(np.float64)
        scale = max(1.0, abs(float(np.asarray(self.f(self.x.copy()), dtype=np.float64))))
        loose_rtol, loose_atol = SECOND_TOLERANCES.get(dtype.name, SECOND_TOLERANCES["float64"])
        tol = Tolerance(loose_rtol if rtol is None else rtol, loose_atol * scale if atol is None else atol)
        relative = step if step is not None else float(np.finfo(dtype).eps) ** 0.25
        said = "given" if rtol is not None or atol is not None else "loosened for second differences"
        naming = Naming(self.of, self.wrt, heading, second=True)
        if self.x.size <= SECOND_MAX:
            steps = relative * np.maximum(1.0, np.abs(np.asarray(self.x, dtype=np.float64)))
            numeric = second_differences(self.f, self.x, steps.astype(dtype))
            analytic = self.hessian if self.hessian is not None else np.zeros_like(numeric)
            method = f"second differences of f, step {relative:.3g} * max(1, |x|); tolerances {said}"
            result = compare(analytic, numeric, naming.shaped(self.x.shape, self.x.shape), tol, method=method)
        else:
            us, vs = tangents(self.x, dtype, self.seed + 3), tangents(self.x, dtype, self.seed + 4)
            products = [self._product(v) for v in vs]
            analytic = np.array([float(np.vdot(u, p)) for u, p in zip(us, products, strict=True)])
            numeric = np.array([along_pairs(self.f, self.x, relative, u, v) for u, v in zip(us, vs, strict=True)])
            labels = tuple(f"pair {k + 1} of {PROBES}" for k in range(PROBES))
            method = (
                f"second differences of f along {PROBES} seeded random pairs (u, v), u·H·v, each entry scaled by "
                f"max(1, |x_i|), step {relative:.3g}; tolerances {said}"
            )
            named = dataclasses.replace(naming, tangents=labels).shaped((), (PROBES,))
            result = compare(analytic, numeric, named, tol, method=method)
        result = dataclasses.replace(result, mode="second", step=relative)
        if self.problem:
            return dataclasses.replace(result, passed=False, problem=self.problem, diagnosis="bug")
        return result if result.passed else dataclasses.replace(result, diagnosis="bug")

    def _product(self, v: NDArray[Any]) -> NDArray[Any]:
        if self.product is not None:
            return np.asarray(self.product(v), dtype=np.float64)
        assert self.hessian is not None
        flat = np.asarray(self.hessian, dtype=np.float64).reshape(self.x.size, self.x.size)
        return (flat @ np.asarray(v, dtype=np.float64).reshape(-1)).reshape(self.x.shape)
