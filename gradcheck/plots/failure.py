"""The pictures of a failing check: the heatmap of where it fails, and the step sweep of its
worst entries, as PNG bytes; written to a folder on request."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..checks.base import Check
from ..verdict.comparison import Comparison
from ..verdict.sweep import SWEEP_ENTRIES, sweep
from . import draw

#: Longest file name stem made from a test id (a longer one is cut, with a hash of the whole).
STEM_CHARS = 100


@dataclass(frozen=True)
class Picture:
    """One PNG of a failure: `map` (the heatmap) or `sweep` (error against step)."""

    name: str
    png: bytes


def pictures(check: Check, comparison: Comparison, *, title: str, case_step: float | None = None) -> list[Picture]:
    """The heatmap (where the mismatch map is known) and the step sweep of the worst entries
    (where they are named by index) of a failed comparison."""
    out = []
    if comparison.mismatch_map is not None:
        out.append(Picture("map", draw.png(draw.map_figure(comparison.mismatch_map, title))))
    indices = [e.index for e in comparison.worst[:SWEEP_ENTRIES] if e.index]
    if indices:
        result = sweep(
            check.f,
            check.x,
            check.analytic,
            vectorized=check.vectorized,
            of=check.of,
            wrt=check.wrt,
            title=title,
            case_step=case_step,
            indices=indices,
        )
        out.append(Picture("sweep", draw.png(draw.sweep_figure(result))))
    return out


def file_stem(test_id: str) -> str:
    """A file name stem from a test id: `cases/x.yaml::seed[loss]` -> `cases_x.yaml_seed_loss`."""
    stem = re.sub(r"[^A-Za-z0-9.-]+", "_", test_id).strip("_.") or "check"
    if len(stem) > STEM_CHARS:
        stem = f"{stem[: STEM_CHARS - 9]}_{hashlib.sha1(test_id.encode()).hexdigest()[:8]}"
    return stem


def write(shown: Sequence[Picture], folder: Path, test_id: str) -> list[Path]:
    """Write each picture as FOLDER/<stem>.<name>.png; the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for picture in shown:
        path = folder / f"{file_stem(test_id)}.{picture.name}.png"
        path.write_bytes(picture.png)
        paths.append(path)
    return paths
