"""Property tests: softmax identities, and chain product == shortcut == finite differences on random layers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from gradcheck import check_jacobian, cross_entropy, dense, loss_grad, softmax, softmax_jacobian
from gradcheck.casefile.layer import Case
from gradcheck.checks.layer import BUILTIN
from gradcheck.functions import chain_grad
from gradcheck.strategies import Layer, arrays, layer_cases, layers

FAST = settings(max_examples=200, deadline=None)
SLOW = settings(max_examples=100, deadline=None)
CASES = settings(max_examples=25, deadline=None)

logits = st.integers(1, 12).flatmap(lambda k: arrays(k, scale=1e4))


@FAST
@given(z=logits)
def test_softmax_sums_to_one(z: np.ndarray) -> None:
    s = softmax(z)
    assert np.all(np.isfinite(s))
    assert np.all(s >= 0)
    assert abs(s.sum() - 1.0) <= 1e-12
    assert s[np.argmax(z)] == s.max()


@FAST
@given(z=logits, shift=st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False))
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


@SLOW
@given(layer=layers())
def test_chain_equals_shortcut(layer: Layer) -> None:
    x, W, b, y = layer.x, layer.W, layer.b, layer.y
    chain = chain_grad(x, W, y, b)
    short = loss_grad(x, W, y, b)
    assert chain.shape == short.shape == W.shape
    np.testing.assert_allclose(chain, short, rtol=1e-9, atol=1e-12)


@SLOW
@given(layer=layers())
def test_chain_and_shortcut_match_finite_differences(layer: Layer) -> None:
    x, W, b, y = layer.x, layer.W, layer.b, layer.y

    def xe(w: np.ndarray) -> float:
        return cross_entropy(softmax(dense(x, w, b)), y)

    for name, analytic in (("chain", chain_grad(x, W, y, b)), ("shortcut", loss_grad(x, W, y, b))):
        result = check_jacobian(xe, W, analytic, wrt="W", title=name)
        assert result.passed, str(result)
        assert result.total == W.size


# -- the strategies themselves (gradcheck.strategies) ------------------------------------------


@FAST
@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), scale=st.floats(1e-3, 1e3))
def test_arrays_are_finite_and_within_scale(data: st.DataObject, shape: list[int], scale: float) -> None:
    a = data.draw(arrays(tuple(shape), scale=scale))
    assert a.shape == tuple(shape)
    assert a.dtype == np.float64
    assert np.all(np.isfinite(a))
    assert np.all(np.abs(a) <= scale)


@FAST
@given(layer=layers())
def test_layers_have_the_documented_shapes(layer: Layer) -> None:
    n, k = layer.W.shape
    assert 1 <= n <= 12 and 2 <= k <= 8
    assert layer.x.shape == (n,)
    assert layer.b is None or layer.b.shape == (k,)
    dist = layer.distribution
    assert dist.shape == (k,) and np.all(dist >= 0) and abs(dist.sum() - 1.0) <= 1e-12


@CASES
@given(case=layer_cases())
def test_every_builtin_check_passes_on_generated_cases(case: Case) -> None:
    for name, build in BUILTIN.items():
        result = build(case).run(mode="full", title=name)
        assert result.passed, str(result)
