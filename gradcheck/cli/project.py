"""The project a case file belongs to, for the command line as the plugin sees it: the root (the
folder of the nearest pytest configuration file up from the file) and the ini settings that bound
what a case may name and build (gradcheck_modules, gradcheck_max_elements)."""

from __future__ import annotations

import configparser
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..options import MAX_ELEMENTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - pytest requires tomli on Python 3.10
    import tomli as tomllib

#: Files that mark a project's root directory, in the order pytest looks for its configuration.
ROOT_MARKERS = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
#: The section of each file that holds pytest's settings ("" for the whole file's [pytest]).
SECTIONS = {"pytest.ini": "pytest", ".pytest.ini": "pytest", "tox.ini": "pytest", "setup.cfg": "tool:pytest"}


@dataclass(frozen=True)
class Project:
    """Where a case file's project is, and what its pytest configuration says of gradcheck."""

    root: Path
    modules: tuple[str, ...] = ()
    max_elements: int = MAX_ELEMENTS


def project_of(path: Path) -> Project:
    """The project of a case file: the first folder up from it whose pytest configuration file
    has pytest's section, else the nearest holding any such file, else the current directory.
    A setting that cannot be read is a ValueError naming the file and the setting."""
    folders = list(path.resolve().parents)
    for folder in folders:
        for name in ROOT_MARKERS:
            settings = _settings(folder / name)
            if settings is not None:
                return _project(folder, folder / name, settings)
    marked = next((f for f in folders if any((f / name).is_file() for name in ROOT_MARKERS)), None)
    return Project(marked or Path.cwd())


def _settings(file: Path) -> dict[str, Any] | None:
    """pytest's settings in `file`, or None if it has no pytest section (or is not a file)."""
    if not file.is_file():
        return None
    if file.name == "pyproject.toml":
        try:
            tool = tomllib.loads(file.read_text(encoding="utf-8")).get("tool", {})
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            return None
        table = tool.get("pytest")
        section = table.get("ini_options", table) if isinstance(table, dict) else None
        return dict(section) if isinstance(section, dict) else None
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(file, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return None
    section = SECTIONS[file.name]
    return dict(parser[section]) if parser.has_section(section) else None


def _project(root: Path, file: Path, settings: dict[str, Any]) -> Project:
    modules = settings.get("gradcheck_modules", [])
    names = tuple(str(m) for m in modules) if isinstance(modules, list) else tuple(shlex.split(str(modules)))
    raw = settings.get("gradcheck_max_elements", MAX_ELEMENTS)
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{file}: gradcheck_max_elements: {raw!r} is not an integer; expected e.g. 10000000") from None
    if limit <= 0:
        raise ValueError(f"{file}: gradcheck_max_elements: {limit} is not positive; expected e.g. 10000000")
    return Project(root, names, limit)
