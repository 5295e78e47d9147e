"""gradcheck's own hooks as the plugin calls them: each implementation on its own, so that a problem
is one line naming the conftest or plugin (file:line), the hook and what was expected."""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy
import pytest

from ..checks.registry import RegistrationError, Registry
from ..errors import CaseError, UserCodeError, described, did_you_mean, summary
from . import hookspec

if TYPE_CHECKING:
    from ..casefile.function import FunctionCase
    from ..casefile.layer import Case

C = TypeVar("C", "Case", "FunctionCase")

#: gradcheck's hooks, by name.
HOOKS = tuple(name for name in vars(hookspec) if name.startswith("pytest_gradcheck_"))
REGISTER = hookspec.pytest_gradcheck_register_checks.__name__
ADJUST = hookspec.pytest_gradcheck_adjust_case.__name__


def where(impl: pluggy.HookImpl, config: pytest.Config, error: BaseException | None = None) -> str:
    """`cases/conftest.py:5`: the implementation's file (relative to the rootdir) and the line in it
    where `error` was raised (else where the function starts); the plugin's name if it has no file."""
    code = getattr(inspect.unwrap(impl.function), "__code__", None)
    if code is None:
        return f"plugin {impl.plugin_name!r}"
    line = code.co_firstlineno
    tb: TracebackType | None = error.__traceback__ if error is not None else None
    for frame, frame_line in _frames(tb):
        if frame.f_code.co_filename == code.co_filename:
            line = frame_line
    return f"{shown_path(Path(code.co_filename), config)}:{line}"


def shown_path(path: Path, config: pytest.Config) -> str:
    """A path as a message shows it: relative to the rootdir where it lies under it."""
    if not path.is_relative_to(config.rootpath):
        return str(path)
    return Path(os.path.relpath(path, config.rootpath)).as_posix()


def _frames(tb: TracebackType | None) -> Iterator[tuple[Any, int]]:
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def _call(impl: pluggy.HookImpl, **kwargs: Any) -> Any:
    """Call one implementation as pluggy would: with the arguments it names."""
    return impl.function(*(kwargs[name] for name in impl.argnames))


class Registrar:
    """Calls each plugin's pytest_gradcheck_register_checks once: those registered before the run
    is configured as soon as this registers (pytest replays pytest_plugin_registered), a conftest
    found later as soon as it is loaded. A problem is a UsageError, or while collecting a
    collection error of the folder whose conftest it is: one line either way."""

    def __init__(self, config: pytest.Config, registry: Registry) -> None:
        self.config = config
        self.registry = registry
        self.collecting = False

    def pytest_plugin_registered(self, plugin: object) -> None:
        self._known_hooks(plugin)
        hook = self.config.pluginmanager.hook
        for impl in getattr(hook, REGISTER).get_hookimpls():
            if impl.plugin is plugin:
                self._register(impl)

    def _known_hooks(self, plugin: object) -> None:
        """A misspelt gradcheck hook is one line now, not pytest's INTERNALERROR after collection."""
        for name in dir(plugin):
            if name.startswith("pytest_gradcheck_") and name not in HOOKS:
                function = getattr(plugin, name)
                code = getattr(inspect.unwrap(function), "__code__", None)
                at = f"{shown_path(Path(code.co_filename), self.config)}:{code.co_firstlineno}: " if code else ""
                self._fail(
                    f"{at}{name} is not a gradcheck hook{did_you_mean(name, HOOKS)}; expected one of {', '.join(HOOKS)}"
                )

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self) -> None:
        self.collecting = True

    def _register(self, impl: pluggy.HookImpl) -> None:
        self.registry.owner = where(impl, self.config)
        try:
            _call(impl, registry=self.registry, config=self.config)
        except RegistrationError as error:
            self._fail(f"{where(impl, self.config, error)}: {REGISTER}: {error}")
        except Exception as error:
            self._fail(f"{where(impl, self.config, error)}: {REGISTER} raised {summary(error)}")
        finally:
            self.registry.owner = ""

    def _fail(self, message: str) -> None:
        if self.collecting:
            raise pytest.Collector.CollectError(message)
        raise pytest.UsageError(message)


def adjust(config: pytest.Config, case: C, check: str) -> tuple[C, str]:
    """The case as pytest_gradcheck_adjust_case leaves it (the first implementation that returns
    a case wins), and where that implementation is ("" if none changed it)."""
    hook = getattr(config.hook, ADJUST)
    impls = hook.get_hookimpls()
    if any(impl.wrapper or impl.hookwrapper for impl in impls):  # pluggy runs the wrappers
        origins = " or ".join(where(impl, config) for impl in impls)
        return _checked(hook(case=case, check=check, config=config), case, origins)
    for impl in reversed(impls):  # pluggy's order
        try:
            result = _call(impl, case=case, check=check, config=config)
        except Exception as error:
            raise UserCodeError(
                case.path, case.line, f"{ADJUST} in {where(impl, config, error)} raised {summary(error)}", error
            ) from error
        if result is not None:
            return _checked(result, case, where(impl, config))
    return case, ""


def _checked(result: object, case: C, origin: str) -> tuple[C, str]:
    """A case the adjust hook returned, if it is one of the right type, with where it came from."""
    if result is None:
        return case, ""
    if type(result) is not type(case):
        raise CaseError(
            case.path,
            case.line,
            f"{ADJUST} in {origin} returned {described(result)}; "
            f"expected a {type(case).__name__} (dataclasses.replace(case, ...)) or None",
        )
    return result, origin
