"""The example projects run as their READMEs say: in a copy of their own, with a plain `pytest`."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

from pluginrun import pytest_in

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "numpy-mlp"
LAYERS = ROOT / "examples" / "numpy-layers"
#: The `pytest` command of this environment: not `python -m pytest`, which would put the
#: current directory on sys.path and hide a project that is not importable as its README runs it.
PYTEST = Path(sys.executable).with_name("pytest")


def outcomes(stdout: str) -> dict[str, int]:
    """{'passed': 11, 'xfailed': 1} from pytest's last line."""
    last = stdout.strip().splitlines()[-1]
    return {word: int(n) for n, word in re.findall(r"(\d+) (\w+)", last)}


def copy_of(example: Path, tmp_path: Path) -> Path:
    project = tmp_path / example.name
    shutil.copytree(example, project, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    return project


def test_the_example_project_passes_as_shipped(tmp_path: Path) -> None:
    assert PYTEST.is_file(), f"no pytest command beside {sys.executable}"
    result = pytest_in(copy_of(EXAMPLE, tmp_path), "-v", plain=True)
    assert result.returncode == 0, result.stdout + result.stderr
    # 9 YAML items pass, 1 is the deliberately wrong derivative, 2 are ordinary tests
    assert outcomes(result.stdout) == {"passed": 11, "xfailed": 1}, result.stdout
    assert "cases/activations.yaml::mse-v0[gradient] XFAIL" in result.stdout
    assert "tests/test_mlp.py::test_forward_against_its_vjp PASSED" in result.stdout
    assert "cases/mlp.yaml::loss[gradient:W1] PASSED" in result.stdout


def test_the_layers_example_checks_every_shape_from_yaml_alone(tmp_path: Path) -> None:
    project = copy_of(LAYERS, tmp_path)
    assert not [p for p in project.rglob("*.py") if p.parent.name == "cases"]  # no adapter code
    result = pytest_in(project, "-v", plain=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcomes(result.stdout) == {"passed": 50, "xfailed": 1}, result.stdout
    for item in (
        "cases/functional.yaml::affine[backward:b]",  # A: out, cache and dx, dw, db
        "cases/functional.yaml::softmax-loss[gradient]",  # A: loss, dx with integer labels (F)
        "cases/layers.yaml::dense[backward:W]",  # B: layer.dW
        "cases/layers.yaml::fully-connected[backward:parameters.W]",  # C: parameters made on the first call
        "cases/models.yaml::two-layer-net[gradient:params.W1]",  # D: loss, grads = model.loss(X, y)
        "cases/functional.yaml::rosenbrock[gradient]",  # D: value, grad = f(x)
        "cases/activations.yaml::sigmoid[elementwise]",  # E: sigmoid.gradient(z)
        "cases/functional.yaml::softmax-loss-random-labels[gradient]",  # F: {integers: [0, 4]}
        "cases/shapes.yaml::gated-step[backward:Wx]",  # A2: outputs: 2
        "cases/shapes.yaml::conv1d[vjp]",  # G: a settings dict
        "cases/shapes.yaml::tanh-dense[backward:weights]",  # H: output: output
        "cases/shapes.yaml::softmax-cross-entropy[gradient]",  # I: takes: [self.output, y_true]
        "cases/shapes.yaml::linear-set[backward:W]",  # set: {W: ...}
        "cases/shapes.yaml::network[gradient:layers.0.W]",  # L: layers chained, the loss at the end
        "cases/shapes.yaml::initialized-dense[backward:W]",  # call: [{initialize: ...}] builds W
        "cases/shapes.yaml::network-loss-object[gradient:layers.0.W]",  # M: loss: a loss object, reduction: mean
        "cases/scripts.yaml::char-rnn[gradient:scripts/char-rnn.py:Whh]",  # S: a script's module globals
    ):
        assert f"{item} PASSED" in result.stdout, item
    assert "cases/functional.yaml::softmax-loss-v0[gradient] XFAIL" in result.stdout


def test_the_wrong_derivative_of_the_layers_example_fails_with_its_report(tmp_path: Path) -> None:
    project = copy_of(LAYERS, tmp_path)
    result = pytest_in(project, "cases/functional.yaml::softmax-loss-v0[gradient]", "--runxfail", plain=True)
    assert result.returncode == 1
    assert "gradcheck: gradient returned by tinynet.functional:softmax_loss_v0 of case" in result.stdout
    assert "analytic = 5 * numeric" in result.stdout


def test_without_its_pythonpath_setting_the_example_cannot_import_its_package(tmp_path: Path) -> None:
    # what `pythonpath = ["."]` is for: without it a plain `pytest` cannot import the project's tests
    project = copy_of(EXAMPLE, tmp_path)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('pythonpath = ["."]', ""))
    result = pytest_in(project, plain=True)
    assert result.returncode != 0
    assert "No module named 'mlp'" in result.stdout


def test_the_wrong_derivative_of_the_example_fails_with_its_report(tmp_path: Path) -> None:
    result = pytest_in(copy_of(EXAMPLE, tmp_path), "cases/activations.yaml::mse-v0[gradient]", "--runxfail", plain=True)
    assert result.returncode == 1
    assert "gradcheck: gradient mlp.losses:mse_grad_v0 of case 'mse-v0'" in result.stdout
    assert "analytic = 0.5 * numeric" in result.stdout


def test_this_projects_runs_do_not_collect_the_example() -> None:
    for args in (["--gradcheck-cases", "cases/"], []):
        result = pytest_in(ROOT, "--co", "-q", *args)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "::" in result.stdout
        assert "examples" not in result.stdout
