"""Parameters as a script's module globals (`wrt: mylib.rnn:Wxh`): perturbed in place around each
call of f, restored after, read from the project's own modules only."""

from __future__ import annotations

import pytest
from pluginrun import one_case

#: Under mylib/: a loss that reads its weights from the module, as a training script does.
RNN = """\
import numpy as np

rng = np.random.default_rng(0)
Wxh = 0.1 * rng.standard_normal((4, 3))
Why = 0.1 * rng.standard_normal((3, 2))
SIZE = 3


def loss(inputs):
    h = np.tanh(inputs @ Wxh)
    return float(np.sum((h @ Why) ** 2))


def loss_grads(inputs):
    h = np.tanh(inputs @ Wxh)
    y = h @ Why
    dWhy = h.T @ (2 * y)
    dh = (2 * y) @ Why.T * (1 - h**2)
    return {"Wxh": inputs.T @ dh, "Why": dWhy}


def loss_grads_wrong(inputs):
    grads = loss_grads(inputs)
    grads["Wxh"] = grads["Wxh"] * 0.5
    return grads
"""

CASE = """\
function: mylib.rnn:loss
gradient: mylib.rnn:{gradient}
args: {{inputs: {{shape: [5, 4], seed: 1}}}}
wrt: [{wrt}]
"""


def test_globals_a_loss_reads_are_checked_where_they_are(pytester: pytest.Pytester) -> None:
    case = CASE.format(gradient="loss_grads", wrt="mylib.rnn:Wxh, mylib.rnn:Why")
    one_case(pytester, ("rnn", RNN), case).assert_outcomes(passed=2)


def test_a_wrong_gradient_of_a_global_fails_and_the_global_is_restored(pytester: pytest.Pytester) -> None:
    case = CASE.format(gradient="loss_grads_wrong", wrt="mylib.rnn:Wxh, mylib.rnn:Why")
    write_check = "import mylib.rnn, numpy as np\n\ndef test_after():\n"
    write_check += "    assert np.allclose(mylib.rnn.Wxh, 0.1 * np.random.default_rng(0).standard_normal((4, 3)))\n"
    (pytester.path / "test_after.py").write_text(write_check, encoding="utf-8")
    result = one_case(pytester, ("rnn", RNN), case)
    result.assert_outcomes(passed=2, failed=1)  # Why right, Wxh half, and the global as it was
    result.stdout.fnmatch_lines(
        ["gradcheck: gradient:mylib.rnn:Wxh mylib.rnn:loss_grads_wrong of case 'c' (cases/x.yaml:2): FAILED"]
    )


@pytest.mark.parametrize(
    ("wrt", "expected"),
    [
        ("mylib.rnn:SIZE", "wrt: mylib.rnn:SIZE is int; a global differentiated is a writable array of floats"),
        ("mylib.rnn:_hidden", "wrt: 'mylib.rnn:_hidden': '_hidden' is a private name*"),
        ("numpy:pi", "wrt: numpy:pi: numpy is not a module of this project*"),
        (
            "Wxh",
            "wrt: 'Wxh' is not an argument nor a module's global, named with its module: mylib.rnn:Wxh; "
            "expected one of inputs",
        ),
    ],
)
def test_a_global_is_a_float_array_of_the_project(pytester: pytest.Pytester, wrt: str, expected: str) -> None:
    result = one_case(pytester, ("rnn", RNN), CASE.format(gradient="loss_grads", wrt=wrt))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"cases/x.yaml:6: {expected}"])
