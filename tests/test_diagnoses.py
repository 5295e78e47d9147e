"""Failures told for what they are: an f that ignores its argument gets its own hint, and the
summary's max rel error agrees with the table's (inf where numeric is 0 and analytic is not)."""

from __future__ import annotations

import numpy as np

import gradcheck
from gradcheck.verdict.hints import UNMOVED


class Net:
    def __init__(self) -> None:
        self.W = np.random.default_rng(0).standard_normal((3, 2))

    def loss(self) -> float:
        return float(np.sum(self.W**2))


def test_an_f_that_ignores_its_argument_is_told_so() -> None:
    net = Net()
    result = gradcheck.check_jacobian(lambda W: net.loss(), net.W, 2 * net.W)  # reads net.W, not W
    assert not result.passed and result.hints == (UNMOVED,)
    assert result.max_rel_error == np.inf and all(e.rel_error == np.inf for e in result.worst)
    assert "max rel error inf" in str(result)
    assert "hint: f does not change when x does: does f read its argument?" in str(result)


def test_a_real_bug_keeps_its_own_hints() -> None:
    W = Net().W
    result = gradcheck.check_jacobian(lambda w: float(np.sum(w**2)), W, -2 * W)
    assert result.hints[0] == "analytic = -numeric: the sign is flipped" and UNMOVED not in result.hints
    assert np.isfinite(result.max_rel_error)
