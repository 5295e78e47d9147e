"""Scratch memory: chunks handed to one caller at a time, kept between checks within a bound."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

import gradcheck
from gradcheck.numerics import scratch


@pytest.fixture(autouse=True)
def empty() -> Iterator[None]:
    scratch.clear()
    yield
    scratch.clear()


def test_a_buffer_given_back_is_taken_again_and_never_twice() -> None:
    first = scratch.take(1000)
    assert first.size >= 1000 and first.dtype == np.float64
    scratch.give(first)
    again = scratch.take(500)
    assert again is first  # it fits, so no new memory
    other = scratch.take(500)
    assert other is not first  # first is out: a second caller gets its own
    assert scratch.spare_bytes() == 0


def test_the_smallest_spare_that_fits_is_taken() -> None:
    big, small = scratch.take(4000), scratch.take(1000)
    scratch.give(big)
    scratch.give(small)
    assert scratch.take(800) is small
    assert scratch.take(800) is big
    assert scratch.take(5000).size == 5000  # nothing kept fits: a new one


def test_spares_stay_under_the_bound_keeping_the_most_recent() -> None:
    size = scratch.KEEP_BYTES // 8 // 3
    given = [scratch.take(size) for _ in range(5)]
    for buf in given:
        scratch.give(buf)
    assert scratch.spare_bytes() == 3 * size * 8 <= scratch.KEEP_BYTES
    scratch.give(scratch.take(scratch.KEEP_BYTES // 8 + 1))  # too big to keep at all
    assert scratch.spare_bytes() == 3 * size * 8
    kept = [scratch.take(size) for _ in range(3)]
    assert {id(b) for b in kept} == {id(b) for b in given[2:]}  # the three given back last


def test_checks_in_several_threads_do_not_share_a_chunk() -> None:
    # Each thread checks its own layer, half of them with a bug; a chunk shared between two
    # checks would mix their points and turn verdicts around.
    verdicts: dict[int, bool] = {}

    def check(i: int) -> None:
        rng = np.random.default_rng(i)
        x, w = rng.standard_normal(64), rng.standard_normal((64, 10)) * 0.1

        def f(v: np.ndarray) -> np.ndarray:
            return np.tanh(x @ v).sum(axis=-1)

        g = np.outer(x, 1.0 - np.tanh(x @ w) ** 2)
        if i % 2:
            g[3, 4] += 1e-3
        results = [gradcheck.check_jacobian(f, w, g, vectorized=True, chunk_bytes=64 * 1024) for _ in range(5)]
        verdicts[i] = all(r.passed for r in results) if i % 2 == 0 else not any(r.passed for r in results)

    threads = [threading.Thread(target=check, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert verdicts == dict.fromkeys(range(6), True)
