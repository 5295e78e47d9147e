"""A float32 softmax cross-entropy averaged over a batch: its noise (about 5e-7 on a loss of 2.3)
lets no step below f's scale of variation estimate an entry of about 1e-2 within atol, so the
second look works at steps where Richardson's tableau can show less truncation than it holds. A
correct gradient passes with defaults, w.r.t. the weights and w.r.t. the logits; planted bugs fail."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from numpy.typing import NDArray

import gradcheck

Array = NDArray[np.float32]
Case = tuple[Callable[[Array], np.float32], Array, Callable[[Array], Array]]


def _probs(z: Array) -> Array:
    s = z - z.max(axis=1, keepdims=True)
    p: Array = np.exp(s)
    p /= p.sum(axis=1, keepdims=True)
    return p


def _case(seed: int, batch: int, wrt: str) -> Case:
    """The loss, the point and the correct gradient: w.r.t. W (20x10) or the logits (batch x 10)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 10, batch)
    rows = np.arange(batch)
    w = rng.standard_normal((20, 10)).astype(np.float32)
    x = rng.standard_normal((batch, 20)).astype(np.float32)

    def loss_z(z: Array) -> np.float32:
        return np.float32(-np.log(_probs(z.astype(np.float32))[rows, y]).mean())

    def grad_z(z: Array) -> Array:
        p = _probs(z.astype(np.float32))
        p[rows, y] -= 1
        return p / np.float32(batch)

    if wrt == "logits":
        return loss_z, x @ w, grad_z
    return (lambda w: loss_z(x @ w.astype(np.float32))), w, (lambda w: x.T @ grad_z(x @ w.astype(np.float32)))


CORRECT = [(s, 256, "W") for s in range(6)] + [(s, b, "W") for b in (64, 1024) for s in range(2)]
CORRECT += [(s, b, "logits") for b in (64, 256) for s in range(2)]


@pytest.mark.parametrize(("seed", "batch", "wrt"), CORRECT)
def test_a_correct_float32_batch_cross_entropy_gradient_passes(seed: int, batch: int, wrt: str) -> None:
    f, x, g = _case(seed, batch, wrt)
    result = gradcheck.check_jacobian(f, x, g)
    assert result.passed, result.report()


@pytest.mark.xfail(
    strict=True,
    reason="one entry's ladder at 0.25 already straddles f's scale of variation, reads as noise above "
    "the measured one, and the look widens sigma and climbs instead of going below it: unresolved",
)
def test_a_correct_float32_batch_cross_entropy_gradient_passes_seed_14() -> None:
    f, x, g = _case(14, 256, "W")
    assert gradcheck.check_jacobian(f, x, g).passed


BUGS: dict[str, Callable[[Array, int], Array]] = {
    "1 % off": lambda a, b: a * np.float32(1.01),
    "0.1 % off": lambda a, b: a * np.float32(1.001),
    "without its 1/B": lambda a, b: a * np.float32(b),
    "sign flipped": lambda a, b: -a,
}


@pytest.mark.parametrize("bug", list(BUGS))
@pytest.mark.parametrize(("seed", "batch"), [(0, 256), (1, 256), (0, 64), (0, 1024)])
def test_a_planted_bug_in_the_weights_gradient_fails(bug: str, seed: int, batch: int) -> None:
    """0.1 % of the largest entries (5e-2 and more) is several times atol (1e-5) plus the look's
    allowance (about 1e-5 here): detectable, and caught."""
    f, x, g = _case(seed, batch, "W")
    result = gradcheck.check_jacobian(f, x, lambda w: BUGS[bug](g(w), batch))
    assert not result.passed and result.diagnosis == "bug", result.report()


@pytest.mark.parametrize("bug", ["1 % off", "without its 1/B", "sign flipped"])
@pytest.mark.parametrize("batch", [64, 256])
def test_a_planted_bug_in_the_logits_gradient_fails(bug: str, batch: int) -> None:
    """(0.1 % of an entry of about 1/B is below atol: within the tolerance, not a bug to catch.)"""
    f, x, g = _case(0, batch, "logits")
    result = gradcheck.check_jacobian(f, x, lambda z: BUGS[bug](g(z), batch))
    assert not result.passed and result.diagnosis == "bug", result.report()


def test_a_01_percent_error_in_the_logits_gradient_is_within_the_tolerance() -> None:
    f, x, g = _case(0, 256, "logits")
    a = g(x)
    assert np.max(np.abs(a) * 1e-3) < 1e-5  # below float32's atol: no check can call it wrong
