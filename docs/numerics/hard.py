"""Two hard functions checked from Python: a ReLU with a kink at x[0] and another within the first
step of x[1], and a loss of 2,000 terms of size 1e8 that cancel. The documentation's page on the
numerical reference shows what this prints."""

import numpy as np

import gradcheck

w = np.array([0.7, -0.4, 1.3])
x = np.array([0.0, 1e-7, -0.3])
relu = gradcheck.check_jacobian(lambda x: np.sum(w * np.maximum(x, 0)), x, lambda x: w * (x > 0))
print(relu.report())
print(
    "with subgradient=True:",
    gradcheck.check_jacobian(lambda x: np.sum(w * np.maximum(x, 0)), x, lambda x: w * (x > 0), subgradient=True),
)

rng = np.random.default_rng(0)
A, signs = rng.standard_normal((2000, 3)), rng.choice([-1.0, 1.0], 2000)


def loss(x):
    return np.sum(signs * (1e8 + np.sin(A @ x)))


def loss_grad(x):
    return A.T @ (signs * np.cos(A @ x))


x = np.array([0.3, -0.2, 0.5])
right = gradcheck.check_jacobian(loss, x, loss_grad)
wrong = gradcheck.check_jacobian(loss, x, lambda x: loss_grad(x) * 1.001)
# the estimates' last digits are the noise's: the verdicts, not the numbers, are what holds everywhere
print(
    "cancelling sum, right gradient:",
    "passed" if right else "FAILED",
    "| noise-limited:",
    "noise-limited" in str(right),
)
print("cancelling sum, gradient times 1.001:", "passed" if wrong else "FAILED", "| diagnosis:", wrong.diagnosis)
