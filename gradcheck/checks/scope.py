"""What a case file may name: modules of the project itself (files under pytest's rootdir, outside
the interpreter's prefix, site-packages and the standard library) and the modules the ini setting
`gradcheck_modules` names. A module is found without importing it, so nothing of a module outside
the scope runs (stdlib only)."""

from __future__ import annotations

import importlib.machinery
import os
import site
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..options import MAX_ELEMENTS


def _system_folders() -> tuple[Path, ...]:
    """Where the interpreter and installed packages live: never the project's own code."""
    folders = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}
    installed = ("stdlib", "platstdlib", "purelib", "platlib")
    folders.update(value for key, value in sysconfig.get_paths().items() if key in installed)
    folders.update(getattr(site, "getsitepackages", list)())
    user = getattr(site, "getusersitepackages", lambda: "")()
    if user:
        folders.add(user)
    return tuple(Path(os.path.realpath(f)) for f in folders if f)


class Missing(Exception):
    """No module of this name can be found on sys.path: `name` is the first dotted part that is missing."""

    def __init__(self, name: str) -> None:
        super().__init__(f"no module named {name!r}")
        self.name = name


@dataclass(frozen=True)
class Scope:
    """The project a run checks: its root (pytest's rootdir), the installed modules its ini allows,
    and how many entries an array that a check assembles may hold (gradcheck_max_elements)."""

    root: Path
    modules: tuple[str, ...] = ()  # gradcheck_modules: dotted names, each allowing its submodules too
    max_elements: int = MAX_ELEMENTS
    system: tuple[Path, ...] = field(default_factory=_system_folders)

    def allows(self, name: str) -> bool:
        """Whether gradcheck_modules names the module `name` or a package holding it."""
        return any(name == m or name.startswith(m + ".") for m in self.modules)

    def module_problem(self, name: str) -> str:
        """Why the module `name` may not be named ("" if it may), found without importing it;
        Missing if there is no such module."""
        if self.allows(name):
            return ""
        files = _module_files(name)
        if not files or not all(self.owns(f) for f in files):
            return "is not a module of this project"
        return ""

    def owns(self, path: Path) -> bool:
        """Whether a file or folder is the project's own: under the root, and not under a system folder
        (a virtual environment inside the project is not project code)."""
        real = Path(os.path.realpath(path))
        root = Path(os.path.realpath(self.root))
        if not real.is_relative_to(root):
            return False
        return not any(real.is_relative_to(s) and not root.is_relative_to(s) for s in self.system) and not (
            _in_environment(real, root)
        )

    def object_problem(self, obj: Any) -> str:
        """Why an object a target resolved to may not be used ("" if it may): its `__module__` must be
        in scope as well (a project module re-exporting os.system does not make it project code)."""
        module = _defining_module(obj)
        if not module:
            return "is defined outside any module"
        if self.allows(module):
            return ""
        try:
            files = _module_files(module)
        except Missing:
            files = []
        if not files or not all(self.owns(f) for f in files):
            return f"is defined in {module}, which is not a module of this project"
        return ""


@dataclass(frozen=True)
class Everything(Scope):
    """check_function's scope: the code its caller hands over is theirs to run, wherever it is
    defined (a method of an object given is found on the object)."""

    root: Path = Path(".")

    def module_problem(self, name: str) -> str:
        return ""

    def object_problem(self, obj: Any) -> str:
        return ""


def _defining_module(obj: Any) -> str:
    target = getattr(obj, "__func__", obj)  # a bound method: its function's module
    module = getattr(target, "__module__", None)
    if not isinstance(module, str) and not isinstance(obj, type):
        module = getattr(type(obj), "__module__", None)  # a callable instance: its class's
    return module if isinstance(module, str) else ""


def _in_environment(path: Path, root: Path) -> bool:
    """Whether `path` lies in a virtual environment or an installed-packages folder under the root."""
    for parent in path.relative_to(root).parents:
        folder = root / parent
        if (folder / "pyvenv.cfg").is_file() or folder.name in ("site-packages", "dist-packages"):
            return True
    return False


def _loaded_files(module: Any) -> list[Path]:
    """The files an imported module came from (its file, or a namespace package's folders)."""
    file = getattr(module, "__file__", None)
    if isinstance(file, str):
        return [Path(file)]
    return [Path(p) for p in getattr(module, "__path__", ()) or ()]


def _namespace(dotted: str, search: list[str] | None) -> importlib.machinery.ModuleSpec | None:
    """The spec of the namespace package `dotted`, its folders found in `search` (sys.path: None), as
    importing would find them; None if there are none."""
    name = dotted.rsplit(".", 1)[-1]
    folders = [os.path.join(p, name) for p in (sys.path if search is None else search)]
    found = [f for f in folders if os.path.isdir(f)]
    if not found:
        return None
    spec = importlib.machinery.ModuleSpec(dotted, None, is_package=True)
    spec.submodule_search_locations = found
    return spec


def _module_files(name: str) -> list[Path]:
    """The files of the module `name`, found part by part on sys.path as importing would, without
    running any of them; [] for a built-in or frozen module, Missing if there is none. A module
    imported already is judged by what was imported."""
    loaded = sys.modules.get(name)
    if loaded is not None:
        return _loaded_files(loaded)
    search: list[str] | None = None
    spec = None
    parts = name.split(".")
    for i, _ in enumerate(parts):
        dotted = ".".join(parts[: i + 1])
        parent = sys.modules.get(dotted)
        if parent is not None and i < len(parts) - 1:
            locations = getattr(parent, "__path__", None)
            if locations is None:
                raise Missing(".".join(parts[: i + 2]))  # a plain module has no submodules
            search = [str(p) for p in locations]
            continue
        try:
            spec = importlib.machinery.PathFinder.find_spec(dotted, search)
        except (ImportError, ValueError):
            raise Missing(dotted) from None
        except KeyError:  # a namespace package in one not imported: Python 3.11 looks its parent up in sys.modules
            spec = _namespace(dotted, search)
        if spec is None:
            if dotted in sys.builtin_module_names:
                return []
            raise Missing(dotted)
        locations = spec.submodule_search_locations
        if i < len(parts) - 1:
            if locations is None:
                raise Missing(".".join(parts[: i + 2]))  # a plain module has no submodules
            search = list(locations)
    assert spec is not None
    if spec.origin and spec.origin not in ("built-in", "frozen", "namespace"):
        return [Path(spec.origin)]
    return [Path(p) for p in spec.submodule_search_locations or ()]
