"""Messages that name the fix: a derivative that takes a cotangent given as jacobian:, and what
`python -m gradcheck --help` offers users."""

from __future__ import annotations

import pytest
from pluginrun import run, write

from gradcheck.cli import main

CELL = """\
def forward(x, w):
    return x @ w, (x, w)


def backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout
"""


def test_a_backward_given_as_jacobian_is_told_to_use_backward_or_vjp(pytester: pytest.Pytester) -> None:
    write(pytester, "cell.py", CELL)
    write(
        pytester,
        "cases/c.yaml",
        "cases:\n  - name: c\n    function: cell:forward\n    jacobian: cell:backward\n"
        "    args: {x: {shape: [2, 3], seed: 0}, w: {shape: [3, 4], seed: 1}}\n    wrt: x\n",
    )
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "cases/c.yaml:4: jacobian: cell:backward raised TypeError: backward() got an unexpected keyword argument "
            "'x'; jacobian: is called with the case's args, as function: is; a derivative that takes a cotangent is "
            "backward: (backward(dout, *cache)) or vjp: (vjp(u, **args)); one called with other arguments says which "
            "in takes: ([] for backward(), [self.output, y_true] for backward(self.output, y_true))"
        ]
    )


def test_help_lists_what_users_run(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    listed = capsys.readouterr().out
    assert "schema" in listed and "sweep" in listed and "generate" not in listed


#: Project code in the shapes the messages below are about.
MODEL = """\
import numpy as np


def softmax_loss(x, y):
    p = np.exp(x - x.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    return float(-np.log(p[np.arange(len(y)), y]).mean()), d / len(y)


def relu(x):
    return np.maximum(x, 0)


def relu_prime(x):
    return (x > 0).astype(float)


class TwoLayerNet:
    def __init__(self):
        self.params = {"W1": np.linspace(-1, 1, 12).reshape(3, 4), "b1": np.zeros(4)}

    def loss(self, X, y):
        loss, d = softmax_loss(X @ self.params["W1"] + self.params["b1"], y)
        return loss, {"W1": X.T @ d, "b1": d.sum(axis=0)}
"""

NET = "object: mylib.m:TwoLayerNet\n    function: loss\n    gradient: returned\n"
NET_ARGS = "args: {X: {shape: [5, 3], seed: 0}, y: [0, 1, 2, 3, 1]}"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (
            "function: mylib.m:softmax_loss\n    gradient: mylib.m:softmax_loss\n"
            "    args: {x: {shape: [4, 3], seed: 0}, y: [0, 1, 2, 1]}\n    wrt: x",
            "cases/c.yaml:4: gradient: mylib.m:softmax_loss returned 2 values; it looks like (loss, gradient): "
            "a function that returns both is written function: mylib.m:softmax_loss with gradient: returned",
        ),
        (
            "function: mylib.m:relu\n    jacobian: mylib.m:relu_prime\n    args: {x: {shape: [4], seed: 0}}",
            "cases/c.yaml:4: jacobian: mylib.m:relu_prime returned shape (4,) (x's shape: a derivative taken "
            "entry by entry, f'(x), is written elementwise: mylib.m:relu_prime); expected (4, 4), "
            "from f.shape (4,) + x.shape (4,)",
        ),
        (
            f"{NET}    {NET_ARGS}\n    wrt: [W1]",
            "cases/c.yaml:7: wrt: after its first call, TwoLayerNet has no attribute 'W1'; did you mean params.W1?",
        ),
        (
            f"{NET}    {NET_ARGS}",
            "cases/c.yaml:5: gradient: mylib.m:TwoLayerNet.loss returned a dict without 'X'; it has W1, b1; "
            "without wrt: the case differentiates X, its first array argument: to check the parameters, "
            "name them, wrt: [params.W1, params.b1]",
        ),
        (
            "function: min-char-rnn:loss\n    gradient: returned\n    args: {x: [1.0]}",
            "cases/c.yaml:3: function: 'min-char-rnn:loss' is not 'module:attribute' (min-char-rnn is no module "
            "name: name the file by its path under the rootdir, e.g. scripts/min-char-rnn.py:loss); "
            "expected e.g. mylib.activations:tanh",
        ),
        (
            "object: 3-layers:Dense\n    function: forward\n    backward: backward\n    args: {x: [1.0]}",
            "cases/c.yaml:3: object: '3-layers:Dense' is not 'module:Class' (3-layers is no module name: name the "
            "file by its path under the rootdir, e.g. scripts/3-layers.py:Dense); expected e.g. mylib.layers:Dense",
        ),
        (
            "layers:\n      - {object: 'my-layers:Dense'}\n    function: mylib.m:softmax_loss\n"
            "    gradient: returned\n    args: {x: {shape: [4, 3], seed: 0}, y: [0, 1, 2, 1]}",
            "cases/c.yaml:4: object: 'my-layers:Dense' is not 'module:Class' in layers.0 (my-layers is no module "
            "name: name the file by its path under the rootdir, e.g. scripts/my-layers.py:Dense); "
            "expected e.g. mylib.layers:Dense",
        ),
    ],
    ids=["loss-and-gradient", "elementwise", "params-dict", "model-without-wrt", "script", "script-class", "layer"],
)
def test_a_message_names_the_form_the_case_meant(pytester: pytest.Pytester, fields: str, expected: str) -> None:
    write(pytester, "mylib/__init__.py", "")
    write(pytester, "mylib/m.py", MODEL)
    write(pytester, "cases/c.yaml", f"cases:\n  - name: c\n    {fields}\n")
    result = run(pytester, "--gradcheck-cases", "cases", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    assert expected in result.outlines
