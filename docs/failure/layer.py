"""A softmax layer and its Jacobian by W, written by hand with a bug on purpose: the loop over
the classes stops one short, so the last class's block of dS/dW stays zero. The documentation's
"Reading a failure" page shows what gradcheck makes of it: `pytest docs/failure/layer.yaml`."""

import numpy as np


def softmax(W, x):
    """S = softmax(x @ W)."""
    z = x @ W
    e = np.exp(z - z.max())
    return e / e.sum()


def softmax_jacobian(W, x):
    """dS[a]/dW[i, j] = x_i s_a (delta_aj - s_j), shape (K, n, K)."""
    s = softmax(W, x)
    classes = s.size
    jac = np.zeros((classes, x.size, classes))
    for a in range(classes - 1):  # the bug: range(classes)
        jac[a] = np.outer(x, s[a] * ((np.arange(classes) == a) - s))
    return jac
