"""A function that reads a module's global array (`wrt: mylib.rnn:Wxh`), as a script's functions
read their parameters: the global perturbed in place around each call and restored after."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.function import FunctionCase
from .objects import Subject, split
from .scope import Scope
from .targets import error, imported


def names_global(case: FunctionCase) -> bool:
    """Whether the case's `wrt` is a module's global rather than an argument or a parameter."""
    return case.cls is None and case.wrt not in case.args and ":" in case.wrt


class ModuleGlobal(Subject):
    """A plain function of the case's arguments whose `wrt` is a module's global array."""

    def setup(self) -> None:
        case = self.case
        value = imported(case, "wrt", case.wrt, self.scope)  # a project module's, as any target
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fc" or not value.flags.writeable:
            what = f"an array of {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
            raise error(case, "wrt", f"{case.wrt} is {what}; a global differentiated is a writable array of floats")
        self.array: NDArray[Any] = value
        self.x0 = np.array(value)
        super().setup()

    def at(self, x: Any) -> dict[str, Any]:
        return dict(self.fixed)  # the first call: the global as it is, which is x0

    def f(self, x: NDArray[Any]) -> Any:
        self.array[...] = x  # perturbed in place, restored after
        try:
            return split(self.forward(**self.fixed), self.case.outputs)[0]
        finally:
            self.array[...] = self.x0


def subject(case: FunctionCase, scope: Scope) -> ModuleGlobal:
    """The Subject of a case whose `wrt` is a module's global, set up."""
    made = ModuleGlobal(case, scope)
    made.setup()
    return made
