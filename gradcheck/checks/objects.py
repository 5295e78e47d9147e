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
from . import advice, targets
from .scope import Scope
from .setupcalls import make_calls
from .targets import PathError, error, guarded

#: The seed of NumPy's global random state while an object is made and first called, so that an
#: object that draws its weights from np.random is the same in every run (the state is restored).
OBJECT_SEED = 0


def split(value: Any, outputs: int = 1) -> tuple[Any, tuple[Any, ...]]:
    """What f returned as (output, rest): a tuple is `(output, *rest)`, e.g. `out, cache`; with
    several `outputs`, `(out_1, ..., out_n, *rest)`, the outputs flattened into one array."""
    if outputs > 1 and isinstance(value, tuple) and len(value) >= outputs:
        flat = [np.asarray(v).reshape(-1) for v in value[:outputs]]
        return np.concatenate(flat), value[outputs:]
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
        self.derived_on: Any = None  # the object the derivative runs on, if any

    def setup(self) -> None:
        """Resolve the callables and make the first call, at x0."""
        self.forward = guarded(self.case, "function", targets.resolve(self.case, "function", self.scope))
        if self.case.derivative != RETURNED:
            self.derivative = guarded(self.case, self.case.kind, targets.resolve(self.case, self.case.kind, self.scope))
        self.raw_first = self.forward(**self.at(self.x0.copy()))
        self.shapes = self._output_shapes()

    def _output_shapes(self) -> list[tuple[int, ...]]:
        """The shapes of f's outputs at its first call, to cut a cotangent of them all into one each."""
        case, first = self.case, self.raw_first
        if case.outputs == 1:
            return []
        if not isinstance(first, tuple) or len(first) < case.outputs:
            got = f"{len(first)} values" if isinstance(first, tuple) else f"one {type(first).__name__}"
            raise error(
                case,
                "outputs",
                f"{case.shown('function')} returned {got}; outputs: {case.outputs} needs a tuple of at least "
                f"{case.outputs} (the outputs first, then what backward takes)",
            )
        return [np.shape(v) for v in first[: case.outputs]]

    def pieces(self, cotangent: Any) -> tuple[Any, ...]:
        """The cotangent of f's outputs, one per output, in their shapes (one output: as it is)."""
        if not self.shapes:
            return (cotangent,)
        flat, out, start = np.asarray(cotangent).reshape(-1), [], 0
        for shape in self.shapes:
            size = int(np.prod(shape, dtype=np.int64))
            out.append(flat[start : start + size].reshape(shape))
            start += size
        return tuple(out)

    def _taken(self, first: Any, cotangent: Any) -> list[Any]:
        """What `takes:` says the derivative is called with, each value its own copy: f's output,
        the cotangent (one per output), a case argument."""
        point = self.at(self.x0.copy()) if not self.on_object else dict(self.fixed)
        values: list[Any] = []
        for name in self.case.takes or ():
            if name == "cotangent":
                values += self.pieces(cotangent)
            elif name.startswith("self."):
                path = name.removeprefix("self.")
                try:
                    values.append(targets.lookup(self.derived_on, path, type(self.derived_on).__name__))
                except PathError as exc:
                    raise error(self.case, "takes", f"after a call of {self.case.shown('function')}, {exc}") from None
            else:
                values.append(split(first, self.case.outputs)[0] if name == "output" else point[name])
        return [copy.deepcopy(v) for v in values]

    def at(self, x: Any) -> dict[str, Any]:
        return {**self.fixed, self.case.wrt: x}

    def f(self, x: NDArray[Any]) -> Any:
        """f's output at x (the output of a tuple that f returns)."""
        return split(self.forward(**self.at(x)), self.case.outputs)[0]

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
        rest = split(first, case.outputs)[1]
        if fn is None:
            if not rest:
                raise error(
                    case,
                    case.kind,
                    f"{case.shown('function')} returned one value; {case.kind}: returned needs (value, {case.kind})",
                )
            return rest[0] if len(rest) == 1 else rest
        if case.takes is not None:
            return fn(*self._taken(first, cotangent))
        if case.kind == "backward":
            return fn(*self.pieces(cotangent), *(rest if fresh else _copied(rest)))
        point = self.at(self.x0.copy()) if not self.on_object else dict(self.fixed)
        if case.kind == "vjp":
            return fn(*self.pieces(cotangent), **point)
        if case.kind in ("jvp", "hvp"):  # the tangent, of x's shape
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
            for name, value in case.attributes.items():  # `set:`, each its own copy
                own = value.copy() if isinstance(value, np.ndarray) else copy.deepcopy(value)
                guarded(case, "set", setattr, f"setting {case.cls}.{name}")(self.obj, name, own)
            make_calls(case, case.calls, self.obj, self.scope)  # `call:`, its setup methods
            method = targets.method(case, "function", self.obj, self.scope)
            self.forward = guarded(case, "function", method)
            returned = self.forward(**self.fixed) if self.on_object else self.forward(**self.at(self.x0.copy()))
            self.raw_first = self._outcome(returned)
        self.shapes = self._output_shapes()
        if self.on_object:
            self.x0 = np.array(self._parameter())
        self.snapshot = self._copy((self.obj, self.raw_first))

    def _outcome(self, returned: Any) -> Any:
        """What a call of `function` gave: what it returned, or with `output:` a copy of the output it
        left on the object (the next call may write into it), before the rest of a tuple it returned."""
        case = self.case
        if not case.output:
            return returned
        try:
            value = targets.lookup(self.obj, case.output, type(self.obj).__name__)
        except PathError as exc:
            raise error(case, "output", f"after a call of {case.shown('function')}, {exc}") from None
        rest = split(returned)[1]
        return (np.array(value), *rest) if rest else np.array(value)

    def _parameter(self) -> NDArray[Any]:
        """The parameter `wrt` names, as it is on the object: a writable array of floats."""
        case = self.case
        try:
            value = targets.lookup(self.obj, case.wrt, type(self.obj).__name__)
        except PathError as exc:
            held = advice.did_you_mean_held(self.obj, case.wrt)
            raise error(case, "wrt", f"after its first call, {exc}{held}") from None
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
            return split(self._outcome(self.forward(**self.at(x))), self.case.outputs)[0]
        parameter = self._parameter()
        parameter[...] = x  # perturbed in place, restored after
        try:
            return split(self._outcome(self.forward(**self.fixed)), self.case.outputs)[0]
        finally:
            parameter[...] = self.x0

    def derivative_at(self, cotangent: Any = None) -> tuple[Any, Any]:
        case = self.case
        if case.derivative == RETURNED:
            obj, first = self.snapshot
            return self._call(None, first, cotangent), obj
        obj, first = self._copy(self.snapshot)
        fn = guarded(case, case.kind, targets.method(case, case.kind, obj, self.scope))
        self.derived_on = obj  # where `takes:` reads a `self.` path
        return self._call(fn, first, cotangent, fresh=True), obj


def subject(case: FunctionCase, scope: Scope) -> Subject:
    """The Subject of a case, set up: its callables found in the scope and its first call made."""
    made = Instance(case, scope) if case.cls is not None else Subject(case, scope)
    made.setup()
    return made
