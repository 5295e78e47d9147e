"""Real code's shapes from YAML alone: (out, cache) pairs, layer objects, value-and-gradient losses,
elementwise derivatives, integer labels; several `wrt` in one case; and every mistake in them one line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pluginrun import run, sections, write

from gradcheck.casefile import document, yamlreader
from gradcheck.casefile.function import FunctionCase
from gradcheck.cli.sweep import load_check
from gradcheck.errors import CaseError

# A user's module in each shape, with planted bugs and code that misbehaves.
NET = """\
import numpy as np


# A: out, cache = forward(...); dx, dw, db = backward(dout, cache)
def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def affine_backward_bad_db(dout, cache):
    dx, dw, db = affine_backward(dout, cache)
    return dx, dw, db / dout.shape[0]


def affine_backward_two(dout, cache):
    return affine_backward(dout, cache)[:2]


def affine_backward_bad_shape(dout, cache):
    dx, dw, db = affine_backward(dout, cache)
    return dx, dw.T, db


def softmax_loss(scores, y):
    assert y.dtype.kind == "i", y.dtype  # class labels arrive as integers
    p = np.exp(scores - scores.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    n = len(y)
    loss = -np.log(p[np.arange(n), y]).mean()
    p[np.arange(n), y] -= 1
    return loss, p / n


def plain(x):
    return float(np.sum(x**2))


# B: gradients left on attributes
class Dense:
    def __init__(self, W, b):
        self.W, self.b = np.array(W, dtype=float), np.array(b, dtype=float)

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class DenseBadDW(Dense):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = 2.0 * self.dW
        return dx


class Tally(Dense):
    def __init__(self, W, b):
        with open("made.txt", "a") as made:
            made.write("made\\n")
        super().__init__(W, b)


class Broken:
    def __init__(self, n):
        check_even(n)


def check_even(n):
    if n % 2:
        raise ValueError("n must be even")


# C: parameters drawn on the first call, in dicts; backward adds to the gradients
class FC:
    def __init__(self, n_out):
        self.n_out, self.params, self.grads = n_out, {}, {}

    def forward(self, X):
        if not self.params:
            self.params = {"W": np.random.randn(X.shape[1], self.n_out), "b": np.zeros(self.n_out)}
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self.X = X
        self.y = np.tanh(X @ self.params["W"] + self.params["b"])
        return self.y

    def backward(self, dy):
        dz = dy * (1 - self.y**2)
        self.grads["W"] += self.X.T @ dz
        self.grads["b"] += dz.sum(axis=0)
        return dz @ self.params["W"].T


# D: loss, grads = model.loss(X, y); value, grad = fun(x)
class Net:
    def __init__(self, n_in, n_classes, seed=0):
        rng = np.random.default_rng(seed)
        self.params = {"W": rng.standard_normal((n_in, n_classes)), "b": np.zeros(n_classes)}

    def loss(self, X, y):
        loss, dscores = softmax_loss(X @ self.params["W"] + self.params["b"], y)
        return loss, {"W": X.T @ dscores, "b": dscores.sum(axis=0)}


class NetMissingKey(Net):
    def loss(self, X, y):
        loss, grads = super().loss(X, y)
        del grads["b"]
        return loss, grads


def quartic(x):
    return float(np.sum(x**4)), 4 * x**3


# E: f'(x), of x's shape
class Sigmoid:
    def fn(self, z):
        return 1 / (1 + np.exp(-z))

    def gradient(self, z):
        s = self.fn(z)
        return s * (1 - s)

    def gradient_bad(self, z):
        return self.fn(z)


def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    return 1 - np.tanh(x) ** 2


def project(x, W):
    return W @ x  # a stack of x does not broadcast through W @ x
"""

ARGS_A = "args: {x: {shape: [4, 3], seed: 0}, w: {shape: [3, 5], seed: 1}, b: {shape: [5], seed: 2}}"
DENSE_INIT = "init: {W: {shape: [3, 4], seed: 0}, b: {shape: [4], seed: 1}}"


def case(name: str, *lines: str) -> str:
    return f"  - name: {name}\n" + "".join(f"    {line}\n" for line in lines)


def project(pytester: pytest.Pytester, cases: str) -> None:
    pytester.makeini("[pytest]\ngradcheck_cases = cases\n")
    write(pytester, "mylib/__init__.py", "")
    write(pytester, "mylib/net.py", NET)
    write(pytester, "cases/x.yaml", "cases:\n" + cases)


def dense_case(name: str, *lines: str, klass: str = "Dense") -> str:
    base = {"object": f"mylib.net:{klass}", "init": DENSE_INIT[6:], "function": "forward", "backward": "backward"}
    base |= {"args": "{x: {shape: [2, 3], seed: 2}}", "wrt": "[x, W, b]", "gradients": "{W: dW, b: db}"}
    for line in lines:
        key, _, value = line.partition(": ")
        base[key] = value
    return case(name, *(f"{k}: {v}" for k, v in base.items()))


SHAPES = (
    case("affine", "function: mylib.net:affine_forward", "backward: mylib.net:affine_backward", ARGS_A)
    + "    wrt: [x, w, b]\n"
    + case(
        "loss",
        "function: mylib.net:softmax_loss",
        "gradient: returned",
        "args: {scores: {shape: [5, 3], seed: 3}, y: [0, 2, 1, 1, 0]}",
    )
    + dense_case("dense")
    + case(
        "fc",
        "object: mylib.net:FC",
        "init: {n_out: 4}",
        "function: forward",
        "backward: backward",
        "args: {X: {shape: [3, 2], seed: 4}}",
        "wrt: [X, params.W, params.b]",
        "gradients: grads",
    )
    + case(
        "net",
        "object: mylib.net:Net",
        "init: {n_in: 3, n_classes: 4}",
        "function: loss",
        "gradient: returned",
        "args: {X: {shape: [6, 3], seed: 5}, y: {integers: [0, 4], shape: [6], seed: 6}}",
        "wrt: [params.W, params.b]",
    )
    + case("quartic", "function: mylib.net:quartic", "gradient: returned", "args: {x: [0.5, -1.0, 2.0]}")
    + case(
        "sigmoid",
        "object: mylib.net:Sigmoid",
        "function: fn",
        "elementwise: gradient",
        "args: {z: {shape: [2, 3], seed: 7}}",
    )
    + case(
        "tanh",
        "function: mylib.net:tanh",
        "elementwise: mylib.net:tanh_prime",
        "vectorized: true",
        "args: {x: {shape: [40, 30], seed: 8}}",  # 1200 outputs: checked through random cotangents
    )
)
IDS = [
    "affine[backward:x]",
    "affine[backward:w]",
    "affine[backward:b]",
    "loss[gradient]",
    "dense[backward:x]",
    "dense[backward:W]",
    "dense[backward:b]",
    "fc[backward:X]",
    "fc[backward:params.W]",
    "fc[backward:params.b]",
    "net[gradient:params.W]",
    "net[gradient:params.b]",
    "quartic[gradient]",
    "sigmoid[elementwise]",
    "tanh[elementwise]",
]


def test_every_shape_is_checked_from_yaml_alone_one_item_per_wrt(pytester: pytest.Pytester) -> None:
    project(pytester, SHAPES)
    collected = [line for line in run(pytester, "--co", "-q").outlines if "::" in line]
    assert collected == [f"cases/x.yaml::{item}" for item in IDS]
    selected = [line for line in run(pytester, "--co", "-q", "-k", "params.W").outlines if "::" in line]
    assert selected == ["cases/x.yaml::fc[backward:params.W]", "cases/x.yaml::net[gradient:params.W]"]
    selected = [line for line in run(pytester, "--co", "-q", "-k", "backward:b").outlines if "::" in line]
    assert selected == ["cases/x.yaml::affine[backward:b]", "cases/x.yaml::dense[backward:b]"]
    run(pytester).assert_outcomes(passed=len(IDS))


def test_a_planted_bug_fails_only_the_gradient_it_is_in(pytester: pytest.Pytester) -> None:
    bugs = (
        case("affine", "function: mylib.net:affine_forward", "backward: mylib.net:affine_backward_bad_db", ARGS_A)
        + "    wrt: [x, w, b]\n"
        + dense_case("dense", klass="DenseBadDW")
        + case(
            "sigmoid",
            "object: mylib.net:Sigmoid",
            "function: fn",
            "elementwise: gradient_bad",
            "args: {z: [0.5, -1.0]}",
        )
    )
    project(pytester, bugs)
    result = run(pytester, "-rf")
    result.assert_outcomes(passed=4, failed=3)
    failed = sorted(line.split(" - ")[0] for line in result.outlines if line.startswith("FAILED"))
    assert failed == [
        "FAILED cases/x.yaml::affine[backward:b]",
        "FAILED cases/x.yaml::dense[backward:W]",
        "FAILED cases/x.yaml::sigmoid[elementwise]",
    ]
    result.stdout.fnmatch_lines(
        [
            "gradcheck: backward:b mylib.net:affine_backward_bad_db of case 'affine' (cases/x.yaml:2): FAILED",
            "*hint: analytic = 0.25 * numeric*",
            "gradcheck: backward:W mylib.net:DenseBadDW.backward of case 'dense' (cases/x.yaml:7): FAILED",
            "  12 of 12 entries of dW for cotangent 1 of 3 (seeded random) differ beyond rtol=1e-06, atol=1e-08",
            "*",
            "  cotangents whose product differs: 3 of 3 seeded random, 8 of 8 basis (one per entry of forward)",
            "  worst entries:",
            "    entry * analytic *",
            "    dW[[]*, *[]] *",
            "gradcheck: elementwise mylib.net:Sigmoid.gradient_bad of case 'sigmoid'*: FAILED",
        ]
    )


def test_an_object_is_made_anew_for_every_check(pytester: pytest.Pytester) -> None:
    project(
        pytester,
        dense_case("tally", klass="Tally"),
    )
    run(pytester).assert_outcomes(passed=3)
    assert (pytester.path / "made.txt").read_text().splitlines() == ["made"] * 3


def test_objects_are_made_with_numpys_global_random_state_seeded_and_restored() -> None:
    from gradcheck.checks import objects

    np.random.seed(123)
    expected = np.random.random(3)
    np.random.seed(123)
    with objects.seeded():
        first = np.random.randn(2)
    with objects.seeded():
        second = np.random.randn(2)
    np.testing.assert_array_equal(first, second)  # the same weights in every check and every run
    np.testing.assert_array_equal(np.random.random(3), expected)  # the caller's stream goes on untouched


# -- the user's code misbehaves: one line at the case's line --------------------------------------


RUNTIME_ERRORS = {
    "no-method": (
        dense_case("no-method", "function: forwrd"),
        "function:",
        "function: 'Dense' object has no method 'forwrd' (did you mean 'forward'?)",
    ),
    "no-parameter": (
        dense_case("no-parameter", "wrt: [x, w]", "gradients: {w: dW}"),
        "wrt:",
        "wrt: after its first call, Dense has no attribute 'w' (did you mean 'W'?)",
    ),
    "no-gradient": (
        dense_case("no-gradient", "gradients: {W: dw, b: db}"),
        "gradients:",
        "gradients: after mylib.net:Dense.backward, Dense has no attribute 'dw' (did you mean 'dW'?)",
    ),
    "not-read": (
        dense_case("not-read", "gradients: {W: dW}"),
        "backward:",
        "backward: mylib.net:Dense.backward returned one array; wrt names 2 to read from it (x, b): return a "
        "tuple in that order or a dict, or say where the others are, e.g. gradients: {W: dW}",
    ),
    "constructor": (
        case("constructor", "object: mylib.net:Broken", "init: {n: 3}", "function: forward", "backward: backward")
        + "    args: {x: [1.0]}\n",
        "object:",
        "object: mylib.net:Broken(...) raised ValueError: n must be even",
    ),
    "count": (
        case("count", "function: mylib.net:affine_forward", "backward: mylib.net:affine_backward_two", ARGS_A)
        + "    wrt: [x, w, b]\n",
        "backward:",
        "backward: mylib.net:affine_backward_two returned 2 gradients; wrt names 3 to read from it (x, w, b): "
        "list in wrt every argument it returns a gradient for, in its order, or give each one's position, "
        "e.g. gradients: {x: 0}",
    ),
    "shape": (
        case("shape", "function: mylib.net:affine_forward", "backward: mylib.net:affine_backward_bad_shape", ARGS_A)
        + "    wrt: [w]\n    gradients: {w: 1}\n",
        "backward:",
        "backward: mylib.net:affine_backward_bad_shape returned shape (5, 3) for w (entry 1); expected (3, 5), "
        "from w.shape (3, 5)",
    ),
    "key": (
        case(
            "key",
            "object: mylib.net:NetMissingKey",
            "init: {n_in: 3, n_classes: 4}",
            "function: loss",
            "gradient: returned",
            "args: {X: {shape: [6, 3], seed: 5}, y: [0, 1, 2, 3, 0, 1]}",
            "wrt: params.b",
        ),
        "gradient:",
        "gradient: mylib.net:NetMissingKey.loss returned a dict without 'b'; it has W",
    ),
    "container": (
        case(
            "container",
            "object: mylib.net:FC",
            "init: {n_out: 2}",
            "function: forward",
            "backward: backward",
            "args: {X: {shape: [3, 2], seed: 4}}",
            "wrt: params.W",
            "gradients: grad",
        ),
        "gradients:",
        "gradients: after mylib.net:FC.backward, FC has no attribute 'grad' (did you mean 'grads'?)",
    ),
    "unbound": (
        case("unbound", "function: mylib.net:Sigmoid.fn", "elementwise: mylib.net:tanh_prime", "args: {z: [1.0]}"),
        "function:",
        "function: mylib.net:Sigmoid.fn is a method of class Sigmoid, which needs an object: give object: "
        "mylib.net:Sigmoid (with init: for its constructor's arguments) and function: fn",
    ),
    "not-returned": (
        case("not-returned", "function: mylib.net:plain", "gradient: returned", "args: {x: [1.0]}"),
        "gradient:",
        "gradient: mylib.net:plain returned one value; gradient: returned needs (value, gradient)",
    ),
    "vectorized": (
        case(
            "vectorized",
            "function: mylib.net:project",
            "jacobian: mylib.net:tanh_prime",
            "vectorized: true",
            "args: {x: [1.0, 2.0, 3.0], W: {shape: [2, 3], seed: 0}}",
            "wrt: x",
        ),
        "vectorized:",
        "vectorized: mylib.net:project given a stack of 2 points (2, 3) raised ValueError: matmul: *; "
        "vectorized: true is the likely cause: make it broadcast over leading axes, or drop vectorized",
    ),
}


def test_each_mistake_in_the_users_code_is_one_line_at_the_case(pytester: pytest.Pytester) -> None:
    text = "".join(lines for lines, _, _ in RUNTIME_ERRORS.values())
    project(pytester, text)
    result = run(pytester)
    failed = sections(result)
    full = "cases:\n" + text
    for name, (_, at, message) in RUNTIME_ERRORS.items():
        start = full.splitlines().index(f"  - name: {name}") + 1
        line = next(n for n, row in enumerate(full.splitlines(), 1) if n > start and row.strip().startswith(at))
        items = [key for key in failed if key.startswith(f"{name}[")]
        assert items, name
        shown = failed[items[0]]
        pattern = f"cases/x.yaml:{line}: {message}"
        assert shown[0] == pattern or (
            "*" in pattern and shown[0].startswith(pattern.split("*")[0]) and shown[0].endswith(pattern.split("*")[1])
        ), (name, shown[0], pattern)
        if name != "constructor":  # only the user's own exception shows a traceback
            assert shown == [shown[0]], (name, shown)
    constructor = next(v for k, v in failed.items() if k.startswith("constructor["))
    assert any("mylib/net.py" in line and "ValueError" in line for line in constructor)
    assert not any("gradcheck/" in line or "_pytest" in line for line in constructor)
    assert any("check_even(n)" in line for line in constructor)  # the user's frames, in full


# -- the case format: parsed without running anything -------------------------------------------------


def load(text: str) -> list[Any]:
    return [e.case for e in document.parse_document(yamlreader.parse(text), "x.yaml")]


def test_args_merge_over_the_defaults_key_by_key_and_null_removes() -> None:
    text = """\
defaults:
  function: m:f
  gradient: m:g
  args: {x: [1.0, 2.0], y: [0, 1], scale: 2.0}
cases:
  - name: merged
    args: {scale: 3.0, flag: true}
  - name: removed
    gradient: null
    vjp: m:v
    args: {y: null, none: null}
"""
    merged, removed = load(text)
    assert isinstance(merged, FunctionCase) and isinstance(removed, FunctionCase)
    assert list(merged.args) == ["x", "y", "scale", "flag"] and merged.args["scale"] == 3.0
    assert (merged.kind, removed.kind, removed.derivative) == ("gradient", "vjp", "m:v")
    assert list(removed.args) == ["x", "scale", "none"] and removed.args["none"] is None  # no default: None
    assert merged.line_of("args.scale") == 7 and merged.line_of("args.x") == 4


def test_null_removes_a_default_in_a_layer_case_too() -> None:
    text = "defaults: {inputs: 2, classes: 3, rtol: 1.0e-3, bias: [0.0, 0.0, 0.0]}\ncases:\n"
    text += "  - name: plain\n    x: [0.1, 0.5]\n    weights: {seed: 0}\n    label: 1\n    rtol: null\n    bias: null\n"
    (layer,) = load(text)
    assert not isinstance(layer, CaseError)
    assert (layer.rtol, layer.bias) == (None, None)


def test_integers_stay_integers_unless_differentiated() -> None:
    text = """\
cases:
  - name: labels
    function: m:f
    gradient: m:g
    args:
      x: [1, 2, 3]
      W: [[0.5, 1.0]]
      y: [0, 3, 1]
      k: {integers: [0, 10], shape: [5], seed: 0}
    wrt: [x, W]
    dtype: float32
"""
    (loaded,) = load(text)
    assert isinstance(loaded, FunctionCase)
    args = loaded.args
    assert (args["x"].dtype, args["W"].dtype, args["y"].dtype, args["k"].dtype) == (
        np.float32,
        np.float32,
        np.int64,
        np.int64,
    )
    np.testing.assert_array_equal(args["y"], [0, 3, 1])
    np.testing.assert_array_equal(args["k"], np.random.default_rng(0).integers(0, 10, 5))
    without_wrt = text.replace("    wrt: [x, W]\n", "")
    (only,) = load(without_wrt.replace("      W: [[0.5, 1.0]]\n", "").replace("x: [1, 2, 3]", "x: [1.0, 2, 3]"))
    assert isinstance(only, FunctionCase) and only.wrt == "x"  # by default, the only array of floats
    (floats,) = load(without_wrt.replace("x: [1, 2, 3]", "x: [1, 2.5]"))
    assert str(floats).endswith("args: has several arrays (x, W); name the one to differentiate, e.g. wrt: x")
    (ints,) = load(without_wrt.replace("      W: [[0.5, 1.0]]\n", ""))
    assert str(ints).endswith("args: has several arrays (x, y, k); name the one to differentiate, e.g. wrt: x")


PARSE_ERRORS = [
    ("init: {n: 1}", "init: applies with object: only; add object: module:Class, or drop init"),
    ("function: forward", "function: 'forward' is not 'module:attribute' (a method needs object: module:Class beside"),
    ("vjp: returned", "vjp: returned applies to jacobian, gradient, elementwise only; name the vjp function"),
    ("wrt: [x, x]", "wrt: names 'x' twice; list each once"),
    (
        "wrt: [x, W]",
        "wrt: 'W' is not an argument nor a module's global, named with its module: m:W; expected one of x, y",
    ),
    ("gradients: {z: 0}", "gradients: 'z' is not in wrt; expected one of x"),
    ("gradients: {x: dx}", "gradients: 'dx' is read on an object; add object: module:Class, or give positions"),
    ("args: {x: {integers: [3, 1], shape: [2], seed: 0}}", "args.x: integers [3, 1] is not [low, high] with"),
    ("args: {x: {integers: [0, 3], shape: [2]}}", "args.x: seed None is not a non-negative integer"),
    ("args: {x: {integers: [0, 3], shape: [2], seed: 0, scale: 2}}", "args.x: integers: takes shape and seed only"),
]


@pytest.mark.parametrize(("line", "message"), PARSE_ERRORS, ids=[m.split(":")[0] for _, m in PARSE_ERRORS])
def test_a_mistake_in_the_new_keys_is_one_line_at_its_line(line: str, message: str) -> None:
    base = {"function": "m:f", "vjp": "m:v", "args": "{x: [1.0], y: [0]}"}
    key, _, value = line.partition(": ")
    text = "cases:\n  - name: c\n" + "".join(f"    {k}: {v}\n" for k, v in (base | {key: value}).items())
    (error,) = load(text)
    assert isinstance(error, CaseError)
    assert str(error).startswith(f"x.yaml:{text.splitlines().index('    ' + line) + 1}: {message}"), str(error)


def test_object_cases_name_methods_and_may_differentiate_parameters_only() -> None:
    text = """\
cases:
  - name: layer
    object: m:Dense
    init: {W: [[1.0, 2.0]], n: 3, act: tanh}
    function: forward
    backward: backward
    wrt: [W, params.b]
    gradients: grads
  - name: bad-method
    object: m:Dense
    function: m:forward
    gradient: g
    wrt: W
  - name: stacked
    object: m:Dense
    function: forward
    gradient: g
    wrt: W
    vectorized: true
  - name: threads
    object: m:Dense
    function: forward
    gradient: g
    args: {x: [1.0]}
    vectorized: true
    workers: 2
  - name: complex
    object: m:Dense
    function: forward
    gradient: g
    wrt: W
    scheme: complex
"""
    layer, bad, stacked, threads, complex_ = load(text)
    assert isinstance(layer, FunctionCase)
    assert (layer.cls, layer.wrts, dict(layer.gradients)) == (
        "m:Dense",
        ("W", "params.b"),
        {
            "W": "grads.W",
            "params.b": "grads.b",
        },
    )
    assert layer.init["W"].dtype == np.float64 and layer.init["n"] == 3 and layer.args == {}
    assert str(bad) == (
        "x.yaml:11: function: 'm:forward' is not a method name; with object: m:Dense, name its method, "
        "e.g. function: forward"
    )
    assert str(stacked).startswith("x.yaml:19: vectorized: stacks points of an argument, and wrt names only parameters")
    assert str(threads).startswith("x.yaml:26: workers: threads would call the methods of one m:Dense object at once")
    assert str(complex_).startswith("x.yaml:32: scheme: complex steps x by an imaginary h, which the parameter W")


def test_the_sweep_command_rebuilds_an_item_of_a_wrt_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "sweeplib").mkdir()
    (tmp_path / "sweeplib" / "__init__.py").write_text("")
    (tmp_path / "sweeplib" / "net.py").write_text(NET)
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "x.yaml").write_text("cases:\n" + SHAPES.replace("mylib.", "sweeplib."))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    before = set(sys.modules)
    try:
        case_, check = load_check("cases/x.yaml::dense[backward:W]")
        assert isinstance(case_, FunctionCase) and (case_.wrt, check.x.shape) == ("W", (3, 4))
        assert check.run().passed
        with pytest.raises(ValueError, match=r"expected cases/x.yaml::dense\[backward:x\] or .*\[backward:b\]"):
            load_check("cases/x.yaml::dense[backward]")
    finally:  # the project's modules leave with it
        for name in set(sys.modules) - before:
            del sys.modules[name]
