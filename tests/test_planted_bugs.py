"""The checker must catch planted bugs, and must pass correct derivatives at awkward points."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

from gradcheck import (
    Comparison,
    assert_jacobian,
    cross_entropy,
    cross_entropy_grad,
    dense,
    layer_jacobian,
    loss_grad,
    softmax,
    softmax_jacobian,
)
from gradcheck.functions import chain_grad

Label = int | np.ndarray


@dataclass(frozen=True)
class Point:
    """One sample of a softmax layer. `arithmetic` set: f computes in that dtype throughout."""

    x: np.ndarray
    W: np.ndarray
    label: Label
    bias: np.ndarray | None = None
    arithmetic: type[np.floating[Any]] | None = None


@dataclass(frozen=True)
class Derivative:
    """f, the point to differentiate at, the analytic Jacobian there, and entry names."""

    f: Callable[[np.ndarray], Any]
    at: np.ndarray
    analytic: np.ndarray
    of: str
    wrt: str

    def check(self, analytic: np.ndarray | None = None) -> Comparison:
        """assert_jacobian with `analytic` (default: the correct one) in place of the derivative."""
        __tracebackhide__ = True
        a = self.analytic if analytic is None else analytic
        return assert_jacobian(self.f, self.at, a, of=self.of, wrt=self.wrt)


DERIVATIVES = ["dS/dZ", "dS/dW", "dXE/dS", "chain dXE/dW", "shortcut dXE/dW"]
#: Test ids without slashes or spaces, for -k.
IDS = {"dS/dZ": "dSdZ", "dS/dW": "dSdW", "dXE/dS": "dXEdS", "chain dXE/dW": "chain", "shortcut dXE/dW": "shortcut"}


def ident(value: object) -> str:
    return IDS.get(str(value), str(value))


def derivatives(p: Point) -> dict[str, Derivative]:
    """The five derivatives of a softmax layer at `p`."""
    x, b, y = p.x, p.bias, p.label
    cast = (lambda a: a) if p.arithmetic is None else (lambda a: np.asarray(a).astype(p.arithmetic))
    # A scalar loss keeps the arithmetic's dtype, so the checker picks that precision's step.
    scalar = float if p.arithmetic is None else p.arithmetic

    def probabilities(w: np.ndarray) -> np.ndarray:
        return softmax(dense(x, cast(w), b))

    def xe_of_s(s_: np.ndarray) -> Any:
        return scalar(cross_entropy(cast(s_), y))

    def xe_of_w(w: np.ndarray) -> Any:
        return scalar(cross_entropy(probabilities(w), y))

    z = dense(x, p.W, b)
    s = softmax(z)
    return {
        "dS/dZ": Derivative(lambda z_: softmax(cast(z_)), z, softmax_jacobian(s), "S", "Z"),
        "dS/dW": Derivative(probabilities, p.W, layer_jacobian(x, p.W, b), "S", "W"),
        "dXE/dS": Derivative(xe_of_s, s, cross_entropy_grad(s, y), "XE", "S"),
        "chain dXE/dW": Derivative(xe_of_w, p.W, chain_grad(x, p.W, y, b), "XE", "W"),
        "shortcut dXE/dW": Derivative(xe_of_w, p.W, loss_grad(x, p.W, y, b), "XE", "W"),
    }


def seed_example() -> Point:
    x = np.array([0.1, 0.5, 0.4])
    W = np.array([[0.1, 0.2, 0.3, 0.4, 0.5], [0.6, 0.7, 0.8, 0.9, 0.1], [0.11, 0.12, 0.13, 0.14, 0.15]])
    return Point(x, W, 2)


def mnist_layer(seed: int = 40) -> Point:
    """784 inputs, 10 classes, with about a third of x and W exactly zero."""
    rng = np.random.default_rng(seed)
    x = rng.random(784)
    x[rng.random(784) < 0.35] = 0.0
    x[123] = 0.7  # an entry the tests below plant a bug at
    W = rng.normal(scale=0.05, size=(784, 10))
    W[rng.random((784, 10)) < 0.3] = 0.0
    return Point(x, W, 3)


def awkward_points() -> dict[str, Point]:
    rng = np.random.default_rng(30)
    f32 = np.float32
    x32 = rng.normal(size=6).astype(f32)
    W32 = (0.5 * rng.normal(size=(6, 5))).astype(f32)
    b32 = (0.1 * rng.normal(size=5)).astype(f32)
    soft32 = np.array([0.05, 0.05, 0.1, 0.2, 0.6], dtype=f32)
    return {
        # logits of order 1e-9: s is nearly uniform
        "logits-1e-9": Point(np.array([1e-3, -2e-3, 5e-4]), 1e-6 * rng.normal(size=(3, 4)), 2),
        # every logit shifted by +1000, by the bias, and by W itself (the step grows with |W|)
        "logits+1000-bias": Point(np.array([0.4, -0.3, 0.8]), rng.normal(size=(3, 4)), 0, np.full(4, 1000.0)),
        "logits+1000-W": Point(
            np.array([1.0, -0.3, 0.8]), rng.normal(size=(3, 4)) + np.array([[1000.0], [0.0], [0.0]]), 1
        ),
        # z = [50, 47, 49, 20]: saturated, exp(50) would overflow float32 without the max shift
        "saturated-50": Point(np.array([1.0, 0.5]), np.array([[48.0, 46.0, 47.5, 20.0], [4.0, 2.0, 3.0, 0.0]]), 1),
        # z = [0, 30, 0, 0]: the true class has p = 9.4e-14
        "p=1e-13": Point(np.array([1.0]), np.array([[0.0, 30.0, 0.0, 0.0]]), 0),
        # float32 inputs (the probe differences in float64, as the plugin's built-in checks do)
        "float32-inputs": Point(x32, W32, soft32, b32),
        # float32 inputs and float32 arithmetic throughout: the checker must use a float32 step
        "float32-arithmetic": Point(x32, W32, soft32, b32, arithmetic=f32),
        "784x10-zeros": mnist_layer(),
    }


AWKWARD = awkward_points()
SEED = seed_example()

#: At p=1e-13 every entry of dS/dZ and dS/dW is below 1e-12, far inside atol=1e-8: a relative
#: error there is invisible by design (see test_softmax_jacobians_at_p_1e13_are_below_atol).
BELOW_ATOL = {("p=1e-13", "dS/dZ"), ("p=1e-13", "dS/dW")}

awkward_and_derivative = pytest.mark.parametrize(
    ("point", "name"), [(p, d) for p in AWKWARD for d in DERIVATIVES], ids=ident
)
detectable_awkward_and_derivative = pytest.mark.parametrize(
    ("point", "name"),
    [(p, d) for p in AWKWARD for d in DERIVATIVES if (p, d) not in BELOW_ATOL],
    ids=ident,
)
each_derivative = pytest.mark.parametrize("name", DERIVATIVES, ids=ident)


# --- correct derivatives pass where a naive finite difference goes wrong -------------------


@awkward_and_derivative
def test_correct_derivative_passes_at_awkward_point(point: str, name: str) -> None:
    d = derivatives(AWKWARD[point])[name]
    assert np.all(np.isfinite(d.analytic))
    result = d.check()
    assert result.passed
    assert result.mismatched == 0
    assert result.total == d.analytic.size


@each_derivative
def test_correct_derivative_passes_at_seed_example(name: str) -> None:
    assert derivatives(SEED)[name].check().passed


def test_softmax_jacobians_at_p_1e13_are_below_atol() -> None:
    ds = derivatives(AWKWARD["p=1e-13"])
    assert np.max(np.abs(ds["dS/dZ"].analytic)) < 1e-12
    assert np.max(np.abs(ds["dS/dW"].analytic)) < 1e-12
    # while the loss derivatives there are large, so a bug in them is visible (tests below)
    assert np.max(np.abs(ds["dXE/dS"].analytic)) > 1e12


# --- a 0.1 % scale error --------------------------------------------------------------------


@each_derivative
def test_scale_error_fails_at_seed_example(name: str) -> None:
    d = derivatives(SEED)[name]
    with pytest.raises(AssertionError, match=r"FAILED[\s\S]*analytic = 1\.001 \* numeric: off by a constant factor"):
        d.check(d.analytic * 1.001)


@detectable_awkward_and_derivative
def test_scale_error_fails_at_awkward_point(point: str, name: str) -> None:
    d = derivatives(AWKWARD[point])[name]
    bad = (d.analytic * 1.001).astype(d.analytic.dtype)
    with pytest.raises(AssertionError, match=rf"gradcheck of d{d.of}/d{d.wrt}: FAILED"):
        d.check(bad)


@pytest.mark.parametrize("factor", [0.999, 1.0001])
def test_small_scale_error_in_loss_gradient_of_784x10_layer(factor: float) -> None:
    d = derivatives(AWKWARD["784x10-zeros"])["shortcut dXE/dW"]
    with pytest.raises(AssertionError, match=r"entries differ beyond rtol=1e-06"):
        d.check(d.analytic * factor)


# --- one wrong entry among thousands --------------------------------------------------------


@pytest.mark.parametrize("entry", [(123, 4), (0, 0), (783, 9)], ids=lambda e: f"W{list(e)}")
def test_one_wrong_entry_in_784x10_loss_gradient_is_named(entry: tuple[int, int]) -> None:
    d = derivatives(AWKWARD["784x10-zeros"])["shortcut dXE/dW"]
    bad = d.analytic.copy()
    bad[entry] += 1e-4
    j, k = entry
    with pytest.raises(AssertionError, match=rf"W\[{j}, {k}\]") as info:
        d.check(bad)
    report = str(info.value)
    assert "1 of 7840 entries differ" in report
    assert "only 1 of 7840 entries are wrong" in report
    # the named entry is the only row of the table (its step sweep names it again)
    assert set(re.findall(r"W\[\d+, \d+\]", report)) == {f"W[{j}, {k}]"}
    assert "stays put as the step shrinks, so the derivative is wrong (a real bug)" in report


def test_one_wrong_entry_in_layer_jacobian_is_named() -> None:
    d = derivatives(SEED)["dS/dW"]
    bad = d.analytic.copy()
    bad[3, 2, 1] -= 1e-5
    with pytest.raises(AssertionError, match=r"dS\[3\]/dW\[2, 1\]"):
        d.check(bad)


# --- a transposed layout --------------------------------------------------------------------


def square_point() -> Point:
    rng = np.random.default_rng(50)
    return Point(rng.normal(size=5), rng.normal(size=(5, 5)), 3)


@pytest.mark.parametrize("name", ["chain dXE/dW", "shortcut dXE/dW"], ids=ident)
def test_transposed_gradient_of_square_w_fails(name: str) -> None:
    d = derivatives(square_point())[name]
    assert d.analytic.T.shape == d.analytic.shape  # the shapes agree, only the values can tell
    with pytest.raises(AssertionError, match=r"FAILED[\s\S]*matches the transpose of numeric"):
        d.check(d.analytic.T)


def test_transposed_layer_jacobian_of_square_w_fails() -> None:
    d = derivatives(square_point())["dS/dW"]
    swapped = d.analytic.transpose(0, 2, 1)  # [t, i, j] instead of [t, j, i]
    assert swapped.shape == d.analytic.shape
    with pytest.raises(AssertionError, match=r"dS/dW: FAILED"):
        d.check(swapped)


@pytest.mark.parametrize(("point", "shape"), [("seed", (5, 3)), ("784x10", (10, 784))])
def test_transposed_gradient_of_non_square_w_fails_on_shape(point: str, shape: tuple[int, int]) -> None:
    p = SEED if point == "seed" else AWKWARD["784x10-zeros"]
    d = derivatives(p)["shortcut dXE/dW"]
    pattern = rf"analytic has shape \({shape[0]}, {shape[1]}\); expected \({shape[1]}, {shape[0]}\)"
    with pytest.raises(AssertionError, match=pattern) as info:
        d.check(d.analytic.T)
    assert "axes permuted as (1, 0): a transposed layout" in str(info.value)


def test_keras_vs_torch_layout_of_layer_jacobian_fails_on_shape() -> None:
    d = derivatives(SEED)["dS/dW"]  # (K, n, K) = (5, 3, 5)
    with pytest.raises(AssertionError, match=r"analytic has shape \(5, 5, 3\); expected \(5, 3, 5\)"):
        d.check(d.analytic.transpose(0, 2, 1))


# --- a sign flip ----------------------------------------------------------------------------


@each_derivative
def test_sign_flip_fails(name: str) -> None:
    d = derivatives(SEED)[name]
    with pytest.raises(AssertionError, match=r"FAILED[\s\S]*the sign is flipped"):
        d.check(-d.analytic)


@pytest.mark.parametrize("point", ["logits+1000-bias", "saturated-50", "p=1e-13", "float32-arithmetic"])
def test_sign_flip_in_one_factor_of_the_chain_fails(point: str) -> None:
    # dXE/dS = +y/s instead of -y/s, then the chain product
    p = AWKWARD[point]
    d = derivatives(p)["chain dXE/dW"]
    s = softmax(dense(p.x, p.W, p.bias))
    bad = np.einsum("t,tji->ji", -cross_entropy_grad(s, p.label), layer_jacobian(p.x, p.W, p.bias))
    with pytest.raises(AssertionError, match=r"dXE/dW: FAILED"):
        d.check(bad)


# --- a missing off-diagonal term in dS/dZ ---------------------------------------------------


@pytest.mark.parametrize("point", ["seed", "logits+1000-bias", "saturated-50", "784x10-zeros"])
def test_softmax_jacobian_without_off_diagonal_fails(point: str) -> None:
    p = SEED if point == "seed" else AWKWARD[point]
    d = derivatives(p)["dS/dZ"]
    s = softmax(d.at)
    with pytest.raises(AssertionError, match=r"dS/dZ: FAILED[\s\S]*analytic is zero where numeric is not"):
        d.check(np.diag(s))  # forgot - outer(s, s) entirely
    with pytest.raises(AssertionError, match=r"dS/dZ: FAILED[\s\S]*off-diagonal terms missing"):
        d.check(np.diag(s - s**2))  # kept only its diagonal


@pytest.mark.parametrize("name", ["dS/dW", "chain dXE/dW"], ids=ident)
def test_missing_off_diagonal_propagates_through_the_layer(name: str) -> None:
    p = SEED
    s = softmax(dense(p.x, p.W))
    diag_only = np.einsum("ti,j->tji", np.diag(s - s**2), p.x)  # dS/dW from the diagonal-only dS/dZ
    bad = diag_only if name == "dS/dW" else np.einsum("t,tji->ji", cross_entropy_grad(s, p.label), diag_only)
    with pytest.raises(AssertionError, match=r"FAILED"):
        derivatives(p)[name].check(bad)


# --- NaN and inf anywhere in the analytic value ---------------------------------------------


@each_derivative
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf], ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("where", ["first", "last", "random"])
def test_non_finite_analytic_fails(name: str, bad: float, where: str) -> None:
    d = derivatives(SEED)[name]
    analytic = d.analytic.copy()
    rng = np.random.default_rng(DERIVATIVES.index(name))
    flat_index = {"first": 0, "last": analytic.size - 1, "random": int(rng.integers(analytic.size))}[where]
    analytic.reshape(-1)[flat_index] = bad
    with pytest.raises(AssertionError, match=r"FAILED[\s\S]*analytic has 1 non-finite entries"):
        d.check(analytic)


def test_nan_in_784x10_loss_gradient_is_named() -> None:
    d = derivatives(AWKWARD["784x10-zeros"])["shortcut dXE/dW"]
    bad = d.analytic.copy()
    bad[500, 7] = np.nan
    with pytest.raises(AssertionError, match=r"non-finite entries: W\[500, 7\] = nan"):
        d.check(bad)


def test_all_nan_analytic_fails() -> None:
    d = derivatives(SEED)["dS/dZ"]
    with pytest.raises(AssertionError, match=r"analytic has 25 non-finite entries"):
        d.check(np.full_like(d.analytic, np.nan))


# --- an analytic array of the wrong shape ---------------------------------------------------


@pytest.mark.parametrize(
    ("name", "mangle", "got", "want"),
    [
        ("shortcut dXE/dW", lambda a: a.ravel(), "(15,)", "(3, 5)"),
        ("shortcut dXE/dW", lambda a: a[:-1], "(2, 5)", "(3, 5)"),
        ("shortcut dXE/dW", lambda a: a[None], "(1, 3, 5)", "(3, 5)"),
        ("dS/dZ", lambda a: a[:, :1], "(5, 1)", "(5, 5)"),
        ("dS/dW", lambda a: a.reshape(5, 15), "(5, 15)", "(5, 3, 5)"),
        ("dXE/dS", lambda a: a[:, None], "(5, 1)", "(5,)"),
    ],
    ids=["raveled", "row-missing", "extra-axis", "column-only", "flattened-W", "column-vector"],
)
def test_wrong_shape_fails_naming_both_shapes(
    name: str, mangle: Callable[[np.ndarray], np.ndarray], got: str, want: str
) -> None:
    d = derivatives(SEED)[name]
    pattern = rf"analytic has shape {got}; expected {want}".replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(AssertionError, match=pattern):
        d.check(mangle(d.analytic))


def test_raveled_gradient_gets_a_reshape_hint() -> None:
    d = derivatives(SEED)["shortcut dXE/dW"]
    with pytest.raises(AssertionError, match=r"right values in C order but the wrong shape: reshape it"):
        d.check(d.analytic.ravel())


# --- planted bugs at awkward points ---------------------------------------------------------


@pytest.mark.parametrize("point", ["logits+1000-bias", "p=1e-13", "saturated-50", "float32-arithmetic"])
def test_scale_error_in_loss_fails_at_extreme_probabilities(point: str) -> None:
    ds = derivatives(AWKWARD[point])
    for name in ("dXE/dS", "chain dXE/dW", "shortcut dXE/dW"):
        d = ds[name]
        with pytest.raises(AssertionError, match=r"FAILED"):
            d.check((d.analytic * 1.001).astype(d.analytic.dtype))
        assert d.check().passed  # and the unplanted one still passes there


def test_wrong_entry_at_p_1e13_is_named() -> None:
    d = derivatives(AWKWARD["p=1e-13"])["shortcut dXE/dW"]
    bad = d.analytic.copy()
    bad[0, 2] += 1e-6  # the gradient there is [[s0 - 1, s1, s2, s3]] = [[-1, 1, 9e-14, 9e-14]]
    with pytest.raises(AssertionError, match=r"W\[0, 2\]"):
        d.check(bad)
