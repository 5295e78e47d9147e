"""The errors gradcheck raises (about a case or the user's code, each naming `path:line`; about an API
argument), and the words its one-line messages use for values, exceptions and paths (stdlib only)."""

from __future__ import annotations

import difflib
import errno
import os
import reprlib
import stat
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

#: How much of an exception's message, or of a value's repr, goes into a one-line error.
MESSAGE_CHARS = 200
_short = reprlib.Repr()
_short.maxstring = _short.maxother = 40


def _escapes(codes: Iterable[int]) -> dict[int, str]:
    return {code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" for code in codes}


#: What a terminal would act on rather than show: C0 controls but tab and newline, DEL, C1
#: controls, the line and paragraph separators, and the bidirectional overrides and isolates.
_SHOWN = _escapes(
    c
    for c in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A))
    if c not in (0x09, 0x0A)
) | {0x0D: "\\r"}
_SHOWN_ON_ONE_LINE = {**_SHOWN, 0x0A: "\\n"}


def printable(text: str, *, lines: bool = False) -> str:
    """`text` as a terminal shows it, not as it would act on it: an escape, a carriage return or a
    bidirectional override from the user's code as `\\x1b`, `\\r`, `\\u202e`; a newline as
    `\\n`, unless `lines` keeps it (a traceback, captured output)."""
    shown = text.translate(_SHOWN if lines else _SHOWN_ON_ONE_LINE)
    return shown if shown.isascii() else "".join(_format_char(c) for c in shown)


def _format_char(char: str) -> str:
    """A Unicode format character other than those in _SHOWN (zero-width, invisible) as `\\uNNNN`."""
    return f"\\u{ord(char):04x}" if unicodedata.category(char) == "Cf" and ord(char) > 0x7F else char


class GradcheckError(Exception):
    """A problem at a line of a case file: `path:line: message`, whose text from the user's code
    (an exception's message, a repr) is escaped as a terminal would show it (`printable`)."""

    def __init__(self, path: str, line: int, message: str) -> None:
        message = printable(message, lines=True)
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

    def __init__(self, where: str, cause: BaseException, name: str = "f") -> None:
        self.where, self.cause = where, cause
        super().__init__(self.described(name))

    def described(self, name: str) -> str:
        """`NAME raised ValueError at W[3, 1] + 4.8e-05, second look: what f said`."""
        said = first_line(self.cause)
        return f"{name} raised {printable(type(self.cause).__name__)} {self.where}{': ' + said if said else ''}"


class Stop(BaseException):
    """What stops a case item at once with a one-line failure. A BaseException, as SystemExit and
    pytest's outcomes are, so that no `except Exception` on its way out (the project's own
    included) holds it up."""


class Ended(Stop):
    """Project code raised SystemExit or one of pytest's outcomes (exit, skip, xfail, fail), which
    are not its to raise while a case item runs: `error` is the line the item fails with."""

    def __init__(self, error: UserCodeError) -> None:
        super().__init__(str(error))
        self.error = error


class TimedOut(Stop):
    """The item ran longer than gradcheck_timeout, `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"ran longer than gradcheck_timeout ({seconds:g} s)")
        self.seconds = seconds


_END = "a case's code cannot end the run"
_MARKS = "a skip or xfail belongs in marks:"
#: pytest's outcomes as project code raises them: (the function, its exception in _pytest.outcomes, why not).
_OUTCOMES = (
    ("exit", "Exit", _END),
    ("xfail", "XFailed", _MARKS),  # before fail: an XFailed is a Failed
    ("skip", "Skipped", _MARKS),
    ("fail", "Failed", "a case's code fails its check by raising an exception"),
)


def ending(error: BaseException) -> str:
    """What project code did by raising `error`, where a case's code may not raise it, and why not:
    `raised SystemExit(0); a case's code cannot end the run`, `called pytest.skip; a skip or xfail
    belongs in marks:`. "" for an Exception, KeyboardInterrupt (Ctrl-C ends the run) and a Stop."""
    outcomes = sys.modules.get("_pytest.outcomes")  # loaded wherever one of its outcomes was raised
    for function, name, why in _OUTCOMES if outcomes is not None else ():
        if isinstance(error, getattr(outcomes, name)):
            return f"called pytest.{function}; {why}"
    if isinstance(error, (Exception, KeyboardInterrupt, Stop)):
        return ""
    return f"raised {type(error).__name__}({', '.join(_short.repr(a) for a in error.args)}); {_END}"


class ArgumentError(ValueError, TypeError):
    """An argument of the Python API (check_jacobian, numerical_jacobian, the jacobian_check
    fixture) is not what it must be, or f returned something that is not an array of real
    numbers of one shape: one line naming the argument or the call (`argument`). From
    check_function, the case file's message for a keyword, or for the code it was handed."""

    def __init__(self, message: str, argument: str = "") -> None:
        super().__init__(message)
        self.argument = argument


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """` (did you mean 'weights'?)` for the closest of `choices`, or ""."""
    choices = list(choices)
    close = [c for c in choices if c.lower() == word.lower()] or difflib.get_close_matches(word, choices, 1, 0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def first_line(error: BaseException) -> str:
    """The first line of an exception's message (at most MESSAGE_CHARS of it), `printable`."""
    lines = str(error).strip().splitlines()
    line = lines[0] if lines else ""
    return printable(line if len(line) <= MESSAGE_CHARS else line[:MESSAGE_CHARS] + "...")


def summary(error: BaseException) -> str:
    """`ValueError: the first line of its message`."""
    message, name = first_line(error), printable(type(error).__name__)
    return f"{name}: {message}" if message else name


def described(value: object) -> str:
    """`None`, `an int (42)`, `a str ('abc')`, `a function`: what a value is, with its repr where that is short."""
    if value is None:
        return "None"
    name = printable(type(value).__name__)
    article = "an" if name[:1].lower() in "aeiou" else "a"
    text = printable(_short.repr(value))
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
