"""A function case's Check: make its subject (a function, or an object and its methods), call it
once to check what it returns, read the derivative for the case's `wrt` (a jacobian, a gradient,
an elementwise derivative, or a Jacobian assembled from a vjp or a backward pass) and compare it
with central differences."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..casefile.function import FunctionCase
from ..errors import did_you_mean, summary
from . import advice, network, objects
from . import moduleglobals as module_global
from .base import Check
from .dot import DotCheck
from .forward import JvpOptions, jvp_check
from .linear import BASIS_MAX, COTANGENT, PROBES, SEED, Product, basis_products, nonlinear
from .scope import Scope
from .second import SecondCheck
from .secondcase import second_check
from .targets import PathError, error, lookup, numbers

VJP_BASIS_MAX, VJP_PROBES, VJP_SEED = BASIS_MAX, PROBES, SEED
#: A `gradients:` path that starts so is read in what the derivative returned, not on its object.
RETURNED_PATH = "returned."
#: How far f(stack of x, x) may stray from f(x), relatively, for vectorized: true.
VECTORIZED_RTOL = 1e-6

Rows = Product


def build_check(case: FunctionCase, scope: Scope) -> Check | DotCheck | SecondCheck:
    """Make the case's subject (its code found in the scope) and call it once to check what it
    returns, read the derivative for `wrt`, and give the Check that compares it with central
    differences; for the dot test of a jvp beside a vjp or backward, the DotCheck of the two; for a
    hessian or hvp, its SecondCheck."""
    if (case.jvp or case.kind == "jvp") and case.wrts:
        raise error(case, "wrt", "a jvp takes the tangent of one argument: name one in wrt, not a list")
    if case.jvp:
        return _dot_check(case, scope)
    if case.kind in ("hessian", "hvp"):
        return second_check(case, scope)
    subject = _subject(case, scope)
    x0 = subject.x0
    out = numbers(case, "function", objects.split(subject.raw_first, case.outputs)[0], "returned")
    vectorized = case.vectorized and not subject.on_object
    if vectorized:
        _check_vectorized(case, subject.f, x0, out)
    evaluation: dict[str, Any] = {"vectorized": vectorized, "order": case.order, "workers": case.workers}
    of = case.function.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
    what = f"{case.wrt}.shape {x0.shape}"
    if case.kind == "gradient" and out.shape != ():
        raise error(
            case,
            "function",
            f"{case.shown('function')} returned shape {out.shape}; a gradient: case needs a scalar function "
            "(for other outputs use jacobian:, vjp: or backward:)",
        )
    if case.kind == "elementwise" and out.shape != x0.shape:
        raise error(
            case,
            "function",
            f"{case.shown('function')} returned shape {out.shape} for {what}; an elementwise: derivative needs "
            "an f whose output has x's shape (for others use jacobian:, vjp: or backward:)",
        )
    if case.kind in ("jacobian", "gradient"):
        shape = out.shape + x0.shape if case.kind == "jacobian" else x0.shape
        expected = f"f.shape {out.shape} + {what}" if case.kind == "jacobian" else what
        analytic = _read(case, *subject.derivative_at(), shape, expected)
        return Check(case.kind, subject.f, x0, analytic, of=of, wrt=case.wrt, **evaluation)
    if case.kind == "elementwise":
        diagonal = _read(case, *subject.derivative_at(), x0.shape, what)
        return _elementwise_check(case, subject.f, x0, diagonal, of, evaluation, scope.max_elements)

    if case.kind == "jvp":
        name = f"jvp: {case.shown('jvp')}"
        product = _tangent_product(case, subject, out.shape, what)
        return jvp_check(
            "jvp",
            subject.f,
            product,
            x0,
            out,
            JvpOptions(
                of=of,
                wrt=case.wrt,
                shown=name,
                evaluation=evaluation,
                max_elements=scope.max_elements,
                mode=case.mode,
            ),
        )

    def rows(u: NDArray[Any]) -> NDArray[Any]:  # vjp, backward
        # the cotangent is a copy the derivative may write into (`dout += ...`), and what it
        # returns is copied before the next call can write into that (a buffer it reuses)
        return np.array(_read(case, *subject.derivative_at(u.copy()), x0.shape, what))

    return _vjp_check(case, subject.f, rows, x0, out, of, evaluation, scope.max_elements)


def _tangent_product(case: FunctionCase, subject: objects.Subject, shape: tuple[int, ...], what: str) -> Rows:
    """v -> J·v, what the case's jvp returns for a tangent v (a copy it may write into), of f's shape."""

    def product(v: NDArray[Any]) -> NDArray[Any]:
        arr = numbers(case, "jvp", subject.derivative_at(v.copy())[0], "returned")
        if arr.shape != shape:
            raise error(
                case,
                "jvp",
                f"{case.shown('jvp')} returned shape {arr.shape}; expected f.shape {shape}, "
                f"J·v for a tangent of {what}",
            )
        return np.array(arr)

    return product


def _dot_check(case: FunctionCase, scope: Scope) -> DotCheck:
    """The dot-product test of the case's jvp and its vjp (or backward), each called as its own item calls it."""
    back = objects.subject(dataclasses.replace(case, jvp=""), scope)
    ahead = dataclasses.replace(case, kind="jvp", derivative=case.jvp, jvp="")
    out = numbers(case, "function", objects.split(back.raw_first)[0], "returned")
    what = f"{case.wrt}.shape {back.x0.shape}"

    def rows(u: NDArray[Any]) -> NDArray[Any]:
        return np.array(_read(case, *back.derivative_at(u.copy()), back.x0.shape, what))

    jvp = _tangent_product(ahead, objects.subject(ahead, scope), out.shape, what)
    names = (case.shown("jvp"), case.shown(case.kind))
    return DotCheck(jvp, rows, back.x0.shape, out.shape, case.dtype, names)


def _subject(case: FunctionCase, scope: Scope) -> objects.Subject:
    """What the case evaluates: a network of layers, a function of a module's global, a function or an object."""
    if network.is_network(case):
        return network.subject(case, scope)
    if module_global.names_global(case):
        return module_global.subject(case, scope)
    return objects.subject(case, scope)


def _vjp_check(
    case: FunctionCase,
    func: Callable[[NDArray[np.floating]], Any],
    rows_of: Rows,
    x0: NDArray[np.floating],
    out: NDArray[Any],
    of: str,
    evaluation: dict[str, Any],
    max_elements: int,
) -> Check:
    """rows_of(u) is u·J, what the derivative returns for the cotangent u, of x's shape. It is
    compared, for VJP_PROBES seeded random cotangents U and (outputs of at most VJP_BASIS_MAX
    entries, rows of at most `max_elements` entries in all) for each basis cotangent, with the
    Jacobian of g(x) = (U·f(x), f(x) flat), whose rows are u·J: a report names `dW[1, 3]` of one
    cotangent's product. Either way the rows are checked to be linear in their cotangent first."""
    dtype = out.dtype if np.issubdtype(out.dtype, np.floating) else np.dtype(np.float64)
    problem = nonlinear(f"{case.kind}: {case.shown(case.kind)}", case.kind, rows_of, out.shape, dtype, COTANGENT)
    cotangents = np.random.default_rng(VJP_SEED).standard_normal((VJP_PROBES, *out.shape)).astype(dtype)
    rows = [rows_of(u) for u in cotangents]
    labels = [f"cotangent {k + 1} of {VJP_PROBES} (seeded random)" for k in range(VJP_PROBES)]
    basis = out.size <= VJP_BASIS_MAX and (VJP_PROBES + out.size) * x0.size <= max_elements
    if basis:
        rows += basis_products(rows_of, out.shape, dtype)
        for k in range(out.size):
            at = tuple(int(i) for i in np.unravel_index(k, out.shape))
            labels.append(f"the basis cotangent at {of}[{', '.join(map(str, at))}]" if at else "the basis cotangent")
    flat = cotangents.reshape(VJP_PROBES, out.size)

    def products(x: NDArray[np.floating]) -> NDArray[Any]:
        y = np.asarray(func(x))
        # a stack (B,) + out.shape: its points as rows, against the cotangents' columns
        points = y.reshape(-1, out.size) if y.ndim > out.ndim else y.reshape(out.size)
        projected: NDArray[Any] = points @ flat.T
        if not basis:
            return projected
        both = np.empty((*projected.shape[:-1], VJP_PROBES + out.size), dtype=np.result_type(projected, points))
        both[..., :VJP_PROBES] = projected
        both[..., VJP_PROBES:] = points
        return both

    return Check(
        case.kind,
        products,
        x0,
        np.stack(rows),
        of=of,
        wrt=case.wrt,
        problem=problem,
        cotangents=tuple(labels),
        random_cotangents=VJP_PROBES,
        **evaluation,
    )


def _elementwise_check(
    case: FunctionCase,
    func: Callable[[NDArray[np.floating]], Any],
    x0: NDArray[np.floating],
    diagonal: NDArray[Any],
    of: str,
    evaluation: dict[str, Any],
    max_elements: int,
) -> Check:
    """f'(x), of x's shape, is the diagonal of f's Jacobian, whose other entries are 0: compared
    in full (a report names `tanh'(x)[2]`) for an x of at most VJP_BASIS_MAX entries (a Jacobian
    of at most `max_elements`), as the products u * f'(x) of seeded random cotangents u for a
    larger one."""
    if diagonal.size > VJP_BASIS_MAX or diagonal.size**2 > max_elements:

        def rows(u: NDArray[Any]) -> NDArray[Any]:
            row: NDArray[Any] = u * diagonal
            return row

        return _vjp_check(case, func, rows, x0, diagonal, of, evaluation, max_elements)
    jacobian = np.diag(diagonal.reshape(-1)).reshape(diagonal.shape + diagonal.shape)
    return Check(case.kind, func, x0, jacobian, of=of, wrt=case.wrt, elementwise=True, **evaluation)


def _read(case: FunctionCase, raw: Any, holder: Any, shape: tuple[int, ...], expected: str) -> NDArray[Any]:
    """The derivative for the case's `wrt`, out of what the derivative returned (`raw`) or off the
    object it ran on (`holder`), as `gradients:` says; of the shape `expected` explains."""
    key, source = case.kind, case.gradients.get(case.wrt)
    if isinstance(source, str):
        returned = source.startswith(RETURNED_PATH)  # `returned.dW1`: in what the derivative returned
        on, path = (raw, source.removeprefix(RETURNED_PATH)) if returned else (holder, source)
        shown = "what it returned" if returned else type(holder).__name__
        try:
            value = lookup(on, path, shown)
        except PathError as exc:
            raise error(case, "gradients", f"after {case.shown(key)}, {exc}") from None
        where, verb = f" for {case.wrt} ({shown}.{path})", "returned" if returned else "left"
    else:
        value, where = _returned(case, raw, source, holder)
        verb = "returned"
    arr = numbers(case, key, value, verb, where)
    if arr.shape != shape:
        hint = advice.elementwise(case, arr.shape, shape)
        raise error(
            case, key, f"{case.shown(key)} {verb} shape {arr.shape}{where}{hint}; expected {shape}, from {expected}"
        )
    return arr


def _returned(case: FunctionCase, raw: Any, position: int | None, holder: Any) -> tuple[Any, str]:
    """The entry for `wrt` of what the derivative returned: a dict (by name), a tuple (by the
    order of the names in wrt that `gradients:` does not place elsewhere, or by position), or
    one array; and the words that say which entry it was (`holder`: the object, for advice)."""
    wrt, shown = case.wrt, case.shown(case.kind)
    unread = [name for name in case.differentiated if name not in case.gradients]
    several = isinstance(raw, tuple) or (isinstance(raw, list) and len(unread) > 1)
    if isinstance(raw, Mapping) and position is None:
        name = wrt if wrt in raw else wrt.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
        if name not in raw:
            keys = [str(k) for k in raw]
            raise error(
                case,
                case.kind,
                f"{shown} returned a dict without {name!r}{did_you_mean(name, keys)}; "
                f"it has {', '.join(keys) or 'none'}{advice.wrt_form(case, holder, keys)}",
            )
        return raw[name], f" for {wrt} (key {name!r})"
    if position is not None:
        if not several or position >= len(raw):
            got = f"{len(raw)} entries" if several else "one array"
            raise error(case, "gradients", f"{wrt}: {position} is beyond what {shown} returned, {got}")
        return raw[position], f" for {wrt} (entry {position})"
    if several:
        if len(raw) != len(unread):
            loss = advice.loss_and_gradient(case, raw, unread)
            if loss:
                raise error(case, case.kind, f"{shown} returned {len(raw)} values{loss}")
            raise error(
                case,
                case.kind,
                f"{shown} returned {len(raw)} gradients; wrt names {len(unread)} to read from it "
                f"({', '.join(unread)}): list in wrt every argument it returns a gradient for, in its order, "
                f"or give each one's position, e.g. gradients: {{{wrt}: 0}}",
            )
        index = unread.index(wrt)
        return raw[index], (f" for {wrt} (entry {index} of {len(raw)})" if len(raw) > 1 else "")
    if len(unread) > 1:
        raise error(
            case,
            case.kind,
            f"{shown} returned one array; wrt names {len(unread)} to read from it ({', '.join(unread)}): return "
            "a tuple in that order or a dict, or say where the others are, e.g. gradients: {W: dW}",
        )
    return raw, ""


def _check_vectorized(
    case: FunctionCase, func: Callable[[NDArray[np.floating]], Any], x0: NDArray[np.floating], out: NDArray[Any]
) -> None:
    """With vectorized: true, f of a stack (x, x) must be (f(x), f(x)), so leading axes broadcast."""
    stack = np.stack([x0, x0])
    likely = "vectorized: true is the likely cause: make it broadcast over leading axes, or drop vectorized"
    try:
        value = func(stack)
    except Exception as exc:  # raised only on a stack: one line, no traceback into NumPy
        cause = getattr(exc, "cause", None) or exc
        raise error(
            case,
            "vectorized",
            f"{case.shown('function')} given a stack of 2 points {stack.shape} raised {summary(cause)}; {likely}",
        ) from None
    stacked = numbers(case, "function", value, "given a stack of 2 points returned")
    if stacked.shape != (2, *out.shape):
        raise error(
            case,
            "vectorized",
            f"{case.shown('function')} given a stack of 2 points {stack.shape} returned shape "
            f"{stacked.shape}; expected {(2, *out.shape)}: make it broadcast over leading axes, or drop vectorized",
        )
    scale = float(np.max(np.abs(out))) if out.size else 0.0
    if not np.allclose(stacked, out, rtol=VECTORIZED_RTOL, atol=VECTORIZED_RTOL * scale, equal_nan=True):
        raise error(
            case,
            "vectorized",
            f"{case.shown('function')} of a stack of 2 copies of {case.wrt} differs from its value at "
            f"{case.wrt}; the points of a stack must not mix: make it broadcast over leading axes, or drop vectorized",
        )
