"""Repository-wide test setup: the pytester fixture for the plugin's own tests."""

# pytester's in-process runs drop the modules first imported inside them, and the C extensions of
# numpy and yaml cannot be imported twice in one process: they are imported once, here.
import numpy  # noqa: F401
import yaml  # noqa: F401

pytest_plugins = ["pytester"]
