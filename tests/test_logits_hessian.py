"""The built-in check logits_hessian: d2XE/dZ2 = diag(s) - s sᵀ for one sample, block diagonal over
a batch's samples (divided by B for the mean), its closed form and a planted bug it catches."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from test_numerics_depth import BATCH, ONE, planted, run

from gradcheck import functions as fn
from gradcheck.casefile.layer import Case


def test_the_hessian_is_the_closed_form_for_one_sample_and_a_batch() -> None:
    z = ONE.x @ ONE.weights + ONE.bias
    s = fn.softmax(z)
    np.testing.assert_allclose(fn.logits_cross_entropy_hessian(z), np.diag(s) - np.outer(s, s))
    zb = BATCH.x @ BATCH.weights + BATCH.bias
    mean, total = fn.logits_cross_entropy_hessian(zb), fn.logits_cross_entropy_hessian(zb, reduction="sum")
    assert mean.shape == (6, 4, 6, 4)
    for b in range(6):
        sb = fn.softmax(zb[b])
        np.testing.assert_allclose(total[b, :, b, :], np.diag(sb) - np.outer(sb, sb))
        np.testing.assert_allclose(mean[b, :, b, :], total[b, :, b, :] / 6)
    off = total.copy()
    off[np.arange(6), :, np.arange(6), :] = 0
    assert not np.any(off)  # nothing between different samples


@pytest.mark.parametrize("case", [ONE, BATCH], ids=["one", "batch"])
def test_the_built_in_check_passes_with_entries_in_second_order_terms(case: Case) -> None:
    result = run("logits_hessian", case)
    assert result.passed and "central differences" in result.method, result


def test_a_hessian_without_its_outer_product_fails_with_a_hint() -> None:
    def no_outer(good: Callable[..., Any]) -> Callable[..., Any]:
        return lambda z, reduction="mean": np.diag(fn.softmax(z))

    with planted("logits_cross_entropy_hessian", no_outer):
        result = run("logits_hessian", ONE)
    assert not result.passed and result.worst[0].name.startswith("d2XE/dZ["), result
    assert "stays put as the step shrinks" in str(result), result
