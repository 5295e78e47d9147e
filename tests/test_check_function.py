"""check_function: a function case from Python, read and built as a case file's is; one Comparison
per name in wrt, the case file's messages with the keyword in place of `path:line`."""

from __future__ import annotations

import copy
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import gradcheck
from gradcheck.casefile import document
from gradcheck.casefile.function import FunctionCase
from gradcheck.errors import ArgumentError, CaseError, FunctionError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "python_api" / "check_backward.py"

RNG = np.random.default_rng(3)
ARGS = {"x": RNG.normal(size=(4, 3)), "W": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)}


def affine(x: Any, W: Any, b: Any) -> Any:
    return x @ W + b, (x, W)


def affine_backward(dout: Any, cache: Any) -> dict[str, Any]:
    x, W = cache
    return {"x": dout @ W.T, "W": x.T @ dout, "b": dout.sum(axis=0)}


def affine_backward_db_off(dout: Any, cache: Any) -> dict[str, Any]:
    return {**affine_backward(dout, cache), "b": 1.01 * dout.sum(axis=0)}


def test_a_backward_pair_passes_for_every_name_in_wrt() -> None:
    results = gradcheck.check_function(affine, args=ARGS, wrt=["x", "W", "b"], backward=affine_backward)
    assert isinstance(results, gradcheck.Comparisons)
    assert list(results) == ["x", "W", "b"] and len(results) == 3
    assert results and results.passed and all(isinstance(c, gradcheck.Comparison) for c in results.values())
    assert repr(results) == "<Comparisons x: passed, W: passed, b: passed>"
    assert results["W"].title == f"gradcheck: backward:W {__name__}:affine_backward"


def test_a_planted_bug_fails_its_name_only_and_the_reports_follow_each_other() -> None:
    results = gradcheck.check_function(affine, args=ARGS, wrt=["x", "W", "b"], backward=affine_backward_db_off)
    assert not results and [name for name, c in results.items() if not c] == ["b"]
    assert repr(results) == "<Comparisons x: passed, W: passed, b: FAILED>"
    assert results.report() == str(results) == "\n\n".join(c.report() for c in results.values())
    assert "hint: analytic = 1.01 * numeric: off by a constant factor" in results["b"].report()
    page = results._repr_html_()
    assert page.count('<div class="gradcheck-report">') == 3 and "backward:b" in page


def tanh(x: Any) -> Any:
    return np.tanh(x)


def tanh_grad(x: Any) -> Any:
    return 1 - np.tanh(x) ** 2


X = np.linspace(-1.0, 1.0, 5)
KINDS = [
    ("jacobian", tanh, {"jacobian": lambda x: np.diag(tanh_grad(x))}),
    ("gradient", lambda x: np.sum(np.tanh(x)), {"gradient": tanh_grad}),
    ("vjp", tanh, {"vjp": lambda u, x: u * tanh_grad(x)}),
    ("elementwise", tanh, {"elementwise": tanh_grad}),
    ("returned", lambda x: (np.sum(np.tanh(x)), tanh_grad(x)), {"gradient": "returned"}),
    ("vectorized", tanh, {"jacobian": lambda x: np.diag(tanh_grad(x)), "vectorized": True, "order": "F"}),
]


@pytest.mark.parametrize(("function", "derivative"), [k[1:] for k in KINDS], ids=[k[0] for k in KINDS])
def test_every_kind_of_derivative_passes_and_a_wrong_one_fails(function: Any, derivative: dict[str, Any]) -> None:
    assert gradcheck.check_function(function, args={"x": X}, **derivative)
    (key, good), *rest = derivative.items()
    if good == "returned":
        wrong = gradcheck.check_function(
            lambda x: (np.sum(np.tanh(x)), 1.1 * tanh_grad(x)), args={"x": X}, **derivative
        )
    else:
        off = {key: lambda *a, **k: 1.1 * good(*a, **k)}
        wrong = gradcheck.check_function(function, args={"x": X}, **off, **dict(rest))
    assert not wrong and not wrong["x"]


class Dense:
    """A layer keeping its cache and gradients on itself, as a case file's object: may."""

    def __init__(self, n: int, k: int) -> None:
        self.W = np.random.standard_normal((n, k))
        self.b = np.zeros(k)

    def forward(self, x: Any) -> Any:
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout: Any) -> Any:
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


def test_an_object_is_a_class_made_with_init_or_an_object_copied_for_every_check() -> None:
    options: dict[str, Any] = {"args": {"x": ARGS["x"]}, "backward": "backward", "gradients": {"W": "dW", "b": "db"}}
    made = gradcheck.check_function("forward", object=Dense, init={"n": 3, "k": 2}, wrt=["x", "W", "b"], **options)
    assert repr(made) == "<Comparisons x: passed, W: passed, b: passed>"
    layer = Dense(3, 2)
    before = copy.deepcopy(layer.__dict__)
    given = gradcheck.check_function("forward", object=layer, wrt=["W", "b"], **options)
    assert given and list(given) == ["W", "b"]
    assert layer.__dict__.keys() == before.keys() and np.array_equal(layer.W, before["W"])  # never called itself


def case_file_error(tmp_path: Path, case: str) -> str:
    """The message (after `path:line: `) of a case file holding `case` (YAML lines of one case)."""
    path = tmp_path / "x.yaml"
    path.write_text("cases:\n  - name: c\n" + "".join(f"    {line}\n" for line in case.splitlines()))
    (entry,) = document.load(path, "x.yaml")
    assert isinstance(entry.case, CaseError)
    return entry.case.message


#: Mistakes written both ways: (check_function's keywords, the same case's YAML lines).
MISTAKES = [
    # wrt: Q differs by design: a case file's message names the global in f's module (m:Q), Python's, whose
    # f is no module:attribute, an example (test_the_documented_message_for_a_name_that_is_not_an_argument)
    ({"wrt": ["x", "x"]}, "wrt: [x, x]"),
    ({"wrt": []}, "wrt: []"),
    ({}, ""),
    ({"wrt": "x", "gradient": tanh_grad}, "wrt: x\ngradient: m:g"),
    ({"wrt": "x", "rtol": -1.0}, "wrt: x\nrtol: -1.0"),
    ({"wrt": "x", "scheme": "centrl"}, "wrt: x\nscheme: centrl"),
    ({"wrt": "x", "order": "F"}, "wrt: x\norder: F"),
    ({"wrt": "x", "init": {"n": 3}}, "wrt: x\ninit: {n: 3}"),
    ({"wrt": "x", "gradients": {"x": "dx"}}, "wrt: x\ngradients: {x: dx}"),
    ({"wrt": "x", "dtype": "float16"}, "wrt: x\ndtype: float16"),
]


@pytest.mark.parametrize(("keywords", "yaml"), MISTAKES, ids=[y.replace("\n", "; ") or "no wrt" for _, y in MISTAKES])
def test_a_mistake_says_what_the_case_file_says_naming_the_keyword(
    tmp_path: Path, keywords: dict[str, Any], yaml: str
) -> None:
    expected = case_file_error(
        tmp_path, f"function: m:f\nbackward: m:b\nargs: {{x: [1.0], W: [2.0], b: [3.0]}}\n{yaml}"
    )
    with pytest.raises(ArgumentError) as raised:
        gradcheck.check_function(affine, args=ARGS, backward=affine_backward, **keywords)
    assert str(raised.value) == f"check_function: {expected}"
    assert raised.value.argument == expected.split(":", 1)[0]


def test_the_documented_message_for_a_name_that_is_not_an_argument() -> None:
    with pytest.raises(
        ArgumentError,
        match=re.escape(
            "check_function: wrt: 'Q' is not an argument nor a module's global, named with its module: "
            "e.g. mylib.rnn:Q; "
            "expected one of W, b"
        ),
    ):
        gradcheck.check_function(lambda W, b: W + b, args={"W": X, "b": X}, wrt="Q", jacobian=np.eye)


def test_what_only_python_can_get_wrong_is_one_line_too() -> None:
    with pytest.raises(
        ArgumentError, match=r"^check_function: backward: an int \(42\) is not callable; expected a function$"
    ):
        gradcheck.check_function(affine, args=ARGS, wrt="x", backward=42)
    with pytest.raises(ArgumentError, match=r"^check_function: backward: with object: .*Dense, name its method, e.g."):
        gradcheck.check_function("forward", object=Dense, init={"n": 3, "k": 2}, args={"x": X}, backward=tanh_grad)
    with pytest.raises(ArgumentError, match=r"^check_function: init: applies to a class only; an object given is"):
        gradcheck.check_function("forward", object=Dense(3, 2), init={"n": 3}, args={"x": X}, backward="backward")


def test_code_that_raises_is_named_with_its_exception_as_the_cause() -> None:
    def refuses(x: Any) -> Any:
        raise ValueError("x must be positive")

    with pytest.raises(ArgumentError) as raised:
        gradcheck.check_function(refuses, args={"x": X}, gradient=tanh_grad)
    assert (
        str(raised.value)
        == f"check_function: function: {__name__}:{refuses.__qualname__} raised ValueError: x must be positive"
    )
    assert isinstance(raised.value.__cause__, ValueError)

    def wrong_shape(x: Any) -> Any:
        return np.ones(2)

    with pytest.raises(
        ArgumentError, match=r"gradient: .*wrong_shape returned shape \(2,\); expected \(5,\), from x.shape"
    ):
        gradcheck.check_function(lambda x: np.sum(x), args={"x": X}, gradient=wrong_shape)


def test_an_exception_at_a_perturbed_point_is_a_function_error() -> None:
    def cliff(x: Any) -> Any:
        if not np.array_equal(x, X):
            raise ArithmeticError("moved")
        return np.tanh(x)

    with pytest.raises(
        FunctionError, match=r"^check_function: function: .*cliff raised ArithmeticError at x\[0\]"
    ) as raised:
        gradcheck.check_function(cliff, args={"x": X}, elementwise=tanh_grad)
    assert isinstance(raised.value.cause, ArithmeticError)


def page_block_after(marker: str) -> str:
    """The first ```python block after the line `marker` in the documentation's page on Python tests."""
    text = (ROOT / "docs" / "how-to" / "python.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text[text.index(marker) :], re.DOTALL)
    assert block is not None
    return block.group(1)


def test_the_example_passes_then_fails_on_its_planted_bug() -> None:
    # what the page shows of its output is made by running it (tests/docpages.py, tests/test_docs.py)
    ran = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, check=True, cwd=ROOT)
    assert ran.stdout.splitlines()[:2] == [
        "<Comparisons x: passed, W: passed, b: passed>",
        "<Comparisons x: passed, W: passed, b: FAILED>",
    ]


def test_the_docs_check_a_backward_pair_in_three_lines() -> None:
    code = page_block_after("A backward pair in three lines:")
    assert len(code.splitlines()) == 3
    namespace = {"gradcheck": gradcheck, "dense_forward": affine, "dense_backward": affine_backward, **ARGS}
    exec(compile(code, "python.md", "exec"), namespace)  # the page's own lines, run
    assert namespace["results"].passed
    namespace["dense_backward"] = affine_backward_db_off
    with pytest.raises(AssertionError, match="backward:b"):
        exec(compile(code, "python.md", "exec"), namespace)


def test_a_case_file_never_hands_over_code(tmp_path: Path) -> None:
    # only check_function gives a case Python objects; a case file's values stay text and data
    path = tmp_path / "x.yaml"
    path.write_text("cases:\n  - name: c\n    function: m:f\n    gradient: m:g\n    args: {x: [1.0, 2.0]}\n")
    (entry,) = document.load(path, "x.yaml")
    assert isinstance(entry.case, FunctionCase)
    assert entry.case.given == {} and entry.case.function == "m:f" and entry.case.derivative == "m:g"
