"""The bounds that hold across arrays, cases and checks: a case's arrays together, a file's cases
together (a spec in defaults counts for each), the axes of an array, the items of a file, and
the Jacobian a check would hold (gradcheck_max_elements), each refused in one line."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from pluginrun import one_case, run, write

import gradcheck
from gradcheck.casefile import document
from gradcheck.checks.names import BUILTIN_NAMES
from gradcheck.errors import ArgumentError, CaseError
from gradcheck.pytest_plugin import collect

LIMIT = "limit of 1000 for a"

#: Under mylib/: functions with their derivatives, right and wrong.
FUNCTIONS = """\
import numpy as np

M = np.random.default_rng(0).standard_normal((20, 100))


def total(x):
    return float(np.sum(x ** 2))


def total_grad(x):
    return 2 * x


def mix(x):
    return M @ np.tanh(x)


def mix_vjp(dout, x):
    return (dout @ M) * (1 - np.tanh(x) ** 2)


def mix_vjp_wrong(dout, x):
    return (dout @ M) * (1 - np.tanh(x) ** 2) * np.where(np.arange(x.size) == 7, 1.01, 1.0)
"""


def errors(text: str, tmp_path: Path, limit: int = 1000) -> list[str]:
    """The one-line errors of a case file's cases, loaded with gradcheck_max_elements = `limit`."""
    path = tmp_path / "x.yaml"
    path.write_text(text)
    entries = document.load(path, "cases/x.yaml", limits=document.Limits(max_elements=limit))
    return [str(e.case) for e in entries if isinstance(e.case, CaseError)]


def test_a_spec_in_defaults_counts_for_each_case_and_the_file_has_a_total(tmp_path: Path) -> None:
    text = "defaults:\n  function: m:f\n  gradient: m:g\n  args: {x: {shape: [600], seed: 0}}\ncases:\n"
    text += "".join(f"  - name: c{k}\n    step: 0.001\n" for k in range(20))
    found = errors(text, tmp_path)
    assert len(found) == 19  # the first case fits; every later one would pass the file's total
    assert found[0] == (
        "cases/x.yaml:4: args.x: shape [600] has 600 entries, and the file's earlier cases 600: over the "
        f"{LIMIT} file's arrays together (gradcheck_max_elements; a spec in defaults: counts for each case); "
        "split the file or make the arrays smaller"
    )


def test_a_case_s_arrays_count_together(tmp_path: Path) -> None:
    text = (
        "cases:\n  - name: two\n    function: m:f\n    gradient: m:g\n    args:\n"
        "      x: {shape: [600], seed: 0}\n      y: {shape: [20, 30], seed: 1}\n"
    )
    assert errors(text, tmp_path) == [
        "cases/x.yaml:7: args.y: shape [20, 30] has 600 entries, and the case's other arrays 600: over the "
        f"{LIMIT} case's arrays together (gradcheck_max_elements); make them smaller"
    ]


def test_an_object_s_init_arrays_count_with_its_arguments(tmp_path: Path) -> None:
    text = (
        "cases:\n  - name: layer\n    object: m:Dense\n    init: {W: {shape: [30, 30], seed: 0}}\n"
        "    function: forward\n    backward: backward\n    args: {x: {shape: [200], seed: 1}}\n    wrt: W\n"
    )
    (error,) = errors(text, tmp_path)
    assert error.startswith("cases/x.yaml:4: init.W: shape [30, 30] has 900 entries, and the case's other arrays 200")


def test_a_layer_s_label_counts_with_its_arrays(tmp_path: Path) -> None:
    text = (
        "cases:\n  - name: big\n    inputs: 10\n    classes: 20\n    batch: 30\n"
        "    x: {seed: 0}\n    weights: {seed: 1}\n    label: {seed: 2}\n"
    )
    (error,) = errors(text, tmp_path)  # x 300 + W 200, then 600 one-hot labels
    assert error.startswith("cases/x.yaml:8: label: has 600 entries, and the case's other arrays 500: over the")


def test_an_array_of_more_than_32_axes_is_refused_at_its_line(tmp_path: Path) -> None:
    text = f"cases:\n  - name: deep\n    function: m:f\n    gradient: m:g\n    args: {{x: {{shape: {[1] * 33}}}}}\n"
    assert errors(text, tmp_path) == [
        "cases/x.yaml:5: args.x: has 33 axes, over the limit of 32; give an array of fewer axes"
    ]


def test_32_axes_are_allowed(tmp_path: Path) -> None:
    text = "cases:\n  - name: deep\n    function: m:f\n    gradient: m:g\n"
    text += f"    args: {{x: {{shape: {[1] * 32}, seed: 0}}}}\n"
    assert errors(text, tmp_path) == []


def test_a_file_of_too_many_items_is_refused_before_any_is_made(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(collect, "MAX_ITEMS", 12)
    case = "    inputs: 2\n    classes: 2\n    x: [1, 2]\n    weights: [[1, 2], [3, 4]]\n    label: 0\n"
    text = "cases:\n" + "".join(f"  - name: c{k}\n{case}" for k in range(3))  # 3 cases of 5 checks
    write(pytester, "cases/x.yaml", text)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:14: case 'c2' makes the file's item 15, over the limit of 12 items a case file makes "
            "(cases times checks, and names in wrt lists); split it into several files"
        ]
    )


def test_the_item_limit_holds_for_a_real_file_at_its_default(pytester: pytest.Pytester) -> None:
    case = "    inputs: 1\n    classes: 2\n    x: [1]\n    weights: [[1, 2]]\n    label: 0\n    checks: all\n"
    count = collect.MAX_ITEMS // len(BUILTIN_NAMES) + 1  # every built-in check each: just over the limit
    write(pytester, "cases/x.yaml", "cases:\n" + "".join(f"  - name: c{k}\n{case}" for k in range(count)))
    result = run(pytester, "--gradcheck-cases", "cases", "--collect-only", "-q")
    result.stdout.fnmatch_lines(["cases/x.yaml::file", "1 test collected*"])


def project(pytester: pytest.Pytester, case: str, limit: int = 1000) -> pytest.RunResult:
    return one_case(pytester, ("fns", FUNCTIONS), case, ini=f"gradcheck_max_elements = {limit}\n")


def test_a_built_in_check_whose_jacobian_is_over_the_limit_fails_alone(pytester: pytest.Pytester) -> None:
    layer = "inputs: 100\nclasses: 50\nx: {seed: 0}\nweights: {seed: 1, scale: 0.1}\nlabel: 3\nchecks: [layer, chain]"
    result = project(pytester, layer, limit=100_000)
    result.assert_outcomes(passed=1, failed=1)  # chain's Jacobian is W's size: it runs
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:2: dS/dW would be a Jacobian of 250000 entries (S (50,) by W (100, 50)), over the limit "
            "of 100000 (gradcheck_max_elements); check a scalar function of S (a loss), or its vjp or backward, "
            "which is checked through random cotangents"
        ]
    )


def test_mode_full_over_its_size_is_refused_at_the_mode_line(pytester: pytest.Pytester) -> None:
    case = "function: mylib.fns:total\ngradient: mylib.fns:total_grad\n"
    case += "args: {x: {shape: [100001], seed: 0}}\nmode: full"
    result = project(pytester, case, limit=10_000_000)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:6: mode: full estimates each of x's 100001 entries (200002 evaluations of f), over the "
            "limit of 100000 for full mode; use auto or directional, which check x through seeded random projections"
        ]
    )


def test_a_vjp_whose_jacobian_is_over_the_limit_is_checked_through_random_cotangents(
    pytester: pytest.Pytester,
) -> None:
    # 20 outputs by 100 inputs: 2,000 entries assembled, over the limit of 1,000
    right = project(pytester, "function: mylib.fns:mix\nvjp: mylib.fns:mix_vjp\nargs: {x: {shape: [100], seed: 0}}")
    right.assert_outcomes(passed=1)
    wrong = "function: mylib.fns:mix\nvjp: mylib.fns:mix_vjp_wrong\nargs: {x: {shape: [100], seed: 0}}"
    result = project(pytester, wrong)
    result.assert_outcomes(failed=1)
    # random cotangents only (no basis ones), the wrong entry of x found in their products
    result.stdout.fnmatch_lines(["  cotangents whose product differs: 3 of 3 seeded random", "    dx[[]7[]] *"])


def test_check_jacobian_refuses_a_jacobian_over_max_elements_before_it_is_held() -> None:
    calls = []

    def analytic(x: np.ndarray) -> np.ndarray:
        calls.append(x)
        return np.eye(x.size)

    with pytest.raises(ArgumentError, match=r"df/dx would be a Jacobian of 10000 entries \(f \(100,\) by x \(100,\)\)"):
        gradcheck.check_jacobian(np.sin, np.ones(100), analytic, max_elements=9999)
    assert calls == []  # refused before the analytic Jacobian was asked for
    assert gradcheck.check_jacobian(np.sin, np.ones(100), lambda x: np.diag(np.cos(x)), max_elements=10_000).passed
