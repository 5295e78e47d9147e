"""A network assembled from the project's own layers (`layers:`): forward fed layer to layer, the
loss at the end, the gradient chained back through the layers' own backward calls."""

from __future__ import annotations

import pytest
from pluginrun import SHAPES, one_case

#: Under mylib/: two layers and a loss, in the style of a from-scratch network.
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


class Softsign:
    def forward(self, x):
        self.x = x
        return x / (1 + np.abs(x))

    def backward(self, dout):
        return dout / (1 + np.abs(self.x)) ** 2


class SoftsignForgetsItsSquare(Softsign):
    def backward(self, dout):
        return dout / (1 + np.abs(self.x))


class Settings(dict):
    pass


class DenseNamedGrads(Dense):
    def backward(self, dout):
        dx = super().backward(dout)
        self.grads = {"weights": self.dW}
        return dx


def softmax_loss(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    n = len(y)
    d = p.copy()
    d[np.arange(n), y] -= 1
    return -np.mean(np.log(p[np.arange(n), y])), d / n
"""

NET = """\
layers:
  - {{object: mylib.layers:Dense, init: {{n_in: 4, n_out: 5}}}}
  - {{object: mylib.layers:{activation}}}
  - {{object: mylib.layers:Dense, init: {{n_in: 5, n_out: 3}}}}
function: mylib.layers:softmax_loss
gradient: returned
args: {{x: {{shape: [6, 4], seed: 0}}, y: [0, 1, 2, 0, 1, 2]}}
wrt: [x, layers.0.W, layers.0.b, layers.2.W]
"""


def test_a_network_of_the_project_s_layers_is_checked_through_their_backward(pytester: pytest.Pytester) -> None:
    one_case(pytester, ("layers", LAYERS), NET.format(activation="Softsign")).assert_outcomes(passed=4)


def test_a_wrong_activation_backward_fails_what_lies_behind_it(pytester: pytest.Pytester) -> None:
    result = one_case(pytester, ("layers", LAYERS), NET.format(activation="SoftsignForgetsItsSquare"))
    result.assert_outcomes(passed=1, failed=3)  # layers.2.W is in front of the activation: right
    shown = result.stdout.str()
    assert "FAILED cases/x.yaml::c[gradient:layers.0.W]" in shown
    assert "FAILED cases/x.yaml::c[gradient:layers.2.W]" not in shown


def test_a_gradient_kept_under_another_name_is_read_by_gradients(pytester: pytest.Pytester) -> None:
    case = NET.format(activation="Softsign").replace(
        "  - {object: mylib.layers:Dense, init: {n_in: 4, n_out: 5}}",
        "  - {object: mylib.layers:DenseNamedGrads, init: {n_in: 4, n_out: 5}, gradients: {W: grads.weights}}",
    )
    case = case.replace("wrt: [x, layers.0.W, layers.0.b, layers.2.W]", "wrt: layers.0.W")
    one_case(pytester, ("layers", LAYERS), case).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("gradient: returned", "gradient: mylib.layers:softmax_loss"),
            "cases/x.yaml:3: layers: needs gradient: returned*",
        ),
        (("wrt: [x, layers.0.W, layers.0.b, layers.2.W]", "wrt: layers.5.W"), "cases/x.yaml:10: wrt: the network*"),
        (
            ("{object: mylib.layers:Softsign}", "{object: mylib.layers:Settings, forward: pop}"),
            "cases/x.yaml:3: layers: layers.1: mylib.layers:Settings.pop is defined in builtins, which is not a*",
        ),
        (
            ("mylib.layers:Softsign}", "mylib.layers:_Softsign}"),
            "cases/x.yaml:5: object: 'mylib.layers:_Softsign': '_Softsign' is a private*",
        ),
        (
            ("{object: mylib.layers:Softsign}", "{object: mylib.layers:Softsign, forwards: f}"),
            "cases/x.yaml:5: forwards: unknown key in layers.1*",
        ),
    ],
)
def test_a_network_s_mistakes_are_one_line(pytester: pytest.Pytester, change: tuple[str, str], expected: str) -> None:
    case = NET.format(activation="Softsign").replace(*change)
    result = one_case(pytester, ("layers", LAYERS), case)
    result.stdout.fnmatch_lines([expected])


#: Layers that keep what they compute on themselves (`self.output`, `self.dinputs`) and return
#: nothing, as a from-scratch book's layers do: the example's TanhDense and SoftmaxCrossEntropy, and
#: a TanhDense whose backward forgets tanh's derivative in dinputs.
STORED = (
    SHAPES
    + """

class TanhDenseNoDerivative(TanhDense):
    def backward(self, dvalues):
        super().backward(dvalues)
        self.dinputs = dvalues @ self.weights.T
"""
)

STORED_LAYER = (
    "  - {{object: mylib.layers:{cls}, init: {{n_in: {n_in}, n_out: {n_out}}}, output: output, gradient: dinputs,\n"
    "     gradients: {{weights: dweights, biases: dbiases}}}}\n"
)
STORED_NET = """\
layers:
{first}{second}loss: {{object: mylib.layers:SoftmaxCrossEntropy, takes: [self.output, y_true], gradient: dinputs}}
args: {{inputs: {{shape: [6, 3], seed: 0}}, y_true: [0, 1, 2, 0, 1, 2]}}
input: inputs
wrt: [inputs, layers.0.weights, layers.1.weights]
"""


def stored_net(first: str = "TanhDense") -> str:
    return STORED_NET.format(
        first=STORED_LAYER.format(cls=first, n_in=3, n_out=5),
        second=STORED_LAYER.format(cls="TanhDense", n_in=5, n_out=3),
    )


def test_a_network_of_layers_that_store_their_results_is_chained_through_what_they_store(
    pytester: pytest.Pytester,
) -> None:
    result = one_case(pytester, ("layers", STORED), stored_net())
    result.assert_outcomes(passed=3)


def test_a_stored_input_gradient_that_is_wrong_fails_what_lies_behind_it(pytester: pytest.Pytester) -> None:
    result = one_case(pytester, ("layers", STORED), stored_net("TanhDenseNoDerivative"))
    # layer 0's dinputs is wrong: the input's gradient fails; its own weights' gradient, and layer 1's, are right
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["gradcheck: gradient:inputs * of case 'c' (cases/x.yaml:2): FAILED"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            (", output: output, gradient: dinputs", ", gradient: dinputs"),
            "cases/x.yaml:3: layers: layers.0: mylib.layers:TanhDense.forward returned None; a layer that stores its "
            "result says where: output: output",
        ),
        (
            (", output: output, gradient: dinputs", ", output: output"),
            "cases/x.yaml:3: layers: layers.0: mylib.layers:TanhDense.backward returned None; a layer that stores its "
            "result says where: gradient: dinputs",
        ),
        (
            ("output: output, gradient: dinputs", "output: out, gradient: dinputs"),
            "cases/x.yaml:3: layers: after layers.0: mylib.layers:TanhDense.forward, layers.0 has no attribute 'out' "
            "(did you mean 'output'?)",
        ),
        (
            ("output: output, gradient: dinputs", "output: _output, gradient: dinputs"),
            "cases/x.yaml:4: output: '_output'*private*",
        ),
    ],
    ids=["no-output", "no-gradient", "misnamed", "private"],
)
def test_a_stored_result_not_named_is_told_where_to_say_it(
    pytester: pytest.Pytester, change: tuple[str, str], expected: str
) -> None:
    case = stored_net().replace(*change, 1)
    result = one_case(pytester, ("layers", STORED), case)
    result.stdout.fnmatch_lines([expected])
