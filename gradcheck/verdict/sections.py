"""The parts of a check's report, as the text report (comparison.py) and the HTML one (notebook.py) lay them out."""

from __future__ import annotations

from dataclasses import dataclass

from .map import MismatchMap

#: The columns of the worst entries' table.
HEADER = ("entry", "analytic", "numeric", "abs error", "rel error")


@dataclass(frozen=True)
class Sections:
    """A report in parts: its first line, the lines under it (how the reference was computed, the
    counts and largest errors), the worst entries (a row of HEADER's cells each), the hints, the
    step sweeps, and the map of the mismatches (None where it would show a single entry)."""

    title: str
    summary: tuple[str, ...]
    table: tuple[tuple[str, ...], ...]
    hints: tuple[str, ...]
    sweeps: tuple[str, ...]
    mismatch_map: MismatchMap | None
