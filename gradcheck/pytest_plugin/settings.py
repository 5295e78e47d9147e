"""The plugin's options and ini settings, and the one Settings a run reads from them (stdlib and pytest only)."""

from __future__ import annotations

import glob
import importlib.util
import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..options import DEFAULT_PATTERNS, MAX_ELEMENTS
from . import paths

GROUP = ("gradcheck", "gradcheck: derivative checks from YAML case files")


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup(*GROUP)
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
    group.addoption(
        "--gradcheck-plots",
        default=None,
        metavar="DIR",
        dest="gradcheck_plots",
        help="Write the pictures of every failing check to DIR: a heatmap of where it fails and the step sweep "
        "of its worst entries (PNG; needs matplotlib: the plot extra).",
    )
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
    parser.addini(
        "gradcheck_cases",
        type="paths",
        default=[],
        help="Paths of YAML case files collected when pytest runs with no path arguments.",
    )
    parser.addini(
        "gradcheck_max_elements",
        default=str(MAX_ELEMENTS),
        help="Largest array a case may declare, in elements; larger ones are refused before allocation.",
    )
    parser.addini(
        "gradcheck_timeout",
        default="",
        help="Seconds a case item may run before it fails (SIGALRM, as pytest-timeout's signal method; "
        "default: no limit).",
    )
    parser.addini(
        "gradcheck_plots", default="", help="Folder for the pictures of every failing check (as --gradcheck-plots)."
    )
    parser.addini("gradcheck_rtol", default="", help="Relative tolerance of every check that sets none.")
    parser.addini("gradcheck_atol", default="", help="Absolute tolerance of every check that sets none.")
    parser.addini(
        "gradcheck_modules",
        type="args",
        default=[],
        help="Installed modules (dotted names, with their submodules) that case files may name beside the "
        "project's own code under the rootdir, e.g. scipy.special.",
    )
    parser.addini(
        "gradcheck_pattern",
        type="args",
        default=list(DEFAULT_PATTERNS),
        help="Glob patterns of the file names that are case files (default: *.yaml *.yml).",
    )


def case_paths(config: pytest.Config) -> tuple[list[str], list[str]]:
    """(paths from the command line, paths from the ini file)."""
    cli = [str(p) for p in config.known_args_namespace.gradcheck_cases]
    ini = [str(p) for p in config.getini("gradcheck_cases")]
    return cli, ini


def default_args(config: pytest.Config) -> list[str]:
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


@dataclass(frozen=True)
class Settings:
    """What the command line and the ini file say, read once when pytest configures."""

    roots: tuple[Path, ...]  # the case paths: files and folders whose case files are collected
    patterns: tuple[str, ...]  # which file names under them are case files
    max_elements: int
    modules: tuple[str, ...]  # gradcheck_modules: installed modules case files may name
    rtol: float | None  # for every check that sets none; None: by dtype
    atol: float | None
    timeout: float | None = None  # gradcheck_timeout: seconds an item may run; None: no limit
    report: Path | None = None  # where the JSON report goes (--gradcheck-report)
    plots: Path | None = None  # where the pictures of failing checks are written
    html: bool = False  # pytest-html writes a report (--html)
    drawable: bool = False  # matplotlib can be imported

    @property
    def pictures(self) -> bool:
        """Whether a failing check draws its pictures: for the folder, or for the HTML report."""
        return self.drawable and (self.plots is not None or self.html)

    def claims(self, path: Path, *, resolved: bool = False) -> bool:
        """Whether `path` is a case file under one of the case paths. Called for every file pytest
        collects: a path is resolved (a system call per folder) only when its name matches, and
        not at all where it is `resolved` already."""
        if not self.roots or not paths.claimed(path.name, self.patterns):
            return False
        return self.covers(path if resolved else path.resolve())

    def covers(self, path: Path) -> bool:
        """Whether `path` (resolved) is one of the case paths or lies under one."""
        return any(path == r or r in path.parents for r in self.roots)


def read(config: pytest.Config) -> Settings:
    """The run's settings (command line over ini over default); a bad value, or a path that does
    not exist or holds no case file, or a report path that cannot be written, is a UsageError."""
    cli, ini = case_paths(config)
    names = paths.patterns([str(p) for p in config.getini("gradcheck_pattern")]) or DEFAULT_PATTERNS
    skip = [str(p) for p in config.getini("norecursedirs")]
    base = config.invocation_params.dir
    ini_base = config.inipath.parent if config.inipath else config.rootpath
    roots = [paths.case_root(base / p, p, "--gradcheck-cases", names, skip) for p in cli]
    for p in ini:
        shown = os.path.relpath(p, ini_base) if Path(p).is_relative_to(ini_base) else p
        roots.append(paths.case_root(Path(p), shown, "gradcheck_cases", names, skip))
    raw = config.getoption("gradcheck_report")
    report = None if raw is None else base / raw
    if report is not None and not hasattr(config, "workerinput"):  # under xdist, the controller writes it
        paths.report(report, raw, _other_reports(config))
    return Settings(
        roots=tuple(roots),
        patterns=names,
        max_elements=_max_elements(config),
        modules=_modules(config),
        rtol=_tolerance(config, "gradcheck_rtol", zero=False),
        atol=_tolerance(config, "gradcheck_atol", zero=True),
        timeout=_timeout(config),
        report=report,
        plots=_plots(config),
        html=bool(config.getoption("htmlpath", default=None)),
        drawable=_importable("matplotlib"),
    )


#: What asking for pictures without matplotlib says.
INSTALL_PLOT = 'needs matplotlib, which is not installed: pip install "gradcheck[plot]"'


def _plots(config: pytest.Config) -> Path | None:
    """The folder of --gradcheck-plots (from where pytest runs) or gradcheck_plots (from the ini
    file's folder); a UsageError if matplotlib cannot draw them."""
    cli = config.getoption("gradcheck_plots")
    ini = str(config.getini("gradcheck_plots")).strip()
    if cli is not None:
        where, shown, folder = "--gradcheck-plots", str(cli), config.invocation_params.dir / str(cli)
    elif ini:
        where, shown, folder = (
            "gradcheck_plots",
            ini,
            (config.inipath.parent if config.inipath else config.rootpath) / ini,
        )
    else:
        return None
    if not _importable("matplotlib"):
        raise pytest.UsageError(f"{where} {INSTALL_PLOT}")
    return paths.pictures(folder, shown, where).resolve()


def _importable(module: str) -> bool:
    """Whether `module` can be imported, without importing it."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


#: Other plugins' report files, by the option's destination: --gradcheck-report must not be one of them.
OTHER_REPORTS = {"xmlpath": "--junitxml", "htmlpath": "--html"}


def _other_reports(config: pytest.Config) -> dict[str, Path]:
    """The files other report options write, by option."""
    base = config.invocation_params.dir
    given = {option: getattr(config.option, dest, None) for dest, option in OTHER_REPORTS.items()}
    return {option: base / path for option, path in given.items() if isinstance(path, str) and path}


def _max_elements(config: pytest.Config) -> int:
    raw = config.getini("gradcheck_max_elements")
    try:
        value = int(raw)
    except ValueError:
        raise pytest.UsageError(f"gradcheck_max_elements: {raw!r} is not an integer; expected e.g. 10000000") from None
    if value <= 0:
        raise pytest.UsageError(f"gradcheck_max_elements: {value} is not positive; expected e.g. 10000000")
    return value


#: A dotted module name, as gradcheck_modules lists them.
MODULE_RE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


def _modules(config: pytest.Config) -> tuple[str, ...]:
    names = [str(n) for n in config.getini("gradcheck_modules")]
    for name in names:
        if not MODULE_RE.fullmatch(name):
            raise pytest.UsageError(
                f"gradcheck_modules: {name!r} is not a module name; expected dotted names, e.g. scipy.special"
            )
    return tuple(names)


def _tolerance(config: pytest.Config, name: str, *, zero: bool) -> float | None:
    cli = config.getoption(name)
    raw = cli if cli is not None else config.getini(name)
    where = f"--{name.replace('_', '-')}" if cli is not None else name
    if raw is None or str(raw).strip() == "":
        return None
    value = _number(str(raw), where, "1e-6")
    if not math.isfinite(value) or value < 0 or (value == 0 and not zero):
        sign = "a non-negative" if zero else "a positive"
        raise pytest.UsageError(f"{where}: {str(raw)!r} is not {sign} number; expected e.g. 1e-6")
    return value


#: What a bad gradcheck_timeout is told to be instead.
TIMEOUT_EXAMPLE = "60 (seconds; 0 or nothing: no limit)"


def _timeout(config: pytest.Config) -> float | None:
    """gradcheck_timeout in seconds: a positive number, or None for 0 or nothing (no limit)."""
    raw = str(config.getini("gradcheck_timeout")).strip()
    value = _number(raw, "gradcheck_timeout", TIMEOUT_EXAMPLE) if raw else 0.0
    if not math.isfinite(value) or value < 0:
        raise pytest.UsageError(
            f"gradcheck_timeout: {raw!r} is not a non-negative number of seconds; expected e.g. {TIMEOUT_EXAMPLE}"
        )
    return value or None


def _number(raw: str, where: str, example: str) -> float:
    try:
        return float(raw.strip())
    except ValueError:
        raise pytest.UsageError(f"{where}: {raw!r} is not a number; expected e.g. {example}") from None
