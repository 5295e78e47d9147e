"""The pytest plugin: options, collection of case files into items, failure reports."""

from __future__ import annotations

import fnmatch
import glob
import json
import math
import warnings
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from . import cases, userplugin
from .cases import Case, CaseError
from .checks import BUILTIN, Registry
from .compare import Comparison
from .usercases import MESSAGE_CHARS, UserCase, UserCodeError
from .userplugin import jacobian_check as jacobian_check  # the fixture, found here by pytest
from .userplugin import pytest_addhooks as pytest_addhooks  # the extension hooks (gradcheck.hooks)

YAML_SUFFIXES = (".yaml", ".yml")
_state = pytest.StashKey["_State"]()


class _State:
    """What the plugin knows for one pytest run."""

    def __init__(
        self, roots: list[Path], limits: cases.Limits, patterns: Sequence[str] = userplugin.DEFAULT_PATTERNS
    ) -> None:
        self.roots = roots
        self.limits = limits
        self.patterns = tuple(patterns)
        self.registry = Registry()

    def claims(self, path: Path) -> bool:
        named = any(fnmatch.fnmatch(path.name, pattern) for pattern in self.patterns)
        return named and any(path == r or r in path.parents for r in self.roots)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck", "gradcheck: derivative checks from YAML case files")
    group.addoption(
        "--gradcheck-cases",
        action="append",
        default=[],
        metavar="PATH",
        dest="gradcheck_cases",
        help="Collect YAML case files (*.yaml, *.yml; gradcheck_pattern) under PATH as derivative checks. Repeatable.",
    )
    group.addoption(
        "--gradcheck-report",
        default=None,
        metavar="PATH",
        dest="gradcheck_report",
        help="Write a JSON file with one record per derivative check (errors, tolerances, step, time) at the end.",
    )
    parser.addini(
        "gradcheck_cases",
        type="paths",
        default=[],
        help="Paths of YAML case files collected when pytest runs with no path arguments.",
    )
    parser.addini(
        "gradcheck_max_elements",
        default=str(cases.MAX_ELEMENTS),
        help="Largest array a case may declare, in elements; larger ones are refused before allocation.",
    )
    userplugin.add_options(parser)  # --gradcheck-rtol/-atol, gradcheck_rtol/_atol/_pattern


def _case_paths(config: pytest.Config) -> tuple[list[str], list[str]]:
    """(paths from the command line, paths from the ini file)."""
    cli = [str(p) for p in config.known_args_namespace.gradcheck_cases]
    ini = [str(p) for p in config.getini("gradcheck_cases")]
    return cli, ini


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Add the case paths to the paths pytest collects."""
    cli, ini = _case_paths(early_config)
    if early_config.known_args_namespace.file_or_dir:
        args.extend(cli)  # the user named what to run; add only what they asked for here
    elif cli:
        args.extend(cli)
    elif ini:
        args.extend([*_default_args(early_config), *ini])


def _default_args(config: pytest.Config) -> list[str]:
    """What pytest runs when given no paths: `testpaths` (globbed) from the rootdir, else the current directory."""
    here = config.invocation_params.dir
    if here == config.rootpath:
        testpaths = [str(p) for p in config.getini("testpaths")]
        if config.known_args_namespace.pyargs:
            found = testpaths
        else:
            found = [p for pattern in testpaths for p in sorted(glob.iglob(pattern, recursive=True))]
        if found:
            return found
    return [str(here)]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gradcheck: a derivative check collected from a YAML case file")
    cli, ini = _case_paths(config)
    base = config.invocation_params.dir
    roots = [(base / p).resolve() for p in cli] + [Path(p).resolve() for p in ini]
    raw = config.getini("gradcheck_max_elements")
    try:
        max_elements = int(raw)
    except ValueError:
        raise pytest.UsageError(f"gradcheck_max_elements: {raw!r} is not an integer; expected e.g. 10000000") from None
    if max_elements <= 0:
        raise pytest.UsageError(f"gradcheck_max_elements: {max_elements} is not positive; expected e.g. 10000000")
    settings = userplugin.configure(config)
    config.stash[_state] = _State(roots, cases.Limits(max_elements=max_elements), settings.patterns)
    userplugin.register_checks(config, config.stash[_state].registry)
    _register_report_writer(config)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CaseFile | None:
    state = parent.config.stash[_state]
    if state.claims(file_path.resolve()) or (
        file_path.suffix in YAML_SUFFIXES and parent.session.isinitpath(file_path)
    ):
        return CaseFile.from_parent(parent, path=file_path)
    return None


class CaseFile(pytest.File):
    """A YAML case file: one item per (case, check), one failing item per bad case, or one
    failing item `file` for a file that cannot be read as cases at all."""

    def collect(self) -> Iterator[pytest.Item]:
        state = self.config.stash[_state]
        display = self.nodeid.split("::")[0]
        try:
            entries = cases.load(self.path, display, limits=state.limits, checks=state.registry)
        except CaseError as error:  # the file as a whole is unreadable: one failing item, the run goes on
            yield CaseErrorItem.from_parent(self, name="file", error=error)
            return
        for entry in entries:
            if entry.user is not None:
                try:
                    user_marks = _pytest_marks(self.config, entry.user)
                except CaseError as error:
                    yield CaseErrorItem.from_parent(self, name=entry.name, error=error)
                    continue
                name = f"{entry.name}[{entry.user.kind}]"
                yield userplugin.UserCaseItem.from_parent(
                    self, name=name, case=entry.user, check=entry.user.kind, marks=user_marks
                )
                continue
            if entry.case is None:
                assert entry.error is not None
                yield CaseErrorItem.from_parent(self, name=entry.name, error=entry.error)
                continue
            try:
                marks = _pytest_marks(self.config, entry.case)
            except CaseError as error:
                yield CaseErrorItem.from_parent(self, name=entry.name, error=error)
                continue
            for check in state.registry.names_for(entry.case):
                yield CaseItem.from_parent(
                    self, name=f"{entry.case.name}[{check}]", case=entry.case, check=check, marks=marks
                )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> Any:  # type: ignore[override]
        if isinstance(excinfo.value, CaseError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)


def _pytest_marks(config: pytest.Config, case: Case | UserCase) -> list[pytest.MarkDecorator]:
    """The case's marks for pytest. An unregistered one warns, or under strict markers or an
    error filter fails the case, as in Python code, but at the case file's line."""
    line = case.line_of("marks")
    registered = {m.split(":")[0].split("(")[0].strip() for m in config.getini("markers")} if case.marks else set()
    out = []
    for mark in case.marks:
        message = (
            f"marks: {mark.name!r} is not a registered pytest mark{cases.did_you_mean(mark.name, registered)}; "
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


class CaseItem(userplugin.CheckItem[Case]):
    """One built-in or registered check of one case."""

    def runtest(self) -> None:
        case = userplugin.adjusted(self.config, self.case, self.check)
        title = f"gradcheck: check '{self.check}' of case '{case.name}' ({case.path}:{case.line})"
        self.verdict(self.config.stash[_state].registry.build(self.check, case), case, title)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        if isinstance(excinfo.value, userplugin.CheckFailed):
            report = str(excinfo.value.comparison)
            if self.check in BUILTIN:  # what `python -m gradcheck sweep` can rebuild
                report += f"\n  plot: {userplugin.sweep_command(self)}"
            return report
        return super().repr_failure(excinfo, style)

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, self.case.line - 1, f"{self.case.name}[{self.check}]"


class CaseErrorItem(pytest.Item):
    """A case that could not be loaded: it fails alone with its one-line error."""

    def __init__(self, *, error: CaseError, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.error = error
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


# -- the JSON report (--gradcheck-report) -------------------------------------------------------

#: The report attribute that carries an item's record from an xdist worker to the controller.
REPORT_ATTR = "gradcheck"
_position = pytest.StashKey[int]()


def pytest_collection_finish(session: pytest.Session) -> None:
    for position, item in enumerate(session.items):
        item.stash[_position] = position


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Attach the item's record to the report that decides its outcome (xdist serialises it)."""
    report = yield
    if isinstance(item, CaseItem | userplugin.UserCaseItem | CaseErrorItem) and (
        report.when == "call" or (report.when == "setup" and not report.passed)
    ):
        record = _record(item, report, call.excinfo)
        setattr(report, REPORT_ATTR, {"position": item.stash.get(_position, 0), "record": record})
    return report


def _record(
    item: CaseItem | userplugin.UserCaseItem | CaseErrorItem,
    report: pytest.TestReport,
    excinfo: pytest.ExceptionInfo[BaseException] | None = None,
) -> dict[str, Any]:
    """One line of the JSON report. Keys are the same for every item; null where not known.
    A user case whose function could not be imported or run has passed false and its one-line error."""
    outcome = ("xfailed" if report.skipped else "xpassed") if hasattr(report, "wasxfail") else report.outcome
    record: dict[str, Any] = {"id": item.nodeid}
    if isinstance(item, CaseErrorItem):
        record.update(file=item.error.path, line=item.error.line, check=None, case=item.name)
    else:
        record.update(file=item.case.path, line=item.case.line, check=item.check, case=item.case.name)
    record["outcome"] = outcome
    c = item.comparison if isinstance(item, CaseItem | userplugin.UserCaseItem) else None
    case = item.case if isinstance(item, CaseItem | userplugin.UserCaseItem) else None
    raised = excinfo.value if excinfo is not None else None
    if isinstance(raised, pytest.skip.Exception):
        raised = None  # skipped: not run, so neither passed nor failed
    record.update(
        passed=c.passed if c is not None else (False if raised is not None or case is None else None),
        max_abs_error=None if c is None else _finite(c.max_abs_error),
        max_rel_error=None if c is None else _finite(c.max_rel_error),
        mismatched=None if c is None else c.mismatched,
        total=None if c is None else c.total,
        rtol=c.rtol if c is not None else getattr(case, "rtol", None),
        atol=c.atol if c is not None else getattr(case, "atol", None),
        step=c.step if c is not None else getattr(case, "step", None),
        scheme=getattr(c, "scheme", None) or getattr(case, "scheme", None) or "central",
        mode=(c.mode if c is not None else "") or getattr(case, "mode", None) or "full",
        seconds=report.duration,
        error=item.error.message if isinstance(item, CaseErrorItem) else _error_line(raised, c),
    )
    return record


def _error_line(raised: BaseException | None, c: Comparison | None) -> str | None:
    """What stopped a check before its verdict, in one line: a user case's own message, or the
    exception's type and first line (None when the check reached its verdict)."""
    if raised is None or c is not None:
        return None
    if isinstance(raised, UserCodeError):
        return raised.message
    lines = str(raised).strip().splitlines()
    line = f"{type(raised).__name__}: {lines[0]}" if lines else type(raised).__name__
    return line[:MESSAGE_CHARS]


def _finite(value: float) -> float | None:
    """JSON has no inf or NaN: a non-finite error is written as null (and the check failed)."""
    return value if math.isfinite(value) else None


class _ReportWriter:
    """Collects the records (on the xdist controller, from every worker) and writes one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: list[tuple[int, dict[str, Any]]] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        carried = getattr(report, REPORT_ATTR, None)
        if carried is not None:
            self.records.append((carried["position"], carried["record"]))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        records = [record for _, record in sorted(self.records, key=lambda pair: pair[0])]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": 1, "records": records}, indent=2, allow_nan=False)
        self.path.write_text(text + "\n", encoding="utf-8")

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        terminalreporter.write_sep("-", f"gradcheck report: {self.path}")


def _register_report_writer(config: pytest.Config) -> None:
    path = config.getoption("gradcheck_report")
    if path and not hasattr(config, "workerinput"):  # under xdist, only the controller writes
        config.pluginmanager.register(_ReportWriter(config.invocation_params.dir / path), "gradcheck-report")
