"""Hard functions for the checker: correct derivatives it must pass and subtly wrong ones it must
catch, in every category where finite differences go astray (noise, the scale of variation,
overflow, kinks, float32 inside f, the edge of f's domain). Shared by tests/test_hard_functions.py
and benchmarks/hard_suite.py. Every f broadcasts over leading axes unless `vectorized` is false."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

Array = np.ndarray


@dataclass(frozen=True)
class HardCase:
    """f at x against `analytic`; `correct` says whether the derivative is right (it must pass)
    or wrong (it must fail, and its diagnosis be `diagnosis`). `options` go to check_jacobian."""

    name: str
    category: str
    f: Callable[[Array], Any]
    x: Array
    analytic: Array
    correct: bool
    options: dict[str, Any] = field(default_factory=dict)
    diagnosis: str = "bug"
    vectorized: bool = True


def _scaled(a: Array, factor: float, at: tuple[int, ...] | None = None) -> Array:
    """a times factor, everywhere or at one entry."""
    out = np.array(a, dtype=np.float64, copy=True)
    if at is None:
        return out * factor
    out[at] *= factor
    return out


def _diag(v: Array) -> Array:
    return np.diag(np.asarray(v, dtype=np.float64))


# -- noise: cancellation and offsets ------------------------------------------------------------

_RNG = np.random.default_rng(12)
_TERMS = 2000
_A = _RNG.standard_normal((_TERMS, 5)) * 0.5
_SIGNS = np.where(np.arange(_TERMS) % 2 == 0, 1.0, -1.0)
_X5 = _RNG.standard_normal(5)
_X5B = _RNG.standard_normal(5) * 2.0


def cancelling_sum(x: Array) -> Any:
    """A loss of 2,000 terms of size 1e8 with alternating signs: they cancel to a few units."""
    return np.sum(_SIGNS * (1e8 + np.sin(x @ _A.T)), axis=-1)


def cancelling_sum_grad(x: Array) -> Array:
    return (_SIGNS * np.cos(_A @ x)) @ _A  # type: ignore[no-any-return]


_XV = 1e4 + _RNG.standard_normal(50)


def naive_variance(x: Array) -> Any:
    """mean(x^2) - mean(x)^2 of values near 1e4: a difference of two numbers near 1e8."""
    return np.mean(x * x, axis=-1) - np.mean(x, axis=-1) ** 2


def variance_grad(x: Array) -> Array:
    return 2.0 * (x - x.mean()) / x.size  # type: ignore[no-any-return]


def offset_sin(x: Array) -> Any:
    """A large constant offset: f = 1e8 + sum(sin x) + 1e-3 sum(x^2)."""
    return 1e8 + np.sum(np.sin(x) + 1e-3 * x * x, axis=-1)


def offset_logsumexp(x: Array) -> Any:
    """log-sum-exp plus a constant of 1e12: noise of about 1e-4 on a function of size 1."""
    return 1e12 + np.log(np.sum(np.exp(x), axis=-1))


def logsumexp_grad(x: Array) -> Array:
    e = np.exp(x - x.max())
    return e / e.sum()  # type: ignore[no-any-return]


# -- the scale of variation far from |x| --------------------------------------------------------

_XBIG = 1e6 + _RNG.standard_normal(4)
_XNEG = -1e6 + _RNG.standard_normal(3)


def sum_sin(x: Array) -> Any:
    return np.sum(np.sin(x), axis=-1)


def sin_(x: Array) -> Any:
    return np.sin(x)


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
_M3 = _ill_conditioned(3, 1e6, 5)
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


def inverse(m: Array) -> Any:
    return np.linalg.inv(m)


def inverse_jacobian(m: Array) -> Array:
    """d inv(M)_ij / d M_kl = -inv_ik inv_lj."""
    inv = np.linalg.inv(m)
    return -np.einsum("ik,lj->ijkl", inv, inv)  # type: ignore[no-any-return]


_XSTEEP = np.array([0.3 + 2e-6, 0.1, 0.3 - 5e-6])


def steep_sigmoid(x: Array) -> Any:
    """A sigmoid of slope 1e5 at 0.3: it varies on a scale of 1e-5, near the default step."""
    return 0.5 + 0.5 * np.tanh(0.5e5 * (x - 0.3))


def steep_sigmoid_jacobian(x: Array) -> Array:
    s = steep_sigmoid(x)
    return _diag(1e5 * s * (1.0 - s))


def narrow_gaussian(x: Array) -> Any:
    """exp(-x^2 / 2s^2) with s = 1e-4, at x ~ s."""
    return np.sum(np.exp(-(x * x) / 2e-8), axis=-1)


_XNARROW = np.array([1e-4, -2e-4, 5e-5])

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


def clip_sum(x: Array) -> Any:
    return np.sum(np.clip(x, 0.0, 1.0), axis=-1)


_XCLIP = np.array([1.0 - 1e-7, 0.5, 1.0 + 3e-8, 2.0])


def max_pair(x: Array) -> Any:
    """max(x0, x1) + x2: a kink where x0 = x1."""
    return np.maximum(x[..., 0], x[..., 1]) + x[..., 2]


_XMAX = np.array([0.7 + 2e-8, 0.7, -0.2])


def abs_sum(x: Array) -> Any:
    return np.sum(np.abs(x), axis=-1)


def sign_right(x: Array) -> Array:
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


def softmax_f32(z: Array) -> Array:
    """A softmax computed in float32, its result returned as float64."""
    z32 = np.asarray(z, dtype=np.float32)
    e = np.exp(z32 - z32.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float64)


def softmax_jacobian(z: Array) -> Array:
    e = np.exp(z - z.max())
    s = e / e.sum()
    return np.diag(s) - np.outer(s, s)  # type: ignore[no-any-return]


def tanh_input_f32(x: Array) -> Array:
    """Rounds x to float32 and computes elementwise in float64."""
    return np.tanh(np.asarray(x, dtype=np.float32).astype(np.float64))


# -- the edge of f's domain --------------------------------------------------------------------

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


def arcsin_(x: Array) -> Any:
    return np.arcsin(x)


_XASIN = np.array([1.0 - 1e-12, 0.2, -1.0 + 1e-9])


def log1p_(x: Array) -> Any:
    return np.log1p(x)


_XLOG1P = np.array([-1.0 + 1e-12, 0.5])


def log_softmax(z: Array) -> Any:
    top = np.max(z, axis=-1, keepdims=True)
    return z - top - np.log(np.sum(np.exp(z - top), axis=-1, keepdims=True))


def log_softmax_jacobian(z: Array) -> Array:
    s = np.exp(log_softmax(z))
    return np.eye(z.size) - s[None, :]  # type: ignore[no-any-return]


def cases() -> list[HardCase]:
    """Every hard case: each right derivative, then its subtly wrong versions."""
    out: list[HardCase] = []

    def both(name: str, category: str, f: Any, x: Array, right: Array, bugs: dict[str, Array], **opts: Any) -> None:
        vectorized = opts.pop("vectorized", True)
        out.append(HardCase(name, category, f, x, right, True, opts, vectorized=vectorized))
        for bug, wrong in bugs.items():
            out.append(HardCase(f"{name}, {bug}", category, f, x, wrong, False, opts, vectorized=vectorized))

    for x in (_X5, _X5B):
        g = cancelling_sum_grad(x)
        drop = g - _SIGNS[7] * np.cos(_A[7] @ x) * _A[7]  # one of the 2,000 terms left out
        both(f"2,000 cancelling terms of 1e8 at |x| ~ {np.abs(x).max():.0f}", "noise", cancelling_sum, x, g,
             {"0.1 %": g * 1.001, "a term missing": drop})  # fmt: skip
    gv = variance_grad(_XV)
    both("naive variance near 1e4", "noise", naive_variance, _XV, gv,
         {"0.5 %": gv * 1.005, "n - 1": gv * _XV.size / (_XV.size - 1)})  # fmt: skip
    gl = logsumexp_grad(_X5)
    both("1e12 + logsumexp(x)", "noise", offset_logsumexp, _X5, gl, {"1 %": gl * 1.01})
    gs = np.cos(_X5) + 2e-3 * _X5
    both("1e8 + sin(x) + 1e-3 x^2", "noise", offset_sin, _X5, gs,
         {"0.1 % in one entry": _scaled(gs, 1.001, (2,)), "the x^2 term missing": np.cos(_X5)})  # fmt: skip

    gb = np.cos(_XBIG)
    both("sin(x) at x ~ 1e6", "scale", sum_sin, _XBIG, gb, {"1 %": gb * 1.01, "-cos": -gb})
    gn = _diag(np.cos(_XNEG))
    both("sin(x) at x ~ -1e6, Jacobian", "scale", sin_, _XNEG, gn, {"1 % in one entry": _scaled(gn, 1.01, (1, 1))})
    gsig = sigmoid_shifted_grad(_XBIG)
    both("sigmoid(x - 1e6)", "scale", sigmoid_shifted, _XBIG, gsig, {"0.5 %": gsig * 1.005})
    gi = inverse_weighted_grad(_M)
    both("sum(C * inv(M)), M of condition 1e6", "scale", inverse_weighted, _M, gi,
         {"1 %": gi * 1.01, "untransposed": inverse_weighted_grad_untransposed(_M)})  # fmt: skip
    ji = inverse_jacobian(_M3)
    both("inv(M), M of condition 1e6, Jacobian", "scale", inverse, _M3, ji, {"1 %": ji * 1.01})
    gst = steep_sigmoid_jacobian(_XSTEEP)
    both("sigmoid of slope 1e5 near its middle", "scale", steep_sigmoid, _XSTEEP, gst,
         {"0.5 % in one entry": _scaled(gst, 1.005, (0, 0))})  # fmt: skip
    gg = -_XNARROW / 1e-8 * np.exp(-(_XNARROW**2) / 2e-8)
    both("gaussian of width 1e-4", "scale", narrow_gaussian, _XNARROW, gg, {"1 %": gg * 1.01})
    ge = _diag(np.exp(_XEXP))
    both("exp(x) near 709.5", "overflow", exp_, _XEXP, ge, {"0.1 %": ge * 1.001})

    gr = relu_grad(_XRELU)
    both("ReLU at 1e-7", "kink", relu_sum, _XRELU, gr,
         {"0.5 %": gr * 1.005, "threshold 1e-6": relu_grad_threshold(_XRELU)})  # fmt: skip
    ga = np.sign(_XABS)
    both("abs at -1e-7", "kink", abs_sum, _XABS, ga, {"the kink's side flipped": np.abs(ga)})
    g0 = relu_grad(_XRELU0)
    out.append(HardCase("ReLU at 0", "kink", relu_sum, _XRELU0, g0, False, diagnosis="kink"))
    out.append(HardCase("abs at 0", "kink", abs_sum, _XABS0, sign_right(_XABS0), False, diagnosis="kink"))
    both("ReLU at 0, subgradient", "kink", relu_sum, _XRELU0, g0, {"outside": g0 + np.eye(4)[0] * 2.0},
         subgradient=True)  # fmt: skip
    ga0 = sign_right(_XABS0)
    both("abs at 0, subgradient", "kink", abs_sum, _XABS0, ga0, {"outside": ga0 + np.eye(3)[0] * 1.5},
         subgradient=True)  # fmt: skip
    both("abs at 0, sign(0) = 0", "kink", abs_sum, _XABS0, np.sign(_XABS0), {"0.5 %": np.sign(_XABS0) * 1.005})

    gc = ((_XCLIP > 0) & (_XCLIP < 1)).astype(np.float64)
    both("clip(x, 0, 1) within 1e-7 of 1", "kink", clip_sum, _XCLIP, gc, {"the upper bound's side flipped": np.ones(4)})
    gm = np.array([1.0, 0.0, 1.0])
    both(
        "max(x0, x1) at x0 = x1 + 2e-8",
        "kink",
        max_pair,
        _XMAX,
        gm,
        {"the loser's gradient": np.array([0.0, 1.0, 1.0])},
    )

    gt = tanh_f32_grad(_X32)
    both("float32 inside f, float64 x", "float32", tanh_f32, _X32, gt,
         {"0.1 %": gt * 1.001, "1 % in one entry": _scaled(gt, 1.01, (3,))}, vectorized=False)  # fmt: skip
    zs = _X32[:4]
    gsm = softmax_jacobian(zs)
    both("softmax in float32", "float32", softmax_f32, zs, gsm, {"diagonal only": gsm * np.eye(4)})
    gt2 = _diag(1.0 - np.tanh(_X32) ** 2)
    both("x rounded to float32, float64 inside", "float32", tanh_input_f32, _X32, gt2, {"0.1 %": gt2 * 1.001})

    gl = _diag(1.0 / _P)
    both("log near 0", "domain", log_, _P, gl, {"0.1 %": gl * 1.001})
    gq = _diag(0.5 / np.sqrt(_P))
    both("sqrt near 0", "domain", sqrt_, _P, gq, {"0.1 % in one entry": _scaled(gq, 1.001, (1, 1))})
    ga_ = _diag(1.0 / np.sqrt(1.0 - _XASIN**2))
    both("arcsin within 1e-12 of 1", "domain", arcsin_, _XASIN, ga_, {"0.1 %": ga_ * 1.001})
    g1p = _diag(1.0 / (1.0 + _XLOG1P))
    both("log1p within 1e-12 of -1", "domain", log1p_, _XLOG1P, g1p, {"1 % in one entry": _scaled(g1p, 1.01, (1, 1))})
    gx = -_Y / _P
    both("cross-entropy near 0", "domain", cross_entropy, _P, gx, {"1 %": gx * 1.01})
    out.append(
        HardCase("cross-entropy, log(p + 1e-7) in the loss only", "domain", cross_entropy_guarded, _P, gx, False)
    )
    zl = log_softmax_jacobian(_LOGITS)
    both("log-softmax at logits 1e4", "domain", log_softmax, _LOGITS, zl,
         {"0.1 %": zl * 1.001, "diagonal only": zl * np.eye(4)})  # fmt: skip
    return out


#: The ways the suite runs each case: check_jacobian's defaults, then other modes and schemes.
CONFIGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "vectorized": {"vectorized": True},
    "directional": {"mode": "directional"},
    "central4": {"scheme": "central4"},
    "richardson": {"scheme": "richardson"},
}


def applies(case: HardCase, config: str) -> bool:
    """Whether a configuration applies to a case (vectorized needs an f that broadcasts)."""
    return case.vectorized or "vectorized" not in CONFIGS[config]
