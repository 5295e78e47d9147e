"""`python -m gradcheck sweep`: the error-against-step numbers, the plot, and the CLI without matplotlib."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gradcheck import numeric
from gradcheck import sweep as sw
from gradcheck.__main__ import INSTALL_PLOT, main

ROOT = Path(__file__).resolve().parent.parent
SEED_LOSS = f"{ROOT}/cases/seed_example.yaml::seed-example[loss]"
X = np.array([0.3, 0.7])


def exp_jacobian(x: np.ndarray) -> np.ndarray:
    return np.diag(np.exp(x))


def median_error(result: sw.Sweep, curve: sw.Curve, low: float, high: float) -> float:
    inside = (result.steps >= low) & (result.steps <= high)
    return float(np.median(curve.errors[inside]))


# -- the numbers ----------------------------------------------------------------------------


def test_error_shrinks_like_h_squared_then_grows_like_eps_over_h() -> None:
    result = sw.sweep(np.exp, X, exp_jacobian)
    assert result.default_step == numeric.base_step(np.float64)
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

    result = sw.sweep(np.exp, X, off, entries=1)
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
