"""Pieces written in the shapes that need a case key of their own: a settings dict, two outputs and
a cache, an output stored on the layer, a loss whose backward takes the labels, weights set after
construction, weights built by a setup method, and a loss object that ends a network."""

from __future__ import annotations

import numpy as np


def conv1d(x, w, conv_param):
    """A 1-D convolution of x (n,) by w (k,), with `conv_param = {"stride": s, "pad": p}`."""
    pad, stride = conv_param["pad"], conv_param["stride"]
    xp = np.pad(x, pad)
    return np.array([xp[i : i + w.size] @ w for i in range(0, xp.size - w.size + 1, stride)])


def conv1d_backward(dout, x, w, conv_param):
    """dx of conv1d for the cotangent dout."""
    pad, stride = conv_param["pad"], conv_param["stride"]
    dxp = np.zeros(x.size + 2 * pad)
    for k, i in enumerate(range(0, dxp.size - w.size + 1, stride)):
        dxp[i : i + w.size] += dout[k] * w
    return dxp[pad : pad + x.size]


def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def gated_step_forward(x, h, Wx, Wh):
    """One gated recurrent step: next_h, next_c and a cache."""
    a = x @ Wx + h @ Wh
    half = h.shape[1]
    i, g = _sigmoid(a[:, :half]), np.tanh(a[:, half:])
    c = i * g
    next_h = np.tanh(c)
    return next_h, c, (x, h, Wx, Wh, i, g, next_h)


def gated_step_backward(dnext_h, dnext_c, cache):
    """dx, dh, dWx, dWh from the cotangents of next_h and next_c."""
    x, h, Wx, Wh, i, g, next_h = cache
    dnext_c += dnext_h * (1 - next_h**2)  # in place, on the cotangent it was handed
    da = np.hstack([dnext_c * g * i * (1 - i), dnext_c * i * (1 - g**2)])
    return da @ Wx.T, da @ Wh.T, x.T @ da, h.T @ da


class TanhDense:
    """A layer that stores what it computes: self.output, self.dweights, self.dinputs."""

    def __init__(self, n_in, n_out):
        self.weights = 0.1 * np.random.randn(n_in, n_out)
        self.biases = np.zeros((1, n_out))

    def forward(self, inputs):
        self.inputs = inputs
        self.output = np.tanh(inputs @ self.weights + self.biases)

    def backward(self, dvalues):
        dz = dvalues * (1 - self.output**2)
        self.dweights = self.inputs.T @ dz
        self.dbiases = dz.sum(axis=0, keepdims=True)
        self.dinputs = dz @ self.weights.T


class SoftmaxCrossEntropy:
    """Softmax and the mean cross-entropy; backward takes the softmax output and the labels."""

    def forward(self, inputs, y_true):
        shifted = np.exp(inputs - inputs.max(axis=1, keepdims=True))
        self.output = shifted / shifted.sum(axis=1, keepdims=True)
        return float(-np.mean(np.log(self.output[np.arange(len(y_true)), y_true])))

    def backward(self, dvalues, y_true):
        grad = dvalues.copy()
        grad[np.arange(len(y_true)), y_true] -= 1
        self.dinputs = grad / len(y_true)


class Linear:
    """Has no weights until they are set on it (as an initialiser or an optimiser would)."""

    def forward(self, x):
        self.x = x
        return x @ self.W

    def backward(self, dout):
        self.dW = self.x.T @ dout
        return dout @ self.W.T


class Tanh:
    """An activation layer: forward returns tanh, backward the cotangent through it."""

    def forward(self, x):
        self.out = np.tanh(x)
        return self.out

    def backward(self, dout):
        return dout * (1 - self.out**2)


class InitializedDense:
    """Has no weights until `initialize` builds them, as a model's build step does once the sizes are known."""

    def initialize(self, n_in, n_out, weight_scale=0.5, bias=0.0):
        self.W = weight_scale * np.random.randn(n_in, n_out)
        self.b = np.full(n_out, float(bias))

    def forward(self, inputs):
        self.inputs = inputs
        return np.dot(inputs, self.W) + self.b

    def backward(self, dvalues):
        self.dW, self.db = np.dot(self.inputs.T, dvalues), np.sum(dvalues, axis=0)
        return np.dot(dvalues, self.W.T)


class Softmax:
    """The softmax of each row; backward is the product with each row's Jacobian diag(s) - s s^T."""

    def forward(self, x):
        shifted = np.exp(x - x.max(axis=1, keepdims=True))
        self.out = shifted / shifted.sum(axis=1, keepdims=True)
        return self.out

    def backward(self, dout):
        return self.out * (dout - (dout * self.out).sum(axis=1, keepdims=True))


class CategoricalCrossEntropy:
    """One loss per sample, -log of the probability of its class; the training loop takes their mean.
    backward(dvalues, y_true) leaves the gradient of that mean in dinputs."""

    def forward(self, y_pred, y_true):
        clipped = np.clip(y_pred, 1e-7, 1 - 1e-7)
        return -np.log(clipped[np.arange(len(y_true)), y_true])

    def backward(self, dvalues, y_true):
        samples, labels = dvalues.shape
        one_hot = np.eye(labels)[y_true]
        self.dinputs = -one_hot / dvalues / samples
