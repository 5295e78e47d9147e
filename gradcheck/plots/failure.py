"""The pictures of a failing check: the heatmap of where it fails, and the step sweep of its
worst entries, as PNG bytes; written to a folder on request."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..checks.base import Check
from ..verdict import heatmap
from ..verdict.comparison import Comparison
from ..verdict.sweep import SWEEP_ENTRIES, sweep
from . import draw

#: Longest file name stem made from a test id (a longer one is cut before the hash of the whole).
STEM_CHARS = 100
#: Where in its first bytes a picture gradcheck wrote says so (its PNG Software text).
_SIGNATURE, _SIGNATURE_BYTES = b"tEXtSoftware\x00" + heatmap.SOFTWARE.encode(), 4096


class PictureError(OSError):
    """A picture's path holds what gradcheck must not write through or over."""


@dataclass(frozen=True)
class Picture:
    """One PNG of a failure: `map` (the heatmap) or `sweep` (error against step)."""

    name: str
    png: bytes


def pictures(
    check: Check | None, comparison: Comparison, *, title: str, case_step: float | None = None
) -> list[Picture]:
    """The heatmap (where the mismatch map is known) and the step sweep of the worst entries
    (where they are named by index and `check` has a step to sweep) of a failed comparison."""
    out = []
    if comparison.mismatch_map is not None:
        out.append(Picture("map", heatmap.png(heatmap.map_figure(comparison.mismatch_map, title))))
    named = [e for e in comparison.worst[:SWEEP_ENTRIES] if e.index]
    indices = [e.index for e in named]
    if check is not None and indices:
        result = sweep(
            check.f,
            check.x,
            check.analytic,
            vectorized=check.vectorized,
            naming=check.naming(),
            title=title,
            case_step=case_step,
            indices=indices,
        )
        out.append(Picture("sweep", heatmap.png(draw.sweep_figure(result))))
    return out


def file_stem(test_id: str) -> str:
    """A file name stem from a test id, readable and unique to it: `cases/x.yaml::seed[loss]` ->
    `cases_x.yaml_seed_loss-` and 8 hex digits of its hash (`cases/a_b.yaml` and `cases/a/b.yaml`
    read alike, and differ there)."""
    stem = re.sub(r"[^A-Za-z0-9.-]+", "_", test_id).strip("_.")[: STEM_CHARS - 9] or "check"
    return f"{stem}-{hashlib.sha1(test_id.encode()).hexdigest()[:8]}"


def write(shown: Sequence[Picture], folder: Path, test_id: str) -> list[Path]:
    """Write each picture as FOLDER/<stem>.<name>.png; the paths written. PictureError where a
    path holds a symbolic link, or a file gradcheck did not write: neither is written through."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = file_stem(test_id)
    return [_write_own(folder / f"{stem}.{picture.name}.png", picture.png) for picture in shown]


def _write_own(path: Path, data: bytes) -> Path:
    """`data` at `path`, new or over a picture gradcheck wrote there, by a rename (which replaces
    a path, never writes through it) of a file created anew beside it."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISLNK(mode):
        raise PictureError(f"{path} is a symbolic link, which a picture never follows; remove it")
    if mode is not None and not (stat.S_ISREG(mode) and _written_here(path)):
        raise PictureError(
            f"{path} exists and is not a picture gradcheck wrote; remove it or give --gradcheck-plots another folder"
        )
    fresh = path.with_name(f".{path.name}.{os.getpid()}.part")
    fd = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(fresh, path)
    except BaseException:
        fresh.unlink(missing_ok=True)
        raise
    return path


def _written_here(path: Path) -> bool:
    """Whether the regular file at `path` is a picture gradcheck wrote (its PNG Software text)."""
    with path.open("rb") as file:
        return _SIGNATURE in file.read(_SIGNATURE_BYTES)
