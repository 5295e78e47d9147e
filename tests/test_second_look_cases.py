"""The second look as a user of case files sees it: `subgradient:`, the diagnosis in the report and
the JSON record, f raising at a perturbed point, a vjp that ignores its cotangent."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pluginrun import run, write

# The plugin's modules (numpy, the YAML reader, the case classes) are imported here, not first
# inside an in-process run of pytest, whose newly imported modules are dropped after it.
import gradcheck.pytest_plugin.items  # noqa: F401

# A user's module: ReLU (a kink at 0), a function that raises away from its point, vjps.
NN = """\
import numpy as np


def relu(x):
    return np.maximum(x, 0.0)


def relu_jacobian(x):
    return np.diag((x > 0).astype(float))


def cubes(x):
    if x[1] > 1.0:
        raise ValueError("x[1] must be at most 1")
    return float(np.sum(x**3))


def cubes_grad(x):
    return 3.0 * x**2


def square(x):
    return float(np.sum(x**2))


def square_vjp_ignoring(cotangent, x):
    return 2.0 * x


def square_vjp(cotangent, x):
    return cotangent * 2.0 * x


def square_vjp_squared(cotangent, x):
    return cotangent**2 * 2.0 * x
"""


def project(pytester: pytest.Pytester, cases: str) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "nnlib/__init__.py", "")
    write(pytester, "nnlib/nn.py", NN)
    write(pytester, "cases/x.yaml", "cases:\n" + cases)


RELU_AT_0 = """\
  - name: relu
    function: nnlib.nn:relu
    jacobian: nnlib.nn:relu_jacobian
    args: {x: [0.0, 0.5, -0.3]}
"""


def test_a_kink_at_x_fails_with_the_one_sided_derivatives_unless_subgradient(pytester: pytest.Pytester) -> None:
    project(pytester, RELU_AT_0 + RELU_AT_0.replace("name: relu", "name: sub") + "    subgradient: true\n")
    result = run(pytester, "--gradcheck-report", "r.json")
    result.assert_outcomes(passed=1, failed=1)
    hint = "hint: not differentiable at drelu[0]/dx[0]: one-sided derivatives 0 (left) and 1 (right), analytic 0"
    assert hint in result.stdout.str()
    records = {r["case"]: r for r in json.loads((pytester.path / "r.json").read_text())["records"]}
    assert (records["relu"]["diagnosis"], records["sub"]["diagnosis"]) == ("kink", None)
    assert records["relu"]["hints"][0].startswith("not differentiable at drelu[0]/dx[0]")
    assert np.isclose(records["relu"]["max_abs_error"], 0.5)  # the central difference straddles the kink


def test_subgradient_must_be_true_or_false(pytester: pytest.Pytester) -> None:
    project(pytester, RELU_AT_0 + "    subgradient: maybe\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cases/x.yaml:6: subgradient: 'maybe' is a string; expected true or false"])


def test_f_raising_at_a_perturbed_point_names_the_entry_and_shows_the_users_frame(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        "  - name: edge\n    function: nnlib.nn:cubes\n    gradient: nnlib.nn:cubes_grad\n    args: {x: [0.5, 1.0]}\n",
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    failures = result.stdout.str().split("= FAILURES =", 1)[1]
    lines = [line.strip() for line in failures.splitlines()]
    first = "cases/x.yaml:3: function: nnlib.nn:cubes raised ValueError at x[1] + 6.1e-06, first pass: x[1] must be"
    assert any(line.startswith(first) for line in lines), failures
    assert 'raise ValueError("x[1] must be at most 1")' in failures  # the user's own frame
    assert "E           ValueError: x[1] must be at most 1" in failures
    assert "nnlib/nn.py:14: ValueError" in failures
    assert "gradcheck/" not in failures and "_pytest" not in failures


def test_a_vjp_that_ignores_its_cotangent_fails_saying_so(pytester: pytest.Pytester) -> None:
    vjp = "  - name: {name}\n    function: nnlib.nn:square\n    vjp: nnlib.nn:{vjp}\n    args: {{x: [0.5, -1.0]}}\n"
    cases = [("ignoring", "square_vjp_ignoring"), ("ok", "square_vjp"), ("squared", "square_vjp_squared")]
    project(pytester, "".join(vjp.format(name=name, vjp=target) for name, target in cases))
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*vjp: nnlib.nn:square_vjp_ignoring ignores its cotangent: vjp(2u) equals vjp(u); it must return u·J*",
            "*vjp: nnlib.nn:square_vjp_squared is not linear in its cotangent: vjp(2u) is not 2 vjp(u)*",
        ]
    )
