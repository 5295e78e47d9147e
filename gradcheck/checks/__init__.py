"""Cases into Checks: the built-in checks of a layer case, a function case's own, and the registry of names.

`Registry` costs nothing to import; `Check` (numpy) loads on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .registry import Registry

if TYPE_CHECKING:
    from .base import Check
    from .layer import CheckBuilder

__all__ = ["Check", "CheckBuilder", "Registry"]


def __getattr__(name: str) -> Any:
    if name == "Check":
        from .base import Check

        return Check
    if name == "CheckBuilder":
        from .layer import CheckBuilder

        return CheckBuilder
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
