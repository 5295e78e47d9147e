"""What a case item leaves as it found it: NumPy's global random state and its floating-point error
handling (np.seterr), the working directory and os.environ. Project code that a case runs may
change them (an object that draws from np.random during its check, a function that calls
np.seterr, os.chdir or os.environ.update); what runs after the item sees them as they were."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping

import numpy as np

#: pytest's own variable, which it sets for each phase of a test: not the item's to restore.
PYTEST_OWN = "PYTEST_CURRENT_TEST"


@contextlib.contextmanager
def isolated() -> Iterator[None]:
    """The body, with NumPy's random state and error handling, the working directory and
    os.environ restored after it."""
    state, errors = np.random.get_state(), np.geterr()
    cwd, environ = os.getcwd(), dict(os.environ)
    try:
        yield
    finally:
        np.random.set_state(state)
        np.seterr(**errors)
        restore_environ(environ)
        os.chdir(cwd)


def restore_environ(saved: Mapping[str, str]) -> None:
    """os.environ as `saved` holds it: variables added since removed, changed ones set back."""
    for name in set(os.environ) - set(saved) - {PYTEST_OWN}:
        del os.environ[name]
    for name, value in saved.items():
        if name != PYTEST_OWN and os.environ.get(name) != value:
            os.environ[name] = value
