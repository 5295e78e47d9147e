"""A script named by its file path under the rootdir (`scripts/min-char-rnn.py:loss`), for files
whose names are not module names: loaded once, refused outside the project."""

from __future__ import annotations

import pytest
from pluginrun import run, write

#: A script in the shape of a small training file: globals, a loss with its gradient, and a
#: counter of how often it was loaded.
SCRIPT = """\
import numpy as np

LOADS = globals().get("LOADS", 0) + 1
W = np.random.default_rng(0).standard_normal((3, 2))


def loss(x):
    return float(np.sum(np.tanh(x @ W) ** 2))


def loss_grad(x):
    t = np.tanh(x @ W)
    return (2 * t * (1 - t**2)) @ W.T


def loss_dW(x):
    t = np.tanh(x @ W)
    return x.T @ (2 * t * (1 - t**2))


def loss_dW_no_2(x):
    t = np.tanh(x @ W)
    return x.T @ (t * (1 - t**2))


def loads(x):
    return float(LOADS * np.sum(x))


def loads_grad(x):
    return np.full_like(x, LOADS)
"""


def project(pytester: pytest.Pytester, cases: str) -> pytest.RunResult:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "scripts/min-char-rnn.py", SCRIPT)
    write(pytester, "cases/x.yaml", "cases:\n" + cases)
    return run(pytester, "-p", "no:cacheprovider")


CASE = """\
  - name: {name}
    function: scripts/min-char-rnn.py:{f}
    gradient: scripts/min-char-rnn.py:{f}_grad
    args: {{x: {{shape: [4, 3], seed: 1}}}}
"""


def test_a_script_whose_name_is_no_module_name_is_checked(pytester: pytest.Pytester) -> None:
    project(pytester, CASE.format(name="c", f="loss")).assert_outcomes(passed=1)


def test_a_script_is_loaded_once_for_all_its_cases(pytester: pytest.Pytester) -> None:
    # LOADS would be 2 (and loads_grad off by its factor) were the script run again for the second case
    cases = CASE.format(name="a", f="loss") + CASE.format(name="b", f="loads")
    project(pytester, cases).assert_outcomes(passed=2)


@pytest.mark.parametrize(("gradient", "passed"), [("loss_dW", True), ("loss_dW_no_2", False)])
def test_a_script_s_global_is_differentiated_by_its_file_path(
    pytester: pytest.Pytester, gradient: str, passed: bool
) -> None:
    # the gradient in the script's global W, which loss(x) reads
    case = CASE.format(name="c", f="loss").replace("loss_grad\n", f"{gradient}\n    wrt: scripts/min-char-rnn.py:W\n")
    result = project(pytester, case)
    if passed:
        result.assert_outcomes(passed=1)
    else:
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            ["gradcheck: gradient scripts/min-char-rnn.py:loss_dW_no_2 of case*", "*0.5 * numeric*"]
        )


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("scripts/nothing.py:loss", "function: no file scripts/nothing.py (rootdir *); a path before the colon is*"),
        ("../outside.py:loss", "function: '../outside.py:loss' is not 'module:attribute'*"),
        (
            "scripts/min-char-rnn.py:_private",
            "function: 'scripts/min-char-rnn.py:_private': '_private' is a private name*",
        ),
    ],
)
def test_a_script_path_names_a_file_of_the_project(pytester: pytest.Pytester, target: str, expected: str) -> None:
    write(pytester, "outside.py", SCRIPT)
    case = CASE.format(name="c", f="loss").replace("scripts/min-char-rnn.py:loss\n", f"{target}\n", 1)
    result = project(pytester, case)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"cases/x.yaml:3: {expected}"])


def test_a_linked_script_outside_the_rootdir_is_refused_unloaded(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "evil.py"
    outside.write_text("raise SystemExit('loaded')\n", encoding="utf-8")
    (pytester.path / "scripts").mkdir()
    (pytester.path / "scripts" / "evil.py").symlink_to(outside)
    case = CASE.format(name="c", f="loss").replace("scripts/min-char-rnn.py:loss\n", "scripts/evil.py:loss\n", 1)
    result = project(pytester, case)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cases/x.yaml:3: function: scripts/evil.py (rootdir *) is not a file of this project"])
