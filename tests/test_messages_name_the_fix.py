"""Messages that name the fix: a derivative that takes a cotangent given as jacobian:, and what
`python -m gradcheck --help` offers users."""

from __future__ import annotations

import pytest
from pluginrun import run, write

from gradcheck.cli import main

CELL = """\
def forward(x, w):
    return x @ w, (x, w)


def backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout
"""


def test_a_backward_given_as_jacobian_is_told_to_use_backward_or_vjp(pytester: pytest.Pytester) -> None:
    write(pytester, "cell.py", CELL)
    write(
        pytester,
        "cases/c.yaml",
        "cases:\n  - name: c\n    function: cell:forward\n    jacobian: cell:backward\n"
        "    args: {x: {shape: [2, 3], seed: 0}, w: {shape: [3, 4], seed: 1}}\n    wrt: x\n",
    )
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "cases/c.yaml:4: jacobian: cell:backward raised TypeError: backward() got an unexpected keyword argument "
            "'x'; jacobian: is called with the case's args, as function: is; a derivative that takes a cotangent is "
            "backward: (backward(dout, *cache)) or vjp: (vjp(u, **args))"
        ]
    )


def test_help_lists_what_users_run(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])
    listed = capsys.readouterr().out
    assert "schema" in listed and "sweep" in listed and "generate" not in listed
