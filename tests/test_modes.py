"""Evaluation paths and modes: black-box, vectorized (chunked, threaded), directional, auto."""

from __future__ import annotations

import threading
import time
import tracemalloc

import numpy as np
import pytest

import gradcheck
from gradcheck.errors import FunctionError
from gradcheck.numerics import chunks, directional, scratch, stencils
from gradcheck.verdict import bounds


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


@pytest.mark.parametrize("chunk_bytes", [1, 4096, 2**20, chunks.CHUNK_BYTES])
@pytest.mark.parametrize("workers", [1, 2])
def test_vectorized_equals_black_box_for_any_chunk_and_workers(chunk_bytes: int, workers: int) -> None:
    x, w, y = layer(20, 6)
    f = loss_of(x, y)
    loop = gradcheck.numerical_jacobian(f, w)
    batched = stencils.numerical_estimate(f, w, vectorized=True, chunk_bytes=chunk_bytes)
    # Same points, same steps: the same numbers, whatever the chunking.
    np.testing.assert_allclose(batched.jacobian, loop, rtol=0, atol=1e-12)
    probe = stencils.Probe(f, w, vectorized=True, chunk_bytes=chunk_bytes, workers=workers)
    cols, _, _ = probe.central(np.arange(w.size), stencils.entry_steps(probe.x, stencils.base_step()))
    np.testing.assert_allclose(cols.T.reshape(w.shape), loop, rtol=0, atol=1e-12)


@pytest.mark.parametrize("shape", [(7,), (20, 6), (3, 4, 5)])
@pytest.mark.parametrize("workers", [1, 2])
def test_points_in_fortran_order_give_the_black_box_numbers(shape: tuple[int, ...], workers: int) -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    seen: list[np.ndarray] = []

    def f(v: np.ndarray) -> np.ndarray:
        if v.ndim > len(shape):
            seen.append(v)
        return np.tanh(v).reshape(*v.shape[: v.ndim - len(shape)], -1) @ np.arange(1.0, x.size + 1)

    probe = stencils.Probe(f, x, vectorized=True, order="F", chunk_bytes=4096, workers=workers)
    # every other entry, backwards: the cells are sorted into memory order and the results back
    idx = np.arange(x.size)[::-2].copy()
    h = stencils.entry_steps(probe.x, stencils.base_step())[idx]
    loop = stencils.Probe(f, x)
    for got, want in zip(probe.pairs(idx, h), loop.pairs(idx, h), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=1e-14)
    assert seen and all(v.shape[1:] == shape for v in seen)
    assert all(p.flags.f_contiguous for v in seen for p in v)  # each point in Fortran order
    assert probe.order == "F"


def test_workers_take_chunks_as_they_finish_so_a_slow_one_takes_fewer() -> None:
    x, w, y = layer(40, 5)
    main = threading.get_ident()
    calls: list[int] = []

    def f(v: np.ndarray) -> np.ndarray:
        if v.ndim == 3:
            calls.append(threading.get_ident())
            if threading.get_ident() == main:
                time.sleep(0.02)  # this worker's core is busy elsewhere
        return loss_of(x, y)(v)

    chunk = 4 * 2 * 8 * (w.size + 1)  # 4 pairs a chunk for each of 2 workers: 25 chunks
    assert gradcheck.check_jacobian(f, w, grad_of(x, w, y), vectorized=True, workers=2, chunk_bytes=chunk).passed
    assert len(calls) >= 25
    assert calls.count(main) < len(calls) / 4  # a static split would have given it half


def test_a_worker_that_fails_stops_the_check_with_its_error() -> None:
    x, w, y = layer(40, 5)
    calls: list[int] = []

    def f(v: np.ndarray) -> np.ndarray:
        if v.ndim == 3:
            calls.append(1)
            if len(calls) == 3:
                raise FloatingPointError("f broke on its third chunk")
        return loss_of(x, y)(v)

    with pytest.raises(FunctionError, match=r"f raised FloatingPointError at one of \d+ points, .*third chunk") as info:
        gradcheck.check_jacobian(f, w, grad_of(x, w, y), vectorized=True, workers=2, chunk_bytes=4096)
    assert isinstance(info.value.__cause__, FloatingPointError)  # f's own, with its traceback
    assert len(calls) < 10  # of 200 chunks (one pair each): the other worker stopped too


@pytest.mark.parametrize("order", ["C", "F"])
def test_an_empty_x_with_an_empty_f_passes_vectorized_too(order: str) -> None:
    empty = np.zeros((0, 3))
    result = gradcheck.check_jacobian(lambda v: 2.0 * v, empty, np.zeros((0, 3, 0, 3)), vectorized=True, order=order)
    assert result.passed and result.total == 0


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValueError, match="order must be one of C, F, got 'K'"):
        gradcheck.check_jacobian(np.sum, np.ones(3), np.ones(3), vectorized=True, order="K")


@pytest.mark.parametrize("order", ["C", "F"])
def test_both_orders_pass_a_right_gradient_and_fail_a_wrong_one(order: str) -> None:
    x, w, y = layer(50, 7)
    f, g = loss_of(x, y), grad_of(x, w, y)
    assert gradcheck.check_jacobian(f, w, g, vectorized=True, order=order, chunk_bytes=64 * 1024).passed
    bad = g.copy()
    bad[31, 2] += 1e-4
    result = gradcheck.check_jacobian(f, w, bad, vectorized=True, order=order, chunk_bytes=64 * 1024, wrt="W")
    assert not result.passed
    assert [e.name for e in result.worst][:1] == ["W[31, 2]"]


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


@pytest.mark.parametrize("order", ["C", "F"])
def test_peak_memory_is_the_chunk_bound_plus_a_few_copies_of_x(order: str) -> None:
    x, w, y = layer(256, 64)  # 16384 weights, 128 KB
    f, g = loss_of(x, y), grad_of(x, w, y)
    bound = 2 * 2**20
    scratch.clear()  # the check allocates its chunk rather than reusing one kept from before
    tracemalloc.start()
    try:
        gradcheck.check_jacobian(f, w, g, vectorized=True, chunk_bytes=bound, order=order)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert bound // 2 <= peak <= bound + 10 * w.nbytes  # the chunk was counted, and it kept to the bound


def test_a_check_reuses_the_chunk_a_check_before_it_gave_back() -> None:
    x, w, y = layer(256, 64)
    f, g = loss_of(x, y), grad_of(x, w, y)
    scratch.clear()
    peaks = []
    for _ in range(2):
        tracemalloc.start()
        try:
            assert gradcheck.check_jacobian(f, w, g, vectorized=True, chunk_bytes=2 * 2**20).passed
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    kept = scratch.spare_bytes()
    assert 2**20 <= kept <= scratch.KEEP_BYTES  # the chunk, given back
    assert peaks[1] <= peaks[0] - kept  # the second check allocated no chunk: it refilled the kept one


def test_a_directional_check_reuses_the_points_a_check_before_it_gave_back() -> None:
    x, w, y = layer(512, 64)  # 32768 weights: the points of a direction take 256 KB
    f, g = loss_of(x, y), grad_of(x, w, y)
    scratch.clear()
    assert gradcheck.check_jacobian(f, w, g, mode="directional").passed
    kept = scratch.spare_bytes()
    assert kept >= w.nbytes  # the points, given back
    assert gradcheck.check_jacobian(f, w, g, mode="directional").passed
    assert scratch.spare_bytes() == kept  # taken again and given back: a new buffer would have added to it


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
    assert calls[0] == calls[1] <= 1 + 2 * directional.PROBES


def test_auto_switches_to_directional_above_the_documented_size() -> None:
    n = bounds.AUTO_FULL_INPUTS // 10 + 1
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
