"""The JSON report (--gradcheck-report): one record per gradcheck item, carried on its TestReport
(so that xdist brings it to the controller), written once by the controller at the end."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from ..errors import GradcheckError, summary
from ..options import LOOK_FIGURES

#: The report attribute that carries an item's record from an xdist worker to the controller.
REPORT_ATTR = "gradcheck"
#: Set on every gradcheck item: a check of a case, or a case that could not be loaded.
GRADCHECK_ITEM = pytest.StashKey[bool]()
_position = pytest.StashKey[int]()


def number_items(items: Sequence[pytest.Item]) -> None:
    """Remember each item's place in the run, the order of the report's records."""
    for position, item in enumerate(items):
        item.stash[_position] = position


def attach(item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None]) -> None:
    """Put a gradcheck item's record on the report that decides its outcome."""
    if item.stash.get(GRADCHECK_ITEM, False) and (
        report.when == "call" or (report.when == "setup" and not report.passed)
    ):
        record = _record(item, report, call.excinfo)
        setattr(report, REPORT_ATTR, {"position": item.stash.get(_position, 0), "record": record})


def _record(
    item: Any, report: pytest.TestReport, excinfo: pytest.ExceptionInfo[BaseException] | None = None
) -> dict[str, Any]:
    """One line of the JSON report. Keys are the same for every item; null where not known.
    A function case whose function could not be imported or run has passed false and its one-line error."""
    outcome = ("xfailed" if report.skipped else "xpassed") if hasattr(report, "wasxfail") else report.outcome
    record: dict[str, Any] = {"id": item.nodeid}
    case = getattr(item, "case", None)  # None for a case that could not be loaded
    if case is None:
        record.update(file=item.error.path, line=item.error.line, check=None, case=item.name)
    else:
        record.update(file=case.path, line=case.line, check=item.check, case=case.name)
    record["outcome"] = outcome
    c = getattr(item, "comparison", None)
    raised = excinfo.value if excinfo is not None else None
    if isinstance(raised, pytest.skip.Exception):
        raised = None  # skipped: not run, so neither passed nor failed
    record.update(
        passed=c.passed if c is not None else (False if raised is not None or case is None else None),
        max_abs_error=None if c is None else _or_null(c.max_abs_error),
        max_rel_error=None if c is None else _or_null(c.max_rel_error),
        mismatched=None if c is None else c.mismatched,
        total=None if c is None else c.total,
        **dict(zip(LOOK_FIGURES, (c.second_look if c is not None else None) or (None, None, None), strict=True)),
        rtol=c.rtol if c is not None else getattr(case, "rtol", None),
        atol=c.atol if c is not None else getattr(case, "atol", None),
        step=c.step if c is not None else getattr(case, "step", None),
        scheme=getattr(c, "scheme", None) or getattr(case, "scheme", None) or "central",
        mode=(c.mode if c is not None else "") or getattr(case, "mode", None) or "full",
        seconds=report.duration,
        error=item.error.message if case is None else _error_line(raised, c),
        diagnosis=_diagnosis(c, raised, case),
        hints=_hints(c),
        plots=list(getattr(item, "plots", [])),  # the pictures of a failure (--gradcheck-plots)
    )
    return record


def _hints(c: Any) -> list[str]:
    """The problem lines of a check's report (a vjp that ignores its cotangent, a shape, non-finite
    entries) and its hints, as the report says them; [] where it reached no verdict."""
    if c is None:
        return []
    return ([c.problem] if c.problem else []) + list(c.hints)


def _diagnosis(c: Any, raised: BaseException | None, case: Any) -> str | None:
    """What a failure was: bug, kink, noise or non-finite, as the check diagnosed it; error when
    it raised (or its case could not be loaded) before a verdict; null for a pass (or a skip)."""
    if c is not None:
        return None if c.passed else c.diagnosis or "bug"
    return "error" if raised is not None or case is None else None


def _error_line(raised: BaseException | None, c: Any) -> str | None:
    """What stopped a check before its verdict, in one line: gradcheck's own message (about the user's
    code or a hook), or the exception's type and first line (None when the check reached its verdict)."""
    if raised is None or c is not None:
        return None
    if isinstance(raised, GradcheckError):  # the user's code, or a hook, said at the case's line
        return raised.message
    return summary(raised)


def _or_null(value: float) -> float | None:
    """JSON has no inf or NaN: a non-finite error is written as null (and the check failed)."""
    return value if math.isfinite(value) else None


class _ReportWriter:
    """Collects the records (on the xdist controller, from every worker) and writes one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[tuple[int, dict[str, Any]]] = []
        self.failure = ""  # why the file could not be written

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        carried = getattr(report, REPORT_ATTR, None)
        if carried is not None:
            self.records.append((carried["position"], carried["record"]))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        records = [record for _, record in sorted(self.records, key=lambda pair: pair[0])]
        text = json.dumps({"version": 1, "records": records}, indent=2, allow_nan=False)
        try:  # checked when pytest configured; a folder can still vanish, or a disk fill up
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_text(text + "\n", encoding="utf-8")
        except OSError as error:
            self.failure = f"cannot write {self.path}: {error.strerror or error}"
            if session.exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
                session.exitstatus = pytest.ExitCode.USAGE_ERROR

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.failure:
            terminalreporter.write_sep("-", f"gradcheck report: {self.failure}", red=True, bold=True)
        else:
            terminalreporter.write_sep("-", f"gradcheck report: {self.path}")


def register_writer(config: pytest.Config, path: Path | None) -> None:
    """With --gradcheck-report, the writer of the file (under xdist, on the controller only)."""
    if path is not None and not hasattr(config, "workerinput"):
        config.pluginmanager.register(_ReportWriter(path), "gradcheck-report")
