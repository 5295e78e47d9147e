"""The errors gradcheck raises (about a case or the user's code, each naming `path:line`; about an API
argument), and the words its one-line messages use for values, exceptions and paths (stdlib only)."""

from __future__ import annotations

import difflib
import errno
import os
import reprlib
import stat
from collections.abc import Iterable
from pathlib import Path

#: How much of an exception's message, or of a value's repr, goes into a one-line error.
MESSAGE_CHARS = 200
_short = reprlib.Repr()
_short.maxstring = _short.maxother = 40


class GradcheckError(Exception):
    """A problem at a line of a case file: `path:line: message`."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


class CaseError(GradcheckError):
    """A problem in a case file: `path:line: field: what is wrong; what is expected`."""


class UserCodeError(GradcheckError):
    """The user's function could not be imported, raised, or returned the wrong thing;
    `cause` is the user's exception, if any, whose traceback is theirs to read."""

    def __init__(self, path: str, line: int, message: str, cause: BaseException | None = None) -> None:
        super().__init__(path, line, message)
        self.cause = cause


class FunctionError(Exception):
    """f raised at a point a check evaluated: `where` names the entry, the step and the look
    (`at W[3, 1] + 4.8e-05, second look`); `cause` is f's own exception, whose traceback is theirs."""

    #: How much of the first line of f's own message goes into the error.
    MESSAGE_CHARS = 200

    def __init__(self, where: str, cause: BaseException, name: str = "f") -> None:
        self.where, self.cause = where, cause
        super().__init__(self.described(name))

    def described(self, name: str) -> str:
        """`NAME raised ValueError at W[3, 1] + 4.8e-05, second look: what f said`."""
        lines = str(self.cause).strip().splitlines()
        said = f": {lines[0][: self.MESSAGE_CHARS]}" if lines else ""
        return f"{name} raised {type(self.cause).__name__} {self.where}{said}"


class ArgumentError(ValueError, TypeError):
    """An argument of the Python API (check_jacobian, numerical_jacobian, the jacobian_check
    fixture) is not what it must be, or f returned something that is not an array of real
    numbers of one shape: one line naming the argument or the call (`argument`)."""

    def __init__(self, message: str, argument: str = "") -> None:
        super().__init__(message)
        self.argument = argument


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'weights'?)` for the closest of `choices`, or ""."""
    choices = list(choices)
    close = [c for c in choices if c.lower() == word.lower()] or difflib.get_close_matches(word, choices, 1, 0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (at most MESSAGE_CHARS of it)."""
    lines = str(error).strip().splitlines()
    line = lines[0] if lines else ""
    return line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS] + "..."


def summary(error: BaseException) -> str:
    """`ValueError: the first line of its message`."""
    message = first_line(error)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def described(value: object) -> str:
    """`None`, `an int (42)`, `a str ('abc')`, `a function`: what a value is, with its repr where that is short."""
    if value is None:
        return "None"
    name = type(value).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    text = _short.repr(value)
    return f"{article} {name}" if text.startswith("<") else f"{article} {name} ({text})"


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def kind(mode: int) -> str:
    """`a regular file`, `a directory`, `a named pipe`, ...: what a stat mode says a path is."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "of an unknown kind")


def unreachable(path: Path, error: OSError) -> tuple[str, str]:
    """Why `path` cannot be reached (stat or opened), and what to do, for `{path} {why}; {fix}`."""
    if path.is_symlink():
        target = os.readlink(path)
        if error.errno == errno.ELOOP:
            return f"is a symbolic link loop (to {target})", "fix or remove the link"
        if error.errno == errno.ENOENT:
            return f"is a symbolic link to {target}, which does not exist", "fix or remove the link"
    if error.errno == errno.ELOOP:
        return "lies under a symbolic link loop", "fix the link"
    if error.errno == errno.ENOENT:
        return "does not exist", "check the path"
    if error.errno == errno.ENOTDIR:
        return "lies under a file, not a folder", "check the path"
    if error.errno in (errno.EACCES, errno.EPERM):
        return "cannot be read: permission denied", "make it readable"
    return f"cannot be read: {error.strerror or error}", "check the path"
