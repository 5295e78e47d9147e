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
