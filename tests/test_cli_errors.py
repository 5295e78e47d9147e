"""`python -m gradcheck` misused: every argument is checked before the sweep runs, and a mistake is
one line on stderr (exit code 2 for the command line itself, 1 for a target that cannot be checked);
nothing is written, and no traceback follows a sweep that has run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from gradcheck.cli import main
from gradcheck.cli import sweep as sw

ROOT = Path(__file__).resolve().parent.parent
TARGET = "cases/x.yaml::seed-example[loss]"
FORMATS = "pdf, png, svg"
HELP = "(see python -m gradcheck sweep --help)"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder to run in, with a case file, and the plot drawn without matplotlib (a stub that
    writes the file), so that these tests need no plotting library."""
    (tmp_path / "cases").mkdir()
    shutil.copy(ROOT / "cases/seed_example.yaml", tmp_path / "cases/x.yaml")
    (tmp_path / "notes.txt").write_text("mine\n", encoding="utf-8")
    (tmp_path / "plots.png").mkdir()
    os.mkfifo(tmp_path / "pipe.png")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sw, "plot_available", lambda: True)
    monkeypatch.setattr(sw, "image_formats", lambda: FORMATS.split(", "))
    monkeypatch.setattr(sw, "plot", lambda result, path: Path(path).write_bytes(b"image"))
    return tmp_path


MISTAKES = [
    ([], 2, f"gradcheck: the following arguments are required: COMMAND {HELP.replace(' sweep', '')}"),
    (["sweep"], 2, f"gradcheck sweep: the following arguments are required: FILE::CASE[CHECK] {HELP}"),
    (
        ["sweep", TARGET, "--entries", "-3"],
        2,
        f"gradcheck sweep: argument --entries: '-3' is not positive; expected e.g. 3 {HELP}",
    ),
    (
        ["sweep", TARGET, "--entries", "0"],
        2,
        f"gradcheck sweep: argument --entries: '0' is not positive; expected e.g. 3 {HELP}",
    ),
    (
        ["sweep", TARGET, "--entries", "2.5"],
        2,
        f"gradcheck sweep: argument --entries: '2.5' is not an integer; expected e.g. 3 {HELP}",
    ),
    (["sweep", TARGET, "--bogus"], 2, "gradcheck: unrecognized arguments: --bogus (see python -m gradcheck --help)"),
    (
        ["sweep", TARGET, "-o", ""],
        2,
        "gradcheck sweep: -o/--output: the path is empty; expected an image file, e.g. sweep.png",
    ),
    (
        ["sweep", TARGET, "-o", "sweep"],
        2,
        f"gradcheck sweep: -o/--output: sweep has no suffix; expected an image file named by its format: {FORMATS}",
    ),
    (
        ["sweep", TARGET, "-o", "cases/x.yaml"],
        2,
        "gradcheck sweep: -o/--output: cases/x.yaml has the suffix '.yaml'; expected an image file named by its "
        f"format: {FORMATS}",
    ),
    (
        ["sweep", TARGET, "-o", "plots/sweep.png"],
        2,
        "gradcheck sweep: -o/--output: plots/sweep.png: the folder plots does not exist",
    ),
    (
        ["sweep", TARGET, "-o", "notes.txt/sweep.png"],
        2,
        "gradcheck sweep: -o/--output: notes.txt/sweep.png: notes.txt is not a folder",
    ),
    (
        ["sweep", TARGET, "-o", "plots.png"],
        2,
        "gradcheck sweep: -o/--output: plots.png is a directory; expected an image file to write",
    ),
    (
        ["sweep", TARGET, "-o", "pipe.png"],
        2,
        "gradcheck sweep: -o/--output: pipe.png is a named pipe; expected an image file to write",
    ),
    (
        ["sweep", "cases/x.yaml"],
        1,
        "gradcheck sweep: 'cases/x.yaml' is not a test id; expected path/file.yaml::case[check]",
    ),
    (
        ["sweep", "cases/nope.yaml::a[loss]"],
        1,
        "gradcheck sweep: cases/nope.yaml: no such case file here ({here}); run sweep from the folder pytest ran "
        "in, as its plot: line says, or give the case file's path from here",
    ),
    (
        ["sweep", "plots.png::a[loss]"],
        1,
        "gradcheck sweep: plots.png:1: file is a directory, not a regular file; a case file is a YAML text file",
    ),
]


@pytest.mark.parametrize(("argv", "code", "expected"), MISTAKES, ids=[line[:60] for _, _, line in MISTAKES])
def test_a_mistake_on_the_command_line_is_one_line(
    here: Path, capsys: pytest.CaptureFixture[str], argv: list[str], code: int, expected: str
) -> None:
    before = sorted(p.name for p in here.rglob("*"))
    assert main(argv) == code
    captured = capsys.readouterr()
    assert captured.err == expected.replace("{here}", str(here)) + "\n"
    assert captured.out == ""
    assert sorted(p.name for p in here.rglob("*")) == before  # nothing written
    assert (here / "cases/x.yaml").read_bytes() == (ROOT / "cases/seed_example.yaml").read_bytes()


def test_a_plot_that_fails_after_the_sweep_is_one_line(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def needs_latex(result: object, path: str) -> None:
        raise RuntimeError("'xelatex' not found; install it")

    monkeypatch.setattr(sw, "plot", needs_latex)
    assert main(["sweep", TARGET, "-o", "sweep.pdf", "--entries", "1"]) == 2
    captured = capsys.readouterr()
    assert (
        captured.err
        == "gradcheck sweep: -o/--output: cannot write sweep.pdf: RuntimeError: 'xelatex' not found; install it\n"
    )
    assert captured.out == ""


def test_the_file_written_is_the_file_named(here: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", TARGET, "-o", "cases/Sweep.PNG", "--entries", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-1] == "wrote cases/Sweep.PNG" and (here / "cases/Sweep.PNG").read_bytes() == b"image"
    assert len(lines) == 2  # one curve, as --entries asked
