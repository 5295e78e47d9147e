"""The items a case file yields: a check of a layer case, a function case, a case that could not be loaded."""

from __future__ import annotations

import importlib
import os
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import numpy as np
import pluggy
import pytest

from ..casefile.function import FunctionCase
from ..casefile.layer import Case
from ..checks import Check
from ..checks.function import build_check
from ..checks.names import BUILTIN_NAMES
from ..errors import CaseError, UserCodeError
from ..plots import failure
from ..verdict.comparison import Comparison
from .htmlreport import PICTURES
from .jsonreport import GRADCHECK_ITEM
from .state import STATE

#: Frames of these packages are left out of the traceback of an error in the user's code.
_HIDDEN = (
    Path(__file__).resolve().parent.parent,  # gradcheck
    *(Path(module.__file__).resolve().parent for module in (pytest, pluggy, importlib, np) if module.__file__),
    Path(pytest.__file__).resolve().parent.parent / "_pytest",
)

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
        self.plots: list[str] = []  # where its pictures were written
        self.picture_error: str | None = None  # why they could not be drawn
        self.stash[GRADCHECK_ITEM] = True
        self.add_marker("gradcheck")
        for mark in marks:
            self.add_marker(mark)
        self.user_properties += [("file", case.path), ("line", case.line)]

    def adjusted(self) -> C:
        """The case as the pytest_gradcheck_adjust_case hook leaves it."""
        result = self.config.hook.pytest_gradcheck_adjust_case(case=self.case, check=self.check, config=self.config)
        if result is None:
            return self.case
        if type(result) is not type(self.case):
            raise TypeError(
                f"pytest_gradcheck_adjust_case returned {type(result).__name__}; "
                f"expected a {type(self.case).__name__} (e.g. dataclasses.replace(case, ...)) or None"
            )
        return result

    def verdict(self, check: Check, case: C, title: str) -> None:
        """Run `check` with the case's tolerances (its own, else the command line's, else the
        ini's) and step, mode and scheme; raise CheckFailed if it does not pass."""
        s = self.config.stash[STATE].settings
        rtol = case.rtol if case.rtol is not None else s.rtol
        atol = case.atol if case.atol is not None else s.atol
        comparison = check.run(rtol=rtol, atol=atol, step=case.step, mode=case.mode, scheme=case.scheme, title=title)
        self.comparison = comparison
        self.user_properties += [(key, value) for key, value in comparison.figures().items() if value is not None]
        if not comparison.passed:
            self.draw(check, case, comparison)
            raise CheckFailed(comparison)

    def draw(self, check: Check, case: C, comparison: Comparison) -> None:
        """The pictures of a failure, where --gradcheck-plots or an HTML report asks for them."""
        s = self.config.stash[STATE].settings
        if not s.pictures:
            return
        try:
            pictures = failure.pictures(check, comparison, title=self.nodeid, case_step=case.step)
            self.stash[PICTURES] = pictures
            if s.plots is not None:
                here = self.config.invocation_params.dir
                written = failure.write(pictures, s.plots, self.nodeid)
                self.plots = [(p.relative_to(here) if p.is_relative_to(here) else p).as_posix() for p in written]
        except Exception as error:  # a picture that cannot be drawn must not hide the failure it shows
            self.picture_error = f"{type(error).__name__}: {error}".splitlines()[0]

    def failure_text(self, comparison: Comparison, *, command: bool) -> str:
        """The report of a failed check: the comparison, the sweep command, where its pictures are."""
        lines = [str(comparison)]
        if command:  # what `python -m gradcheck sweep` can rebuild
            lines.append(f"  plot: {sweep_command(self)}")
        if self.plots:
            lines.append(f"  pictures: {', '.join(self.plots)}")
        if self.picture_error:
            lines.append(f"  pictures: not drawn: {self.picture_error}")
        return "\n".join(lines)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, self.name


class LayerItem(CheckItem[Case]):
    """One built-in or registered check of one layer case."""

    def runtest(self) -> None:
        case = self.adjusted()
        title = f"gradcheck: check '{self.check}' of case '{case.name}' ({case.path}:{case.line})"
        self.verdict(self.config.stash[STATE].registry.build(self.check, case), case, title)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, CheckFailed):
            return self.failure_text(excinfo.value.comparison, command=self.check in BUILTIN_NAMES)
        return super().repr_failure(excinfo, style)


class FunctionItem(CheckItem[FunctionCase]):
    """One function case: its function against its jacobian, gradient or vjp."""

    def runtest(self) -> None:
        _make_importable(self.config)
        case = self.adjusted()
        title = f"gradcheck: {case.title} of case '{case.name}' ({case.path}:{case.line})"
        self.verdict(build_check(case), case, title)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        error = excinfo.value
        if isinstance(error, CheckFailed):
            return self.failure_text(error.comparison, command=True)
        if isinstance(error, UserCodeError):
            return _user_error_report(error)
        if isinstance(error, CaseError):
            return str(error)
        return super().repr_failure(excinfo, style)


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


def sweep_command(item: pytest.Item) -> str:
    """The command that plots an item's error against the step, run from where pytest runs:
    `python -m gradcheck sweep FILE::CASE[CHECK]`, the target being the item's own id."""
    path = Path(os.path.relpath(item.path, item.config.invocation_params.dir)).as_posix()
    return f"python -m gradcheck sweep {shlex.quote(f'{path}::{item.name}')} -o sweep.png"


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
