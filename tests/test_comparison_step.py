"""The Comparison says which relative step and mode check_jacobian used."""

from __future__ import annotations

import numpy as np
import pytest

import gradcheck
from gradcheck.numerics import stencils


def exp_jacobian(x: np.ndarray) -> np.ndarray:
    return np.diag(np.exp(x))


@pytest.mark.parametrize("mode", ["full", "directional"])
def test_default_step_and_mode_are_recorded(mode: str) -> None:
    result = gradcheck.check_jacobian(np.exp, np.array([0.3, 0.7]), exp_jacobian, mode=mode)
    assert result.passed
    assert result.step == pytest.approx(np.finfo(np.float64).eps ** (1 / 3))
    assert result.step == stencils.base_step(np.float64)
    assert result.mode == mode


def test_given_step_is_recorded_and_auto_resolves() -> None:
    result = gradcheck.check_jacobian(np.exp, np.array([0.3, 0.7]), exp_jacobian, step=1e-4, mode="auto")
    assert (result.step, result.mode) == (1e-4, "full")


def test_a_failing_refined_comparison_keeps_the_step() -> None:
    result = gradcheck.check_jacobian(np.exp, np.array([0.3, 0.7]), lambda x: 1.01 * exp_jacobian(x), step=2e-6)
    assert not result.passed
    assert result.step == 2e-6
