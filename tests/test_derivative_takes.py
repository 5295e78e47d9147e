"""Derivative calls with their own arguments (`takes:`): a loss whose backward takes its output and
the labels, a backward that takes nothing, a vjp that takes its cotangent under another order."""

from __future__ import annotations

import pytest
from pluginrun import SHAPES, one_case

#: Under mylib/: the example's softmax and cross-entropy, whose backward takes its output and the
#: labels, a variant, and smaller pieces.
LOSSES = (
    SHAPES
    + """

class SoftmaxCrossEntropyUnscaled(SoftmaxCrossEntropy):
    def backward(self, dvalues, y_true):
        grad = dvalues.copy()
        grad[np.arange(len(y_true)), y_true] -= 1
        self.dinputs = grad  # the mean's 1/N forgotten


class Square:
    def forward(self, x):
        self.x = x
        return float(np.sum(x ** 2))

    def backward(self):
        self.dx = 2 * self.x


def scale_vjp(x, dout):
    return 3 * dout


def scale(x):
    return 3 * x
"""
)

LOSS = """\
object: mylib.losses:{cls}
function: forward
gradient: backward
takes: [self.output, y_true]
args: {{inputs: {{shape: [4, 3], seed: 0}}, y_true: [0, 2, 1, 1]}}
wrt: inputs
gradients: {{inputs: dinputs}}
"""


def test_a_loss_whose_backward_takes_its_output_and_the_labels(pytester: pytest.Pytester) -> None:
    one_case(pytester, ("losses", LOSSES), LOSS.format(cls="SoftmaxCrossEntropy")).assert_outcomes(passed=1)


def test_the_same_backward_without_the_mean_s_scale_fails(pytester: pytest.Pytester) -> None:
    result = one_case(pytester, ("losses", LOSSES), LOSS.format(cls="SoftmaxCrossEntropyUnscaled"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["  12 of 12 entries differ beyond*"])


def test_a_backward_that_takes_nothing(pytester: pytest.Pytester) -> None:
    case = "object: mylib.losses:Square\nfunction: forward\ngradient: backward\ntakes: []\n"
    case += "args: {x: {shape: [5], seed: 0}}\ngradients: {x: dx}"
    one_case(pytester, ("losses", LOSSES), case).assert_outcomes(passed=1)


def test_a_vjp_that_takes_its_cotangent_last(pytester: pytest.Pytester) -> None:
    case = "function: mylib.losses:scale\nvjp: mylib.losses:scale_vjp\ntakes: [x, cotangent]\n"
    case += "args: {x: {shape: [3], seed: 0}}"
    one_case(pytester, ("losses", LOSSES), case).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("takes", "expected"),
    [
        ("[outpt]", "takes: 'outpt' is neither output, cotangent, an argument nor a self. path (did you mean*"),
        ("[cotangent]", "takes: cotangent applies to vjp: and backward:; this case has gradient:"),
        ("output", "takes: 'output' is not a list of names; expected e.g. [[]output, y_true[]] or [[][]]"),
        ("[self._cache]", "takes: 'self._cache': '_cache' is a private name*"),
        ("[self.outputs, y_true]", "takes: after a call of * has no *outputs*"),
    ],
)
def test_takes_names_what_there_is(pytester: pytest.Pytester, takes: str, expected: str) -> None:
    case = LOSS.format(cls="SoftmaxCrossEntropy").replace("takes: [self.output, y_true]", f"takes: {takes}")
    result = one_case(pytester, ("losses", LOSSES), case)
    result.stdout.fnmatch_lines([f"cases/x.yaml:6: {expected}"])


#: Under mylib/: a model's loss that keeps its gradients under other names than its parameters.
MODEL = """\
import numpy as np


def loss(W1, b1, X):
    h = np.tanh(X @ W1 + b1)
    return float(np.sum(h**2)), {"dW1": X.T @ (2 * h * (1 - h**2)), "db1": (2 * h * (1 - h**2)).sum(axis=0)}
"""


def test_gradients_under_other_names_are_read_from_what_was_returned(pytester: pytest.Pytester) -> None:
    case = "function: mylib.model:loss\ngradient: returned\n"
    case += "args: {W1: {shape: [3, 2], seed: 0}, b1: {shape: [2], seed: 1}, X: {shape: [4, 3], seed: 2}}\n"
    case += "wrt: [W1, b1]\ngradients: {W1: returned.dW1, b1: returned.db1}"
    one_case(pytester, ("model", MODEL), case).assert_outcomes(passed=2)
    result = one_case(pytester, ("model", MODEL), case.replace("returned.db1}", "returned.dB1}"))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["cases/x.yaml:7: gradients: after mylib.model:loss, what it returned has no key 'dB1' (did you mean 'db1'?)*"]
    )
