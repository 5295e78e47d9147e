"""A step that returns several outputs and a cache (`next_h, next_c, cache`), and a backward that
takes one cotangent per output: `outputs:` checks them together."""

from __future__ import annotations

import numpy as np
import pytest
from pluginrun import SHAPES, one_case

import gradcheck

#: Under mylib/: the example's gated recurrent step of the LSTM kind (its backward adds into the
#: cotangent it is handed), and two variants.
RNN = (
    SHAPES
    + """

def gated_step_backward_drops_dc(dnext_h, dnext_c, cache):
    return gated_step_backward(dnext_h, np.zeros_like(dnext_c), cache)  # the cotangent of c itself forgotten


def gated_step_forward_one(x, h, Wx, Wh):
    return gated_step_forward(x, h, Wx, Wh)[0]
"""
)

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


def outcome(pytester: pytest.Pytester, backward: str, function: str = "gated_step_forward") -> pytest.RunResult:
    return one_case(pytester, ("rnn", RNN), CASE.format(function=function, backward=backward))


def test_two_outputs_and_a_backward_that_adds_into_its_cotangent_pass(pytester: pytest.Pytester) -> None:
    outcome(pytester, "gated_step_backward").assert_outcomes(passed=4)


def test_a_backward_that_forgets_one_output_s_cotangent_fails_every_gradient(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, "gated_step_backward_drops_dc")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(["*entries of dWx for cotangent 1 of 3 (seeded random) differ*"])


def test_a_function_of_fewer_values_than_outputs_is_one_line(pytester: pytest.Pytester) -> None:
    result = outcome(pytester, "gated_step_backward", function="gated_step_forward_one")
    result.assert_outcomes(failed=4)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:5: outputs: mylib.rnn:gated_step_forward_one returned one ndarray; outputs: 2 needs "
            "a tuple of at least 2 (the outputs first, then what backward takes)"
        ]
    )


def test_outputs_need_a_derivative_that_takes_cotangents(pytester: pytest.Pytester) -> None:
    case = (
        "function: mylib.rnn:gated_step_forward\ngradient: mylib.rnn:gated_step_backward\noutputs: 2\nargs: {x: [1.0]}"
    )
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
