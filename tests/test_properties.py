"""Property tests: softmax identities, and chain product == shortcut == finite differences on random layers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gradcheck import check_jacobian, cross_entropy, dense, loss_grad, softmax, softmax_jacobian
from gradcheck.functions import chain_grad

FAST = settings(max_examples=200, deadline=None)
SLOW = settings(max_examples=100, deadline=None)


def finite(bound: float) -> st.SearchStrategy[float]:
    return st.floats(-bound, bound, allow_nan=False, allow_infinity=False)


logits = st.integers(1, 12).flatmap(lambda k: arrays(np.float64, k, elements=finite(1e4)))


@FAST
@given(z=logits)
def test_softmax_sums_to_one(z: np.ndarray) -> None:
    s = softmax(z)
    assert np.all(np.isfinite(s))
    assert np.all(s >= 0)
    assert abs(s.sum() - 1.0) <= 1e-12
    assert s[np.argmax(z)] == s.max()


@FAST
@given(z=logits, shift=finite(1e3))
def test_softmax_is_shift_invariant(z: np.ndarray, shift: float) -> None:
    np.testing.assert_allclose(softmax(z + shift), softmax(z), rtol=1e-9, atol=1e-300)


@FAST
@given(z=logits)
def test_softmax_jacobian_rows_sum_to_zero(z: np.ndarray) -> None:
    s = softmax(z)
    J = softmax_jacobian(s)
    assert J.shape == (z.size, z.size)
    np.testing.assert_array_equal(J, J.T)
    # each row is s_t (e_t - s): it sums to s_t (1 - sum s), zero up to rounding
    np.testing.assert_allclose(J.sum(axis=1), 0.0, atol=4 * z.size * np.finfo(float).eps)


@st.composite
def layers(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int | np.ndarray]:
    """A random layer: x (n,), W (n, K), an optional bias, and an index or soft label."""
    n = draw(st.integers(1, 12), label="inputs")
    k = draw(st.integers(2, 8), label="classes")
    x = draw(arrays(np.float64, n, elements=finite(3.0)), label="x")
    W = draw(arrays(np.float64, (n, k), elements=finite(2.0)), label="W")
    b = draw(st.none() | arrays(np.float64, k, elements=finite(2.0)), label="bias")
    if draw(st.booleans(), label="index label"):
        y: int | np.ndarray = draw(st.integers(0, k - 1), label="label")
    else:
        weights = draw(arrays(np.float64, k, elements=st.floats(0.0, 1.0)), label="soft label")
        weights[draw(st.integers(0, k - 1))] += 0.5  # never all zero
        y = weights / weights.sum()
    return x, W, b, y


@SLOW
@given(layer=layers())
def test_chain_equals_shortcut(layer: tuple[np.ndarray, np.ndarray, np.ndarray | None, int | np.ndarray]) -> None:
    x, W, b, y = layer
    chain = chain_grad(x, W, y, b)
    short = loss_grad(x, W, y, b)
    assert chain.shape == short.shape == W.shape
    np.testing.assert_allclose(chain, short, rtol=1e-9, atol=1e-12)


@SLOW
@given(layer=layers())
def test_chain_and_shortcut_match_finite_differences(
    layer: tuple[np.ndarray, np.ndarray, np.ndarray | None, int | np.ndarray],
) -> None:
    x, W, b, y = layer

    def xe(w: np.ndarray) -> float:
        return cross_entropy(softmax(dense(x, w, b)), y)

    for name, analytic in (("chain", chain_grad(x, W, y, b)), ("shortcut", loss_grad(x, W, y, b))):
        result = check_jacobian(xe, W, analytic, wrt="W", title=name)
        assert result.passed, str(result)
        assert result.total == W.size
