"""The array entries a case file may build, counted before anything is allocated.

gradcheck_max_elements bounds each case's arrays taken together (a spec in `defaults:` counts
for every case that uses it), and the arrays of all a file's cases together: a small file cannot
make a large one build many times over.
"""

from __future__ import annotations

from .fields import FieldReader

#: A spec or literal list may have at most this many axes (as NumPy allows at least).
MAX_AXES = 32


class Budget:
    """What the arrays of a file, and of the case being read, may still hold."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.file = 0  # entries built by the file's cases so far
        self.case = 0  # entries built by the case being read

    def next_case(self) -> None:
        """Start counting a new case (the file's count goes on)."""
        self.case = 0

    def take(self, fields: FieldReader, key: str, entries: int, what: str = "") -> None:
        """Count `entries` about to be built for `key`, or refuse them at its line where the case or
        the file would hold more than the limit. `what` says what holds them (default: `has`)."""
        said = what or f"has {entries} entries"
        if entries > self.limit:
            raise fields.error(key, f"{said}, over the limit of {self.limit} (gradcheck_max_elements)")
        if self.case + entries > self.limit:
            raise fields.error(
                key,
                f"{said}, and the case's other arrays {self.case}: over the limit of {self.limit} for a case's "
                "arrays together (gradcheck_max_elements); make them smaller",
            )
        if self.file + entries > self.limit:
            raise fields.error(
                key,
                f"{said}, and the file's earlier cases {self.file}: over the limit of {self.limit} for a file's "
                "arrays together (gradcheck_max_elements; a spec in defaults: counts for each case); split the "
                "file or make the arrays smaller",
            )
        self.case += entries
        self.file += entries

    def axes(self, fields: FieldReader, key: str, count: int) -> None:
        """Refuse an array of more than MAX_AXES axes at `key`'s line."""
        if count > MAX_AXES:
            raise fields.error(key, f"has {count} axes, over the limit of {MAX_AXES}; give an array of fewer axes")
