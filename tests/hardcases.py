"""Hard functions for the checker: correct derivatives it must pass and subtly wrong ones it must
catch, in every category where finite differences go astray (noise, scale, curvature, kinks,
float32 inside f, domain edges). Shared by tests/test_hard_functions.py and benchmarks/hard_suite.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class HardCase:
    """f at x against `analytic`; `correct` says whether the derivative is right (it must pass)
    or wrong (it must fail). `options` go to check_jacobian; `diagnosis` is what a failure must say."""

    name: str
    category: str
    f: Callable[[Array], Any]
    x: Array
    analytic: Array
    correct: bool
    options: dict[str, Any] = field(default_factory=dict)
    diagnosis: str = "bug"  # what a failing verdict's diagnosis must be


def _scaled(a: Array, factor: float, at: tuple[int, ...] | None = None) -> Array:
    """a times factor, everywhere or at one entry."""
    out = np.array(a, dtype=np.float64, copy=True)
    if at is None:
        return out * factor
    out[at] *= factor
    return out


# -- noise: cancellation and offsets ------------------------------------------------------------

_RNG = np.random.default_rng(12)
_TERMS = 2000
_A = _RNG.standard_normal((_TERMS, 5)) * 0.5
_SIGNS = np.where(np.arange(_TERMS) % 2 == 0, 1.0, -1.0)
_X5 = _RNG.standard_normal(5)


def cancelling_sum(x: Array) -> Any:
    """2,000 terms of size 1e8 with alternating signs: they cancel to a few units."""
    return np.sum(_SIGNS * (1e8 + np.sin(_A @ x)), axis=-1)


def cancelling_sum_grad(x: Array) -> Array:
    return (_SIGNS * np.cos(_A @ x)) @ _A  # type: ignore[no-any-return]


_XV = 1e4 + _RNG.standard_normal(50)


def naive_variance(x: Array) -> Any:
    """mean(x^2) - mean(x)^2 of values near 1e4: a difference of two numbers near 1e8."""
    return np.mean(x * x, axis=-1) - np.mean(x, axis=-1) ** 2


def variance_grad(x: Array) -> Array:
    return 2.0 * (x - x.mean()) / x.size  # type: ignore[no-any-return]


def offset_sin(x: Array) -> Any:
    """A large constant offset: f = 1e8 + sum(sin x)."""
    return 1e8 + np.sum(np.sin(x), axis=-1)


# -- scale of variation far from |x| --------------------------------------------------------------

_XBIG = 1e6 + _RNG.standard_normal(4)


def sum_sin(x: Array) -> Any:
    return np.sum(np.sin(x), axis=-1)


def sigmoid_shifted(x: Array) -> Any:
    return np.sum(1.0 / (1.0 + np.exp(-(x - 1e6))), axis=-1)


def sigmoid_shifted_grad(x: Array) -> Array:
    s = 1.0 / (1.0 + np.exp(-(x - 1e6)))
    return s * (1.0 - s)  # type: ignore[no-any-return]


def _ill_conditioned(n: int, cond: float, seed: int) -> Array:
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.standard_normal((n, n)))
    v, _ = np.linalg.qr(rng.standard_normal((n, n)))
    return (u * np.geomspace(1.0, 1.0 / cond, n)) @ v.T  # type: ignore[no-any-return]


_M = _ill_conditioned(4, 1e6, 3)
_C = np.random.default_rng(4).standard_normal((4, 4))


def inverse_weighted(m: Array) -> Any:
    """sum(C * inv(M)) for M of condition number 1e6."""
    return np.sum(_C * np.linalg.inv(m), axis=(-2, -1))


def inverse_weighted_grad(m: Array) -> Array:
    inv = np.linalg.inv(m)
    return -(inv.T @ _C @ inv.T)  # type: ignore[no-any-return]


def inverse_weighted_grad_untransposed(m: Array) -> Array:
    inv = np.linalg.inv(m)
    return -(inv @ _C @ inv)  # type: ignore[no-any-return]


_XEXP = np.array([709.5, 709.3, 709.6])


def exp_(x: Array) -> Any:
    return np.exp(x)


# -- kinks -------------------------------------------------------------------------------------

_XRELU = np.array([1e-7, 0.5, -0.3, 2.0])
_XRELU0 = np.array([0.0, 0.5, -0.3, 2.0])
_XABS = np.array([-1e-7, 0.4, -1.2])
_XABS0 = np.array([0.0, 0.4, -1.2])
_WK = np.array([0.7, -1.3, 0.4, 1.1])


def relu_sum(x: Array) -> Any:
    return np.sum(_WK[: x.shape[-1]] * np.maximum(x, 0.0), axis=-1)


def relu_grad(x: Array) -> Array:
    return _WK[: x.size] * (x > 0)  # type: ignore[no-any-return]


def relu_grad_threshold(x: Array) -> Array:
    """A wrong threshold: x > 1e-6 where the kink is at 0."""
    return _WK[: x.size] * (x > 1e-6)  # type: ignore[no-any-return]


def abs_sum(x: Array) -> Any:
    return np.sum(np.abs(x), axis=-1)


def _sign_right(x: Array) -> Array:
    """abs's derivative with the right side's value at 0: 1 for x >= 0, else -1."""
    return np.where(x >= 0, 1.0, -1.0)


# -- float32 inside f --------------------------------------------------------------------------

_X32 = _RNG.standard_normal(6)
_W32 = _RNG.standard_normal(6).astype(np.float32)


def tanh_f32(x: Array) -> float:
    """Rounds x to float32, computes in float32, returns a Python float (x itself is float64)."""
    return float(np.sum(np.tanh(np.asarray(x, dtype=np.float32)) * _W32))


def tanh_f32_grad(x: Array) -> Array:
    t = np.tanh(x)
    return (1.0 - t * t) * _W32.astype(np.float64)  # type: ignore[no-any-return]


def tanh_input_f32(x: Array) -> Array:
    """Rounds x to float32 and computes elementwise in float64."""
    return np.tanh(np.asarray(x, dtype=np.float32).astype(np.float64))


# -- domain edges ------------------------------------------------------------------------------

_P = np.array([1e-13, 0.3, 0.6999999999999])
_Y = np.array([1.0, 0.0, 0.0])
_LOGITS = np.array([1e4, 1e4 - 1.0, 1e4 + 2.0, 1e4 - 0.5])


def log_(p: Array) -> Any:
    return np.log(p)


def sqrt_(p: Array) -> Any:
    return np.sqrt(p)


def cross_entropy(p: Array) -> Any:
    return -np.sum(_Y * np.log(p), axis=-1)


def cross_entropy_guarded(p: Array) -> Any:
    """log(p + 1e-7) in the loss; its gradient below forgets the guard."""
    return -np.sum(_Y * np.log(p + 1e-7), axis=-1)


def log_softmax(z: Array) -> Any:
    top = np.max(z, axis=-1, keepdims=True)
    return z - top - np.log(np.sum(np.exp(z - top), axis=-1, keepdims=True))


def log_softmax_jacobian(z: Array) -> Array:
    s = np.exp(log_softmax(z))
    return np.eye(z.size) - s[None, :]  # type: ignore[no-any-return]


def _diag(v: Array) -> Array:
    return np.diag(np.asarray(v, dtype=np.float64))


def cases() -> list[HardCase]:
    """Every hard case, correct and wrong."""
    out: list[HardCase] = []

    def both(
        name: str,
        category: str,
        f: Callable[[Array], Any],
        x: Array,
        right: Array,
        bugs: dict[str, Array],
        **options: Any,
    ) -> None:
        out.append(HardCase(name, category, f, x, right, True, dict(options)))
        out.extend(
            HardCase(f"{name}, {bug}", category, f, x, wrong, False, dict(options)) for bug, wrong in bugs.items()
        )

    g = cancelling_sum_grad(_X5)
    drop = g - _SIGNS[7] * np.cos(_A[7] @ _X5) * _A[7]
    both("2,000 cancelling terms of 1e8", "noise", cancelling_sum, _X5, g, {"0.1 %": g * 1.001, "a term missing": drop})
    gv = variance_grad(_XV)
    both(
        "naive variance near 1e4",
        "noise",
        naive_variance,
        _XV,
        gv,
        {"0.5 %": gv * 1.005, "n - 1": gv * _XV.size / (_XV.size - 1)},
    )
    gs = np.cos(_X5)
    both("1e8 + sin(x)", "noise", offset_sin, _X5, gs, {"0.1 % in one entry": _scaled(gs, 1.001, (2,))})

    gb = np.cos(_XBIG)
    both("sin(x) at |x| = 1e6", "scale", sum_sin, _XBIG, gb, {"1 %": gb * 1.01, "-cos": -gb})
    gsig = sigmoid_shifted_grad(_XBIG)
    both("sigmoid(x - 1e6)", "scale", sigmoid_shifted, _XBIG, gsig, {"0.5 %": gsig * 1.005})
    gi = inverse_weighted_grad(_M)
    both(
        "inverse of a matrix of condition 1e6",
        "scale",
        inverse_weighted,
        _M,
        gi,
        {"1 %": gi * 1.01, "untransposed": inverse_weighted_grad_untransposed(_M)},
    )
    ge = _diag(np.exp(_XEXP))
    both("exp(x) near 709.5", "overflow", exp_, _XEXP, ge, {"0.1 %": ge * 1.001})

    gr = relu_grad(_XRELU)
    both(
        "ReLU at 1e-7",
        "kink",
        relu_sum,
        _XRELU,
        gr,
        {"0.5 %": gr * 1.005, "threshold 1e-6": relu_grad_threshold(_XRELU)},
    )
    ga = np.sign(_XABS)
    both("abs at -1e-7", "kink", abs_sum, _XABS, ga, {"sign of the kink's side flipped": np.abs(ga)})
    g0 = relu_grad(_XRELU0)
    out.append(HardCase("ReLU at 0", "kink", relu_sum, _XRELU0, g0, False, diagnosis="kink"))
    out.append(HardCase("abs at 0", "kink", abs_sum, _XABS0, _sign_right(_XABS0), False, diagnosis="kink"))
    wrong_relu = g0 + np.eye(4)[0] * 2.0
    both("ReLU at 0, subgradient", "kink", relu_sum, _XRELU0, g0, {"outside": wrong_relu}, subgradient=True)
    ga0 = _sign_right(_XABS0)
    both("abs at 0, subgradient", "kink", abs_sum, _XABS0, ga0, {"outside": ga0 + np.eye(3)[0] * 1.5}, subgradient=True)
    both("abs at 0, sign(0) = 0", "kink", abs_sum, _XABS0, np.sign(_XABS0), {"0.5 %": np.sign(_XABS0) * 1.005})

    gt = tanh_f32_grad(_X32)
    both(
        "float32 inside f, float64 x",
        "float32",
        tanh_f32,
        _X32,
        gt,
        {"0.1 %": gt * 1.001, "1 % in one entry": _scaled(gt, 1.01, (3,))},
    )
    gt2 = _diag(1.0 - np.tanh(_X32) ** 2)
    both("x rounded to float32, float64 inside", "float32", tanh_input_f32, _X32, gt2, {"0.1 %": gt2 * 1.001})

    gl = _diag(1.0 / _P)
    both("log near 0", "domain", log_, _P, gl, {"0.1 %": gl * 1.001})
    gq = _diag(0.5 / np.sqrt(_P))
    both("sqrt near 0", "domain", sqrt_, _P, gq, {"0.1 % in one entry": _scaled(gq, 1.001, (1, 1))})
    gx = -_Y / _P
    both("cross-entropy near 0", "domain", cross_entropy, _P, gx, {"1 %": gx * 1.01})
    out.append(
        HardCase("cross-entropy with log(p + 1e-7), gradient without", "domain", cross_entropy_guarded, _P, gx, False)
    )
    zl = log_softmax_jacobian(_LOGITS)
    nodiag = zl * np.eye(4)
    both(
        "log-softmax at logits 1e4", "domain", log_softmax, _LOGITS, zl, {"0.1 %": zl * 1.001, "diagonal only": nodiag}
    )
    return out
