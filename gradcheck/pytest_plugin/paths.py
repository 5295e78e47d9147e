"""The paths a run is given, checked when pytest configures (stdlib and pytest only): case paths
that exist and hold case files, file-name patterns that can match them, and a report path that can
be written without overwriting a file gradcheck did not write. A problem is a UsageError naming
the option or ini setting."""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from .. import errors

YAML_SUFFIXES = (".yaml", ".yml")
#: Names a pattern must not match: pytest collects Python files itself.
PYTHON_NAMES = ("conftest.py", "test_example.py", "example_test.py", "example.py")
#: How a report gradcheck wrote starts (whatever the whitespace): only such a file is overwritten.
REPORT_START = re.compile(rb'\A\s*\{\s*"version"\s*:\s*1\s*,\s*"records"\s*:')
CASES = "expected a case file or a folder of case files"


def patterns(values: Sequence[str]) -> tuple[str, ...]:
    """The gradcheck_pattern values, each a glob of file names that can match a YAML file."""
    for pattern in values:
        problem = _pattern_problem(pattern)
        if problem:
            raise pytest.UsageError(f"gradcheck_pattern: {pattern!r} {problem}; expected e.g. *.case.yaml")
    return tuple(values)


def _pattern_problem(pattern: str) -> str:
    if not pattern:
        return "is empty"
    if "/" in pattern or os.sep in pattern:
        return "holds a path separator; a pattern matches file names, not paths"
    if _unclosed_bracket(pattern):
        return "has a '[' without its ']'"
    python = next((name for name in PYTHON_NAMES if fnmatch.fnmatch(name, pattern)), None)
    if python:
        return f"matches Python files such as {python}, which pytest collects itself"
    return ""


def _unclosed_bracket(pattern: str) -> bool:
    """Whether a `[` opens a set that never closes (fnmatch would then match the `[` itself)."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "!":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 1
            if j >= len(pattern):
                return True
            i = j
        i += 1
    return False


def case_root(path: Path, shown: str, where: str, names: tuple[str, ...], skip: Sequence[str]) -> Path:
    """A case path (resolved): a case file, or a folder that holds at least one file whose name
    matches a pattern of `names` (outside folders matching `skip`, pytest's norecursedirs)."""
    if not shown.strip():
        raise pytest.UsageError(f"{where}: the path is empty; {CASES}")
    try:
        mode = path.stat().st_mode
        resolved = path.resolve()
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symbolic link loop, before Python 3.13
        error = exc if isinstance(exc, OSError) else OSError(errno.ELOOP, "loop")
        why, _ = errors.unreachable(path, error)
        raise pytest.UsageError(f"{where}: {shown} {why}; {CASES}") from None
    if stat.S_ISREG(mode):
        if not claimed(resolved.name, names) and resolved.suffix not in YAML_SUFFIXES:
            raise pytest.UsageError(
                f"{where}: {shown} is not a case file: its name matches no gradcheck_pattern ({' '.join(names)}) "
                f"and is not .yaml or .yml; {CASES}"
            )
        return resolved
    if not stat.S_ISDIR(mode):
        raise pytest.UsageError(f"{where}: {shown} is {errors.kind(mode)}; {CASES}")
    yaml_files = 0
    for name in _file_names(resolved, skip):
        if claimed(name, names):
            return resolved
        yaml_files += name.endswith(YAML_SUFFIXES)
    unmatched = f"; its {yaml_files} .yaml/.yml file{'s' if yaml_files > 1 else ''} match none" if yaml_files else ""
    raise pytest.UsageError(
        f"{where}: {shown} holds no case file: no file name matches gradcheck_pattern ({' '.join(names)}){unmatched}"
    )


def claimed(name: str, names: Sequence[str]) -> bool:
    """Whether a file name matches one of the patterns."""
    return any(fnmatch.fnmatch(name, pattern) for pattern in names)


def _file_names(folder: Path, skip: Sequence[str]) -> Iterator[str]:
    """The names of the files under `folder`, as pytest walks it (following links to folders, once
    each; not into folders whose names match `skip`)."""
    seen: set[str] = set()
    for here, folders, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(here)
        if real in seen:
            folders[:] = []
            continue
        seen.add(real)
        folders[:] = [f for f in folders if not claimed(f, skip)]
        yield from names


def passed_over(folder: Path) -> list[Path]:
    """The entries of a folder that are neither files nor folders once links are followed (a
    broken link, a loop, a pipe, a device), which pytest's collection passes over; by name."""
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    return [Path(entry.path) for entry in entries if _neither(entry)]


def _neither(entry: os.DirEntry[str]) -> bool:
    try:
        return not entry.is_file() and not entry.is_dir()
    except OSError:  # a symbolic link loop
        return True


def report(path: Path, shown: str, others: dict[str, Path]) -> Path:
    """The --gradcheck-report path: a new file in a folder that can be written (made if missing),
    an empty file, or a report gradcheck wrote before; never another file, which it would overwrite,
    nor the file of another report option (`others`: option -> its path)."""
    where = "--gradcheck-report"
    if not shown.strip():
        raise pytest.UsageError(f"{where}: the path is empty; expected a JSON file to write, e.g. gradcheck.json")
    for option, other in others.items():
        if os.path.abspath(other) == os.path.abspath(path):
            raise pytest.UsageError(f"{where}: {shown} is also the file of {option}; name another file")
    try:
        mode = path.stat().st_mode if path.exists() or path.is_symlink() else None
    except OSError as exc:
        why, _ = errors.unreachable(path, exc)
        raise pytest.UsageError(f"{where}: {shown} {why}; expected a JSON file to write") from None
    if mode is not None and not stat.S_ISREG(mode):
        raise pytest.UsageError(f"{where}: {shown} is {errors.kind(mode)}; expected a JSON file to write")
    if mode is not None and not _rewritable(path):
        raise pytest.UsageError(
            f"{where}: {shown} exists and is not a gradcheck report, which it would overwrite; "
            "name a new file (or remove this one)"
        )
    _takes_files(path.parent, shown, where)
    return path


def pictures(folder: Path, shown: str, where: str) -> Path:
    """The --gradcheck-plots / gradcheck_plots folder: a folder, or one that can be made, that takes new files."""
    if not shown.strip():
        raise pytest.UsageError(f"{where}: the path is empty; expected a folder for the pictures, e.g. pictures")
    if folder.exists() and not folder.is_dir():
        raise pytest.UsageError(f"{where}: {shown} is a file, not a folder; name a folder for the pictures")
    _takes_files(folder, shown, where)
    return folder


def _takes_files(target: Path, shown: str, where: str) -> None:
    """`target`, a folder, takes new files: it, or the nearest folder above it that exists (where it would be made)."""
    folder = target
    while not folder.exists():
        folder = folder.parent
    if not folder.is_dir():
        raise pytest.UsageError(f"{where}: {shown} lies under {folder}, which is a file, not a folder")
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        made = "" if folder == target else "its folder would be made in "
        raise pytest.UsageError(
            f"{where}: {shown} cannot be written: {made}{folder} refuses new files ({reason})"
        ) from None


def _rewritable(path: Path) -> bool:
    """Whether an existing file may be overwritten by the report: it is empty, or a report."""
    try:
        with path.open("rb") as file:
            start = file.read(256)
    except OSError:
        return False
    return not start.strip() or REPORT_START.match(start) is not None
