"""The JSON Schema for case files: shipped in the package, made from casefile/format.py, valid for every case."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest

from gradcheck import options
from gradcheck.casefile import document, fields, format, generate, yamlreader
from gradcheck.casefile import function as function_case
from gradcheck.cli import main, schema_text
from gradcheck.errors import CaseError

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "cases").glob("*.y*ml"))
EXAMPLE = sorted((ROOT / "examples" / "numpy-mlp" / "cases").glob("*.y*ml"))
EXAMPLES = sorted((ROOT / "examples").glob("*/cases/*.y*ml"))
SCHEMA_FILE = ROOT / "gradcheck" / "casefile" / "case.schema.json"
SYNC = "gradcheck/casefile/case.schema.json is stale: run python -m gradcheck generate"
USER_SYNC = SYNC
#: A user-function case, as a case file's list item.
TANH = "  - name: tanh\n    function: m:tanh\n    jacobian: m:tanh_jacobian\n    args: {x: [0.5, 1.0]}\n"
TANH_IN = f"cases:\n{TANH}"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


@pytest.fixture(scope="module")
def validator(schema: dict[str, Any]) -> jsonschema.Draft7Validator:
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


def errors(validator: jsonschema.Draft7Validator, text: str) -> list[str]:
    return [e.message for e in validator.iter_errors(yamlreader.parse(text))]


# -- in step with the parsers ---------------------------------------------------------------------


def test_case_properties_are_the_case_keys(schema: dict[str, Any]) -> None:
    assert sorted(schema["definitions"]["case"]["properties"]) == sorted(format.LAYER_KEYS), SYNC


def test_user_case_properties_are_the_user_case_keys(schema: dict[str, Any]) -> None:
    user = schema["definitions"]["functionCase"]["properties"]
    assert sorted(user) == sorted(format.FUNCTION_KEYS), USER_SYNC
    assert sorted(set(format.FUNCTION_KEYS) - set(format.LAYER_KEYS)) == sorted(format.FUNCTION_ONLY_KEYS), USER_SYNC
    layer = schema["definitions"]["case"]["properties"]
    shared = set(format.FUNCTION_KEYS) & set(format.LAYER_KEYS)
    assert {k: user[k] for k in shared} == {k: layer[k] for k in shared}  # one meaning for a shared key
    for kind in ("function", *format.KINDS):  # module:attribute, or a method of the case's object
        assert user[kind]["pattern"] == f"^({format.CALLABLE_PATTERN})$", USER_SYNC
    assert user["object"]["pattern"] == f"^{function_case.TARGET_RE.pattern}$", USER_SYNC


def test_a_loss_object_s_keys_are_the_loader_s(schema: dict[str, Any]) -> None:
    loss = schema["definitions"]["functionCase"]["properties"]["loss"]
    assert list(loss["properties"]) == list(format.LOSS_KEYS), USER_SYNC
    assert loss["properties"]["reduction"]["enum"] == list(format.LOSS_REDUCTIONS), USER_SYNC


def test_what_makes_a_user_case_follows_the_loader(schema: dict[str, Any]) -> None:
    definitions = schema["definitions"]
    assert [r["required"] for r in definitions["functionKey"]["anyOf"]] == [[k] for k in format.FUNCTION_ONLY_KEYS], (
        USER_SYNC
    )
    one, pair, second = definitions["oneKind"]["anyOf"]
    assert [r["required"] for r in one["oneOf"]] == [[k] for k in format.KINDS], USER_SYNC
    assert [r["required"] for r in pair["oneOf"]] == [[k] for k in format.JVP_PARTNERS], USER_SYNC
    assert [r["required"] for r in second["oneOf"]] == [[k] for k in format.SECOND_KINDS], USER_SYNC
    assert [r["required"] for r in definitions["noKind"]["not"]["anyOf"]] == [[k] for k in format.KINDS]


def test_defaults_take_every_key_of_either_kind_of_case_but_name(schema: dict[str, Any]) -> None:
    both = set(format.LAYER_KEYS) | set(format.FUNCTION_KEYS)
    assert sorted(schema["properties"]["defaults"]["properties"]) == sorted(both - {"name"}), SYNC
    definitions = schema["definitions"]
    every = {**definitions["case"]["properties"], **definitions["functionCase"]["properties"]}
    assert schema["properties"]["defaults"]["properties"] == {k: v for k, v in every.items() if k != "name"}


def test_top_level_and_array_spec_keys(schema: dict[str, Any]) -> None:
    assert sorted(schema["properties"]) == sorted(format.TOP_KEYS), SYNC
    assert sorted(schema["definitions"]["spec"]["properties"]) == sorted(format.SPEC_KEYS), SYNC


def test_enumerated_values(schema: dict[str, Any]) -> None:
    props = schema["definitions"]["case"]["properties"]
    # null: a case key set to null removes the defaults' value
    assert props["dtype"]["enum"] == [*options.DTYPES, None], SYNC
    assert props["mode"]["enum"] == [*options.MODES, None], SYNC
    assert props["scheme"]["enum"] == [*options.SCHEMES, None], SYNC
    assert props["reduction"]["enum"] == [*options.REDUCTIONS, None], SYNC
    assert props["name"]["pattern"] == f"^{fields.NAME_RE.pattern}$", SYNC
    user = schema["definitions"]["functionCase"]["properties"]
    assert user["order"]["enum"] == [*options.ORDERS, None], USER_SYNC
    assert (user["workers"]["minimum"], user["workers"]["maximum"]) == (1, options.MAX_WORKERS), USER_SYNC


# -- validating case files --------------------------------------------------------------------


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_case_file_validates(validator: jsonschema.Draft7Validator, path: Path) -> None:
    assert errors(validator, path.read_text(encoding="utf-8")) == []


def test_there_are_shipped_case_files() -> None:
    assert len(SHIPPED) >= 5


@pytest.mark.parametrize("path", EXAMPLES, ids=[f"{p.parent.parent.name}/{p.name}" for p in EXAMPLES])
def test_every_case_file_of_the_example_projects_validates(validator: jsonschema.Draft7Validator, path: Path) -> None:
    assert errors(validator, path.read_text(encoding="utf-8")) == []


def test_the_example_project_has_user_function_case_files() -> None:
    assert [p.name for p in EXAMPLE] == ["activations.yaml", "mlp.yaml"]
    assert all("function: " in p.read_text(encoding="utf-8") for p in EXAMPLE)


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
        (f"cases:\n{TANH}    inputs: 3\n", "Additional properties are not allowed ('inputs'"),
        (f"cases:\n{TANH}    vectorized: often\n", "'often' is not of type 'boolean'"),
        (f"cases:\n{TANH}    scheme: centrel\n", "'centrel' is not one of"),
        (TANH_IN.replace("m:tanh_jacobian", "m.tanh_jacobian"), "'m.tanh_jacobian' does not match"),
        ("cases:\n  - name: a\n    jacobian: m:j\n    args: {x: [1.0]}\n", "'function' is a required property"),
        ("cases:\n  - name: a\n    inputs: 2\n    wrt: x\n", "'function' is a required property"),
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


# The schema tells a user-function case from a layer case, and its derivative, as the loader does:
# by `function:` and `jacobian:`/`gradient:`/`vjp:` in the case or in the defaults.
USER_FILES = {
    "user-case": f"cases:\n{TANH}    vectorized: true\n    scheme: central4\n    wrt: x\n",
    "user-case-stacks": f"cases:\n{TANH}    vectorized: true\n    order: F\n    workers: 2\n",
    "user-case-too-many-threads": f"cases:\n{TANH}    vectorized: true\n    workers: 65\n",
    "plain-args": "cases:\n  - name: a\n    function: m:f\n    gradient: m:g\n"
    "    args: {x: {shape: [2], seed: 0}, n: 2, how: plain, flag: true, none: null}\n",
    "defaults-name-both": "defaults:\n  function: m:f\n  jacobian: m:j\ncases:\n  - name: a\n    args: {x: [1.0]}\n",
    "defaults-name-the-function": "defaults:\n  function: m:f\n  args: {x: [1.0]}\ncases:\n  - name: a\n    vjp: m:v\n",
    "defaults-name-the-kind": "defaults:\n  jacobian: m:j\n"
    "cases:\n  - name: a\n    function: m:f\n    args: {x: [1.0]}\n",
    "layer-and-user": "defaults:\n  inputs: 2\n  classes: 3\n  rtol: 1.0e-6\ncases:\n"
    "  - name: layer\n    x: [0.1, 0.2]\n    weights: {seed: 0, scale: 1}\n    label: 1\n" + TANH,
    "no-derivative": "cases:\n  - name: a\n    function: m:f\n    args: {x: [1.0]}\n",
    "two-derivatives": f"cases:\n{TANH}    gradient: m:g\n",
    "a-second-beside-the-defaults": "defaults:\n  function: m:f\n  jacobian: m:j\n"
    "cases:\n  - name: a\n    gradient: m:g\n    args: {x: [1.0]}\n",
    "no-derivative-beside-the-defaults": "defaults:\n  function: m:f\ncases:\n  - name: a\n    args: {x: [1.0]}\n",
    "a-derivative-without-function": "cases:\n  - name: a\n    vjp: m:v\n    args: {x: [1.0]}\n",
    "a-layer-key": f"cases:\n{TANH}    checks: [loss]\n",
    "object-case": "cases:\n  - name: a\n    object: m:Dense\n    init: {W: [[1.0]], n: 2, act: tanh}\n"
    "    function: forward\n    backward: backward\n    args: {x: [1.0]}\n    wrt: [x, W, params.b]\n"
    "    gradients: {W: dW, params.b: 1}\n",
    "object-in-the-defaults": "defaults:\n  object: m:Sigmoid\n  function: fn\n"
    "cases:\n  - name: a\n    elementwise: gradient\n    args: {z: {integers: [0, 3], shape: [2], seed: 0}}\n",
    "returned": "cases:\n  - name: a\n    function: m:f\n    gradient: returned\n    args: {x: [1.0], y: [0]}\n",
    "null-the-defaults-kind": "defaults:\n  function: m:f\n  gradient: m:g\n  args: {x: [1.0], y: [0]}\n"
    "cases:\n  - name: a\n    gradient: null\n    vjp: m:v\n    args: {y: null}\n",
    "an-object-without-function": "cases:\n  - name: a\n    object: m:Dense\n    gradient: g\n    wrt: W\n",
    "jvp-beside-vjp": "cases:\n  - name: a\n    function: m:f\n    jvp: m:j\n    vjp: m:v\n    args: {x: [1.0]}\n",
    "jvp-beside-the-defaults-backward": "defaults:\n  function: m:f\n  backward: m:b\n"
    "cases:\n  - name: a\n    jvp: m:j\n    args: {x: [1.0]}\n",
    "vjp-beside-the-defaults-jvp": "defaults:\n  function: m:f\n  jvp: m:j\n"
    "cases:\n  - name: a\n    vjp: m:v\n    args: {x: [1.0]}\n",
    "gradient-beside-the-defaults-jvp": "defaults:\n  function: m:f\n  jvp: m:j\n"
    "cases:\n  - name: a\n    gradient: m:g\n    args: {x: [1.0]}\n",
    "jvp-beside-jacobian": "cases:\n  - name: a\n    function: m:f\n    jvp: m:j\n    jacobian: m:J\n"
    "    args: {x: [1.0]}\n",
    "jvp-beside-vjp-and-backward": "cases:\n  - name: a\n    function: m:f\n    jvp: m:j\n    vjp: m:v\n"
    "    backward: m:b\n    args: {x: [1.0]}\n",
    "a-method-path-for-function": "cases:\n  - name: a\n    function: m.f\n    gradient: returned\n"
    "    args: {x: [1.0]}\n",
    "setup-calls": "cases:\n  - name: a\n    object: m:Dense\n    call: [reset, {initialize: {n: 3, W: [[1.0]]}}]\n"
    "    function: forward\n    backward: backward\n    args: {x: [1.0]}\n    wrt: W\n",
    "network-loss-object": "cases:\n  - name: a\n    layers: [{object: m:Dense, call: [{initialize: {n: 2}}]}]\n"
    "    loss: {object: m:CrossEntropy, takes: [scores, y], gradient: dinputs, reduction: mean}\n"
    "    args: {x: [[1.0]], y: [0]}\n    wrt: [x, layers.0.W]\n",
    "loss-beside-its-function": "cases:\n  - name: a\n    layers: [{object: m:Dense}]\n    loss: {object: m:CE}\n"
    "    function: m:f\n    gradient: returned\n    args: {x: [[1.0]], y: [0]}\n",
    "loss-with-an-unknown-key": "cases:\n  - name: a\n    layers: [{object: m:Dense}]\n"
    "    loss: {object: m:CE, reduce: mean}\n    args: {x: [[1.0]], y: [0]}\n",
    "loss-with-another-reduction": "cases:\n  - name: a\n    layers: [{object: m:Dense}]\n"
    "    loss: {object: m:CE, reduction: average}\n    args: {x: [[1.0]], y: [0]}\n",
    "a-script-s-global": "cases:\n  - name: a\n    function: scripts/char-rnn.py:loss\n    gradient: returned\n"
    "    args: {x: [1.0]}\n    wrt: [scripts/char-rnn.py:Wxh, mylib.rnn:Why]\n",
}
VALID = {"user-case", "plain-args", "defaults-name-both", "defaults-name-the-function", "defaults-name-the-kind"}
VALID |= {"layer-and-user", "user-case-stacks", "object-case", "object-in-the-defaults", "returned"}
VALID |= {"null-the-defaults-kind", "jvp-beside-vjp", "jvp-beside-the-defaults-backward"}
VALID |= {"vjp-beside-the-defaults-jvp", "setup-calls", "network-loss-object", "a-script-s-global"}


@pytest.mark.parametrize("name", list(USER_FILES))
def test_the_schema_and_the_loader_agree_on_user_cases(validator: jsonschema.Draft7Validator, name: str) -> None:
    text = USER_FILES[name]
    entries = document.parse_document(yamlreader.parse(text), "x.yaml", limits=document.Limits(), checks=())
    loaded = not any(isinstance(e.case, CaseError) for e in entries)
    valid = errors(validator, text) == []
    assert (valid, loaded) == ((name in VALID),) * 2, (errors(validator, text), [str(e.case) for e in entries])


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
    assert '[tool.setuptools.package-data]\n"gradcheck.casefile" = ["case.schema.json"]' in pyproject


def test_the_docs_show_the_editor_line() -> None:
    page = (ROOT / "docs" / "how-to" / "ci-and-reports.md").read_text(encoding="utf-8")
    lines = [x for x in page.splitlines() if x.startswith("# yaml-language-server: $schema=")]
    assert lines, "ci-and-reports.md shows no '# yaml-language-server: $schema=...' line"
    target = lines[0].split("$schema=", 1)[1]
    assert (ROOT / "cases" / target).resolve() == SCHEMA_FILE  # relative to a file in cases/


# -- one declaration: the schema and the README's tables are made from casefile/format.py ------


def test_the_shipped_schema_is_the_generated_one() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == generate.schema_text(), SYNC


def test_the_reference_tables_are_the_generated_ones() -> None:
    # every page's tables are held to a regeneration in test_docs; here: the reference has them all
    page = (ROOT / "docs" / "reference" / "case-files.md").read_text(encoding="utf-8")
    names = [m["name"] for m in generate.TABLE_RE.finditer(page)]
    assert names == ["top-keys", "layer-keys", "spec-keys", "function-keys"]
    assert page == generate.readme_with_tables(page), "case-files.md tables are stale: run python -m gradcheck generate"


def test_a_stale_copy_is_found_and_rewritten(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("# x\n<!-- generated: spec-keys -->\n| old |\n<!-- end -->\n", encoding="utf-8")
    assert main(["generate", "--check", "--readme", str(readme)]) == 1
    assert f"{readme} is stale" in capsys.readouterr().err
    assert "| old |" in readme.read_text(encoding="utf-8")  # --check writes nothing
    assert main(["generate", "--readme", str(readme)]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "| old |" not in text and "| `seed` | integer, >= 0 |" in text
    assert main(["generate", "--check", "--readme", str(readme)]) == 0


def test_an_unknown_table_name_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("<!-- generated: nope -->\n<!-- end -->\n", encoding="utf-8")
    assert main(["generate", "--check", "--readme", str(readme)]) == 2
    assert "no generated table named 'nope'" in capsys.readouterr().err


def test_every_declared_key_is_in_the_schema_with_its_help() -> None:
    made = generate.schema()
    layer, function = (made["definitions"][d]["properties"] for d in ("case", "functionCase"))
    for key in format.CASE_FORMAT:
        for kind, props in ((format.LAYER, layer), (format.FUNCTION, function)):
            assert (key.name in props) == (kind in key.cases), key.name
        shown = layer.get(key.name) or function[key.name]
        assert shown["description"] == generate._plain(key.help)


def test_a_spec_with_only_a_seed_is_standard_normal_in_the_parser_and_the_schema(
    validator: jsonschema.Draft7Validator,
) -> None:
    text = (
        "cases:\n  - name: s\n    inputs: 3\n    classes: 2\n    x: {seed: 1}\n    weights: {seed: 2}\n    label: 0\n"
        "  - name: f\n    function: m:f\n    gradient: m:g\n    args: {x: {shape: [3], seed: 1}}\n"
    )
    assert errors(validator, text) == []
    layer, function = (e.case for e in document.parse_document(yamlreader.parse(text), "x.yaml"))
    assert not isinstance(layer, CaseError) and not isinstance(function, CaseError)
    normal = np.random.default_rng(1).standard_normal(3)
    np.testing.assert_array_equal(layer.x, normal)
    np.testing.assert_array_equal(function.args["x"], normal)
    np.testing.assert_array_equal(layer.weights, np.random.default_rng(2).standard_normal((3, 2)))


def test_a_spec_with_two_draws_is_refused_in_the_parser() -> None:
    text = "cases:\n  - name: s\n    inputs: 3\n    classes: 2\n    x: {seed: 1, fill: 1, scale: 2}\n"
    text += "    weights: {seed: 2}\n    label: 0\n"
    (entry,) = document.parse_document(yamlreader.parse(text), "x.yaml")
    assert str(entry.case) == (
        "x.yaml:5: x: give at most one of fill, scale, low/high or integers, e.g. {seed: 0, scale: 1}"
    )
