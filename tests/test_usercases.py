"""User-function cases (`function: module:attr`) as a user runs them: ids, outcomes, every error at its line."""

from __future__ import annotations

import json
import sys
from typing import Any

import numpy as np
import pytest
from pluginrun import RECORD_KEYS, run, write

from gradcheck.checks import function as function_check
from gradcheck.numerics import stencils

# A user's module: correct derivatives, wrong ones, and functions that misbehave.
ACT = """\
import numpy as np


def tanh(x):
    return np.tanh(x)


def tanh_jacobian(x):
    return np.diag(1.0 - np.tanh(x) ** 2)


def tanh_jacobian_flipped(x):
    return -np.diag(1.0 - np.tanh(x) ** 2)


def tanh_vjp(cotangent, x):
    return cotangent * (1.0 - np.tanh(x) ** 2)


def tanh_vjp_off(cotangent, x):
    g = cotangent * (1.0 - np.tanh(x) ** 2)
    g[..., 0] *= 1.01
    return g


def affine(x, W, scale=1.0, how="plain"):
    y = scale * (x @ W)
    return 2.0 * y if how == "double" else y


def affine_jacobian_x(x, W, scale=1.0, how="plain"):
    return (2.0 if how == "double" else 1.0) * scale * W.T


def sq(x):
    return float(np.sum(x**2))


def sq_grad(x):
    return 2.0 * x


def sq_grad_wrong_shape(x):
    return 2.0 * x[:-1]


def not_broadcasting(x):
    return np.tanh(x) / np.sum(x**2)


def not_broadcasting_jacobian(x):
    return np.zeros((x.size, x.size))


def fails(x):
    return _inner(x)


def _inner(x):
    raise ValueError("x must be positive")


def writes_into(x, W):
    W[0, 0] = 0.0
    return x @ W


def text(x):
    return "not numbers"


PI = 3.14
"""


def project(pytester: pytest.Pytester, cases_yaml: str, module: str = "mylib") -> None:
    """A user's project: an ini naming the cases, their package `module` with `act.py`, one case file."""
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, f"{module}/__init__.py", "")
    write(pytester, f"{module}/act.py", ACT)
    write(pytester, "cases/x.yaml", cases_yaml)


def line_of(text: str, needle: str, start: int = 1) -> int:
    """The 1-based line of the first `needle` at or after line `start`."""
    for number, line in enumerate(text.splitlines(), start=1):
        if number >= start and needle in line:
            return number
    raise AssertionError(f"{needle!r} not in the text")


def failures(result: pytest.RunResult) -> str:
    """The FAILURES section of the output."""
    out = result.stdout.str()
    return out.split("= FAILURES =", 1)[1].split("short test summary info", 1)[0]


def user_case(name: str, *lines: str) -> str:
    return f"  - name: {name}\n" + "".join(f"    {line}\n" for line in lines)


TANH = user_case(
    "tanh", "function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: {shape: [4], seed: 0}}"
)


# -- passing cases and their ids ----------------------------------------------------------------


def test_jacobian_gradient_and_vjp_cases_pass_one_item_each(pytester: pytest.Pytester) -> None:
    text = "cases:\n" + TANH
    text += user_case("sq", "function: mylib.act:sq", "gradient: mylib.act:sq_grad", "args: {x: [0.5, -1.0, 2.0]}")
    text += user_case(
        "tanh-vjp",
        "function: mylib.act:tanh",
        "vjp: mylib.act:tanh_vjp",
        "vectorized: true",
        "args: {x: {shape: [2, 3], seed: 1, low: -2, high: 2}}",
    )
    project(pytester, text)
    collected = [line for line in run(pytester, "--co", "-q").outlines if "::" in line]
    assert collected == ["cases/x.yaml::tanh[jacobian]", "cases/x.yaml::sq[gradient]", "cases/x.yaml::tanh-vjp[vjp]"]
    result = run(pytester, "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["cases/x.yaml::tanh[[]jacobian[]] PASSED*"])


def test_a_wrong_jacobian_fails_with_the_report_at_the_case(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        "cases:\n"
        + user_case(
            "flipped",
            "function: mylib.act:tanh",
            "jacobian: mylib.act:tanh_jacobian_flipped",
            "args: {x: [0.1, 0.2, 0.3]}",
        ),
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "gradcheck: jacobian mylib.act:tanh_jacobian_flipped of case 'flipped' (cases/x.yaml:2): FAILED",
            "*dtanh[[]0[]]/dx[[]0[]]*",
            "*sign is flipped*",
            "  plot: python -m gradcheck sweep 'cases/x.yaml::flipped[[]jacobian[]]' -o sweep.png",
        ]
    )


@pytest.mark.parametrize("basis_max", [function_check.VJP_BASIS_MAX, 2])
def test_a_vjp_is_checked_in_full_or_by_random_cotangents(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, basis_max: int
) -> None:
    # basis_max=2 forces the projections (outputs of 5 entries) that large outputs use.
    monkeypatch.setattr(function_check, "VJP_BASIS_MAX", basis_max)
    text = "cases:\n"
    for name, vjp in (("right", "tanh_vjp"), ("wrong", "tanh_vjp_off")):
        text += user_case(name, "function: mylib.act:tanh", f"vjp: mylib.act:{vjp}", "args: {x: {shape: [5], seed: 2}}")
    project(pytester, text)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    basis = ", 1 of 5 basis (one per entry of tanh)" if basis_max > 2 else ""
    result.stdout.fnmatch_lines(
        [
            "*mylib.act:tanh_vjp_off of case 'wrong'*FAILED",
            "  1 of 5 entries of dx for cotangent 1 of 3 (seeded random) differ beyond rtol=1e-06, atol=1e-08",
            "*",
            f"  cotangents whose product differs: 3 of 3 seeded random{basis}",
            "*",
            "*",
            "    dx[[]0[]] *",
        ]
    )


def test_plain_arguments_are_passed_as_given_and_wrt_picks_the_array(pytester: pytest.Pytester) -> None:
    args = "args: {x: [0.5, -0.25], W: {shape: [2, 3], seed: 4}, scale: 0.5, how: double}"
    text = "cases:\n" + user_case(
        "affine", "function: mylib.act:affine", "jacobian: mylib.act:affine_jacobian_x", args, "wrt: x"
    )
    project(pytester, text)
    run(pytester).assert_outcomes(passed=1)


def test_defaults_may_name_the_function_for_every_case(pytester: pytest.Pytester) -> None:
    text = "defaults:\n  function: mylib.act:tanh\n  jacobian: mylib.act:tanh_jacobian\ncases:\n"
    text += user_case("a", "args: {x: [0.1]}") + user_case("b", "args: {x: {shape: [3], fill: 0.5}}")
    project(pytester, text)
    run(pytester).assert_outcomes(passed=2)


def test_layer_and_user_cases_share_a_file_and_its_defaults(pytester: pytest.Pytester) -> None:
    layer = "  - name: layer\n    x: [0.1, 0.5]\n    weights: {seed: 2, scale: 0.5}\n    label: 1\n    checks: [loss]\n"
    text = "defaults:\n  inputs: 2\n  classes: 3\n  rtol: 1.0e-5\ncases:\n" + layer + TANH
    project(pytester, text)
    run(pytester).assert_outcomes(passed=2)


def test_an_xfail_mark_in_yaml_applies_to_a_user_case(pytester: pytest.Pytester) -> None:
    text = "cases:\n" + user_case(
        "known-bug",
        "function: mylib.act:tanh",
        "jacobian: mylib.act:tanh_jacobian_flipped",
        "args: {x: [0.3]}",
        "marks: [{xfail: the sign is wrong}]",
    )
    project(pytester, text)
    run(pytester, "-p", "no:cacheprovider").assert_outcomes(xfailed=1)


def test_the_rootdir_is_made_importable_for_the_run_only(pytester: pytest.Pytester) -> None:
    project(pytester, "cases:\n" + TANH.replace("mylib", "rootonly"), module="rootonly")
    root = str(pytester.path)
    assert root not in sys.path  # no conftest.py, no pythonpath: only the plugin puts it there
    run(pytester).assert_outcomes(passed=1)
    assert root not in sys.path


def report_records(pytester: pytest.Pytester, name: str = "r.json") -> dict[str, dict[str, Any]]:
    """The --gradcheck-report records by case name."""
    loaded = json.loads((pytester.path / name).read_text(encoding="utf-8"))["records"]
    return {r["case"]: r for r in loaded}


@pytest.mark.parametrize("scheme", ["central4", "complex"])  # each with a step of its own
def test_a_user_case_runs_the_scheme_it_names(pytester: pytest.Pytester, scheme: str) -> None:
    text = (
        "cases:\n"
        + TANH
        + user_case(
            "tanh-scheme",
            "function: mylib.act:tanh",
            "jacobian: mylib.act:tanh_jacobian",
            "args: {x: {shape: [4], seed: 0}}",
            f"scheme: {scheme}",
        )
    )
    project(pytester, text)
    run(pytester, "--gradcheck-report", "r.json").assert_outcomes(passed=2)
    got = report_records(pytester)
    assert (got["tanh"]["scheme"], got["tanh-scheme"]["scheme"]) == ("central", scheme)
    # the step recorded is the one the scheme chose: eps^(1/5) for central4, 1e-20 for complex
    assert got["tanh"]["step"] == pytest.approx(stencils.base_step(np.float64))
    assert got["tanh-scheme"]["step"] == pytest.approx(stencils.base_step(np.float64, scheme))
    assert got["tanh-scheme"]["step"] != pytest.approx(got["tanh"]["step"])


STACKS = """\
import threading
import time

import numpy as np


def affine(x, W):
    if W.ndim == 3:  # a stack: note whether each point is Fortran-ordered, and the thread
        with open("stacks.txt", "a") as seen:
            seen.write(f"{all(w.flags.f_contiguous for w in W)} {threading.get_ident()}\\n")
        time.sleep(0.01)  # long enough for the other worker to take a chunk too
    return np.tanh(x @ W)


def affine_jacobian_w(x, W):
    s = 1.0 - np.tanh(x @ W) ** 2
    return np.einsum("j,i,jk->jik", s, x, np.eye(W.shape[1]))
"""


def test_a_vectorized_user_case_runs_in_the_order_and_on_the_workers_it_names(pytester: pytest.Pytester) -> None:
    text = "cases:\n" + user_case(
        "affine",
        "function: mylib.stacks:affine",
        "jacobian: mylib.stacks:affine_jacobian_w",
        "args: {x: {shape: [30], seed: 0}, W: {shape: [30, 40], seed: 1, scale: 0.3}}",
        "wrt: W",
        "vectorized: true",
        "order: F",
        "workers: 2",
    )
    project(pytester, text)
    write(pytester, "mylib/stacks.py", STACKS)
    run(pytester).assert_outcomes(passed=1)
    stacks = [line.split() for line in (pytester.path / "stacks.txt").read_text().splitlines()]
    stacks = stacks[1:]  # after the stack of two copies that tests that f broadcasts
    assert len(stacks) > 2 and {f_ordered for f_ordered, _ in stacks} == {"True"}
    assert len({thread for _, thread in stacks}) == 2  # the check's thread and one more


def test_the_json_report_has_a_record_for_each_user_case(pytester: pytest.Pytester) -> None:
    text = "cases:\n" + TANH
    text += user_case("sq", "function: mylib.act:sq", "gradient: mylib.act:sq_grad", "args: {x: [0.5, -1.0, 2.0]}")
    text += user_case(
        "flipped", "function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian_flipped", "args: {x: [0.1, 0.2]}"
    )
    text += user_case(
        "known", "function: mylib.act:tanh", "vjp: mylib.act:tanh_vjp_off", "args: {x: [0.3]}", "marks: [xfail]"
    )
    text += user_case("gone", "function: mylib.nothere:f", "gradient: mylib.act:sq_grad", "args: {x: [1.0]}")
    project(pytester, text)
    run(pytester, "--gradcheck-report", "r.json").assert_outcomes(passed=2, failed=2, xfailed=1)
    got = report_records(pytester)
    assert list(got) == ["tanh", "sq", "flipped", "known", "gone"]
    keys = RECORD_KEYS
    assert all(list(r) == keys for r in got.values())  # the same keys as a layer case's record
    tanh, sq, flipped = got["tanh"], got["sq"], got["flipped"]
    assert (tanh["id"], tanh["file"], tanh["line"], tanh["check"]) == (
        "cases/x.yaml::tanh[jacobian]",
        "cases/x.yaml",
        2,
        "jacobian",
    )
    assert (tanh["outcome"], tanh["passed"], tanh["total"], tanh["mismatched"], tanh["error"]) == (
        "passed",
        True,
        16,
        0,
        None,
    )
    assert tanh["max_abs_error"] < 1e-8 and tanh["mode"] == "full" and tanh["seconds"] > 0
    assert (sq["check"], sq["outcome"], sq["total"]) == ("gradient", "passed", 3)
    assert (flipped["outcome"], flipped["passed"], flipped["mismatched"]) == ("failed", False, 2)
    assert (flipped["failed_first"], flipped["looked_again"], flipped["confirmed"]) == (2, 2, 2)
    assert tanh["failed_first"] is None  # no second look where the first comparison passes
    assert flipped["max_abs_error"] == pytest.approx(2 * (1 - np.tanh(0.1) ** 2), rel=1e-6)
    assert (got["known"]["outcome"], got["known"]["passed"], got["known"]["check"]) == ("xfailed", False, "vjp")
    gone = got["gone"]
    assert (gone["outcome"], gone["passed"], gone["max_abs_error"]) == ("failed", False, None)
    assert gone["error"] == (
        "function: cannot import 'mylib.nothere': no module named 'mylib.nothere' on sys.path, which holds the "
        f"rootdir {pytester.path}; add the folder that holds it to pythonpath in the pytest configuration"
    )
    assert (tanh["diagnosis"], flipped["diagnosis"], gone["diagnosis"]) == (None, "bug", "error")
    assert flipped["hints"] == ["analytic = -numeric: the sign is flipped"]


# -- errors in a user case, at collection: one line each ----------------------------------------


@pytest.mark.parametrize(
    ("lines", "at", "message"),
    [
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "inputs: 3", "args: {x: [1.0]}"],
            "inputs:",
            "inputs: is a key of layer cases; a user-function case passes its function's inputs in args:*",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "checks: [loss]", "args: {x: [1.0]}"],
            "checks:",
            "checks: does not apply to a user-function case*",
        ),
        (
            ["function: mylib.act:tanh", "jacobain: mylib.act:tanh_jacobian", "args: {x: [1.0]}"],
            "jacobain:",
            "jacobain: unknown key in user-function case (did you mean 'jacobian'?)*",
        ),
        (
            ["function: mylib.act:tanh", "args: {x: [1.0]}"],
            "function:",
            "function: needs its derivative: give one of jacobian:, gradient:, vjp:, backward:, jvp:, elementwise:, "
            "hessian: or hvp:",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "vjp: mylib.act:tanh_vjp", "args: {}"],
            "vjp:",
            "vjp: give only one of jacobian:, gradient:, vjp:, backward:, jvp:, elementwise:, hessian: or hvp: "
            "(or jvp: beside vjp: or backward:, gradient: beside hessian: or hvp:); this case has jacobian, vjp "
            "(null removes one the defaults give, e.g. gradient: null)",
        ),
        (
            ["function: mylib.act.tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}"],
            "function:",
            "function: 'mylib.act.tanh' is not 'module:attribute'; expected e.g. mylib.activations:tanh",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian"],
            "- name:",
            "args: missing; give the function's keyword arguments*",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args:", "  x: {seed: 0, scale: 1}"],
            "x: {seed",
            "args.x: an array spec here needs shape:, e.g. {shape: [[]4], seed: 0, scale: 1} (a mapping passed to *",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args:", "  x: [1.0, [2.0]]"],
            "x: [1.0, [2.0]]",
            "args.x: entry [[]2.0[]] is a list; expected a number",
        ),
        (
            ["function: mylib.act:affine", "jacobian: mylib.act:affine_jacobian_x", "args: {x: [1.0], W: [[1.0]]}"],
            "args:",
            "args: has several arrays (x, W); name the one to differentiate, e.g. wrt: x",
        ),
        (
            ["function: mylib.act:affine", "jacobian: mylib.act:affine_jacobian_x", "args: {x: [1.0], s: 2}", "wrt: y"],
            "wrt:",
            "wrt: 'y' is not an argument nor a module's global, named with its module: mylib.act:y; "
            "expected one of x, s",
        ),
        (
            ["function: mylib.act:affine", "jacobian: mylib.act:affine_jacobian_x", "args: {x: [1.0], s: 2}", "wrt: s"],
            "wrt:",
            "wrt: 's' is an integer; expected an array argument (a list or an array spec): one of x",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}", "vectorized: often"],
            "vectorized:",
            "vectorized: 'often' is a string; expected true or false",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}", "order: F"],
            "order:",
            "order: applies to vectorized: true only; add vectorized: true (if f broadcasts) or drop order",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}", "workers: 2"],
            "workers:",
            "workers: applies to vectorized: true only; add vectorized: true (if f broadcasts) or drop workers",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}", "vectorized: true"]
            + ["order: K"],
            "order:",
            "order: 'K' is not an order; expected one of C, F",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}", "vectorized: true"]
            + ["workers: 0"],
            "workers:",
            "workers: 0 is not positive; expected an integer 1..64",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}", "vectorized: true"]
            + ["workers: 65"],
            "workers:",
            "workers: 65 is over 64; expected an integer 1..64",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}", "vectorized: true"]
            + ["workers: two"],
            "workers:",
            "workers: 'two' is a string; expected an integer 1..64",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}", "scheme: centrel"],
            "scheme:",
            "scheme: 'centrel' is not a scheme (did you mean 'central'?); "
            "expected one of central, central4, complex, richardson",
        ),
    ],
)
def test_a_bad_user_case_fails_alone_at_its_line(
    pytester: pytest.Pytester, lines: list[str], at: str, message: str
) -> None:
    text = "cases:\n" + TANH + user_case("bad", *lines)
    project(pytester, text)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    line = line_of(text, at, start=line_of(text, "name: bad"))
    result.stdout.fnmatch_lines([f"cases/x.yaml:{line}: {message}"])


def test_a_user_case_key_in_a_layer_case_is_named_at_its_line(pytester: pytest.Pytester) -> None:
    text = "cases:\n  - name: layer\n    inputs: 2\n    classes: 3\n    x: [0.1, 0.5]\n"
    text += "    weights: {seed: 2, scale: 0.5}\n    label: 1\n    wrt: x\n"
    project(pytester, text)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["cases/x.yaml:8: wrt: belongs to a user-function case; add 'function: module:attribute'*"]
    )


# -- errors in the user's code, at run time: at the case's line, with their traceback only -------


@pytest.mark.parametrize(
    ("lines", "at", "message"),
    [
        (
            ["function: nolib.act:tanh", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}"],
            "function:",
            "function: cannot import 'nolib.act': no module named 'nolib' on sys.path, which holds the rootdir *"
            "; add the folder that holds it to pythonpath in the pytest configuration",
        ),
        (
            ["function: mylib.act:tanh", "jacobian: mylib.act:tanh_jacobain", "args: {x: [1.0]}"],
            "jacobian:",
            "jacobian: 'mylib.act' has no attribute 'tanh_jacobain' (did you mean 'tanh_jacobian'?)",
        ),
        (
            ["function: mylib.act:PI", "jacobian: mylib.act:tanh_jacobian", "args: {x: [1.0]}"],
            "function:",
            "function: 'mylib.act:PI' is float, not a function",
        ),
        (
            ["function: mylib.act:sq", "gradient: mylib.act:sq_grad_wrong_shape", "args: {x: [1.0, 2.0, 3.0]}"],
            "gradient:",
            "gradient: mylib.act:sq_grad_wrong_shape returned shape (2,); expected (3,), from x.shape (3,)",
        ),
        (
            ["function: mylib.act:tanh", "gradient: mylib.act:sq_grad", "args: {x: [1.0, 2.0]}"],
            "function:",
            "function: mylib.act:tanh returned shape (2,); a gradient: case needs a scalar function*",
        ),
        (
            ["function: mylib.act:text", "gradient: mylib.act:sq_grad", "args: {x: [1.0]}"],
            "function:",
            "function: mylib.act:text returned str of dtype <U11; expected an array of numbers",
        ),
        (
            [
                "function: mylib.act:not_broadcasting",
                "jacobian: mylib.act:not_broadcasting_jacobian",
                "vectorized: true",
                "args: {x: [1.0, 2.0]}",
            ],
            "vectorized:",
            "vectorized: mylib.act:not_broadcasting of a stack of 2 copies of x differs from its value at x;*",
        ),
        (
            ["function: mylib.act:sq", "gradient: mylib.act:sq_grad", "vectorized: true", "args: {x: [1.0, 2.0]}"],
            "vectorized:",
            "vectorized: mylib.act:sq given a stack of 2 points (2, 2) returned shape (); expected (2,)*",
        ),
    ],
)
def test_a_problem_with_the_users_function_is_reported_at_the_case(
    pytester: pytest.Pytester, lines: list[str], at: str, message: str
) -> None:
    text = "cases:\n" + TANH + user_case("bad", *lines)
    project(pytester, text)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)
    line = line_of(text, at, start=line_of(text, "name: bad"))
    result.stdout.fnmatch_lines([f"cases/x.yaml:{line}: {message}"])
    assert "Traceback" not in failures(result)
    assert "gradcheck/" not in failures(result)


def assert_only_user_frames(section: str) -> None:
    for internal in ("gradcheck/", "_pytest", "pluggy", "importlib", "usercases.py", "userplugin.py"):
        assert internal not in section, f"{internal} in\n{section}"


def test_an_exception_in_the_users_function_shows_their_traceback_only(pytester: pytest.Pytester) -> None:
    text = "cases:\n" + user_case(
        "raises", "function: mylib.act:fails", "gradient: mylib.act:sq_grad", "args: {x: [1.0]}"
    )
    project(pytester, text)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    act = ACT.splitlines()
    call, raise_ = act.index("    return _inner(x)") + 1, act.index('    raise ValueError("x must be positive")') + 1
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:3: function: mylib.act:fails raised ValueError: x must be positive",
            "*return _inner(x)",
            f"mylib/act.py:{call}: ",
            '*raise ValueError("x must be positive")',
            "E       ValueError: x must be positive",
            f"mylib/act.py:{raise_}: ValueError",
        ]
    )
    assert_only_user_frames(failures(result))


def test_writing_into_an_argument_is_refused_in_the_users_code(pytester: pytest.Pytester) -> None:
    args = "args: {x: [1.0, 2.0], W: [[1.0, 0.0], [0.0, 1.0]]}"
    text = "cases:\n" + user_case(
        "writes", "function: mylib.act:writes_into", "jacobian: mylib.act:tanh_jacobian", args, "wrt: x"
    )
    project(pytester, text)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cases/x.yaml:3: function: mylib.act:writes_into raised ValueError: *read-only*"])
    assert_only_user_frames(failures(result))


def test_a_module_that_fails_to_import_shows_the_users_line(pytester: pytest.Pytester) -> None:
    project(pytester, "cases:\n" + TANH.replace("mylib.act", "mylib.broken"))
    write(pytester, "mylib/broken.py", "import numpy as np\n\nimport no_such_dependency\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:3: function: cannot import 'mylib.broken': No module named 'no_such_dependency'",
            ">*import no_such_dependency",
            "mylib/broken.py:3: ModuleNotFoundError",
        ]
    )
    assert_only_user_frames(failures(result))


def test_a_missing_top_level_module_is_one_line(pytester: pytest.Pytester) -> None:
    project(pytester, "cases:\n" + TANH.replace("mylib.act", "nolib"))
    result = run(pytester)
    result.assert_outcomes(failed=1)
    section = [line for line in failures(result).splitlines() if line.strip() and not line.startswith(("_", "="))]
    assert section == [
        "cases/x.yaml:3: function: cannot import 'nolib': no module named 'nolib' on sys.path, which holds the "
        f"rootdir {pytester.path}; add the folder that holds it to pythonpath in the pytest configuration"
    ]


def test_functions_are_imported_when_the_case_runs_not_when_it_is_collected(pytester: pytest.Pytester) -> None:
    project(pytester, "cases:\n" + TANH.replace("mylib.act", "mylib.noisy"))
    write(pytester, "mylib/noisy.py", ACT + "\nraise RuntimeError('imported')\n")
    result = run(pytester, "--co", "-q")
    assert result.ret == pytest.ExitCode.OK
    assert [line for line in result.outlines if "::" in line] == ["cases/x.yaml::tanh[jacobian]"]
    ran = run(pytester)
    ran.assert_outcomes(failed=1)
    ran.stdout.fnmatch_lines(["cases/x.yaml:3: function: importing 'mylib.noisy' raised RuntimeError: imported"])


@pytest.mark.parametrize(
    ("defaults", "message"),
    [
        (
            "  function: mylib.act:tanh\n  jacobain: mylib.act:tanh_jacobian\n",
            "jacobain: unknown key in defaults (did you mean 'jacobian'?); expected one of name, description, fun*",
        ),
        (
            "  fucntion: mylib.act:tanh\n",
            "fucntion: unknown key in defaults (did you mean 'function'?); expected one of name, description, fun*",
        ),
    ],
)
def test_a_typo_in_the_defaults_of_user_cases_names_their_keys(
    pytester: pytest.Pytester, defaults: str, message: str
) -> None:
    project(pytester, "defaults:\n" + defaults + "cases:\n" + TANH)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"cases/x.yaml:{defaults.count(chr(10)) + 1}: {message}"])
