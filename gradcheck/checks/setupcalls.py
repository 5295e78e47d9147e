"""`call:`: the setup methods called on a fresh object (a case's object, a network's layer or its
loss) after it is made and its `set:` attributes are set, before its first forward; each the
project's own method, called with its own copy of its keyword arguments."""

from __future__ import annotations

import copy
from typing import Any

from ..casefile.calls import Call
from ..casefile.function import FunctionCase
from .scope import Scope
from .targets import guarded, method


def make_calls(case: FunctionCase, calls: tuple[Call, ...], obj: Any, scope: Scope) -> None:
    """Call each of `calls` on `obj`, in order; what goes wrong is reported at the call's line."""
    for call in calls:
        found = method(case, call.field, obj, scope, call.method)
        shown = f"{type(obj).__name__}.{call.method}"
        guarded(case, call.field, found, shown)(**copy.deepcopy(dict(call.kwargs)))
