"""Ordinary tests, run together with the YAML cases by a plain `pytest`."""

from __future__ import annotations

import numpy as np
from mlp import model

from gradcheck import JacobianCheck


def params(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "x": rng.standard_normal((4, 3)),
        "y": rng.standard_normal((4, 2)),
        "W1": 0.5 * rng.standard_normal((3, 5)),
        "b1": np.zeros(5),
        "W2": 0.5 * rng.standard_normal((5, 2)),
        "b2": np.zeros(2),
    }


def test_a_gradient_step_lowers_the_loss() -> None:
    p = params()
    grads = model.backward(**p)
    stepped = {**p, **{k: p[k] - 0.1 * g for k, g in grads.items()}}
    assert model.loss(**stepped) < model.loss(**p)


def test_forward_against_its_vjp(jacobian_check: JacobianCheck) -> None:
    p = params(1)
    x, rest = p["x"], {k: p[k] for k in ("W1", "b1", "W2", "b2")}
    out = model.forward(x, **rest)
    # The Jacobian (B, m, B, n) row by row: the vjp of each basis cotangent.
    rows = [model.forward_vjp_x(np.eye(out.size)[k].reshape(out.shape), x, **rest) for k in range(out.size)]
    result = jacobian_check(lambda x_: model.forward(x_, **rest), x, np.stack(rows).reshape(out.shape + x.shape))
    assert result.passed
