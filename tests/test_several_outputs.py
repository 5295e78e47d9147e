"""A step that returns several outputs and a cache (`next_h, next_c, cache`), and a backward that
takes one cotangent per output: `outputs:` checks them together."""

from __future__ import annotations

import numpy as np
import pytest
from pluginrun import one_case

import gradcheck

#: Under mylib/: a gated recurrent step of the LSTM kind, its backward, and two variants.
RNN = """\
import numpy as np


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def step_forward(x, h, Wx, Wh):
    a = x @ Wx + h @ Wh
    half = h.shape[1]
    i, g = sigmoid(a[:, :half]), np.tanh(a[:, half:])
    c = i * g
    next_h = np.tanh(c)
    return next_h, c, (x, h, Wx, Wh, i, g, next_h)


def step_backward(dnext_h, dc, cache):
    x, h, Wx, Wh, i, g, next_h = cache
    dc += dnext_h * (1 - next_h**2)  # in place, on the cotangent it was handed
    da = np.hstack([dc * g * i * (1 - i), dc * i * (1 - g**2)])
    return da @ Wx.T, da @ Wh.T, x.T @ da, h.T @ da


def step_backward_drops_dc(dnext_h, dc, cache):
    x, h, Wx, Wh, i, g, next_h = cache
    dc = dnext_h * (1 - next_h**2)  # the cotangent of c itself forgotten
    da = np.hstack([dc * g * i * (1 - i), dc * i * (1 - g**2)])
    return da @ Wx.T, da @ Wh.T, x.T @ da, h.T @ da


def step_forward_one(x, h, Wx, Wh):
    return step_forward(x, h, Wx, Wh)[0]
"""

CASE = """\
function: mylib.rnn:{function}
backward: mylib.rnn:{backward}
outputs: 2
args:
  x: {{shape: [3, 4], seed: 0}}
  h: {{shape: [3, 5], seed: 1}}
  Wx: {{shape: [4, 10], seed: 2, scale: 0.3}}
  Wh: {{shape: [5, 10], seed: 3, scale: 0.3}}
wrt: [x, h, Wx, Wh]
"""


def outcome(pytester: pytest.Pytester, backward: str, function: str = "step_forward") -> pytest.RunResult:
    return one_case(pytester, ("rnn", RNN), CASE.format(function=function, backward=backward))


def test_two_outputs_and_a_backward_that_adds_into_its_cotangent_pass(pytester: pytest.Pytester) -> None:
    outcome(pytester, "step_backward").assert_outcomes(passed=4)


def test_a_backward_that_forgets_one_output_s_cotangent_fails_every_gradient(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, "step_backward_drops_dc")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*entries of dWx for cotangent 1 of 3 (seeded random) differ*"])


def test_a_function_of_fewer_values_than_outputs_is_one_line(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, "step_backward", function="step_forward_one")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:5: outputs: mylib.rnn:step_forward_one returned one ndarray; outputs: 2 needs "
            "a tuple of at least 2 (the outputs first, then what backward takes)"
        ]
    )


def test_outputs_need_a_derivative_that_takes_cotangents(pytester: pytest.Pytester) -> None:
    case = "function: mylib.rnn:step_forward\ngradient: mylib.rnn:step_backward\noutputs: 2\nargs: {x: [1.0]}"
    result = one_case(pytester, ("rnn", RNN), case)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:5: outputs: needs vjp: or backward:, which take one cotangent per output; this case "
            "has gradient:"
        ]
    )


def test_check_function_takes_outputs_too() -> None:
    def forward(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, None]:
        return np.sin(x), x**2, None

    def backward(da: np.ndarray, db: np.ndarray, cache: None) -> np.ndarray:
        return da * np.cos(X) + db * 2 * X

    X = np.array([0.3, -1.2, 2.0])
    assert gradcheck.check_function(forward, backward=backward, outputs=2, args={"x": X})
    wrong = gradcheck.check_function(forward, backward=lambda da, db, cache: da * np.cos(X), outputs=2, args={"x": X})
    assert not wrong
