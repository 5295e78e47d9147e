"""check_jacobian / assert_jacobian: estimate, compare, look again at the failing entries, decide."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..numerics import stencils as numeric
from ..numerics import validate
from ..numerics.chunks import CHUNK_BYTES
from ..numerics.directional import PROBES
from ..numerics.evaluation import PointError, SchemeError
from ..numerics.types import Function
from ..options import MAX_ELEMENTS
from . import bounds, review, stepsweep
from . import compare as cmp
from .arguments import Evaluation, Options, named
from .comparison import Comparison
from .comparisons import Comparisons
from .directional import Directions, directional_comparison
from .naming import Naming
from .tolerance import Tolerance

Analytic = ArrayLike | Callable[[NDArray[np.floating]], ArrayLike]
#: Asked when a first comparison fails: whether the check should start again (f computes in float32).
Recheck = Callable[[], bool] | None
#: f at x twice may differ by this many spacings of its value (a sum in another order) and be one function.
ROUNDING = 64.0


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
    subgradient: bool = False,
    nondet_tol: float = 0.0,
    max_elements: int = MAX_ELEMENTS,
) -> Comparison:
    """Compare `analytic` (an array, or a callable of x) with numerical derivatives of f at x.

    The Jacobian has shape f(x).shape + x.shape. In mode "full" every entry is estimated by
    `scheme` (central, central4, complex or richardson); entries that fail that first
    comparison get a second look, with steps of their own chosen from f's measured noise and
    curvature, and the verdict allows for that estimate's measured error. A kink within the
    step is stepped around; at a kink itself the check fails saying f is not differentiable
    there, unless `subgradient` is true, which accepts any value between the one-sided
    derivatives. A check whose first comparison fails evaluates f at x again first: an f that
    gives another value there (beyond rounding and `nondet_tol`) fails as "nondeterministic".
    Mode "directional" compares `probes` seeded random projections (central
    differences) at a cost independent of x's size, and narrows a failure down to the wrong
    entries, which get the same second look; "auto" picks by size. With vectorized=True, f
    takes a stack of points (B,) + x.shape, evaluated in chunks of at most `chunk_bytes` by
    `workers` threads (f must then be thread-safe, as numpy functions are), each point in
    memory `order` "C" or "F" (Fortran order is faster for an f that contracts x's first
    axis, such as x @ W with a few columns). `of` and `wrt` name the entries in the report
    (`dS[0]/dW[2, 1]`); `label_class` lets a hint say when only the true class's entries
    are wrong. A Jacobian of more than `max_elements` entries is refused (ArgumentError) before it
    is held, and so is mode "full" for an x of more than 100,000 entries. An exception f raises
    at a perturbed point is re-raised as FunctionError, naming the entry, the step and the look,
    with f's own exception as its cause.
    """
    validate.function("f", f)
    options = Options(rtol, atol, step, mode, scheme, probes, seed, subgradient, nondet_tol, max_elements)
    naming = named(of, wrt, title, label_class)
    return checked(f, x, analytic, options, naming, Evaluation(vectorized, chunk_bytes, workers, order))


def checked(
    f: Function, x: ArrayLike, analytic: Analytic, options: Options, naming: Naming, evaluation: Evaluation
) -> Comparison:
    """check_jacobian with its arguments as values: how to judge, how to name, how to evaluate f."""
    x_arr = validate.point(x)
    e = evaluation
    probe = numeric.Probe(
        f, x_arr, vectorized=e.vectorized, chunk_bytes=e.chunk_bytes, workers=e.workers, order=e.order
    )
    with probe:
        naming = naming.shaped(probe.out_shape, probe.shape)
        names = (naming.of, naming.wrt)
        mode = bounds.resolved_mode(options.mode, probe.out_shape, probe.shape, names, options.max_elements)
        options = dataclasses.replace(options, mode=mode)
        a = _analytic(analytic, x_arr)
        try:
            # Where the first comparison fails, f must give the same value at x again (else no
            # difference means anything); and f may compute in float32 (a float64 x tells
            # nothing): then the check starts again with float32's step and tolerances
            nondet_tol = options.nondet_tol
            step = options.step or numeric.base_step(np.float64, options.scheme)
            lower = functools.partial(probe.lower_precision, step)
            result = _verdict(probe, a, options, naming, _first_failure(probe, nondet_tol, lower))
            while result is None:
                result = _verdict(probe, a, options, naming, _first_failure(probe, nondet_tol, None))
        except Nondeterministic as exc:
            return _nondeterministic(probe, a, options, naming, exc)
        except PointError as exc:
            raise exc.named(probe.shape, naming.of, naming.wrt) from exc.cause
        return result


class Nondeterministic(Exception):
    """f gave two values at x: a check of its derivatives means nothing."""

    def __init__(self, difference: float) -> None:
        super().__init__(
            f"f gave different values at the same {{wrt}} (max difference {difference:.3g}): a random layer "
            "drawing anew on each call, such as dropout? seed it inside f, or check it in evaluation mode "
            "(nondet_tol allows a difference you expect)"
        )
        self.difference = difference


def _first_failure(probe: numeric.Probe, nondet_tol: float, recheck: Recheck) -> Callable[[], bool]:
    """What a check asks when its first comparison fails: f at x once more, which must give what
    it gave (within nondet_tol, and rounding; else Nondeterministic); then `recheck`, if any."""

    def asked() -> bool:
        probe.look = "determinism check"
        again = np.asarray(probe.f(probe.base.reshape(probe.shape)), dtype=np.float64).reshape(-1)
        with np.errstate(all="ignore"):
            difference = np.abs(again - probe.f0)
            rounding = ROUNDING * probe.eps * np.maximum(np.abs(probe.f0), np.abs(again))
            moved = (difference > nondet_tol + rounding) | (np.isfinite(probe.f0) != np.isfinite(again))
        if np.any(moved):
            raise Nondeterministic(float(np.nan_to_num(difference, nan=np.inf).max(initial=0.0)))
        return recheck() if recheck is not None else False

    return asked


def _nondeterministic(
    probe: numeric.Probe, a: NDArray[Any], o: Options, naming: Naming, exc: Nondeterministic
) -> Comparison:
    """The verdict on an f that is not a function of x: failed, for that reason alone."""
    full_shape = probe.out_shape + probe.shape
    a_cmp = a if a.shape == full_shape else np.zeros(full_shape)
    blank = cmp.compare(a_cmp, np.zeros(full_shape), naming.jacobian(), Tolerance(0.0, 0.0))
    changes: dict[str, Any] = {"problem": str(exc).format(wrt=naming.wrt), "mismatch_map": None, "worst": ()}
    return dataclasses.replace(blank, passed=False, hints=(), diagnosis="nondeterministic", mode=o.mode, **changes)


def _verdict(probe: numeric.Probe, a: NDArray[Any], o: Options, naming: Naming, recheck: Recheck) -> Comparison | None:
    """The check of the analytic Jacobian `a` at the probe's point, in the probe's precision;
    None where `recheck`, asked when the first comparison fails, says to start again."""
    scheme = "central" if o.mode == "directional" else o.scheme  # projections: central differences
    rel = numeric.relative_step(probe, o.step, scheme, naming.wrt)
    d_rtol, d_atol = cmp.default_tolerances(probe.given_dtype, a.dtype, probe.precision)
    tol = Tolerance(d_rtol if o.rtol is None else o.rtol, d_atol if o.atol is None else o.atol, o.subgradient)
    method = _describe(scheme, rel, naming.wrt)

    def stamp(result: Comparison) -> Comparison:
        return dataclasses.replace(result, step=rel, mode=o.mode, scheme=scheme)

    full_shape = probe.out_shape + probe.shape

    def failed(problem: str, diagnosis: str) -> Comparison:
        """A check that failed before any derivative was compared, for the reason `problem`."""
        blank = cmp.compare(a, np.zeros(full_shape), naming.jacobian(), tol, method=method)
        changes: dict[str, Any] = {"problem": problem, "diagnosis": diagnosis, "mismatch_map": None}
        return stamp(dataclasses.replace(blank, passed=False, **changes))

    if not probe.finite0.all():
        return failed(_not_finite_at_x(probe), "non-finite")
    if o.mode == "directional":
        if a.shape != full_shape or not np.all(np.isfinite(a)):
            return stamp(cmp.compare(a, np.zeros(full_shape), naming, tol, method=method))
        a2 = np.asarray(a, dtype=np.float64).reshape(-1, probe.base.size)  # base: x without a copy
        directions = Directions(rel, o.seed, o.probes)
        result = directional_comparison(probe, a2, naming, tol, directions, method, recheck)
        return None if result is None else stamp(result)
    try:
        est = numeric.estimate(probe, rel, scheme)
    except SchemeError as exc:
        return failed(str(exc), "error")
    if est.shrunk:
        method += f", shrunk at {est.shrunk} entries where f left its domain"
    first = _first_steps(probe, est, scheme)
    judged = review.judged(probe, a, est, first, naming, tol, recheck, method)
    if judged is None:
        return None
    result, forced = judged
    if not result.passed and not result.problem:
        result = dataclasses.replace(result, sweeps=stepsweep.sweeps(probe, a, est.steps, result, forced))
    return stamp(result)


def _first_steps(probe: numeric.Probe, est: numeric.Estimate, scheme: str) -> NDArray[np.float64]:
    """The steps from which a second look starts, per entry: the central difference's default
    (the complex step's are far below any real step; central4's above central's), no larger than
    the steps the first pass found inside f's domain."""
    central = numeric.entry_steps(probe.base, numeric.base_step(probe.precision)).reshape(est.steps.shape)
    steps: NDArray[np.float64] = est.steps if scheme == "central" else central
    if scheme in ("central4", "richardson"):
        steps = np.minimum(est.steps, central)
    return steps


def _not_finite_at_x(probe: numeric.Probe) -> str:
    """What f(x) holds that is not finite, where no derivative can be."""
    bad = np.flatnonzero(~probe.finite0)
    k = int(bad[0])
    name = validate.entry("f(x)", tuple(int(i) for i in np.unravel_index(k, probe.out_shape)))
    return (
        f"f(x) itself has {bad.size} non-finite entries ({name} = {probe.f0[k]}): no derivative is defined there; "
        "check at a point where f is finite"
    )


def _describe(scheme: str, rel: float, wrt: str) -> str:
    """How the numerical reference was computed, for the report."""
    steps = f"step {rel:.3g} * max(1, |{wrt}|)"
    return {
        "central": f"central differences, {steps}",
        "central4": f"five-point central differences (fourth order), {steps}",
        "complex": f"complex step, {steps}",
        "richardson": f"Richardson extrapolation of central differences, {steps} times {numeric.RICHARDSON_START:g}",
    }[scheme]


Verdict = TypeVar("Verdict", Comparison, Comparisons)


def passed_or_raise(result: Verdict) -> Verdict:
    """`result` if it passed; else AssertionError carrying its report (what every assert_* twin does)."""
    __tracebackhide__ = True
    if not result.passed:
        raise AssertionError(str(result))
    return result


def assert_jacobian(f: Function, x: ArrayLike, analytic: Analytic, **options: Any) -> Comparison:
    """Like check_jacobian, but raise AssertionError carrying the report when it fails."""
    __tracebackhide__ = True
    return passed_or_raise(check_jacobian(f, x, analytic, **options))


def _analytic(analytic: Analytic, x: NDArray[Any]) -> NDArray[Any]:
    """The analytic derivative at x as an array of real numbers: `analytic` itself, or what it returns."""
    if callable(analytic):
        return validate.output(analytic(x.copy()), call="analytic")
    return validate.array("analytic", analytic, "an array of real numbers or a function of x")
