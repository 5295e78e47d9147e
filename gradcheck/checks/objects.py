"""What a function case evaluates, for one check: a plain function of its arguments, or a method of
an object made from `module:Class` (anew for every check). Either way a Subject gives the point
x0 (an array argument, or a parameter read off the object after its first call), f around it (a
parameter is perturbed in place and restored), and the derivative's raw return with where to read
the gradients from after it (the object the derivative ran on)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.format import RETURNED
from ..casefile.function import FunctionCase
from ..errors import summary
from . import targets
from .scope import Scope
from .targets import PathError, error, guarded

#: The seed of NumPy's global random state while an object is made and first called, so that an
#: object that draws its weights from np.random is the same in every run (the state is restored).
OBJECT_SEED = 0


def split(value: Any) -> tuple[Any, tuple[Any, ...]]:
    """What f returned as (output, rest): a tuple is `(output, *rest)`, e.g. `out, cache`."""
    if isinstance(value, tuple) and value:
        return value[0], value[1:]
    return value, ()


@contextlib.contextmanager
def seeded() -> Iterator[None]:
    """NumPy's global random state seeded to OBJECT_SEED, and restored after."""
    state = np.random.get_state()
    np.random.seed(OBJECT_SEED)
    try:
        yield
    finally:
        np.random.set_state(state)


def read_only(value: Any) -> Any:
    """A read-only copy of an array argument, so that a function writing into it fails loudly."""
    if not isinstance(value, np.ndarray):
        return value
    out = value.copy()
    out.setflags(write=False)
    return out


class Subject:
    """A plain function of the case's arguments: f(**args) with `wrt` at the point given."""

    def __init__(self, case: FunctionCase, scope: Scope) -> None:
        self.case, self.scope = case, scope
        self.fixed = {name: read_only(value) for name, value in case.args.items()}
        self.on_object = case.wrt not in case.args
        self.x0: NDArray[Any] = np.array(case.args[case.wrt]) if not self.on_object else np.zeros(0)
        self.raw_first: Any = None  # what the first call returned

    def setup(self) -> None:
        """Resolve the callables and make the first call, at x0."""
        self.forward = guarded(self.case, "function", targets.resolve(self.case, "function", self.scope))
        if self.case.derivative != RETURNED:
            self.derivative = guarded(self.case, self.case.kind, targets.resolve(self.case, self.case.kind, self.scope))
        self.raw_first = self.forward(**self.at(self.x0.copy()))

    def at(self, x: Any) -> dict[str, Any]:
        return {**self.fixed, self.case.wrt: x}

    def f(self, x: NDArray[Any]) -> Any:
        """f's output at x (the output of a tuple that f returns)."""
        return split(self.forward(**self.at(x)))[0]

    def derivative_at(self, cotangent: Any = None) -> tuple[Any, Any]:
        """The derivative at x0 as the derivative returns it (with the cotangent, for vjp and
        backward), and the object it ran on (where `gradients:` paths are read), here None."""
        fn = None if self.case.derivative == RETURNED else self.derivative
        return self._call(fn, self.raw_first, cotangent), None

    def _call(self, fn: Callable[..., Any] | None, first: Any, cotangent: Any, fresh: bool = False) -> Any:
        """Call the derivative `fn` as the case's kind says, after the first call returned `first`
        (`fresh`: a copy of its own already); for a derivative that f returned (fn None), what came
        after its value."""
        case = self.case
        rest = split(first)[1]
        if fn is None:
            if not rest:
                raise error(
                    case,
                    case.kind,
                    f"{case.shown('function')} returned one value; {case.kind}: returned needs (value, {case.kind})",
                )
            return rest[0] if len(rest) == 1 else rest
        if case.kind == "backward":
            return fn(cotangent, *(rest if fresh else _copied(rest)))
        point = self.at(self.x0.copy()) if not self.on_object else dict(self.fixed)
        if case.kind in ("vjp", "jvp"):  # the cotangent, or the tangent
            return fn(cotangent, **point)
        return fn(**point)


def _copied(rest: tuple[Any, ...]) -> tuple[Any, ...]:
    """A copy of what f returned after its output (its cache), so that a backward pass that
    changes it leaves it as it was for the next call; as it is where it cannot be copied."""
    try:
        return copy.deepcopy(rest)
    except Exception:
        return rest


class Instance(Subject):
    """Methods of an object made from `module:Class` with the case's `init`: the object is made and
    first called with NumPy's global random state seeded, and copied before every derivative call
    (so that gradients that a backward adds up, or a cache it consumes, do not carry over)."""

    def setup(self) -> None:
        case = self.case
        cls = targets.constructor(case, self.scope)
        init = {name: value.copy() if isinstance(value, np.ndarray) else value for name, value in case.init.items()}
        with seeded():
            self.obj = guarded(case, "object", cls, f"{case.cls}(...)")(**init)
            method = targets.method(case, "function", self.obj, self.scope)
            self.forward = guarded(case, "function", method)
            self.raw_first = self.forward(**self.fixed) if self.on_object else self.forward(**self.at(self.x0.copy()))
        if self.on_object:
            self.x0 = np.array(self._parameter())
        self.snapshot = self._copy((self.obj, self.raw_first))

    def _parameter(self) -> NDArray[Any]:
        """The parameter `wrt` names, as it is on the object: a writable array of floats."""
        case = self.case
        try:
            value = targets.lookup(self.obj, case.wrt, type(self.obj).__name__)
        except PathError as exc:
            raise error(case, "wrt", f"after its first call, {exc}") from None
        shown = f"{type(self.obj).__name__}.{case.wrt}"
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "fc":
            what = f"an array of {value.dtype}" if isinstance(value, np.ndarray) else type(value).__name__
            raise error(case, "wrt", f"{shown} is {what}; a parameter differentiated is a NumPy array of floats")
        if not value.flags.writeable:
            raise error(case, "wrt", f"{shown} is read-only; it is perturbed in place, so it must be writable")
        return value

    def _copy(self, value: Any) -> Any:
        try:
            return copy.deepcopy(value)
        except Exception as exc:
            raise error(
                self.case,
                "object",
                f"the {type(self.obj).__name__} object cannot be copied ({summary(exc)}); it is copied "
                "after its first call so that each derivative call starts from that state",
            ) from None

    def f(self, x: NDArray[Any]) -> Any:
        if not self.on_object:
            return split(self.forward(**self.at(x)))[0]
        parameter = self._parameter()
        parameter[...] = x  # perturbed in place, restored after
        try:
            return split(self.forward(**self.fixed))[0]
        finally:
            parameter[...] = self.x0

    def derivative_at(self, cotangent: Any = None) -> tuple[Any, Any]:
        case = self.case
        if case.derivative == RETURNED:
            obj, first = self.snapshot
            return self._call(None, first, cotangent), obj
        obj, first = self._copy(self.snapshot)
        fn = guarded(case, case.kind, targets.method(case, case.kind, obj, self.scope))
        return self._call(fn, first, cotangent, fresh=True), obj


def subject(case: FunctionCase, scope: Scope) -> Subject:
    """The Subject of a case, set up: its callables found in the scope and its first call made."""
    made = Instance(case, scope) if case.cls is not None else Subject(case, scope)
    made.setup()
    return made
