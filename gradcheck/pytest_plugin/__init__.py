"""The pytest plugin (the pytest11 entry point): options, the collection of case files, the JSON report.

Loading it imports the standard library and pytest only; numpy, yaml and the numerical core load
when the first case file is collected (.collect), or when a test asks for the fixture.
"""

from __future__ import annotations

from collections.abc import Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import hookspec, htmlreport, jsonreport, paths, settings, shown, timelimit
from .fixture import jacobian_check as jacobian_check  # the fixture, found here by pytest
from .state import STATE, State

if TYPE_CHECKING:
    from .collect import CaseFile


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    pluginmanager.add_hookspecs(hookspec)


def pytest_addoption(parser: pytest.Parser) -> None:
    settings.add_options(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Add the case paths to the paths pytest collects."""
    cli, ini = settings.case_paths(early_config)
    if early_config.known_args_namespace.file_or_dir:
        args.extend(cli)  # the user named what to run; add only what they asked for here
    elif cli:
        args.extend(cli)
    elif ini:
        args.extend([*settings.default_args(early_config), *ini])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gradcheck: a derivative check collected from a YAML case file")
    config.stash[STATE] = State(config, settings.read(config))
    jsonreport.register_writer(config, config.stash[STATE].settings.report)
    timelimit.warn_unavailable(config, config.stash[STATE].settings.timeout)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> CaseFile | None:
    state = parent.config.stash[STATE]
    if state.settings.claims(file_path) or (
        file_path.suffix in paths.YAML_SUFFIXES and parent.session.isinitpath(file_path)
    ):
        from .collect import CaseFile  # numpy, yaml and the checks load here, with the first case file

        return CaseFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A folder's entries that pytest passes over (they are neither files nor folders: a broken
    link, a loop, a pipe or device) fail one item each where their names claim them as case files."""
    report = yield
    if not (isinstance(collector, pytest.Directory) and report.passed):
        return report
    config = collector.config
    folder = collector.path.resolve()
    s, session = config.stash[STATE].settings, collector.session
    if not (s.covers(folder) or session.isinitpath(collector.path, with_parents=True)):
        return report
    ignored = collector.ihook.pytest_ignore_collect
    claimed = [
        path
        for path in paths.passed_over(collector.path)
        if (
            s.claims(folder / path.name, resolved=True)
            or (path.suffix in paths.YAML_SUFFIXES and session.isinitpath(path))
        )
        and not ignored(collection_path=path, config=config)
    ]
    if claimed:
        from .collect import CaseFile  # numpy, yaml and the checks load here

        nodes: list[pytest.Item | pytest.Collector] = list(report.result)
        for path in claimed:  # in name order among the folder's others
            at = next((k for k, node in enumerate(nodes) if node.path.name > path.name), len(nodes))
            nodes.insert(at, CaseFile.from_parent(collector, path=path))
        report.result = nodes
    return report


def pytest_collection_finish(session: pytest.Session) -> None:
    jsonreport.number_items(session.items)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Say which of the project's modules took long to import at collection (in no item's time)."""
    if STATE in config.stash and config.stash[STATE].imports:
        from .preload import summary

        summary(terminalreporter, config.stash[STATE].imports)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    """Escape what a gradcheck item's user code printed or said; attach its record to the report
    that decides its outcome (xdist serialises it), and a failure's pictures and text to
    pytest-html's extras."""
    report = yield
    if item.stash.get(jsonreport.GRADCHECK_ITEM, False):
        shown.escape(report)
    jsonreport.attach(item, report, call)
    htmlreport.attach(item, report)
    return report
