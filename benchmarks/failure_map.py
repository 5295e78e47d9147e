"""Cost of the mismatch map a failing comparison carries: time and peak memory of compare()
with the map against compare() without it, and the size of what the Comparison keeps.

Run:  python benchmarks/failure_map.py

Uses numpy only; a time is the fastest of several runs (the least disturbed), printed as ratios.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

from gradcheck.verdict import compare as cmp
from gradcheck.verdict.naming import Naming
from gradcheck.verdict.tolerance import Tolerance

#: (name, Jacobian shape, f's number of axes): a 784x10 gradient, the layer's dS/dW for 784
#: inputs and 10 classes, a 1024x1000 gradient.
SHAPES = [
    ("dL/dW 784x10", (784, 10), 0),
    ("dS/dW (10, 784, 10)", (10, 784, 10), 1),
    ("dL/dW 1024x1000", (1024, 1000), 0),
]
RUNS = 15


def problem(shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """A numeric Jacobian and an analytic one with one column of x wrong everywhere."""
    rng = np.random.default_rng(0)
    numeric = rng.standard_normal(shape)
    analytic = numeric.copy()
    analytic[..., 3] *= 1.01
    return analytic, numeric


def measure(run: Callable[[], Any]) -> tuple[float, int]:
    """(fastest seconds, peak bytes allocated) of run()."""
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return min(times), peak


def main() -> None:
    real = cmp._map
    print(f"{'Jacobian':<22} {'entries':>9} {'time with/without map':>22} {'peak memory with/without':>25} {'kept':>7}")
    for name, shape, out_ndim in SHAPES:
        analytic, numeric = problem(shape)

        def run(analytic: np.ndarray = analytic, numeric: np.ndarray = numeric, out_ndim: int = out_ndim) -> Any:
            naming = Naming(out_shape=analytic.shape[:out_ndim], in_shape=analytic.shape[out_ndim:])
            return cmp.compare(analytic, numeric, naming, Tolerance(rtol=1e-6, atol=1e-8))

        with_map = measure(run)
        kept = run().mismatch_map
        cmp._map = lambda *args: None  # type: ignore[assignment,misc,return-value]
        try:
            without = measure(run)
        finally:
            cmp._map = real
        size = kept.counts.nbytes + kept.ratio.nbytes
        print(
            f"{name:<22} {numeric.size:>9} {with_map[0] / without[0]:>22.2f} {with_map[1] / without[1]:>25.2f} "
            f"{size / numeric.nbytes:>7.2%}"
        )
    print("kept: the grids a failing Comparison keeps, as a share of one float64 copy of the Jacobian")


if __name__ == "__main__":
    main()
