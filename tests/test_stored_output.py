"""Layers as some code writes them: one that stores its output on itself (`self.output = ...`)
rather than returning it (`output:` names where it is read after each call), and one whose weights
are set after it is made (`set:`)."""

from __future__ import annotations

import numpy as np
import pytest
from pluginrun import SHAPES, one_case, run, write

import gradcheck

#: Under mylib/: the example's layer that keeps every result on itself (TanhDense), a variant, and
#: a layer that has no weights until they are set.
LAYERS = (
    SHAPES
    + """

class Staged:
    # no weights until they are set on it

    def forward(self, inputs):
        self.inputs = inputs
        return inputs @ self.W * self.scale

    def backward(self, dout):
        self.dW = self.inputs.T @ dout * self.scale


class Slotted:
    __slots__ = ("W",)


class TanhDenseForgetsTanh(TanhDense):
    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = dvalues.sum(axis=0, keepdims=True)
        self.dinputs = dvalues @ self.weights.T
"""
)

CASE = """\
object: mylib.layers:{cls}
init: {{n_in: 3, n_out: 4}}
function: forward
output: {output}
backward: backward
args: {{inputs: {{shape: [5, 3], seed: 0}}}}
wrt: [weights, biases]
gradients: {{weights: dweights, biases: dbiases}}
"""


def outcome(pytester: pytest.Pytester, cls: str = "TanhDense", output: str = "output") -> pytest.RunResult:
    return one_case(pytester, ("layers", LAYERS), CASE.format(cls=cls, output=output))


def test_a_layer_that_stores_its_output_is_checked(pytester: pytest.Pytester) -> None:
    outcome(pytester).assert_outcomes(passed=2)


def test_a_backward_that_forgets_the_activation_fails(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, cls="TanhDenseForgetsTanh")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*entries of dweights for cotangent 1 of 3 (seeded random) differ*"])


def test_an_output_path_that_is_not_there_is_one_line(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, output="outputs")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["cases/x.yaml:6: output: after a call of * TanhDense has no *outputs*"])


def test_without_output_the_none_it_returns_is_refused_saying_so(pytester: pytest.Pytester) -> None:
    case = "\n".join(
        line for line in CASE.format(cls="TanhDense", output="-").splitlines() if not line.startswith("output")
    )
    result = one_case(pytester, ("layers", LAYERS), case)
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:5: function: mylib.layers:TanhDense.forward returned NoneType of dtype object; expected an "
            "array of numbers (a method that stores its output, self.output = ..., needs output: output beside it)"
        ]
    )


@pytest.mark.parametrize(
    ("value", "expected"),
    [("_cache", "'_cache' is a private name"), ("a..b", "is not a path")],
)
def test_output_takes_a_public_path(pytester: pytest.Pytester, value: str, expected: str) -> None:
    result = outcome(pytester, output=value)
    result.stdout.fnmatch_lines([f"cases/x.yaml:6: output: *{expected}*"])


def test_check_function_reads_the_output_too() -> None:
    class Scale:
        def __init__(self) -> None:
            self.k = np.array([2.0, 3.0])

        def forward(self, x: np.ndarray) -> None:
            self.out = self.k * x

        def backward(self, dout: np.ndarray) -> np.ndarray:
            return dout * self.k

    result = gradcheck.check_function(
        "forward", object=Scale(), output="out", backward="backward", args={"x": np.array([1.0, 2.0])}
    )
    assert result and result["x"].passed


STAGED = """\
object: mylib.layers:Staged
set: {W: {shape: [3, 2], seed: 1}, scale: 0.5}
function: forward
backward: backward
args: {inputs: {shape: [4, 3], seed: 0}}
wrt: W
gradients: {W: dW}
"""


def staged(pytester: pytest.Pytester, case: str) -> pytest.RunResult:
    return one_case(pytester, ("layers", LAYERS), case)


def test_attributes_set_after_construction_are_there_at_the_first_call(pytester: pytest.Pytester) -> None:
    staged(pytester, STAGED).assert_outcomes(passed=1)


def test_a_planted_bug_in_a_staged_layer_is_caught(pytester: pytest.Pytester) -> None:
    staged(pytester, STAGED)
    wrong = LAYERS.replace("self.dW = self.inputs.T @ dout * self.scale", "self.dW = self.inputs.T @ dout")
    write(pytester, "mylib/layers.py", wrong)  # the scale that set: gave forgotten in backward
    result = run(pytester, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  6 of 6 entries of dW for cotangent 1 of 3 (seeded random) differ*"])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("set: {__class__: 1}", "cases/x.yaml:4: set.__class__: '__class__': '__class__' is a private name*"),
        (
            "set: {W: 1}\nobject: null",
            "cases/x.yaml:3: set: applies with object: only; add object: module:Class, or drop set",
        ),
    ],
)
def test_set_takes_public_names_on_an_object(pytester: pytest.Pytester, line: str, expected: str) -> None:
    case = STAGED.replace("set: {W: {shape: [3, 2], seed: 1}, scale: 0.5}", line)
    if "object: null" in line:
        case = case.replace("object: mylib.layers:Staged\n", "").replace("object: null", "function: mylib.layers:f")
        case = case.replace("function: forward\n", "")
    result = staged(pytester, case)
    result.stdout.fnmatch_lines([expected])


def test_an_attribute_the_object_refuses_is_one_line(pytester: pytest.Pytester) -> None:
    case = STAGED.replace("mylib.layers:Staged", "mylib.layers:Slotted").replace(", scale: 0.5", ", scale: 2")
    result = staged(pytester, case)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cases/x.yaml:4: set: setting mylib.layers:Slotted.scale raised AttributeError*"])
