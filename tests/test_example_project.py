"""examples/numpy-mlp run as its user would: in a copy of its own, with `python -m pytest`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from pluginrun import pytest_in

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "numpy-mlp"


def outcomes(stdout: str) -> dict[str, int]:
    """{'passed': 11, 'xfailed': 1} from pytest's last line."""
    last = stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


def test_the_example_project_passes_as_shipped(tmp_path: Path) -> None:
    project = tmp_path / "numpy-mlp"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    result = pytest_in(project, "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    # 9 YAML cases pass, 1 is the deliberately wrong derivative, 2 are ordinary tests
    assert outcomes(result.stdout) == {"passed": 11, "xfailed": 1}, result.stdout
    assert "cases/activations.yaml::mse-v0[gradient] XFAIL" in result.stdout
    assert "tests/test_mlp.py::test_forward_against_its_vjp PASSED" in result.stdout
    assert "cases/mlp.yaml::loss-W1[gradient] PASSED" in result.stdout


def test_the_wrong_derivative_of_the_example_fails_with_its_report(tmp_path: Path) -> None:
    project = tmp_path / "numpy-mlp"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    result = pytest_in(project, "cases/activations.yaml::mse-v0[gradient]", "--runxfail")
    assert result.returncode == 1
    assert "gradcheck: gradient mlp.losses:mse_grad_v0 of case 'mse-v0'" in result.stdout
    assert "analytic = 0.5 * numeric" in result.stdout


def test_this_projects_runs_do_not_collect_the_example() -> None:
    for args in (["--gradcheck-cases", "cases/"], []):
        result = pytest_in(ROOT, "--co", "-q", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "::" in result.stdout
        assert "examples" not in result.stdout
