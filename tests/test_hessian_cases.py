"""Second order in case files, as a user runs them: `gradient:` beside `hessian:` or `hvp:` (the items
gradient and hessian, the gradient checked again inside the hessian's), either alone (second
differences of f), planted bugs and hard correct cases, the JSON report, and the worked case of the docs."""

from __future__ import annotations

import json

import pytest
from pluginrun import docs_project_run, one_case, run, sections, write
from test_jvp_cases import case

from gradcheck.cli import sweep as sw

# A user's module: a quadratic form through a matrix that is not symmetric, plus curvature of its own.
FORMS = """\
import numpy as np


def form(x, N):
    return x @ N @ x + np.sum(np.cos(x))


def form_grad(x, N):
    return (N + N.T) @ x - np.sin(x)


def form_grad_twice(x, N):
    return 2 * form_grad(x, N)


def form_hess(x, N):
    return N + N.T - np.diag(np.cos(x))


def form_hess_2n(x, N):
    return 2 * N - np.diag(np.cos(x))


def form_hess_diagonal(x, N):
    return np.diag(np.diag(form_hess(x, N)))


def form_hvp(tangent, x, N):
    return form_hess(x, N) @ tangent


def form_hvp_half(tangent, x, N):
    return 0.5 * form_hvp(tangent, x, N)


def logits(z):
    m = np.max(z)
    return m + np.log(np.sum(np.exp(z - m)))


def logits_hess(z):
    e = np.exp(z - np.max(z))
    s = e / e.sum()
    return np.diag(s) - np.outer(s, s)


def form_hess_sign(x, N):  # the cross term d2f/dx[0]dx[2] with its sign flipped, both ways
    h = form_hess(x, N)
    h[0, 2], h[2, 0] = -h[0, 2], -h[2, 0]
    return h


L = np.array([[1.0, 2.0], [-0.5, 1.5]])
R = np.array([[2.0, 0.3, -1.0], [0.0, 1.0, 0.5], [0.7, -0.2, 3.0]])


def trace_form(W):  # tr(Wᵀ L W R), neither L nor R symmetric
    return np.trace(W.T @ L @ W @ R)


def trace_form_hess(W):
    return np.einsum("ik,lj->ijkl", L, R) + np.einsum("ki,jl->ijkl", L, R)


def trace_form_hess_transposed(W):
    return trace_form_hess(W).transpose(0, 3, 2, 1)


class Energy:
    def __init__(self, scale):
        self.scale = scale

    def value(self, W):
        return self.scale * np.sum(W**4)

    def hessian(self, W):
        return np.diag((12 * self.scale * W**2).reshape(-1)).reshape(W.shape + W.shape)
"""

ARGS = "args: {x: [0.5, -0.3, 0.8], N: [[1.0, 2.0, 0.0], [0.0, 1.0, -1.0], [3.0, 0.0, 2.0]]}"


def project(pytester: pytest.Pytester, cases: str) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "sec/__init__.py", "")
    write(pytester, "sec/forms.py", FORMS)
    write(pytester, "cases/x.yaml", "cases:\n" + cases)


def form(name: str, *lines: str) -> str:
    return case(name, "function: sec.forms:form", *lines, ARGS, "wrt: x")


def test_a_gradient_beside_a_hessian_makes_two_items_and_the_bugs_fail_in_second_order_terms(
    pytester: pytest.Pytester,
) -> None:
    text = form("pair", "gradient: sec.forms:form_grad", "hessian: sec.forms:form_hess")
    text += form("two-n", "gradient: sec.forms:form_grad", "hessian: sec.forms:form_hess_2n")
    text += form("cross", "hessian: sec.forms:form_hess_diagonal")
    text += form("half", "gradient: sec.forms:form_grad", "hvp: sec.forms:form_hvp_half")
    text += form("hvp", "hvp: sec.forms:form_hvp")
    project(pytester, text)
    result = run(pytester, "-v", "--gradcheck-report", "r.json")
    result.assert_outcomes(passed=5, failed=3)
    loaded = json.loads((pytester.path / "r.json").read_text(encoding="utf-8"))["records"]
    got = {str(r["id"]).split("::", 1)[1]: r for r in loaded}
    assert list(got) == [
        "pair[gradient]",
        "pair[hessian]",
        "two-n[gradient]",
        "two-n[hessian]",
        "cross[hessian]",
        "half[gradient]",
        "half[hvp]",
        "hvp[hvp]",
    ]
    assert [k for k, r in got.items() if r["outcome"] == "failed"] == ["two-n[hessian]", "cross[hessian]", "half[hvp]"]
    shown = sections(result)
    assert any("not symmetric" in line and "N + Nᵀ, not 2N" in line for line in shown["two-n[hessian]"])
    assert any("cross terms" in line for line in shown["cross[hessian]"])
    assert any("second differences of f" in line for line in shown["cross[hessian]"])
    assert any("analytic = 0.5 * numeric" in line for line in shown["half[hvp]"])
    assert any("d2form/dx[" in line for line in shown["two-n[hessian]"])


def test_one_cross_terms_sign_and_a_matrix_hessians_transposed_blocks_fail_from_yaml(pytester: pytest.Pytester) -> None:
    text = form("sign", "gradient: sec.forms:form_grad", "hessian: sec.forms:form_hess_sign")
    matrix = "function: sec.forms:trace_form", "args: {W: [[0.5, -1.0, 0.3], [1.5, 0.2, -0.4]]}", "wrt: W"
    text += case("trace", *matrix, "hessian: sec.forms:trace_form_hess")
    text += case("trace-t", *matrix, "hessian: sec.forms:trace_form_hess_transposed")
    project(pytester, text)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2, failed=2)
    shown = sections(result)
    assert set(shown) == {"sign[hessian]", "trace-t[hessian]"}
    assert any("d2form/dx[0]dx[2]" in line for line in shown["sign[hessian]"])
    assert any("analytic[i, j, k, l] = numeric[i, l, k, j]" in line for line in shown["trace-t[hessian]"])
    assert any("d2trace_form/dW[" in line for line in shown["trace-t[hessian]"])


def test_a_wrong_gradient_fails_its_own_item_and_the_hessians(pytester: pytest.Pytester) -> None:
    project(pytester, form("wrong", "gradient: sec.forms:form_grad_twice", "hessian: sec.forms:form_hess"))
    result = run(pytester)
    result.assert_outcomes(failed=2)
    assert any(
        "is wrong (below)" in line and "fix the gradient first" in line for line in sections(result)["wrong[hessian]"]
    )


def test_large_logits_and_a_matrix_parameter_of_an_object_pass(pytester: pytest.Pytester) -> None:
    text = case(
        "big", "function: sec.forms:logits", "hessian: sec.forms:logits_hess", "args: {z: [250.0, 248.5, 251.0]}"
    )
    text += case(
        "energy",
        "object: sec.forms:Energy",
        "init: {scale: 0.25}",
        "function: value",
        "hessian: hessian",
        "args: {W: [[0.5, -1.0], [1.5, 0.2]]}",
    )
    project(pytester, text)
    run(pytester).assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            ["function: mylib.f:vector", "hessian: mylib.f:vector_h", "args: {x: [1.0, 2.0]}"],
            "*a hessian: case needs a scalar function*",
        ),
        (
            ["function: mylib.f:scalar", "hessian: mylib.f:vector", "args: {x: [1.0, 2.0]}"],
            "*returned shape (2,); expected (2, 2)*",
        ),
        (["function: mylib.f:scalar", "hessian: returned", "args: {x: [1.0, 2.0]}"], "*returned applies to*"),
    ],
)
def test_a_mistake_in_a_hessian_case_is_one_line(pytester: pytest.Pytester, lines: list[str], message: str) -> None:
    module = (
        "import numpy as np\n\n\ndef scalar(x):\n    return x @ x\n\n\ndef vector(x):\n    return 2 * x\n\n\n"
        "def vector_h(x):\n    return np.eye(2)\n"
    )
    result = one_case(pytester, ("f", module), "\n".join(lines))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message])


def test_a_hessian_item_has_no_step_to_sweep(pytester: pytest.Pytester) -> None:
    project(pytester, form("pair", "gradient: sec.forms:form_grad", "hessian: sec.forms:form_hess"))
    _, check = sw.load_check(f"{pytester.path}/cases/x.yaml::pair[gradient]")
    assert check.x.shape == (3,)
    with pytest.raises(ValueError, match=r"pair\[gradient\]"):
        sw.load_check(f"{pytester.path}/cases/x.yaml::pair[hessian]")


def test_the_docs_worked_case_fails_as_its_page_says(pytester: pytest.Pytester) -> None:
    result = docs_project_run(pytester, "second-order", "cases/second.yaml")
    result.assert_outcomes(passed=4, failed=1)
    shown = sections(result)["energy-2n[hessian]"]
    assert any("N + Nᵀ, not 2N" in line for line in shown)
