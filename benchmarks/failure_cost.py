"""What a failing check costs against a passing one, in calls of f and in time, measured in one run.

Run:  python benchmarks/failure_cost.py

The dL/dW check of a softmax + cross-entropy layer (f a black box, one call per point): a full
check of 784x10 weights, passing, with every entry 0.1 % off, and with the sign flipped; a
directional check of 784x50 weights, passing and with one row 1 % off. Each call of f is counted;
the report's own count of evaluations, where it gives one, is printed beside it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import gradcheck

#: The targets: a failing full check costs at most twice a passing one's calls plus this many; a
#: failing directional check at most this many calls.
EXTRA_CALLS = 1_000


def layer(n: int, k: int, seed: int = 0) -> tuple[Callable[[np.ndarray], float], np.ndarray, np.ndarray, list[int]]:
    """f (the loss as a function of W, counting its calls), W, the analytic dL/dW, the count."""
    rng = np.random.default_rng(seed)
    x, w, y = rng.standard_normal(n), rng.standard_normal((n, k)) * 0.05, int(rng.integers(k))
    calls = [0]

    def f(weights: np.ndarray) -> float:
        calls[0] += 1
        z = x @ weights
        top = z.max()
        return float(np.log(np.exp(z - top).sum()) + top - z[y])

    z = x @ w
    p = np.exp(z - z.max())
    p /= p.sum()
    p[y] -= 1.0
    return f, w, np.outer(x, p), calls


@dataclass(frozen=True)
class Row:
    label: str
    passed: bool
    calls: int  # counted here, around f
    stated: int | None  # as the report says, where it says
    seconds: float
    looked: tuple[int, int, int] | None  # failed the first comparison, looked at again, confirmed


def run(label: str, size: tuple[int, int], planted: Callable[[np.ndarray], np.ndarray], mode: str) -> Row:
    f, w, analytic, calls = layer(*size)
    start = time.perf_counter()
    result = gradcheck.check_jacobian(f, w, planted(analytic), mode=mode)
    seconds = time.perf_counter() - start
    stated = re.search(r"(\d+) evaluations of f in all", result.method)
    return Row(label, result.passed, calls[0], int(stated[1]) if stated else None, seconds, result.second_look)


def one_row_off(a: np.ndarray) -> np.ndarray:
    out = a.copy()
    out[3] *= 1.01
    return out


def main() -> int:
    full, wide = (784, 10), (784, 50)
    rows = [
        run("full 784x10, passing", full, lambda a: a, "full"),
        run("full 784x10, every entry 0.1 % off", full, lambda a: a * 1.001, "full"),
        run("full 784x10, sign flipped", full, lambda a: -a, "full"),
        run("directional 784x50, passing", wide, lambda a: a, "directional"),
        run("directional 784x50, one row 1 % off", wide, one_row_off, "directional"),
    ]
    print("## Failure cost: calls of f and time, against the passing check of the same size\n")
    print("| check | passed | calls of f | stated in the report | x passing | time | x passing | second look |")
    print("|---|---|---|---|---|---|---|---|")
    for row in rows:
        ref = rows[0] if row.label.startswith("full") else rows[3]
        stated = "-" if row.stated is None else row.stated
        print(
            f"| {row.label} | {row.passed} | {row.calls} | {stated} | {row.calls / ref.calls:.2f} "
            f"| {row.seconds:.2f} s | {row.seconds / ref.seconds:.2f} | {row.looked or '-'} |"
        )
    targets = [
        (
            f"a failing full check: calls <= 2x the passing one's + {EXTRA_CALLS}",
            all(r.calls <= 2 * rows[0].calls + EXTRA_CALLS for r in rows[1:3]),
        ),
        (f"a failing directional check: calls <= {EXTRA_CALLS}", rows[4].calls <= EXTRA_CALLS),
        (
            "the report's count of evaluations is the number of calls of f",
            all(r.stated is None or r.stated == r.calls for r in rows),
        ),
        (
            "the passing checks pass and the planted bugs fail",
            [r.passed for r in rows] == [True, False, False, True, False],
        ),
    ]
    print("\n## Targets\n")
    for text, ok in targets:
        print(f"- {'met' if ok else 'NOT MET'}: {text}")
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    raise SystemExit(main())
