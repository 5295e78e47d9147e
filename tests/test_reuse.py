"""Reuse in another project: tolerance and pattern settings, the jacobian_check fixture, the extension hooks."""

from __future__ import annotations

import pytest
from pluginrun import run, sections, write

# A user's module whose derivative is off by a relative 1e-4: it fails the default rtol (1e-6)
# and passes an rtol of 1e-3.
NEAR = """\
import numpy as np


def cube(x):
    return x**3


def cube_jacobian_near(x):
    return np.diag(3.0 * x**2 * (1.0 + 1e-4))
"""

NEAR_CASE = """\
cases:
  - name: near
    function: near:cube
    jacobian: near:cube_jacobian_near
    args: {x: [0.5, 1.5, -2.0]}
"""

LAYER = """\
  - name: layer
    inputs: 2
    classes: 3
    x: [0.1, 0.5]
    weights: {seed: 2, scale: 0.5}
    label: 1
"""


def collected(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if "::" in line]


# -- tolerances: case > command line > ini > default -------------------------------------------


@pytest.mark.parametrize(
    ("ini", "cli", "case_rtol", "outcome", "rtol_shown"),
    [
        ("", [], "", "failed", "1e-06"),  # the default
        ("gradcheck_rtol = 1e-3\n", [], "", "passed", None),  # ini loosens
        ("gradcheck_rtol = 1e-3\n", ["--gradcheck-rtol", "1e-7"], "", "failed", "1e-07"),  # command line over ini
        ("", ["--gradcheck-rtol", "1e-7"], "    rtol: 1.0e-3\n", "passed", None),  # the case over everything
        ("gradcheck_rtol = 1e-9\ngradcheck_atol = 0.01\n", [], "", "passed", None),  # atol from the ini
    ],
)
def test_tolerance_precedence(
    pytester: pytest.Pytester, ini: str, cli: list[str], case_rtol: str, outcome: str, rtol_shown: str | None
) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n" + ini)
    write(pytester, "near.py", NEAR)
    write(pytester, "cases/x.yaml", NEAR_CASE + case_rtol)
    result = run(pytester, *cli)
    result.assert_outcomes(**{outcome: 1})
    if rtol_shown is not None:
        result.stdout.fnmatch_lines([f"*differ beyond rtol={rtol_shown}, atol=*"])


def test_ini_tolerances_reach_layer_cases_too(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\ngradcheck_rtol = 1e-15\ngradcheck_atol = 0\n")
    write(pytester, "cases/x.yaml", "cases:\n" + LAYER + "    checks: [loss]\n")
    result = run(pytester, "--junitxml=out.xml")
    assert 'name="rtol" value="1e-15"' in (pytester.path / "out.xml").read_text()
    assert 'name="atol" value="0.0"' in (pytester.path / "out.xml").read_text()
    assert result.ret in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)


def test_tolerances_in_pyproject_toml(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ngradcheck_cases = ["cases"]\ngradcheck_rtol = "1e-3"\n')
    write(pytester, "near.py", NEAR)
    write(pytester, "cases/x.yaml", NEAR_CASE)
    run(pytester).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("args", "ini", "message"),
    [
        (["--gradcheck-rtol", "tight"], "", "*--gradcheck-rtol: 'tight' is not a number; expected e.g. 1e-6*"),
        (["--gradcheck-atol", "-1"], "", "*--gradcheck-atol: '-1' is not a non-negative number*"),
        ([], "gradcheck_rtol = 0\n", "*gradcheck_rtol: '0' is not a positive number*"),
        ([], "gradcheck_atol = nan\n", "*gradcheck_atol: 'nan' is not a non-negative number*"),
    ],
)
def test_bad_tolerance_settings_are_usage_errors(
    pytester: pytest.Pytester, args: list[str], ini: str, message: str
) -> None:
    pytester.makeini("[pytest]\n" + ini)
    result = run(pytester, *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])


def test_new_options_are_in_help(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(
        [
            "gradcheck: derivative checks from YAML case files:",
            "*--gradcheck-rtol=RTOL*",
            "*--gradcheck-atol=ATOL*",
            "*gradcheck_rtol (string)*",
            "*gradcheck_atol (string)*",
            "*gradcheck_pattern (args)*",
        ]
    )


# -- which files are case files ---------------------------------------------------------------


def test_pattern_setting_picks_the_case_files(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = tests\ngradcheck_pattern = *.case.yaml *.cases.yml\n")
    write(pytester, "tests/data/config.yaml", "not: a case file\n")
    write(pytester, "tests/a.case.yaml", "cases:\n" + LAYER + "    checks: [loss]\n")
    write(pytester, "tests/b.cases.yml", "cases:\n" + LAYER + "    checks: [softmax]\n")
    write(pytester, "tests/test_plain.py", "def test_plain():\n    pass\n")
    result = run(pytester, "--co", "-q")
    assert sorted(collected(result)) == [
        "tests/a.case.yaml::layer[loss]",
        "tests/b.cases.yml::layer[softmax]",
        "tests/test_plain.py::test_plain",
    ]


def test_default_pattern_claims_yaml_and_yml(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "cases/a.yaml", "cases:\n" + LAYER + "    checks: [loss]\n")
    write(pytester, "cases/b.yml", "cases:\n" + LAYER + "    checks: [loss]\n")
    write(pytester, "cases/c.json", "{}")
    assert sorted(collected(run(pytester, "--co", "-q"))) == ["cases/a.yaml::layer[loss]", "cases/b.yml::layer[loss]"]


# -- the jacobian_check fixture ------------------------------------------------------------------

FIXTURE_TESTS = """\
import numpy as np


def cube(x):
    return x**3


def test_right(jacobian_check):
    x = np.array([0.5, 1.5, -2.0])
    result = jacobian_check(cube, x, lambda x: np.diag(3 * x**2))
    assert result.passed and result.total == 9


def test_near(jacobian_check):
    x = np.array([0.5, 1.5, -2.0])
    jacobian_check(cube, x, np.diag(3 * x**2 * (1 + 1e-4)), wrt="x", of="cube")


def test_near_with_its_own_rtol(jacobian_check):
    x = np.array([0.5, 1.5, -2.0])
    jacobian_check(cube, x, np.diag(3 * x**2 * (1 + 1e-4)), rtol=1e-6)
"""


def test_fixture_passes_and_fails_with_the_report_without_plugin_frames(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fix=FIXTURE_TESTS)
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*_ test_near _*",
            "gradcheck of dcube/dx: FAILED",
            "  numeric: central differences*",
            "  3 of 9 entries differ beyond rtol=1e-06, atol=1e-08",
            "*worst entries:",
            "*dcube[[]2[]]/dx[[]2[]]*",
        ]
    )
    out = result.stdout.str()
    for internal in ("userplugin.py", "verify.py", "def check(", "_pytest", "Traceback"):
        assert internal not in out


TWO_CALLS = """\
import numpy as np


def helper(jacobian_check, x, factor):
    return jacobian_check(np.tanh, x, lambda x: factor * np.diag(1 - np.tanh(x) ** 2))


def test_two_calls(jacobian_check):
    x = np.array([0.5, -1.0])
    helper(jacobian_check, x, 1.0)
    jacobian_check(np.tanh, x, lambda x: np.diag(1 - np.tanh(x) ** 2), of="tanh")
    jacobian_check(np.tanh, x, lambda x: 2 * np.diag(1 - np.tanh(x) ** 2), of="tanh")
"""


def test_a_fixture_failure_names_the_line_of_the_call_that_failed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_two=TWO_CALLS)
    result = run(pytester)
    result.assert_outcomes(failed=1)
    (section,) = sections(result).values()
    assert section[:2] == [
        'test_two.py:12: jacobian_check(np.tanh, x, lambda x: 2 * np.diag(1 - np.tanh(x) ** 2), of="tanh")',
        "gradcheck of dtanh/dx: FAILED",
    ]
    for internal in ("fixture.py", "verify.py", "_pytest", "Traceback"):
        assert internal not in result.stdout.str()


def test_a_fixture_failure_in_a_helper_names_the_helpers_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_two=TWO_CALLS.replace("x, 1.0)", "x, 3.0)"))
    result = run(pytester)
    (section,) = sections(result).values()
    assert section[0].startswith("test_two.py:5: return jacobian_check(np.tanh, x, "), section[0]


def test_fixture_honours_the_ini_rtol_and_an_explicit_rtol_wins(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_rtol = 1e-3\n")
    pytester.makepyfile(test_fix=FIXTURE_TESTS)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_near PASSED*", "*test_near_with_its_own_rtol FAILED*"])


def test_fixture_honours_the_command_line_atol(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fix=FIXTURE_TESTS)
    result = run(pytester, "--gradcheck-rtol", "1e-9", "--gradcheck-atol", "0.01", "-k", "test_near and not own")
    result.assert_outcomes(passed=1, deselected=2)


# -- the hooks ---------------------------------------------------------------------------------

RELU_CONFTEST = """\
import numpy as np

from gradcheck.checks import Check


def relu(z):
    return np.maximum(z, 0.0)


def relu_check(case):
    z = case.x @ case.weights + 0.05  # logits, away from the kink at 0 for these cases
    return Check("my_relu", relu, z, lambda z: np.diag((z > 0).astype(float)), of="relu", wrt="z", vectorized=True)


def wrong_relu_check(case):
    z = case.x @ case.weights + 0.05
    return Check("wrong_relu", relu, z, lambda z: np.diag((z < 0).astype(float)), of="relu", wrt="z")


def pytest_gradcheck_register_checks(registry, config):
    registry.register("my_relu", relu_check)
    registry.register("wrong_relu", wrong_relu_check)
"""


def test_a_conftest_registers_a_check_that_yaml_names(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(RELU_CONFTEST)
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "cases/x.yaml", "cases:\n" + LAYER + "    checks: [my_relu, loss, wrong_relu]\n")
    assert collected(run(pytester, "--co", "-q")) == [
        "cases/x.yaml::layer[my_relu]",
        "cases/x.yaml::layer[loss]",
        "cases/x.yaml::layer[wrong_relu]",
    ]
    result = run(pytester, "-v")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*layer[[]my_relu[]] PASSED*", "gradcheck: check 'wrong_relu' of case 'layer'*"])


def test_a_check_nobody_registered_is_an_error_at_its_line(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "cases/x.yaml", "cases:\n" + LAYER + "    checks: [my_relu]\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["cases/x.yaml:8: checks: 'my_relu' is not a known check*"])


def test_a_conftest_next_to_the_cases_registers_before_they_are_collected(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "cases/deep/conftest.py", RELU_CONFTEST)
    write(pytester, "cases/deep/x.yaml", "cases:\n" + LAYER + "    checks: [my_relu]\n")
    run(pytester).assert_outcomes(passed=1)


def test_registering_a_taken_name_is_an_error(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "def pytest_gradcheck_register_checks(registry):\n    registry.register('loss', lambda case: None)\n"
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: conftest.py:2: pytest_gradcheck_register_checks: 'loss' is a built-in check; *another name"]
    )


ADJUST_CONFTEST = """\
import dataclasses


def pytest_gradcheck_adjust_case(case, check, config):
    if case.name == "loosen":
        return dataclasses.replace(case, rtol=1e-3)
    if case.name == "bad":
        return "not a case"
    return None
"""


def test_adjust_case_changes_a_case_before_it_runs(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(ADJUST_CONFTEST)
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "near.py", NEAR)
    text = NEAR_CASE + NEAR_CASE.split("cases:\n", 1)[1].replace("name: near", "name: loosen")
    text += NEAR_CASE.split("cases:\n", 1)[1].replace("name: near", "name: bad")
    write(pytester, "cases/x.yaml", text)
    result = run(pytester, "-v")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*near[[]jacobian[]] FAILED*",
            "*loosen[[]jacobian[]] PASSED*",
            "*bad[[]jacobian[]] FAILED*",
            "cases/x.yaml:10: pytest_gradcheck_adjust_case in conftest.py:4 returned a str ('not a case'); "
            "expected a FunctionCase (dataclasses.replace(case, ...)) or None",
        ]
    )


def test_adjust_case_sees_the_check_of_a_layer_item(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import dataclasses\n\n"
        "def pytest_gradcheck_adjust_case(case, check):\n"
        "    return dataclasses.replace(case, rtol=1e-15, atol=0.0) if check == 'softmax' else None\n"
    )
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "cases/x.yaml", "cases:\n" + LAYER + "    checks: [softmax, loss]\n")
    run(pytester, "--junitxml=out.xml")
    xml = (pytester.path / "out.xml").read_text()
    assert xml.count('name="rtol" value="1e-15"') == 1
    assert xml.count('name="rtol" value="1e-06"') == 1
