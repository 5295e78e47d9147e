"""The user's own frames of a traceback, without gradcheck's, pytest's, pluggy's and importlib's."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import pluggy
import pytest

from ..errors import printable

#: Frames of these packages are left out of the traceback of an error in the user's code.
_HIDDEN = (
    Path(__file__).resolve().parent.parent,  # gradcheck
    *(Path(module.__file__).resolve().parent for module in (pytest, pluggy, importlib) if module.__file__),
    Path(pytest.__file__).resolve().parent.parent / "_pytest",
)


def user_frames(excinfo: pytest.ExceptionInfo[BaseException]) -> Any:
    """The traceback (excinfo.traceback, filtered) without gradcheck's, pytest's, pluggy's and
    importlib's frames: what getrepr(tbfilter=...) takes."""

    def theirs(entry: Any) -> bool:  # a TracebackEntry
        path = entry.path
        if isinstance(path, str):  # "<frozen importlib._bootstrap>", "<string>"
            return not path.startswith("<frozen")
        resolved = Path(path).resolve()
        return not any(resolved.is_relative_to(hidden) for hidden in hidden_folders)

    numpy = sys.modules.get(
        "numpy"
    )  # NumPy's frames too, where it is loaded (not imported here: the plugin loads this)
    hidden_folders = _HIDDEN + ((Path(numpy.__file__).resolve().parent,) if numpy and numpy.__file__ else ())

    return excinfo.traceback.filter(theirs)


def user_error_report(line: str, cause: BaseException | None) -> str | None:
    """The one-line error, then the user's own traceback of `cause`; None if no frame of it is theirs."""
    if cause is None:
        return None
    excinfo = pytest.ExceptionInfo.from_exception(cause)
    if not len(user_frames(excinfo)):
        return None
    tb = excinfo.getrepr(style="long", tbfilter=user_frames, chain=False)
    return f"{line}\n\n{printable(str(tb), lines=True)}"
