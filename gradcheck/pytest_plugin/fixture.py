"""The jacobian_check fixture: check_jacobian with the run's tolerances, a failure shown as gradcheck's report."""

from __future__ import annotations

import linecache
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

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
    rtol= or atol= wins); a failure shows gradcheck's report. Returns the Comparison."""
    from ..verdict.verify import check_jacobian

    s = request.config.stash[STATE].settings

    def check(f: Function, x: ArrayLike, analytic: Analytic, **options: Any) -> Comparison:
        __tracebackhide__ = True
        options.setdefault("rtol", s.rtol)
        options.setdefault("atol", s.atol)
        result = check_jacobian(f, x, analytic, **options)
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
