"""Forward functions of a softmax classifier layer, each followed by its derivatives.

One sample is `x` (n,); a batch is `x` (B, n) with one label per row, and its loss is the
mean (or sum) of the per-sample losses. Every forward function broadcasts over leading axes,
so that a stack of perturbed points can be evaluated in one call.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .options import REDUCTIONS

Array = NDArray[np.floating]


def _float_array(a: ArrayLike) -> Array:
    """`a` as a floating array, keeping float32/float64 (and complex) and promoting integers."""
    arr = np.asarray(a)
    if not np.issubdtype(arr.dtype, np.inexact):
        arr = arr.astype(np.float64)
    return arr


def _distribution(y: ArrayLike, classes: int) -> Array:
    """A label as a distribution over `classes`: an index becomes a one-hot vector."""
    arr = np.asarray(y)
    if arr.ndim == 0 and np.issubdtype(arr.dtype, np.integer):
        if not 0 <= int(arr) < classes:
            raise ValueError(f"class index {int(arr)} is out of range for {classes} classes")
        one_hot = np.zeros(classes)
        one_hot[int(arr)] = 1.0
        return one_hot
    return _float_array(arr)


def batch_scale(x: Array, reduction: str) -> float:
    """The factor of the batch reduction: 1/B for a mean over B samples, else 1."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    return 1.0 / x.shape[0] if x.ndim == 2 and reduction == "mean" else 1.0


def smooth_labels(y: ArrayLike, eps: float) -> Array:
    """Label smoothing: (1 - eps) * y + eps / K for distributions y over K classes."""
    y = _float_array(y)
    out: Array = (1.0 - eps) * y + eps / y.shape[-1]
    return out


# -- softmax ---------------------------------------------------------------------------------


def softmax(z: ArrayLike, axis: int = -1) -> Array:
    """Softmax along `axis`, computed stably as exp(z - max z) / sum(exp(z - max z))."""
    z = _float_array(z)
    e: Array = np.exp(z - np.max(z.real, axis=axis, keepdims=True))
    out: Array = e / np.sum(e, axis=axis, keepdims=True)
    return out


def softmax_jacobian(s: ArrayLike) -> Array:
    """dS/dZ from the softmax output `s` (1-D): diag(s) - outer(s, s), shape (K, K)."""
    s = _float_array(s)
    if s.ndim != 1:
        raise ValueError(f"softmax_jacobian takes a 1-D softmax output, got shape {s.shape}")
    return np.diag(s) - np.outer(s, s)


def softmax_jacobians(s: ArrayLike) -> Array:
    """dS/dZ for every row of a stack of softmax outputs: s_t (δ_ti - s_i), shape (..., K, K)."""
    s = _float_array(s)
    eye = np.eye(s.shape[-1], dtype=s.dtype)
    jac: Array = s[..., :, None] * (eye - s[..., None, :])
    return jac


def log_softmax(z: ArrayLike, axis: int = -1) -> Array:
    """log softmax(z) = z - max z - log sum exp(z - max z): finite for logits of any size."""
    z = _float_array(z)
    shifted = z - np.max(z.real, axis=axis, keepdims=True)
    out: Array = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return out


def log_softmax_jacobian(z: ArrayLike) -> Array:
    """d log s_i / d z_j = δ_ij - s_j for every row of z, shape (..., K, K)."""
    z = _float_array(z)
    s = softmax(z)
    jac: Array = np.eye(z.shape[-1], dtype=s.dtype) - s[..., None, :]
    return jac


# -- the dense layer ----------------------------------------------------------------------


def dense(x: ArrayLike, W: ArrayLike, b: ArrayLike | None = None) -> Array:
    """Dense layer z = x @ W + b, with W of shape (inputs, classes)."""
    z = _float_array(x) @ _float_array(W)
    return z if b is None else z + _float_array(b)


def layer_jacobian(x: ArrayLike, W: ArrayLike, b: ArrayLike | None = None) -> Array:
    """dS/dW for s = softmax(x @ W + b): s_t (δ_ti - s_i) x_j at [t, j, i].

    Shape (K,) + W.shape = (K, n, K) for one sample, (B, K, n, K) for a batch.
    """
    x = _float_array(x)
    s = softmax(dense(x, W, b))
    # dS_t/dW_ji = sum_k dS_t/dz_k * dz_k/dW_ji = (diag(s) - s s^T)[t, i] * x_j
    jac: Array = np.einsum("...ti,...j->...tji", softmax_jacobians(s), x)
    return jac


# -- cross-entropy --------------------------------------------------------------------------


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


def logits_cross_entropy(z: ArrayLike, y: ArrayLike) -> Array:
    """Cross-entropy straight from logits, -sum(y * log_softmax(z)) per row: finite at |z| = 1e4."""
    z = _float_array(z)
    rows: Array = -np.sum(_distribution(y, z.shape[-1]) * log_softmax(z), axis=-1)
    return rows


def logits_cross_entropy_grad(z: ArrayLike, y: ArrayLike, reduction: str = "mean") -> Array:
    """dXE/dZ = softmax(z) - y, per row; over a batch (B, K) times the reduction's 1/B."""
    z = _float_array(z)
    y_dist = _distribution(y, z.shape[-1]).astype(z.dtype)
    grad: Array = (softmax(z) - y_dist) * batch_scale(z, reduction)
    return grad


def logits_cross_entropy_hessian(z: ArrayLike, reduction: str = "mean") -> Array:
    """d2XE/dZ2 = diag(s) - outer(s, s) for one sample (K, K), for labels that sum to 1; for a batch
    (B, K) block diagonal over its samples, (B, K, B, K), times the reduction's 1/B."""
    z = _float_array(z)
    blocks = softmax_jacobians(softmax(z))
    if z.ndim == 1:
        return blocks
    eye = np.eye(z.shape[0], dtype=blocks.dtype)
    out: Array = np.einsum("bij,bc->bicj", blocks, eye) * batch_scale(z, reduction)
    return out


# -- the loss of the layer and its gradients ------------------------------------------------


def reduce_batch(rows: ArrayLike, batched: bool, reduction: str = "mean") -> Array:
    """Per-sample losses (..., B) reduced over the batch axis; one sample's loss as it is."""
    rows = _float_array(rows)
    if not batched:
        return rows
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {', '.join(REDUCTIONS)}, got {reduction!r}")
    out: Array = np.mean(rows, axis=-1) if reduction == "mean" else np.sum(rows, axis=-1)
    return out


def layer_loss(x: ArrayLike, W: ArrayLike, y: ArrayLike, b: ArrayLike | None = None, reduction: str = "mean") -> Array:
    """XE(softmax(x @ W + b), y): one sample's loss, or a batch's mean (or sum)."""
    x = _float_array(x)
    return reduce_batch(cross_entropy_rows(softmax(dense(x, W, b)), y), x.ndim == 2, reduction)


def _residual(x: Array, W: ArrayLike, y: ArrayLike, b: ArrayLike | None) -> Array:
    """s - y, the gradient of the loss with respect to the logits, per sample."""
    s = softmax(dense(x, W, b))
    out: Array = s - _distribution(y, s.shape[-1]).astype(s.dtype)
    return out


def loss_grad(x: ArrayLike, W: ArrayLike, y: ArrayLike, b: ArrayLike | None = None, reduction: str = "mean") -> Array:
    """dXE/dW by the shortcut outer(x, s - y); for a batch x.T @ (S - Y) / B. Shape W.shape."""
    x = _float_array(x)
    d = _residual(x, W, y, b)
    if x.ndim == 1:
        return np.outer(x, d)
    grad: Array = (x.T @ d) * batch_scale(x, reduction)
    return grad


def loss_hessian(x: ArrayLike, W: ArrayLike, b: ArrayLike | None = None, reduction: str = "mean") -> Array:
    """d2XE/dW2 = x_i x_k (diag(s) - outer(s, s))[j, l] at [i, j, k, l], shape W.shape + W.shape, for
    labels that sum to 1; for a batch summed over its samples and times the reduction's 1/B."""
    x = _float_array(x)
    blocks = softmax_jacobians(softmax(dense(x, W, b)))  # d2XE/dz2 of each sample
    spec = "i,k,jl->ijkl" if x.ndim == 1 else "bi,bk,bjl->ijkl"
    out: Array = np.einsum(spec, x, x, blocks) * batch_scale(x, reduction)
    return out


def loss_hvp(x: ArrayLike, W: ArrayLike, V: ArrayLike, b: ArrayLike | None = None, reduction: str = "mean") -> Array:
    """loss_hessian's product with V of W's shape, without the Hessian: per sample outer(x, A (x @ V))
    with A = diag(s) - outer(s, s), summed over a batch and times its 1/B. Shape W.shape."""
    x = _float_array(x)
    blocks = softmax_jacobians(softmax(dense(x, W, b)))
    # sum_kl x_i x_k A[j, l] V[k, l] = x_i (A (x @ V))_j
    along = np.einsum("...jl,...l->...j", blocks, x @ _float_array(V))
    out: Array = (np.outer(x, along) if x.ndim == 1 else x.T @ along) * batch_scale(x, reduction)
    return out


def chain_grad(x: ArrayLike, W: ArrayLike, y: ArrayLike, b: ArrayLike | None = None, reduction: str = "mean") -> Array:
    """dXE/dW as the chain product einsum("t,tji->ji", dXE/dS, dS/dW), summed over a batch."""
    x = _float_array(x)
    s = softmax(dense(x, W, b))
    dxe_ds = cross_entropy_grad(s, y) * batch_scale(x, reduction)
    spec = "t,tji->ji" if x.ndim == 1 else "bt,btji->ji"  # a batch sums over its samples
    grad: Array = np.einsum(spec, dxe_ds, layer_jacobian(x, W, b))
    return grad


def bias_grad(x: ArrayLike, W: ArrayLike, y: ArrayLike, b: ArrayLike | None = None, reduction: str = "mean") -> Array:
    """dXE/db = s - y; for a batch summed over the samples and times the reduction's 1/B."""
    x = _float_array(x)
    d = _residual(x, W, y, b)
    if x.ndim == 1:
        return d
    grad: Array = d.sum(axis=0) * batch_scale(x, reduction)
    return grad


def input_grad(x: ArrayLike, W: ArrayLike, y: ArrayLike, b: ArrayLike | None = None, reduction: str = "mean") -> Array:
    """dXE/dx = W (s - y), what flows back to an earlier layer; for a batch (S - Y) W^T / B."""
    x = _float_array(x)
    d = _residual(x, W, y, b)
    grad: Array = (d @ _float_array(W).T) * batch_scale(x, reduction)
    return grad
