"""Check names to builders: the built-ins plus those another plugin registers.

Importing it costs nothing: the built-in builders (and numpy) load when a check is first built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from .names import BUILTIN_NAMES, DEFAULT_CHECKS

if TYPE_CHECKING:
    from ..casefile.layer import Case
    from .base import Check

    CheckBuilder = Callable[[Case], Check]

#: What a registered check's name may hold: it becomes part of an item's id, `case[name]`.
CHECK_NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")


class RegistrationError(ValueError):
    """A check that cannot be registered: its name is taken or malformed, or its builder is not callable."""


class Registry:
    """Check names to builders: the built-ins plus those another plugin registers, each with
    where it was registered (`owner`, as the plugin sets it while a plugin registers)."""

    def __init__(self) -> None:
        self._registered: dict[str, CheckBuilder] = {}
        self._owners: dict[str, str] = {}
        self.owner = ""  # who is registering now: a conftest or plugin, for messages

    def register(self, name: str, builder: CheckBuilder) -> None:
        """Add a named check; a name already taken, or not made of letters, digits, `_`, `.`
        and `-`, or a builder that is not callable, is a RegistrationError."""
        if not isinstance(name, str) or not CHECK_NAME_RE.fullmatch(name):
            raise RegistrationError(
                f"check name {name!r} is not made of letters, digits, _, . and -; expected e.g. 'my_check'"
            )
        if name in BUILTIN_NAMES:
            raise RegistrationError(f"{name!r} is a built-in check; register yours under another name")
        if name in self._registered:
            first = self._owners[name]
            raise RegistrationError(
                f"{name!r} is already registered{f' by {first}' if first else ''}; register each name once"
            )
        if not callable(builder):
            raise RegistrationError(
                f"the builder of {name!r} is {type(builder).__name__}, not callable; "
                "expected a function that takes the layer Case and returns a gradcheck.checks.Check"
            )
        self._registered[name] = builder
        self._owners[name] = self.owner

    def __contains__(self, name: object) -> bool:
        return name in BUILTIN_NAMES or name in self._registered

    def __iter__(self) -> Iterator[str]:
        yield from BUILTIN_NAMES
        yield from self._registered

    def owner_of(self, name: str) -> str | None:
        """Where a registered check was registered ("" if not known); None for a built-in one."""
        return self._owners.get(name)

    def names_for(self, case: Case) -> tuple[str, ...]:
        """The checks a case runs: its own list (`all` is every built-in one), else DEFAULT_CHECKS."""
        return DEFAULT_CHECKS if case.checks is None else case.checks

    def build(self, name: str, case: Case) -> Check:
        """The Check `name` for `case`."""
        if name in self._registered:
            return self._registered[name](case)
        from .layer import BUILTIN

        return BUILTIN[name](case)
