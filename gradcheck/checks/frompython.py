"""check_function (and assert_function): a function case from Python, so a notebook checks what a case file checks. Its
keywords are read as a case file's keys are, by the same reader, and build the same checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..casefile.budget import Budget
from ..casefile.function import parse_function
from ..casefile.given import WHERE, case_item
from ..casefile.pairs import checks_of
from ..casefile.yamlreader import YMap
from ..errors import ArgumentError, FunctionError, GradcheckError
from ..options import MAX_ELEMENTS
from ..verdict.comparisons import Comparisons
from ..verdict.verify import passed_or_raise
from .function import build_check
from .scope import Everything

Code = Callable[..., Any] | str


def check_function(
    function: Code,
    *,
    args: Mapping[str, Any] | None = None,
    wrt: str | Sequence[str] | None = None,
    jacobian: Code | None = None,
    gradient: Code | None = None,
    vjp: Code | None = None,
    backward: Code | None = None,
    jvp: Code | None = None,
    hessian: Code | None = None,
    hvp: Code | None = None,
    elementwise: Code | None = None,
    object: Any = None,
    init: Mapping[str, Any] | None = None,
    output: str | None = None,
    outputs: int | None = None,
    gradients: Mapping[str, str | int] | str | None = None,
    vectorized: bool | None = None,
    order: str | None = None,
    workers: int | None = None,
    rtol: float | None = None,
    atol: float | None = None,
    step: float | None = None,
    dtype: str | None = None,
    mode: str | None = None,
    scheme: str | None = None,
    subgradient: bool | None = None,
    nondet_tol: float | None = None,
) -> Comparisons:
    """Check the derivative of `function` as a function case of a case file does, its keywords
    named and read as the case file's keys are (None: not given), with Python objects in place of
    `module:attribute` text and array specs: `function` and exactly one derivative (`jacobian`,
    `gradient`, `vjp`, `backward`, `jvp`, `elementwise`, `hessian`, `hvp`; or a `jvp` beside a `vjp` or
    `backward`, a `gradient` beside a `hessian` or `hvp`)
    are callables, or with `object` (a class made
    with `init`, or an object copied for every check) the names of its methods; a `jacobian`,
    `gradient` or `elementwise` f returns after its value is "returned"; `args` are f's keyword
    arguments (NumPy arrays, whose float arrays are taken as `dtype`, and any other values, passed
    as they are); `wrt` names what is differentiated, one check per name. Returns a Comparison
    per name, in a Comparisons mapping that is true only if all passed; for a jvp beside a vjp or
    backward, one per item a case file makes, by its check's name: `jvp`, `vjp` and `dot` (`gradient`
    and `hessian` for a gradient beside a hessian).

    A keyword that is not what the case file's key must be, or code that raises or returns the
    wrong thing while the check is set up, raises ArgumentError with the case file's message,
    `check_function: wrt: 'Q' is not an argument; expected one of W, b`, the exception your code
    raised as its cause; an exception at a perturbed point is a FunctionError, as in check_jacobian.
    """
    __tracebackhide__ = True
    keywords = {k: v for k, v in locals().items() if k not in ("__tracebackhide__",)}
    try:
        case = parse_function(case_item(keywords), YMap(), WHERE, Budget(MAX_ELEMENTS))
        by_name = {}
        for one in checks_of(case):
            check = build_check(one, Everything())
            by_name[one.check if case.jvp or case.gradient else one.wrt] = check.run(
                rtol=one.rtol,
                atol=one.atol,
                step=one.step,
                mode=one.mode,
                scheme=one.scheme,
                title=f"gradcheck: {one.title}",
                subgradient=one.subgradient,
                nondet_tol=one.nondet_tol,
            )
    except GradcheckError as exc:
        cause = getattr(exc, "cause", None)
        raise ArgumentError(f"{WHERE}: {exc.message}", exc.message.split(":", 1)[0]) from cause
    except FunctionError as exc:  # f raised at a perturbed point
        raise FunctionError(exc.where, exc.cause, f"{WHERE}: function: {case.function}") from exc.cause
    return Comparisons(by_name)


def assert_function(function: Code, **keywords: Any) -> Comparisons:
    """Like check_function, but raise AssertionError carrying every check's report when one fails."""
    __tracebackhide__ = True
    return passed_or_raise(check_function(function, **keywords))
