"""pytest side of reuse in other projects: settings, user-function items, the jacobian_check fixture, hooks.

plugin.py, the registered plugin, calls into this module and re-exports its fixture and its
pytest_addhooks, so that pytest finds them there."""

from __future__ import annotations

import importlib
import math
import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

import pluggy
import pytest
from numpy.typing import ArrayLike

from . import hooks, usercases
from .cases import Case, CaseError
from .checks import Check
from .compare import Comparison
from .evaluation import Function
from .usercases import UserCase, UserCodeError
from .verify import Analytic, check_jacobian

if TYPE_CHECKING:
    from .checks import Registry

#: Which files under gradcheck_cases / --gradcheck-cases are case files, by name.
DEFAULT_PATTERNS = ("*.yaml", "*.yml")
#: Frames of these packages are left out of the traceback of an error in the user's code.
_HIDDEN = tuple(
    Path(module.__file__).resolve().parent
    for module in (sys.modules[__package__ or "gradcheck"], pytest, pluggy, importlib)
    if module.__file__
) + (Path(pytest.__file__).resolve().parent.parent / "_pytest",)

C = TypeVar("C", Case, UserCase)


@dataclass(frozen=True)
class Settings:
    """Tolerances for every check that does not set its own, and the case-file name patterns."""

    rtol: float | None
    atol: float | None
    patterns: tuple[str, ...]


_settings = pytest.StashKey[Settings]()
_importable = pytest.StashKey[bool]()


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hooks)


def add_options(parser: pytest.Parser) -> None:
    """Options and ini settings for tolerances and case-file patterns (called by plugin.pytest_addoption)."""
    group = parser.getgroup("gradcheck", "gradcheck: derivative checks from YAML case files")
    group.addoption(
        "--gradcheck-rtol",
        default=None,
        metavar="RTOL",
        dest="gradcheck_rtol",
        help="Relative tolerance of every check that sets none (over the ini gradcheck_rtol; default: by dtype).",
    )
    group.addoption(
        "--gradcheck-atol",
        default=None,
        metavar="ATOL",
        dest="gradcheck_atol",
        help="Absolute tolerance of every check that sets none (over the ini gradcheck_atol; default: by dtype).",
    )
    parser.addini("gradcheck_rtol", default="", help="Relative tolerance of every check that sets none.")
    parser.addini("gradcheck_atol", default="", help="Absolute tolerance of every check that sets none.")
    parser.addini(
        "gradcheck_pattern",
        type="args",
        default=list(DEFAULT_PATTERNS),
        help="Glob patterns of the file names that are case files (default: *.yaml *.yml).",
    )


def configure(config: pytest.Config) -> Settings:
    """Read the settings (command line over ini over default) once, for the plugin and the fixture."""
    settings = Settings(
        rtol=_tolerance(config, "gradcheck_rtol", zero=False),
        atol=_tolerance(config, "gradcheck_atol", zero=True),
        patterns=tuple(str(p) for p in config.getini("gradcheck_pattern")) or DEFAULT_PATTERNS,
    )
    config.stash[_settings] = settings
    return settings


def _tolerance(config: pytest.Config, name: str, *, zero: bool) -> float | None:
    cli = config.getoption(name)
    raw = cli if cli is not None else config.getini(name)
    where = f"--{name.replace('_', '-')}" if cli is not None else name
    if raw is None or str(raw).strip() == "":
        return None
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise pytest.UsageError(f"{where}: {str(raw)!r} is not a number; expected e.g. 1e-6") from None
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        sign = "a non-negative" if zero else "a positive"
        raise pytest.UsageError(f"{where}: {str(raw)!r} is not {sign} number; expected e.g. 1e-6")
    return value


def settings(config: pytest.Config) -> Settings:
    """The run's settings (read at configure time)."""
    return config.stash.get(_settings, None) or configure(config)


def tolerances(config: pytest.Config, case: Case | UserCase) -> tuple[float | None, float | None]:
    """(rtol, atol) for a case: its own, else the command line's, else the ini's, else None (by dtype)."""
    s = settings(config)
    return (
        case.rtol if case.rtol is not None else s.rtol,
        case.atol if case.atol is not None else s.atol,
    )


def register_checks(config: pytest.Config, registry: Registry) -> None:
    """Let plugins and conftest files register named checks, now and as they are loaded later."""
    config.hook.pytest_gradcheck_register_checks.call_historic(kwargs={"registry": registry, "config": config})


def adjusted(config: pytest.Config, case: C, check: str) -> C:
    """The case as the pytest_gradcheck_adjust_case hook leaves it."""
    result = config.hook.pytest_gradcheck_adjust_case(case=case, check=check, config=config)
    if result is None:
        return case
    if type(result) is not type(case):
        raise TypeError(
            f"pytest_gradcheck_adjust_case returned {type(result).__name__}; "
            f"expected a {type(case).__name__} (e.g. dataclasses.replace(case, ...)) or None"
        )
    return result


def user_frames(excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
    """The traceback (excinfo.traceback, filtered) without gradcheck's, pytest's, pluggy's and
    importlib's frames: what getrepr(tbfilter=...) takes."""

    def theirs(entry: Any) -> bool:  # a TracebackEntry
        path = entry.path
        if isinstance(path, str):  # "<frozen importlib._bootstrap>", "<string>"
            return not path.startswith("<frozen")
        resolved = Path(path).resolve()
        return not any(resolved.is_relative_to(hidden) for hidden in _HIDDEN)

    return excinfo.traceback.filter(theirs)


class CheckFailed(Exception):
    """A derivative check that did not pass; carries the comparison for the report."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__(str(comparison))
        self.comparison = comparison


class CheckItem(pytest.Item, Generic[C]):
    """One derivative check of one case (a layer case's check, or a user-function case): the
    `gradcheck` marker, the case's own marks, and where the case is written as JUnit properties
    (any junit_family); after the run, its comparison and the comparison's figures."""

    def __init__(self, *, case: C, check: str, marks: Sequence[pytest.MarkDecorator] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case: C = case
        self.check = check
        self.comparison: Comparison | None = None
        self.add_marker("gradcheck")
        for mark in marks:
            self.add_marker(mark)
        self.user_properties += [("file", case.path), ("line", case.line)]

    def verdict(self, check: Check, case: C, title: str) -> None:
        """Run `check` with the case's tolerances (its own, else the command line's, else the
        ini's) and step, mode and scheme; raise CheckFailed if it does not pass."""
        rtol, atol = tolerances(self.config, case)
        comparison = check.run(rtol=rtol, atol=atol, step=case.step, mode=case.mode, scheme=case.scheme, title=title)
        self.comparison = comparison
        self.user_properties += [(key, value) for key, value in comparison.figures().items() if value is not None]
        if not comparison.passed:
            raise CheckFailed(comparison)


class UserCaseItem(CheckItem[UserCase]):
    """One user-function case: its function against its jacobian, gradient or vjp."""

    def runtest(self) -> None:
        _make_importable(self.config)
        case = adjusted(self.config, self.case, self.check)
        title = f"gradcheck: {case.kind} {case.derivative} of case '{case.name}' ({case.path}:{case.line})"
        self.verdict(usercases.build_check(case), case, title)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        error = excinfo.value
        if isinstance(error, CheckFailed):
            return f"{error.comparison}\n  plot: {sweep_command(self)}"
        if isinstance(error, UserCodeError):
            return _user_error_report(error)
        if isinstance(error, CaseError):
            return str(error)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, self.name


def sweep_command(item: pytest.Item) -> str:
    """The command that plots an item's error against the step, run from where pytest runs:
    `python -m gradcheck sweep FILE::CASE[CHECK]`, the target being the item's own id."""
    path = Path(os.path.relpath(item.path, item.config.invocation_params.dir)).as_posix()
    return f"python -m gradcheck sweep {shlex.quote(f'{path}::{item.name}')} -o sweep.png"


def _user_error_report(error: UserCodeError) -> str:
    """The one-line error, then the user's own traceback (if any of it is theirs)."""
    if error.cause is None:
        return str(error)
    cause = pytest.ExceptionInfo.from_exception(error.cause)
    if not len(user_frames(cause)):
        return str(error)
    tb = cause.getrepr(style="long", tbfilter=user_frames, chain=False)
    return f"{error}\n\n{tb}"


def _make_importable(config: pytest.Config) -> None:
    """The rootdir on sys.path, as pytest's `pythonpath = .` would make it, for the run."""
    if config.stash.get(_importable, False):
        return
    config.stash[_importable] = True
    root = str(config.rootpath)
    if root not in sys.path:
        sys.path.insert(0, root)
        config.add_cleanup(lambda: sys.path.remove(root) if root in sys.path else None)


# -- the fixture --------------------------------------------------------------------------------


class JacobianCheck(Protocol):
    """What the jacobian_check fixture gives: check_jacobian with the run's tolerances."""

    def __call__(self, f: Function, x: ArrayLike, analytic: Analytic, **options: Any) -> Comparison: ...


@pytest.fixture
def jacobian_check(request: pytest.FixtureRequest) -> JacobianCheck:
    """Check the derivative `analytic` of f at x as a case file would: with the tolerances of
    --gradcheck-rtol/--gradcheck-atol or the ini gradcheck_rtol/gradcheck_atol (an explicit
    rtol= or atol= wins); a failure shows gradcheck's report. Returns the Comparison."""
    s = settings(request.config)

    def check(f: Function, x: ArrayLike, analytic: Analytic, **options: Any) -> Comparison:
        __tracebackhide__ = True
        options.setdefault("rtol", s.rtol)
        options.setdefault("atol", s.atol)
        result = check_jacobian(f, x, analytic, **options)
        if not result.passed:
            pytest.fail(str(result), pytrace=False)
        return result

    return check
