"""The case-file format, declared once: every key with its type, bounds, default and one line of help.

The parsers' key lists come from here, and so do the shipped JSON Schema and the README's key
tables (`python -m gradcheck generate`; a test fails when a shipped copy is stale). The parsers
keep their own, friendlier messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..options import DTYPES, MAX_WORKERS, MODES, ORDERS, REDUCTIONS, SCHEMES

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
    "args",  # keyword arguments: arrays, specs or plain values
    "identifier",  # the name of an argument
    "version",  # the constant 1
    "defaults",  # a mapping of case keys
    "cases",  # the list of cases
    "shape",  # a list of non-negative integers
)

#: Every key of a case, in the order error messages and the README list them.
CASE_FORMAT: tuple[Key, ...] = (
    Key("name", "name", "Unique in the file; letters, digits, _, . and -."),
    Key("description", "text", "Free text, ignored."),
    Key("inputs", "integer", "Number of inputs n: x is (n,), W is (n, classes).", cases=(LAYER,), minimum=1),
    Key("classes", "integer", "Number of classes K: W is (inputs, K).", cases=(LAYER,), minimum=1),
    Key("x", "array", "The input: a list of shape (inputs,) or an array spec.", cases=(LAYER,)),
    Key("weights", "array", "The weights W, shape (inputs, classes): a nested list or an array spec.", cases=(LAYER,)),
    Key("bias", "array", "Optional bias, shape (classes,): a list or an array spec.", "none", cases=(LAYER,)),
    Key(
        "label",
        "label",
        "A class index or a one-hot / soft distribution; for a batch one per sample, or {seed: N} for random classes.",
        cases=(LAYER,),
    ),
    Key(
        "checks",
        "checks",
        "Which checks to run: a list, or 'all' for every built-in check; default the five classic ones.",
        "softmax, layer, cross_entropy, chain, loss",
        cases=(LAYER,),
    ),
    Key(
        "function",
        "target",
        "The function f as module:attribute, called as f(**args); attribute may be dotted.",
        cases=(FUNCTION,),
    ),
    Key(
        "jacobian", "target", "Its Jacobian J(**args) as module:attribute, shape f.shape + x.shape.", cases=(FUNCTION,)
    ),
    Key(
        "gradient",
        "target",
        "The gradient g(**args) of a scalar f as module:attribute, shape x.shape.",
        cases=(FUNCTION,),
    ),
    Key(
        "vjp",
        "target",
        "The vector-Jacobian product vjp(cotangent, **args) as module:attribute, shape x.shape.",
        cases=(FUNCTION,),
    ),
    Key(
        "args",
        "args",
        "Keyword arguments of the function: a list or an array spec with shape: (an array), or a plain value.",
        cases=(FUNCTION,),
    ),
    Key(
        "wrt",
        "identifier",
        "The array argument differentiated; default: the only array in args.",
        "the only array",
        cases=(FUNCTION,),
    ),
    Key(
        "vectorized",
        "boolean",
        "true if the function broadcasts over leading axes (a stack of points in one call).",
        "false",
        cases=(FUNCTION,),
    ),
    Key(
        "order",
        "choice",
        "With vectorized: the memory order of each point of a stack (F is faster for f that contracts the first "
        "axis, such as x @ W); default C.",
        "C",
        cases=(FUNCTION,),
        choices=ORDERS,
    ),
    Key(
        "workers",
        "integer",
        "With vectorized: threads that evaluate the stacks (f must be thread-safe); default 1.",
        "1",
        cases=(FUNCTION,),
        minimum=1,
        maximum=MAX_WORKERS,
    ),
    Key("rtol", "number", "Relative tolerance (default by dtype).", "by dtype", above=0),
    Key("atol", "number", "Absolute tolerance (default by dtype).", "by dtype", minimum=0),
    Key("step", "number", "Relative finite-difference step; entry i uses step * max(1, |x_i|).", "eps^(1/3)", above=0),
    Key("dtype", "choice", "Floating type of the arrays.", "float64", choices=DTYPES),
    Key("marks", "marks", "pytest marks: [slow], [xfail] or [{xfail: reason}].", "none"),
    Key("mode", "choice", "Full Jacobian, seeded random projections, or chosen by size.", "auto", choices=MODES),
    Key(
        "batch",
        "integer",
        "Number of samples B: x is (B, inputs), with one label per sample.",
        "one sample",
        cases=(LAYER,),
        minimum=1,
    ),
    Key(
        "reduction",
        "choice",
        "How a batch's per-sample losses combine (default mean).",
        "mean",
        cases=(LAYER,),
        choices=REDUCTIONS,
    ),
    Key(
        "label_smoothing",
        "number",
        "Label smoothing eps: targets (1 - eps) y + eps / K.",
        "0",
        cases=(LAYER,),
        minimum=0,
        below=1,
    ),
    Key("scheme", "choice", "Finite-difference scheme (default central).", "central", choices=SCHEMES),
)

#: The keys of an array spec.
SPEC_FORMAT: tuple[Key, ...] = (
    Key("shape", "shape", "The shape; implied by inputs/classes when omitted.", "implied"),
    Key("seed", "integer", "Seed of numpy.random.default_rng.", minimum=0),
    Key("scale", "number", "Normal entries with mean 0 and this standard deviation.", "1", above=0),
    Key("low", "number", "Uniform entries on [low, high)."),
    Key("high", "number", "Uniform entries on [low, high)."),
    Key("fill", "number", "Every entry equal to this value."),
    Key("offset", "number", "Added to every entry.", "0"),
    Key("zeros", "number", "Fraction of entries set to 0 (needs a seed).", "0", minimum=0, maximum=1),
)

#: The keys of a case file's top level.
TOP_FORMAT: tuple[Key, ...] = (
    Key("version", "version", "Case file format version.", "1"),
    Key("defaults", "defaults", "Keys every case in the file takes unless it sets its own (not name).", "none"),
    Key("cases", "cases", "The list of cases."),
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
KINDS = ("jacobian", "gradient", "vjp")
