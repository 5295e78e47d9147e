"""check_hessian and check_hvp: a Hessian, or a Hessian-vector product, checked from Python against
central differences of the gradient given (checked first), else second differences of f; and
their assert_* twins."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..errors import ArgumentError
from ..numerics import validate
from ..numerics.types import Function
from ..options import MAX_ELEMENTS
from ..verdict.comparison import Comparison
from ..verdict.verify import passed_or_raise
from .base import Check
from .forward import JvpOptions, jvp_check
from .forwardapi import Product, _product
from .linear import BASIS_MAX, SEED, TANGENT, by_columns, nonlinear
from .second import SECOND_MAX, SecondCheck

Gradient = Callable[[NDArray[Any]], ArrayLike]


def _scalar(f: Function, x0: NDArray[Any]) -> None:
    out = validate.output(f(x0.copy()))
    if out.shape != ():
        raise ArgumentError(f"f returned shape {out.shape}; a Hessian is of a scalar f", "f")


def _gradient(gradient: Gradient, x0: NDArray[Any]) -> Callable[[NDArray[Any]], NDArray[Any]]:
    """x -> gradient(x), checked to be of x's shape."""
    return _product("gradient", lambda x, _: gradient(x), x0, x0.shape, f"x.shape {x0.shape}")


def check_hessian(
    f: Function,
    x: ArrayLike,
    hessian: Gradient,
    gradient: Gradient | None = None,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    mode: str = "auto",
    scheme: str = "central",
    of: str = "f",
    wrt: str = "x",
    title: str | None = None,
    max_elements: int = MAX_ELEMENTS,
) -> Comparison:
    """Check `hessian(x)`, of shape x.shape + x.shape, the Hessian of a scalar f at x. With
    `gradient(x)` (x's shape), the gradient is checked first, and the Hessian then against central
    differences of the gradient, one column per entry of x; without, against second differences of
    f, the full stencil for an x of at most 100 entries, u·H·v for 3 seeded random pairs above, with
    loosened tolerances (rtol 1e-4, atol 1e-5·max(1, |f(x)|) in float64) unless rtol or atol is
    given. Entries are named `d2f/dx[1]dx[2]`."""
    validate.function("f", f)
    validate.function("hessian", hessian)
    x0 = validate.point(x)
    _scalar(f, x0)
    analytic = validate.output(hessian(x0.copy()), call="hessian")
    if analytic.shape != x0.shape + x0.shape:
        raise ArgumentError(
            f"hessian returned shape {analytic.shape}; expected x.shape + x.shape {x0.shape + x0.shape}", "hessian"
        )
    if gradient is None:
        check = SecondCheck(f, x0, hessian=analytic, of=of, wrt=wrt)
    else:
        g = _gradient(gradient, x0)
        first = Check("gradient", f, x0, g(x0), of=of, wrt=wrt)
        check = SecondCheck(
            f, x0, first=first, differenced=Check("hessian", g, x0, analytic, of=of, wrt=wrt, second=True)
        )
    heading = title or f"gradcheck of the Hessian of {of} in {wrt}"
    return check.run(
        rtol=rtol, atol=atol, step=step, mode=mode, scheme=scheme, title=heading, max_elements=max_elements
    )


def check_hvp(
    f: Function,
    x: ArrayLike,
    hvp: Product,
    gradient: Gradient | None = None,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    seed: int = SEED,  # of the random tangents mode "directional" (or a large x) takes
    mode: str = "auto",
    scheme: str = "central",
    title: str | None = None,
    of: str = "f",
    wrt: str = "x",
    max_elements: int = MAX_ELEMENTS,
) -> Comparison:
    """Check `hvp(v, x)` = H·v, the Hessian of a scalar f at x times a tangent v of x's shape (in
    x's shape), as check_hessian checks a Hessian: with `gradient`, the gradient first, then the hvp
    as a jvp of the gradient (H assembled column by column from basis tangents for an x of at most
    1024 entries, 3 seeded random tangents above or with mode "directional"); without, H assembled
    from the hvp against second differences of f (x of at most 100 entries), else u·hvp(v) for 3
    seeded random pairs. An hvp not linear in its tangent fails."""
    validate.function("f", f)
    x0 = validate.point(x)
    _scalar(f, x0)
    product = _product("hvp", hvp, x0, x0.shape, f"x.shape {x0.shape}, H·v for a tangent of x.shape")
    heading = title or f"gradcheck of the hvp of {of} in {wrt}"
    options: dict[str, Any] = {"rtol": rtol, "atol": atol, "step": step, "mode": mode, "scheme": scheme}
    options["max_elements"] = max_elements
    if gradient is not None:
        g = _gradient(gradient, x0)
        differenced = jvp_check(
            "hvp",
            g,
            product,
            x0,
            g(x0),
            JvpOptions(
                of=of,
                wrt=wrt,
                shown="hvp",
                evaluation={},
                max_elements=max_elements,
                mode=mode,
                seed=seed,
                second=True,
            ),
        )
        check = SecondCheck(f, x0, first=Check("gradient", f, x0, g(x0), of=of, wrt=wrt), differenced=differenced)
        return check.run(title=heading, **options)
    return hvp_by_second_differences(f, x0, product, "hvp", of, wrt, seed).run(title=heading, **options)


def assert_hessian(
    f: Function, x: ArrayLike, hessian: Gradient, gradient: Gradient | None = None, **options: Any
) -> Comparison:
    """Like check_hessian, but raise AssertionError carrying the report when it fails."""
    __tracebackhide__ = True
    return passed_or_raise(check_hessian(f, x, hessian, gradient, **options))


def assert_hvp(f: Function, x: ArrayLike, hvp: Product, gradient: Gradient | None = None, **options: Any) -> Comparison:
    """Like check_hvp, but raise AssertionError carrying the report when it fails."""
    __tracebackhide__ = True
    return passed_or_raise(check_hvp(f, x, hvp, gradient, **options))


def hvp_by_second_differences(
    f: Function,
    x0: NDArray[Any],
    product: Callable[[NDArray[Any]], Any],
    shown: str,
    of: str,
    wrt: str,
    seed: int = SEED,
) -> SecondCheck:
    """An hvp's SecondCheck against second differences of f: H assembled from basis tangents for a
    small x, the products themselves along random pairs for a large one; linear in its tangent first."""
    dtype = x0.dtype if np.issubdtype(x0.dtype, np.floating) else np.dtype(np.float64)
    problem = nonlinear(shown, "hvp", product, x0.shape, dtype, TANGENT)
    if x0.size > min(SECOND_MAX, BASIS_MAX):
        return SecondCheck(f, x0, product=product, of=of, wrt=wrt, problem=problem, seed=seed)
    hessian = by_columns(product, x0.shape, x0.shape, dtype)
    return SecondCheck(f, x0, hessian=hessian, of=of, wrt=wrt, problem=problem, seed=seed)
