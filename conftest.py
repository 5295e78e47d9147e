"""Repository-wide test setup: the pytester fixture for the plugin's own tests.

pytester's in-process runs put sys.modules back as it was after each run, so what an inner run
imports first is imported afresh by the next one: numpy refuses that (its C extension cannot be
imported twice in one process), and yaml's node classes would then differ between the plugin's
modules. The plugin imports these only when it collects a case file or runs a check, so they are
imported here, once, before any inner run (a run of, say, only tests/test_plugin.py imports them
nowhere else).
"""

import gradcheck.checks.layer  # noqa: F401  the built-in checks, numpy and the model's functions
import gradcheck.pytest_plugin.collect  # noqa: F401  yaml, the case files, the items
import gradcheck.verdict.verify  # noqa: F401  what the jacobian_check fixture imports

pytest_plugins = ["pytester"]
