"""The map in a failure report of where the mismatched entries lie, laid out by the Jacobian's axes."""

from __future__ import annotations

import numpy as np
import pytest
from pluginrun import PLANTED_LAYER_JACOBIAN, SEED, run, write

import gradcheck
from gradcheck.verdict import map as mismatch
from gradcheck.verdict.compare import compare
from gradcheck.verdict.maptext import TEXT_COLS, TEXT_ROWS, map_lines
from gradcheck.verdict.naming import Naming
from gradcheck.verdict.tolerance import Tolerance


def map_of(report: str) -> list[str]:
    """The map's lines of a report: from its title to the line under it."""
    lines = report.splitlines()
    start = next(k for k, line in enumerate(lines) if line.startswith("  where the mismatches lie in "))
    return lines[start:]


def softmax_rows(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def test_a_wrong_class_of_the_layer_jacobian_is_one_of_its_k_blocks(pytester: pytest.Pytester) -> None:
    # dS/dW has shape (K, n, K) = (5, 3, 5): five blocks shaped like W, one per output S[a];
    # the planted bug makes the block of class 2 1 % too large.
    pytester.makeconftest(PLANTED_LAYER_JACOBIAN)
    write(pytester, "cases/x.yaml", SEED + "    checks: [layer]\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "  15 of 75 entries differ beyond rtol=1e-06, atol=1e-08",  # the report's lines stay
            "  hint: every mismatched entry lies in the slice [[]2, :, :[]]*",
            "  where the mismatches lie in dS[[]a[]]/dW[[]i, j[]] (5, 3, 5): rows i; columns a, j (a block per a)",
            "  '#' mismatched, '.' within tolerance",
            "         a=0   a=1   a=2   a=3   a=4",
            "    i=0  ..... ..... ##### ..... .....  5",
            "    i=1  ..... ..... ##### ..... .....  5",
            "    i=2  ..... ..... ##### ..... .....  5",
            "  mismatches by a: a=2 (15)",
            "  plot: python -m gradcheck sweep 'cases/x.yaml::seed[[]layer[]]' -o sweep.png",
        ],
        consecutive=False,
    )


def test_a_wrong_column_shows_in_every_block() -> None:
    # the class-2 column of every block wrong: the derivative by W[:, 2] (a missing term of one class)
    x, w = np.array([0.1, 0.5, 0.4]), np.linspace(-0.5, 0.5, 15).reshape(3, 5)
    analytic = gradcheck.layer_jacobian(x, w)
    analytic[:, :, 2] += 1e-3
    c = gradcheck.check_jacobian(lambda v: gradcheck.softmax(x @ v), w, analytic, of="S", wrt="W")
    assert map_of(str(c))[3:] == [
        "    i=0  ..#.. ..#.. ..#.. ..#.. ..#..  5",
        "    i=1  ..#.. ..#.. ..#.. ..#.. ..#..  5",
        "    i=2  ..#.. ..#.. ..#.. ..#.. ..#..  5",
        "  mismatches by j: j=2 (15)",
    ]


def test_a_batch_is_one_diagonal_block_per_sample() -> None:
    # S(Z) of a batch of 3 samples, 4 classes: (B, K, B, K); sample 1's block is wrong
    z = np.random.default_rng(0).standard_normal((3, 4))
    s = softmax_rows(z)
    per_sample = np.einsum("bi,ij->bij", s, np.eye(4)) - np.einsum("bi,bj->bij", s, s)
    analytic = np.einsum("bij,bc->bicj", per_sample, np.eye(3))
    analytic[1, :, 1, :] *= 1.01
    c = gradcheck.check_jacobian(softmax_rows, z, analytic, of="S", wrt="Z")
    assert map_of(str(c)) == [
        "  where the mismatches lie in dS[a, b]/dZ[i, j] (3, 4, 3, 4): rows a, b (a block per a); "
        "columns i, j (a block per i)",
        "  '#' mismatched, '.' within tolerance",
        "             i=0  i=1  i=2",
        *[f"    {'a=0' if b == 0 else '   '} b={b}  .... .... ....  0" for b in range(4)],
        *[f"    {'a=1' if b == 0 else '   '} b={b}  .... #### ....  4" for b in range(4)],
        *[f"    {'a=2' if b == 0 else '   '} b={b}  .... .... ....  0" for b in range(4)],
        "  mismatches by a: a=1 (16); by i: i=1 (16)",
    ]


def test_a_large_jacobian_is_binned_and_the_report_says_how() -> None:
    rng = np.random.default_rng(0)
    numeric = rng.standard_normal((1024, 1000))
    analytic = numeric.copy()
    analytic[:, 3] += 1.0  # one column
    analytic[500:510, 900:] += 1.0  # a patch
    c = compare(analytic, numeric, Naming(wrt="W", in_shape=numeric.shape), Tolerance(rtol=1e-6, atol=1e-8))
    lines = map_of(str(c))
    assert lines[:2] == [
        "  where the mismatches lie in W[i, j] (1024, 1000): rows i; columns j",
        "  binned, a character per up to 44 x 18 entries: '#' all mismatched, '+' some, '.' none",
    ]
    rows = lines[3:-1]
    assert len(rows) <= TEXT_ROWS and all(len(row.split()[1]) <= TEXT_COLS for row in rows)
    assert rows[0] == "    i=0-43       +" + "." * 55 + "  44"
    assert rows[11] == "    i=484-527    +" + "." * 49 + "+" * 6 + "  1044"
    assert rows[-1].startswith("    i=1012-1023  +.")
    assert lines[-1] == "  mismatches by j: j=0-17 (1024), j=900-999 (1000)"
    # the Comparison carries a grid of bounded size, not a mask of the million entries
    grid = c.mismatch_map
    assert grid is not None and grid.counts.size <= mismatch.GRID_ROWS * mismatch.GRID_COLS
    assert int(grid.counts.sum()) == c.mismatched == 1024 + 1000
    assert np.isfinite(grid.ratio).all() and float(grid.ratio.max()) > 1e5


def test_many_blocks_bin_the_blocks_themselves() -> None:
    over = np.zeros((64, 10, 64, 10), dtype=bool)
    over[5, :, 5, :] = True  # sample 5 of 64
    lines = map_lines(mismatch.build(over, None, 2, "S", "Z"))
    assert lines[0] == "  where the mismatches lie in dS[a, b]/dZ[i, j] (64, 10, 64, 10): rows a, b; columns i, j"
    assert lines[1] == "  binned, a character per up to 30 x 10 entries: '#' all mismatched, '+' some, '.' none"
    assert lines[4] == "    a=3-5    ....." + "+" + "." * 58 + "  100"
    assert lines[-1] == "  mismatches by i: i=5 (100)"


def test_the_directional_mode_maps_the_entries_it_located() -> None:
    rng = np.random.default_rng(1)
    x, w = rng.standard_normal(200), rng.standard_normal((200, 10)) * 0.05
    good = np.outer(x, gradcheck.softmax(x @ w) - np.eye(10)[3])
    bad = good.copy()
    bad[150, 7] += 0.05

    def loss(v: np.ndarray) -> np.ndarray:
        z = x @ v
        z = z - z.max(axis=-1, keepdims=True)
        out: np.ndarray = np.log(np.exp(z).sum(axis=-1)) - z[..., 3]
        return out

    c = gradcheck.check_jacobian(loss, w, bad, mode="directional", vectorized=True, wrt="W")
    lines = map_of(str(c))
    assert lines[1].startswith("  '#' holds an entry the bisection located, '.' none located")
    marked = [line for line in lines[3:-1] if "#" in line]
    assert marked == ["    i=144-152  .......#..  1"]
    assert lines[-1] == "  mismatches by j: j=7 (1)"


def test_a_passing_check_and_a_shape_error_carry_no_map() -> None:
    x = np.array([0.1, 0.2, 0.3])
    passed = gradcheck.check_jacobian(np.sin, x, np.diag(np.cos(x)))
    shaped = gradcheck.check_jacobian(np.sin, x, np.cos(x))
    assert passed.mismatch_map is None and shaped.mismatch_map is None
    assert "where the mismatches lie" not in str(passed) + str(shaped)


def test_non_finite_entries_are_mapped() -> None:
    x = np.array([0.1, 0.2, 0.3])
    analytic = np.diag(np.cos(x))
    analytic[2, 0] = np.nan
    lines = map_of(str(gradcheck.check_jacobian(np.sin, x, analytic, of="y")))
    assert lines[2:] == [
        "         i=0",
        "    a=0  ...  0",
        "    a=1  ...  0",
        "    a=2  #..  1",
        "  mismatches by i: i=0 (1)",
    ]
