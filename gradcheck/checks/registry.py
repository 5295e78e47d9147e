"""Check names to builders: the built-ins plus those another plugin registers.

Importing it costs nothing: the built-in builders (and numpy) load when a check is first built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .names import BUILTIN_NAMES, DEFAULT_CHECKS

if TYPE_CHECKING:
    from ..casefile.layer import Case
    from .base import Check

    CheckBuilder = Callable[[Case], Check]


class Registry:
    """Check names to builders: the built-ins plus those another plugin registers."""

    def __init__(self) -> None:
        self._registered: dict[str, CheckBuilder] = {}

    def register(self, name: str, builder: CheckBuilder) -> None:
        """Add a named check; a name already taken is an error."""
        if name in self:
            raise ValueError(f"a check named {name!r} is already registered")
        self._registered[name] = builder

    def __contains__(self, name: object) -> bool:
        return name in BUILTIN_NAMES or name in self._registered

    def __iter__(self) -> Iterator[str]:
        yield from BUILTIN_NAMES
        yield from self._registered

    def names_for(self, case: Case) -> tuple[str, ...]:
        """The checks a case runs: its own list (`all` is every built-in one), else DEFAULT_CHECKS."""
        return DEFAULT_CHECKS if case.checks is None else case.checks

    def build(self, name: str, case: Case) -> Check:
        """The Check `name` for `case`."""
        if name in self._registered:
            return self._registered[name](case)
        from .layer import BUILTIN

        return BUILTIN[name](case)
