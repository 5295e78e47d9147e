"""Helpers shared by the tests that run the plugin through pytester, as a user would."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# The plugin's lazily imported modules (numpy and yaml among them) are imported once, here:
# pytester's in-process runs drop the modules a run imported, and numpy refuses a second import.
import gradcheck.pytest_plugin.collect  # noqa: F401
from gradcheck.checks.names import DEFAULT_CHECKS

#: The keys of every record of the JSON report, in their order.
RECORD_KEYS = ["id", "file", "line", "check", "case", "outcome", "passed", "max_abs_error", "max_rel_error"]
RECORD_KEYS += ["mismatched", "total", "failed_first", "looked_again", "confirmed", "rtol", "atol", "step", "scheme"]
RECORD_KEYS += ["mode", "seconds", "error", "diagnosis", "hints", "plots"]

#: The numpy-layers example's pieces in the shapes that need a key of their own (tinynet/shapes.py):
#: the tests of those keys check this code, and variants of it with bugs planted.
SHAPES = (Path(__file__).resolve().parent.parent / "examples/numpy-layers/tinynet/shapes.py").read_text(
    encoding="utf-8"
)

#: The checks a case runs when it names none.
CHECKS = list(DEFAULT_CHECKS)

# The worked example; `- name: seed` sits on line 2 of this text (1-based).
SEED = """\
cases:
  - name: seed
    inputs: 3
    classes: 5
    x: [0.1, 0.5, 0.4]
    weights:
      - [0.1, 0.2, 0.3, 0.4, 0.5]
      - [0.6, 0.7, 0.8, 0.9, 0.1]
      - [0.11, 0.12, 0.13, 0.14, 0.15]
    label: 2
"""


def planted(name: str, params: str, change: str) -> str:
    """A conftest.py that plants a bug in gradcheck.functions.<name> for the inner run only:
    patched in pytest_configure, undone in pytest_unconfigure, so nothing leaks out. `change`
    edits `out`, the array the real function returned."""
    return f"""\
import numpy as np
import pytest

import gradcheck.functions

_patch = pytest.MonkeyPatch()


def pytest_configure(config):
    real = gradcheck.functions.{name}

    def planted({params}):
        out = np.array(real({params.replace("=None", "")}), dtype=float)
        {change}
        return out

    _patch.setattr(gradcheck.functions, "{name}", planted)


def pytest_unconfigure(config):
    _patch.undo()
"""


#: The built-in shortcut gradient with 1e-3 added to W[2, 1].
PLANTED_LOSS_GRAD = planted("loss_grad", "x, W, y, b=None", "out[2, 1] += 1e-3")
#: The layer's Jacobian dS/dW, (K, n, K), with the block of one class, dS[2]/dW, 1 % too large.
PLANTED_LAYER_JACOBIAN = planted("layer_jacobian", "x, W, b=None", "out[2] *= 1.01")


def write(pytester: pytest.Pytester, relpath: str, text: str | bytes) -> Path:
    """A file under the pytester directory, with its folders; bytes are written as they are."""
    path = pytester.path / relpath
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """Run pytest in-process as a user would. Two plugin-independent quirks of in-process
    runs are switched off: hypothesis' plugin re-imports hypothesis on every run (slow),
    and pytest notes that the already imported gradcheck cannot be assertion-rewritten."""
    return pytester.runpytest("-p", "no:hypothesispytest", "-W", "ignore::pytest.PytestAssertRewriteWarning", *args)


def one_case(pytester: pytest.Pytester, module: tuple[str, str], case: str, ini: str = "") -> pytest.RunResult:
    """Run a project of one module under mylib/ (its name and text) and one case `c` in
    cases/x.yaml (`case` its fields, a line each; its first field on line 3)."""
    pytester.makeini(f"[pytest]\ngradcheck_cases = cases\n{ini}")
    write(pytester, "mylib/__init__.py", "")
    write(pytester, f"mylib/{module[0]}.py", module[1])
    write(pytester, "cases/x.yaml", "cases:\n  - name: c\n" + "".join(f"    {line}\n" for line in case.splitlines()))
    return run(pytester, "-p", "no:cacheprovider")


def docs_project_run(pytester: pytest.Pytester, folder: str, *args: str) -> pytest.RunResult:
    """Run, in a copy of its own, a project the documentation shows (`docs/FOLDER/`, whose files
    its page shows as they are)."""
    source = Path(__file__).resolve().parent.parent / "docs" / folder
    for path in source.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            write(pytester, str(path.relative_to(source)), path.read_text(encoding="utf-8"))
    return run(pytester, "-p", "no:randomly", *args)


def sections(result: pytest.RunResult) -> dict[str, list[str]]:
    """The FAILURES / ERRORS sections by their `____ title ____` header, blank lines dropped."""
    out: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in result.outlines:
        header = re.fullmatch(r"_{3,} (.+?) _{3,}", line)
        if header:
            current = out.setdefault(header.group(1), [])
        elif line.startswith("="):
            current = None
        elif current is not None and line.strip():
            current.append(line)
    return out


def pytest_in(cwd: Path, *args: str, plain: bool = False, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m pytest -p no:cacheprovider ARGS` in a fresh interpreter in `cwd` (with plain=True the
    `pytest` command itself, which does not put `cwd` on sys.path), without this run's PYTEST_*
    variables (xdist's among them); `env` adds variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    command = [str(Path(sys.executable).with_name("pytest"))] if plain else [sys.executable, "-m", "pytest"]
    return subprocess.run(
        [*command, "-p", "no:cacheprovider", *args],
        cwd=cwd,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
