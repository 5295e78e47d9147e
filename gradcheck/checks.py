"""Named checks: each turns a Case into the derivative to verify (built-in or registered)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import functions as fn
from .cases import Case
from .compare import Comparison
from .numeric import Function
from .verify import Analytic, check_jacobian


@dataclass(frozen=True)
class Check:
    """One derivative to verify: f at x against `analytic` (an array or a callable of x)."""

    name: str
    f: Function
    x: NDArray[np.floating]
    analytic: Analytic
    of: str = "f"
    wrt: str = "x"
    vectorized: bool = False  # f takes a stack of points (B,) + x.shape

    def run(
        self,
        *,
        rtol: float | None = None,
        atol: float | None = None,
        step: float | None = None,
        mode: str = "full",
        title: str | None = None,
    ) -> Comparison:
        """Compare the analytic derivative with central differences."""
        return check_jacobian(
            self.f,
            self.x,
            self.analytic,
            rtol=rtol,
            atol=atol,
            step=step,
            mode=mode,
            vectorized=self.vectorized,
            of=self.of,
            wrt=self.wrt,
            title=title,
        )


CheckBuilder = Callable[[Case], Check]

# The built-in checks' functions broadcast over leading axes (a stack of perturbed points),
# so they run vectorized. They look functions up in `fn` when called, so that a test can
# plant a bug in gradcheck.functions and watch the check catch it.


def _softmax(case: Case) -> Check:
    z = fn.dense(case.x, case.weights, case.bias)
    return Check(
        "softmax", fn.softmax, z, lambda z_: fn.softmax_jacobian(fn.softmax(z_)), of="S", wrt="Z", vectorized=True
    )


def _layer(case: Case) -> Check:
    def probabilities(w: NDArray[np.floating]) -> ArrayLike:
        return fn.softmax(fn.dense(case.x, w, case.bias))

    return Check(
        "layer",
        probabilities,
        case.weights,
        lambda w: fn.layer_jacobian(case.x, w, case.bias),
        of="S",
        wrt="W",
        vectorized=True,
    )


def _cross_entropy(case: Case) -> Check:
    s = fn.softmax(fn.dense(case.x, case.weights, case.bias))
    return Check(
        "cross_entropy",
        lambda s_: fn.cross_entropy_rows(s_, case.label),
        s,
        lambda s_: fn.cross_entropy_grad(s_, case.label),
        of="XE",
        wrt="S",
        vectorized=True,
    )


def _loss_of_weights(case: Case) -> Function:
    def loss(w: NDArray[np.floating]) -> ArrayLike:
        return fn.cross_entropy_rows(fn.softmax(fn.dense(case.x, w, case.bias)), case.label)

    return loss


def _chain(case: Case) -> Check:
    return Check(
        "chain",
        _loss_of_weights(case),
        case.weights,
        lambda w: fn.chain_grad(case.x, w, case.label, case.bias),
        of="XE",
        wrt="W",
        vectorized=True,
    )


def _loss(case: Case) -> Check:
    return Check(
        "loss",
        _loss_of_weights(case),
        case.weights,
        lambda w: fn.loss_grad(case.x, w, case.label, case.bias),
        of="XE",
        wrt="W",
        vectorized=True,
    )


#: The built-in checks, in the order a case runs them.
BUILTIN: dict[str, CheckBuilder] = {
    "softmax": _softmax,
    "layer": _layer,
    "cross_entropy": _cross_entropy,
    "chain": _chain,
    "loss": _loss,
}


class Registry:
    """Check names to builders: the built-ins plus those another plugin registers."""

    def __init__(self) -> None:
        self._builders: dict[str, CheckBuilder] = dict(BUILTIN)

    def register(self, name: str, builder: CheckBuilder) -> None:
        """Add a named check; a name already taken is an error."""
        if name in self._builders:
            raise ValueError(f"a check named {name!r} is already registered")
        self._builders[name] = builder

    def __contains__(self, name: object) -> bool:
        return name in self._builders

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def names_for(self, case: Case) -> tuple[str, ...]:
        """The checks a case runs: its own list, or every built-in one."""
        return case.checks if case.checks is not None else tuple(BUILTIN)

    def build(self, name: str, case: Case) -> Check:
        """The Check `name` for `case`."""
        return self._builders[name](case)
