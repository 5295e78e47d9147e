"""What the plugin knows for one pytest run: its settings and the registry of named checks."""

from __future__ import annotations

import pytest

from ..checks.registry import Registry
from .extensions import Registrar
from .settings import Settings


class State:
    """The run's settings, and the registry of named checks: the built-ins and those plugins and
    conftest files register."""

    def __init__(self, config: pytest.Config, settings: Settings) -> None:
        self.settings = settings
        self.registry = Registry()
        self.imports: dict[str, float] = {}  # seconds each project module took to import, at collection
        # Each plugin's pytest_gradcheck_register_checks is called on its own (so that a problem
        # names it): those registered so far now, a conftest.py loaded later (next to its case
        # files) as it is loaded, as a historic hook would be.
        config.pluginmanager.register(Registrar(config, self.registry), "gradcheck-registrar")


STATE = pytest.StashKey[State]()
