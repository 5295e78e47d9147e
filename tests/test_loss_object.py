"""`loss:`: a loss object with a forward and a backward of its own ending a network, its value made
the training loop's objective by `reduction:` (none, mean, sum) and its backward's gradient fed to
the last layer's backward as it is; checked against central differences of the composed loss."""

from __future__ import annotations

import pytest
from pluginrun import SHAPES, one_case

#: Under mylib/: the example's layers and losses (InitializedDense, Tanh, Softmax, the per-sample
#: CategoricalCrossEntropy and the reduced SoftmaxCrossEntropy), and losses in closed form right
#: and wrong. For per-sample losses l_i of scores S (B, K), the gradient of mean_i l_i is
#: (dl_i/dS_i) / B, of sum_i l_i it is dl_i/dS_i.
LAYERS = (
    SHAPES
    + """

class CrossEntropyPerSample(CategoricalCrossEntropy):
    # the per-sample gradient: right for a sum, forgets the 1/B of a mean
    def backward(self, dvalues, y_true):
        super().backward(dvalues, y_true)
        self.dinputs = self.dinputs * len(y_true)


class HalfSquaredError:
    # forward: weight * 0.5 |pred_i - target_i|^2 per sample; backward(): the gradient of their sum
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
)

NET = """\
layers:
  - {{object: mylib.layers:InitializedDense, call: [{{initialize: {{n_in: 4, n_out: 5}}}}]}}
  - {{object: mylib.layers:Tanh}}
  - {{object: mylib.layers:InitializedDense, call: [{{initialize: {{n_in: 5, n_out: 3}}}}]}}
  - {{object: mylib.layers:{last}}}
loss: {{{loss}}}
args: {{x: {{shape: [6, 4], seed: 0}}, {labels}}}
wrt: [x, layers.0.W, layers.2.b]
"""
LABELS = "y_true: [0, 1, 2, 0, 1, 2]"
RIGHT = "object: mylib.layers:CategoricalCrossEntropy, gradient: dinputs, reduction: mean"
TARGETS = "target: {shape: [6, 3], seed: 1}"


def net(loss: str, labels: str = LABELS, last: str = "Softmax") -> str:
    """The network, its last layer `last` (a Softmax, or a Tanh before a loss that takes scores)."""
    return NET.format(loss=loss, labels=labels, last=last)


REDUCED = "object: mylib.layers:SoftmaxCrossEntropy, takes: [self.output, y_true]"


@pytest.mark.parametrize(
    ("loss", "last"),
    [
        (RIGHT, "Softmax"),
        ("object: mylib.layers:CrossEntropyPerSample, gradient: dinputs, reduction: sum", "Softmax"),
        (REDUCED + ", gradient: dinputs", "Tanh"),  # the mean itself, the softmax inside it
    ],
)
def test_a_network_ending_in_a_right_loss_object_passes(pytester: pytest.Pytester, loss: str, last: str) -> None:
    one_case(pytester, ("layers", LAYERS), net(loss, last=last)).assert_outcomes(passed=3)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_a_squared_error_whose_backward_takes_nothing_is_the_gradient_of_its_sum(
    pytester: pytest.Pytester, reduction: str
) -> None:
    # backward() gives pred - target: the gradient of the sum; under mean it is B = 6 times too large
    loss = f"object: mylib.layers:HalfSquaredError, init: {{weight: 2.0}}, takes: [], reduction: {reduction}"
    result = one_case(pytester, ("layers", LAYERS), net(loss, TARGETS, last="Tanh"))
    if reduction == "sum":
        result.assert_outcomes(passed=3)
    else:
        result.assert_outcomes(failed=3)
        result.stdout.fnmatch_lines(["*analytic = 6 * numeric*"])


def test_a_loss_backward_that_forgets_the_1_over_b_of_mean_fails(pytester: pytest.Pytester) -> None:
    result = one_case(
        pytester, ("layers", LAYERS), net(RIGHT.replace("CategoricalCrossEntropy", "CrossEntropyPerSample"))
    )
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*analytic = 6 * numeric*a missing 1/6, such as the 1/B of a batch mean*"])


def test_a_wrong_reduction_fails(pytester: pytest.Pytester) -> None:
    # the loss's backward is the gradient of the mean, the case says the loop sums
    result = one_case(pytester, ("layers", LAYERS), net(RIGHT.replace("mean", "sum")))
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(["*analytic = 0.166667 * numeric: off by a constant factor 1/6*"])


def test_a_wrong_layer_behind_the_loss_object_fails_what_lies_behind_it(pytester: pytest.Pytester) -> None:
    case = net(RIGHT).replace("{object: mylib.layers:Tanh}", "{object: mylib.layers:Tanh, backward: forward}")
    result = one_case(pytester, ("layers", LAYERS), case)
    result.assert_outcomes(passed=1, failed=2)  # layers.2.b lies in front of the tanh
    result.stdout.fnmatch_lines(["FAILED cases/x.yaml::c[[]gradient:layers.0.W[]] *"])


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (
            "loss: {object: mylib.layers:CategoricalCrossEntropy}\nfunction: mylib.layers:f\ngradient: returned\n"
            "args: {x: [1.0]}\n",
            "cases/x.yaml:3: loss: ends a network; give the layers it follows in layers:",
        ),
        (
            net(RIGHT) + "gradient: returned\n",
            "cases/x.yaml:11: gradient: with loss:, the loss object's forward and backward are the loss and its "
            "gradient; drop gradient",
        ),
        (net(RIGHT).replace("reduction: mean", "reduction: avg"), "cases/x.yaml:8: reduction: 'avg' is not a*"),
        (
            net(RIGHT.replace(", reduction: mean", "")) + "reduction: mean\n",
            "cases/x.yaml:11: reduction: belongs to the loss object that ends the network: loss: {object: "
            "module:Class, reduction: mean}",
        ),
        (
            net("object: mylib.layers:HalfSquaredError, takes: []", TARGETS, last="Tanh").replace(
                "wrt: [x, layers.0.W, layers.2.b]", "wrt: target"
            ),
            "cases/x.yaml:10: wrt: 'target' is an argument of the loss, which the layers' backward calls give no *",
        ),
        (
            net(RIGHT) + "takes: [scores, y_true]\n",
            "cases/x.yaml:11: takes: the layers' backward calls each take the gradient of the next; what a loss "
            "object's backward takes goes in loss: {object: module:Class, takes: [...]}",
        ),
        (net(RIGHT + ", takes: [y_ture]"), "*:8: takes: 'y_ture' is neither * self. path (did you mean 'y_true'?)"),
        (net(RIGHT).replace("reduction: mean", "reduce: mean"), "*:8: reduce: unknown key in loss (did you mean*"),
        (
            net(RIGHT + ", takes: [cotangent, y_true]"),
            "cases/x.yaml:8: takes: 'cotangent' is neither scores, output, an argument nor a self. path*",
        ),
        (
            net(RIGHT + ", init: {weight: 2.0}"),
            "cases/x.yaml:8: loss: mylib.layers:CategoricalCrossEntropy(...) raised TypeError: *takes no arguments",
        ),
        (
            net(RIGHT + ", call: [{clip: {low: 0.001}}]"),
            "cases/x.yaml:8: loss.call.0: 'CategoricalCrossEntropy' object has no method 'clip'; it has backward, "
            "forward",
        ),
        (net("object: mylib.layers:_Hidden"), "cases/x.yaml:8: object: 'mylib.layers:_Hidden': '_Hidden' is a priv*"),
        (net("object: mylib.layers:Settings, forward: pop"), "*:8: loss: Settings.pop is defined in builtins*"),
        (
            net("object: mylib.layers:CategoricalCrossEntropy, gradient: dinputs"),
            "cases/x.yaml:8: loss: mylib.layers:CategoricalCrossEntropy.forward returned shape (6,); with reduction: "
            "none its value is the objective, a scalar: for one loss per sample say how the training loop combines "
            "them, reduction: mean or sum",
        ),
        (
            net(REDUCED + ", reduction: mean", last="Tanh"),
            "*:8: loss: *SoftmaxCrossEntropy.forward returned a scalar; reduction: mean combines one loss per sample*",
        ),
        (
            net(REDUCED, last="Tanh"),
            "cases/x.yaml:8: loss: mylib.layers:SoftmaxCrossEntropy.backward gave NoneType; expected the scores' "
            "shape (6, 3), the gradient of the objective in them (where it returns nothing, name where it leaves "
            "it: gradient: dinputs)",
        ),
        (
            net(REDUCED + ", gradient: dinput", last="Tanh"),
            "*:8: loss: after *SoftmaxCrossEntropy.backward, SoftmaxCrossEntropy has no attribute 'dinput' (did you*",
        ),
        (
            net(REDUCED.replace("self.output", "self.outputs") + ", gradient: dinputs", last="Tanh"),
            "*:8: loss: after *SoftmaxCrossEntropy.forward, SoftmaxCrossEntropy has no attribute 'outputs' (did*",
        ),
    ],
)
def test_a_loss_object_s_mistakes_are_one_line(pytester: pytest.Pytester, case: str, expected: str) -> None:
    result = one_case(pytester, ("layers", LAYERS), case)
    assert result.ret != 0
    result.stdout.fnmatch_lines([expected])
