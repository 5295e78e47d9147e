"""A layer that stores its output on itself (`self.output = ...`) rather than returning it: `output:`
names where it is read after each call."""

from __future__ import annotations

import numpy as np
import pytest
from pluginrun import run, write

import gradcheck

#: Under mylib/: layers in the style that keeps every result on the object.
LAYERS = """\
import numpy as np


class Dense:
    def __init__(self, n_in, n_out):
        self.weights = 0.1 * np.random.randn(n_in, n_out)
        self.biases = np.zeros((1, n_out))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.tanh(inputs @ self.weights + self.biases)

    def backward(self, dvalues):
        dz = dvalues * (1 - self.output ** 2)
        self.dweights = self.inputs.T @ dz
        self.dbiases = dz.sum(axis=0, keepdims=True)
        self.dinputs = dz @ self.weights.T


class DenseForgetsTanh(Dense):
    def backward(self, dvalues):
        self.dweights = self.inputs.T @ dvalues
        self.dbiases = dvalues.sum(axis=0, keepdims=True)
        self.dinputs = dvalues @ self.weights.T
"""

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


def outcome(pytester: pytest.Pytester, cls: str = "Dense", output: str = "output") -> pytest.RunResult:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "mylib/__init__.py", "")
    write(pytester, "mylib/layers.py", LAYERS)
    case = CASE.format(cls=cls, output=output)
    write(pytester, "cases/x.yaml", "cases:\n  - name: c\n" + "".join(f"    {line}\n" for line in case.splitlines()))
    return run(pytester, "-p", "no:cacheprovider")


def test_a_layer_that_stores_its_output_is_checked(pytester: pytest.Pytester) -> None:
    outcome(pytester).assert_outcomes(passed=2)


def test_a_backward_that_forgets_the_activation_fails(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, cls="DenseForgetsTanh")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*entries of dweights for cotangent 1 of 3 (seeded random) differ*"])


def test_an_output_path_that_is_not_there_is_one_line(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, output="outputs")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["cases/x.yaml:6: output: after a call of * Dense has no *outputs*"])


def test_without_output_the_none_it_returns_is_refused_saying_so(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "mylib/__init__.py", "")
    write(pytester, "mylib/layers.py", LAYERS)
    case = "\n".join(
        line for line in CASE.format(cls="Dense", output="-").splitlines() if not line.startswith("output")
    )
    write(pytester, "cases/x.yaml", "cases:\n  - name: c\n" + "".join(f"    {line}\n" for line in case.splitlines()))
    result = run(pytester, "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:5: function: mylib.layers:Dense.forward returned NoneType of dtype object; expected an "
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
