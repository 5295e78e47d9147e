"""Fuzzing the case loader: whatever the bytes, valid cases or a CaseError at a line, nothing else."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradcheck.casefile import document
from gradcheck.casefile.format import LAYER_KEYS as CASE_KEYS
from gradcheck.casefile.format import SPEC_KEYS, TOP_KEYS
from gradcheck.casefile.layer import Case
from gradcheck.checks import Registry
from gradcheck.errors import CaseError

SHIPPED = sorted((Path(__file__).parent.parent / "cases").glob("*.yaml"))
SHIPPED_TEXT = [path.read_text(encoding="utf-8") for path in SHIPPED]
SHIPPED_LINES = [line for text in SHIPPED_TEXT for line in text.splitlines()]
KNOWN_CHECKS = tuple(Registry())
# Small, so that a mutated size still builds its arrays quickly; the limit is fuzzed too.
LIMITS = document.Limits(max_elements=100_000)
DISPLAY = "cases/fuzz.yaml"
# What YAML counts as the end of a line (\r\n counts once, as \r here and \n there: a bound).
YAML_LINE_BREAKS = ("\n", "\r", "\x85", "\u2028", "\u2029")

KEYS = [*TOP_KEYS, *CASE_KEYS, *SPEC_KEYS, "<<", "wieghts", "nmae", ""]
TOKENS = [
    *(f"{key}:" for key in KEYS),
    *(f"{key}: " for key in KEYS),
    "\n",
    "\n  ",
    "\n    ",
    "\n  - ",
    "- ",
    "  ",
    " ",
    "\t",
    "[",
    "]",
    "{",
    "}",
    ",",
    ", ",
    ":",
    "? ",
    "&a ",
    "&b ",
    "*a",
    "*b",
    "<<: *a",
    "!!python/object/apply:os.system ",
    "!!python/name:os.system ",
    "!!int ",
    "!!float ",
    "!!bool ",
    "!!str ",
    "!!binary ",
    "!!set ",
    "!local ",
    "0",
    "1",
    "2",
    "3",
    "-1",
    "0.5",
    "1.0e-6",
    "1e-6",
    "1.0e+308",
    "9" * 500,
    ".inf",
    "-.inf",
    ".nan",
    "0x1F",
    "0o17",
    "1_000",
    "true",
    "null",
    "~",
    "2024-05-01",
    "softmax",
    "loss",
    "lose",
    "float32",
    "float16",
    "xfail",
    "'",
    '"',
    "'text'",
    '"esc\\x00"',
    "# comment",
    "---",
    "...",
    "|",
    ">",
    "%YAML 1.1",
    "\x00",
    "\x85",
    "\ufeff",
    "é",
]


def outcome(path: Path, data: bytes) -> list[document.Entry] | CaseError:
    """Load `data` as a case file; any exception but CaseError escapes and fails the test."""
    path.write_bytes(data)
    try:
        return document.load(path, DISPLAY, limits=LIMITS, checks=KNOWN_CHECKS)
    except CaseError as error:
        return error


def assert_located(error: CaseError, data: bytes) -> None:
    """A CaseError names the file and a line of it, in one line of text."""
    text = data.decode("utf-8", "replace")
    lines = sum(text.count(brk) for brk in YAML_LINE_BREAKS) + 1
    assert error.path == DISPLAY
    assert isinstance(error.line, int)
    assert 1 <= error.line <= lines + 1, (error.line, lines)
    assert str(error) == f"{DISPLAY}:{error.line}: {error.message}"
    assert "\n" not in str(error)
    assert len(str(error)) < 1000


def assert_valid(case: Case) -> None:
    """A loaded case is what the rest of the plugin trusts it to be."""
    assert case.inputs > 0
    assert case.classes > 0
    assert case.x.ndim in (1, 2)  # one sample (n,) or a batch (B, n)
    assert case.x.shape[-1] == case.inputs
    assert case.weights.shape == (case.inputs, case.classes)
    assert case.bias is None or case.bias.shape == (case.classes,)
    assert case.label.shape == (*case.x.shape[:-1], case.classes)
    for array in (case.x, case.weights, case.label, case.bias):
        assert array is None or bool(np.all(np.isfinite(array)))
    assert bool(np.all(case.label >= 0))
    assert np.allclose(case.label.sum(axis=-1), 1.0, rtol=0, atol=1e-5)
    for value in (case.rtol, case.step):
        assert value is None or value > 0
    assert case.atol is None or case.atol >= 0
    assert case.checks is None or all(isinstance(name, str) for name in case.checks)


def check(path: Path, data: bytes) -> None:
    result = outcome(path, data)
    if isinstance(result, CaseError):
        assert_located(result, data)
        return
    assert result, "a file that loads has at least one case"
    names = [entry.name for entry in result]
    assert len(names) == len(set(names)), names
    for entry in result:
        assert entry.line >= 1
        if isinstance(entry.case, CaseError):
            assert_located(entry.case, data)
        elif isinstance(entry.case, Case):
            assert_valid(entry.case)
        # else: a case of another kind (a user function), loaded without error


# -- documents --------------------------------------------------------------------------

token_soup = st.lists(st.sampled_from(TOKENS), max_size=60).map("".join)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["softmax", "loss", "float32", "a", "xfail", "1e-6", ""]),
    st.text(max_size=10),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=6),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=5)), inner, max_size=6),
    ),
    max_leaves=30,
)
case_like = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(st.sampled_from(["a", "b", "a b", ""]), scalars),
        "inputs": st.one_of(st.integers(-2, 5), values),
        "classes": st.one_of(st.integers(-2, 5), values),
        "x": values,
        "weights": st.one_of(
            values, st.fixed_dictionaries({"seed": st.integers(-1, 3)}, optional={"scale": scalars, "fill": scalars})
        ),
        "bias": values,
        "label": st.one_of(st.integers(-2, 5), values),
        "checks": values,
        "rtol": scalars,
        "step": scalars,
        "dtype": st.sampled_from(["float64", "float32", "int8"]),
        "marks": values,
    },
)
documents = st.one_of(
    values,
    st.fixed_dictionaries({"cases": st.lists(st.one_of(case_like, values), max_size=4)}),
    st.fixed_dictionaries({"defaults": case_like, "cases": st.lists(case_like, min_size=1, max_size=3)}),
)
dumped = documents.map(lambda doc: yaml.safe_dump(doc, default_flow_style=None, sort_keys=False))


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A shipped case file with a few lines deleted, duplicated or replaced, characters
    flipped, values swapped, tokens inserted or bytes broken."""
    lines = draw(st.sampled_from(SHIPPED_TEXT)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            lines = ["\n"]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "replace", "flip", "swap", "insert", "indent"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "replace":
            lines[i] = draw(st.sampled_from(SHIPPED_LINES)) + "\n"
        elif op == "flip" and lines[i]:
            j = draw(st.integers(0, len(lines[i]) - 1))
            char = draw(st.one_of(st.sampled_from(list("0123456789-.:[]{}, '\"&*!#\t\n-e")), st.characters()))
            lines[i] = lines[i][:j] + char + lines[i][j + 1 :]
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            a, b = lines[i].partition(":"), lines[j].partition(":")
            if a[1] and b[1]:
                lines[i], lines[j] = a[0] + ":" + b[2], b[0] + ":" + a[2]
        elif op == "insert":
            j = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:j] + draw(st.sampled_from(TOKENS)) + lines[i][j:]
        elif op == "indent":
            lines[i] = draw(st.sampled_from(["", " ", "  ", "      "])) + lines[i].lstrip(" ")
    data = "".join(lines).encode("utf-8", "surrogatepass")
    if draw(st.integers(0, 9)) == 0:  # now and then, bytes that are not UTF-8
        k = draw(st.integers(0, len(data)))
        data = data[:k] + draw(st.sampled_from([b"\xff", b"\xe9", b"\xc3", b"\xed\xa0\x80"])) + data[k:]
    return data


def utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


any_file = st.one_of(token_soup.map(utf8), dumped.map(utf8), mutated(), st.binary(max_size=200))


@settings(
    max_examples=2000,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=any_file)
def test_any_file_loads_as_cases_or_fails_at_a_line(tmp_path: Path, data: bytes) -> None:
    check(tmp_path / "fuzz.yaml", data)


def test_the_shipped_cases_load_cleanly(tmp_path: Path) -> None:
    # The mutations start from these; unmutated, every case in them is valid.
    assert SHIPPED
    for text in SHIPPED_TEXT:
        entries = outcome(tmp_path / "fuzz.yaml", utf8(text))
        assert not isinstance(entries, CaseError), entries
        assert [entry.case for entry in entries if isinstance(entry.case, CaseError)] == []


def test_the_checks_reject_what_they_should(tmp_path: Path) -> None:
    # The fuzz assertions can fail: a CaseError on a line past the end, or two lines, is caught.
    error = CaseError(DISPLAY, 99, "x: bad")
    try:
        assert_located(error, b"cases:\n")
    except AssertionError:
        pass
    else:
        raise AssertionError("a line past the end of the file passed")
    result = outcome(tmp_path / "fuzz.yaml", b"cases: [1]\n")
    assert isinstance(result, list)
    assert isinstance(result[0].case, CaseError)
    assert_located(result[0].case, b"cases: [1]\n")
