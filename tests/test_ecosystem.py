"""The plugin among pytest's own tools: xdist, JUnit XML, a JSON report, --help, a stable --co listing.

Refresh the --co snapshot after adding cases to cases/:
    GRADCHECK_UPDATE_SNAPSHOTS=1 pytest tests/test_ecosystem.py -k snapshot
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from pluginrun import CHECKS, PLANTED_LOSS_GRAD, RECORD_KEYS, SEED, planted, run, write

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "snapshots" / "collect.txt"
PROPERTIES = ["file", "line", "max_abs_error", "max_rel_error", "mismatched", "step", "rtol", "atol"]

# `- name: seed` sits on line 2 of this text.
# After SEED and one more line: a case that skips (line 12), one whose x (line 22) is wrong.
MORE = """\
  - name: skipped
    inputs: 2
    classes: 2
    x: [0.1, 0.2]
    weights: {seed: 1, scale: 1.0}
    label: 0
    marks: [{skip: not today}]
  - name: broken
    inputs: 3
    classes: 2
    x: [0.1, 0.2]
    weights: {seed: 1, scale: 1.0}
    label: 0
"""
# A bug in the shortcut gradient for the inner run only (undone at unconfigure).


def shipped_cases(pytester: pytest.Pytester) -> None:
    shutil.copytree(ROOT / "cases", pytester.path / "cases")


def records(path: Path, *, timeless: bool = False) -> list[dict[str, Any]]:
    loaded: list[dict[str, Any]] = json.loads(path.read_text(encoding="utf-8"))["records"]
    if timeless:
        return [{k: v for k, v in r.items() if k != "seconds"} for r in loaded]
    return loaded


# -- pytest-xdist -----------------------------------------------------------------------------


def test_shipped_cases_give_the_same_outcomes_and_report_under_xdist(pytester: pytest.Pytester) -> None:
    shipped_cases(pytester)
    plain = pytester.runpytest_subprocess("-W", "error", "--gradcheck-cases", "cases", "--gradcheck-report", "a.json")
    spread = pytester.runpytest_subprocess(
        "-W", "error", "-n", "2", "--gradcheck-cases", "cases", "--gradcheck-report", "b.json"
    )
    outcomes = plain.parseoutcomes()
    assert outcomes["passed"] >= 80 and set(outcomes) == {"passed"}
    assert spread.parseoutcomes() == outcomes
    spread.stdout.fnmatch_lines(["created: 2/2 workers*"])
    assert (plain.ret, spread.ret) == (pytest.ExitCode.OK, pytest.ExitCode.OK)
    # one merged file from the controller, in collection order, with the numbers of the plain run
    merged = records(pytester.path / "b.json", timeless=True)
    assert len(merged) == outcomes["passed"]
    assert merged == records(pytester.path / "a.json", timeless=True)


def test_every_worker_collects_the_same_items_in_the_same_order(pytester: pytest.Pytester) -> None:
    shipped_cases(pytester)
    # xdist's own check: a worker whose collection differs fails the run with "Different tests were collected"
    result = pytester.runpytest_subprocess("-n", "3", "--gradcheck-cases", "cases", "--co", "-q", "-W", "error")
    assert result.ret == pytest.ExitCode.OK
    assert "Different tests were collected" not in result.stdout.str() + result.stderr.str()
    plain = pytester.runpytest_subprocess("--gradcheck-cases", "cases", "--co", "-q")
    assert [x for x in result.outlines if "::" in x] == [x for x in plain.outlines if "::" in x]


# -- JUnit XML --------------------------------------------------------------------------------


def junit_properties(path: Path) -> dict[str, dict[str, str]]:
    root = ET.parse(path).getroot()
    return {
        tc.get("name", ""): {p.get("name", ""): p.get("value", "") for p in tc.iter("property")}
        for tc in root.iter("testcase")
    }


@pytest.mark.parametrize("family", ["xunit2", "xunit1", "legacy"])
def test_junit_properties_in_every_family(pytester: pytest.Pytester, family: str) -> None:
    write(pytester, "cases/x.yaml", SEED + "    step: 1.0e-6\n    rtol: 2.0e-6\n")
    result = run(pytester, "--gradcheck-cases", "cases", "--junitxml=out.xml", "-o", f"junit_family={family}")
    result.assert_outcomes(passed=5)
    props = junit_properties(pytester.path / "out.xml")
    assert sorted(props) == sorted(f"seed[{c}]" for c in CHECKS)
    for got in props.values():
        assert list(got) == PROPERTIES
        assert (got["file"], got["line"], got["step"], got["rtol"], got["atol"]) == (
            "cases/x.yaml",
            "2",
            "1e-06",
            "2e-06",
            "1e-08",
        )
        assert 0 <= float(got["max_abs_error"]) < 1e-8
        assert 0 <= float(got["max_rel_error"]) < 1e-6
        assert got["mismatched"] == "0"


def test_junit_xunit1_attributes_and_the_default_family(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n")
    run(pytester, "--gradcheck-cases", "cases", "--junitxml=x1.xml", "-o", "junit_family=xunit1")
    (tc,) = ET.parse(pytester.path / "x1.xml").getroot().iter("testcase")
    assert (tc.get("file"), tc.get("line")) == ("cases/x.yaml", "1")  # pytest's 0-based line
    run(pytester, "--gradcheck-cases", "cases", "--junitxml=x2.xml")  # pytest's default: xunit2
    (tc,) = ET.parse(pytester.path / "x2.xml").getroot().iter("testcase")
    assert tc.get("file") is None  # xunit2 has no such attribute; the properties carry it
    assert junit_properties(pytester.path / "x2.xml")["seed[loss]"]["file"] == "cases/x.yaml"


def test_junit_properties_of_a_failing_check_and_a_broken_case(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n" + MORE)
    result = run(pytester, "--gradcheck-cases", "cases", "--junitxml=out.xml")
    result.assert_outcomes(failed=2, skipped=5)
    props = junit_properties(pytester.path / "out.xml")
    assert float(props["seed[loss]"]["max_abs_error"]) == pytest.approx(1e-3, rel=1e-3)
    assert props["seed[loss]"]["mismatched"] == "1"
    assert props["broken"] == {"file": "cases/x.yaml", "line": "22"}  # the line of the bad field, x
    assert props["skipped[softmax]"] == {"file": "cases/x.yaml", "line": "12"}


def test_junit_properties_under_xdist(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    result = pytester.runpytest_subprocess("-n", "2", "--gradcheck-cases", "cases", "--junitxml=out.xml")
    result.assert_outcomes(passed=5)
    props = junit_properties(pytester.path / "out.xml")
    assert len(props) == 5 and all(list(p) == PROPERTIES for p in props.values())


# -- the JSON report --------------------------------------------------------------------------


def test_report_has_one_record_per_item(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    write(pytester, "cases/x.yaml", SEED + "    step: 1.0e-6\n" + MORE)
    result = run(pytester, "--gradcheck-cases", "cases", "--gradcheck-report", "out/report.json")
    result.assert_outcomes(passed=4, failed=2, skipped=5)
    result.stdout.fnmatch_lines([f"*gradcheck report: {pytester.path / 'out' / 'report.json'}*"])
    got = records(pytester.path / "out" / "report.json")
    assert [r["id"] for r in got] == [
        *(f"cases/x.yaml::seed[{c}]" for c in CHECKS),
        *(f"cases/x.yaml::skipped[{c}]" for c in CHECKS),
        "cases/x.yaml::broken",
    ]
    keys = RECORD_KEYS
    assert all(list(r) == keys for r in got)
    by_id = {r["id"]: r for r in got}
    softmax, loss = by_id["cases/x.yaml::seed[softmax]"], by_id["cases/x.yaml::seed[loss]"]
    assert softmax["outcome"] == "passed" and softmax["passed"] is True
    assert (softmax["file"], softmax["line"], softmax["case"], softmax["check"]) == (
        "cases/x.yaml",
        2,
        "seed",
        "softmax",
    )
    assert (softmax["rtol"], softmax["atol"], softmax["step"]) == (1e-6, 1e-8, 1e-6)
    assert (softmax["scheme"], softmax["mode"], softmax["mismatched"], softmax["total"]) == ("central", "full", 0, 25)
    assert softmax["max_abs_error"] < 1e-9 and softmax["seconds"] > 0
    assert loss["outcome"] == "failed" and loss["passed"] is False
    assert loss["max_abs_error"] == pytest.approx(1e-3, rel=1e-3) and loss["mismatched"] == 1
    assert (softmax["diagnosis"], softmax["hints"]) == (None, [])  # a pass has neither
    assert loss["diagnosis"] == "bug"
    assert loss["hints"] == ["only 1 of 15 entries are wrong: look at those indices"]
    skipped = by_id["cases/x.yaml::skipped[layer]"]
    assert (skipped["outcome"], skipped["passed"], skipped["max_abs_error"], skipped["line"]) == (
        "skipped",
        None,
        None,
        12,
    )
    broken = by_id["cases/x.yaml::broken"]
    assert (broken["outcome"], broken["passed"], broken["check"], broken["line"]) == ("failed", False, None, 22)
    assert broken["error"].startswith("x: has shape (2,)")
    assert (broken["diagnosis"], skipped["diagnosis"]) == ("error", None)


def test_report_outcome_of_an_expected_failure(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss, softmax]\n    marks: [xfail]\n")
    run(pytester, "--gradcheck-cases", "cases", "--gradcheck-report", "r.json").assert_outcomes(xfailed=1, xpassed=1)
    got = {r["check"]: (r["outcome"], r["passed"]) for r in records(pytester.path / "r.json")}
    assert got == {"loss": ("xfailed", False), "softmax": ("xpassed", True)}


def test_report_with_a_non_finite_error_is_strict_json(pytester: pytest.Pytester) -> None:
    conftest = planted("loss_grad", "x, W, y, b=None", "out[2, 1] = np.nan")
    pytester.makeconftest(conftest)
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n")
    run(pytester, "--gradcheck-cases", "cases", "--gradcheck-report", "r.json").assert_outcomes(failed=1)
    text = (pytester.path / "r.json").read_text(encoding="utf-8")
    assert "NaN" not in text and "Infinity" not in text
    (record,) = json.loads(text)["records"]
    assert (record["passed"], record["max_abs_error"], record["max_rel_error"]) == (False, None, None)


def test_report_of_a_check_that_raises_before_its_verdict(pytester: pytest.Pytester) -> None:
    conftest = planted("loss_grad", "x, W, y, b=None", "raise ArithmeticError('planted: no gradient\\nsecond line')")
    pytester.makeconftest(conftest)
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss, softmax]\n")
    run(pytester, "--gradcheck-cases", "cases", "--gradcheck-report", "r.json").assert_outcomes(passed=1, failed=1)
    got = {r["check"]: r for r in records(pytester.path / "r.json")}
    loss, softmax = got["loss"], got["softmax"]
    assert (loss["outcome"], loss["passed"], loss["max_abs_error"]) == ("failed", False, None)
    assert loss["error"] == "ArithmeticError: planted: no gradient"
    assert (softmax["passed"], softmax["error"]) == (True, None)


def test_no_report_without_the_option(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=5)
    assert "gradcheck report" not in result.stdout.str()
    assert list(pytester.path.glob("*.json")) == []


def test_failure_report_names_the_sweep_command(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(PLANTED_LOSS_GRAD)
    write(pytester, "cases/x.yaml", SEED + "    checks: [loss]\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*W[[]2, 1[]]*", "  plot: python -m gradcheck sweep 'cases/x.yaml::seed[[]loss[]]' -o sweep.png"]
    )


# -- --help -----------------------------------------------------------------------------------


def help_groups(text: str) -> dict[str, dict[str, str]]:
    """The option groups of `pytest --help`: {heading: {--option: help text}}."""
    groups: dict[str, dict[str, str]] = {}
    options: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        if line and not line.startswith(" ") and line.endswith(":"):
            options = groups.setdefault(line[:-1], {})
            current = None
        elif match := re.match(r"  (-\S+(?:, -\S+)*)(?:\s{2,}(\S.*))?$", line):
            current = match[1].split(", ")[-1].split("=")[0]
            options[current] = match[2] or ""
        elif current and line.startswith(" " * 10) and line.strip():
            options[current] = f"{options[current]} {line.strip()}".strip()
        else:
            current = None
    return groups


def test_help_groups_every_gradcheck_option_with_a_sentence(pytester: pytest.Pytester) -> None:
    result = run(pytester, "--help")
    text = result.stdout.str()
    everywhere = set(re.findall(r"--gradcheck-[a-z-]+", text))
    assert everywhere >= {"--gradcheck-cases", "--gradcheck-report"}
    groups = help_groups(text)
    ours = groups["gradcheck: derivative checks from YAML case files"]
    assert set(ours) == everywhere
    for option, help_text in ours.items():
        assert len(help_text.split()) >= 5 and help_text.endswith((".", ")")), (option, help_text)
    others = {opt for heading, opts in groups.items() if not heading.startswith("gradcheck") for opt in opts}
    assert not {o for o in others if o.startswith("--gradcheck")}
    lines = result.outlines
    for ini in ("gradcheck_cases", "gradcheck_max_elements"):
        (at,) = [i for i, x in enumerate(lines) if x.strip().startswith(f"{ini} (")]
        described = lines[at].split(":", 1)[1] + " " + " ".join(x for x in lines[at + 1 : at + 3] if x[:10].isspace())
        assert len(described.split()) >= 5 and described.strip().endswith("."), (ini, described)


# -- a stable --co listing --------------------------------------------------------------------


def collect_listing() -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--co", "-q", "--gradcheck-cases", "cases/", "-p", "no:cacheprovider"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return re.sub(r" in [0-9.]+s\b", "", done.stdout)  # the one line that changes from run to run


def test_collect_only_listing_matches_the_snapshot() -> None:
    listing = collect_listing()
    if os.environ.get("GRADCHECK_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(listing, encoding="utf-8")
    assert listing == SNAPSHOT.read_text(encoding="utf-8"), (
        "the --co listing of cases/ changed; if that is intended, refresh tests/snapshots/collect.txt with "
        "GRADCHECK_UPDATE_SNAPSHOTS=1 pytest tests/test_ecosystem.py -k snapshot"
    )
    ids = [line for line in listing.splitlines() if "::" in line]
    assert len(ids) == len(set(ids)) > 0
    assert listing.rstrip().endswith(f"{len(ids)} tests collected")
