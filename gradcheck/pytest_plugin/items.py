"""The items a case file yields: a check of a layer case, a function case, a case that could not be loaded."""

from __future__ import annotations

import contextlib
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import pytest

from ..casefile.format import SECOND_KINDS
from ..casefile.function import FunctionCase
from ..casefile.layer import Case
from ..checks import Check
from ..checks.dot import DotCheck
from ..checks.function import build_check
from ..checks.names import BUILTIN_NAMES
from ..checks.scope import Scope
from ..checks.second import SecondCheck
from ..errors import (
    ArgumentError,
    CaseError,
    Ended,
    FunctionError,
    GradcheckError,
    TimedOut,
    UserCodeError,
    described,
    ending,
    summary,
)
from ..plots import failure
from ..verdict.comparison import Comparison
from . import extensions, isolation, timelimit
from .frames import user_error_report
from .htmlreport import PICTURES
from .jsonreport import GRADCHECK_ITEM
from .state import STATE

C = TypeVar("C", Case, FunctionCase)
_importable = pytest.StashKey[bool]()


class CheckFailed(Exception):
    """A derivative check that did not pass; carries the comparison for the report."""

    def __init__(self, comparison: Comparison) -> None:
        super().__init__(str(comparison))
        self.comparison = comparison


class CheckItem(pytest.Item, Generic[C]):
    """One derivative check of one case (a layer case's check, or a function case): the
    `gradcheck` marker, the case's own marks, and where the case is written as JUnit properties
    (any junit_family); after the run, its comparison and the comparison's figures."""

    def __init__(self, *, case: C, check: str, marks: Sequence[pytest.MarkDecorator] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case: C = case
        self.check = check
        self.comparison: Comparison | None = None
        self.adjusted_by = ""  # where pytest_gradcheck_adjust_case changed the case, if it did
        self.plots: list[str] = []  # where its pictures were written
        self.picture_error: str | None = None  # why they could not be drawn
        self.stash[GRADCHECK_ITEM] = True
        self.add_marker("gradcheck")
        for mark in marks:
            self.add_marker(mark)
        self.user_properties += [("file", case.path), ("line", case.line)]

    def setup(self) -> None:
        """What the item may change (NumPy's random state and np.seterr, the working directory,
        os.environ) is saved here and restored at its teardown."""
        self.isolation = contextlib.ExitStack()
        self.isolation.enter_context(isolation.isolated())

    def teardown(self) -> None:
        self.isolation.close()

    def runtest(self) -> None:
        """The check, within gradcheck_timeout; what would end the run or decide the item's outcome
        from project code (SystemExit, pytest.exit, skip, xfail, fail), or running too long, is
        the item's failure in one line."""
        case = self.adjusted()
        seconds = self.config.stash[STATE].settings.timeout
        try:
            with timelimit.limited(seconds):
                self.run(case)
        except BaseException as exc:
            failure = stopped(self, case, exc)
            if failure is None:
                raise
            raise failure from None

    def run(self, case: C) -> None:
        """Build the check of `case` and run it (verdict)."""
        raise NotImplementedError

    def adjusted(self) -> C:
        """The case as the pytest_gradcheck_adjust_case hook leaves it."""
        case, self.adjusted_by = extensions.adjust(self.config, self.case, self.check)
        return case

    def verdict(self, check: Check | DotCheck | SecondCheck, case: C, title: str) -> None:
        """Run `check` with the case's tolerances (its own, else the command line's, else the
        ini's) and step, mode, scheme and subgradient; raise CheckFailed if it does not pass, and
        UserCodeError, at the case's line, if f raised at a point the check evaluated."""
        s = self.config.stash[STATE].settings
        rtol = case.rtol if case.rtol is not None else s.rtol
        atol = case.atol if case.atol is not None else s.atol
        try:
            comparison = check.run(
                rtol=rtol,
                atol=atol,
                step=case.step,
                mode=case.mode,
                scheme=case.scheme,
                title=title,
                subgradient=case.subgradient,
                nondet_tol=case.nondet_tol,
                max_elements=s.max_elements,
            )
        except FunctionError as error:  # f raised at a perturbed point: the case's line, the user's frames
            if ending(error.cause):  # pytest.exit from a registered check's f: runtest says it
                raise error.cause from None
            message = error.described(self.code(case)) + self.adjusted_note()
            raise UserCodeError(case.path, self.code_line(case), message, error.cause) from error.cause
        except ArgumentError as error:  # what f returned, or a step too small for x
            line = case.line_of(error.argument) if error.argument in ("step", "mode") else self.code_line(case)
            who = "" if error.argument in ("step", "mode", "size") else f"{self.code(case)}: "
            raise CaseError(case.path, line, f"{who}{error}{self.adjusted_note()}") from None
        except GradcheckError:  # said already, at the case's line (a function case's guarded calls)
            raise
        except Exception as error:
            if not self.runs_user_code() or ending(error):
                raise
            message = f"{self.code(case)} raised {summary(error)}{self.adjusted_note()}"
            raise UserCodeError(case.path, self.code_line(case), message, error) from error
        self.comparison = comparison
        self.user_properties += [(key, value) for key, value in comparison.figures().items() if value is not None]
        if not comparison.passed:
            draw(self, swept(check), case.step, comparison)
            raise CheckFailed(comparison)

    def failure_text(self, comparison: Comparison) -> str:
        """The report of a failed check: the comparison, the sweep command, where its pictures are."""
        lines = [str(comparison)]
        if self.sweepable():  # what `python -m gradcheck sweep` can rebuild
            lines.append(f"  plot: {sweep_command(self)}")
        if self.plots:
            lines.append(f"  pictures: {', '.join(self.plots)}")
        if self.picture_error:
            lines.append(f"  pictures: not drawn: {self.picture_error}")
        return "\n".join(lines)

    def code(self, case: C) -> str:
        """Whose code the check runs, as an error names it."""
        return f"check {self.check!r}"

    def code_line(self, case: C) -> int:
        """The line of the case an error in that code points at."""
        return case.line

    def runs_user_code(self) -> bool:
        """Whether an exception from the check's f or derivative is the user's to read (a
        registered check's), rather than gradcheck's own or said already."""
        return False

    def adjusted_note(self) -> str:
        return f" (after {extensions.ADJUST} in {self.adjusted_by} changed the case)" if self.adjusted_by else ""

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        error = excinfo.value
        if isinstance(error, CheckFailed):
            return self.failure_text(error.comparison)
        if isinstance(error, UserCodeError):
            return user_error_report(str(error), error.cause) or str(error)
        if isinstance(error, CaseError):
            return str(error)
        return super().repr_failure(excinfo, style)

    def sweepable(self) -> bool:
        """Whether `python -m gradcheck sweep` can rebuild this check."""
        return True

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, self.name


class LayerItem(CheckItem[Case]):
    """One built-in or registered check of one layer case."""

    def run(self, case: Case) -> None:
        title = f"gradcheck: check '{self.check}' of case '{case.name}' ({case.path}:{case.line})"
        self.verdict(self.built(case), case, title)

    def built(self, case: Case) -> Check:
        """The check for `case`: a built-in one, or what a registered builder returns (checked)."""
        registry = self.config.stash[STATE].registry
        if not self.runs_user_code():
            return registry.build(self.check, case)
        try:
            check = registry.build(self.check, case)
        except Exception as error:
            if ending(error):  # pytest.exit: for runtest to say
                raise
            message = f"{self.code(case)}: its builder raised {summary(error)}{self.adjusted_note()}"
            raise UserCodeError(case.path, case.line, message, error) from error
        if not isinstance(check, Check):
            raise CaseError(
                case.path,
                case.line,
                f"{self.code(case)}: its builder returned {described(check)}; expected a gradcheck.checks.Check",
            )
        return check

    def code(self, case: Case) -> str:
        owner = self.config.stash[STATE].registry.owner_of(self.check)
        return f"check {self.check!r}{f' (registered in {owner})' if owner else ''}"

    def runs_user_code(self) -> bool:
        return self.check not in BUILTIN_NAMES

    def sweepable(self) -> bool:
        return self.check in BUILTIN_NAMES


class FunctionItem(CheckItem[FunctionCase]):
    """One function case: its function against its jacobian, gradient or vjp."""

    def setup(self) -> None:
        super().setup()
        make_importable(self.config)

    def run(self, case: FunctionCase) -> None:
        title = f"gradcheck: {case.title} of case '{case.name}' ({case.path}:{case.line})"
        self.verdict(build_check(case, scope_of(self.config)), case, title)

    def code(self, case: FunctionCase) -> str:
        return f"function: {case.function}"

    def code_line(self, case: FunctionCase) -> int:
        return case.line_of("function")

    def sweepable(self) -> bool:
        return (
            not self.case.jvp and self.case.kind not in SECOND_KINDS
        )  # a dot test has no step to sweep, nor a Hessian


class CaseErrorItem(pytest.Item):
    """A case that could not be loaded: it fails alone with its one-line error."""

    def __init__(self, *, error: CaseError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error
        self.stash[GRADCHECK_ITEM] = True
        self.add_marker("gradcheck")
        self.user_properties += [("file", error.path), ("line", error.line)]

    def runtest(self) -> None:
        raise self.error

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CaseError):
            return str(excinfo.value)
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.error.line - 1, self.name


def stopped(item: CheckItem[C], case: C, exc: BaseException) -> UserCodeError | None:
    """The one line an item fails with where `exc` stopped it: the time limit, or project code that
    raised SystemExit or one of pytest's outcomes (an Ended, at the line of the code that raised;
    else, where no guard is, a registered check's f, at the item's); None for any other exception."""
    if isinstance(exc, Ended):
        return exc.error
    if isinstance(exc, TimedOut):
        message = f"{item.code(case)} {exc}; raise gradcheck_timeout in the pytest configuration to give it longer"
        return UserCodeError(case.path, item.code_line(case), message)
    ended = ending(exc)
    return UserCodeError(case.path, item.code_line(case), f"{item.code(case)} {ended}") if ended else None


def swept(check: Check | DotCheck | SecondCheck) -> Check | None:
    """The Check whose steps a failure's sweep picture takes again: the check itself, or the central
    differences of a Hessian's gradient; None where there is no one step (second differences of f,
    a dot test), so that only the map is drawn."""
    if isinstance(check, SecondCheck):
        return check.differenced
    return check if isinstance(check, Check) else None


def draw(item: CheckItem[Any], check: Check | None, case_step: float | None, comparison: Comparison) -> None:
    """The pictures of a failure (the map; the sweep where `check` has a step to sweep), where
    --gradcheck-plots or an HTML report asks for them."""
    s = item.config.stash[STATE].settings
    if not s.pictures:
        return
    try:
        pictures = failure.pictures(check, comparison, title=item.nodeid, case_step=case_step)
        item.stash[PICTURES] = pictures
        if s.plots is not None:
            here = item.config.invocation_params.dir
            written = failure.write(pictures, s.plots, item.nodeid)
            item.plots = [(p.relative_to(here) if p.is_relative_to(here) else p).as_posix() for p in written]
    except failure.PictureError as error:  # a link, or a file of the user's, at a picture's path
        item.picture_error = str(error)
    except Exception as error:  # a picture that cannot be drawn must not hide the failure it shows
        item.picture_error = summary(error)


def sweep_command(item: pytest.Item) -> str:
    """The command that plots an item's error against the step, run from where pytest runs:
    `python -m gradcheck sweep FILE::CASE[CHECK]`, the target being the item's own id."""
    path = Path(os.path.relpath(item.path, item.config.invocation_params.dir)).as_posix()
    return f"python -m gradcheck sweep {shlex.quote(f'{path}::{item.name}')} -o sweep.png"


def scope_of(config: pytest.Config) -> Scope:
    """What the run's case files may reach: the rootdir's modules and those gradcheck_modules names."""
    settings = config.stash[STATE].settings
    return Scope(config.rootpath, settings.modules, settings.max_elements)


def make_importable(config: pytest.Config) -> None:
    """The rootdir on sys.path, as pytest's `pythonpath = .` would make it, for the run."""
    if config.stash.get(_importable, False):
        return
    config.stash[_importable] = True
    root = str(config.rootpath)
    if root not in sys.path:
        sys.path.insert(0, root)
        config.add_cleanup(lambda: sys.path.remove(root) if root in sys.path else None)
