"""`call:`: setup methods called on a fresh object after `init:` and `set:`, before its first forward,
for a layer whose weights exist only once a setup method built them; for an `object:` case and for
each layer of a network."""

from __future__ import annotations

import pytest
from pluginrun import one_case

#: Under mylib/: a layer with no weights until `initialize`, and what a case must not call.
LAYERS = """\
import numpy as np


class Dense:
    def __init__(self, activation="linear"):
        self.activation = activation

    def initialize(self, n_in, n_out, scale=0.5, bias=True, W=None):
        self.W = scale * np.random.randn(n_in, n_out) if W is None else W
        self.b = np.zeros(n_out) if bias else None
        self.calls = getattr(self, "calls", 0) + 1

    def scale_by(self, factor):
        self.W *= factor

    def forward(self, x):
        self.x = x
        self.z = x @ self.W + self.b
        return np.tanh(self.z) if self.activation == "tanh" else self.z

    def backward(self, dout):
        if self.activation == "tanh":
            dout = dout * (1 - np.tanh(self.z) ** 2)
        self.dW = self.x.T @ dout
        self.db = dout.sum(axis=0)
        return dout @ self.W.T


class DenseMeanBias(Dense):
    def backward(self, dout):
        dx = super().backward(dout)
        self.db = dout.mean(axis=0)
        return dx


class Counted(Dense):
    def forward(self, x):
        assert self.calls == 1, f"initialize ran {self.calls} times"
        return super().forward(x)


class Settings(dict):
    def forward(self, x):
        return x

    def backward(self, dout):
        return dout


def softmax_loss(scores, y):
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return -np.mean(np.log(p[np.arange(len(y)), y])), d / len(y)
"""

CASE = """\
object: mylib.layers:{cls}
init: {{activation: tanh}}
call: [{{initialize: {{n_in: 3, n_out: 2}}}}]
function: forward
backward: backward
args: {{x: {{shape: [4, 3], seed: 0}}}}
wrt: [x, W, b]
gradients: {{W: dW, b: db}}
"""

NET = """\
layers:
  - {object: mylib.layers:Dense, call: [{initialize: {n_in: 3, n_out: 4}}]}
  - {object: mylib.layers:Dense, init: {activation: tanh}, call: [{initialize: {n_in: 4, n_out: 3}}]}
function: mylib.layers:softmax_loss
gradient: returned
args: {x: {shape: [5, 3], seed: 0}, y: [0, 1, 2, 1, 0]}
wrt: [x, layers.0.W, layers.1.b]
"""


def test_a_layer_whose_weights_a_setup_method_builds_is_checked(pytester: pytest.Pytester) -> None:
    one_case(pytester, ("layers", LAYERS), CASE.format(cls="Dense")).assert_outcomes(passed=3)


def test_a_wrong_backward_of_a_layer_set_up_by_a_call_fails(pytester: pytest.Pytester) -> None:
    result = one_case(pytester, ("layers", LAYERS), CASE.format(cls="DenseMeanBias"))
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED cases/x.yaml::c[[]backward:b[]] *"])


def test_calls_run_once_per_object_in_order_with_arguments_as_in_args(pytester: pytest.Pytester) -> None:
    # an array spec, a plain number and a boolean; scale_by runs after initialize, on its W
    case = CASE.format(cls="Counted").replace(
        "call: [{initialize: {n_in: 3, n_out: 2}}]",
        "call: [{initialize: {n_in: 3, n_out: 2, W: {shape: [3, 2], seed: 4}, bias: true}}, {scale_by: {factor: 0.5}}]",
    )
    one_case(pytester, ("layers", LAYERS), case).assert_outcomes(passed=3)


def test_the_layers_of_a_network_are_set_up_by_their_own_calls(pytester: pytest.Pytester) -> None:
    one_case(pytester, ("layers", LAYERS), NET).assert_outcomes(passed=3)


def test_a_wrong_backward_in_a_network_layer_set_up_by_a_call_fails(pytester: pytest.Pytester) -> None:
    case = NET.replace("{object: mylib.layers:Dense, init: {activation: tanh}", "{object: mylib.layers:DenseMeanBias")
    result = one_case(pytester, ("layers", LAYERS), case)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED cases/x.yaml::c[[]gradient:layers.1.b[]] *"])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ("{initialize: {n_in: 3", "{initialise: {n_in: 3"),
            "cases/x.yaml:4: call.0: 'Dense' object has no method 'initialise' (did you mean 'initialize'?)",
        ),
        (
            ("call: [{initialize: {n_in: 3, n_out: 2}}]", "call: [_setup]"),
            "cases/x.yaml:4: call.0: '_setup': '_setup' is a private name, which a case file cannot reach*",
        ),
        (
            ("call: [{initialize: {n_in: 3, n_out: 2}}]", "call: initialize"),
            "cases/x.yaml:4: call: 'initialize' is a string; expected a list of method calls, e.g. *",
        ),
        (
            ("call: [{initialize: {n_in: 3, n_out: 2}}]", "call: [{initialize: 3}]"),
            "cases/x.yaml:4: call.0: initialize: 3 is an integer; expected a mapping of keyword arguments or {}",
        ),
        (
            ("call: [{initialize: {n_in: 3, n_out: 2}}]", "call: [{initialize: {n_in: 3}, scale_by: {}}]"),
            "cases/x.yaml:4: call.0: * is a mapping; expected a method's name, or one method with its keyword*",
        ),
        (
            ("{initialize: {n_in: 3, n_out: 2}}", "{initialize: {n_in: 3, n_out: 2, depth: 4}}"),
            "cases/x.yaml:4: call.0: Dense.initialize raised TypeError: *unexpected keyword argument 'depth'",
        ),
        (
            ("mylib.layers:Dense\ncall: [{initialize: {n_in: 3, n_out: 2}}]", "mylib.layers:Settings\ncall: [clear]"),
            "cases/x.yaml:4: call.0: Settings.clear is defined in builtins, which is not a module of this project*",
        ),
    ],
)
def test_a_setup_call_s_mistakes_are_one_line(
    pytester: pytest.Pytester, change: tuple[str, str], expected: str
) -> None:
    case = CASE.format(cls="Dense").replace("init: {activation: tanh}\n", "").replace(*change)
    result = one_case(pytester, ("layers", LAYERS), case)
    result.stdout.fnmatch_lines([expected])


def test_call_needs_an_object(pytester: pytest.Pytester) -> None:
    case = "function: mylib.layers:softmax_loss\ngradient: returned\ncall: [reset]\n"
    case += "args: {scores: {shape: [2, 3], seed: 0}, y: [0, 1]}\n"
    result = one_case(pytester, ("layers", LAYERS), case)
    result.stdout.fnmatch_lines(["cases/x.yaml:5: call: applies with object: only; add object: module:Class*"])


def test_a_network_layer_s_call_is_reported_at_its_line(pytester: pytest.Pytester) -> None:
    case = NET.replace("call: [{initialize: {n_in: 4", "call: [{initalize: {n_in: 4")
    result = one_case(pytester, ("layers", LAYERS), case)
    result.stdout.fnmatch_lines(
        ["cases/x.yaml:5: layers.1.call.0: 'Dense' object has no method 'initalize' (did you mean 'initialize'?)"]
    )
