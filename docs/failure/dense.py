"""A dense layer's forward and backward pass, written by hand with a bug on purpose: the backward's
loop over the output columns stops one short, so the last column of dW stays zero. The documentation's
"Reading a failure" page shows what gradcheck makes of it: `pytest docs/failure/dense.yaml`."""

import numpy as np


def forward(x, W):
    """out = x @ W, and the cache backward needs."""
    return x @ W, (x, W)


def backward(dout, cache):
    """dx = dout @ W.T and dW = x.T @ dout, dW column by column."""
    x, W = cache
    dW = np.zeros_like(W)
    for j in range(W.shape[1] - 1):  # the bug: range(W.shape[1])
        dW[:, j] = x.T @ dout[:, j]
    return dout @ W.T, dW
