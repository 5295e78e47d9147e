"""A Python file a case names by its path under the rootdir (`scripts/min-char-rnn.py:lossFun`), for
a script whose file name is not a module name: loaded once per run, as a module of its own."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import Ended, UserCodeError, ending, first_line, summary
from .scope import Scope

if TYPE_CHECKING:
    from ..casefile.function import FunctionCase

#: The prefix of the name a script is loaded under in sys.modules (not a name Python can import).
PREFIX = "gradcheck-script:"


def loaded(case: FunctionCase, key: str, relative: str, scope: Scope) -> Any:
    """The module that the file `relative` (under the rootdir) holds, loaded the first time a case
    names it; refused in one line where it is not a file of the project."""
    path = Path(os.path.realpath(scope.root / relative))
    shown = f"{relative} (rootdir {scope.root})"
    if not path.is_file():
        raise _error(case, key, f"no file {shown}; a path before the colon is a file under the rootdir")
    if not scope.owns(path):
        raise _error(case, key, f"{shown} is not a file of this project")
    name = PREFIX + str(path.relative_to(os.path.realpath(scope.root)))
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise _error(case, key, f"{shown} cannot be loaded as Python")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[name]
        ended = ending(exc)  # SystemExit or a pytest outcome: the item's failure, not the run's end
        if ended:
            raise Ended(_error(case, key, f"loading {relative} {ended}")) from None
        if not isinstance(exc, Exception):
            raise
        message = first_line(exc) if isinstance(exc, SyntaxError) else summary(exc)
        raise _error(case, key, f"loading {relative} raised {message}", exc) from exc
    return module


def _error(case: FunctionCase, key: str, message: str, cause: BaseException | None = None) -> UserCodeError:
    return UserCodeError(case.path, case.line_of(key), f"{key}: {message}", cause)
