"""The dot-product test of a jvp and a vjp (or backward) of one f: <jvp(v), u> = <v, vjp(u)> for
seeded random pairs (u, v), exact to rounding; no finite differences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..verdict.comparison import Comparison, Entry
from .linear import PROBES, SEED, Product

#: How far the two sides of a pair may differ: this times the sum of the magnitudes of the products
#: each side adds up (rounding alone stays far below it), by the dtype of the vectors.
DOT_RTOL = {"float64": 1e-10, "float32": 1e-4}


@dataclass(frozen=True)
class DotCheck:
    """<jvp(v), u> against <v, vjp(u)>: `jvp` maps a tangent of `x_shape` to f's shape, `vjp` a
    cotangent of `out_shape` to x's; `names` are the jvp's and the vjp's, as a report shows them."""

    jvp: Product
    vjp: Product
    x_shape: tuple[int, ...]
    out_shape: tuple[int, ...]
    dtype: str = "float64"
    names: tuple[str, str] = ("jvp", "vjp")
    probes: int = PROBES
    seed: int = SEED

    def run(self, *, title: str | None = None, rtol: float | None = None, **_ignored: Any) -> Comparison:
        """The verdict: `rtol` the case's, else DOT_RTOL's for the dtype (the finite-difference
        options a Check takes do not apply)."""
        rng = np.random.default_rng(self.seed + 2)
        rtol = DOT_RTOL.get(self.dtype, DOT_RTOL["float64"]) if rtol is None else rtol
        rows = []
        for k in range(self.probes):
            v = rng.standard_normal(self.x_shape).astype(self.dtype)
            u = rng.standard_normal(self.out_shape).astype(self.dtype)
            jv = np.asarray(self.jvp(v), dtype=np.float64).reshape(u.shape)
            uj = np.asarray(self.vjp(u), dtype=np.float64).reshape(v.shape)
            left, right = float(np.vdot(jv, u)), float(np.vdot(v, uj))
            scale = max(float(np.abs(jv * u).sum()), float(np.abs(v * uj).sum()))
            rows.append((k, left, right, abs(left - right), scale))
        bad = [r for r in rows if not (r[3] <= rtol * r[4])]  # NaN fails
        worst = tuple(
            Entry(f"pair {k + 1} of {self.probes}", left, right, err, err / scale if scale else float(err > 0), (k,))
            for k, left, right, err, scale in sorted(bad or rows, key=lambda r: -r[3])[:5]
        )
        jvp, vjp = self.names
        return Comparison(
            passed=not bad,
            max_abs_error=max(r[3] for r in rows),
            max_rel_error=max((r[3] / r[4] if r[4] else float(r[3] > 0)) for r in rows),
            mismatched=len(bad),
            total=self.probes,
            rtol=rtol,
            atol=0.0,
            title=title or f"gradcheck: dot {jvp} · {vjp}",
            method=(
                f"dot-product test, no finite differences: analytic <{jvp}(v), u>, numeric <v, {vjp}(u)>, for "
                f"{self.probes} seeded random pairs (seed {self.seed}); rtol of the sum of the magnitudes |products|"
            ),
            worst=worst if bad else (),
            unit="pairs",
            hints=(f"{jvp} and {vjp} are not transposes of each other: one is wrong; their own items say which",)
            if bad
            else (),
            mode="dot",
            diagnosis="bug" if bad else None,
        )
