"""`python -m gradcheck sweep`: the error-against-step numbers, the plot, and the CLI without matplotlib."""

from __future__ import annotations

import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from gradcheck.casefile.function import FunctionCase
from gradcheck.cli import INSTALL_PLOT, main
from gradcheck.cli import sweep as sw
from gradcheck.numerics import stencils
from gradcheck.verdict import sweep as vs

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "numpy-mlp"
SEED_LOSS = f"{ROOT}/cases/seed_example.yaml::seed-example[loss]"
X = np.array([0.3, 0.7])


def exp_jacobian(x: np.ndarray) -> np.ndarray:
    return np.diag(np.exp(x))


def median_error(result: vs.Sweep, curve: vs.Curve, low: float, high: float) -> float:
    inside = (result.steps >= low) & (result.steps <= high)
    return float(np.median(curve.errors[inside]))


# -- the numbers ----------------------------------------------------------------------------


def test_error_shrinks_like_h_squared_then_grows_like_eps_over_h() -> None:
    result = vs.sweep(np.exp, X, exp_jacobian)
    assert result.default_step == stencils.base_step(np.float64)
    assert [c.name for c in result.curves] == ["df[1]/dx[1]", "df[0]/dx[0]"]  # off-diagonal zeros have no curve
    for curve, x in zip(result.curves, [0.7, 0.3], strict=True):
        assert curve.analytic == pytest.approx(np.exp(x))
        # truncation: (f(x + h) - f(x - h)) / 2h - f'(x) = h^2 f'''(x) / 6 + O(h^4)
        for h in (1e-2, 1e-3):
            at = int(np.argmin(np.abs(result.steps - h)))
            step = result.steps[at]
            assert curve.errors[at] == pytest.approx(step**2 * np.exp(x) / 6, rel=0.01)
        big = result.steps >= 1e-3
        slope = np.polyfit(np.log(result.steps[big]), np.log(curve.errors[big]), 1)[0]
        assert slope == pytest.approx(2.0, abs=0.05)
        # rounding: about eps * |f| / h, so two decades smaller steps give about 100x the error
        ratio = median_error(result, curve, 1e-12, 1e-11) / median_error(result, curve, 1e-10, 1e-9)
        assert 10 < ratio < 1000
        best = result.steps[int(np.argmin(curve.errors))]
        assert 1e-7 < best < 1e-4  # near eps^(1/3) = 6e-6, the default


def test_a_wrong_derivative_has_an_error_floor() -> None:
    def off(x: np.ndarray) -> np.ndarray:
        jac = exp_jacobian(x)
        jac[0, 0] *= 1.001
        return jac

    result = vs.sweep(np.exp, X, off, entries=1)
    (curve,) = result.curves
    assert curve.name == "df[0]/dx[0]"
    # where truncation and rounding are both far below the planted 0.1 %, the error is flat at it
    flat = (result.steps >= 1e-9) & (result.steps <= 1e-4)
    assert np.count_nonzero(flat) > 10
    assert curve.errors[flat] == pytest.approx(1e-3 * np.exp(0.3), rel=0.01)


def test_steps_and_entry_names_of_a_check_from_a_case() -> None:
    case, check = sw.load_check(SEED_LOSS)
    assert (case.name, check.name) == ("seed-example", "loss")
    result = sw.sweep_check(check, steps=[1e-8, 1e-6, 1e-4], entries=4, case_step=case.step)
    assert list(result.steps) == [1e-8, 1e-6, 1e-4]
    assert len(result.curves) == 4
    assert all(c.name.startswith("W[") for c in result.curves)
    assert all(c.errors.shape == (3,) and c.errors.max() < 1e-6 for c in result.curves)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("cases/seed_example.yaml", "is not a test id"),
        (f"{ROOT}/cases/seed_example.yaml::seed-example[lose]", "'lose' is not a known check"),
        (f"{ROOT}/cases/seed_example.yaml::seed-exampel[loss]", "no case named 'seed-exampel' (did you mean"),
    ],
)
def test_load_check_names_what_is_wrong(target: str, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        sw.load_check(target)


def test_parse_target_splits_an_id() -> None:
    assert sw.parse_target("cases/x.yaml::seed-1.b[cross_entropy]") == ("cases/x.yaml", "seed-1.b", "cross_entropy")


# -- user-function cases ---------------------------------------------------------------------


@pytest.fixture
def example_importable(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The example project's cases, with its package `mlp` importable (as from its own directory)."""
    monkeypatch.syspath_prepend(str(EXAMPLE))
    yield EXAMPLE / "cases"
    for name in [m for m in sys.modules if m == "mlp" or m.startswith("mlp.")]:
        del sys.modules[name]


def test_a_user_case_sweeps_its_function_against_its_derivative(example_importable: Path) -> None:
    steps = [1e-8, 1e-6, 1e-4, 1e-2]
    case, check = sw.load_check(f"{example_importable}/activations.yaml::mse[gradient]")
    assert isinstance(case, FunctionCase)
    assert (case.name, case.kind, check.name, check.wrt) == ("mse", "gradient", "gradient", "pred")
    right = sw.sweep_check(check, steps=steps, entries=8)
    # mse is quadratic, so central differences are exact but for rounding, at every step
    assert len(right.curves) == 8 and all(c.name.startswith("pred[") for c in right.curves)
    assert all(c.errors.max() < 1e-7 for c in right.curves)
    _, wrong_check = sw.load_check(f"{example_importable}/activations.yaml::mse-v0[gradient]")
    wrong = sw.sweep_check(wrong_check, steps=steps, entries=8)
    # mse_grad_v0 is half the gradient: its error is its own size, flat across the steps
    assert len(wrong.curves) == 8
    for curve in wrong.curves:
        assert abs(curve.analytic) > 1e-3
        assert curve.errors == pytest.approx(np.full(len(steps), abs(curve.analytic)), rel=1e-5)


def test_a_user_case_jacobian_and_vjp_sweep(example_importable: Path) -> None:
    _, check = sw.load_check(f"{example_importable}/activations.yaml::tanh[jacobian]")
    result = sw.sweep_check(check, entries=2)
    assert [c.name[:6] for c in result.curves] == ["dtanh[", "dtanh["]
    for curve in result.curves:
        best = float(np.min(curve.errors))
        assert best < 1e-9 and curve.errors[-1] > 1e-4  # accurate near the default step, not at h = 0.1
    _, vjp = sw.load_check(f"{example_importable}/activations.yaml::tanh-vjp[vjp]")
    # the products of 3 seeded random cotangents and of the 12 basis ones, each of x's shape
    assert vjp.name == "vjp" and np.asarray(vjp.analytic).shape == (3 + 12, 3, 4)
    assert min(float(np.min(c.errors)) for c in sw.sweep_check(vjp, entries=1).curves) < 1e-9


def test_a_backward_case_sweeps_entries_of_dw_named_as_its_report_names_them() -> None:
    _, check = sw.load_check(f"{ROOT}/docs/failure/dense.yaml::dense-layer[backward]")
    curves = sw.sweep_check(check, steps=[1e-6, 1e-4], entries=3).curves
    # the loop over dW's columns stops one short: column 3 of dW is 0, for every cotangent
    assert len(curves) == 3 and all(
        c.name.startswith("dW[") and c.name[3:].startswith(("0, 3]", "1, 3]", "2, 3]")) for c in curves
    )
    assert all(" for cotangent " in c.name or " for the basis cotangent at forward[" in c.name for c in curves)
    assert all(c.analytic == 0.0 and c.errors.min() > 1e-3 for c in curves)


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "activations.yaml::tanh[gradient]",
            "activations.yaml:3: 'tanh' is a user-function case, which checks its jacobian; "
            "expected {cases}/activations.yaml::tanh[jacobian]",
        ),
        ("activations.yaml::tanh[loss]", "'tanh' is a user-function case, which checks its jacobian"),
    ],
)
def test_a_user_case_is_swept_by_its_own_kind(example_importable: Path, target: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        sw.load_check(f"{example_importable}/{target}")
    assert message.format(cases=example_importable) in str(caught.value)


def test_a_user_case_whose_function_cannot_be_imported_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(
        "cases:\n  - name: gone\n    function: gradcheck_no_such_module:f\n    gradient: m:g\n    args: {x: [1.0]}\n",
        encoding="utf-8",
    )
    assert main(["sweep", f"{path}::gone[gradient]", "-o", str(tmp_path / "s.png")]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"gradcheck sweep: {path}:3: function: cannot import 'gradcheck_no_such_module': "
        f"no module named 'gradcheck_no_such_module' on sys.path, which holds the rootdir {Path.cwd()}; "
        "add the folder that holds it to pythonpath in the pytest configuration\n"
    )
    assert not (tmp_path / "s.png").exists()


def test_a_user_function_that_raises_during_the_sweep_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = "gradcheck_sweep_fragile"
    (tmp_path / f"{module}.py").write_text(
        "import numpy as np\n\n\ndef f(x):\n    if x[0] != 1.0:\n        raise ValueError('x moved')\n"
        "    return float(np.sum(x))\n\n\ndef g(x):\n    return np.ones_like(x)\n",
        encoding="utf-8",
    )
    path = tmp_path / "x.yaml"
    path.write_text(
        f"cases:\n  - name: fragile\n    function: {module}:f\n    gradient: {module}:g\n    args: {{x: [1.0]}}\n",
        encoding="utf-8",
    )
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")  # the project's root
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(sw, "plot", lambda result, path: None)
    monkeypatch.setattr(sw, "plot_available", lambda: True)  # the test needs no matplotlib
    monkeypatch.setattr(sw, "image_formats", lambda: ["png"])
    try:
        assert main(["sweep", f"{path}::fragile[gradient]"]) == 1
    finally:
        sys.modules.pop(module, None)
    captured = capsys.readouterr()
    assert captured.err == f"gradcheck sweep: {path}:3: function: {module}:f raised ValueError: x moved\n"
    assert captured.out == ""


def test_the_command_sweeps_a_user_case(
    example_importable: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plotted: list[tuple[vs.Sweep, str]] = []
    monkeypatch.setattr(sw, "plot", lambda result, path: plotted.append((result, str(path))))
    monkeypatch.setattr(sw, "plot_available", lambda: True)  # the test needs no matplotlib
    monkeypatch.setattr(sw, "image_formats", lambda: ["png"])
    target = f"{example_importable}/activations.yaml::mse-v0[gradient]"
    assert main(["sweep", target, "--entries", "2", "-o", "out.png"]) == 0
    ((result, path),) = plotted
    assert (path, result.title, len(result.curves)) == ("out.png", target, 2)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 3 and printed[-1] == "wrote out.png"
    assert all(line.startswith("pred[") and "smallest error" in line for line in printed[:2])


def test_the_command_imports_a_user_case_from_its_projects_root_wherever_it_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # run from elsewhere, with the example's package `mlp` nowhere on sys.path: its pyproject.toml
    # marks the root the plugin would make importable
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p not in ("", ".", str(EXAMPLE))])
    monkeypatch.setattr(sw, "plot", lambda result, path: None)
    monkeypatch.setattr(sw, "plot_available", lambda: True)
    monkeypatch.setattr(sw, "image_formats", lambda: ["png"])
    for name in [m for m in sys.modules if m == "mlp" or m.startswith("mlp.")]:
        monkeypatch.delitem(sys.modules, name)
    assert sw.project_root(EXAMPLE / "cases" / "activations.yaml") == EXAMPLE
    assert main(["sweep", f"{EXAMPLE}/cases/activations.yaml::mse-v0[gradient]", "--entries", "1"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("pred[")
    assert sys.path[0] == str(EXAMPLE)
    for name in [m for m in sys.modules if m == "mlp" or m.startswith("mlp.")]:
        del sys.modules[name]


def test_without_a_marker_the_root_is_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert sw.project_root(Path("/x.yaml")) == tmp_path


# -- the command ----------------------------------------------------------------------------


def test_without_matplotlib_the_command_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)  # `import matplotlib` now raises ImportError
    out = tmp_path / "sweep.png"
    assert main(["sweep", SEED_LOSS, "-o", str(out)]) == 2
    captured = capsys.readouterr()
    assert captured.err == INSTALL_PLOT + "\n"
    assert 'pip install "gradcheck[plot]"' in captured.err
    assert captured.out == ""
    assert not out.exists()


def test_a_bad_target_exits_1_with_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sweep", f"{ROOT}/cases/seed_example.yaml::nope[loss]", "-o", str(tmp_path / "s.png")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("gradcheck sweep: ") and "no case named 'nope'" in err
    assert err.count("\n") == 1


def test_the_command_writes_a_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("matplotlib")  # the only skip: CI installs the plot extra
    out = tmp_path / "sweep.png"
    assert main(["sweep", SEED_LOSS, "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (700, 450)
    assert len(data) > 20_000  # axes, three curves, a legend: not an empty canvas
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 4 and printed[-1] == f"wrote {out}"
    assert all("smallest error" in line and "default step 6.06e-06" in line for line in printed[:3])


def test_python_m_gradcheck_runs_as_a_module() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "gradcheck", "--help"], capture_output=True, text=True, check=False, cwd=ROOT
    )
    assert done.returncode == 0
    assert "schema" in done.stdout and "sweep" in done.stdout
