"""The errors gradcheck raises about a case or the user's code, each naming `path:line`."""

from __future__ import annotations


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
