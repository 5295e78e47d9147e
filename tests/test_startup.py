"""The plugin costs nothing when idle: a run that collects no case file imports neither numpy nor
yaml nor the numerical core; a run with case files imports them while it collects.

Each test runs pytest in a subprocess (a fresh interpreter, so that sys.modules tells the truth)
with only this plugin and a recorder plugin loaded: other installed plugins may import what they like.
"""

from __future__ import annotations

import json
import subprocess
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from pluginrun import SEED, pytest_in

#: What an idle run must not import: the YAML and array libraries, and the package's numerical core.
HEAVY = ("numpy", "yaml", "gradcheck.functions", "gradcheck.numerics", "gradcheck.verdict", "gradcheck.casefile")

#: Loaded with -p: writes, at the end of the run, the modules imported at each stage of it.
RECORDER = """\
import json
import sys

seen = {}


def pytest_configure(config):
    seen["configure"] = sorted(sys.modules)


def pytest_collection(session):
    seen["collection start"] = sorted(sys.modules)


def pytest_collection_finish(session):
    seen["collection finish"] = sorted(sys.modules)


def pytest_unconfigure(config):
    seen["unconfigure"] = sorted(sys.modules)
    with open("modules.json", "w", encoding="utf-8") as out:
        json.dump(seen, out)
"""

TRIVIAL = "def test_trivial():\n    assert True\n"


def heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]


def pytest_run(cwd: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, list[str]]]:
    """pytest in a fresh interpreter with only this plugin and the recorder; what it printed, and
    the modules it had imported at each stage (recorder name -> sorted module names)."""
    (cwd / "record_modules.py").write_text(RECORDER, encoding="utf-8")
    plugins = ("-p", "gradcheck.pytest_plugin", "-p", "record_modules")
    done = pytest_in(cwd, *plugins, *args, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", PYTHONPATH=str(cwd))
    assert done.returncode == 0, done.stdout + done.stderr
    seen: dict[str, list[str]] = json.loads((cwd / "modules.json").read_text(encoding="utf-8"))
    return done, seen


def test_the_installed_plugin_is_the_module_these_runs_load() -> None:
    (plugin,) = [ep for ep in entry_points(group="pytest11") if ep.name == "gradcheck"]
    assert plugin.value == "gradcheck.pytest_plugin"


def test_a_run_without_case_files_imports_neither_numpy_nor_yaml(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    (tmp_path / "test_trivial.py").write_text(TRIVIAL, encoding="utf-8")
    done, seen = pytest_run(tmp_path, "-q")
    assert "1 passed" in done.stdout
    assert "gradcheck.pytest_plugin" in seen["configure"]
    assert heavy(seen["unconfigure"]) == []


def test_help_lists_the_options_and_settings_without_importing_numpy(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    done, seen = pytest_run(tmp_path, "--help")
    for option in ("--gradcheck-cases=PATH", "--gradcheck-report=PATH", "--gradcheck-rtol=RTOL", "--gradcheck-atol"):
        assert option in done.stdout
    for ini in ("gradcheck_cases", "gradcheck_max_elements", "gradcheck_rtol", "gradcheck_atol", "gradcheck_pattern"):
        assert f"  {ini} (" in done.stdout
    assert heavy(seen["unconfigure"]) == []


@pytest.mark.parametrize(
    ("ini", "args"),
    [
        ("", ["--gradcheck-cases", "cases", "test_trivial.py"]),
        ("gradcheck_cases = cases\n", []),
        ("", ["cases/seed.yaml", "test_trivial.py"]),
    ],
    ids=["option", "ini", "path"],
)
def test_case_files_import_the_core_while_collecting(tmp_path: Path, ini: str, args: list[str]) -> None:
    (tmp_path / "pytest.ini").write_text(f"[pytest]\ntestpaths = test_trivial.py\n{ini}", encoding="utf-8")
    (tmp_path / "test_trivial.py").write_text(TRIVIAL, encoding="utf-8")
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "seed.yaml").write_text(SEED, encoding="utf-8")
    done, seen = pytest_run(tmp_path, "-q", *args)
    assert "6 passed" in done.stdout  # the five checks of the case and the trivial test
    assert heavy(seen["collection start"]) == []
    loaded = heavy(seen["collection finish"])
    for module in ("numpy", "yaml", "gradcheck.numerics", "gradcheck.verdict", "gradcheck.casefile"):
        assert module in loaded  # the model's functions load with the first built-in check, as it runs
