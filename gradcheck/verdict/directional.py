"""The verdict of the directional mode: projections compared, a failure narrowed down to named entries."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from ..numerics import stencils
from ..numerics.directional import MAX_BLOCKS, Array, DirectionalCheck
from .compare import WORST_SHOWN
from .comparison import Comparison, Entry, entry_name
from .map import from_entries


def directional_comparison(
    probe: stencils.Probe,
    analytic: Array,
    *,
    rtol: float,
    atol: float,
    step: float,
    seed: int,
    probes: int,
    of: str,
    wrt: str,
    title: str,
    method: str,
) -> Comparison:
    """The verdict of the directional mode; a failure is narrowed down to named entries."""
    m, n = analytic.shape
    check = DirectionalCheck(probe, analytic, rtol=rtol, atol=atol, step=step, seed=seed)
    projections, failed = check.run(probes)
    err = np.concatenate([np.abs(p.analytic - p.numeric) for p in projections])
    mag = np.concatenate([np.abs(p.numeric) for p in projections])
    rel = np.divide(err, mag, out=np.zeros_like(err), where=mag > atol)
    method = f"{method}; directional: {probes} seeded random projections (seed {seed})"
    if failed is None:
        return Comparison(
            passed=True,
            max_abs_error=float(err.max(initial=0.0)),
            max_rel_error=float(rel.max(initial=0.0)),
            mismatched=0,
            total=probes * m,
            rtol=rtol,
            atol=atol,
            title=title,
            method=method,
            unit="projections",
        )
    bad_projections = sum(p.excess() > 1.0 for p in projections)
    cols, spread = check.locate(*failed)
    found, ratios = _resolve(probe, analytic, np.asarray(cols, dtype=np.intp), rtol, atol, step, of, wrt)
    shape = probe.out_shape + probe.shape
    summary = f"{bad_projections} of {probes} random projections disagree; bisection found {len(found)} wrong entries"
    if spread:
        summary += (
            f"; the mismatch is spread over more than {MAX_BLOCKS} blocks, so only the first were resolved: "
            "a bug that touches many entries (mode=full on a smaller case shows its pattern)"
        )
    return Comparison(
        passed=False,
        max_abs_error=max([float(err.max())] + [e.abs_error for e in found]),
        max_rel_error=max([float(rel.max(initial=0.0))] + [e.rel_error for e in found]),
        mismatched=len(found) if found else bad_projections,
        total=m * n if found else probes * m,
        rtol=rtol,
        atol=atol,
        title=title,
        method=f"{method}; {check.evaluations} evaluations of f in all",
        worst=tuple(found[:WORST_SHOWN]),
        hints=(summary,),
        unit="entries" if found else "projections",
        mismatch_map=from_entries(shape, len(probe.out_shape), of, wrt, [e.index for e in found], ratios)
        if found
        else None,
    )


def _resolve(
    probe: stencils.Probe,
    analytic: Array,
    cols: NDArray[np.intp],
    rtol: float,
    atol: float,
    step: float,
    of: str,
    wrt: str,
) -> tuple[list[Entry], list[float]]:
    """The wrong entries among the columns `cols`, estimated one by one as the full mode does,
    worst first; and each one's |analytic - numeric| / tolerance."""
    if cols.size == 0:
        return [], []
    values, errors = probe.richardson(cols, stencils.entry_steps(probe.base, step))
    num, ana = values.T, analytic[:, cols]
    bound = atol + rtol * np.abs(num) + stencils.ERROR_SAFETY * errors.T
    rows, where = np.nonzero(np.abs(ana - num) > bound)
    out_ndim = len(probe.out_shape)
    found = []
    for r, w in zip(rows.tolist(), where.tolist(), strict=True):
        out_idx = np.unravel_index(r, probe.out_shape) if out_ndim else ()
        index = tuple(int(i) for i in (*out_idx, *np.unravel_index(int(cols[w]), probe.shape)))
        a_val, n_val = float(ana[r, w]), float(num[r, w])
        e = abs(a_val - n_val)
        rel_e = e / abs(n_val) if abs(n_val) > atol else 0.0
        ratio = e / bound[r, w] if bound[r, w] > 0 else float("inf")
        found.append((Entry(entry_name(index, out_ndim, of, wrt), a_val, n_val, e, rel_e, index), ratio))
    found.sort(key=lambda pair: pair[0].abs_error / (atol + rtol * abs(pair[0].numeric)), reverse=True)
    return [entry for entry, _ in found], [float(ratio) for _, ratio in found]
