"""The JSON Schema for case files: shipped in the package, in step with cases.py, valid for every shipped case."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from gradcheck import cases, yamlsafe
from gradcheck.__main__ import main, schema_text

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "cases").glob("*.y*ml"))
SCHEMA_FILE = ROOT / "gradcheck" / "case.schema.json"
SYNC = "gradcheck/case.schema.json is out of step with gradcheck/cases.py: add or remove the key in the schema"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(validator: jsonschema.Draft7Validator, text: str) -> list[str]:
    return [e.message for e in validator.iter_errors(yamlsafe.parse(text))]


# -- in step with cases.py --------------------------------------------------------------------


def test_case_properties_are_the_case_keys(schema: dict[str, Any]) -> None:
    assert sorted(schema["definitions"]["case"]["properties"]) == sorted(cases.CASE_KEYS), SYNC


def test_defaults_take_every_case_key_but_name(schema: dict[str, Any]) -> None:
    assert sorted(schema["properties"]["defaults"]["properties"]) == sorted(set(cases.CASE_KEYS) - {"name"}), SYNC
    assert schema["properties"]["defaults"]["properties"] == {
        k: v for k, v in schema["definitions"]["case"]["properties"].items() if k != "name"
    }


def test_top_level_and_array_spec_keys(schema: dict[str, Any]) -> None:
    assert sorted(schema["properties"]) == sorted(cases.TOP_KEYS), SYNC
    assert sorted(schema["definitions"]["spec"]["properties"]) == sorted(cases.SPEC_KEYS), SYNC


def test_enumerated_values(schema: dict[str, Any]) -> None:
    props = schema["definitions"]["case"]["properties"]
    assert props["dtype"]["enum"] == list(cases.DTYPES), SYNC
    assert props["mode"]["enum"] == list(cases.MODES), SYNC
    assert props["name"]["pattern"] == f"^{cases.NAME_RE.pattern}$", SYNC


# -- validating case files --------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_case_file_validates(validator: jsonschema.Draft7Validator, path: Path) -> None:
    assert errors(validator, path.read_text(encoding="utf-8")) == []


def test_there_are_shipped_case_files() -> None:
    assert len(SHIPPED) >= 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cases:\n  - name: a\n    wieghts: [[1.0]]\n", "Additional properties are not allowed ('wieghts'"),
        ("cases:\n  - name: a\n    inputs: 0\n", "0 is less than the minimum of 1"),
        ("cases:\n  - name: a b\n", "'a b' does not match"),
        ("cases:\n  - inputs: 2\n", "'name' is a required property"),
        ("cases:\n  - name: a\n    x: {seed: 1, scael: 2}\n", "is not valid under any of the given schemas"),
        ("cases:\n  - name: a\n    dtype: float16\n", "'float16' is not one of"),
        ("defaults:\n  name: a\ncases:\n  - name: b\n", "Additional properties are not allowed ('name'"),
        ("cases: []\n", "[] should be non-empty"),
        ("case:\n  - name: a\n", "'cases' is a required property"),
    ],
)
def test_the_schema_rejects_mistakes(validator: jsonschema.Draft7Validator, text: str, message: str) -> None:
    assert any(message in e for e in errors(validator, text)), errors(validator, text)


def test_the_schema_accepts_every_documented_form(validator: jsonschema.Draft7Validator) -> None:
    text = """\
version: 1
defaults: {rtol: 1.0e-6, atol: 0, dtype: float64, mode: auto}
cases:
  - name: all-forms
    description: free text
    inputs: 2
    classes: 3
    x: [0.1, -0.2]
    weights: {seed: 7, low: -1, high: 1, zeros: 0.25, offset: 1, shape: [2, 3]}
    bias: {fill: 0.5}
    label: [0.2, 0.3, 0.5]
    checks: [softmax, loss]
    step: 1.0e-5
    marks: [slow, {xfail: known bug}, {skip: {reason: later}}]
  - name: index-label
    inputs: 1
    classes: 2
    x: [1.0]
    weights: [[0.1, 0.2]]
    label: 1
    checks: loss
    marks: xfail
"""
    assert errors(validator, text) == []


# -- shipped and printed ----------------------------------------------------------------------


def test_python_m_gradcheck_schema_prints_the_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert capsys.readouterr().out == SCHEMA_FILE.read_text(encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "gradcheck", "schema"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout)["title"] == "gradcheck case file"


def test_schema_path_names_the_installed_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--path"]) == 0
    printed = Path(capsys.readouterr().out.strip())
    assert printed.name == "case.schema.json"
    assert printed.read_text(encoding="utf-8") == schema_text()


def test_the_schema_is_package_data() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '[tool.setuptools.package-data]\ngradcheck = ["case.schema.json"]' in pyproject


def test_readme_shows_the_editor_line() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    lines = [x for x in readme.splitlines() if x.startswith("# yaml-language-server: $schema=")]
    assert lines, "README.md shows no '# yaml-language-server: $schema=...' line"
    target = lines[0].split("$schema=", 1)[1]
    assert (ROOT / "cases" / target).resolve() == SCHEMA_FILE  # relative to a file in cases/
