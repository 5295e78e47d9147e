"""A network assembled from the project's own layers (`layers:`): forward fed layer to layer, the
loss at the end, the gradient chained back through the layers' own backward calls."""

from __future__ import annotations

import pytest
from pluginrun import one_case

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
