"""The jacobian_check fixture: check_jacobian with the run's tolerances, a failure shown as gradcheck's report."""

from __future__ import annotations

import inspect
import linecache
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from ..errors import ArgumentError, did_you_mean, summary
from .frames import user_error_report
from .state import STATE

#: gradcheck's own files: frames in them are not where the user called the fixture.
_PACKAGE = Path(__file__).resolve().parent.parent

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from ..numerics.types import Function
    from ..verdict.comparison import Comparison
    from ..verdict.verify import Analytic


class JacobianCheck(Protocol):
    """What the jacobian_check fixture gives: check_jacobian with the run's tolerances."""

    def __call__(self, f: Function, x: ArrayLike, analytic: Analytic, **options: Any) -> Comparison: ...


@pytest.fixture
def jacobian_check(request: pytest.FixtureRequest) -> JacobianCheck:
    """Check the derivative `analytic` of f at x as a case file would: with the tolerances of
    --gradcheck-rtol/--gradcheck-atol or the ini gradcheck_rtol/gradcheck_atol (an explicit
    rtol= or atol= wins), and the ini's gradcheck_max_elements; a failure shows gradcheck's
    report. Returns the Comparison."""
    from ..verdict.verify import check_jacobian

    s = request.config.stash[STATE].settings
    keywords = [p.name for p in inspect.signature(check_jacobian).parameters.values() if p.kind is p.KEYWORD_ONLY]

    def check(f: Function, x: ArrayLike, analytic: Analytic, **options: Any) -> Comparison:
        __tracebackhide__ = True
        for name in options:
            if name not in keywords:
                pytest.fail(
                    f"jacobian_check: unknown keyword {name!r}{did_you_mean(name, keywords)}; "
                    f"expected one of {', '.join(keywords)}",
                    pytrace=False,
                )
        options.setdefault("rtol", s.rtol)
        options.setdefault("atol", s.atol)
        options.setdefault("max_elements", s.max_elements)
        try:
            result = check_jacobian(f, x, analytic, **options)
        except ArgumentError as error:
            failure: str | None = f"jacobian_check: {error}"  # failed below, outside the except: not a chain
        except Exception as error:  # from f or analytic: their frames only (none: gradcheck's, in full)
            failure = user_error_report(f"jacobian_check: {summary(error)}, raised by f or analytic", error)
            if failure is None:
                raise
        else:
            failure = None
        if failure is not None:
            pytest.fail(failure, pytrace=False)
        if not result.passed:
            pytest.fail(f"{caller(request.config.rootpath)}\n{result}", pytrace=False)
        return result

    return check


def caller(root: Path) -> str:
    """Where the user's code called the fixture, as `path:line: source`: the first frame up the
    stack outside gradcheck (relative to `root` where it lies below it)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and Path(frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE):
        frame = frame.f_back
    path = Path(frame.f_code.co_filename)
    shown = (
        path.resolve().relative_to(root.resolve()).as_posix()
        if path.resolve().is_relative_to(root.resolve())
        else str(path)
    )
    source = linecache.getline(str(path), frame.f_lineno).strip()
    return f"{shown}:{frame.f_lineno}: {source}"
