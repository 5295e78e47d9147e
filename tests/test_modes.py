"""Evaluation paths and modes: black-box, vectorized (chunked, threaded), directional, auto."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import gradcheck
from gradcheck import numeric, verify


def layer(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal((n, k)) * 0.05, int(rng.integers(k))


def loss_of(x: np.ndarray, y: int):  # type: ignore[no-untyped-def]
    """XE(softmax(x @ W)) for W or a stack of W."""

    def loss(w: np.ndarray) -> np.ndarray:
        z = x @ w
        z = z - z.max(axis=-1, keepdims=True)
        return np.log(np.exp(z).sum(axis=-1)) - z[..., y]

    return loss


def grad_of(x: np.ndarray, w: np.ndarray, y: int) -> np.ndarray:
    s = gradcheck.softmax(x @ w)
    s[y] -= 1.0
    return np.outer(x, s)


# -- the paths agree ----------------------------------------------------------------------


@pytest.mark.parametrize("chunk_bytes", [1, 4096, 2**20, numeric.CHUNK_BYTES])
@pytest.mark.parametrize("workers", [1, 2])
def test_vectorized_equals_black_box_for_any_chunk_and_workers(chunk_bytes: int, workers: int) -> None:
    x, w, y = layer(20, 6)
    f = loss_of(x, y)
    loop = gradcheck.numerical_jacobian(f, w)
    batched = numeric.numerical_estimate(f, w, vectorized=True, chunk_bytes=chunk_bytes)
    # Same points, same steps: the same numbers, whatever the chunking.
    np.testing.assert_allclose(batched.jacobian, loop, rtol=0, atol=1e-12)
    probe = numeric.Probe(f, w, vectorized=True, chunk_bytes=chunk_bytes, workers=workers)
    cols, _, _ = probe.central(np.arange(w.size), numeric.entry_steps(probe.x, numeric.base_step()))
    np.testing.assert_allclose(cols.T.reshape(w.shape), loop, rtol=0, atol=1e-12)


def test_vectorized_jacobian_of_a_vector_function_has_jax_layout() -> None:
    x, w, _ = layer(4, 3)
    jac = gradcheck.numerical_jacobian(lambda v: gradcheck.softmax(x @ v), w, vectorized=True)
    assert jac.shape == (3, 4, 3)
    np.testing.assert_allclose(jac, gradcheck.layer_jacobian(x, w), rtol=1e-7, atol=1e-10)


def test_vectorized_chunks_respect_the_memory_bound() -> None:
    x, w, y = layer(64, 32)  # 2048 weights: 16 KB a point
    seen: list[int] = []

    def f(stack: np.ndarray) -> np.ndarray:
        seen.append(stack.nbytes)
        return loss_of(x, y)(stack)

    bound = 256 * 1024
    gradcheck.check_jacobian(f, w, grad_of(x, w, y), vectorized=True, chunk_bytes=bound)
    assert len(seen) > 2 and max(seen) <= bound


def test_black_box_perturbs_one_private_copy_in_place() -> None:
    x, w, y = layer(5, 4)
    original = w.copy()
    inputs: list[int] = []

    def f(v: np.ndarray) -> np.ndarray:
        inputs.append(id(v))
        return loss_of(x, y)(v)

    assert gradcheck.check_jacobian(f, w, grad_of(x, w, y)).passed
    # f(x) at the caller's own (read-only) x, then every perturbation on one private copy
    assert len(set(inputs)) == 2  # no copy of x per entry
    assert len(inputs) == 1 + 2 * w.size  # f(x), then two evaluations per entry
    np.testing.assert_array_equal(w, original)  # the caller's array is untouched


def test_peak_memory_is_the_chunk_bound_plus_a_few_copies_of_x() -> None:
    x, w, y = layer(256, 64)  # 16384 weights, 128 KB
    f, g = loss_of(x, y), grad_of(x, w, y)
    bound = 2 * 2**20
    tracemalloc.start()
    try:
        gradcheck.check_jacobian(f, w, g, vectorized=True, chunk_bytes=bound)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= bound + 10 * w.nbytes


# -- verdicts in every mode ----------------------------------------------------------------

BUGS = {
    "scale 0.1 %": lambda g: g * 1.001,
    "sign": lambda g: -g,
    "transposed values": lambda g: g[::-1].copy(),
    "one entry": lambda g: _bumped(g, (7, 3), 1e-3),
    "nan": lambda g: _bumped(g, (2, 2), np.nan),
}


def _bumped(g: np.ndarray, index: tuple[int, int], delta: float) -> np.ndarray:
    out = g.copy()
    out[index] += delta
    return out


@pytest.mark.parametrize("mode", ["full", "directional", "auto"])
@pytest.mark.parametrize("vectorized", [False, True])
def test_correct_gradient_passes_in_every_mode(mode: str, vectorized: bool) -> None:
    x, w, y = layer(30, 8)
    result = gradcheck.check_jacobian(loss_of(x, y), w, grad_of(x, w, y), mode=mode, vectorized=vectorized)
    assert result.passed, str(result)
    assert result.mode == ("full" if mode == "auto" else mode)


@pytest.mark.parametrize("bug", BUGS)
@pytest.mark.parametrize("mode", ["full", "directional"])
def test_planted_bugs_fail_in_every_mode(bug: str, mode: str) -> None:
    x, w, y = layer(30, 8)
    bad = BUGS[bug](grad_of(x, w, y))
    with pytest.raises(AssertionError, match="FAILED"):
        gradcheck.assert_jacobian(loss_of(x, y), w, bad, mode=mode, vectorized=True, wrt="W")


def test_directional_names_the_one_wrong_entry_like_the_full_mode() -> None:
    x, w, y = layer(30, 8)
    bad = _bumped(grad_of(x, w, y), (7, 3), 1e-3)
    full = gradcheck.check_jacobian(loss_of(x, y), w, bad, mode="full", wrt="W")
    directional = gradcheck.check_jacobian(loss_of(x, y), w, bad, mode="directional", wrt="W")
    assert [e.name for e in full.worst] == [e.name for e in directional.worst] == ["W[7, 3]"]
    assert directional.worst[0].abs_error == pytest.approx(1e-3, rel=1e-4)
    assert "bisection found 1 wrong entries" in str(directional)


def test_directional_finds_one_weight_off_by_005_among_a_quarter_million() -> None:
    x, w, y = layer(512, 500)
    good = grad_of(x, w, y)
    f = loss_of(x, y)
    assert gradcheck.check_jacobian(f, w, good, mode="directional").passed
    bad = _bumped(good, (317, 42), 0.05)
    result = gradcheck.check_jacobian(f, w, bad, mode="directional", vectorized=True, wrt="W")
    assert not result.passed
    assert result.worst[0].name == "W[317, 42]"
    assert "W[317, 42]" in str(result)


def test_directional_reports_a_spread_bug_without_resolving_every_entry() -> None:
    x, w, y = layer(256, 64)
    result = gradcheck.check_jacobian(loss_of(x, y), w, grad_of(x, w, y) * 1.001, mode="directional")
    assert not result.passed
    assert "spread over more than" in str(result)


def test_directional_cost_does_not_grow_with_the_number_of_weights() -> None:
    calls = []
    for n, k in [(10, 5), (400, 250)]:
        x, w, y = layer(n, k)
        count = [0]

        def f(v: np.ndarray, count: list[int] = count, x: np.ndarray = x, y: int = y) -> np.ndarray:
            count[0] += 1
            return loss_of(x, y)(v)

        assert gradcheck.check_jacobian(f, w, grad_of(x, w, y), mode="directional").passed
        calls.append(count[0])
    assert calls[0] == calls[1] <= 1 + 2 * gradcheck.directional.PROBES


def test_auto_switches_to_directional_above_the_documented_size() -> None:
    n = verify.AUTO_FULL_INPUTS // 10 + 1
    x, w, y = layer(n, 10)  # just over AUTO_FULL_INPUTS weights
    result = gradcheck.check_jacobian(loss_of(x, y), w, grad_of(x, w, y), mode="auto")
    assert result.passed and result.mode == "directional"
    small = layer(10, 10)
    assert gradcheck.check_jacobian(loss_of(*small[::2]), small[1], grad_of(*small), mode="auto").mode == "full"


def test_directional_wrong_shape_and_bad_arguments() -> None:
    x, w, y = layer(6, 4)
    result = gradcheck.check_jacobian(loss_of(x, y), w, grad_of(x, w, y).T, mode="directional")
    assert not result.passed and "shape (4, 6)" in str(result)
    with pytest.raises(ValueError, match="mode must be one of"):
        gradcheck.check_jacobian(loss_of(x, y), w, grad_of(x, w, y), mode="sideways")
    with pytest.raises(ValueError, match="chunk_bytes"):
        gradcheck.check_jacobian(loss_of(x, y), w, grad_of(x, w, y), vectorized=True, chunk_bytes=0)
    with pytest.raises(ValueError, match="workers"):
        gradcheck.check_jacobian(loss_of(x, y), w, grad_of(x, w, y), vectorized=True, workers=0)
