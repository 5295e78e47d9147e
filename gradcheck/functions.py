"""Forward functions of a softmax classifier layer, each followed by its derivatives."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.floating]


def _float_array(a: ArrayLike) -> Array:
    """`a` as a floating array, keeping float32/float64 and promoting integers."""
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.inexact):
        arr = arr.astype(np.float64)
    return arr


def softmax(z: ArrayLike, axis: int = -1) -> Array:
    """Softmax along `axis`, computed stably as exp(z - max z) / sum(exp(z - max z))."""
    z = _float_array(z)
    e: Array = np.exp(z - np.max(z, axis=axis, keepdims=True))
    out: Array = e / np.sum(e, axis=axis, keepdims=True)
    return out


def softmax_jacobian(s: ArrayLike) -> Array:
    """dS/dZ from the softmax output `s` (1-D): diag(s) - outer(s, s), shape (K, K)."""
    s = _float_array(s)
    if s.ndim != 1:
        raise ValueError(f"softmax_jacobian takes a 1-D softmax output, got shape {s.shape}")
    return np.diag(s) - np.outer(s, s)


def dense(x: ArrayLike, W: ArrayLike, b: ArrayLike | None = None) -> Array:
    """Dense layer z = x @ W + b, with W of shape (inputs, classes)."""
    z = _float_array(x) @ _float_array(W)
    return z if b is None else z + _float_array(b)


def layer_jacobian(x: ArrayLike, W: ArrayLike, b: ArrayLike | None = None) -> Array:
    """dS/dW for s = softmax(x @ W + b), one sample: s_t (δ_ti - s_i) x_j at [t, j, i].

    Shape (K,) + W.shape = (K, n, K).
    """
    x = _float_array(x)
    s = softmax(dense(x, W, b))
    # dS_t/dW_ji = sum_k dS_t/dz_k * dz_k/dW_ji = (diag(s) - s s^T)[t, i] * x_j
    jac: Array = np.einsum("ti,j->tji", softmax_jacobian(s), x)
    return jac


def _distribution(y: ArrayLike, classes: int) -> Array:
    """A label as a distribution over `classes`: an index becomes a one-hot vector."""
    arr = np.asarray(y)
    if arr.ndim == 0 and np.issubdtype(arr.dtype, np.integer):
        one_hot = np.zeros(classes)
        one_hot[int(arr)] = 1.0
        return one_hot
    return _float_array(arr)


def cross_entropy(s: ArrayLike, y: ArrayLike) -> float:
    """Cross-entropy XE = -sum(y * log s); `y` is a class index or a distribution."""
    return float(np.sum(cross_entropy_rows(s, y)))


def cross_entropy_rows(s: ArrayLike, y: ArrayLike) -> Array:
    """-sum(y * log s) over the last axis only: one value per row of a stack of s."""
    s = _float_array(s)
    y_dist = _distribution(y, s.shape[-1])
    with np.errstate(divide="ignore", invalid="ignore"):  # log 0 = -inf and log(<0) = nan are results
        # Terms with y = 0 contribute nothing, even where s underflows to 0.
        terms = np.where(y_dist != 0, y_dist * np.log(np.where(y_dist != 0, s, 1.0)), 0.0)
    rows: Array = -np.sum(terms, axis=-1)
    return rows


def cross_entropy_grad(s: ArrayLike, y: ArrayLike) -> Array:
    """dXE/dS = -y / s, shape s.shape."""
    s = _float_array(s)
    y_dist = _distribution(y, s.shape[-1]).astype(s.dtype)
    # Like cross_entropy: where y = 0 the derivative is 0, even where s underflows to 0.
    grad: Array = np.where(y_dist != 0, -y_dist / np.where(y_dist != 0, s, 1.0), 0.0).astype(s.dtype)
    return grad


def loss_grad(x: ArrayLike, W: ArrayLike, y: ArrayLike, b: ArrayLike | None = None) -> Array:
    """dXE/dW by the shortcut outer(x, s - y), shape W.shape."""
    x = _float_array(x)
    s = softmax(dense(x, W, b))
    return np.outer(x, s - _distribution(y, s.shape[-1]).astype(s.dtype))


def chain_grad(x: ArrayLike, W: ArrayLike, y: ArrayLike, b: ArrayLike | None = None) -> Array:
    """dXE/dW as the chain product einsum("t,tji->ji", dXE/dS, dS/dW), shape W.shape."""
    s = softmax(dense(x, W, b))
    grad: Array = np.einsum("t,tji->ji", cross_entropy_grad(s, y), layer_jacobian(x, W, b))
    return grad
