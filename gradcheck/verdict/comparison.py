"""The verdict of one derivative check (Comparison, its entries) and its report, laid out like pytest.approx's:
`str()` the text, `repr()` one line, and the forms IPython and Jupyter show."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from ..errors import printable
from ..options import LOOK_FIGURES
from . import notebook
from .map import MismatchMap
from .maptext import map_lines
from .sections import HEADER, Sections


@dataclass(frozen=True)
class Entry:
    """One entry of the Jacobian, named as `W[2, 1]` or `dS[0]/dZ[1]`."""

    name: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    index: tuple[int, ...] = ()  # into the Jacobian, f(x).shape + x.shape


@dataclass(frozen=True)
class Comparison:
    """The verdict of one derivative check: true if it passed, so `assert comparison, comparison.report()`
    fails with the report. `str()` (and `report()`) is the human report, `repr()` one line."""

    passed: bool
    max_abs_error: float
    max_rel_error: float
    mismatched: int
    total: int
    rtol: float
    atol: float
    title: str = "gradcheck"
    method: str = ""
    problem: str = ""
    worst: tuple[Entry, ...] = ()
    hints: tuple[str, ...] = field(default=())
    unit: str = "entries"  # what `mismatched` and `total` count
    context: tuple[str, ...] = ()  # which part of the derivative the report shows, and what else fails
    step: float | None = None  # the relative step of the central differences, where known
    mode: str = ""  # "full" or "directional", as check_jacobian decided
    scheme: str = "central"  # the finite-difference scheme of the numeric reference
    sweeps: tuple[str, ...] = ()  # step sweeps of the worst entries
    diagnosis: str | None = None  # a failure's cause: bug, kink, noise, non-finite or error
    # entries that failed the first comparison, were looked at again, were confirmed wrong
    second_look: tuple[int, int, int] | None = None
    mismatch_map: MismatchMap | None = field(default=None, compare=False, repr=False)  # where a failure lies

    def __str__(self) -> str:
        return format_report(self)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        """`<Comparison dL/dW: FAILED, 3 of 15 entries, max rel error 1.28>`."""
        name = printable(self.title.removeprefix("gradcheck of ").removeprefix("gradcheck: "))
        verdict = "passed" if self.passed else "FAILED"
        if self.problem:
            return f"<Comparison {name}: {verdict}, {self.diagnosis or 'not compared'}>"
        counts = f"{self.mismatched} of {self.total} {self.unit}"
        return f"<Comparison {name}: {verdict}, {counts}, max rel error {self.max_rel_error:.3g}>"

    def report(self) -> str:
        """The human report, as `str()` gives it."""
        return format_report(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """IPython shows the report."""
        p.text(repr(self) if cycle else format_report(self))

    def _repr_html_(self) -> str:
        """Jupyter shows the report as HTML, its map a picture where matplotlib is installed."""
        return notebook.html_report(sections(self))

    def figures(self) -> dict[str, float | int | None]:
        """The verdict's numbers by name: errors, mismatch count, step and tolerances."""
        return {
            "max_abs_error": self.max_abs_error,
            "max_rel_error": self.max_rel_error,
            "mismatched": self.mismatched,
            **dict(zip(LOOK_FIGURES, self.second_look or (None, None, None), strict=True)),
            "step": self.step,
            "rtol": self.rtol,
            "atol": self.atol,
        }


def entry_name(index: tuple[int, ...], out_ndim: int, of: str, wrt: str) -> str:
    """`W[2, 1]` for a gradient, `dS[0]/dW[2, 1]` for a Jacobian entry."""

    def named(name: str, idx: tuple[int, ...]) -> str:
        return f"{name}[{', '.join(str(i) for i in idx)}]" if idx else name

    out_idx, in_idx = index[:out_ndim], index[out_ndim:]
    if out_ndim == 0:
        return named(wrt, in_idx)
    return f"d{named(of, out_idx)}/d{named(wrt, in_idx)}"


def sections(c: Comparison) -> Sections:
    """The report's parts, its numbers written as the text report writes them."""
    verdict = "passed" if c.passed else "FAILED"
    tol = f"rtol={c.rtol:g}, atol={c.atol:g}"
    summary = [f"numeric: {c.method}"] if c.method else []
    if c.problem:
        summary.append(c.problem)
    else:
        summary.append(f"{c.mismatched} of {c.total} {c.unit} differ beyond {tol}")
        summary.append(f"max abs error {c.max_abs_error:.3g}, max rel error {c.max_rel_error:.3g}")
    summary.extend(c.context)  # which cotangents' products differ, where there are several
    if c.problem:
        summary.append(f"tolerances: {tol}")
    table = tuple(
        (e.name, f"{e.analytic:.8g}", f"{e.numeric:.8g}", f"{e.abs_error:.3g}", f"{e.rel_error:.3g}") for e in c.worst
    )
    shown = c.mismatch_map is not None and math.prod(c.mismatch_map.shape) > 1
    return Sections(
        f"{c.title}: {verdict}", tuple(summary), table, c.hints, c.sweeps, c.mismatch_map if shown else None
    )


def format_report(c: Comparison) -> str:
    """The failure (or success) report, laid out like pytest.approx's."""
    s = sections(c)
    lines = [s.title, *(f"  {line}" for line in s.summary)]
    if s.table:
        width = max(len(HEADER[0]), *(len(row[0]) for row in s.table))
        widths = (14, 14, 10, 10)
        lines.append("  worst entries:")
        for row in (HEADER, *s.table):
            cells = "  ".join(f"{cell:>{w}}" for cell, w in zip(row[1:], widths, strict=True))
            lines.append(f"    {row[0]:<{width}}  {cells}")
    lines.extend(f"  hint: {h}" for h in s.hints)
    lines.extend(f"  {d}" for d in s.sweeps)
    if s.mismatch_map is not None:
        lines.extend(map_lines(s.mismatch_map))
    return "\n".join(lines)
