"""Hooks a plugin or conftest.py implements to extend gradcheck (added with pytest_addhooks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ..casefile.function import FunctionCase
    from ..casefile.layer import Case
    from ..checks import Registry


@pytest.hookspec(historic=True)
def pytest_gradcheck_register_checks(registry: Registry, config: pytest.Config) -> None:
    """Register named checks, so that a case file can say `checks: [my_check]`.

    Call ``registry.register("my_check", builder)`` where ``builder(case)`` takes the layer
    Case and returns a :class:`gradcheck.checks.Check`. Called once the plugin is configured,
    and for a conftest.py found later as soon as it is loaded: always before the case files
    next to it are collected. A name is letters, digits, ``_``, ``.`` and ``-``; a name already
    taken (a built-in one, or one registered before), a builder that is not callable, or an
    exception from the hook is one line naming the conftest and its line, and stops the run.
    """


@pytest.hookspec(firstresult=True)
def pytest_gradcheck_adjust_case(
    case: Case | FunctionCase, check: str, config: pytest.Config
) -> Case | FunctionCase | None:
    """Return a changed copy of `case` (``dataclasses.replace(case, rtol=1e-4)``), or None to
    leave it as it is. Called before each item runs; `check` is the item's check (``loss``,
    ``jacobian``, ...). The first implementation that returns a case wins; the result must be
    of the same type as `case`.
    """
