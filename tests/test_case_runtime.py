"""What a case's code cannot do to the run: end it (SystemExit, pytest.exit), decide its item's
outcome (pytest.skip, xfail, fail), hang it (gradcheck_timeout), or change what the tests after it
see (NumPy's random state and np.seterr, the working directory, os.environ). Each is the item's
failure in one line at the case's line, and the run goes on."""

from __future__ import annotations

import signal
import sys
import time

import pytest
from pluginrun import SEED, run, sections, write

from gradcheck.cli import main, sweep
from gradcheck.errors import TimedOut
from gradcheck.pytest_plugin import timelimit

#: The project's own module: each function does one thing a case's code must not get away with.
ENDING = """\
import os
import sys
import time

import numpy as np
import pytest


def g(x):
    return 2 * x


def exits(x):
    sys.exit(0)


def exits_when_moved(x):  # fine at x0, SystemExit(3) at a perturbed point
    if x[0] != 1.0:
        sys.exit(3)
    return float(np.sum(x * x))


def ends(x):
    pytest.exit("bye")


def skips(x):
    pytest.skip("not today")


def xfails(x):
    pytest.xfail("not today")


def fails(x):
    pytest.fail("not today")


def interrupts(x):
    raise KeyboardInterrupt


def sleeps(x):
    time.sleep(30)


def f(x):
    return float(np.sum(x * x))


def meddles(x):
    np.seterr(divide="ignore")
    os.makedirs("elsewhere", exist_ok=True)
    os.chdir("elsewhere")
    os.environ.update(GRADCHECK_LEAK="1")
    return float(np.sum(x * x))


class Quits:
    def __init__(self):
        sys.exit("no")


class Draws:
    def __init__(self):
        self.W = np.ones(3)

    def forward(self):
        np.random.random()  # a draw at every call, during the check too
        return float(np.sum(self.W**2))

    def backward(self):
        return 2 * self.W
"""

#: Under mylib/: a module that skips itself while it is imported.
SKIPPING = "import pytest\n\npytest.importorskip('no_such_module_anywhere')\n\ndef f(x):\n    return x\n"


def project(pytester: pytest.Pytester, *cases: str, ini: str = "") -> None:
    """A project with mylib/ending.py and cases/x.yaml holding `cases` (YAML lines each), named c0, c1, ..."""
    pytester.makeini(f"[pytest]\ngradcheck_cases = cases\n{ini}")
    write(pytester, "mylib/__init__.py", "")
    write(pytester, "mylib/ending.py", ENDING)
    write(pytester, "mylib/skipping.py", SKIPPING)
    text = "cases:\n"
    for k, case in enumerate(cases):
        text += f"  - name: c{k}\n" + "".join(f"    {line}\n" for line in case.strip().splitlines())
    write(pytester, "cases/x.yaml", text)


def failures(result: pytest.RunResult) -> list[str]:
    """The lines of the FAILURES section, headers left out."""
    section = result.stdout.str().split("= FAILURES =", 1)[1].split("short test summary info", 1)[0]
    return [line for line in section.splitlines() if line.strip() and not line.startswith(("_", "="))]


def function_case(name: str) -> str:
    return f"function: mylib.ending:{name}\ngradient: mylib.ending:g\nargs: {{x: [1.0, 2.0]}}"


END = "a case's code cannot end the run"
MARKS = "a skip or xfail belongs in marks:"
ENDED = [
    (function_case("exits"), f"cases/x.yaml:3: function: mylib.ending:exits raised SystemExit(0); {END}"),
    (
        function_case("exits_when_moved"),
        f"cases/x.yaml:3: function: mylib.ending:exits_when_moved raised SystemExit(3); {END}",
    ),
    (function_case("ends"), f"cases/x.yaml:3: function: mylib.ending:ends called pytest.exit; {END}"),
    (function_case("skips"), f"cases/x.yaml:3: function: mylib.ending:skips called pytest.skip; {MARKS}"),
    (function_case("xfails"), f"cases/x.yaml:3: function: mylib.ending:xfails called pytest.xfail; {MARKS}"),
    (
        function_case("fails"),
        "cases/x.yaml:3: function: mylib.ending:fails called pytest.fail; "
        "a case's code fails its check by raising an exception",
    ),
    (
        "object: mylib.ending:Quits\nfunction: forward\ngradient: backward\nwrt: W",
        f"cases/x.yaml:3: object: mylib.ending:Quits(...) raised SystemExit('no'); {END}",
    ),
    (
        "function: mylib.skipping:f\nelementwise: mylib.skipping:f\nargs: {x: [1.0]}",
        f"cases/x.yaml:3: function: importing 'mylib.skipping' called pytest.skip; {MARKS}",
    ),
]


@pytest.mark.parametrize(("case", "expected"), ENDED, ids=[line.split()[2] for _, line in ENDED])
def test_what_would_end_the_run_or_skip_the_item_fails_it_in_one_line(
    pytester: pytest.Pytester, case: str, expected: str
) -> None:
    project(pytester, case, function_case("f"))
    result = run(pytester)
    result.assert_outcomes(passed=1, failed=1)  # the next case runs, and passes
    assert failures(result) == [expected]
    result.stdout.fnmatch_lines(["FAILED cases/x.yaml::c0[[]*[]] - cases/x.yaml:3: *"])  # failed, not skipped


#: Registered checks whose builder, or whose f, does what a case's code must not.
REGISTERED = """\
import sys

import numpy as np
import pytest

from gradcheck.checks import Check


def quits(case):
    sys.exit(2)


def ends(case):
    return Check("ends", lambda z: pytest.exit("bye"), case.x, np.eye(3))


def skips(case):
    return Check("skips", lambda z: pytest.skip("not today"), case.x, np.eye(3))


def pytest_gradcheck_register_checks(registry):
    registry.register("quits", quits)
    registry.register("ends", ends)
    registry.register("skips", skips)
"""


def test_a_registered_check_cannot_end_the_run_or_skip_either(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(REGISTERED)
    write(pytester, "cases/x.yaml", SEED + "    checks: [quits, ends, skips, loss]\n")
    result = run(pytester, "--gradcheck-cases", "cases")
    result.assert_outcomes(passed=1, failed=3)
    found = sections(result)
    assert {name: len(lines) for name, lines in found.items()} == {f"seed[{c}]": 1 for c in ("quits", "ends", "skips")}
    fnmatch = pytest.LineMatcher([line for lines in found.values() for line in lines]).fnmatch_lines
    registered = "cases/x.yaml:2: check '{}' (registered in conftest.py:*)"
    fnmatch(
        [
            registered.format("quits") + f" raised SystemExit(2); {END}",
            registered.format("ends") + f" called pytest.exit; {END}",
            registered.format("skips") + f" called pytest.skip; {MARKS}",
        ]
    )


def test_ctrl_c_still_stops_the_run(pytester: pytest.Pytester) -> None:
    project(pytester, function_case("interrupts"), function_case("f"))
    recorded = pytester.inline_run("-p", "no:hypothesispytest", no_reraise_ctrlc=True)
    assert recorded.ret == pytest.ExitCode.INTERRUPTED
    assert recorded.countoutcomes() == [0, 0, 0]  # neither case reported: the run stopped


def test_the_sweep_command_does_not_exit_either(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sweep, "plot_available", lambda: True)  # the case ends before anything is drawn:
    monkeypatch.setattr(sweep, "image_formats", lambda: ["png"])  # the test needs no matplotlib
    project(pytester, function_case("exits_when_moved"))
    path = pytester.path / "cases" / "x.yaml"
    sys.path.insert(0, str(pytester.path))  # as load_check does, undone here
    try:
        assert main(["sweep", f"{path}::c0[gradient]", "-o", str(pytester.path / "s.png")]) == 1
    finally:
        sys.path.remove(str(pytester.path))
        for name in [m for m in sys.modules if m == "mylib" or m.startswith("mylib.")]:
            del sys.modules[name]
    line = f"{path}:3: function: mylib.ending:exits_when_moved raised SystemExit(3); {END}"
    assert capsys.readouterr().err == f"gradcheck sweep: {line}\n"


# -- gradcheck_timeout -------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(signal, "SIGALRM"), reason="gradcheck_timeout needs SIGALRM")
def test_a_case_that_hangs_fails_at_the_limit_and_the_next_one_runs(pytester: pytest.Pytester) -> None:
    project(pytester, function_case("sleeps"), function_case("f"), ini="gradcheck_timeout = 0.5\n")
    write(pytester, "test_after.py", TIMER_LEFT_AS_IT_WAS)
    started = time.monotonic()
    result = run(pytester, "cases", "test_after.py")
    assert time.monotonic() - started < 10
    result.assert_outcomes(passed=2, failed=1)
    assert failures(result) == [
        "cases/x.yaml:3: function: mylib.ending:sleeps ran longer than gradcheck_timeout (0.5 s); "
        "raise gradcheck_timeout in the pytest configuration to give it longer"
    ]


#: An ordinary test after the items: no alarm left armed, the handler the one from before.
TIMER_LEFT_AS_IT_WAS = """\
import signal


def test_no_alarm_is_left():
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGALRM) in (signal.SIG_DFL, signal.default_int_handler, None)
"""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("soon", "gradcheck_timeout: 'soon' is not a number; expected e.g. 60 (seconds; 0 or nothing: no limit)"),
        (
            "-1",
            "gradcheck_timeout: '-1' is not a non-negative number of seconds; "
            "expected e.g. 60 (seconds; 0 or nothing: no limit)",
        ),
        (
            "nan",
            "gradcheck_timeout: 'nan' is not a non-negative number of seconds; "
            "expected e.g. 60 (seconds; 0 or nothing: no limit)",
        ),
    ],
)
def test_a_bad_gradcheck_timeout_is_a_usage_error(pytester: pytest.Pytester, value: str, expected: str) -> None:
    project(pytester, function_case("f"), ini=f"gradcheck_timeout = {value}\n")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {expected}"])


def test_no_limit_at_zero(pytester: pytest.Pytester) -> None:
    project(pytester, function_case("f"), ini="gradcheck_timeout = 0\n")
    run(pytester).assert_outcomes(passed=1)


@pytest.mark.skipif(not timelimit.available(), reason="needs SIGALRM on the main thread")
def test_the_previous_handler_and_timer_come_back() -> None:
    def theirs(signum: int, frame: object) -> None:
        raise AssertionError("the previous timer fired during the test")

    before = signal.signal(signal.SIGALRM, theirs)
    try:
        signal.setitimer(signal.ITIMER_REAL, 30)
        with timelimit.limited(5):
            assert signal.getsignal(signal.SIGALRM) is not theirs
            assert signal.getitimer(signal.ITIMER_REAL)[0] <= 5
        assert signal.getsignal(signal.SIGALRM) is theirs
        assert 25 < signal.getitimer(signal.ITIMER_REAL)[0] <= 30
        with pytest.raises(TimedOut), timelimit.limited(0.05):
            time.sleep(5)
        assert signal.getsignal(signal.SIGALRM) is theirs
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, before)


# -- isolation ---------------------------------------------------------------------------------

#: The session's state as it starts (a seeded random state), and ordinary tests run after the case
#: items that compare with it.
SEEDED = """\
import os

import numpy as np

START = {}


def pytest_configure(config):
    np.random.seed(1234)
    START.update(errors=np.geterr(), cwd=os.getcwd(), environ=dict(os.environ))
"""
AFTER = """\
import os

import numpy as np
from conftest import START


def test_draws_what_the_seed_gives():
    assert np.random.random(3).tolist() == np.random.RandomState(1234).random_sample(3).tolist()


def test_the_rest_is_as_it_was():
    assert np.geterr() == START["errors"]
    assert os.getcwd() == START["cwd"]
    assert "GRADCHECK_LEAK" not in os.environ
"""


def test_an_object_that_draws_during_its_check_leaves_the_random_state_alone(pytester: pytest.Pytester) -> None:
    project(pytester, "object: mylib.ending:Draws\nfunction: forward\ngradient: backward\nwrt: W")
    write(pytester, "conftest.py", SEEDED)
    write(pytester, "test_after.py", AFTER)
    run(pytester, "cases", "test_after.py").assert_outcomes(passed=3)


def test_seterr_chdir_and_environ_are_restored_after_a_case(pytester: pytest.Pytester) -> None:
    project(pytester, function_case("meddles"))
    write(pytester, "conftest.py", SEEDED)
    write(pytester, "test_after.py", AFTER)
    run(pytester, "cases", "test_after.py").assert_outcomes(passed=3)
    assert (pytester.path / "elsewhere").is_dir()  # the case did run its code
