"""check_jacobian / assert_jacobian: estimate, compare, refine the failing entries, decide."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..numerics import stencils as numeric
from ..numerics import validate
from ..numerics.chunks import CHUNK_BYTES
from ..numerics.directional import PROBES
from ..numerics.evaluation import SchemeError
from ..numerics.types import Function
from ..options import MODES, SCHEMES
from . import compare as cmp
from .comparison import Comparison
from .directional import directional_comparison
from .hints import sweep_line

Analytic = ArrayLike | Callable[[NDArray[np.floating]], ArrayLike]

#: Mode "auto" checks the full Jacobian when x has at most AUTO_FULL_INPUTS entries and the
#: Jacobian at most AUTO_FULL_ENTRIES, else directionally.
AUTO_FULL_INPUTS = 20_000
AUTO_FULL_ENTRIES = 10_000_000


def check_jacobian(
    f: Function,
    x: ArrayLike,
    analytic: Analytic,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    mode: str = "full",
    scheme: str = "central",
    vectorized: bool = False,
    chunk_bytes: int = CHUNK_BYTES,
    workers: int = 1,
    order: str = "C",
    probes: int = PROBES,
    seed: int = 0,
    of: str = "f",
    wrt: str = "x",
    title: str | None = None,
    label_class: int | None = None,
) -> Comparison:
    """Compare `analytic` (an array, or a callable of x) with numerical derivatives of f at x.

    The Jacobian has shape f(x).shape + x.shape. In mode "full" every entry is estimated by
    `scheme` (central, central4, complex or richardson); entries that fail the first
    comparison get a careful Richardson estimate, and the verdict allows for that estimate's
    error; a failure's worst entries get a step sweep that tells a real bug from a poor step.
    Mode "directional" compares `probes` seeded random projections (central differences) at
    a cost independent of x's size, and narrows a failure down to the wrong entries; "auto"
    picks by size. With vectorized=True, f takes a stack of points (B,) + x.shape, evaluated
    in chunks of at most `chunk_bytes` by `workers` threads (f must then be thread-safe, as
    numpy functions are), each point in memory `order` "C" or "F" (Fortran order is faster for
    an f that contracts x's first axis, such as x @ W with a few columns). `of` and `wrt`
    name the entries in the report (`dS[0]/dW[2, 1]`); `label_class` lets a hint say when
    only the true class's entries are wrong.
    """
    _check_arguments(f, mode, scheme, step, probes, seed, of, wrt, title, label_class)
    rtol = None if rtol is None else validate.number("rtol", rtol)
    atol = None if atol is None else validate.number("atol", atol, zero=True)
    x_arr = validate.point(x)
    a = _analytic(analytic, x_arr)
    probe = numeric.Probe(f, x_arr, vectorized=vectorized, chunk_bytes=chunk_bytes, workers=workers, order=order)
    with probe:
        if mode == "auto":
            full_shape = probe.out_shape + probe.shape
            small = x_arr.size <= AUTO_FULL_INPUTS and math.prod(full_shape) <= AUTO_FULL_ENTRIES
            mode = "full" if small else "directional"
        if mode == "directional":
            scheme = "central"  # projections are central differences along random directions
        rel = numeric.relative_step(probe, step, scheme, wrt)
        d_rtol, d_atol = cmp.default_tolerances(x_arr.dtype, a.dtype, probe.precision)
        tol = Tolerance(d_rtol if rtol is None else rtol, d_atol if atol is None else atol)
        out_ndim = len(probe.out_shape)
        common: dict[str, Any] = {
            "rtol": tol.rtol,
            "atol": tol.atol,
            "title": title or f"gradcheck of d{of}/d{wrt}",
            "method": _describe(scheme, rel, wrt),
        }

        def stamp(result: Comparison) -> Comparison:
            return dataclasses.replace(result, step=rel, mode=mode, scheme=scheme)

        def failed(problem: str) -> Comparison:
            """A check that failed before any derivative was compared, for the reason `problem`."""
            blank = cmp.compare(a, np.zeros(probe.out_shape + probe.shape), out_ndim=out_ndim, of=of, wrt=wrt, **common)
            return stamp(
                dataclasses.replace(blank, passed=False, problem=problem, worst=(), hints=(), mismatch_map=None)
            )

        if not probe.finite0.all():
            return failed(_not_finite_at_x(probe))
        if mode == "directional":
            full_shape = probe.out_shape + probe.shape
            if a.shape != full_shape or not np.all(np.isfinite(a)):
                result = cmp.compare(a, np.zeros(full_shape), out_ndim=out_ndim, of=of, wrt=wrt, **common)
                return stamp(result)
            a2 = np.asarray(a, dtype=np.float64).reshape(-1, x_arr.size)
            result = directional_comparison(probe, a2, step=rel, seed=seed, probes=probes, of=of, wrt=wrt, **common)
            return stamp(result)
        try:
            est = numeric.estimate(probe, rel, scheme)
        except SchemeError as exc:
            return failed(str(exc))
        if est.shrunk:
            common["method"] += f", shrunk at {est.shrunk} entries where f left its domain"
        common.update(out_ndim=out_ndim, of=of, wrt=wrt, label_class=label_class)
        allowance = None if est.errors is None else numeric.ERROR_SAFETY * est.errors
        result = cmp.compare(a, est.jacobian, allowance=allowance, **common)
        if not result.passed and not result.problem and scheme in ("central", "central4"):
            result = _refined(probe, a, est, tol, common)
        if not result.passed and not result.problem:
            result = dataclasses.replace(result, diagnosis=_sweep(probe, a, est, result))
        return stamp(result)


def _not_finite_at_x(probe: numeric.Probe) -> str:
    """What f(x) holds that is not finite, where no derivative can be."""
    bad = np.flatnonzero(~probe.finite0)
    k = int(bad[0])
    name = validate.entry("f(x)", tuple(int(i) for i in np.unravel_index(k, probe.out_shape)))
    return (
        f"f(x) itself has {bad.size} non-finite entries ({name} = {probe.f0[k]}): no derivative is defined there; "
        "check at a point where f is finite"
    )


class Tolerance(NamedTuple):
    rtol: float
    atol: float


def _describe(scheme: str, rel: float, wrt: str) -> str:
    """How the numerical reference was computed, for the report."""
    steps = f"step {rel:.3g} * max(1, |{wrt}|)"
    return {
        "central": f"central differences, {steps}",
        "central4": f"five-point central differences (fourth order), {steps}",
        "complex": f"complex step, {steps}",
        "richardson": f"Richardson extrapolation of central differences, {steps} times {numeric.RICHARDSON_START:g}",
    }[scheme]


def _refined(
    probe: numeric.Probe, a: NDArray[Any], est: numeric.Estimate, tol: Tolerance, common: dict[str, Any]
) -> Comparison:
    """The comparison after every entry (Jacobian column) with a mismatch got a careful estimate."""
    n = probe.flat.size
    over = np.abs(np.asarray(a, dtype=np.float64) - est.jacobian) > tol.atol + tol.rtol * np.abs(est.jacobian)
    cols = np.flatnonzero(over.reshape(-1, n).any(axis=0))
    values, errors = probe.richardson(cols, est.steps)
    jac = est.jacobian.reshape(-1, n).copy()
    allow = np.zeros_like(jac)
    jac[:, cols] = values.T
    allow[:, cols] = numeric.ERROR_SAFETY * errors.T
    method = common["method"] + f"; {cols.size} entries re-estimated by Richardson extrapolation"
    shape = est.jacobian.shape
    return cmp.compare(a, jac.reshape(shape), allowance=allow.reshape(shape), **{**common, "method": method})


#: A failure's worst entries are estimated again at these multiples of the step used.
SWEEP_FACTORS = (16.0, 4.0, 1.0, 0.25, 0.0625)
SWEEP_ENTRIES = 2


def _sweep(probe: numeric.Probe, a: NDArray[Any], est: numeric.Estimate, result: Comparison) -> tuple[str, ...]:
    """Step sweeps for the worst entries: an error that shrinks with the step is the step's
    fault; one that stays put is a real bug."""
    entries = [e for e in result.worst[:SWEEP_ENTRIES] if e.index]
    if not entries:
        return ()
    out_ndim = len(probe.out_shape)
    n = probe.flat.size
    cols = np.array([np.ravel_multi_index(e.index[out_ndim:], probe.shape) if probe.shape else 0 for e in entries])
    rows = [np.ravel_multi_index(e.index[:out_ndim], probe.out_shape) if out_ndim else 0 for e in entries]
    base = est.steps.reshape(-1)[cols] if n else np.zeros(0)
    numbers = []
    for factor in SWEEP_FACTORS:
        values, _, _ = probe.central(cols, base * factor)
        numbers.append([float(values[k, r]) for k, r in enumerate(rows)])
    lines = []
    for k, e in enumerate(entries):
        errors = [abs(e.analytic - numbers[s][k]) for s in range(len(SWEEP_FACTORS))]
        steps = [float(base[k] * factor) for factor in SWEEP_FACTORS]
        lines.append(sweep_line(e.name, steps, errors))
    return tuple(lines)


def assert_jacobian(f: Function, x: ArrayLike, analytic: Analytic, **options: Any) -> Comparison:
    """Like check_jacobian, but raise AssertionError carrying the report when it fails."""
    __tracebackhide__ = True
    result = check_jacobian(f, x, analytic, **options)
    if not result.passed:
        raise AssertionError(str(result))
    return result


def _check_arguments(
    f: object,
    mode: object,
    scheme: object,
    step: object,
    probes: object,
    seed: object,
    of: object,
    wrt: object,
    title: object,
    label_class: object,
) -> None:
    """check_jacobian's arguments other than x, analytic and the tolerances (checked where they are read)."""
    validate.function("f", f)
    validate.choice("mode", mode, MODES)
    validate.choice("scheme", scheme, SCHEMES)
    if step is not None:
        validate.number("step", step)
    validate.integer("probes", probes, minimum=1)
    validate.integer("seed", seed, minimum=0)
    validate.text("of", of)
    validate.text("wrt", wrt)
    validate.text("title", title, optional=True)
    if label_class is not None:
        validate.integer("label_class", label_class, minimum=0)


def _analytic(analytic: Analytic, x: NDArray[Any]) -> NDArray[Any]:
    """The analytic derivative at x as an array of real numbers: `analytic` itself, or what it returns."""
    if callable(analytic):
        return validate.output(analytic(x.copy()), call="analytic")
    return validate.array("analytic", analytic, "an array of real numbers or a function of x")
