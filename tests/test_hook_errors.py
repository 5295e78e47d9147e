"""The extension hooks misused, as a user sees it: one line naming the conftest (file:line), the
hook and what was expected; no INTERNALERROR, and no pytest, pluggy or gradcheck frames."""

from __future__ import annotations

import json

import pytest
from pluginrun import SEED, run, sections, write

# A check that can be registered: f and its derivative of the case's logits.
CHECK = """\
import numpy as np

from gradcheck.checks import Check


def logits(case):
    return Check("my", np.tanh, case.x @ case.weights, lambda z: np.diag(1 - np.tanh(z) ** 2), wrt="z")
"""


def register(*lines: str) -> str:
    """A conftest whose register hook (at line 10, its body from 11) holds `lines`."""
    body = "".join(f"    {line}\n" for line in lines)
    return f"{CHECK}\n\ndef pytest_gradcheck_register_checks(registry):\n{body}"


def assert_no_internals(result: pytest.RunResult) -> None:
    out = result.stdout.str() + result.stderr.str()
    for internal in ("INTERNALERROR", "Traceback", "pluggy/", "_pytest/", "gradcheck/"):
        assert internal not in out


REGISTRATION = [
    (
        register("registry.register('softmax', logits)"),
        "conftest.py:11: pytest_gradcheck_register_checks: 'softmax' is a built-in check; "
        "register yours under another name",
    ),
    (
        register("registry.register('my', logits)", "registry.register('my', logits)"),
        "conftest.py:12: pytest_gradcheck_register_checks: 'my' is already registered by conftest.py:10; "
        "register each name once",
    ),
    (
        register("registry.register('my relu', logits)"),
        "conftest.py:11: pytest_gradcheck_register_checks: check name 'my relu' is not made of letters, digits, "
        "_, . and -; expected e.g. 'my_check'",
    ),
    (
        register("registry.register(3, logits)"),
        "conftest.py:11: pytest_gradcheck_register_checks: check name 3 is not made of letters, digits, _, . and -; "
        "expected e.g. 'my_check'",
    ),
    (
        register("registry.register('my', logits(None))"),
        "conftest.py:7: pytest_gradcheck_register_checks raised AttributeError: 'NoneType' object has no "
        "attribute 'x'",  # where it was raised: in logits, which the hook called
    ),
    (
        register("registry.register('my', 42)"),
        "conftest.py:11: pytest_gradcheck_register_checks: the builder of 'my' is int, not callable; "
        "expected a function that takes the layer Case and returns a gradcheck.checks.Check",
    ),
    (
        register("registry.register('my')"),
        "conftest.py:11: pytest_gradcheck_register_checks raised TypeError: "
        "Registry.register() missing 1 required positional argument: 'builder'",
    ),
    (
        register("raise RuntimeError('no GPU here')"),
        "conftest.py:11: pytest_gradcheck_register_checks raised RuntimeError: no GPU here",
    ),
    (
        "def pytest_gradcheck_adjust_cases(case):\n    return None\n",
        "conftest.py:1: pytest_gradcheck_adjust_cases is not a gradcheck hook (did you mean "
        "'pytest_gradcheck_adjust_case'?); expected one of pytest_gradcheck_register_checks, "
        "pytest_gradcheck_adjust_case",
    ),
]


@pytest.mark.parametrize(
    ("conftest", "expected"), REGISTRATION, ids=[e.split(": ", 2)[-1][:50] for _, e in REGISTRATION]
)
def test_a_registration_problem_is_one_usage_error(pytester: pytest.Pytester, conftest: str, expected: str) -> None:
    pytester.makeconftest(conftest)
    write(pytester, "cases/x.yaml", SEED)
    result = run(pytester, "--gradcheck-cases", "cases")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [line for line in result.errlines if line.strip()] == [f"ERROR: {expected}"]
    assert_no_internals(result)


def test_a_clash_in_a_conftest_found_while_collecting_is_one_collection_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(register("registry.register('my', logits)"))
    write(pytester, "cases/x.yaml", SEED)
    write(pytester, "cases/deep/conftest.py", register("registry.register('my', logits)"))
    write(pytester, "cases/deep/y.yaml", SEED)
    result = run(pytester, "--gradcheck-cases", "cases")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert sections(result)["ERROR collecting cases/deep"] == [
        "cases/deep/conftest.py:11: pytest_gradcheck_register_checks: 'my' is already registered by "
        "conftest.py:10; register each name once"
    ]
    assert_no_internals(result)


# -- a registered check's builder, and the check it builds ------------------------------------

MY_CASE = SEED + "    checks: [my, loss]\n"
BUILDERS = [
    (
        "def bad(case):\n    return None\n",
        "cases/x.yaml:2: check 'my' (registered in conftest.py:14): its builder returned None; "
        "expected a gradcheck.checks.Check",
    ),
    (
        "def bad(case):\n    return logits\n",
        "cases/x.yaml:2: check 'my' (registered in conftest.py:14): its builder returned a function; "
        "expected a gradcheck.checks.Check",
    ),
    (
        "def bad(case):\n    return Check('my', lambda z: None, case.x, np.eye(3))\n",
        "cases/x.yaml:2: check 'my' (registered in conftest.py:14): f returned None at x; "
        "expected a real number or an array of them",
    ),
    (
        "def bad(case):\n    return Check('my', np.tanh, case.x, np.eye(3), vectorized=True, workers=0)\n",
        "cases/x.yaml:2: check 'my' (registered in conftest.py:14): workers must be a positive integer, got 0",
    ),
]


@pytest.mark.parametrize(("builder", "expected"), BUILDERS, ids=["none", "function", "f-none", "workers"])
def test_a_builder_that_returns_the_wrong_thing_fails_its_item_alone(
    pytester: pytest.Pytester, builder: str, expected: str
) -> None:
    pytester.makeconftest(
        f"{CHECK}\n\n{builder}\n\ndef pytest_gradcheck_register_checks(registry):\n    registry.register('my', bad)\n"
    )
    write(pytester, "cases/x.yaml", MY_CASE)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=1, failed=1)
    assert sections(result)["seed[my]"] == [expected]
    assert_no_internals(result)


def test_an_exception_from_a_builder_or_its_check_shows_only_the_users_frames(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        f"{CHECK}\n\ndef explode(case):\n    raise ValueError('no such layer')\n\n\n"
        "def undefined(case):\n    return Check('div', lambda z: z.undefined, case.x, np.eye(3))\n\n\n"
        "def pytest_gradcheck_register_checks(registry):\n"
        "    registry.register('explode', explode)\n    registry.register('div', undefined)\n"
    )
    write(pytester, "cases/x.yaml", SEED + "    checks: [explode, div]\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=2)
    found = sections(result)
    assert found["seed[explode]"][0] == (
        "cases/x.yaml:2: check 'explode' (registered in conftest.py:18): its builder raised ValueError: no such layer"
    )
    assert found["seed[div]"][0] == (
        "cases/x.yaml:2: check 'div' (registered in conftest.py:18) raised AttributeError: "
        "'numpy.ndarray' object has no attribute 'undefined'"
    )
    assert found["seed[explode]"][-1] == "conftest.py:11: ValueError"  # the user's frame, and only theirs
    assert found["seed[div]"][-1] == "conftest.py:15: AttributeError"
    assert_no_internals(result)


# -- pytest_gradcheck_adjust_case -------------------------------------------------------------

ADJUSTS = [
    (
        "def pytest_gradcheck_adjust_case(case):\n    return 42\n",
        "cases/x.yaml:2: pytest_gradcheck_adjust_case in conftest.py:4 returned an int (42); "
        "expected a Case (dataclasses.replace(case, ...)) or None",
    ),
    (
        "def pytest_gradcheck_adjust_case(case):\n    return {'rtol': 1e-3}\n",
        "cases/x.yaml:2: pytest_gradcheck_adjust_case in conftest.py:4 returned a dict ({'rtol': 0.001}); "
        "expected a Case (dataclasses.replace(case, ...)) or None",
    ),
    (
        "def pytest_gradcheck_adjust_case(case):\n    return case.loosened\n",
        "cases/x.yaml:2: pytest_gradcheck_adjust_case in conftest.py:5 raised AttributeError: "
        "'Case' object has no attribute 'loosened'",
    ),
    (
        "def pytest_gradcheck_adjust_case(case):\n    return dataclasses.replace(case, step=1e-300)\n",
        "cases/x.yaml:2: step 1e-300 underflowed to 0 at W[0, 0] = 0.1: x + h rounds to x; expected a relative step "
        "of at least 2.2e-16 (after pytest_gradcheck_adjust_case in conftest.py:4 changed the case)",
    ),
]


@pytest.mark.parametrize(("hook", "expected"), ADJUSTS, ids=["int", "dict", "raises", "step"])
def test_an_adjust_hook_that_misbehaves_fails_each_item_with_one_line(
    pytester: pytest.Pytester, hook: str, expected: str
) -> None:
    pytester.makeconftest(f"import dataclasses\n\n\n{hook}")
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    assert sections(result)["seed[loss]"][0] == expected
    assert_no_internals(result)


def test_a_step_that_underflows_in_a_case_file_fails_at_its_line(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n    step: 1.0e-300\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    assert sections(result) == {
        "seed[loss]": [
            "cases/x.yaml:12: step 1e-300 underflowed to 0 at W[0, 0] = 0.1: x + h rounds to x; "
            "expected a relative step of at least 2.2e-16"
        ]
    }


def test_an_adjust_wrapper_is_run_by_pluggy_and_a_wrong_result_still_names_the_implementations(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        "import pytest\n\n\n@pytest.hookimpl(wrapper=True)\ndef pytest_gradcheck_adjust_case(case):\n"
        "    return (yield)\n"
    )
    write(pytester, "cases/conftest.py", "def pytest_gradcheck_adjust_case(case):\n    return 42\n")
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    assert sections(result)["seed[loss]"] == [
        "cases/x.yaml:2: pytest_gradcheck_adjust_case in cases/conftest.py:1 or conftest.py:4 returned an int (42); "
        "expected a Case (dataclasses.replace(case, ...)) or None"
    ]


# -- a function case's function that returns the wrong thing away from x --------------------------


def test_a_function_that_returns_none_near_x_fails_at_the_function_line(pytester: pytest.Pytester) -> None:
    write(
        pytester,
        "branch.py",
        "import numpy as np\n\n\ndef f(x):\n    if x[0] >= 0.5:\n        return x**2\n\n\n"
        "def J(x):\n    return np.diag(2 * x)\n",
    )
    write(
        pytester,
        "cases/x.yaml",
        "cases:\n  - name: branch\n    function: branch:f\n    jacobian: branch:J\n    args: {x: [0.5, 1.0]}\n",
    )
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    assert sections(result)["branch[jacobian]"] == [
        "cases/x.yaml:3: function: branch:f: f returned None at x with x[0] moved by -6.06e-06; "
        "expected a real number or an array of them"
    ]
    assert_no_internals(result)


def test_the_json_report_carries_the_hooks_one_line(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("def pytest_gradcheck_adjust_case(case):\n    return 42\n")
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n")
    run(pytester, "--gradcheck-cases", "cases", "--gradcheck-report", "r.json").assert_outcomes(failed=1)
    [record] = json.loads((pytester.path / "r.json").read_text())["records"]
    assert record["passed"] is False
    assert record["error"] == (
        "pytest_gradcheck_adjust_case in conftest.py:1 returned an int (42); "
        "expected a Case (dataclasses.replace(case, ...)) or None"
    )
