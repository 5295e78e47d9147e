"""The verdict of one derivative check (Comparison, its entries) and its report, laid out like pytest.approx's."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..options import LOOK_FIGURES
from .map import MismatchMap
from .maptext import map_lines


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
    """The verdict of one derivative check; `str()` is the human report."""

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


def format_report(c: Comparison) -> str:
    """The failure (or success) report, laid out like pytest.approx's."""
    verdict = "passed" if c.passed else "FAILED"
    lines = [f"{c.title}: {verdict}"]
    tol = f"rtol={c.rtol:g}, atol={c.atol:g}"
    if c.method:
        lines.append(f"  numeric: {c.method}")
    if c.problem:
        lines.append(f"  {c.problem}")
    else:
        lines.append(f"  {c.mismatched} of {c.total} {c.unit} differ beyond {tol}")
        lines.append(f"  max abs error {c.max_abs_error:.3g}, max rel error {c.max_rel_error:.3g}")
    lines.extend(f"  {line}" for line in c.context)
    if c.problem:
        lines.append(f"  tolerances: {tol}")
    if c.worst:
        width = max(len("entry"), *(len(e.name) for e in c.worst))
        lines.append("  worst entries:")
        lines.append(f"    {'entry':<{width}}  {'analytic':>14}  {'numeric':>14}  {'abs error':>10}  {'rel error':>10}")
        for e in c.worst:
            lines.append(
                f"    {e.name:<{width}}  {e.analytic:>14.8g}  {e.numeric:>14.8g}  "
                f"{e.abs_error:>10.3g}  {e.rel_error:>10.3g}"
            )
    lines.extend(f"  hint: {h}" for h in c.hints)
    lines.extend(f"  {d}" for d in c.sweeps)
    if c.mismatch_map is not None and math.prod(c.mismatch_map.shape) > 1:
        lines.extend(map_lines(c.mismatch_map))
    return "\n".join(lines)
