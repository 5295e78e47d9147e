"""A backward, vjp or elementwise check reports in the shape the user wrote: `dw[1, 3]` of one
cotangent's product (which cotangent, and how many others fail), `fn'(z)[0, 1]` of an elementwise
derivative, each with its map in x's shape; and the basis and seeded random cotangents each catch
a bug the other misses."""

from __future__ import annotations

import json

import pytest
from pluginrun import run, sections, write

LAYER = """\
import numpy as np


def dense_forward(x, w):
    return x @ w, (x, w)


def dense_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout


def dense_backward_short(dout, cache):
    x, w = cache
    dw = np.zeros_like(w)
    for j in range(w.shape[1] - 1):  # the loop over the columns stops one short
        dw[:, j] = x.T @ dout[:, j]
    return dout @ w.T, dw


def scaled(x):
    return np.array([1e4 * x[0], 1e-3 * x[0]])


def scaled_vjp_small_off(u, x):
    return np.array([1e4 * u[0] + 1.1e-3 * u[1]])  # the small entry of the Jacobian 10 % off


def sine(x):
    return np.sin(x)


def sine_vjp_abs(u, x):
    return np.abs(u) * np.cos(x)  # right for the basis cotangents (positive), wrong for others


def sine_prime(x):
    return np.cos(x)


def sine_prime_off(x):
    d = np.cos(x)
    d[1, 2] *= 1.01
    return d


def coupled(x):
    return x + 0.1 * np.roll(x, 1)


def coupled_prime(x):
    return np.ones_like(x)
"""

DENSE = "args: {x: {shape: [4, 3], seed: 0}, w: {shape: [3, 4], seed: 1}}\n    wrt: [x, w]\n"


def case(name: str, *lines: str) -> str:
    return f"  - name: {name}\n" + "".join(f"    {line}\n" for line in lines)


def project(pytester: pytest.Pytester, cases: str) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "mylib/__init__.py", "")
    write(pytester, "mylib/layer.py", LAYER)
    write(pytester, "cases/x.yaml", "cases:\n" + cases)


def records(pytester: pytest.Pytester) -> list[dict[str, object]]:
    records: list[dict[str, object]] = json.loads((pytester.path / "report.json").read_text())["records"]
    return records


def test_a_backward_check_reports_the_entries_of_dw_for_one_cotangent(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        case("right", "function: mylib.layer:dense_forward", "backward: mylib.layer:dense_backward", DENSE)
        + case("short", "function: mylib.layer:dense_forward", "backward: mylib.layer:dense_backward_short", DENSE),
    )
    result = run(pytester, "--gradcheck-report", "report.json")
    result.assert_outcomes(passed=3, failed=1)  # dx of the short loop is right
    report = sections(result)["short[backward:w]"]
    assert report[2:5] == [
        "  3 of 12 entries of dw for cotangent 1 of 3 (seeded random) differ beyond rtol=1e-06, atol=1e-08",
        report[3],
        "  cotangents whose product differs: 3 of 3 seeded random, 4 of 16 basis (one per entry of dense_forward)",
    ]
    worst = report[report.index("  worst entries:") + 2 : report.index("  worst entries:") + 5]
    assert sorted(line.split()[0] for line in worst) == ["dw[0,", "dw[1,", "dw[2,"]
    assert all(line.split()[1] == "3]" and float(line.split()[2]) == 0.0 for line in worst)
    assert "  hint: every mismatched entry lies in the slice [:, 3]" in report
    start = report.index("  where the mismatches lie in dw[i, j] (3, 4): rows i; columns j")
    assert report[start + 3 : start + 6] == ["    i=0  ...#  1", "    i=1  ...#  1", "    i=2  ...#  1"]
    got = next(r for r in records(pytester) if r["id"] == "cases/x.yaml::short[backward:w]")
    assert (got["mismatched"], got["total"], got["passed"]) == (3, 12, False)
    # the second look's counts in the same entries of dw: 3 failed the first comparison, 3 confirmed
    assert (got["failed_first"], got["looked_again"], got["confirmed"]) == (3, 3, 3)


def test_the_basis_cotangents_catch_a_small_entry_that_random_ones_do_not(pytester: pytest.Pytester) -> None:
    vjp = "vjp: mylib.layer:scaled_vjp_small_off"
    project(pytester, case("small", "function: mylib.layer:scaled", vjp, "args: {x: [0.5]}"))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    report = sections(result)["small[vjp]"]
    assert report[2] == (
        "  1 of 1 entries of dx for the basis cotangent at scaled[1] differ beyond rtol=1e-06, atol=1e-08"
    )
    assert report[4] == (
        "  cotangents whose product differs: 0 of 3 seeded random, 1 of 2 basis (one per entry of scaled)"
    )


def test_the_random_cotangents_catch_a_vjp_that_is_right_for_basis_ones_alone(pytester: pytest.Pytester) -> None:
    args = "args: {x: {shape: [4], seed: 3}}"
    project(pytester, case("abs", "function: mylib.layer:sine", "vjp: mylib.layer:sine_vjp_abs", args))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    report = sections(result)["abs[vjp]"]
    assert report[2].endswith("entries of dx for cotangent 1 of 3 (seeded random) differ beyond rtol=1e-06, atol=1e-08")
    assert report[4] == "  cotangents whose product differs: 3 of 3 seeded random, 0 of 4 basis (one per entry of sine)"


def test_an_elementwise_check_names_the_entries_of_its_derivative_in_x_shape(pytester: pytest.Pytester) -> None:
    args = "args: {x: {shape: [2, 3], seed: 4}}"
    project(
        pytester,
        case("right", "function: mylib.layer:sine", "elementwise: mylib.layer:sine_prime", args)
        + case("wrong", "function: mylib.layer:sine", "elementwise: mylib.layer:sine_prime_off", args),
    )
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    report = sections(result)["wrong[elementwise]"]
    assert report[2] == "  1 of 6 entries of sine'(x) differ beyond rtol=1e-06, atol=1e-08"
    assert report[report.index("  worst entries:") + 2].split()[:2] == ["sine'(x)[1,", "2]"]
    start = report.index("  where the mismatches lie in sine'(x)[i, j] (2, 3): rows i; columns j")
    assert report[start + 3 : start + 5] == ["    i=0  ...  0", "    i=1  ..#  1"]


def test_an_f_that_is_not_elementwise_is_told_so(pytester: pytest.Pytester) -> None:
    args = "args: {x: [0.1, 0.2, 0.3]}"
    project(pytester, case("coupled", "function: mylib.layer:coupled", "elementwise: mylib.layer:coupled_prime", args))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    report = sections(result)["coupled[elementwise]"]
    assert report[2] == "  3 of 9 entries differ beyond rtol=1e-06, atol=1e-08"
    assert (
        "  hint: f is not elementwise: its output moves with other entries of x than its own, at 3 entries off the "
        "diagonal (such as dcoupled[0]/dx[2]); an elementwise: derivative cannot say that: use jacobian:, vjp: or "
        "backward:"
    ) in report
