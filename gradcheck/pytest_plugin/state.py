"""What the plugin knows for one pytest run: its settings and the registry of named checks."""

from __future__ import annotations

import pytest

from ..checks.registry import Registry
from .settings import Settings


class State:
    """The run's settings, and the registry of named checks: the built-ins and those plugins and
    conftest files register."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.settings = settings
        self.registry = Registry()
        # historic: a conftest.py loaded later (next to its case files) registers as it is loaded
        config.hook.pytest_gradcheck_register_checks.call_historic(kwargs={"registry": self.registry, "config": config})


STATE = pytest.StashKey[State]()
