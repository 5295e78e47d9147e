"""Joints where f is C1 but not C2 (its second derivative jumps): the squared hinge max(v, 0)^2,
Huber's loss at its switch |r| = 1, and v |v| at 0, checked a hair from the joint with default
settings. A central difference whose step straddles such a joint is off by O(h); the second look
must step below the joint and pass the correct derivative, and keep failing the planted bugs
(the gradient without its max, a Huber gradient off on one side or without its clip). A true kink
(|x|) keeps its diagnosis."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

import gradcheck
from gradcheck.numerics import ladder, noise
from gradcheck.verdict import hints

Array = np.ndarray
DISTANCES = [1e-9, 5e-8, 1e-6, 1e-5]


# -- the functions, each followed by its gradient ------------------------------------------------


def squared_hinge(v: Array) -> float:
    return float(np.sum(np.maximum(v, 0.0) ** 2))


def squared_hinge_grad(v: Array) -> Array:
    return 2.0 * np.maximum(v, 0.0)  # type: ignore[no-any-return]


def squared_hinge_grad_without_max(v: Array) -> Array:
    """The planted bug: the gradient of sum(v^2)."""
    return 2.0 * v


def huber(r: Array) -> float:
    """Huber's loss with threshold 1: r^2 / 2 inside, |r| - 1/2 outside."""
    a = np.abs(r)
    return float(np.sum(np.where(a <= 1.0, 0.5 * r * r, a - 0.5)))


def huber_grad(r: Array) -> Array:
    return np.clip(r, -1.0, 1.0)  # type: ignore[no-any-return]


def huber_grad_outside_off(r: Array) -> Array:
    """The planted bug: 0.1 % too large on the linear side."""
    return np.where(np.abs(r) <= 1.0, r, 1.001 * np.sign(r))


def huber_grad_inside_off(r: Array) -> Array:
    """The planted bug: 0.1 % too large on the quadratic side."""
    return np.where(np.abs(r) <= 1.0, 1.001 * r, np.sign(r))


def huber_grad_without_clip(r: Array) -> Array:
    """The planted bug: the quadratic side's gradient everywhere."""
    return r


def signed_square(v: Array) -> Array:
    """v |v| per entry (a Jacobian, diagonal): f'' jumps from -2 to 2 at 0."""
    return v * np.abs(v)  # type: ignore[no-any-return]


def signed_square_sum(v: Array) -> float:
    return float(np.sum(signed_square(v)))


def signed_square_jacobian(v: Array) -> Array:
    return np.diag(2.0 * np.abs(v))


def signed_square_jacobian_without_abs(v: Array) -> Array:
    """The planted bug: 2 v, the derivative of v^2."""
    return np.diag(2.0 * v)


# -- the points: entries a distance d either side of the joint, and some far from it -------------


def near_zero(d: float) -> Array:
    """Entries d either side of 0 (and 2.5 d), with others well away from it."""
    return np.array([d, -d, 0.7, -0.3, 1.2, 2.5 * d, -2.5 * d])


def near_one(d: float) -> Array:
    """Entries d either side of |r| = 1 on both sides of 0, with others well away from it."""
    return np.array([1.0 + d, 1.0 - d, -1.0 - d, -1.0 + d, 0.3, 2.0, 1.0 + 3.0 * d])


CORRECT: list[tuple[str, Callable[[Array], object], Callable[[Array], Array], Callable[[float], Array]]] = [
    ("squared hinge", squared_hinge, squared_hinge_grad, near_zero),
    ("huber", huber, huber_grad, near_one),
]


@pytest.mark.parametrize("d", DISTANCES)
@pytest.mark.parametrize(("name", "f", "grad", "point"), CORRECT, ids=[c[0] for c in CORRECT])
def test_a_correct_c1_function_passes_a_hair_from_its_joint(
    name: str, f: Callable[[Array], float], grad: Callable[[Array], Array], point: Callable[[float], Array], d: float
) -> None:
    x = point(d)
    result = gradcheck.check_jacobian(f, x, grad(x))
    assert result.passed, str(result)


@pytest.mark.parametrize("d", DISTANCES)
def test_a_correct_c1_function_passes_with_every_entry_near_its_joint(d: float) -> None:
    """Only entries near the joints: f is a sum of small terms (the hinge's) or of terms near 1/2."""
    for f, grad, x in (
        (squared_hinge, squared_hinge_grad, np.array([d, -d, 3.0 * d])),
        (huber, huber_grad, np.array([1.0 + d, -1.0 + d, 1.0 - 2.0 * d])),
    ):
        result = gradcheck.check_jacobian(f, x, grad(x))
        assert result.passed, str(result)


@pytest.mark.parametrize("d", DISTANCES)
def test_a_correct_c1_jacobian_passes_a_hair_from_its_joint(d: float) -> None:
    x = near_zero(d)
    result = gradcheck.check_jacobian(signed_square, x, signed_square_jacobian(x))
    assert result.passed, str(result)


@pytest.mark.parametrize("d", DISTANCES)
def test_a_correct_sum_of_v_abs_v_passes_a_hair_from_its_joint(d: float) -> None:
    """Its mean curvature across the joint is 0: from afar it looks like a kink whose jump, 4 d,
    sinks into the noise of the other terms at smaller steps; its central differences are not
    smooth there, as a kink at x would leave them, so the look steps below it all the same."""
    x = near_zero(d)
    result = gradcheck.check_jacobian(signed_square_sum, x, 2.0 * np.abs(x))
    assert result.passed, str(result)


def test_a_correct_sum_of_v_abs_v_passes_5e_9_from_its_joint_among_large_terms() -> None:
    x = np.array([5.323843941907691e-09, 1.194093383224422, -1.2238980959718218])
    assert gradcheck.check_jacobian(signed_square_sum, x, 2.0 * np.abs(x)).passed


@pytest.mark.parametrize("d", DISTANCES)
def test_the_squared_hinge_without_its_max_fails_next_to_the_joint(d: float) -> None:
    """2 v where the gradient is 0: off by 2 d at the entries left of 0, and at -0.3 by 0.6."""
    x = near_zero(d)
    result = gradcheck.check_jacobian(squared_hinge, x, squared_hinge_grad_without_max(x))
    assert not result.passed and result.diagnosis == "bug", str(result)
    if d >= 5e-8:  # 2 d beyond the tolerance (1e-8): the entries next to the joint fail themselves
        near = {e.index for e in result.worst}
        assert {(1,), (6,)} <= near, str(result)


@pytest.mark.parametrize("d", [5e-8, 1e-6])
def test_the_squared_hinge_without_its_max_fails_with_only_entries_near_the_joint(d: float) -> None:
    x = np.array([d, -d, -3.0 * d])
    result = gradcheck.check_jacobian(squared_hinge, x, squared_hinge_grad_without_max(x))
    assert not result.passed and result.diagnosis == "bug", str(result)


@pytest.mark.parametrize("d", DISTANCES)
@pytest.mark.parametrize("bug", [huber_grad_outside_off, huber_grad_inside_off], ids=["outside", "inside"])
def test_a_huber_gradient_off_on_one_side_fails_next_to_the_switch(bug: Callable[[Array], Array], d: float) -> None:
    x = near_one(d)
    result = gradcheck.check_jacobian(huber, x, bug(x))
    assert not result.passed and result.diagnosis == "bug", str(result)
    wrong = {(0,), (2,), (6,)} if bug is huber_grad_outside_off else {(1,), (3,)}
    assert wrong <= {e.index for e in result.worst}, str(result)


@pytest.mark.parametrize("d", DISTANCES)
def test_a_huber_gradient_without_its_clip_fails(d: float) -> None:
    """r where the gradient is 1: off by d next to the switch (beyond the tolerance from 1e-5 on)
    and by 1 at r = 2."""
    x = near_one(d)
    result = gradcheck.check_jacobian(huber, x, huber_grad_without_clip(x))
    assert not result.passed and result.diagnosis == "bug", str(result)
    if d >= 1e-5:
        assert {(0,), (2,)} <= {e.index for e in result.worst}, str(result)


def test_a_huber_gradient_without_its_clip_fails_with_only_entries_near_the_switch() -> None:
    x = np.array([1.0 + 1e-5, -1.0 - 1e-5, 1.0 - 1e-5])
    result = gradcheck.check_jacobian(huber, x, huber_grad_without_clip(x))
    assert not result.passed and result.diagnosis == "bug", str(result)


@pytest.mark.parametrize("d", [5e-8, 1e-6, 1e-5])
def test_v_abs_v_without_its_abs_fails_next_to_its_joint(d: float) -> None:
    x = near_zero(d)
    result = gradcheck.check_jacobian(signed_square, x, signed_square_jacobian_without_abs(x))
    assert not result.passed and result.diagnosis == "bug", str(result)


@pytest.mark.parametrize("d", [5e-8, 1e-6])
def test_v_abs_v_without_its_abs_fails_with_only_entries_near_its_joint(d: float) -> None:
    x = np.array([d, -d, -3.0 * d])
    result = gradcheck.check_jacobian(signed_square_sum, x, 2.0 * x)
    assert not result.passed and result.diagnosis == "bug", str(result)
    assert {(1,), (2,)} <= {e.index for e in result.worst}, str(result)


SCALED = [
    (
        100.0,
        [3.100088790500156e-07, -0.2911825816632545, 2.117058524897847e-07, -0.3574216373017438, -0.0035645, 1.5169962],
    ),
    (1e4, [-2.8998491377700216e-07, -1.0943050913788603e-07, -0.09709197863091479, -1.7735058665206047, 1.6541719]),
    (1e3, [-1.7508157988707507e-08, 9.922191377181196e-09, 1.2171578920884085e-08, -1.00724725642112, 1.7578981869]),
]


@pytest.mark.parametrize(("scale", "x"), SCALED, ids=[f"{s:g}" for s, _ in SCALED])
def test_a_scaled_squared_hinge_passes_a_few_steps_from_its_joint(scale: float, x: list[float]) -> None:
    """Noise-limited: the joint a step or two of the second look away, where a ladder straddles
    it with only its larger steps."""
    v = np.array(x)
    result = gradcheck.check_jacobian(lambda u: scale * squared_hinge(u), v, scale * squared_hinge_grad(v))
    assert result.passed, str(result)
    bug = gradcheck.check_jacobian(lambda u: scale * squared_hinge(u), v, scale * squared_hinge_grad_without_max(v))
    assert not bug.passed and bug.diagnosis == "bug", str(bug)


def squared_hinge_f32(v: Array) -> Array:
    """max(v, 0)^2 per entry, computed in float32."""
    return np.maximum(v.astype(np.float32), np.float32(0.0)) ** 2


@pytest.mark.parametrize("d", [1e-9, 1e-7, 1e-5])
def test_a_squared_hinge_in_float32_passes_a_hair_from_its_joint(d: float) -> None:
    """f(x - 2^-10) is 0 where f(x) is not: the noise table holds still beyond x's first neighbour
    on one side, which is no sign of f rounding x (its stairs would hold still on both)."""
    x = np.array([1.6 * d, 1.8 * d, -0.7 * d, 1.4, -0.42])
    result = gradcheck.check_jacobian(squared_hinge_f32, x, np.diag(squared_hinge_grad(x)))
    assert result.passed, str(result)


def test_a_squared_hinge_in_float32_without_its_max_fails() -> None:
    x = np.array([1e-3, -1e-3, -2e-3, 1.4, -0.42])
    result = gradcheck.check_jacobian(squared_hinge_f32, x, np.diag(squared_hinge_grad_without_max(x)))
    assert not result.passed and result.diagnosis == "bug", str(result)


# -- a true kink keeps its diagnosis -------------------------------------------------------------


def abs_sum(v: Array) -> float:
    return float(np.sum(np.abs(v)))


def test_a_kink_5e_8_away_with_its_one_sided_derivative_passes_and_is_noted() -> None:
    for x in (np.array([5e-8, 0.4, -1.2]), np.array([-5e-8, 0.4])):
        result = gradcheck.check_jacobian(abs_sum, x, np.sign(x))
        assert result.passed, str(result)
        assert "kink nearby at x[0] (the first step straddles it, a smaller step does not)" in result.method


def test_a_kink_5e_8_away_with_the_other_sides_derivative_is_a_bug() -> None:
    x = np.array([5e-8, 0.4, -1.2])
    result = gradcheck.check_jacobian(abs_sum, x, np.array([-1.0, 1.0, -1.0]))
    assert not result.passed and result.diagnosis == "bug", str(result)


def test_a_kink_at_x_with_a_one_sided_derivative_is_a_kink_unless_subgradient() -> None:
    x = np.array([0.0, 0.4])
    analytic = np.array([1.0, 1.0])
    result = gradcheck.check_jacobian(abs_sum, x, analytic)
    assert not result.passed and result.diagnosis == "kink", str(result)
    assert "not differentiable at x[0]: one-sided derivatives -1 (left) and 1 (right), analytic 1" in str(result)
    assert gradcheck.check_jacobian(abs_sum, x, analytic, subgradient=True).passed


# -- the parts: the noise table and the ladder ---------------------------------------------------


def _table(f: Callable[[Array], Array], x: float, delta: float) -> Array:
    """f at x + k delta, k = -HALF..HALF, as a table (1, p, 1)."""
    points = x + delta * np.arange(-noise.HALF, noise.HALF + 1)
    return np.asarray(f(points), dtype=np.float64).reshape(1, -1, 1)


def _huber_terms(r: Array) -> Array:
    a = np.abs(r)
    return np.where(a <= 1.0, 0.5 * r * r, a - 0.5) + 3.0  # type: ignore[no-any-return]


def test_a_joint_in_the_noise_table_is_no_noise() -> None:
    """Its third differences, a spike at the joint, look like noise of 1e-13 from order 3 on; the
    table is told apart (KINKED), and its clean half gives the rounding instead."""
    x = 1.0 + 5e-8
    assert noise.levels(_table(_huber_terms, x, 2.0**-20))[1][0, 0] == noise.KINKED

    def stencil(rows: Array, hs: Array) -> tuple[Array, Array, Array]:
        return _huber_terms(x + hs)[:, None], _huber_terms(x - hs)[:, None], 2.0 * hs

    f0 = _huber_terms(np.array([x]))
    measured = noise.measure(stencil, f0, np.array([2.0**-20]), np.abs(f0), np.ones((1, 1), dtype=bool))
    assert measured.status[0, 0] == noise.OK and measured.sigma[0, 0] < 1e-15


def test_a_table_constant_on_one_side_is_no_stairs() -> None:
    """max(v, 0)^2 just left of 0 holds still to the left and, past the joint, moves at every point."""
    hinge = lambda v: np.maximum(v, 0.0) ** 2  # noqa: E731
    assert noise.one_sided(_table(hinge, -1.5e-9, 2.0**-30))[0, 0]
    assert not noise.one_sided(_table(hinge, 0.3, 2.0**-30))[0, 0]  # moves on both sides
    assert noise.one_sided(_table(hinge, 1e-7, 2.0**-20))[0, 0]  # the joint between x and x - delta
    stairs = np.array([1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]).reshape(1, -1, 1)
    assert not noise.one_sided(stairs)[0, 0]  # still again after it moved: stairs


def _ladder(f: Callable[[Array], Array], x: float, h: float, sigma: float) -> ladder.Ladder:
    """The ladder at steps h, 2h, 4h of a scalar f at x, with noise sigma."""
    steps = h * np.array([1.0, 2.0, 4.0])
    up, down, mid = f(x + steps), f(x - steps), f(np.array([x]))
    return ladder.Ladder(
        d=((up - down) / (2.0 * steps)).reshape(3, 1, 1),
        fwd=((up - mid) / steps).reshape(3, 1, 1),
        bwd=((mid - down) / steps).reshape(3, 1, 1),
        nu=np.array([[sigma / h]]),
    )


def _read(ld: ladder.Ladder, h: float) -> ladder.Reading:
    return ladder.read(ld, np.array([h]), np.ones((1, 1), dtype=bool), np.zeros((1, 1)), np.zeros((1, 1), dtype=bool))


def test_a_ladder_straddling_a_joint_is_not_smooth() -> None:
    hinge = lambda v: np.maximum(v, 0.0) ** 2  # noqa: E731
    # far above the joint (5e-8): D falls like h, not h^2
    assert not _read(_ladder(hinge, 5e-8, 2.4e-7, 1e-17), 2.4e-7).smooth[0, 0]
    # the lowest step just below the joint, the others above: D looks like h^2, S does not
    assert not _read(_ladder(hinge, 5e-8, 4.5e-8, 1e-17), 4.5e-8).smooth[0, 0]
    # ... 1.3 steps from it: D shrinks faster than h^2 (6 times per halving), and S changes at 2h
    assert not _read(_ladder(hinge, 5e-8, 5e-8 / 1.3, 1e-17), 5e-8 / 1.3).smooth[0, 0]
    # every step below it: smooth, and exact
    below = _read(_ladder(hinge, 5e-8, 1e-8, 1e-17), 1e-8)
    assert below.smooth[0, 0] and abs(below.value[0, 0] - 1e-7) <= below.error[0, 0]


def test_a_smooth_ladder_stays_smooth() -> None:
    cubic = lambda v: v**3 + 0.5 * v**2  # noqa: E731
    r = _read(_ladder(cubic, 0.3, 1e-3, 1e-17), 1e-3)
    assert r.smooth[0, 0] and abs(r.value[0, 0] - (3 * 0.09 + 0.3)) <= r.error[0, 0]


def test_a_step_sweep_that_shrinks_like_h_names_a_joint() -> None:
    steps = [9.7e-5, 2.4e-5, 6.1e-6, 1.5e-6, 3.8e-7]
    line = hints.sweep_line("x[1]", steps, [4.8e-5, 1.2e-5, 3.1e-6, 8.1e-7, 2.4e-7])  # max(v, 0)^2 at -5e-8
    assert "it shrinks like h, not h^2, with the step: the steps straddle a point where f'' jumps" in line
    assert "false alarm" not in line and "real bug" not in line
    assert "shrinks like h^2" in hints.sweep_line("x[0]", steps, [16.0**-k for k in range(5)])
