"""Each file in tests/broken/ is run as a user would; it must fail with exactly the line its first line expects.

The first line of a broken file reads `# expect: ITEM: LINE: MESSAGE`: the item that fails
(`file` when the file cannot be read as cases at all), the line the error names, and the
message after `path:LINE: `. `{CASE_KEYS}` and `{CHECKS}` stand for the lists of known case
keys and check names, which grow as features land.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pluginrun import run, sections

from gradcheck.casefile.format import LAYER_KEYS as CASE_KEYS
from gradcheck.checks import Registry

BROKEN = Path(__file__).parent / "broken"
FILES = sorted(BROKEN.glob("*.yaml"))
HEADER = re.compile(r"# expect: (?P<item>\S+): (?P<line>\d+): (?P<message>.+)")


def expectation(path: Path) -> tuple[str, int, str]:
    first = path.read_bytes().split(b"\n", 1)[0].decode("ascii")
    match = HEADER.fullmatch(first)
    assert match, f"{path.name}: first line must be '# expect: ITEM: LINE: MESSAGE', not {first!r}"
    message = match["message"].replace("{CASE_KEYS}", ", ".join(CASE_KEYS))
    message = message.replace("{CHECKS}", ", ".join(Registry()))
    return match["item"], int(match["line"]), message


def escape(text: str) -> str:
    """`text` as an fnmatch pattern that matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def test_there_is_a_broken_file_for_every_kind_of_mistake() -> None:
    names = {path.stem for path in FILES}
    # What the issue lists, by the file that shows it.
    required = {
        "yaml_syntax",
        "top_level_list",
        "top_level_string",
        "empty",
        "cases_not_a_list",
        "unknown_key",
        "string_for_array",
        "float_for_integer",
        "weights_shape",
        "x_shape",
        "spec_shape",
        "zero_inputs",
        "negative_classes",
        "label_out_of_range",
        "label_negative_index",
        "soft_label_negative",
        "soft_label_sum",
        "nan_in_x",
        "inf_in_weights",
        "nan_in_spec",
        "inf_in_spec",
        "duplicate_name",
        "unknown_check",
        "zero_step",
        "negative_rtol",
        "negative_atol",
        "not_utf8",
        "python_tag",
        "alias_bomb",
        "ten_to_the_ten_weights",
    }
    assert required <= names, sorted(required - names)
    for path in FILES:
        expectation(path)  # every header parses


@pytest.mark.parametrize("path", FILES, ids=[path.stem for path in FILES])
def test_a_broken_file_fails_with_its_expected_line(pytester: pytest.Pytester, path: Path) -> None:
    item, line, message = expectation(path)
    name = path.name
    target = pytester.path / "cases" / name
    target.parent.mkdir()
    target.write_bytes(path.read_bytes())
    (pytester.path / "cases" / "zz_good.yaml").write_text(
        "cases:\n  - name: fine\n    inputs: 2\n    classes: 3\n    x: [1, 2]\n"
        "    weights: {seed: 0, scale: 1}\n    label: 1\n    checks: [loss]\n"
    )
    result = run(pytester, "--gradcheck-cases", "cases", "-rf")
    expected = f"cases/{name}:{line}: {message}"
    # One failure, exactly the one line; the other file still runs; the run fails.
    assert sections(result) == {item: [expected]}
    result.stdout.fnmatch_lines([escape(expected), f"FAILED cases/{escape(name)}::{escape(item)} - *"])
    outcomes = result.parseoutcomes()
    assert outcomes.get("failed") == 1
    assert outcomes.get("passed", 0) >= 1
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert not (pytester.path / "executed").exists()
