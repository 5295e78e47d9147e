"""`loss:`: a loss object with a forward and a backward of its own ending a network, its value made
the training loop's objective by `reduction:` (none, mean, sum) and its backward's gradient fed to
the last layer's backward as it is; checked against central differences of the composed loss."""

from __future__ import annotations

import pytest
from pluginrun import one_case

#: Under mylib/: layers and losses in closed form, right and wrong. For per-sample losses l_i of
#: scores S (B, K), the gradient of mean_i l_i is (dl_i/dS_i) / B, of sum_i l_i it is dl_i/dS_i.
LAYERS = """\
import numpy as np


class Dense:
    def __init__(self, n_in, n_out):
        self.W = 0.5 * np.random.randn(n_in, n_out)
        self.b = np.zeros(n_out)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class Tanh:
    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1 - self.out**2)


def _softmax(scores):
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class CrossEntropy:
    # forward: one loss per sample; backward(scores, y): the gradient of their mean
    def forward(self, scores, y):
        self.p = _softmax(scores)
        return -np.log(self.p[np.arange(len(y)), y])

    def backward(self, scores, y):
        d = _softmax(scores)
        d[np.arange(len(y)), y] -= 1
        return d / len(y)


class CrossEntropyPerSample(CrossEntropy):
    # the per-sample gradient: right for a sum, forgets the 1/B of a mean
    def backward(self, scores, y):
        return super().backward(scores, y) * len(y)


class SoftmaxCrossEntropy:
    # forward: the mean loss itself, softmax kept; backward(probabilities, labels) leaves dinputs
    def forward(self, inputs, y):
        self.output = _softmax(inputs)
        return float(-np.mean(np.log(self.output[np.arange(len(y)), y])))

    def backward(self, dvalues, y_true):
        grad = dvalues.copy()
        grad[np.arange(len(y_true)), y_true] -= 1
        self.dinputs = grad / len(y_true)


class HalfSquaredError:
    # forward: 0.5 |pred_i - target_i|^2 per sample; backward(): pred - target, the gradient of the sum
    def __init__(self, weight=1.0):
        self.weight = weight

    def forward(self, pred, target):
        self.diff = pred - target
        return 0.5 * self.weight * (self.diff**2).sum(axis=1)

    def backward(self):
        return self.weight * self.diff


class Settings(dict):
    def backward(self, dout):
        return dout
"""

NET = """\
layers:
  - {{object: mylib.layers:Dense, init: {{n_in: 4, n_out: 5}}}}
  - {{object: mylib.layers:Tanh}}
  - {{object: mylib.layers:Dense, init: {{n_in: 5, n_out: 3}}}}
loss: {{{loss}}}
args: {{x: {{shape: [6, 4], seed: 0}}, {labels}}}
wrt: [x, layers.0.W, layers.2.b]
"""
LABELS = "y: [0, 1, 2, 0, 1, 2]"
RIGHT = "object: mylib.layers:CrossEntropy, reduction: mean"
TARGETS = "target: {shape: [6, 3], seed: 1}"


def net(loss: str, labels: str = LABELS) -> str:
    return NET.format(loss=loss, labels=labels)


@pytest.mark.parametrize(
    "loss",
    [
        "object: mylib.layers:CrossEntropy, reduction: mean",
        "object: mylib.layers:CrossEntropyPerSample, reduction: sum",
        "object: mylib.layers:SoftmaxCrossEntropy, takes: [self.output, y], gradient: dinputs",
    ],
)
def test_a_network_ending_in_a_right_loss_object_passes(pytester: pytest.Pytester, loss: str) -> None:
    one_case(pytester, ("layers", LAYERS), net(loss)).assert_outcomes(passed=3)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_squared_error_whose_backward_takes_nothing_is_the_gradient_of_its_sum(
    pytester: pytest.Pytester, reduction: str
) -> None:
    # backward() gives pred - target: the gradient of the sum; under mean it is B = 6 times too large
    loss = f"object: mylib.layers:HalfSquaredError, init: {{weight: 2.0}}, takes: [], reduction: {reduction}"
    result = one_case(pytester, ("layers", LAYERS), net(loss, TARGETS))
    if reduction == "sum":
        result.assert_outcomes(passed=3)
    else:
        result.assert_outcomes(failed=3)
        result.stdout.fnmatch_lines(["*analytic = 6 * numeric*"])


def test_a_loss_backward_that_forgets_the_1_over_b_of_mean_fails(pytester: pytest.Pytester) -> None:
    result = one_case(pytester, ("layers", LAYERS), net("object: mylib.layers:CrossEntropyPerSample, reduction: mean"))
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*analytic = 6 * numeric*a missing 1/6, such as the 1/B of a batch mean*"])


def test_a_wrong_reduction_fails(pytester: pytest.Pytester) -> None:
    # the loss's backward is the gradient of the mean, the case says the loop sums
    result = one_case(pytester, ("layers", LAYERS), net("object: mylib.layers:CrossEntropy, reduction: sum"))
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*analytic = 0.166667 * numeric: off by a constant factor 1/6*"])


def test_a_wrong_layer_behind_the_loss_object_fails_what_lies_behind_it(pytester: pytest.Pytester) -> None:
    case = net(RIGHT).replace("{object: mylib.layers:Tanh}", "{object: mylib.layers:Tanh, backward: forward}")
    result = one_case(pytester, ("layers", LAYERS), case)
    result.assert_outcomes(passed=1, failed=2)  # layers.2.b lies in front of the activation
    result.stdout.fnmatch_lines(["FAILED cases/x.yaml::c[[]gradient:layers.0.W[]] *"])


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "loss: {object: mylib.layers:CrossEntropy}\nfunction: mylib.layers:f\ngradient: returned\n"
            "args: {x: [1.0]}\n",
            "cases/x.yaml:3: loss: ends a network; give the layers it follows in layers:",
        ),
        (
            net(RIGHT) + "gradient: returned\n",
            "cases/x.yaml:10: gradient: with loss:, the loss object's forward and backward are the loss and its "
            "gradient; drop gradient",
        ),
        (net(RIGHT).replace("reduction: mean", "reduction: avg"), "cases/x.yaml:7: reduction: 'avg' is not a*"),
        (net(RIGHT).replace("reduction: mean", "reduce: mean"), "*:7: reduce: unknown key in loss (did you mean*"),
        (
            net(RIGHT + ", takes: [cotangent, y]"),
            "cases/x.yaml:7: takes: 'cotangent' is neither scores, output, an argument nor a self. path*",
        ),
        (net("object: mylib.layers:_Hidden"), "cases/x.yaml:7: object: 'mylib.layers:_Hidden': '_Hidden' is a priv*"),
        (net("object: mylib.layers:Settings, forward: pop"), "*:7: loss: Settings.pop is defined in builtins*"),
        (
            net("object: mylib.layers:CrossEntropy"),
            "cases/x.yaml:7: loss: mylib.layers:CrossEntropy.forward returned shape (6,); with reduction: none its "
            "value is the objective, a scalar: for one loss per sample say how the training loop combines them, "
            "reduction: mean or sum",
        ),
        (
            net("object: mylib.layers:SoftmaxCrossEntropy, takes: [self.output, y], reduction: mean"),
            "*:7: loss: *SoftmaxCrossEntropy.forward returned a scalar; reduction: mean combines one loss per sample*",
        ),
        (
            net("object: mylib.layers:SoftmaxCrossEntropy, takes: [self.output, y]"),
            "cases/x.yaml:7: loss: mylib.layers:SoftmaxCrossEntropy.backward gave NoneType; expected the scores' "
            "shape (6, 3), the gradient of the objective in them (where it returns nothing, name where it leaves "
            "it: gradient: dinputs)",
        ),
        (
            net("object: mylib.layers:SoftmaxCrossEntropy, takes: [self.output, y], gradient: dinput"),
            "*:7: loss: after *SoftmaxCrossEntropy.backward, SoftmaxCrossEntropy has no attribute 'dinput' (did you*",
        ),
        (
            net("object: mylib.layers:SoftmaxCrossEntropy, takes: [self.outputs, y], gradient: dinputs"),
            "*:7: loss: after *SoftmaxCrossEntropy.forward, SoftmaxCrossEntropy has no attribute 'outputs' (did*",
        ),
    ],
)
def test_a_loss_object_s_mistakes_are_one_line(pytester: pytest.Pytester, case: str, expected: str) -> None:
    result = one_case(pytester, ("layers", LAYERS), case)
    assert result.ret != 0
    result.stdout.fnmatch_lines([expected])
