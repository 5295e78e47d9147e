"""The plugin as a user runs it: collection, ids, selection, ini, reports, marks, JUnit XML."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from pluginrun import CHECKS, PLANTED_LOSS_GRAD, SEED, run, write

import gradcheck.functions

# `- name: seed` sits on line 2 of this text (1-based).

# A bug planted in the built-in shortcut gradient for the inner run only: patched in
# pytest_configure, undone in pytest_unconfigure, so nothing leaks into this process.


def case(name: str, *, extra: str = "", inputs: int = 2, classes: int = 3) -> str:
    """One small valid case as an item of `cases:`; `extra` holds more keys, one a line."""
    lines = [
        f"- name: {name}",
        f"  inputs: {inputs}",
        f"  classes: {classes}",
        "  x: {seed: 1, scale: 1.0}",
        "  weights: {seed: 2, scale: 0.5}",
        "  label: 1",
        *(f"  {line}" for line in extra.splitlines()),
    ]
    return "".join(f"  {line}\n" for line in lines)


def collected(result: pytest.RunResult) -> list[str]:
    """The node ids listed by `--collect-only -q`."""
    return [line for line in result.outlines if "::" in line]


def ids(relpath: str, name: str, checks: list[str] = CHECKS) -> list[str]:
    return [f"{relpath}::{name}[{check}]" for check in checks]


# -- outcomes and ids ---------------------------------------------------------------------


def test_valid_case_gives_one_passing_item_per_check(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    result = run(pytester, "--gradcheck-cases", "cases", "-v")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines([f"cases/x.yaml::seed[[]{check}[]] PASSED*" for check in CHECKS])
    assert result.ret == pytest.ExitCode.OK


def test_checks_key_limits_the_items(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", "cases:\n" + case("only-loss", extra="checks: [loss]\n"))
    result = run(pytester, "--gradcheck-cases", "cases", "--collect-only", "-q")
    assert collected(result) == ["cases/x.yaml::only-loss[loss]"]
    run(pytester, "--gradcheck-cases", "cases").assert_outcomes(passed=1)


def test_cases_and_files_add_up(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/a.yaml", "cases:\n" + case("one") + case("two", extra="checks: [softmax, chain]\n"))
    write(pytester, "cases/sub/b.yml", "cases:\n" + case("three", extra="checks: [layer]\n"))
    write(pytester, "more/c.yaml", SEED)
    result = run(pytester, "--gradcheck-cases", "cases", "--gradcheck-cases", "more")
    result.assert_outcomes(passed=5 + 2 + 1 + 5)


def test_collect_only_lists_ids_in_file_and_check_order(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", "cases:\n" + case("first") + case("second", extra="checks: [loss, softmax]\n"))
    result = run(pytester, "--gradcheck-cases", "cases", "--collect-only", "-q")
    assert collected(result) == [
        *ids("cases/x.yaml", "first"),
        "cases/x.yaml::second[loss]",
        "cases/x.yaml::second[softmax]",
    ]


def test_a_node_id_runs_one_item(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    result = run(pytester, "cases/x.yaml::seed[chain]", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["cases/x.yaml::seed[[]chain[]] PASSED*"])


# -- selection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("loss", ["cases/x.yaml::seed[loss]", "cases/x.yaml::other[loss]"]),
        ("seed and not chain", ids("cases/x.yaml", "seed", ["softmax", "layer", "cross_entropy", "loss"])),
        ("other and (softmax or layer)", ids("cases/x.yaml", "other", ["softmax", "layer"])),
    ],
)
def test_keyword_expression_selects_items(pytester: pytest.Pytester, expression: str, expected: list[str]) -> None:
    write(pytester, "cases/x.yaml", SEED + case("other"))
    result = run(pytester, "--gradcheck-cases", "cases", "--collect-only", "-q", "-k", expression)
    assert collected(result) == expected
    result.stdout.fnmatch_lines([f"{len(expected)}/10 tests collected ({10 - len(expected)} deselected)*"])


def test_gradcheck_marker_selects_cases_not_ordinary_tests(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(pytester, "--gradcheck-cases", "cases", "test_plain.py", "-m", "gradcheck", "--co", "-q")
    assert collected(result) == ids("cases/x.yaml", "seed")
    inverse = run(pytester, "--gradcheck-cases", "cases", "test_plain.py", "-m", "not gradcheck")
    inverse.assert_outcomes(passed=1, deselected=5)


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.gradcheck: a derivative check collected from a YAML case file"])
    assert result.ret == pytest.ExitCode.OK


def test_gradcheck_marker_passes_strict_markers(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    result = run(pytester, "--gradcheck-cases", "cases", "--strict-markers", "-m", "gradcheck")
    result.assert_outcomes(passed=5)


def test_options_are_in_help(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    result.stdout.fnmatch_lines(["*--gradcheck-cases=PATH*", "*gradcheck_cases (paths):*", "*gradcheck_max_elements*"])


# -- the ini setting ----------------------------------------------------------------------


def test_ini_setting_runs_cases_with_ordinary_tests(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "cases/x.yaml", SEED)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(pytester, "--collect-only", "-q")
    assert sorted(collected(result)) == sorted([*ids("cases/x.yaml", "seed"), "test_plain.py::test_plain"])
    run(
        pytester,
    ).assert_outcomes(passed=6)


def test_ini_setting_in_pyproject_with_testpaths(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\ngradcheck_cases = ["cases"]\n')
    write(pytester, "cases/x.yaml", SEED)
    write(pytester, "tests/test_in_testpaths.py", "def test_in_testpaths():\n    pass\n")
    write(pytester, "elsewhere/test_elsewhere.py", "def test_elsewhere():\n    pass\n")
    result = run(pytester, "--collect-only", "-q")
    assert sorted(collected(result)) == sorted(
        [*ids("cases/x.yaml", "seed"), "tests/test_in_testpaths.py::test_in_testpaths"]
    )
    run(
        pytester,
    ).assert_outcomes(passed=6)


def test_ini_setting_with_testpaths_from_a_subdirectory(pytester: pytest.Pytester) -> None:
    # pytest ignores testpaths when run below the rootdir; so must the plugin.
    pytester.makeini("[pytest]\ntestpaths = tests\ngradcheck_cases = cases\n")
    write(pytester, "cases/x.yaml", SEED)
    write(pytester, "tests/test_a.py", "def test_a():\n    pass\n")
    write(pytester, "sub/test_sub.py", "def test_sub():\n    pass\n")
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(pytester.path / "sub")
        result = run(pytester, "--collect-only", "-q")
    assert sorted(collected(result)) == sorted([*ids("cases/x.yaml", "seed"), "sub/test_sub.py::test_sub"])


def test_ini_setting_with_globbed_testpaths(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ntestpaths = tes*\ngradcheck_cases = cases\n")
    write(pytester, "cases/x.yaml", SEED)
    write(pytester, "tests/test_a.py", "def test_a():\n    pass\n")
    run(
        pytester,
    ).assert_outcomes(passed=6)


def test_ini_setting_with_positional_args_runs_only_those(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "cases/x.yaml", SEED)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(pytester, "test_plain.py", "--collect-only", "-q")
    assert collected(result) == ["test_plain.py::test_plain"]
    only_cases = run(pytester, "cases", "--collect-only", "-q")
    assert collected(only_cases) == ids("cases/x.yaml", "seed")


def test_command_line_option_adds_to_positional_args(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    run(pytester, "test_plain.py", "--gradcheck-cases", "cases").assert_outcomes(passed=6)


def test_disabled_plugin_collects_no_yaml(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(pytester, "-p", "no:gradcheck", "cases", "test_plain.py", "--collect-only", "-q")
    assert collected(result) == ["test_plain.py::test_plain"]
    assert "--gradcheck-cases" not in run(pytester, "-p", "no:gradcheck", "--help").stdout.str()


# -- which files are claimed --------------------------------------------------------------


def test_only_yaml_under_the_case_paths_is_claimed(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    write(pytester, "cases/y.yml", SEED)
    write(pytester, "cases/notes.txt", SEED)
    write(pytester, "cases/data.json", '{"cases": []}')
    write(pytester, "cases/x.yaml.bak", SEED)
    write(pytester, "other/outside.yaml", SEED)
    pytester.makepyfile(test_plain="def test_plain():\n    pass\n")
    result = run(pytester, "--gradcheck-cases", "cases", ".", "--collect-only", "-q")
    assert sorted(collected(result)) == sorted(
        [*ids("cases/x.yaml", "seed"), *ids("cases/y.yml", "seed"), "test_plain.py::test_plain"]
    )


def test_a_yaml_file_named_on_the_command_line_is_collected(pytester: pytest.Pytester) -> None:
    write(pytester, "other/outside.yaml", SEED)
    result = run(pytester, "other/outside.yaml", "--collect-only", "-q")
    assert collected(result) == ids("other/outside.yaml", "seed")
    nothing = run(pytester, "other", "--collect-only", "-q")
    assert collected(nothing) == []
    assert nothing.ret == pytest.ExitCode.NO_TESTS_COLLECTED


# -- failure reports ----------------------------------------------------------------------


@pytest.mark.parametrize("tb", ["auto", "long", "short", "native"])
def test_failure_report_names_everything_and_shows_no_internals(pytester: pytest.Pytester, tb: str) -> None:
    original = gradcheck.functions.loss_grad
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    write(pytester, "cases/x.yaml", SEED + "    rtol: 2.0e-6\n    atol: 3.0e-8\n    step: 1.0e-6\n")
    result = run(pytester, "--gradcheck-cases", "cases", f"--tb={tb}")
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ seed[[]loss[]] _*",
            "gradcheck: check 'loss' of case 'seed' (cases/x.yaml:2): FAILED",
            "*step 1e-06*",
            "*1 of 15 entries*rtol=2e-06, atol=3e-08*",
            "*max abs error 0.001*max rel error 0.01*",
            "*W[[]2, 1[]] *0.0824* *0.0814*",
            "FAILED cases/x.yaml::seed[[]loss[]]*",
        ]
    )
    out = result.stdout.str()
    for internal in ("gradcheck/plugin.py", "Traceback", "raise CheckFailed", "CheckFailed", "runtest"):
        assert internal not in out
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert gradcheck.functions.loss_grad is original  # the inner run's patch did not leak


def test_planted_bug_fails_only_the_checks_that_use_it(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    write(pytester, "cases/x.yaml", SEED + case("other", inputs=3, classes=4))
    result = run(pytester, "--gradcheck-cases", "cases", "-rf")
    result.assert_outcomes(passed=8, failed=2)
    result.stdout.fnmatch_lines(["FAILED cases/x.yaml::seed[[]loss[]]*", "FAILED cases/x.yaml::other[[]loss[]]*"])


# -- marks --------------------------------------------------------------------------------


def test_xfail_mark_on_a_case_with_a_planted_bug(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n    marks: [xfail]\n")
    result = run(pytester, "--gradcheck-cases", "cases", "-rx")
    result.assert_outcomes(xfailed=1)
    result.stdout.fnmatch_lines(["XFAIL cases/x.yaml::seed[[]loss[]]*"])


def test_xfail_mark_with_a_reason_mapping(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    marks = '    checks: [loss, softmax]\n    marks: [{xfail: {reason: "shortcut is off at W[2, 1]", strict: true}}]\n'
    write(pytester, "cases/x.yaml", SEED + marks)
    result = run(pytester, "--gradcheck-cases", "cases", "-rx")
    # strict: the softmax check passes, and an unexpected pass fails.
    result.assert_outcomes(xfailed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "XFAIL cases/x.yaml::seed[[]loss[]] - shortcut is off at W[[]2, 1[]]",
        ]
    )
    result.stdout.fnmatch_lines(["*_ seed[[]softmax[]] _*", "[[]XPASS(strict)[]] shortcut is off at W[[]2, 1[]]"])


def test_skip_mark_with_a_reason_string(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED + "    checks: [layer, chain]\n    marks: [{skip: too slow today}]\n")
    result = run(pytester, "--gradcheck-cases", "cases", "-rs")
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["SKIPPED [[]2[]] cases/x.yaml: too slow today"])


def test_a_custom_mark_selects_with_m(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmarkers =\n    slow: a slow case\n")
    write(pytester, "cases/x.yaml", SEED + case("big", extra="marks: [slow]\n"))
    result = run(pytester, "--gradcheck-cases", "cases", "-m", "not slow", "--strict-markers")
    result.assert_outcomes(passed=5, deselected=5)


# In-process, this project's own `filterwarnings = error` would reach the inner run.
@pytest.mark.filterwarnings("default::pytest.PytestUnknownMarkWarning")
def test_unregistered_mark_warns_at_the_case_line(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED + "    marks: [slwo]\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:11",
            "  cases/x.yaml:11: PytestUnknownMarkWarning: marks: 'slwo' is not a registered pytest mark; "
            "register it under 'markers' in the pytest configuration",
        ]
    )
    assert "plugin.py" not in result.stdout.str()


@pytest.mark.parametrize("strict", [["--strict-markers"], ["-W", "error::pytest.PytestUnknownMarkWarning"]])
def test_unregistered_mark_fails_the_case_alone_when_strict(pytester: pytest.Pytester, strict: list[str]) -> None:
    write(pytester, "cases/x.yaml", SEED + case("typo", extra="marks: [xfial]\n"))
    result = run(pytester, "--gradcheck-cases", "cases", *strict)
    result.assert_outcomes(passed=5, failed=1)
    result.stdout.fnmatch_lines(
        [
            "cases/x.yaml:17: marks: 'xfial' is not a registered pytest mark (did you mean 'xfail'?); "
            "register it under 'markers' in the pytest configuration"
        ]
    )
    assert "Traceback" not in result.stdout.str()


# -- JUnit XML ----------------------------------------------------------------------------


def test_junit_xml_carries_file_and_line(pytester: pytest.Pytester) -> None:
    text = "# two cases\n" + SEED + "\n" + case("second", extra="checks: [loss]\n")
    write(pytester, "cases/x.yaml", text)
    lines = text.splitlines()
    seed_line = lines.index("  - name: seed")  # 0-based, as pytest writes locations
    second_line = lines.index("  - name: second")
    assert (seed_line, second_line) == (2, 12)
    result = run(pytester, "--gradcheck-cases", "cases", "--junitxml=out.xml", "-o", "junit_family=xunit1")
    result.assert_outcomes(passed=6)
    testcases = ET.parse(pytester.path / "out.xml").getroot().iter("testcase")
    got = [(tc.get("name"), tc.get("file"), tc.get("line"), tc.get("classname")) for tc in testcases]
    assert got == [
        *[(f"seed[{check}]", "cases/x.yaml", str(seed_line), "cases.x.yaml") for check in CHECKS],
        ("second[loss]", "cases/x.yaml", str(second_line), "cases.x.yaml"),
    ]


def test_junit_xml_records_the_failure_report(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n")
    run(pytester, "--gradcheck-cases", "cases", "--junitxml=out.xml").assert_outcomes(failed=1)
    failure = ET.parse(pytester.path / "out.xml").getroot().find(".//testcase/failure")
    assert failure is not None
    assert "W[2, 1]" in (failure.text or "")
    assert "gradcheck: check 'loss' of case 'seed' (cases/x.yaml:2)" in (failure.get("message") or "")
