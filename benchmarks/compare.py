"""Speed of the dL/dW check of a softmax + cross-entropy layer, against the anchors.

Run:  python benchmarks/compare.py [--quick] [--only SECTION ...]

Uses the standard library and numpy; torch.autograd.gradcheck and scipy.optimize.check_grad
are anchors used only where installed. Everything runs in this one process (the plugin and
startup tables run pytest in subprocesses), and every time is the median of several runs.
Sections: speed (the checkers' table), plugin (1,000 case files against parametrize),
memory (peak memory of a check), startup (pytest with and without the plugin).
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

import gradcheck
from gradcheck.numerics import scratch

SIZES = [(3, 5), (784, 10), (256, 256), (1024, 1000)]
#: Full checks cost two evaluations per weight; above this many weights they are not run.
FULL_LIMIT = 100_000
#: The timed rounds of one size take about this long, where a round is short.
ROUND_SECONDS = 8.0
#: torch's default (full) gradcheck is skipped above this many weights (it takes minutes).
TORCH_FULL_LIMIT = 100_000


def problem(n: int, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n), rng.standard_normal((n, k)) * 0.05, int(rng.integers(k))


def numpy_loss(x: np.ndarray, y: int) -> Callable[[np.ndarray], np.ndarray]:
    """XE(softmax(x @ W)) for W or a stack of W: logsumexp(z) - z[y] (the vectorized form)."""

    def loss(w: np.ndarray) -> np.ndarray:
        z = x @ w
        z -= z.max(axis=-1, keepdims=True)
        return np.log(np.exp(z).sum(axis=-1)) - z[..., y]

    return loss


def scalar_loss(x: np.ndarray, y: int, classes: int) -> Callable[[np.ndarray], float]:
    """The same loss for one W, as a NumPy user writes it for one point: one matrix product,
    then a few logits in plain Python (many in NumPy). Every black-box checker here calls it."""

    def few(w: np.ndarray) -> float:
        z = (x @ w).tolist()
        top = max(z)
        return top + math.log(sum(math.exp(v - top) for v in z)) - z[y]

    def many(w: np.ndarray) -> float:
        z = x @ w
        top = z.max()
        return float(top + math.log(np.exp(z - top).sum()) - z[y])

    return few if classes <= 32 else many


def numpy_grad(x: np.ndarray, w: np.ndarray, y: int) -> np.ndarray:
    s = gradcheck.softmax(x @ w)
    s[y] -= 1.0
    return np.outer(x, s)


def seed_loop(f: Callable[[np.ndarray], float], w: np.ndarray, analytic: np.ndarray) -> bool:
    """The seed-style check: perturb one weight in place, two evaluations, a fixed step."""
    h = 1e-5
    w = w.copy()
    flat = w.reshape(-1)
    num = np.empty(w.size)
    for i in range(w.size):
        old = flat[i]
        flat[i] = old + h
        fp = f(w)
        flat[i] = old - h
        fm = f(w)
        flat[i] = old
        num[i] = (fp - fm) / (2 * h)
    return bool(np.allclose(analytic.reshape(-1), num, rtol=1e-5, atol=1e-8))


def median_time(run: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        outcome = run()
        times.append(time.perf_counter() - start)
        if outcome is False:
            raise AssertionError("a correct gradient failed its check")
    return statistics.median(times)


def contestants(n: int, k: int) -> dict[str, Callable[[], object] | None]:
    x, w, y = problem(n, k)
    f, f1 = numpy_loss(x, y), scalar_loss(x, y, k)
    g = numpy_grad(x, w, y)
    full = n * k <= FULL_LIMIT
    out: dict[str, Callable[[], object] | None] = {
        "gradcheck black-box": (lambda: gradcheck.check_jacobian(f1, w, g).passed) if full else None,
        "gradcheck vectorized": (lambda: gradcheck.check_jacobian(f, w, g, vectorized=True).passed) if full else None,
        "gradcheck vectorized, order F": (
            (lambda: gradcheck.check_jacobian(f, w, g, vectorized=True, order="F").passed) if full else None
        ),
        "gradcheck vectorized, order F, 2 threads": (
            (lambda: gradcheck.check_jacobian(f, w, g, vectorized=True, order="F", workers=2).passed) if full else None
        ),
        "gradcheck directional": lambda: gradcheck.check_jacobian(f, w, g, mode="directional").passed,
        "seed-style loop": (lambda: seed_loop(f1, w, g)) if full else None,
    }
    try:
        import scipy.optimize
    except ImportError:
        out["scipy check_grad"] = None
    else:

        def scipy_check() -> bool:
            err = scipy.optimize.check_grad(lambda v: f1(v.reshape(n, k)), lambda v: g.reshape(-1), w.reshape(-1))
            return bool(err < 1e-4 * max(1.0, float(np.linalg.norm(g))))

        out["scipy check_grad"] = scipy_check if full else None
    try:
        import torch
    except ImportError:
        out["torch gradcheck"] = out["torch fast_mode"] = None
    else:
        xt = torch.tensor(x, dtype=torch.float64)
        wt = torch.tensor(w, dtype=torch.float64, requires_grad=True)
        target = torch.tensor([y])

        def torch_loss(weights: torch.Tensor) -> torch.Tensor:
            return torch.nn.functional.cross_entropy((xt @ weights)[None], target)

        def torch_check(fast: bool) -> bool:
            return bool(torch.autograd.gradcheck(torch_loss, (wt,), fast_mode=fast))

        out["torch gradcheck"] = (lambda: torch_check(False)) if n * k <= TORCH_FULL_LIMIT else None
        out["torch fast_mode"] = lambda: torch_check(True)
    return out


def speed_table(repeats: int) -> dict[tuple[int, int], dict[str, float | None]]:
    """Median times per size and checker. The runs of one size go in rounds, one run of every
    checker per round, so that all of them meet the machine in the same state."""
    results: dict[tuple[int, int], dict[str, float | None]] = {}
    for n, k in SIZES:
        every = contestants(n, k)
        runs = {name: run for name, run in every.items() if run is not None}
        once = {}
        for name, run in runs.items():
            start = time.perf_counter()
            run()  # warm up: imports, caches, first-call costs
            once[name] = time.perf_counter() - start
        # Short runs are noisy (allocation, page faults, the other core): take as many rounds as
        # fit in ROUND_SECONDS, at least `repeats` (fewer where one round takes seconds).
        per_round = sum(once.values())
        least = repeats if max(once.values()) < 1.0 else max(1, repeats // 2 + 1)
        rounds = max(least, min(20 * repeats, int(ROUND_SECONDS / per_round)))
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                times[name].append(median_time(run, 1))
        results[(n, k)] = {name: statistics.median(times[name]) if name in times else None for name in every}
    return results


def fmt_time(t: float | None) -> str:
    if t is None:
        return "—"
    return f"{t * 1e3:.2f} ms" if t < 1 else f"{t:.2f} s"


def fmt_ratio(t: float | None, ref: float | None) -> str:
    return "—" if t is None or ref is None else f"{t / ref:.3g}"


def print_speed(results: dict[tuple[int, int], dict[str, float | None]]) -> None:
    names = list(next(iter(results.values())))
    print("\n## dL/dW check of softmax + cross-entropy: median time (ratio to torch default | to torch fast_mode)\n")
    print("| checker | " + " | ".join(f"{n}x{k}" for n, k in results) + " |")
    print("|---|" + "---|" * len(results))
    for name in names:
        cells = []
        for row in results.values():
            t = row[name]
            ratios = f"{fmt_ratio(t, row.get('torch gradcheck'))} \\| {fmt_ratio(t, row.get('torch fast_mode'))}"
            cells.append(f"{fmt_time(t)} ({ratios})" if t is not None else "—")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(
        "\n— : not run (a full check of a million weights costs two million evaluations),"
        " or the anchor is not installed"
    )


def directional_catches_one_weight() -> bool:
    """1024x1000, directional: one weight's gradient off by 0.05 must fail, and be named."""
    x, w, y = problem(1024, 1000)
    g = numpy_grad(x, w, y)
    g[517, 333] += 0.05
    result = gradcheck.check_jacobian(numpy_loss(x, y), w, g, mode="directional", wrt="W")
    return (not result.passed) and any(e.name == "W[517, 333]" for e in result.worst)


def peak_memory() -> list[tuple[str, float, float, float]]:
    """(what, peak MB, chunk bound MB, x MB) for checks measured with tracemalloc."""
    rows = []
    chunk = 8 * 2**20
    for label, n, k, kwargs in [
        ("784x10 vectorized, chunk 8 MB", 784, 10, {"vectorized": True, "chunk_bytes": chunk}),
        ("784x10 vectorized, order F, chunk 8 MB", 784, 10, {"vectorized": True, "chunk_bytes": chunk, "order": "F"}),
        ("256x256 vectorized, chunk 8 MB", 256, 256, {"vectorized": True, "chunk_bytes": chunk}),
        ("256x256 black-box", 256, 256, {}),
        ("1024x1000 directional", 1024, 1000, {"mode": "directional"}),
    ]:
        small = problem(3, 5)  # a first check, untraced, imports what gradcheck loads on first use
        gradcheck.check_jacobian(numpy_loss(small[0], small[2]), small[1], numpy_grad(*small), **kwargs)
        x, w, y = problem(n, k)
        f, g = numpy_loss(x, y), numpy_grad(x, w, y)
        scratch.clear()  # measure the chunk's allocation, not a chunk kept from an earlier check
        gc.collect()
        tracemalloc.start()
        gradcheck.check_jacobian(f, w, g, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        bound = kwargs.get("chunk_bytes", 0) if kwargs.get("vectorized") else 0
        rows.append((label, peak / 2**20, bound / 2**20, w.nbytes / 2**20))
    return rows


CASE = """\
  - name: c{i}
    inputs: 3
    classes: 5
    x: {{seed: {i}, scale: 1.0}}
    weights: {{seed: {j}, scale: 0.5}}
    label: {label}
"""

PLAIN = """\
import numpy as np
import pytest
import gradcheck
from gradcheck import functions as fn

CHECKS = ["softmax", "layer", "cross_entropy", "chain", "loss"]


def build(i):
    x = np.random.default_rng(i).standard_normal(3)
    w = np.random.default_rng(i + 100000).standard_normal((3, 5)) * 0.5
    y = np.eye(5)[i % 5]
    return x, w, y


@pytest.mark.parametrize("check", CHECKS)
@pytest.mark.parametrize("i", range({cases}))
def test_layer(i, check):
    x, w, y = build(i)
    if check == "softmax":
        f, at, analytic = fn.softmax, x @ w, lambda z: fn.softmax_jacobian(fn.softmax(z))
    elif check == "layer":
        f, at, analytic = (lambda v: fn.softmax(x @ v)), w, (lambda v: fn.layer_jacobian(x, v))
    elif check == "cross_entropy":
        f, at = (lambda s: fn.cross_entropy_rows(s, y)), fn.softmax(x @ w)
        analytic = lambda s: fn.cross_entropy_grad(s, y)
    else:
        grad = fn.chain_grad if check == "chain" else fn.loss_grad
        f, at, analytic = (lambda v: fn.cross_entropy_rows(fn.softmax(x @ v), y)), w, (lambda v: grad(x, v, y))
    r = gradcheck.check_jacobian(f, at, analytic, vectorized=True)
    assert r.passed, str(r)
"""


def plugin_overhead(cases: int, repeats: int) -> tuple[float, float, int, int]:
    """Seconds for `cases` YAML cases (5 items each) vs the same checks as a parametrized file."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pytest.ini").write_text("[pytest]\n")
        (root / "cases").mkdir()
        per_file = 100
        for start in range(0, cases, per_file):
            body = "".join(
                CASE.format(i=i, j=i + 100000, label=i % 5) for i in range(start, min(cases, start + per_file))
            )
            (root / "cases" / f"layer_{start // per_file:03d}.yaml").write_text("cases:\n" + body)
        (root / "test_plain.py").write_text(PLAIN.replace("{cases}", str(cases)))
        base = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]

        def run(args: list[str]) -> tuple[float, int]:
            times, passed = [], 0
            for _ in range(repeats):
                start = time.perf_counter()
                done = subprocess.run(base + args, cwd=root, capture_output=True, text=True)
                times.append(time.perf_counter() - start)
                if done.returncode != 0:
                    raise AssertionError(done.stdout[-2000:] + done.stderr[-2000:])
                passed = int(done.stdout.strip().splitlines()[-1].split()[0])
            return statistics.median(times), passed

        yaml_time, yaml_passed = run(["--gradcheck-cases", "cases"])
        plain_time, plain_passed = run(["test_plain.py"])
    return yaml_time, plain_time, yaml_passed, plain_passed


TRIVIAL = "def test_trivial():\n    assert True\n"


#: pytest's console entry point, which also reports the child's own peak resident memory (VmHWM: the
#: rusage maxrss of a child counts what it held before exec, a copy of this process, torch and all).
PEAK_REPORTING_PYTEST = """\
import atexit, sys

def _peak():
    try:
        with open("/proc/self/status") as status:
            kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    except OSError:
        return
    sys.stdout.write(f"\\nVMHWM {kib}\\n")
    sys.stdout.flush()

atexit.register(_peak)
import pytest
sys.exit(pytest.console_main())
"""


def pytest_child(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak resident MB) of one pytest run in a child of its own, which
    must pass (peak from /proc where there is one, else the child's rusage)."""
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", PEAK_REPORTING_PYTEST, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)  # this child's own rusage
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0 or b"1 passed" not in out:
        raise AssertionError(out.decode(errors="replace")[-2000:])
    reported = [line.split()[1] for line in out.decode(errors="replace").splitlines() if line.startswith("VMHWM ")]
    rusage_kib = usage.ru_maxrss / 1024 if sys.platform == "darwin" else usage.ru_maxrss  # bytes on macOS
    kib = float(reported[-1]) if reported else rusage_kib
    return seconds, usage.ru_utime + usage.ru_stime, kib / 1024


#: The startup pairs: (what, what pytest collects, arguments with the plugin, without it, whether
#: the other installed plugins load).
#: The first is the run the targets are set for: the same command with and without `-p no:gradcheck`.
#: The others show the plugin's cost undiluted by other plugins (it is loaded with -p, every other
#: autoload is off), and in a folder of many files.
STARTUP_PAIRS = [
    ("a trivial test file, installed plugins", "test_trivial.py", [], ["-p", "no:gradcheck"], True),
    ("a trivial test file, pytest alone", "test_trivial.py", ["-p", "gradcheck.pytest_plugin"], [], False),
    ("a folder of 3,000 other files, pytest alone", ".", ["-p", "gradcheck.pytest_plugin"], [], False),
]
#: The other files of the folder: every file pytest collects from passes through the plugin's hook.
TREE_FOLDERS, TREE_FILES = 60, 50


def startup(rounds: int) -> list[tuple[str, list[float], list[float]]]:
    """(what, medians with the plugin, medians without) for pytest runs that collect no case file;
    the medians are [wall seconds, CPU seconds, peak MB]. The runs alternate (with, without, with,
    ...), so that both meet the machine in the same state; one unmeasured round warms the caches."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "pytest.ini").write_text("[pytest]\n")
        (root / "test_trivial.py").write_text(TRIVIAL)
        for i in range(TREE_FOLDERS):
            folder = root / "tree" / f"part{i}" / "src" / "data"
            folder.mkdir(parents=True)
            for j in range(TREE_FILES):
                (folder / f"file{j}.txt").write_text("")
        # Python's default: compiled modules are cached, as after `pip install` (the warm-up round
        # writes the caches of an editable install); pytest's own settings from the environment are left out.
        base = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "PYTHONDONTWRITEBYTECODE"}
        runs = []
        for name, where, with_args, without_args, autoload in STARTUP_PAIRS:
            env = base if autoload else {**base, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
            common = ["-p", "no:cacheprovider", where]
            runs.append((name, [*with_args, *common], [*without_args, *common], env))
        samples: dict[tuple[str, bool], list[tuple[float, float, float]]] = {}
        for i in range(rounds + 1):
            for name, with_args, without_args, env in runs:
                for plugin, args in ((True, with_args), (False, without_args)):
                    sample = pytest_child(args, root, env)
                    if i:
                        samples.setdefault((name, plugin), []).append(sample)
    return [(name, _medians(samples[(name, True)]), _medians(samples[(name, False)])) for name, *_ in runs]


def _medians(samples: list[tuple[float, float, float]]) -> list[float]:
    """The median of each column."""
    return [statistics.median(sample[i] for sample in samples) for i in range(3)]


#: Startup targets: pytest with the plugin at most this many times as slow as without it, ...
STARTUP_RATIO = 1.05
#: ... and at most this many MB more peak memory.
STARTUP_MB = 2.0


SECTIONS = ("speed", "plugin", "memory", "startup")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats and 200 plugin cases (a smoke run)")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, metavar="SECTION", help=f"run only this section: {SECTIONS}"
    )
    args = parser.parse_args()
    only = set(args.only or SECTIONS)
    repeats = 3 if args.quick else 5
    print(f"# gradcheck benchmark: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}")
    print(f"numpy {np.__version__}", end="")
    for mod in ("torch", "scipy"):
        try:
            print(f", {mod} {__import__(mod).__version__}", end="")
        except ImportError:
            print(f", {mod} not installed", end="")
    print()

    targets: list[tuple[str, bool | None]] = []
    if "speed" in only:
        targets += speed_section(repeats)
    if "plugin" in only:
        targets += plugin_section(200 if args.quick else 1000)
    if "memory" in only:
        targets += memory_section()
    if "startup" in only:
        targets += startup_section(7 if args.quick else 21)
    print("\n## Targets\n")
    for text, ok in targets:
        print(f"- {'met' if ok else ('NOT MET' if ok is False else 'not measured (anchor missing)')}: {text}")
    return 0 if all(ok is not False for _, ok in targets) else 1


def speed_section(repeats: int) -> list[tuple[str, bool | None]]:
    results = speed_table(repeats)
    print_speed(results)
    caught = directional_catches_one_weight()
    mnist, big = results[(784, 10)], results[(1024, 1000)]
    return [
        (
            "784x10 vectorized (order F, 2 threads as torch's 2) <= 1/20 of torch gradcheck",
            _le(mnist["gradcheck vectorized, order F, 2 threads"], mnist.get("torch gradcheck"), 1 / 20),
        ),
        (
            "784x10 black-box <= 1/5 of torch gradcheck",
            _le(mnist["gradcheck black-box"], mnist.get("torch gradcheck"), 1 / 5),
        ),
        (
            "784x10 black-box <= 1.25x the seed-style loop",
            _le(mnist["gradcheck black-box"], mnist["seed-style loop"], 1.25),
        ),
        (
            "1024x1000 directional <= 1/2 of torch fast_mode",
            _le(big["gradcheck directional"], big.get("torch fast_mode"), 0.5),
        ),
        ("1024x1000 directional fails on one weight off by 0.05, and names it", caught),
    ]


def plugin_section(cases: int) -> list[tuple[str, bool | None]]:
    yaml_time, plain_time, yaml_passed, plain_passed = plugin_overhead(cases, 3)
    print(f"\n## Plugin overhead: {cases} YAML cases ({yaml_passed} items) against a parametrized file\n")
    print("| run | items | median wall time | ratio |")
    print("|---|---|---|---|")
    print(f"| `pytest --gradcheck-cases cases` | {yaml_passed} | {yaml_time:.2f} s | {yaml_time / plain_time:.2f} |")
    print(f"| `pytest test_plain.py` (parametrize) | {plain_passed} | {plain_time:.2f} s | 1.00 |")
    ok = yaml_time <= 1.5 * plain_time and yaml_passed == plain_passed
    return [("plugin overhead <= 1.5x the parametrized file", ok)]


def memory_section() -> list[tuple[str, bool | None]]:
    memory = peak_memory()
    print("\n## Peak memory of one check (tracemalloc)\n")
    print("| check | peak | chunk bound | x | (peak - chunk) / x |")
    print("|---|---|---|---|---|")
    for label, peak, bound, xmb in memory:
        print(f"| {label} | {peak:.1f} MB | {bound:.0f} MB | {xmb:.2f} MB | {(peak - bound) / xmb:.1f} |")
    ok = all(p <= b + MEMORY_COPIES * xm for _, p, b, xm in memory)
    return [(f"peak memory <= chunk bound + {MEMORY_COPIES} copies of x", ok)]


def startup_section(rounds: int) -> list[tuple[str, bool | None]]:
    """The targets are on CPU time (user + system) of the child: on a shared machine its wall time
    also counts the time other processes held the cores. Both are printed."""
    rows = startup(rounds)
    print(f"\n## Startup: pytest collecting no case file, with and without the plugin ({rounds} rounds)\n")
    print("| pytest on | CPU with gradcheck | without | ratio | wall ratio | peak RSS with | without | difference |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (wall_on, cpu_on, mb_on), (wall_off, cpu_off, mb_off) in rows:
        print(
            f"| {name} | {cpu_on * 1e3:.0f} ms | {cpu_off * 1e3:.0f} ms | {cpu_on / cpu_off:.3f} "
            f"| {wall_on / wall_off:.3f} | {mb_on:.1f} MB | {mb_off:.1f} MB | {mb_on - mb_off:+.1f} MB |"
        )
    _, (_, cpu_on, mb_on), (_, cpu_off, mb_off) = rows[0]
    return [
        (
            f"startup, first row: CPU time with the plugin <= {STARTUP_RATIO}x without",
            cpu_on <= STARTUP_RATIO * cpu_off,
        ),
        (f"startup, first row: peak memory with the plugin within {STARTUP_MB:.0f} MB", mb_on - mb_off <= STARTUP_MB),
    ]


#: "A few copies of x": x, the steps, both sides of the stencil, the estimate, the error terms.
MEMORY_COPIES = 10


def _le(t: float | None, ref: float | None, factor: float) -> bool | None:
    if t is None or ref is None:
        return None
    return t <= factor * ref


if __name__ == "__main__":
    sys.exit(main())
