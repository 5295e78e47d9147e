"""check_jvp and check_dot_product (and their assert_* twins): a jvp checked from Python, against
central differences along its tangents, and against a vjp by the dot-product test."""

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
from .dot import DotCheck
from .forward import JvpOptions, jvp_check
from .linear import PROBES, SEED

Product = Callable[[NDArray[Any], NDArray[Any]], ArrayLike]


def _product(name: str, fn: Product, x0: NDArray[Any], shape: tuple[int, ...], of: str) -> Callable[..., Any]:
    """w -> fn(w, x) as an array of `shape`; else ArgumentError naming `name`."""
    validate.function(name, fn)

    def call(w: NDArray[Any]) -> NDArray[Any]:
        arr = validate.output(fn(w, x0.copy()), call=name)
        if arr.shape != shape:
            raise ArgumentError(f"{name} returned shape {arr.shape}; expected {shape}, {of}", name)
        return np.array(arr)

    return call


def check_jvp(
    f: Function,
    x: ArrayLike,
    jvp: Product,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    mode: str = "auto",
    scheme: str = "central",
    vectorized: bool = False,
    workers: int = 1,
    order: str = "C",
    seed: int = SEED,
    of: str = "f",
    wrt: str = "x",
    title: str | None = None,
    subgradient: bool = False,
    nondet_tol: float = 0.0,
    max_elements: int = MAX_ELEMENTS,
) -> Comparison:
    """Check `jvp(v, x)` = J·v, the Jacobian of f at x times a tangent v of x's shape (in f's
    shape), as a function case's `jvp:` is checked: for an x of at most 1024 entries the Jacobian is
    assembled column by column from the basis tangents and compared in full (`df[2]/dx[1]`, column
    x[1] the product of the basis tangent at x[1]); for a larger one (or mode "directional") 3
    seeded random tangents, each product against one central difference of f along it. A jvp not
    linear in its tangent fails. The other keywords are check_jacobian's."""
    validate.function("f", f)
    x0 = validate.point(x)
    out = validate.output(f(x0.copy()))
    product = _product("jvp", jvp, x0, out.shape, f"f(x).shape, J·v for a tangent of x.shape {x0.shape}")
    evaluation = {"vectorized": vectorized, "order": order, "workers": workers}
    check = jvp_check(
        "jvp",
        f,
        product,
        x0,
        out,
        JvpOptions(
            of=of,
            wrt=wrt,
            shown="jvp",
            evaluation=evaluation,
            max_elements=max_elements,
            mode=mode,
            seed=seed,
        ),
    )
    heading = title or f"gradcheck of the jvp of {of} along {wrt}"
    return check.run(
        rtol=rtol,
        atol=atol,
        step=step,
        mode=mode,
        scheme=scheme,
        title=heading,
        subgradient=subgradient,
        nondet_tol=nondet_tol,
        max_elements=max_elements,
    )


def check_dot_product(
    f: Function,
    x: ArrayLike,
    jvp: Product,
    vjp: Product,
    *,
    probes: int = PROBES,
    seed: int = SEED,
    title: str | None = None,
) -> Comparison:
    """The dot-product test of `jvp(v, x)` = J·v against `vjp(u, x)` = u·J at x: <jvp(v), u> =
    <v, vjp(u)> for `probes` seeded random pairs (u, v), exact to rounding (a relative tolerance of
    1e-10 of the sum of the magnitudes of the products each side adds up; 1e-4 in float32). No finite
    differences: f is called once, for its output's shape."""
    validate.function("f", f)
    x0 = validate.point(x)
    out = validate.output(f(x0.copy()))
    probes = validate.integer("probes", probes, minimum=1)
    seed = validate.integer("seed", seed, minimum=0)
    forward = _product("jvp", jvp, x0, out.shape, "f(x).shape")
    backward = _product("vjp", vjp, x0, x0.shape, "x.shape")
    dot = DotCheck(forward, backward, x0.shape, out.shape, str(x0.dtype), probes=probes, seed=seed)
    return dot.run(title=title)


def assert_jvp(f: Function, x: ArrayLike, jvp: Product, **options: Any) -> Comparison:
    """Like check_jvp, but raise AssertionError carrying the report when it fails."""
    __tracebackhide__ = True
    return passed_or_raise(check_jvp(f, x, jvp, **options))


def assert_dot_product(f: Function, x: ArrayLike, jvp: Product, vjp: Product, **options: Any) -> Comparison:
    """Like check_dot_product, but raise AssertionError carrying the report when it fails."""
    __tracebackhide__ = True
    return passed_or_raise(check_dot_product(f, x, jvp, vjp, **options))
