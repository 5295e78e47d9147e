"""The plugin's options and ini settings, and the one Settings a run reads from them (stdlib and pytest only)."""

from __future__ import annotations

import fnmatch
import glob
import math
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..options import DEFAULT_PATTERNS, MAX_ELEMENTS

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
    parser.addini("gradcheck_rtol", default="", help="Relative tolerance of every check that sets none.")
    parser.addini("gradcheck_atol", default="", help="Absolute tolerance of every check that sets none.")
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
    rtol: float | None  # for every check that sets none; None: by dtype
    atol: float | None

    def claims(self, path: Path) -> bool:
        """Whether `path` is a case file under one of the case paths. Called for every file pytest
        collects: a path is resolved (a system call per folder) only when its name matches."""
        if not self.roots or not any(fnmatch.fnmatch(path.name, pattern) for pattern in self.patterns):
            return False
        resolved = path.resolve()
        return any(resolved == r or r in resolved.parents for r in self.roots)


def read(config: pytest.Config) -> Settings:
    """The run's settings (command line over ini over default); a bad value is a UsageError."""
    cli, ini = case_paths(config)
    base = config.invocation_params.dir
    return Settings(
        roots=tuple([(base / p).resolve() for p in cli] + [Path(p).resolve() for p in ini]),
        patterns=tuple(str(p) for p in config.getini("gradcheck_pattern")) or DEFAULT_PATTERNS,
        max_elements=_max_elements(config),
        rtol=_tolerance(config, "gradcheck_rtol", zero=False),
        atol=_tolerance(config, "gradcheck_atol", zero=True),
    )


def _max_elements(config: pytest.Config) -> int:
    raw = config.getini("gradcheck_max_elements")
    try:
        value = int(raw)
    except ValueError:
        raise pytest.UsageError(f"gradcheck_max_elements: {raw!r} is not an integer; expected e.g. 10000000") from None
    if value <= 0:
        raise pytest.UsageError(f"gradcheck_max_elements: {value} is not positive; expected e.g. 10000000")
    return value


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
