"""Closed forms of the softmax layer's forward functions and derivatives, and the shape conventions."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import gradcheck
from gradcheck import (
    cross_entropy,
    cross_entropy_grad,
    dense,
    layer_jacobian,
    loss_grad,
    numerical_jacobian,
    softmax,
    softmax_jacobian,
)
from gradcheck.functions import chain_grad

# The worked example of DESIGN.md (cases/seed_example.yaml).
SEED_X = np.array([0.1, 0.5, 0.4])
SEED_W = np.array(
    [
        [0.1, 0.2, 0.3, 0.4, 0.5],
        [0.6, 0.7, 0.8, 0.9, 0.1],
        [0.11, 0.12, 0.13, 0.14, 0.15],
    ]
)
SEED_LABEL = 2
SEED_S = np.array([0.19091352, 0.20353145, 0.21698333, 0.23132428, 0.15724743])
SEED_XE = 1.5279347484961026


def one_hot(label: int, classes: int) -> np.ndarray:
    y = np.zeros(classes)
    y[label] = 1.0
    return y


def layer(seed: int, inputs: int, classes: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x (n,), W (n, K), a soft label (K,), all from default_rng(seed)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=inputs)
    W = rng.normal(scale=0.5, size=(inputs, classes))
    y = rng.random(classes)
    return x, W, y / y.sum()


# --- the worked example -------------------------------------------------------------------


def test_seed_example_softmax() -> None:
    s = softmax(dense(SEED_X, SEED_W))
    assert s.shape == (5,)
    np.testing.assert_allclose(s, SEED_S, rtol=0, atol=1e-8)


def test_seed_example_cross_entropy() -> None:
    xe = cross_entropy(softmax(dense(SEED_X, SEED_W)), SEED_LABEL)
    assert isinstance(xe, float)
    assert xe == pytest.approx(SEED_XE, rel=1e-15, abs=0)


def test_seed_example_logits_are_x_at_w() -> None:
    z = dense(SEED_X, SEED_W)
    expected = [sum(SEED_X[j] * SEED_W[j, k] for j in range(3)) for k in range(5)]
    np.testing.assert_allclose(z, expected, rtol=1e-15)


def test_seed_example_loss_grad_closed_form() -> None:
    s = softmax(dense(SEED_X, SEED_W))
    g = loss_grad(SEED_X, SEED_W, SEED_LABEL)
    assert g.shape == SEED_W.shape
    # dXE/dW_jk = x_j (s_k - y_k); column 2 is the true class
    np.testing.assert_allclose(g[:, 2], SEED_X * (s[2] - 1.0), rtol=1e-14)
    np.testing.assert_allclose(g[:, 0], SEED_X * s[0], rtol=1e-14)


# --- softmax ------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_softmax_sums_to_one_and_matches_exp_ratio(seed: int) -> None:
    z = np.random.default_rng(seed).normal(scale=2.0, size=7)
    s = softmax(z)
    assert s.sum() == pytest.approx(1.0, abs=1e-15)
    np.testing.assert_allclose(s, np.exp(z) / np.exp(z).sum(), rtol=1e-14)
    assert np.all(s > 0)


def test_softmax_hand_example() -> None:
    # softmax([0, ln 2, ln 3]) = [1, 2, 3] / 6
    np.testing.assert_allclose(softmax([0.0, np.log(2.0), np.log(3.0)]), [1 / 6, 2 / 6, 3 / 6], rtol=1e-15)


def test_softmax_is_shift_invariant_and_stable() -> None:
    z = np.array([0.3, -1.2, 2.5, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no overflow warning from exp(1000)
        shifted = softmax(z + 1000.0)
        far = softmax(z - 1000.0)
    assert np.all(np.isfinite(shifted))
    np.testing.assert_allclose(shifted, softmax(z), rtol=1e-12)
    np.testing.assert_allclose(far, softmax(z), rtol=1e-12)


def test_softmax_along_axis_of_a_batch() -> None:
    Z = np.random.default_rng(3).normal(size=(4, 6))
    S = softmax(Z)
    np.testing.assert_allclose(S.sum(axis=-1), np.ones(4), rtol=1e-15)
    np.testing.assert_allclose(S[2], softmax(Z[2]), rtol=1e-15)
    np.testing.assert_allclose(softmax(Z, axis=0).sum(axis=0), np.ones(6), rtol=1e-15)


def test_softmax_of_integers_is_float() -> None:
    s = softmax([1, 2, 3])
    assert s.dtype == np.float64
    np.testing.assert_allclose(s, softmax([1.0, 2.0, 3.0]))


def test_softmax_keeps_float32() -> None:
    s = softmax(np.array([0.5, 1.5, -0.5], dtype=np.float32))
    assert s.dtype == np.float32
    assert abs(float(s.sum()) - 1.0) < 1e-6


# --- dS/dZ --------------------------------------------------------------------------------


def test_softmax_jacobian_hand_example() -> None:
    s = np.array([0.2, 0.3, 0.5])
    expected = np.array(
        [
            [0.2 - 0.04, -0.06, -0.10],
            [-0.06, 0.3 - 0.09, -0.15],
            [-0.10, -0.15, 0.5 - 0.25],
        ]
    )
    np.testing.assert_allclose(softmax_jacobian(s), expected, rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("seed", [0, 1])
def test_softmax_jacobian_is_symmetric_with_zero_row_sums(seed: int) -> None:
    s = softmax(np.random.default_rng(seed).normal(size=6))
    J = softmax_jacobian(s)
    assert J.shape == (6, 6)
    np.testing.assert_allclose(J, J.T, rtol=0, atol=0)
    np.testing.assert_allclose(J.sum(axis=1), np.zeros(6), atol=1e-16)
    np.testing.assert_allclose(J, np.diag(s) - np.outer(s, s), rtol=0, atol=0)


def test_softmax_jacobian_rejects_2d() -> None:
    with pytest.raises(ValueError, match=r"1-D"):
        softmax_jacobian(np.full((2, 3), 1 / 3))


# --- dS/dW --------------------------------------------------------------------------------


@pytest.mark.parametrize(("inputs", "classes"), [(3, 5), (4, 2), (1, 3)])
def test_layer_jacobian_entries_by_explicit_loops(inputs: int, classes: int) -> None:
    x, W, _ = layer(inputs * 10 + classes, inputs, classes)
    b = np.random.default_rng(99).normal(scale=0.1, size=classes)
    s = softmax(x @ W + b)
    J = layer_jacobian(x, W, b)
    assert J.shape == (classes,) + W.shape
    for t in range(classes):
        for j in range(inputs):
            for i in range(classes):
                expected = s[t] * ((1.0 if t == i else 0.0) - s[i]) * x[j]
                assert J[t, j, i] == pytest.approx(expected, rel=1e-12, abs=1e-17), (t, j, i)


def test_layer_jacobian_seed_example() -> None:
    J = layer_jacobian(SEED_X, SEED_W)
    assert J.shape == (5, 3, 5)
    s = SEED_S
    # dS_2/dW_1,2 = s_2 (1 - s_2) x_1 and dS_0/dW_1,2 = -s_0 s_2 x_1
    assert J[2, 1, 2] == pytest.approx(s[2] * (1 - s[2]) * 0.5, rel=1e-7)
    assert J[0, 1, 2] == pytest.approx(-s[0] * s[2] * 0.5, rel=1e-7)


# --- cross-entropy ------------------------------------------------------------------------


def test_cross_entropy_index_equals_one_hot() -> None:
    s = softmax(np.array([0.4, -0.2, 1.3, 0.0]))
    for label in range(4):
        assert cross_entropy(s, label) == cross_entropy(s, one_hot(label, 4))
        assert cross_entropy(s, label) == pytest.approx(-np.log(s[label]), rel=1e-15)
        np.testing.assert_array_equal(cross_entropy_grad(s, label), cross_entropy_grad(s, one_hot(label, 4)))


def test_cross_entropy_soft_label() -> None:
    s = np.array([0.1, 0.6, 0.3])
    y = np.array([0.2, 0.5, 0.3])
    assert cross_entropy(s, y) == pytest.approx(-np.sum(y * np.log(s)), rel=1e-15)


def test_cross_entropy_grad_is_minus_y_over_s() -> None:
    s = np.array([0.1, 0.6, 0.3])
    y = np.array([0.2, 0.5, 0.3])
    g = cross_entropy_grad(s, y)
    assert g.shape == s.shape
    np.testing.assert_allclose(g, -y / s, rtol=1e-15)
    np.testing.assert_allclose(cross_entropy_grad(s, 1), [0.0, -1 / 0.6, 0.0], rtol=1e-15)


def test_cross_entropy_and_grad_ignore_underflowed_classes() -> None:
    # exp(-800) underflows to 0: the zero-label classes must contribute 0, not NaN
    s = softmax(np.array([0.0, 800.0, 1.0]))
    assert s[0] == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert cross_entropy(s, 1) == 0.0
        g = cross_entropy_grad(s, 1)
    np.testing.assert_array_equal(g, [0.0, -1.0, 0.0])


# --- dXE/dW -------------------------------------------------------------------------------


@pytest.mark.parametrize("label_kind", ["index", "soft"])
def test_loss_grad_is_outer_x_s_minus_y(label_kind: str) -> None:
    x, W, soft = layer(7, 4, 6)
    y: int | np.ndarray = 3 if label_kind == "index" else soft
    y_dist = one_hot(3, 6) if label_kind == "index" else soft
    s = softmax(x @ W)
    g = loss_grad(x, W, y)
    assert g.shape == W.shape
    np.testing.assert_allclose(g, np.outer(x, s - y_dist), rtol=1e-14, atol=1e-17)


@pytest.mark.parametrize("label_kind", ["index", "soft"])
@pytest.mark.parametrize("with_bias", [False, True])
def test_chain_grad_equals_loss_grad(label_kind: str, with_bias: bool) -> None:
    x, W, soft = layer(8, 5, 4)
    b = np.array([0.3, -0.1, 0.0, 0.2]) if with_bias else None
    y: int | np.ndarray = 1 if label_kind == "index" else soft
    chain = chain_grad(x, W, y, b)
    assert chain.shape == W.shape
    np.testing.assert_allclose(chain, loss_grad(x, W, y, b), rtol=1e-12, atol=1e-15)


def test_chain_grad_is_the_einsum_of_its_factors() -> None:
    x, W, _ = layer(9, 3, 5)
    s = softmax(x @ W)
    expected = np.einsum("t,tji->ji", cross_entropy_grad(s, 4), layer_jacobian(x, W))
    np.testing.assert_allclose(chain_grad(x, W, 4), expected, rtol=1e-15)


def test_dense_bias_and_layout() -> None:
    x = np.array([1.0, 2.0])
    W = np.array([[1.0, 0.0, 2.0], [0.5, 1.0, -1.0]])  # (inputs, classes)
    np.testing.assert_array_equal(dense(x, W), [2.0, 2.0, 0.0])
    np.testing.assert_array_equal(dense(x, W, [1.0, -1.0, 0.5]), [3.0, 1.0, 0.5])
    X = np.array([[1.0, 2.0], [0.0, 1.0]])  # a batch (B, n)
    np.testing.assert_array_equal(dense(X, W), [[2.0, 2.0, 0.0], [0.5, 1.0, -1.0]])


# --- shape conventions --------------------------------------------------------------------


def test_jacobian_shapes_follow_the_convention() -> None:
    x, W, _ = layer(11, 4, 3)
    assert layer_jacobian(x, W).shape == (3, 4, 3)
    assert loss_grad(x, W, 0).shape == (4, 3)
    assert chain_grad(x, W, 0).shape == (4, 3)
    assert softmax_jacobian(softmax(x @ W)).shape == (3, 3)
    assert cross_entropy_grad(softmax(x @ W), 0).shape == (3,)
    # numerically: f(x).shape + x.shape
    assert numerical_jacobian(lambda w: softmax(x @ w), W).shape == (3, 4, 3)
    assert numerical_jacobian(lambda w: cross_entropy(softmax(x @ w), 0), W).shape == (4, 3)


@pytest.mark.parametrize(
    ("f", "x_shape", "jac_shape"),
    [
        (lambda v: float(np.sum(v**2)), (5,), (5,)),  # scalar f, 1-D x: a gradient
        (lambda v: float(np.sum(v**2)), (2, 3), (2, 3)),  # scalar f, 2-D x
        (lambda v: v[:, 0] * 2.0, (2, 3), (2, 2, 3)),  # vector f, 2-D x
        (lambda v: np.outer(v, v), (3,), (3, 3, 3)),  # matrix f, 1-D x
        (lambda v: np.sin(v), (), ()),  # scalar f, scalar x
    ],
    ids=["scalar-1d", "scalar-2d", "vector-2d", "matrix-1d", "scalar-0d"],
)
def test_numerical_jacobian_shape(f: object, x_shape: tuple[int, ...], jac_shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(12).normal(size=x_shape)
    J = numerical_jacobian(f, x)  # type: ignore[arg-type]
    assert J.shape == jac_shape


def test_layer_jacobian_agrees_with_numerical_layout() -> None:
    # the convention is the same on both sides, entry by entry (not only in shape)
    x, W, _ = layer(13, 3, 4)
    numeric = numerical_jacobian(lambda w: softmax(x @ w), W)
    np.testing.assert_allclose(layer_jacobian(x, W), numeric, rtol=1e-6, atol=1e-9)


def test_public_api() -> None:
    expected = {
        "softmax",
        "softmax_jacobian",
        "dense",
        "layer_jacobian",
        "cross_entropy",
        "cross_entropy_grad",
        "loss_grad",
        "numerical_jacobian",
        "check_jacobian",
        "assert_jacobian",
        "Comparison",
    }
    assert expected <= set(gradcheck.__all__)
    for name in expected:
        assert hasattr(gradcheck, name), name
