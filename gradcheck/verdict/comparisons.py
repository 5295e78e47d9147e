"""The verdicts of one function checked for several names (check_function): a Comparison per name."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..errors import printable
from .comparison import Comparison


class Comparisons(Mapping[str, Comparison]):
    """A Comparison per name differentiated, in the order of `wrt`: true only if every one passed.
    `str()` (and `report()`) is their reports one after the other, `repr()` one line."""

    def __init__(self, by_name: Mapping[str, Comparison]) -> None:
        self._by_name = dict(by_name)

    def __getitem__(self, name: str) -> Comparison:
        return self._by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)

    @property
    def passed(self) -> bool:
        """Whether every check passed."""
        return all(c.passed for c in self._by_name.values())

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        """`<Comparisons W: passed, b: FAILED>`."""
        verdicts = ", ".join(f"{printable(n)}: {'passed' if c.passed else 'FAILED'}" for n, c in self._by_name.items())
        return f"<Comparisons {verdicts}>"

    def __str__(self) -> str:
        return self.report()

    def report(self) -> str:
        """Every check's report, one after the other."""
        return "\n\n".join(c.report() for c in self._by_name.values())

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """IPython shows the reports."""
        p.text(repr(self) if cycle else self.report())

    def _repr_html_(self) -> str:
        """Jupyter shows every check's HTML report."""
        return "\n".join(c._repr_html_() for c in self._by_name.values())
