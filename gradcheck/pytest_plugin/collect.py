"""A YAML case file as a pytest collector: one item per (case, check), one failing item per bad case."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from ..casefile import document
from ..casefile.function import FunctionCase
from ..casefile.layer import Case
from ..casefile.pairs import checks_of
from ..checks.names import BUILTIN_NAMES
from ..errors import CaseError, did_you_mean
from ..options import MAX_ITEMS
from .items import CaseErrorItem, FunctionItem, LayerItem, make_importable, scope_of
from .preload import preload
from .state import STATE


class CaseFile(pytest.File):
    """A YAML case file: one item per (case, check), one failing item per bad case, or one
    failing item `file` for a file that cannot be read as cases at all."""

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[STATE]
        display = self.nodeid.split("::")[0]
        limits = document.Limits(max_elements=state.settings.max_elements)
        try:
            entries = document.load(
                self.path, display, limits=limits, checks=tuple(state.registry), all_checks=BUILTIN_NAMES
            )
            _count_items(entries, state.registry.names_for, display)
        except CaseError as error:  # the file as a whole is unreadable: one failing item, the run goes on
            yield CaseErrorItem.from_parent(self, name="file", error=error)
            return
        functions = [entry.case for entry in entries if isinstance(entry.case, FunctionCase)]
        if functions:  # their modules imported now, in no item's time
            make_importable(self.config)
            preload(functions, scope_of(self.config), state.imports)
        for entry in entries:
            case = entry.case
            if isinstance(case, CaseError):
                yield CaseErrorItem.from_parent(self, name=entry.name, error=case)
                continue
            try:
                marks = _pytest_marks(self.config, case)
            except CaseError as error:
                yield CaseErrorItem.from_parent(self, name=entry.name, error=error)
                continue
            if isinstance(case, FunctionCase):  # one item, or one per name in a wrt list (three for a jvp pair)
                for one in checks_of(case):
                    yield FunctionItem.from_parent(self, **_named(self, case.name, one.check), case=one, marks=marks)
                continue
            for check in state.registry.names_for(case):
                yield LayerItem.from_parent(self, **_named(self, case.name, check), case=case, marks=marks)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, CaseError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _count_items(entries: list[document.Entry], names_for: Callable[[Case], Sequence[str]], path: str) -> None:
    """Refuse a file of more than MAX_ITEMS items at the line of the case that goes over the limit,
    before any item is made."""
    count = 0
    for entry in entries:
        case = entry.case
        if isinstance(case, FunctionCase):
            count += len(checks_of(case))
        else:
            count += 1 if isinstance(case, CaseError) else len(names_for(case))
        if count > MAX_ITEMS:
            raise CaseError(
                path,
                entry.line,
                f"case {entry.name!r} makes the file's item {count}, over the limit of {MAX_ITEMS} items a case file "
                "makes (cases times checks, and names in wrt lists); split it into several files",
            )


def _named(parent: pytest.Collector, case: str, check: str) -> dict[str, Any]:
    """An item's name, `CASE[CHECK]`, and its check; on pytest 9, its node id in the form of a
    parametrized test's (the case its name, the check its parameters), as pytest's cache reads
    back the ids it wrote (--lf, --ff, --nf, --sw) and plugins select them."""
    named: dict[str, Any] = {"name": f"{case}[{check}]", "check": check}
    structured = getattr(parent, "id", None)  # pytest 9's NodeId; pytest 8 parses string ids alike
    if structured is not None:
        named["nodeid"] = structured.child(case).with_params(check)
    return named


def _pytest_marks(config: pytest.Config, case: Case | FunctionCase) -> list[pytest.MarkDecorator]:
    """The case's marks for pytest. An unregistered one warns, or under strict markers or an
    error filter fails the case, as in Python code, but at the case file's line."""
    line = case.line_of("marks")
    registered = {m.split(":")[0].split("(")[0].strip() for m in config.getini("markers")} if case.marks else set()
    out = []
    for mark in case.marks:
        message = (
            f"marks: {mark.name!r} is not a registered pytest mark{did_you_mean(mark.name, registered)}; "
            "register it under 'markers' in the pytest configuration"
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pytest.PytestUnknownMarkWarning)
            try:
                decorator = getattr(pytest.mark, mark.name)
            except pytest.fail.Exception:  # strict markers
                raise CaseError(case.path, line, message) from None
        if any(issubclass(w.category, pytest.PytestUnknownMarkWarning) for w in caught):
            try:
                warnings.warn_explicit(message, pytest.PytestUnknownMarkWarning, case.path, line)
            except pytest.PytestUnknownMarkWarning:  # warnings are errors here
                raise CaseError(case.path, line, message) from None
        out.append(decorator(**mark.kwargs))
    return out
