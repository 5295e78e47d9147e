"""`python -m gradcheck sweep`: rebuild a check from its test id, sweep its error against the step, plot it."""

from __future__ import annotations

import re
import stat
import sys
import tempfile
from pathlib import Path

from numpy.typing import ArrayLike

from ..casefile import document
from ..casefile.format import SECOND_KINDS
from ..casefile.function import FunctionCase
from ..casefile.layer import Case
from ..casefile.pairs import checks_of
from ..checks import Check, Registry
from ..checks.function import build_check
from ..checks.names import BUILTIN_NAMES
from ..checks.scope import Scope
from ..errors import CaseError, UserCodeError, did_you_mean, kind, unreachable
from ..plots import draw
from ..verdict import heatmap
from ..verdict.sweep import SWEEP_ENTRIES, Sweep, sweep
from .project import project_of

TARGET_RE = re.compile(r"(?P<path>.+)::(?P<case>[A-Za-z0-9_.-]+)\[(?P<check>[^\]]+)\]")


def sweep_check(
    check: Check,
    *,
    steps: ArrayLike | None = None,
    entries: int = SWEEP_ENTRIES,
    title: str = "",
    case_step: float | None = None,
) -> Sweep:
    """A sweep of one check: built-in, registered, or a user-function case's."""
    return sweep(
        check.f,
        check.x,
        check.analytic,
        steps=steps,
        entries=entries,
        vectorized=bool(getattr(check, "vectorized", False)),
        naming=check.naming(),
        title=title,
        case_step=case_step,
    )


def parse_target(target: str) -> tuple[str, str, str]:
    """`cases/x.yaml::case[check]` into (path, case, check)."""
    found = TARGET_RE.fullmatch(target)
    if found is None:
        raise ValueError(f"{target!r} is not a test id; expected path/file.yaml::case[check]")
    return found["path"], found["case"], found["check"]


def project_root(path: Path) -> Path:
    """The directory the plugin makes importable for a case file: its project's root (project.py)."""
    return project_of(path).root


def load_check(target: str) -> tuple[Case | FunctionCase, Check]:
    """The case and the check that a test id such as `cases/x.yaml::case[check]` names: a
    built-in check of a layer case, or the jacobian, gradient or vjp of a function case
    (its function imported as the plugin imports it, with the project's root on sys.path)."""
    path, name, check = parse_target(target)
    if not Path(path).exists() and not Path(path).is_symlink():
        here = Path.cwd()
        raise ValueError(
            f"{path}: no such case file here ({here}); run sweep from the folder pytest ran in, as its "
            "plot: line says, or give the case file's path from here"
        )
    registry = Registry()
    project = project_of(Path(path))
    limits = document.Limits(max_elements=project.max_elements)
    entries = document.load(Path(path), path, limits=limits, checks=tuple(registry), all_checks=BUILTIN_NAMES)
    for entry in entries:
        if entry.name != name:
            continue
        case = entry.case
        if isinstance(case, CaseError):
            raise ValueError(str(case))
        if isinstance(case, FunctionCase):
            checks = {c.check: c for c in checks_of(case) if not c.jvp and c.kind not in SECOND_KINDS}  # nor a dot test
            if case.jvp and check.split(":")[0] == "dot":
                raise ValueError(f"{path}:{entry.line}: {name}[{check}] is a dot-product test, with no step to sweep")
            if check not in checks:
                expected = " or ".join(f"{path}::{name}[{c}]" for c in checks)
                raise ValueError(
                    f"{path}:{entry.line}: {name!r} is a user-function case, which checks its {case.kind}; "
                    f"expected {expected}"
                )
            case = checks[check]
            root = str(project.root)
            if root not in sys.path:
                sys.path.insert(0, root)  # for the rest of the command: f imports lazily too
            try:
                built = build_check(case, Scope(project.root, project.modules, project.max_elements))
                if not isinstance(built, Check):  # a dot test is not among the checks
                    raise ValueError(f"{path}::{name}[{check}] has no step to sweep")
                return case, built
            except UserCodeError as error:
                raise ValueError(str(error)) from None
        if check not in registry:
            raise ValueError(f"{check!r} is not a known check; expected one of {', '.join(registry)}")
        return case, registry.build(check, case)
    known = ", ".join(e.name for e in entries)
    raise ValueError(f"{path}: no case named {name!r}{did_you_mean(name, [e.name for e in entries])}; has {known}")


def plot_available() -> bool:
    """Whether matplotlib, which `plot` needs, can be imported."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        return False
    return True


def image_formats() -> list[str]:
    """The file suffixes matplotlib writes images in (png, pdf, svg, ...); needs matplotlib."""
    from matplotlib.backend_bases import FigureCanvasBase

    return sorted(FigureCanvasBase.get_supported_filetypes())


def output_problem(path: str, formats: list[str]) -> str:
    """What is wrong with `path` as the image to write ("" if nothing): a suffix among `formats`
    (so that the file written is the file named), a folder that exists and takes new files, and
    not a folder or a pipe itself."""
    if not path.strip():
        return "the path is empty; expected an image file, e.g. sweep.png"
    target = Path(path)
    if target.suffix[1:].lower() not in formats:
        what = f"has the suffix {target.suffix!r}" if target.suffix else "has no suffix"
        return f"{path} {what}; expected an image file named by its format: {', '.join(formats)}"
    try:
        mode = target.stat().st_mode if target.exists() else None
    except OSError as error:
        return f"{path} {unreachable(target, error)[0]}"
    if mode is not None and not stat.S_ISREG(mode):
        return f"{path} is {kind(mode)}; expected an image file to write"
    folder = target.parent
    if not folder.is_dir():
        return (
            f"{path}: the folder {folder} does not exist"
            if not folder.exists()
            else f"{path}: {folder} is not a folder"
        )
    try:
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        return f"{path} cannot be written: {folder} refuses new files ({error.strerror or error})"
    return ""


def plot(result: Sweep, path: str | Path) -> None:
    """Draw the sweep as a log-log PNG (or any format matplotlib knows by the suffix).

    matplotlib is imported when drawing, so that the rest of gradcheck never needs it.
    """
    draw.sweep_figure(result).savefig(path, dpi=heatmap.DPI)
