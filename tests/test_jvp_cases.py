"""Forward mode in case files, as a user runs them: `jvp:` alone (one item), `jvp:` beside `vjp:` or
`backward:` (the items jvp, the other and dot), planted bugs and hard correct cases, the JSON report,
JUnit properties and the text map of a jvp item."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from pluginrun import RECORD_KEYS, docs_project_run, run, sections, write

from gradcheck.cli import sweep as sw

# A user's module: a nonlinear map of a vector through a matrix, and its forward and reverse products.
FWD = """\
import numpy as np


def layer(x, W):
    return np.tanh(W @ x) * 1e3


def layer_jvp(tangent, x, W):
    return (1 - np.tanh(W @ x) ** 2) * (W @ tangent) * 1e3


def layer_jvp_w(tangent, x, W):
    return (1 - np.tanh(W @ x) ** 2) * (tangent @ x) * 1e3


def layer_vjp(cotangent, x, W):
    return W.T @ ((1 - np.tanh(W @ x) ** 2) * cotangent) * 1e3


def layer_vjp_off(cotangent, x, W):
    return 1.001 * layer_vjp(cotangent, x, W)


def layer_vjp_rounded(cotangent, x, W):  # right to 1e-8, as a product summed in float32 would be
    return layer_vjp(cotangent, x, W) * (1 + 1e-8)


def layer_jvp_column(tangent, x, W):
    out = layer_jvp(tangent, x, W)
    out[2] += 50.0 * tangent[1]
    return out


def layer_jvp_ignores(tangent, x, W):
    return layer_jvp(np.ones_like(tangent), x, W)


def square(x):
    return np.sin(np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [2.0, 0.0, 1.0]]) @ x)


def square_jvp_transposed(tangent, x):
    A = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0], [2.0, 0.0, 1.0]])
    return A.T @ (np.cos(A @ x) * tangent)


def first(tangent, x, W):
    return tangent


class Scaled:
    def __init__(self, k):
        self.k = k

    def forward(self, x):
        self.x = x
        return self.k * x**3

    def jvp(self, tangent, x):
        return 3 * self.k * x**2 * tangent

    def backward(self, dout):
        return 3 * self.k * self.x**2 * dout
"""

ARGS = "args: {x: {shape: [3], seed: 0}, W: {shape: [4, 3], seed: 1, scale: 0.5}}"


def case(name: str, *lines: str) -> str:
    return f"  - name: {name}\n" + "".join(f"    {line}\n" for line in lines)


def project(pytester: pytest.Pytester, cases: str) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "fwd/__init__.py", "")
    write(pytester, "fwd/maps.py", FWD)
    write(pytester, "cases/x.yaml", "cases:\n" + cases)


def records(pytester: pytest.Pytester) -> dict[str, dict[str, object]]:
    loaded = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))["records"]
    return {str(r["id"]).split("::", 1)[1]: r for r in loaded}


def test_a_pair_makes_three_items_and_a_wrong_vjp_fails_its_own_and_the_dot_test(pytester: pytest.Pytester) -> None:
    text = case(
        "pair", "function: fwd.maps:layer", "jvp: fwd.maps:layer_jvp", "vjp: fwd.maps:layer_vjp", ARGS, "wrt: x"
    )
    text += case(
        "wrong", "function: fwd.maps:layer", "jvp: fwd.maps:layer_jvp", "vjp: fwd.maps:layer_vjp_off", ARGS, "wrt: x"
    )
    text += case("alone", "function: fwd.maps:layer", "jvp: fwd.maps:layer_jvp_w", ARGS, "wrt: W")
    project(pytester, text)
    result = run(pytester, "-v", "--gradcheck-report", "r.json", "--junitxml=out.xml")
    result.assert_outcomes(passed=5, failed=2)
    got = records(pytester)
    assert list(got) == ["pair[jvp]", "pair[vjp]", "pair[dot]", "wrong[jvp]", "wrong[vjp]", "wrong[dot]", "alone[jvp]"]
    assert {k: r["outcome"] for k, r in got.items() if r["outcome"] != "passed"} == {
        "wrong[vjp]": "failed",
        "wrong[dot]": "failed",
    }
    assert all(list(r) == RECORD_KEYS for r in got.values())
    assert (got["pair[jvp]"]["check"], got["pair[jvp]"]["total"], got["pair[jvp]"]["mode"]) == ("jvp", 12, "full")
    assert (got["wrong[dot]"]["check"], got["wrong[dot]"]["mismatched"], got["wrong[dot]"]["mode"]) == ("dot", 3, "dot")
    assert got["wrong[dot]"]["diagnosis"] == "bug" and got["alone[jvp]"]["total"] == 4 * 12
    root = ET.parse(pytester.path / "out.xml").getroot()
    props = {
        tc.get("name"): {p.get("name"): p.get("value") for p in tc.iter("property")} for tc in root.iter("testcase")
    }
    assert props["wrong[dot]"]["mismatched"] == "3" and props["pair[jvp]"]["mismatched"] == "0"
    result.stdout.fnmatch_lines(
        [
            "*dot fwd.maps:layer_jvp · fwd.maps:layer_vjp_off of case 'wrong'*FAILED",
            "*dot-product test, no finite differences*",
            "*hint: fwd.maps:layer_jvp and fwd.maps:layer_vjp_off are not transposes of each other*",
        ]
    )


def test_a_wrong_column_is_named_and_mapped_in_the_jacobians_terms(pytester: pytest.Pytester) -> None:
    project(pytester, case("col", "function: fwd.maps:layer", "jvp: fwd.maps:layer_jvp_column", ARGS, "wrt: x"))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "jvp fwd.maps:layer_jvp_column of case 'col' (cases/x.yaml:2): FAILED" in out
    assert "1 of 12 entries differ" in out and "\n    dlayer[2]/dx[1]  " in out
    assert "where the mismatches lie in dlayer[a]/dx[i] (4, 3)" in out and "    a=2  .#.  1\n" in out


def test_a_dot_item_takes_the_cases_rtol_and_its_own_without_one(pytester: pytest.Pytester) -> None:
    pair = "function: fwd.maps:layer", "jvp: fwd.maps:layer_jvp", "vjp: fwd.maps:layer_vjp_rounded", ARGS, "wrt: x"
    project(pytester, case("strict", *pair) + case("stated", *pair, "rtol: 1.0e-6"))
    result = run(pytester, "-v", "-k", "dot", "--gradcheck-report", "r.json")
    result.assert_outcomes(passed=1, failed=1, deselected=4)
    got = records(pytester)
    assert (got["strict[dot]"]["outcome"], got["strict[dot]"]["rtol"]) == ("failed", 1e-10)
    assert (got["stated[dot]"]["outcome"], got["stated[dot]"]["rtol"]) == ("passed", 1e-6)


def test_a_transposed_jvp_and_one_that_ignores_its_tangent_say_so(pytester: pytest.Pytester) -> None:
    text = case("t", "function: fwd.maps:square", "jvp: fwd.maps:square_jvp_transposed", "args: {x: [0.3, -0.2, 0.5]}")
    text += case("ignores", "function: fwd.maps:layer", "jvp: fwd.maps:layer_jvp_ignores", ARGS, "wrt: x")
    project(pytester, text)
    result = run(pytester)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*hint: the jvp returns Jᵀ·v, what a vjp returns, not J·v*"])
    result.stdout.fnmatch_lines(["*jvp: fwd.maps:layer_jvp_ignores ignores its tangent: jvp(2v) equals jvp(v)*"])


def test_an_object_gives_its_jvp_and_backward_as_methods(pytester: pytest.Pytester) -> None:
    text = case(
        "obj", "object: fwd.maps:Scaled", "init: {k: 2.5}", "function: forward", "jvp: jvp", "backward: backward",
        "args: {x: {shape: [5], seed: 3}}",
    )  # fmt: skip
    project(pytester, text)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*obj[[]jvp[]] PASSED*", "*obj[[]backward[]] PASSED*", "*obj[[]dot[]] PASSED*"])


@pytest.mark.parametrize(
    ("lines", "items", "message"),
    [
        (
            ["jvp: fwd.maps:layer_jvp", "jacobian: fwd.maps:layer_jvp"],
            1,
            "jacobian: give only one of jacobian:, gradient:, vjp:, backward:, jvp:, elementwise:, hessian: or hvp: "
            "(or jvp: beside vjp: or backward:, gradient: beside hessian: or hvp:); this case has jacobian, jvp*",
        ),
        (["jvp: fwd.maps:layer_jvp", "wrt: [x, W]"], 2, "wrt: a jvp takes the tangent of one argument*"),
        (
            ["jvp: fwd.maps:first", "wrt: x"],
            1,
            "jvp: fwd.maps:first returned shape (3,); expected f.shape (4,), J·v for a tangent of x.shape (3,)",
        ),
        (["jvp: fwd.maps:layer_vjp", "wrt: W"], 1, "jvp: fwd.maps:layer_vjp raised*"),
    ],
)
def test_a_mistake_in_a_jvp_case_is_one_line(
    pytester: pytest.Pytester, lines: list[str], items: int, message: str
) -> None:
    project(pytester, case("bad", "function: fwd.maps:layer", ARGS, *lines))
    result = run(pytester)
    result.assert_outcomes(failed=items)  # a wrt list: each of its items says it
    result.stdout.fnmatch_lines([f"*{message}"])


def test_mode_directional_or_a_large_x_takes_seeded_random_tangents(pytester: pytest.Pytester) -> None:
    text = case("along", "function: fwd.maps:layer", "jvp: fwd.maps:layer_jvp", ARGS, "wrt: x", "mode: directional")
    text += case(
        "large", "object: fwd.maps:Scaled", "init: {k: 0.5}", "function: forward", "jvp: jvp",
        "args: {x: {shape: [1100], seed: 4}}",
    )  # fmt: skip
    project(pytester, text)
    run(pytester, "--gradcheck-report", "r.json").assert_outcomes(passed=2)
    got = records(pytester)
    assert (got["along[jvp]"]["total"], got["large[jvp]"]["total"]) == (4 * 3, 1100 * 3)


def test_the_docs_worked_case_fails_as_its_page_says(pytester: pytest.Pytester) -> None:
    result = docs_project_run(pytester, "second-order", "cases/forward.yaml")
    result.assert_outcomes(passed=4, failed=2)
    shown = sections(result)
    ran = shown["mix-transposed[jvp]"] + shown["mix-transposed[dot]"]
    assert any(line.startswith("  hint: the jvp returns Jᵀ·v") for line in ran)


def test_a_jvp_item_sweeps_and_a_dot_item_says_it_has_no_step(pytester: pytest.Pytester) -> None:
    pair = ("function: fwd.maps:layer", "jvp: fwd.maps:layer_jvp_column", "vjp: fwd.maps:layer_vjp")
    project(pytester, case("pair", *pair, ARGS, "wrt: x"))
    _, check = sw.load_check(f"{pytester.path}/cases/x.yaml::pair[jvp]")
    curves = sw.sweep_check(check, entries=1).curves
    assert [c.name for c in curves] == ["dlayer[2]/dx[1]"] and min(curves[0].errors) > 10  # the wrong column
    with pytest.raises(ValueError, match=r"pair\[dot\] is a dot-product test, with no step to sweep"):
        sw.load_check(f"{pytester.path}/cases/x.yaml::pair[dot]")
