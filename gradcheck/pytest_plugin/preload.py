"""The project's modules that a file's function cases name, imported once at collection, so that
what a module does when imported (a script that trains at import) counts in no item's time; how
long each took, for the terminal summary."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator

import pytest

from ..casefile.function import FunctionCase
from ..checks.scope import Scope
from ..checks.targets import imported
from ..errors import Ended, UserCodeError
from .isolation import isolated

#: Imports that take longer than this (in seconds) are named in the terminal summary.
SHOWN_SECONDS = 0.5


def targets(case: FunctionCase) -> Iterator[tuple[str, str]]:
    """(key, `module:attribute`) of each piece of project code the case names by its module."""
    named = [("object", case.cls or ""), ("function", case.function), (case.kind, case.derivative)]
    named += [("jvp", case.jvp), ("gradient", case.gradient), ("wrt", case.wrt)]
    named += [("wrt", wrt) for wrt in case.wrts]
    named += [("layers", piece.cls) for piece in case.layers]
    named += [("loss", case.loss.piece.cls)] if case.loss else []
    yield from ((key, target) for key, target in named if ":" in target)


def preload(cases: Iterable[FunctionCase], scope: Scope, seconds: dict[str, float]) -> None:
    """Import the modules (or load the scripts) the cases name that `seconds` does not hold yet,
    under the scope's rules, as an item would; record how long each took in `seconds`. What goes
    wrong is left for the item to say in its one line, when it runs."""
    with isolated():  # NumPy's random state, the working directory and os.environ as they were
        for case in cases:
            for key, target in targets(case):
                module = target.partition(":")[0]
                if module in seconds:
                    continue
                start = time.perf_counter()
                with contextlib.suppress(UserCodeError, Ended):  # the item says it, when it runs
                    imported(case, key, target, scope)
                seconds[module] = time.perf_counter() - start


def summary(reporter: pytest.TerminalReporter, seconds: dict[str, float]) -> None:
    """One line naming the imports that took long, where any did: their time is in no item's."""
    slow = sorted(((s, m) for m, s in seconds.items() if s >= SHOWN_SECONDS), reverse=True)
    if not slow:
        return
    named = ", ".join(f"{module} {s:.2f} s" for s, module in slow)
    reporter.write_line(
        f"gradcheck: importing the project's modules took {sum(seconds.values()):.2f} s at collection, "
        f"counted in no item's time: {named}"
    )
