"""check_jacobian's keyword arguments as values: how a check judges (Options, checked as made),
how f is evaluated (Evaluation), and how its entries are named (named)."""

from __future__ import annotations

from dataclasses import dataclass

from ..numerics import validate
from ..numerics.chunks import CHUNK_BYTES
from ..numerics.directional import PROBES
from ..options import MAX_ELEMENTS, MODES, SCHEMES
from .naming import Naming


@dataclass(frozen=True)
class Options:
    """How a check judges: check_jacobian's keyword arguments of that kind, checked as they are made
    (rtol and atol None for the defaults of the dtypes; mode "auto" resolved once f(x) is known)."""

    rtol: float | None = None
    atol: float | None = None
    step: float | None = None
    mode: str = "full"
    scheme: str = "central"
    probes: int = PROBES
    seed: int = 0
    subgradient: bool = False
    nondet_tol: float = 0.0
    max_elements: int = MAX_ELEMENTS  # the largest Jacobian a check may hold

    def __post_init__(self) -> None:
        checked = {
            "mode": validate.choice("mode", self.mode, MODES),
            "scheme": validate.choice("scheme", self.scheme, SCHEMES),
            "step": None if self.step is None else validate.number("step", self.step),
            "probes": validate.integer("probes", self.probes, minimum=1),
            "seed": validate.integer("seed", self.seed, minimum=0),
            "subgradient": validate.flag("subgradient", self.subgradient),
            "nondet_tol": validate.number("nondet_tol", self.nondet_tol, zero=True),
            "max_elements": validate.integer("max_elements", self.max_elements, minimum=1),
            "rtol": None if self.rtol is None else validate.number("rtol", self.rtol),
            "atol": None if self.atol is None else validate.number("atol", self.atol, zero=True),
        }
        for name, value in checked.items():
            object.__setattr__(self, name, value)


@dataclass(frozen=True)
class Evaluation:
    """How f is evaluated: one point at a time, or stacks of points in chunks by threads (see check_jacobian)."""

    vectorized: bool = False
    chunk_bytes: int = CHUNK_BYTES
    workers: int = 1
    order: str = "C"


def named(of: object, wrt: object, title: object, label_class: object) -> Naming:
    """The Naming of check_jacobian's arguments `of`, `wrt`, `title` and `label_class`, checked."""
    validate.text("of", of)
    validate.text("wrt", wrt)
    validate.text("title", title, optional=True)
    if label_class is not None:
        label_class = validate.integer("label_class", label_class, minimum=0)
    return Naming(str(of), str(wrt), None if title is None else str(title), label_class)
