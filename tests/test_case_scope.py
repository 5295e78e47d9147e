"""What a case file can name: the project's own public functions, classes, methods and parameters
(and the modules gradcheck_modules lists), nothing else. Every hostile target below is refused in
one line at its file:line, with nothing imported, run or written."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from pluginrun import run, write

from gradcheck.checks.scope import Missing, Scope
from gradcheck.cli import main

#: The project's own module: it imports and re-exports what a hostile case would like to reach.
UTIL = """\
import os
import os as _os
import subprocess
from subprocess import run

import numpy as np

TABLE = np.ones(3)


def f(x):
    return float(np.sum(x * x))


def g(x):
    return 2 * x


def cumsum_jacobian(a):
    return np.tril(np.ones((a.size, a.size)))


class Runner:
    call = staticmethod(subprocess.run)
    tools = os

    def __init__(self):
        self.W = np.ones(2)

    def forward(self):
        return float(np.sum(self.W**2))

    def backward(self):
        return 2 * self.W

    def _secret(self):
        return self.W
"""

#: A module outside the project that leaves a mark if it is ever imported.
OUTSIDE = "from pathlib import Path\nPath(__file__).with_name('IMPORTED').write_text('x')\n\ndef f(x):\n    return x\n"


def project(pytester: pytest.Pytester, case: str, ini: str = "") -> None:
    """A project with mylib/util.py and one case file whose only case is `case` (lines of YAML)."""
    pytester.makeini(f"[pytest]\ngradcheck_cases = cases\n{ini}")
    write(pytester, "mylib/__init__.py", "")
    write(pytester, "mylib/util.py", UTIL)
    body = "".join(f"    {line}\n" for line in case.strip().splitlines())
    write(pytester, "cases/x.yaml", f"cases:\n  - name: hostile\n{body}")


def failure_lines(result: pytest.RunResult) -> list[str]:
    out = result.stdout.str()
    section = out.split("= FAILURES =", 1)[1].split("short test summary info", 1)[0]
    return [line for line in section.splitlines() if line.strip() and not line.startswith(("_", "="))]


ALLOW = "to check an installed package's function, name it in gradcheck_modules"


def outside(module: str) -> str:
    return f"{module} is not a module of this project (rootdir {{root}}); {ALLOW}"


# (case lines, the one line expected, with {root} for the rootdir)
REFUSED = [
    (
        'function: subprocess:run\ngradient: subprocess:run\nargs: {args: "touch PWNED", shell: true}',
        "cases/x.yaml:3: function: subprocess:run: " + outside("subprocess"),
    ),
    (
        'object: subprocess:Popen\ninit: {args: "touch PWNED", shell: true}\nfunction: wait\ngradient: wait\nwrt: W',
        "cases/x.yaml:3: object: subprocess:Popen: " + outside("subprocess"),
    ),
    ("function: os:system\ngradient: os:system\nargs: {command: touch PWNED}", "x"),
    ("function: builtins:open\ngradient: builtins:open\nargs: {file: PWNED, mode: w}", "x"),
    ("function: shutil:rmtree\ngradient: shutil:rmtree\nargs: {path: cases}", "x"),
    ("function: numpy:loadtxt\ngradient: numpy:loadtxt\nargs: {fname: SECRET}", "x"),
    ("object: code:InteractiveInterpreter\nfunction: runsource\ngradient: runsource\nwrt: W", "x"),
    ('object: timeit:Timer\ninit: {stmt: \'open("PWNED", "w")\'}\nfunction: timeit\ngradient: timeit\nwrt: W', "x"),
    ("object: threading:Event\nfunction: wait\ngradient: wait\nwrt: W", "x"),
    ("function: pytest:skip\ngradient: pytest:skip\nargs: {reason: gone}", "x"),
    ("function: numpy:seterr\ngradient: numpy:seterr\nargs: {all: raise}", "x"),
    ("function: os:environ.update\ngradient: os:environ.update\nargs: {PATH: x}", "x"),
    (
        "function: mylib.util:os.system\ngradient: mylib.util:g\nargs: {x: [1.0]}",
        "cases/x.yaml:3: function: mylib.util:os.system: mylib.util.os is a module, which a target cannot pass "
        "through; name the module itself before the colon (mylib.util.os:...)",
    ),
    (
        "function: mylib.util:run\ngradient: mylib.util:g\nargs: {x: [1.0]}",
        f"cases/x.yaml:3: function: mylib.util:run is defined in subprocess, which is not a module of this project "
        f"(rootdir {{root}}); {ALLOW}",
    ),
    (
        "object: mylib.util:Runner\nfunction: call\ngradient: backward\nwrt: W",
        f"cases/x.yaml:4: function: Runner.call is defined in subprocess, which is not a module of this project "
        f"(rootdir {{root}}); {ALLOW}",
    ),
    (
        "object: mylib.util:f\nfunction: forward\ngradient: backward\nwrt: W",
        "cases/x.yaml:3: object: 'mylib.util:f' is function, not a class; object: names a class",
    ),
    (
        "object: mylib.util:Runner\nfunction: forward\ngradient: backward\nwrt: tools.environ",
        "cases/x.yaml:6: wrt: after its first call, Runner.tools is a module; a path names the object's own parameters",
    ),
]
PRIVATE = "which a case file cannot reach; name a public function, class, method or parameter of the project"
REFUSED += [
    (
        "function: mylib.util:_os.system\ngradient: mylib.util:g\nargs: {x: [1.0]}",
        f"cases/x.yaml:3: function: 'mylib.util:_os.system': '_os' is a private name, {PRIVATE}",
    ),
    (
        "function: os:_exit\ngradient: mylib.util:g\nargs: {status: 0}",
        f"cases/x.yaml:3: function: 'os:_exit': '_exit' is a private name, {PRIVATE}",
    ),
    (
        "object: mylib.util:Runner\nfunction: forward\ngradient: backward\nwrt: __init__.__globals__.TABLE",
        f"cases/x.yaml:6: wrt: '__init__.__globals__.TABLE': '__init__' is a private name, {PRIVATE}",
    ),
    (
        "object: mylib.util:Runner\nfunction: forward\ngradient: backward\nwrt: W\n"
        "gradients: {W: __init__.__globals__.os.environ.NOPE}",
        f"cases/x.yaml:7: gradients: '__init__.__globals__.os.environ.NOPE': '__init__' is a private name, {PRIVATE}",
    ),
    (
        "object: mylib.util:Runner\nfunction: _secret\ngradient: backward\nwrt: W",
        f"cases/x.yaml:4: function: '_secret': '_secret' is a private name, {PRIVATE}",
    ),
]


@pytest.mark.parametrize(("case", "expected"), REFUSED, ids=[f"vector{i}" for i in range(len(REFUSED))])
def test_a_target_outside_the_project_is_refused_in_one_line(
    pytester: pytest.Pytester, case: str, expected: str
) -> None:
    if "{x:" not in case:  # an array, so that the case parses
        case = case.replace("args: {", "args: {x: [1.0], ")
    project(pytester, case)
    write(pytester, "SECRET", "hunter2 1 2\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    lines = failure_lines(result)
    assert len(lines) == 1, lines
    if expected == "x":  # a module of the standard library or an installed package
        module = case.split(":", 2)[1].strip()
        key = case.split(":", 1)[0]
        expected = f"cases/x.yaml:3: {key}: {module}:{case.split(':', 2)[2].split()[0]}: " + outside(module)
    assert lines[0] == expected.format(root=pytester.path)
    assert not (pytester.path / "PWNED").exists()
    assert (pytester.path / "cases").is_dir()
    assert "hunter2" not in result.stdout.str()


def test_a_module_outside_the_rootdir_is_not_even_imported(pytester: pytest.Pytester, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    write_outside = elsewhere / "evil.py"
    elsewhere.mkdir()
    write_outside.write_text(OUTSIDE, encoding="utf-8")
    project(pytester, "function: evil:f\nelementwise: evil:f\nargs: {x: [1.0]}", f"pythonpath = {elsewhere}\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert failure_lines(result) == ["cases/x.yaml:3: function: evil:f: " + outside("evil").format(root=pytester.path)]
    assert not (elsewhere / "IMPORTED").exists()


def test_a_virtual_environment_inside_the_project_is_not_project_code(pytester: pytest.Pytester) -> None:
    packages = pytester.path / ".venv" / "lib" / "python3" / "site-packages"
    write(pytester, ".venv/pyvenv.cfg", "home = /usr/bin\n")
    write(pytester, ".venv/lib/python3/site-packages/evil.py", OUTSIDE)
    project(pytester, "function: evil:f\nelementwise: evil:f\nargs: {x: [1.0]}", f"pythonpath = {packages}\n")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    assert failure_lines(result) == ["cases/x.yaml:3: function: evil:f: " + outside("evil").format(root=pytester.path)]
    assert not (packages / "IMPORTED").exists()


CUMSUM = "function: numpy:cumsum\njacobian: mylib.util:cumsum_jacobian\nargs: {a: [0.5, 1.0, 2.0]}"


def test_gradcheck_modules_allows_an_installed_package(pytester: pytest.Pytester) -> None:
    project(pytester, CUMSUM, "gradcheck_modules = numpy\n")
    run(pytester).assert_outcomes(passed=1)
    project(pytester, CUMSUM)
    run(pytester).assert_outcomes(failed=1)


def test_gradcheck_modules_must_hold_module_names(pytester: pytest.Pytester) -> None:
    project(
        pytester, "function: mylib.util:f\ngradient: mylib.util:g\nargs: {x: [1.0]}", "gradcheck_modules = os:system\n"
    )
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*gradcheck_modules: 'os:system' is not a module name; expected dotted names, e.g. scipy.special"]
    )


def test_the_project_own_code_still_runs(pytester: pytest.Pytester) -> None:
    project(pytester, "object: mylib.util:Runner\nfunction: forward\ngradient: backward\nwrt: W")
    run(pytester).assert_outcomes(passed=1)


def test_sweep_refuses_the_same_targets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    path = tmp_path / "x.yaml"
    path.write_text(
        "cases:\n  - name: run\n    function: subprocess:run\n    gradient: subprocess:run\n"
        "    args: {args: touch PWNED, shell: true, x: [1.0]}\n",
        encoding="utf-8",
    )
    assert main(["sweep", f"{path}::run[gradient]", "-o", str(tmp_path / "s.png")]) == 1
    assert capsys.readouterr().err == (
        f"gradcheck sweep: {path}:3: function: subprocess:run: " + outside("subprocess").format(root=tmp_path) + "\n"
    )
    assert not (tmp_path / "PWNED").exists()


def test_sweep_reads_gradcheck_modules_from_the_projects_ini(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gradcheck.cli import sweep as sw

    (tmp_path / "pyproject.toml").write_text(
        '[tool.pytest.ini_options]\ngradcheck_modules = ["numpy"]\ngradcheck_max_elements = "5"\n', encoding="utf-8"
    )
    (tmp_path / "cumjac.py").write_text(UTIL, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    path = tmp_path / "x.yaml"
    path.write_text(
        "cases:\n  - name: sum\n    function: numpy:cumsum\n    jacobian: cumjac:cumsum_jacobian\n"
        "    args: {a: [0.5]}\n"
        "  - name: big\n    function: numpy:cumsum\n    jacobian: cumjac:cumsum_jacobian\n"
        "    args: {a: {shape: [6], seed: 0}}\n",
        encoding="utf-8",
    )
    case, check = sw.load_check(f"{path}::sum[jacobian]")  # numpy, allowed by the ini, runs
    assert (case.name, check.analytic.shape) == ("sum", (1, 1))
    with pytest.raises(ValueError, match="over the limit of 5"):
        sw.load_check(f"{path}::big[jacobian]")


# -- the scope itself ------------------------------------------------------------------------


def test_a_module_imported_already_is_judged_by_what_was_imported(tmp_path: Path) -> None:
    (tmp_path / "json.py").write_text("def dumps(x):\n    return x\n", encoding="utf-8")  # shadows the stdlib's
    import json

    assert "json" in sys.modules and json.__file__ is not None
    assert Scope(tmp_path).module_problem("json") == "is not a module of this project"


def test_a_missing_module_names_its_first_missing_part(tmp_path: Path) -> None:
    with pytest.raises(Missing, match="no module named 'gradcheck.no_such_part'"):
        Scope(tmp_path).module_problem("gradcheck.no_such_part.deeper")


def test_gradcheck_modules_allow_submodules_but_not_lookalikes(tmp_path: Path) -> None:
    scope = Scope(tmp_path, ("numpy",))
    assert scope.module_problem("numpy.linalg") == ""
    assert scope.allows("numpy") and not scope.allows("numpyx")


def test_a_module_in_namespace_packages_is_found_without_importing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = tmp_path / "nsouter" / "nsinner" / "fns.py"  # folders without __init__.py
    module.parent.mkdir(parents=True)
    module.write_text("def f(x):\n    return x\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert Scope(tmp_path).module_problem("nsouter.nsinner.fns") == ""
    assert Scope(tmp_path / "other").module_problem("nsouter.nsinner.fns") == "is not a module of this project"
    assert not any(name.startswith("nsouter") for name in sys.modules)  # found, not imported
    with pytest.raises(Missing, match="no module named 'nsouter.nsinner.nothing'"):
        Scope(tmp_path).module_problem("nsouter.nsinner.nothing")
