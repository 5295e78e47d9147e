"""The case-file format, declared once: every key with its type, bounds, default and one line of help.

The parsers' key lists come from here, and so do the shipped JSON Schema and the README's key
tables (`python -m gradcheck generate`; a test fails when a shipped copy is stale). The parsers
keep their own, friendlier messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..options import DTYPES, MAX_OUTPUTS, MAX_WORKERS, MODES, ORDERS, REDUCTIONS, SCHEMES

#: The kinds of case a key belongs to.
LAYER, FUNCTION = "layer", "function"
BOTH = (LAYER, FUNCTION)


@dataclass(frozen=True)
class Key:
    """One key of a case (or of an array spec, or of the file's top level)."""

    name: str
    type: str  # one of TYPES
    help: str  # one line, as the README's table and the schema's description say it
    default: str = ""  # the value when the key is not given, as a reader would write it ("" = required or none)
    cases: tuple[str, ...] = BOTH  # the kinds of case that have it
    choices: tuple[str, ...] = ()  # for type "choice"
    minimum: float | None = None  # inclusive bounds, for numbers and integers
    maximum: float | None = None
    above: float | None = None  # exclusive bounds
    below: float | None = None


#: The types of a key, as the schema spells them out: see generate.py.
TYPES = (
    "name",  # a name of letters, digits, _, . and -
    "text",  # free text
    "integer",  # a whole number within the bounds
    "number",  # a number within the bounds
    "boolean",
    "choice",  # one of `choices`
    "array",  # a (nested) list of numbers or an array spec
    "label",  # a class index, a distribution, one per sample, or {seed: N}
    "checks",  # a check name, a list of them, or 'all'
    "marks",  # pytest marks
    "target",  # module:attribute
    "callable",  # module:attribute, or with `object:` a method name; `returned` for some
    "class",  # module:Class
    "wrt",  # an argument name or an object path, or a list of them
    "gradients",  # an object path, or a mapping of wrt names to paths or positions
    "path",  # an attribute path on an object: `out`, `cache.out`
    "takes",  # a list of what a derivative is called with: `cotangent`, `output` or argument names
    "layers",  # a list of layers: {object, init, call, forward, backward, output, gradient, gradients}
    "calls",  # a list of setup calls: a method's name, or {method: {keyword arguments}}
    "loss",  # a loss object: {object, init, call, forward, backward, takes, gradient, reduction}
    "range",  # a pair of integers [low, high)
    "args",  # keyword arguments: arrays, specs or plain values
    "identifier",  # the name of an argument
    "version",  # the constant 1
    "defaults",  # a mapping of case keys
    "cases",  # the list of cases
    "shape",  # a list of non-negative integers
)

#: A public name: no leading `_`, so nothing private (`_os`, `__globals__`) can be reached.
PUBLIC_PATTERN = r"[A-Za-z]\w*"
#: A module's dotted name, as Python spells it.
MODULE_PATTERN = r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*"
#: A Python file by its path under the rootdir, for a script whose name is not a module's
#: (`scripts/min-char-rnn.py`): no absolute path, no `..`, no hidden folder.
FILE_PATTERN = r"([A-Za-z0-9_][A-Za-z0-9_-]*/)*[A-Za-z0-9_][A-Za-z0-9_.-]*\.py"
#: A target: `module:attribute` (or `path/file.py:attribute`), the attribute possibly dotted, every
#: name after the colon public.
TARGET_PATTERN = rf"({FILE_PATTERN}|{MODULE_PATTERN}):{PUBLIC_PATTERN}(\.{PUBLIC_PATTERN})*"
#: A method of an object, an attribute path on it (`parameters.W`, `layers.0.W`), or an argument's name.
PATH_PATTERN = rf"{PUBLIC_PATTERN}(\.({PUBLIC_PATTERN}|\d+))*"
#: What a function case names its function and derivative by: `module:attribute`, or a method of its object.
CALLABLE_PATTERN = rf"{TARGET_PATTERN}|{PUBLIC_PATTERN}"
#: A derivative key that says the function returns it, after its value: `gradient: returned`.
RETURNED = "returned"
#: A case's name.
NAME_PATTERN = r"[A-Za-z0-9_.-]+"
#: The keys of `loss:`, a loss object ending a network.
LOSS_KEYS = ("object", "init", "call", "forward", "backward", "takes", "gradient", "reduction")
#: How the training loop makes its objective of what a loss object's forward returns: as it is (a
#: scalar), the mean or the sum of its entries (one loss per sample).
LOSS_REDUCTIONS = ("none", "mean", "sum")

#: Every key of a case, in the order error messages and the README list them.
CASE_FORMAT: tuple[Key, ...] = (
    Key("name", "name", "unique in the file; letters, digits, `_`, `.`, `-`"),
    Key("description", "text", "free text, ignored", "none"),
    Key("inputs", "integer", "number of inputs n: `x` is (n,), `W` is (n, classes)", cases=(LAYER,), minimum=1),
    Key("classes", "integer", "number of classes K: `W` is (inputs, K)", cases=(LAYER,), minimum=1),
    Key("x", "array", "the input, shape (inputs,), or (B, inputs) for a batch", cases=(LAYER,)),
    Key("weights", "array", "the weights `W`, shape (inputs, classes)", cases=(LAYER,)),
    Key("bias", "array", "an optional bias, shape (classes,)", "none", cases=(LAYER,)),
    Key(
        "label",
        "label",
        "a class index, or a one-hot / soft distribution over the classes (non-negative, sums to 1); for a batch "
        "a list of B of those, `{seed: 3}` for random classes, or one label shared by all samples",
        cases=(LAYER,),
    ),
    Key(
        "checks",
        "checks",
        "which checks to run, a list of names; `all` for every built-in check",
        "`[softmax, layer, cross_entropy, chain, loss]`",
        cases=(LAYER,),
    ),
    Key(
        "function",
        "callable",
        "`module:attribute` of `f`, called as `f(**args)`; with `object:`, the name of its method (`forward`). "
        "A tuple returned is `(output, *rest)`: the output is differentiated, the rest goes to `backward`; "
        "not with `loss:`, whose object's methods stand for it and its derivative",
        cases=(FUNCTION,),
    ),
    Key(
        "object",
        "class",
        "`module:Class`: `function` and the derivative are methods of `Class(**init)`, made anew for every check "
        "(NumPy's global random state seeded to 0 while it is made and first called)",
        "none",
        cases=(FUNCTION,),
    ),
    Key(
        "init",
        "args",
        "with `object:`: keyword arguments of the constructor, as in `args`",
        "none",
        cases=(FUNCTION,),
    ),
    Key(
        "layers",
        "layers",
        "a network assembled from the project's layers, each `{object: module:Class, init: ..., call: ..., forward: "
        "forward, backward: backward, output: ..., gradient: ..., gradients: {W: dW}}` (its setup calls as in "
        "`call`, its methods, where a forward that stores its output leaves it, `output`, and a backward the "
        "gradient of its input, `dinputs`, and where backward leaves a parameter's gradient, `dW` for `W` by "
        "default); each forward feeds the next, the loss at "
        "the end is `function`, `loss, dscores = function(scores, **args)` with `gradient: returned`, or a `loss` "
        "object, and the layers' backward calls, chained in reverse from dscores, give the gradient of `input` or "
        "of `layers.N.PARAMETER`",
        "none",
        cases=(FUNCTION,),
    ),
    Key(
        "loss",
        "loss",
        "with `layers:`, in place of `function` and its derivative: a loss object ending the network, `{object: "
        "module:Class, init: ..., call: ..., forward: forward, backward: backward, takes: [...], gradient: dinputs, "
        "reduction: none}`, made as a layer is; `loss.forward(scores, **args)` gives its value, `reduction` how the "
        "training loop makes the objective of it (`none`: the value is the objective, a scalar; `mean` or `sum`: "
        "of the entries, one loss per sample), and backward is called with `takes` (`scores`, the last layer's "
        "output; `output`, what forward returned; names of `args`; `self.` paths on it), by default as forward is; "
        "what it returns, or with `gradient:` what it leaves at that path, is fed to the last layer's backward as "
        "it is, so it must be the gradient of the objective (for `mean`, with its 1/B)",
        "none",
        cases=(FUNCTION,),
    ),
    Key(
        "input",
        "identifier",
        "with `layers:`: the argument the first layer takes",
        "`x`",
        cases=(FUNCTION,),
    ),
    Key(
        "takes",
        "takes",
        "what the derivative is called with, in order, instead of its kind's arguments: `[]` for nothing "
        "(`loss.backward()`), `output` (what `function` gave), `cotangent` (vjp, backward), names of `args` and, "
        "with `object:`, paths on it (`[self.output, y_true]` for `loss.backward(loss.output, y_true)`)",
        "its kind's: `(**args)`, `(cotangent, **args)`, `(dout, *cache)`",
        cases=(FUNCTION,),
    ),
    Key(
        "outputs",
        "integer",
        "how many of the values `function` returns are its outputs (`next_h, next_c, cache`: 2), checked "
        "together; with `vjp:` or `backward:` only, which get one cotangent per output, in order, before the rest",
        "1",
        cases=(FUNCTION,),
        minimum=1,
        maximum=MAX_OUTPUTS,
    ),
    Key(
        "set",
        "args",
        "with `object:`: attributes set on the object after it is made, before its first call, values as in "
        "`args` (`{trainable: true, W: {shape: [3, 4], seed: 0}}`), for a layer whose weights are set after "
        "construction",
        "none",
        cases=(FUNCTION,),
    ),
    Key(
        "call",
        "calls",
        "with `object:` (or in an entry of `layers:`, or in `loss:`): setup methods called on the object after "
        "`init` and `set`, before its first call, in order, each a method's name or `{method: {keyword "
        "arguments}}`, values as in `args` (`[{initialize: {n_in: 3, n_out: 4}}]`), for a layer that builds its "
        "weights in a setup method; the project's own public methods only",
        "none",
        cases=(FUNCTION,),
    ),
    Key(
        "output",
        "path",
        "with `object:`: where the method `function` leaves its output, a path on the object (`output`) read "
        "after each call, for a layer that stores its result (`self.output = ...`) rather than returning it",
        "what `function` returns",
        cases=(FUNCTION,),
    ),
    Key(
        "jacobian",
        "callable",
        "`J(**args)`, shape `f.shape + x.shape`; `returned` if `f` returns `(value, J)`",
        cases=(FUNCTION,),
    ),
    Key(
        "gradient",
        "callable",
        "`g(**args)` for a scalar `f`, shape `x.shape`; `returned` if `f` returns `(value, g)`",
        cases=(FUNCTION,),
    ),
    Key(
        "vjp",
        "callable",
        "`vjp(cotangent, **args)` = `u·J`, shape `x.shape`, for a cotangent `u` of `f`'s shape",
        cases=(FUNCTION,),
    ),
    Key(
        "backward",
        "callable",
        "`backward(dout, *rest)`, called after `f` with the rest of what `f` returned (its cache): `u·J`",
        cases=(FUNCTION,),
    ),
    Key(
        "jvp",
        "callable",
        "`jvp(tangent, **args)` = `J·v`, shape `f.shape`, for a tangent `v` of `x`'s shape; may stand beside "
        "`vjp` or `backward`, which adds the item `case[dot]`: `<jvp(v), u> = <v, vjp(u)>`",
        cases=(FUNCTION,),
    ),
    Key(
        "hessian",
        "callable",
        "`H(**args)` for a scalar `f`, shape `x.shape + x.shape`; checked against central differences of "
        "`gradient`, which may stand beside it (the items `case[gradient]`, checked first, and `case[hessian]`), "
        "else against second differences of `f`",
        cases=(FUNCTION,),
    ),
    Key(
        "hvp",
        "callable",
        "`hvp(tangent, **args)` = `H·v` for a scalar `f`, shape `x.shape`, for a tangent `v` of `x`'s shape; "
        "checked as `hessian` is, `gradient` beside it or not",
        cases=(FUNCTION,),
    ),
    Key(
        "elementwise",
        "callable",
        "`d(**args)` = `f'(x)` of an elementwise `f`, shape `x.shape` (the Jacobian's diagonal); `returned` if "
        "`f` returns `(value, d)`",
        cases=(FUNCTION,),
    ),
    Key(
        "args",
        "args",
        "keyword arguments: a list of numbers (an array; integers stay integers) or of booleans (a bool array, "
        "a mask), an array spec with `shape:`, or a plain number, string, boolean, null, mapping (one that is not "
        "a spec: `{stride: 1, pad: 1}`) or list (of strings or mappings), passed as it is (as a dict or list); "
        "merged over the defaults' `args` key by key",
        cases=(FUNCTION,),
    ),
    Key(
        "wrt",
        "wrt",
        "what is differentiated: an array argument, or with `object:` a parameter on the object (`W`, "
        "`params.W1`), perturbed in place; a list gives one item per entry, `name[kind:W]`",
        "the only float array in `args`",
        cases=(FUNCTION,),
    ),
    Key(
        "gradients",
        "gradients",
        "where each gradient is read when the derivative gives several: `{W: dW, b: db}` (paths on the object "
        "after the call, `grads.W` a key; `returned.dW1` a key of what it returned), a position `{w: 1}` in the "
        "tuple it returns, or one path `grads` for every parameter by its name",
        "what it returns: a tuple in `wrt`'s order, a dict by name",
        cases=(FUNCTION,),
    ),
    Key(
        "vectorized",
        "boolean",
        "`true` if `f` broadcasts over leading axes: `f` of a stack `(P,) + x.shape` returns `(P,) + f.shape`, so "
        "perturbed points are evaluated in one call (checked on a stack of two copies; not for an object's "
        "parameters, nor for a `hessian:` or `hvp:`, whose differences call `f` one point at a time)",
        "`false`",
        cases=(FUNCTION,),
    ),
    Key(
        "order",
        "choice",
        "with `vectorized: true`: the memory order of each point of a stack; `F` is faster for an `f` that "
        "contracts the first axis, such as `x @ W`",
        "`C`",
        cases=(FUNCTION,),
        choices=ORDERS,
    ),
    Key(
        "workers",
        "integer",
        "with `vectorized: true`: threads that evaluate the stacks; `f` must be thread-safe, as NumPy code is "
        "(an object's methods are not taken to be)",
        "1",
        cases=(FUNCTION,),
        minimum=1,
        maximum=MAX_WORKERS,
    ),
    Key("rtol", "number", "relative tolerance", "by dtype", above=0),
    Key("atol", "number", "absolute tolerance", "by dtype", minimum=0),
    Key(
        "step",
        "number",
        "relative finite-difference step; entry `i` uses `step * max(1, abs(x_i))`",
        "by scheme and dtype",
        above=0,
    ),
    Key("dtype", "choice", "floating type of the arrays", "`float64`", choices=DTYPES),
    Key("marks", "marks", 'pytest marks: `[slow]`, `[xfail]`, or `[{xfail: "known bug in ..."}]`', "none"),
    Key("mode", "choice", "full Jacobian, seeded random projections, or chosen by size", "`auto`", choices=MODES),
    Key(
        "batch",
        "integer",
        "number of samples B: `x` is then (B, inputs), with one label per sample; a 2-D literal `x` implies it",
        "one sample",
        cases=(LAYER,),
        minimum=1,
    ),
    Key("reduction", "choice", "how a batch's per-sample losses combine", "`mean`", cases=(LAYER,), choices=REDUCTIONS),
    Key(
        "label_smoothing",
        "number",
        "`eps`: the targets become `(1 - eps) y + eps / K`",
        "0",
        cases=(LAYER,),
        minimum=0,
        below=1,
    ),
    Key("scheme", "choice", "the finite-difference scheme", "`central`", choices=SCHEMES),
    Key(
        "subgradient",
        "boolean",
        "`true` to accept, where `f` has a kink at `x` itself (ReLU or `abs` at 0), any analytic value between "
        "the one-sided derivatives; `false` fails there, saying `f` is not differentiable",
        "`false`",
    ),
    Key(
        "nondet_tol",
        "number",
        "how far `f`'s value at `x` may differ between two calls and `f` still count as one function "
        "(a sum whose order varies); beyond it a failing check fails as `nondeterministic`",
        "0",
        minimum=0,
    ),
)

#: The keys of an array spec.
SPEC_FORMAT: tuple[Key, ...] = (
    Key("shape", "shape", "the shape; a layer case implies it, a function's argument gives it", "implied"),
    Key("seed", "integer", "seed of `numpy.random.default_rng`; random arrays need one", minimum=0),
    Key("scale", "number", "normal entries, mean 0, this standard deviation (the default draw)", "1", above=0),
    Key("low", "number", "uniform entries on `[low, high)`, with `high`"),
    Key("high", "number", "uniform entries on `[low, high)`, with `low`"),
    Key("fill", "number", "every entry equal to this value"),
    Key("integers", "range", "random integers on `[low, high)`, e.g. `[0, 10]` for class labels; an integer array"),
    Key("offset", "number", "added to every entry", "0"),
    Key("zeros", "number", "that fraction of entries set to 0 (needs a `seed`)", "0", minimum=0, maximum=1),
)

#: The keys of a case file's top level.
TOP_FORMAT: tuple[Key, ...] = (
    Key("version", "version", "case file format version", "1"),
    Key(
        "defaults",
        "defaults",
        "merged under every case, case keys win; layer keys apply to layer cases, function keys (`function`, "
        "`args`, ...) to function cases",
        "none",
    ),
    Key("cases", "cases", "the cases: a layer case, or a function case (it, or the defaults, has `function:`)"),
)


def keys_of(case: str) -> tuple[str, ...]:
    """The keys a kind of case (LAYER or FUNCTION) has, in the declared order."""
    return tuple(k.name for k in CASE_FORMAT if case in k.cases)


def key(name: str, format: tuple[Key, ...] = CASE_FORMAT) -> Key:
    """The declaration of `name`."""
    return next(k for k in format if k.name == name)


TOP_KEYS = tuple(k.name for k in TOP_FORMAT)
LAYER_KEYS = keys_of(LAYER)
FUNCTION_KEYS = keys_of(FUNCTION)
#: Keys only a function case has: any of them marks a case as one.
FUNCTION_ONLY_KEYS = tuple(k.name for k in CASE_FORMAT if k.cases == (FUNCTION,))
SPEC_KEYS = tuple(k.name for k in SPEC_FORMAT)
#: The derivative a function case names: one of these keys.
KINDS = ("jacobian", "gradient", "vjp", "backward", "jvp", "elementwise", "hessian", "hvp")
#: The second-order derivatives: each may have a `gradient` beside it, which is then differenced.
SECOND_KINDS = ("hessian", "hvp")
#: The one pair of derivatives a case may give together: a jvp beside one of these.
JVP_PARTNERS = ("vjp", "backward")
#: The derivatives that a function may return itself, after its value (`gradient: returned`).
RETURNABLE = ("jacobian", "gradient", "elementwise")
