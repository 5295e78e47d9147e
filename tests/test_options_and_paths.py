"""Options, ini settings and paths as a careless user gives them: each mistake is one line when
pytest configures (a UsageError, exit code 4) naming the option or setting, before anything runs;
a report never overwrites a file gradcheck did not write; a file in a case folder that cannot be
read fails alone."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pluginrun import SEED, run, sections, write

CASES = "expected a case file or a folder of case files"
JSON = "expected a JSON file to write"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """A project with a case folder and the things a careless user points options at."""
    write(pytester, "cases/x.yaml", SEED)
    write(pytester, "data.txt", "not cases\n")
    write(pytester, "notes.json", '{"mine": true}\n')
    write(pytester, "yamls/a.yaml", SEED)
    (pytester.path / "empty").mkdir()
    (pytester.path / "loop.yaml").symlink_to("loop.yaml")
    (pytester.path / "broken.yaml").symlink_to("missing.yaml")
    os.mkfifo(pytester.path / "pipe.yaml")
    return pytester


USAGE = [
    # -- case paths: on the command line, and in the ini file -----------------------------
    ("", ["--gradcheck-cases", "nope"], f"--gradcheck-cases: nope does not exist; {CASES}"),
    ("gradcheck_cases = nope", [], f"gradcheck_cases: nope does not exist; {CASES}"),
    (
        "gradcheck_cases = cases empty",
        [],
        "gradcheck_cases: empty holds no case file: no file name matches gradcheck_pattern (*.yaml *.yml)",
    ),
    ("", ["--gradcheck-cases="], f"--gradcheck-cases: the path is empty; {CASES}"),
    (
        "",
        ["--gradcheck-cases", "loop.yaml"],
        f"--gradcheck-cases: loop.yaml is a symbolic link loop (to loop.yaml); {CASES}",
    ),
    (
        "",
        ["--gradcheck-cases", "broken.yaml"],
        f"--gradcheck-cases: broken.yaml is a symbolic link to missing.yaml, which does not exist; {CASES}",
    ),
    ("", ["--gradcheck-cases", "pipe.yaml"], f"--gradcheck-cases: pipe.yaml is a named pipe; {CASES}"),
    (
        "",
        ["--gradcheck-cases", "cases/x.yaml/y"],
        f"--gradcheck-cases: cases/x.yaml/y lies under a file, not a folder; {CASES}",
    ),
    (
        "",
        ["--gradcheck-cases", "data.txt"],
        "--gradcheck-cases: data.txt is not a case file: its name matches no gradcheck_pattern (*.yaml *.yml) "
        f"and is not .yaml or .yml; {CASES}",
    ),
    (
        "",
        ["--gradcheck-cases", "empty"],
        "--gradcheck-cases: empty holds no case file: no file name matches gradcheck_pattern (*.yaml *.yml)",
    ),
    # -- file-name patterns --------------------------------------------------------------------
    (
        "gradcheck_pattern = *.json",
        ["--gradcheck-cases", "yamls"],
        "--gradcheck-cases: yamls holds no case file: no file name matches gradcheck_pattern (*.json); "
        "its 1 .yaml/.yml file match none",
    ),
    ("gradcheck_pattern = [", [], "gradcheck_pattern: '[' has a '[' without its ']'; expected e.g. *.case.yaml"),
    (
        "gradcheck_pattern = *.y[am",
        [],
        "gradcheck_pattern: '*.y[am' has a '[' without its ']'; expected e.g. *.case.yaml",
    ),
    (
        "gradcheck_pattern = *",
        [],
        "gradcheck_pattern: '*' matches Python files such as conftest.py, which pytest collects itself; "
        "expected e.g. *.case.yaml",
    ),
    (
        "gradcheck_pattern = test_*",
        [],
        "gradcheck_pattern: 'test_*' matches Python files such as test_example.py, which pytest collects itself; "
        "expected e.g. *.case.yaml",
    ),
    (
        "gradcheck_pattern = cases/*.yaml",
        [],
        "gradcheck_pattern: 'cases/*.yaml' holds a path separator; a pattern matches file names, not paths; "
        "expected e.g. *.case.yaml",
    ),
    ("gradcheck_pattern = ''", [], "gradcheck_pattern: '' is empty; expected e.g. *.case.yaml"),
    # -- the JSON report -------------------------------------------------------------------
    ("", ["--gradcheck-report", "cases"], f"--gradcheck-report: cases is a directory; {JSON}"),
    (
        "",
        ["--gradcheck-report", "cases/x.yaml"],
        "--gradcheck-report: cases/x.yaml exists and is not a gradcheck report, which it would overwrite; "
        "name a new file (or remove this one)",
    ),
    (
        "",
        ["--gradcheck-report", "notes.json"],
        "--gradcheck-report: notes.json exists and is not a gradcheck report, which it would overwrite; "
        "name a new file (or remove this one)",
    ),
    (
        "",
        ["--gradcheck-report", "data.txt/r.json"],
        "--gradcheck-report: data.txt/r.json lies under {root}/data.txt, which is a file, not a folder",
    ),
    ("", ["--gradcheck-report", "pipe.yaml"], f"--gradcheck-report: pipe.yaml is a named pipe; {JSON}"),
    (
        "",
        ["--gradcheck-report", "loop.yaml"],
        f"--gradcheck-report: loop.yaml is a symbolic link loop (to loop.yaml); {JSON}",
    ),
    (
        "",
        ["--gradcheck-report="],
        "--gradcheck-report: the path is empty; expected a JSON file to write, e.g. gradcheck.json",
    ),
    (
        "",
        ["--junitxml", "out.xml", "--gradcheck-report", "out.xml"],
        "--gradcheck-report: out.xml is also the file of --junitxml; name another file",
    ),
    # -- tolerances and limits ----------------------------------------------------------------
    ("", ["--gradcheck-rtol=-1e-6"], "--gradcheck-rtol: '-1e-6' is not a positive number; expected e.g. 1e-6"),
    ("", ["--gradcheck-atol", "nan"], "--gradcheck-atol: 'nan' is not a non-negative number; expected e.g. 1e-6"),
    ("gradcheck_rtol = 0", [], "gradcheck_rtol: '0' is not a positive number; expected e.g. 1e-6"),
    ("gradcheck_atol = lots", [], "gradcheck_atol: 'lots' is not a number; expected e.g. 1e-6"),
    ("gradcheck_max_elements = 1e6", [], "gradcheck_max_elements: '1e6' is not an integer; expected e.g. 10000000"),
]


@pytest.mark.parametrize(("ini", "argv", "expected"), USAGE, ids=[line[:60] for _, _, line in USAGE])
def test_a_bad_option_or_setting_is_one_usage_error(
    project: pytest.Pytester, ini: str, argv: list[str], expected: str
) -> None:
    project.makeini(f"[pytest]\n{ini}\n")
    result = run(project, *argv)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    error = [line for line in result.errlines if line.strip()]
    assert error == [f"ERROR: {expected.format(root=project.path)}"]
    assert "collected" not in result.stdout.str()  # nothing ran


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc, where no file can be made")
def test_a_report_in_a_folder_that_refuses_files_is_a_usage_error(project: pytest.Pytester) -> None:
    result = run(project, "--gradcheck-cases", "cases", "--gradcheck-report", "/proc/none/r.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: --gradcheck-report: /proc/none/r.json cannot be written: its folder would be made in /proc *"]
    )


def test_the_ordinary_tests_still_run_when_the_case_paths_are_fine(project: pytest.Pytester) -> None:
    project.makeini("[pytest]\ngradcheck_cases = cases\n")
    project.makepyfile(test_plain="def test_plain():\n    pass\n")
    run(project).assert_outcomes(passed=6)


# -- the report overwrites only what it wrote ------------------------------------------------------


def test_a_report_overwrites_an_earlier_report_and_an_empty_file(project: pytest.Pytester) -> None:
    write(project, "empty.json", "")
    for _ in range(2):
        for name in ("r.json", "empty.json"):
            result = run(project, "--gradcheck-cases", "cases", "--gradcheck-report", name)
            result.assert_outcomes(passed=5)
            records = json.loads((project.path / name).read_text())["records"]
            assert [r["check"] for r in records] == ["softmax", "layer", "cross_entropy", "chain", "loss"]
    assert (project.path / "cases/x.yaml").read_text() == SEED


def test_a_report_that_cannot_be_written_at_the_end_is_one_line(project: pytest.Pytester) -> None:
    # The folder is fine when pytest configures, and a test turns it into a file.
    project.makepyfile(test_spoil="from pathlib import Path\n\n\ndef test_spoil():\n    Path('out').write_text('')\n")
    result = run(project, "--gradcheck-cases", "cases", "test_spoil.py", "--gradcheck-report", "out/r.json")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines([f"*- gradcheck report: cannot write {project.path}/out/r.json: File exists -*"])
    assert "Traceback" not in result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR


# -- a file in a case folder that cannot be read fails alone ---------------------------------------

# Root reads files without permission, so a file that cannot be opened is made so in the inner run only.
UNREADABLE_CONFTEST = """\
import pathlib

import pytest

_patch = pytest.MonkeyPatch()


def pytest_configure(config):
    real = pathlib.Path.open

    def refusing(self, *args, **kwargs):
        if self.name == "secret.yaml":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    _patch.setattr(pathlib.Path, "open", refusing)


def pytest_unconfigure(config):
    _patch.undo()
"""


def test_each_file_of_a_case_folder_that_cannot_be_read_fails_alone(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(UNREADABLE_CONFTEST)
    write(pytester, "cases/a_good.yaml", SEED)
    write(pytester, "cases/secret.yaml", SEED)
    (pytester.path / "cases/broken.yaml").symlink_to("missing.yaml")
    (pytester.path / "cases/loop.yml").symlink_to("loop.yml")
    os.mkfifo(pytester.path / "cases/pipe.yaml")
    (pytester.path / "cases/not-a-case").symlink_to("missing")  # no pattern claims it
    result = run(pytester, "--gradcheck-cases", "cases", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=4)
    assert sections(result) == {
        "file": [
            "cases/broken.yaml:1: file is a symbolic link to missing.yaml, which does not exist; "
            "fix or remove the link",
            "cases/loop.yml:1: file is a symbolic link loop (to loop.yml); fix or remove the link",
            "cases/pipe.yaml:1: file is a named pipe, not a regular file; a case file is a YAML text file",
            "cases/secret.yaml:1: file cannot be read: permission denied; make it readable",
        ]
    }
    result.stdout.fnmatch_lines(["cases/a_good.yaml .....*", "cases/broken.yaml F*", "cases/loop.yml F*"])
    assert "Interrupted" not in result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_a_pattern_may_claim_other_names(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngradcheck_pattern = *.cases\n")
    write(pytester, "cases/x.cases", SEED)
    write(pytester, "cases/other.yaml", "not: cases\n")
    run(pytester, "--gradcheck-cases", "cases").assert_outcomes(passed=5)


def test_a_pipe_named_on_the_command_line_fails_alone(pytester: pytest.Pytester) -> None:
    write(pytester, "cases/x.yaml", SEED)
    os.mkfifo(pytester.path / "cases/pipe.yaml")
    result = run(pytester, "cases/pipe.yaml", "cases/x.yaml")
    result.assert_outcomes(passed=5, failed=1)
    assert sections(result) == {
        "file": ["cases/pipe.yaml:1: file is a named pipe, not a regular file; a case file is a YAML text file"]
    }
