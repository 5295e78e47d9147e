"""Text from the project's code reaches the terminal as it is written, not as a terminal would act
on it: escapes, carriage returns and newlines in an exception's message, a repr or printed output
are shown escaped in the one-line error, the traceback, the captured output and the short summary."""

from __future__ import annotations

import pytest
from pluginrun import run, write

MYLIB = r"""
import numpy as np

FAKE = "\x1b[1A\x1b[2K\x1b[32mcases/x.yaml::fake PASSED\x1b[0m"


def loud(x):
    print(FAKE + "\nsecond line")
    raise ValueError("boom" + FAKE + "\r\nnext line")


def grad(x):
    return 2 * x


def flaky(x):
    if x[0] != 1.0:  # at a perturbed point only
        raise ArithmeticError("\u202eSSAP\x07")
    return float(x[0] ** 2)


class Weird:
    def __repr__(self):
        return "\x1b[31mred\nline"


def weird(x):
    return Weird()
"""

CASES = """\
cases:
  - name: loud
    function: mylib:loud
    gradient: mylib:grad
    args: {x: [1.0]}
  - name: flaky
    function: mylib:flaky
    gradient: mylib:grad
    args: {x: [1.0]}
"""


def test_escapes_and_newlines_from_the_users_code_are_shown_escaped(pytester: pytest.Pytester) -> None:
    write(pytester, "mylib.py", MYLIB)
    write(pytester, "cases/x.yaml", CASES)
    result = run(pytester, "--gradcheck-cases", "cases", "-rA")
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert not any(c in out for c in "\x1b\r\x07\u202e")  # nothing a terminal would act on
    fake = r"\x1b[1A\x1b[2K\x1b[32mcases/x.yaml::fake PASSED\x1b[0m"
    result.stdout.fnmatch_lines(
        [
            f"cases/x.yaml:3: function: mylib:loud raised ValueError: boom{fake}",
            f"E       ValueError: boom{fake}\\r",
            "*Captured stdout call*",
            fake,
            "second line",
        ],
        consecutive=False,
    )
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:7: function: mylib:flaky raised ArithmeticError at x[[]0[]] *"
            r": \u202eSSAP\x07"
        ]
    )
    summary = out.split("short test summary info", 1)[1]
    assert "FAILED cases/x.yaml::loud[gradient] - cases/x.yaml:3: function: mylib:loud" in summary


def test_a_repr_from_the_users_code_is_one_escaped_line() -> None:
    from gradcheck.errors import CaseError, described

    class Weird:
        def __repr__(self) -> str:
            return "\x1b[31mred\nline"

    assert described(Weird()) == r"a Weird (\x1b[31mred\nline)"
    assert str(CaseError("x.yaml", 3, "f: returned \x1b[2K")) == r"x.yaml:3: f: returned \x1b[2K"
