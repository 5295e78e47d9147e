"""Derivatives that write into what they are handed are checked as the functions they compute:
a backward that updates its cotangent in place (`dout *= ...`), one that spoils its cache, and a
vjp that returns a buffer it reuses for every call all pass where their maths is right, and a
planted bug among them still fails."""

from __future__ import annotations

import pytest
from pluginrun import run, write

CELL = """\
import numpy as np


def step_forward(x, w):
    out = np.tanh(x @ w)
    return out, {"x": x, "w": w, "out": out}


def step_backward(dout, cache):
    dout *= 1.0 - cache["out"] ** 2  # in place, on the cotangent it is handed
    dx = dout @ cache["w"].T
    dw = cache["x"].T @ dout
    cache["out"][...] = 0.0  # and it spoils its cache
    return dx, dw


def wrong_backward(dout, cache):
    dx, dw = step_backward(dout, cache)
    return dx, 1.01 * dw


def tanh(x):
    return np.tanh(x)


_buffer = {}


def tanh_vjp(u, x):
    u *= 1.0 - np.tanh(x) ** 2
    out = _buffer.setdefault("g", np.empty_like(x))  # the same array, returned by every call
    out[...] = u
    return out
"""

CASES = """\
cases:
  - name: step
    function: cell:step_forward
    backward: cell:step_backward
    args: {x: {shape: [2, 3], seed: 0}, w: {shape: [3, 4], seed: 1}}
    wrt: [x, w]
  - name: tanh
    function: cell:tanh
    vjp: cell:tanh_vjp
    args: {x: {shape: [40], seed: 0}}
  - name: wrong
    function: cell:step_forward
    backward: cell:wrong_backward
    args: {x: {shape: [2, 3], seed: 0}, w: {shape: [3, 4], seed: 1}}
    wrt: [x, w]
"""


def test_derivatives_that_write_into_their_arguments_are_checked_as_what_they_compute(
    pytester: pytest.Pytester,
) -> None:
    write(pytester, "cell.py", CELL)
    write(pytester, "cases/c.yaml", CASES)
    result = run(pytester, "--gradcheck-cases", "cases", "-rf")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["FAILED cases/c.yaml::wrong[[]backward:w[]]*"])
    assert "not linear in its cotangent" not in result.stdout.str()
