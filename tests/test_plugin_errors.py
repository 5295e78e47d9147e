"""Broken case files as a user sees them: one line `file:line: message`, no traceback."""

from __future__ import annotations

import re

import pytest
from pluginrun import run, sections, write

from gradcheck.casefile.format import LAYER_KEYS as CASE_KEYS
from gradcheck.checks.layer import BUILTIN

# `- name: good` sits on line 2; the bad case below it starts on line 8.
GOOD = """\
cases:
  - name: good
    inputs: 3
    classes: 5
    x: [0.1, 0.5, 0.4]
    weights: {seed: 1, scale: 0.5}
    label: 2
"""
# The bad case's lines: name 8, inputs 9, classes 10, x 11, weights 12, label 13, then extras from 14.
BASE = {
    "inputs": "3",
    "classes": "5",
    "x": "[0.1, 0.5, 0.4]",
    "weights": "{seed: 1, scale: 0.5}",
    "label": "2",
}
UNKNOWN_KEY = f"unknown key in case (did you mean 'weights'?); expected one of {', '.join(CASE_KEYS)}"


def bad_case(name: str = "bad", **keys: str | None) -> str:
    """A case after GOOD: BASE with `keys` replacing (None: dropping) or adding keys, in order."""
    fields = {**BASE, **keys}
    lines = [f"  - name: {name}", *(f"    {key}: {value}" for key, value in fields.items() if value is not None)]
    return "".join(f"{line}\n" for line in lines)


def assert_one_line(result: pytest.RunResult, title: str, expected: str) -> None:
    """The section `title` is exactly the line `expected`, and nothing is a traceback."""
    assert sections(result).get(title) == [expected]
    out = result.stdout.str() + result.stderr.str()
    for internal in ("Traceback", "gradcheck/", "CaseError", "raise "):
        assert internal not in out


# -- a bad case fails alone ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("keys", "item", "expected"),
    [
        pytest.param(
            {"wieghts": "{seed: 1, scale: 1}"}, "bad", f"cases/x.yaml:14: wieghts: {UNKNOWN_KEY}", id="unknown-key"
        ),
        pytest.param(
            {"x": '"0.1 0.5 0.4"'},
            "bad",
            "cases/x.yaml:11: x: '0.1 0.5 0.4' is a string; expected a list of shape (3,) or an array spec",
            id="string-for-array",
        ),
        pytest.param(
            {"inputs": "3.5"},
            "bad",
            "cases/x.yaml:9: inputs: 3.5 is a float; expected a positive integer",
            id="float-for-integer",
        ),
        pytest.param(
            {"classes": "0"},
            "bad",
            "cases/x.yaml:10: classes: 0 is not positive; expected a positive integer",
            id="zero-classes",
        ),
        pytest.param(
            {"weights": "[[0.1, 0.2, 0.3, 0.4, 0.5], [0.6, 0.7, 0.8, 0.9, 0.1]]"},
            "bad",
            "cases/x.yaml:12: weights: has shape (2, 5); inputs=3, classes=5 needs (3, 5)",
            id="weights-shape",
        ),
        pytest.param(
            {"weights": "{seed: 1, scale: 0.5, shape: [5, 3]}"},
            "bad",
            "cases/x.yaml:12: weights: shape [5, 3] contradicts inputs=3, classes=5, which needs [3, 5]",
            id="spec-shape",
        ),
        pytest.param(
            {"weights": "[[1, 2, 3, 4, 5], [1, 2, 3, 4], [1, 2, 3, 4, 5]]"},
            "bad",
            "cases/x.yaml:12: weights: is a ragged list: a list of 4 where a list of 5 belongs; "
            "give a rectangular array",
            id="ragged",
        ),
        pytest.param(
            {"bias": "[0.1, 0.2]"},
            "bad",
            "cases/x.yaml:14: bias: has shape (2,); classes=5 needs (5,)",
            id="bias-shape",
        ),
        pytest.param(
            {"label": "5"},
            "bad",
            "cases/x.yaml:13: label: class index 5 is out of range; expected 0..4",
            id="label-range",
        ),
        pytest.param(
            {"label": "[0.1, 0.2, 0.3, 0.2, 0.1]"},
            "bad",
            "cases/x.yaml:13: label: sums to 0.9; a one-hot or soft label sums to 1",
            id="soft-label-sum",
        ),
        pytest.param(
            {"label": "[-0.5, 0.5, 0.5, 0.5, 0.0]"},
            "bad",
            "cases/x.yaml:13: label: has a negative probability -0.5; a distribution is non-negative",
            id="negative-probability",
        ),
        pytest.param(
            {"label": None},
            "bad",
            "cases/x.yaml:8: label: missing; give a class index 0..4 or a distribution over 5 classes",
            id="missing-label",
        ),
        pytest.param(
            {"x": "[0.1, .nan, 0.4]"},
            "bad",
            "cases/x.yaml:11: x: entry nan is not finite; expected a finite number",
            id="nan",
        ),
        pytest.param(
            {"x": "[0.1, .inf, 0.4]"},
            "bad",
            "cases/x.yaml:11: x: entry inf is not finite; expected a finite number",
            id="inf",
        ),
        pytest.param(
            {"checks": "[softmax, lose]"},
            "bad",
            "cases/x.yaml:14: checks: 'lose' is not a known check (did you mean 'loss'?); "
            f"expected one of {', '.join(BUILTIN)}",
            id="unknown-check",
        ),
        pytest.param(
            {"step": "0"},
            "bad",
            "cases/x.yaml:14: step: 0 is not positive; expected e.g. 1.0e-6",
            id="zero-step",
        ),
        pytest.param(
            {"rtol": "-1.0e-6"},
            "bad",
            "cases/x.yaml:14: rtol: -1e-06 is not positive; expected e.g. 1.0e-6",
            id="negative-rtol",
        ),
        pytest.param(
            {"atol": "-1.0e-8"},
            "bad",
            "cases/x.yaml:14: atol: -1e-08 is not non-negative; expected e.g. 1.0e-6",
            id="negative-atol",
        ),
        pytest.param(
            {"dtype": "float16"},
            "bad",
            "cases/x.yaml:14: dtype: 'float16' is not supported; expected one of float64, float32",
            id="dtype",
        ),
        pytest.param(
            {"marks": "[{xfail: [1, 2]}]"},
            "bad",
            "cases/x.yaml:14: marks: xfail: expected a reason string or a mapping of plain values",
            id="bad-mark",
        ),
    ],
)
def test_a_bad_case_fails_alone_with_one_line(
    pytester: pytest.Pytester, keys: dict[str, str | None], item: str, expected: str
) -> None:
    write(pytester, "cases/x.yaml", GOOD + bad_case(**keys))
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5, failed=1)
    assert_one_line(result, item, expected)
    result.stdout.fnmatch_lines([f"FAILED cases/x.yaml::{item} - cases/x.yaml:*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_duplicate_case_name_fails_the_second_alone(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", GOOD + bad_case(name="good", label="1"))
    result = run(pytester, "--gradcheck-cases", "cases", "-rf")
    result.assert_outcomes(passed=5, failed=1)
    assert_one_line(
        result, "good@8", "cases/x.yaml:8: name: 'good' is used twice (first at line 2); names are unique in a file"
    )
    result.stdout.fnmatch_lines(["FAILED cases/x.yaml::good@8 - *"])


def test_a_case_that_is_not_a_mapping_fails_alone(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", GOOD + "  - just a string\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5, failed=1)
    assert_one_line(
        result, "case-2", "cases/x.yaml:8: case is a string; expected a mapping with name, inputs, classes, ..."
    )


def test_several_bad_cases_fail_one_each_and_good_ones_between_pass(pytester: pytest.Pytester) -> None:
    text = GOOD + bad_case(name="first-bad", label="7") + bad_case(name="fine") + bad_case(name="second-bad", x="3")
    write(pytester, "cases/x.yaml", text)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=10, failed=2)
    assert sections(result) == {
        "first-bad": ["cases/x.yaml:13: label: class index 7 is out of range; expected 0..4"],
        "second-bad": ["cases/x.yaml:23: x: 3 is an integer; expected a list of shape (3,) or an array spec"],
    }


def test_an_error_in_defaults_points_at_the_defaults_line(pytester: pytest.Pytester) -> None:
    text = "defaults:\n  rtol: 0\ncases:\n" + GOOD.removeprefix("cases:\n")
    write(pytester, "cases/x.yaml", text)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    assert_one_line(result, "good", "cases/x.yaml:2: rtol: 0 is not positive; expected e.g. 1.0e-6")


def test_error_item_is_located_at_its_line_in_junit_xml(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", GOOD + bad_case(label="9"))
    run(pytester, "--gradcheck-cases", "cases", "--junitxml=out.xml", "-o", "junit_family=xunit1")
    xml = (pytester.path / "out.xml").read_text()
    # 0-based, as pytest writes locations: the label on line 13 is line="12".
    assert re.search(r'<testcase classname="cases.x.yaml" name="bad" file="cases/x.yaml" line="12"', xml)


def test_array_over_the_element_limit_is_refused(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_max_elements = 12\n")
    write(pytester, "cases/x.yaml", GOOD + bad_case(inputs="3", classes="5", weights="{fill: 0.5}"))
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=2)
    expected = "needs 15 weights, over the limit of 12 (gradcheck_max_elements)"
    assert sections(result) == {
        "good": [f"cases/x.yaml:3: inputs: inputs=3, classes=5 {expected}"],
        "bad": [f"cases/x.yaml:9: inputs: inputs=3, classes=5 {expected}"],
    }


@pytest.mark.parametrize(
    ("value", "problem"), [("lots", "'lots' is not an integer"), ("0", "0 is not positive")], ids=["text", "zero"]
)
def test_bad_element_limit_is_a_usage_error(pytester: pytest.Pytester, value: str, problem: str) -> None:
    pytester.makeini(f"[pytest]\ngradcheck_max_elements = {value}\n")
    write(pytester, "cases/x.yaml", GOOD)
    result = run(pytester, "--gradcheck-cases", "cases")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: gradcheck_max_elements: {problem}; expected e.g. 10000000"])


# -- a file that cannot be read as cases ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "cases:\n  - name: a\n    inputs: [1, 2\n    classes: 3\n",
            "cases/bad.yaml:4: YAML syntax error: expected ',' or ']', but got ':' "
            "(while parsing a flow sequence at line 3); fix the YAML syntax",
            id="yaml-syntax",
        ),
        pytest.param(
            "cases:\n  - name: 'a\n    inputs: 3\n",
            "cases/bad.yaml:4: YAML syntax error: found unexpected end of stream "
            "(while scanning a quoted scalar at line 2); fix the YAML syntax",
            id="unclosed-quote",
        ),
        pytest.param(
            "cases:\n\t- name: a\n",
            "cases/bad.yaml:2: YAML syntax error: found character '\\t' that cannot start any token; "
            "fix the YAML syntax",
            id="tab",
        ),
        pytest.param(
            "- name: a\n- name: b\n",
            "cases/bad.yaml:1: top level is a list; expected a mapping with a 'cases:' list",
            id="top-level-list",
        ),
        pytest.param(
            "just some words\n",
            "cases/bad.yaml:1: top level is a string; expected a mapping with a 'cases:' list",
            id="top-level-string",
        ),
        pytest.param("", "cases/bad.yaml:1: file is empty; expected a mapping with a 'cases:' list", id="empty"),
        pytest.param(
            "# nothing but a comment\n",
            "cases/bad.yaml:1: file is empty; expected a mapping with a 'cases:' list",
            id="comment-only",
        ),
        pytest.param(
            "version: 1\ncases:\n  name: a\n  inputs: 3\n",
            "cases/bad.yaml:2: cases: is a mapping; expected a list of cases",
            id="cases-not-a-list",
        ),
        pytest.param(
            "cases: []\n", "cases/bad.yaml:1: cases: the list is empty; add at least one case", id="cases-empty"
        ),
        pytest.param(
            "defaults:\n  rtol: 1.0e-6\n",
            "cases/bad.yaml:1: cases: missing; expected 'cases:' with a list of cases",
            id="cases-missing",
        ),
        pytest.param(
            "caess:\n  - name: a\n",
            "cases/bad.yaml:1: caess: unknown key in top level (did you mean 'cases'?); "
            "expected one of version, defaults, cases",
            id="top-level-typo",
        ),
        pytest.param(
            "defaults:\n  rtol: 1.0e-6\n  wieghts: {fill: 1}\ncases:\n  - name: a\n",
            f"cases/bad.yaml:3: wieghts: {UNKNOWN_KEY.replace('in case', 'in defaults')}",
            id="defaults-typo",
        ),
        pytest.param(
            "version: 2\ncases:\n  - name: a\n",
            "cases/bad.yaml:1: version: 2 is not supported; expected 1",
            id="version",
        ),
        pytest.param(
            b"cases:\n  - name: a\n    description: caf\xe9\n",
            "cases/bad.yaml:3: byte 0xe9 is not UTF-8; save the file as UTF-8",
            id="not-utf8",
        ),
    ],
)
def test_an_unreadable_file_is_one_failing_item_and_the_run_goes_on(
    pytester: pytest.Pytester, text: str | bytes, expected: str
) -> None:
    write(pytester, "cases/bad.yaml", text)
    write(pytester, "cases/good.yaml", GOOD)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5, failed=1)
    assert_one_line(result, "file", expected)
    result.stdout.fnmatch_lines(["FAILED cases/bad.yaml::file - cases/bad.yaml:*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "cases:\n  - name: a\n    inputs: 3\n    inputs: 4\n",
            "cases/bad.yaml:4: inputs: given twice in one mapping (first at line 3); keep one",
            id="duplicate-key",
        ),
        pytest.param(
            "cases:\n  - name: a\n    description: 2024-05-01\n",
            "cases/bad.yaml:3: 2024-05-01 reads as a date, which case files do not hold; quote it if it is a string",
            id="date",
        ),
        pytest.param(
            "cases:\n  - name: a\n    x: !!binary aGVsbG8=\n",
            "cases/bad.yaml:3: tag !!binary is not allowed; "
            "case files hold only plain mappings, lists, numbers and strings",
            id="binary-tag",
        ),
    ],
)
def test_yaml_that_does_not_read_inside_one_case_fails_that_case_alone(
    pytester: pytest.Pytester, text: str, expected: str
) -> None:
    write(pytester, "cases/bad.yaml", text + GOOD.removeprefix("cases:\n"))
    write(pytester, "cases/good.yaml", GOOD)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=10, failed=1)  # the good case beside it runs too
    assert_one_line(result, "a", expected)
    result.stdout.fnmatch_lines(["FAILED cases/bad.yaml::a - cases/bad.yaml:*"])


def test_an_unreadable_file_does_not_interrupt_the_run(pytester: pytest.Pytester) -> None:
    # Not a collection error, which would stop pytest before any test ran: the good file runs.
    write(pytester, "cases/a_bad.yaml", "cases: 3\n")
    write(pytester, "cases/b_good.yaml", GOOD)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5, failed=1)
    expected = "cases/a_bad.yaml:1: cases: is an integer; expected a list of cases"
    assert_one_line(result, "file", expected)
    result.stdout.fnmatch_lines(["collected 6 items", "cases/a_bad.yaml F*", "cases/b_good.yaml .....*"])
    result.stdout.no_fnmatch_line("*Interrupted*")
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_the_file_item_is_located_at_the_error_line(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", "cases:\n  - name: a\n    inputs: [1, 2\n    classes: 3\n")
    run(pytester, "--gradcheck-cases", "cases", "--junitxml=out.xml", "-o", "junit_family=xunit1")
    xml = (pytester.path / "out.xml").read_text()
    # The syntax error is on line 4; pytest writes locations 0-based.
    assert re.search(r'<testcase classname="cases.x.yaml" name="file" file="cases/x.yaml" line="3"', xml)


def test_each_unreadable_file_gives_exactly_one_failing_item(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/one.yaml", "")
    write(pytester, "cases/two.yml", "- 1\n")
    write(pytester, "cases/three.yaml", GOOD + bad_case(label="8"))
    result = run(pytester, "--gradcheck-cases", "cases", "-rf")
    result.assert_outcomes(passed=5, failed=3)
    expected = "expected a mapping with a 'cases:' list"
    assert sections(result) == {
        "file": [f"cases/one.yaml:1: file is empty; {expected}", f"cases/two.yml:1: top level is a list; {expected}"],
        "bad": ["cases/three.yaml:13: label: class index 8 is out of range; expected 0..4"],
    }
    result.stdout.fnmatch_lines(
        ["FAILED cases/one.yaml::file - *", "FAILED cases/two.yml::file - *"], consecutive=False
    )


# -- nothing in a case file is executed -----------------------------------------------------

PYTHON_TAGS = [
    ("!!python/object/apply:os.system", '["touch {marker}"]'),
    ("!!python/object/new:os.system", '["touch {marker}"]'),
    ("!!python/name:os.system", "''"),
    ("!!python/object:os.system", "{command: touch {marker}}"),
    ("!!python/module:os", "''"),
]
# Where the tag sits, the line it is on, and the item that fails: the case that holds it, or the
# file where the tag is outside the cases; and how many checks of the file's other cases pass.
TAG_PLACES = {
    "top-level": ("{tagged}\n", 1, "file", 0),
    "in-a-case": (GOOD + "  - name: b\n    inputs: {tagged}\n", 9, "b", 5),
    "in-an-array": (GOOD + "  - name: b\n    x: [0.1, {tagged}, 0.4]\n", 9, "b", 5),
    "in-a-spec": (GOOD + "  - name: b\n    x: {seed: {tagged}, scale: 1}\n", 9, "b", 5),
    "in-defaults": ("defaults:\n  description: {tagged}\n" + GOOD, 2, "file", 0),
    "as-a-key": ("cases:\n  - name: b\n    {tagged}: 3\n", 3, "b", 0),
}


@pytest.mark.parametrize("place", TAG_PLACES)
@pytest.mark.parametrize(("tag", "argument"), PYTHON_TAGS, ids=[tag[9:].split(":")[0] for tag, _ in PYTHON_TAGS])
def test_python_tags_are_refused_at_their_line_and_never_run(
    pytester: pytest.Pytester, tag: str, argument: str, place: str
) -> None:
    marker = pytester.path / "executed"
    template, line, item, beside = TAG_PLACES[place]
    tagged = f"{tag} {argument.replace('{marker}', str(marker))}"
    write(pytester, "cases/bad.yaml", template.replace("{tagged}", tagged))
    write(pytester, "cases/good.yaml", GOOD)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5 + beside, failed=1)
    assert_one_line(
        result,
        item,
        f"cases/bad.yaml:{line}: tag {tag} is not allowed; "
        "case files hold only plain mappings, lists, numbers and strings",
    )
    assert not marker.exists()
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_mark_condition_is_refused_not_evaluated(pytester: pytest.Pytester) -> None:
    # pytest evaluates a string condition of skipif/xfail as Python; from a case file it must not.
    marker = pytester.path / "executed"
    condition = f"__import__('os').system('touch {marker}') == 0"
    write(pytester, "cases/x.yaml", GOOD + bad_case(marks=f'[{{skipif: {{condition: "{condition}"}}}}]'))
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5, failed=1)
    assert_one_line(
        result,
        "bad",
        "cases/x.yaml:14: marks: skipif: condition: pytest evaluates a condition as Python, and case files run "
        "nothing; drop it (a mark in a case file always applies)",
    )
    assert not marker.exists()


def test_an_alias_bomb_is_refused_not_expanded(pytester: pytest.Pytester) -> None:
    levels = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = "defaults:\n  description:\n" + "".join(f"    {level}\n" for level in levels) + "cases: []\n"
    write(pytester, "cases/bad.yaml", text)
    write(pytester, "cases/good.yaml", GOOD)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5, failed=1)
    # a3 (line 6) stands for 11,111 values; the first *a3 of a4, on line 7, goes over the limit.
    assert_one_line(
        result,
        "file",
        "cases/bad.yaml:7: YAML aliases expand this document beyond its size limit; "
        "write the values out or use an array spec such as {seed: 0, scale: 1}",
    )
