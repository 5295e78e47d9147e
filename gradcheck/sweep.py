"""Error against step: |analytic - central difference| over a log range of steps, and its plot."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import cases, numeric, usercases
from .checks import Check, Registry
from .compare import entry_name
from .usercases import UserCase
from .verify import Analytic

#: Relative steps swept by default: SWEEP_POINTS from 10**SWEEP_FROM to 10**SWEEP_TO.
SWEEP_FROM = -12.0
SWEEP_TO = -1.0
SWEEP_POINTS = 45
#: How many of the worst entries a sweep follows.
SWEEP_ENTRIES = 3
#: Files that mark a project's root directory, as pytest looks for its rootdir.
ROOT_MARKERS = ("pytest.ini", ".pytest.ini", "pyproject.toml", "tox.ini", "setup.cfg")
TARGET_RE = re.compile(r"(?P<path>.+)::(?P<case>[A-Za-z0-9_.-]+)\[(?P<check>[^\]]+)\]")


@dataclass(frozen=True)
class Curve:
    """One Jacobian entry followed across the steps."""

    name: str  # `W[2, 1]` or `dS[0]/dW[2, 1]`
    analytic: float
    errors: NDArray[np.float64]  # |analytic - central difference| at each step


@dataclass(frozen=True)
class Sweep:
    """Curves of error against relative step; entry i moves by step * max(1, |x_i|)."""

    title: str
    steps: NDArray[np.float64]
    default_step: float  # eps ** (1/3) of f's output precision
    case_step: float | None  # the step a case sets, if any
    curves: tuple[Curve, ...]


def default_steps() -> NDArray[np.float64]:
    """The relative steps a sweep uses unless told otherwise."""
    return np.logspace(SWEEP_FROM, SWEEP_TO, SWEEP_POINTS)


def sweep(
    f: numeric.Function,
    x: ArrayLike,
    analytic: Analytic,
    *,
    steps: ArrayLike | None = None,
    entries: int = SWEEP_ENTRIES,
    vectorized: bool = False,
    of: str = "f",
    wrt: str = "x",
    title: str = "",
    case_step: float | None = None,
) -> Sweep:
    """Follow the `entries` worst entries (by error at the default step) across `steps`."""
    x64 = np.array(x, dtype=np.float64, copy=True, order="C")
    a = np.asarray(analytic(x64.copy()) if callable(analytic) else analytic, dtype=np.float64)
    f0 = np.asarray(f(x64.copy()))
    out_dtype = f0.dtype if np.issubdtype(f0.dtype, np.floating) else np.dtype(np.float64)
    default = numeric.base_step(out_dtype)
    rel = default_steps() if steps is None else np.asarray(steps, dtype=np.float64).reshape(-1)
    a2 = a.reshape(f0.size, x64.size)
    first = numeric.numerical_jacobian(f, x64, vectorized=vectorized).reshape(a2.shape)
    with np.errstate(all="ignore"):
        err = np.abs(a2 - first)
    err[~np.isfinite(err)] = np.inf
    # entries where f does not move and the derivative is 0 show no curve on a log axis
    live = (err > 0) | (a2 != 0)
    order = [int(k) for k in np.argsort(np.where(live, err, -1.0), axis=None)[::-1] if live.flat[k]][:entries]
    curves = []
    point = x64.reshape(-1)
    for k in order:
        out, col = divmod(k, x64.size)
        h = rel * max(1.0, abs(float(point[col])))
        values = np.empty(rel.size)
        for r, hr in enumerate(h.tolist()):
            xi = point[col]
            up, down = xi + hr, xi - hr
            point[col] = up
            fp = float(np.asarray(f(x64), dtype=np.float64).reshape(-1)[out])
            point[col] = down
            fm = float(np.asarray(f(x64), dtype=np.float64).reshape(-1)[out])
            point[col] = xi
            # (f(x + h) - f(x - h)) / 2h, with 2h the step the floating-point x really took
            values[r] = (fp - fm) / (up - down)
        index = tuple(int(i) for i in np.unravel_index(k, f0.shape + x64.shape))
        with np.errstate(all="ignore"):
            errors = np.abs(a2.flat[k] - values)
        curves.append(Curve(entry_name(index, f0.ndim, of, wrt), float(a2.flat[k]), errors))
    return Sweep(title or f"d{of}/d{wrt}", rel, default, case_step, tuple(curves))


def sweep_check(
    check: Check,
    *,
    steps: ArrayLike | None = None,
    entries: int = SWEEP_ENTRIES,
    title: str = "",
    case_step: float | None = None,
) -> Sweep:
    """A sweep of one check: built-in, registered, or a user-function case's."""
    return sweep(
        check.f,
        check.x,
        check.analytic,
        steps=steps,
        entries=entries,
        vectorized=bool(getattr(check, "vectorized", False)),
        of=check.of,
        wrt=check.wrt,
        title=title,
        case_step=case_step,
    )


def parse_target(target: str) -> tuple[str, str, str]:
    """`cases/x.yaml::case[check]` into (path, case, check)."""
    found = TARGET_RE.fullmatch(target)
    if found is None:
        raise ValueError(f"{target!r} is not a test id; expected path/file.yaml::case[check]")
    return found["path"], found["case"], found["check"]


def project_root(path: Path) -> Path:
    """The directory the plugin makes importable for a case file: the nearest one up from the
    file that holds pytest.ini, pyproject.toml, tox.ini or setup.cfg, else the current one."""
    for folder in path.resolve().parents:
        if any((folder / name).is_file() for name in ROOT_MARKERS):
            return folder
    return Path.cwd()


def load_check(target: str) -> tuple[cases.Case | UserCase, Check]:
    """The case and the check that a test id such as `cases/x.yaml::case[check]` names: a
    built-in check of a layer case, or the jacobian, gradient or vjp of a user-function case
    (its function imported as the plugin imports it, with the project's root on sys.path)."""
    path, name, check = parse_target(target)
    registry = Registry()
    entries = cases.load(Path(path), path, checks=registry)
    for entry in entries:
        if entry.name != name:
            continue
        if entry.user is not None:
            if check != entry.user.kind:
                raise ValueError(
                    f"{path}:{entry.line}: {name!r} is a user-function case, which checks its {entry.user.kind}; "
                    f"expected {path}::{name}[{entry.user.kind}]"
                )
            root = str(project_root(Path(path)))
            if root not in sys.path:
                sys.path.insert(0, root)  # for the rest of the command: f imports lazily too
            try:
                return entry.user, usercases.build_check(entry.user)
            except usercases.UserCodeError as error:
                raise ValueError(str(error)) from None
        if entry.case is None:
            raise ValueError(str(entry.error))
        if check not in registry:
            raise ValueError(f"{check!r} is not a known check; expected one of {', '.join(registry)}")
        return entry.case, registry.build(check, entry.case)
    known = ", ".join(e.name for e in entries)
    raise ValueError(
        f"{path}: no case named {name!r}{cases.did_you_mean(name, [e.name for e in entries])}; has {known}"
    )


def plot_available() -> bool:
    """Whether matplotlib, which `plot` needs, can be imported."""
    try:
        import matplotlib.figure  # noqa: F401
    except ImportError:
        return False
    return True


def plot(result: Sweep, path: str | Path) -> None:
    """Draw the sweep as a log-log PNG (or any format matplotlib knows by the suffix).

    Imports matplotlib here, so that the rest of gradcheck never needs it.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.5), layout="constrained")
    ax = fig.subplots()
    for curve in result.curves:
        shown = np.isfinite(curve.errors) & (curve.errors > 0)
        ax.loglog(result.steps[shown], curve.errors[shown], marker=".", label=f"{curve.name} = {curve.analytic:.6g}")
    ax.axvline(
        result.default_step, color="grey", linestyle="--", label=f"default step eps^(1/3) = {result.default_step:.3g}"
    )
    if result.case_step is not None and result.case_step != result.default_step:
        ax.axvline(result.case_step, color="black", linestyle=":", label=f"case step = {result.case_step:.3g}")
    ax.set_xlabel("relative step h (entry i moves by h * max(1, |x_i|))")
    ax.set_ylabel("|analytic - central difference|")
    ax.set_title(result.title)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize="small")
    fig.savefig(path, dpi=100)
