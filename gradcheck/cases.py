"""Case files: YAML into validated, frozen Cases; array specs; errors that name file:line."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from . import yamlsafe
from .yamlsafe import YBroken, YList, YMap

if TYPE_CHECKING:
    from .usercases import UserCase

#: Arrays larger than this many elements are refused before they are allocated.
MAX_ELEMENTS = 10_000_000
#: Tolerance for a soft label's sum.
LABEL_SUM_TOL = 1e-6
DTYPES = ("float64", "float32")
MODES = ("auto", "full", "directional")
SCHEMES = ("central", "central4", "complex", "richardson")
REDUCTIONS = ("mean", "sum")
NAME_RE = re.compile(r"[A-Za-z0-9_.-]+")

TOP_KEYS = ("version", "defaults", "cases")
CASE_KEYS = (
    "name",
    "description",
    "inputs",
    "classes",
    "x",
    "weights",
    "bias",
    "label",
    "checks",
    "rtol",
    "atol",
    "step",
    "dtype",
    "marks",
    "mode",
    "batch",
    "reduction",
    "label_smoothing",
    "scheme",
)
#: Keys only a user-function case has (gradcheck.usercases); it shares name, rtol, atol, ... with these.
USER_ONLY_KEYS = ("function", "jacobian", "gradient", "vjp", "args", "wrt", "vectorized", "order", "workers")
SPEC_KEYS = ("shape", "seed", "scale", "low", "high", "fill", "offset", "zeros")
#: Mark arguments a case file may not give: pytest would evaluate them as code or a class.
UNSAFE_MARK_KWARGS = {
    "condition": "pytest evaluates a condition as Python, and case files run nothing; "
    "drop it (a mark in a case file always applies)",
    "raises": "names an exception class, which a case file cannot hold; drop it",
}


class CaseError(Exception):
    """A problem in a case file: `path:line: field: what is wrong; what is expected`."""

    def __init__(self, path: str, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path, self.line, self.message = path, line, message


@dataclass(frozen=True)
class Mark:
    """A pytest mark named in a case: `xfail`, or `{xfail: {reason: ...}}`."""

    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class Case:
    """One validated case; arrays are built, every field remembers its line."""

    name: str
    path: str
    line: int
    inputs: int
    classes: int
    x: NDArray[np.floating]
    weights: NDArray[np.floating]
    bias: NDArray[np.floating] | None
    label: NDArray[np.floating]  # a distribution over the classes
    checks: tuple[str, ...] | None  # None: every built-in check
    rtol: float | None
    atol: float | None
    step: float | None
    dtype: str
    marks: tuple[Mark, ...]
    lines: Mapping[str, int]
    mode: str = "auto"  # full Jacobian, random projections, or by size
    scheme: str = "central"  # the finite-difference stencil
    reduction: str = "mean"  # how a batch's per-sample losses combine
    label_smoothing: float = 0.0

    @property
    def batched(self) -> bool:
        """Whether x is a batch (B, n) rather than one sample (n,)."""
        return self.x.ndim == 2

    def line_of(self, key: str) -> int:
        """The line of field `key`, or of the case itself."""
        return self.lines.get(key, self.line)


@dataclass(frozen=True)
class Entry:
    """One case of a file as loaded: the Case, or the error that stopped it."""

    name: str
    line: int
    case: Case | None
    error: CaseError | None
    user: UserCase | None = None  # a user-function case: then case and error are None


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a case file from exhausting memory."""

    max_elements: int = MAX_ELEMENTS


def load(
    path: Path, display: str | None = None, *, limits: Limits = Limits(), checks: Iterable[str] = ()
) -> list[Entry]:
    """Read and validate a case file. A file-wide problem raises CaseError; a bad case is an
    Entry with its error, so the other cases still run. `checks` are the known check names."""
    shown = display or str(path)
    try:
        doc, line = yamlsafe.parse_with_line(yamlsafe.read(path))
    except yamlsafe.YamlError as exc:
        raise CaseError(shown, exc.line, exc.message) from None
    return parse_document(doc, shown, limits=limits, checks=tuple(checks), doc_line=line)


def parse_document(doc: Any, path: str, *, limits: Limits, checks: tuple[str, ...], doc_line: int = 1) -> list[Entry]:
    """Validate a parsed document (see yamlsafe.parse) into Entries; `doc_line` is where it starts."""
    from . import usercases  # imported here: usercases builds on this module

    if doc is None:
        raise CaseError(path, 1, "file is empty; expected a mapping with a 'cases:' list")
    if not isinstance(doc, YMap):
        raise CaseError(
            path, _line(doc, doc_line), f"top level is {_kind(doc)}; expected a mapping with a 'cases:' list"
        )
    _check_keys(doc, TOP_KEYS, path, "top level")
    if "version" in doc and (doc["version"] != 1 or not isinstance(doc["version"], int) or doc["version"] is True):
        raise CaseError(
            path, doc.key_lines["version"], f"version: {_show(doc['version'])} is not supported; expected 1"
        )
    defaults = doc.get("defaults", YMap())
    if not isinstance(defaults, YMap):
        raise CaseError(
            path, doc.key_lines["defaults"], f"defaults: is {_kind(defaults)}; expected a mapping of case fields"
        )
    if "name" in defaults:
        raise CaseError(path, defaults.key_lines["name"], "defaults: name cannot have a default; name each case")
    usercases.check_defaults_keys(defaults, path)  # layer keys, and those of user-function cases
    if "cases" not in doc:
        raise CaseError(path, doc.line, "cases: missing; expected 'cases:' with a list of cases")
    raw = doc["cases"]
    if not isinstance(raw, YList):
        raise CaseError(path, doc.key_lines["cases"], f"cases: is {_kind(raw)}; expected a list of cases")
    if not raw:
        raise CaseError(path, doc.key_lines["cases"], "cases: the list is empty; add at least one case")
    entries: list[Entry] = []
    first_line: dict[str, int] = {}
    for number, (item, line) in enumerate(zip(raw, raw.item_lines, strict=True), start=1):
        name = item.get("name") if isinstance(item, YMap) else item.name if isinstance(item, YBroken) else None
        label = name if isinstance(name, str) and NAME_RE.fullmatch(name) else f"case-{number}"
        try:
            if label in first_line:
                raise CaseError(
                    path,
                    line,
                    f"name: {label!r} is used twice (first at line {first_line[label]}); names are unique in a file",
                )
            first_line[label] = line
            if isinstance(item, YBroken):
                raise CaseError(path, item.line, item.message)
            user = usercases.parse_if_user(item, defaults, path, line, limits)
            if user is not None:
                entries.append(Entry(user.name, line, None, None, user))
                continue
            case = _CaseParser(item, usercases.layer_defaults(defaults), path, line, limits, checks).parse()
            entries.append(Entry(case.name, line, case, None))
        except CaseError as exc:
            entries.append(Entry(_unique(label, first_line, line), line, None, exc))
    return entries


def _unique(label: str, seen: dict[str, int], line: int) -> str:
    """An item name for an erroneous case that does not collide with the others."""
    return label if seen.get(label) == line else f"{label}@{line}"


class _CaseParser:
    def __init__(
        self, item: Any, defaults: YMap, path: str, line: int, limits: Limits, checks: tuple[str, ...]
    ) -> None:
        self.path, self.line, self.limits, self.known_checks = path, line, limits, checks
        if not isinstance(item, YMap):
            raise CaseError(path, line, f"case is {_kind(item)}; expected a mapping with name, inputs, classes, ...")
        _check_keys(item, CASE_KEYS, path, "case")
        self.values: dict[str, Any] = {**defaults, **item}
        self.lines: dict[str, int] = {**defaults.key_lines, **item.key_lines}

    def error(self, key: str, message: str) -> CaseError:
        return CaseError(self.path, self.lines.get(key, self.line), f"{key}: {message}")

    def parse(self) -> Case:
        name = self.values.get("name")
        if name is None:
            raise self.error("name", "missing; give each case a name of letters, digits, '_', '.' or '-'")
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise self.error("name", f"{name!r} is not a valid name; use letters, digits, '_', '.' or '-'")
        dtype = self.values.get("dtype", "float64")
        if dtype not in DTYPES:
            raise self.error("dtype", f"{dtype!r} is not supported; expected one of {', '.join(DTYPES)}")
        inputs, classes = self._sizes()
        batch = self._batch(inputs)
        x = self.array("x", (inputs,) if batch is None else (batch, inputs), dtype)
        weights = self.array("weights", (inputs, classes), dtype)
        bias = self.array("bias", (classes,), dtype) if "bias" in self.values else None
        return Case(
            name=name,
            path=self.path,
            line=self.line,
            inputs=inputs,
            classes=classes,
            x=x,
            weights=weights,
            bias=bias,
            label=self._label(classes, dtype) if batch is None else self._labels(batch, classes, dtype),
            checks=self._checks(),
            rtol=self._positive("rtol"),
            atol=self._positive("atol", zero=True),
            step=self._positive("step"),
            dtype=dtype,
            marks=self._marks(),
            lines=dict(self.lines),
            mode=self._choice("mode", MODES, "auto"),
            scheme=self._choice("scheme", SCHEMES, "central"),
            reduction=self._choice("reduction", REDUCTIONS, "mean"),
            label_smoothing=self._smoothing(),
        )

    # -- sizes and arrays -------------------------------------------------------------

    def _sizes(self) -> tuple[int, int]:
        sizes = []
        for key, _hint in (("inputs", "x"), ("classes", "weights")):
            if key not in self.values:
                raise self.error(key, f"missing; give the number of {key} as a positive integer")
            sizes.append(self._positive_int(key, "a positive integer"))
        inputs, classes = sizes
        if inputs * classes > self.limits.max_elements:
            raise self.error(
                "inputs",
                f"inputs={_show(inputs)}, classes={_show(classes)} needs {_show(inputs * classes)} weights, "
                f"over the limit of {self.limits.max_elements} (gradcheck_max_elements)",
            )
        return inputs, classes

    def _positive_int(self, key: str, expected: str) -> int:
        """The integer that `key` holds, which must be positive; `expected` says what it counts."""
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"{_show(value)} is {_kind(value)}; expected {expected}")
        if value <= 0:
            raise self.error(key, f"{_show(value)} is not positive; expected {expected}")
        return value

    def array(self, key: str, shape: tuple[int, ...], dtype: str) -> NDArray[np.floating]:
        if key not in self.values:
            raise self.error(
                key, f"missing; give a list of shape {shape} or an array spec such as {{seed: 0, scale: 1}}"
            )
        spec = self.values[key]
        if isinstance(spec, YList):
            arr = self._literal(key, spec)
            if arr.shape != shape:
                raise self.error(key, f"has shape {arr.shape}; {self._shape_reason(key)} needs {shape}")
        elif isinstance(spec, YMap):
            arr = self._generated(key, spec, shape)
        else:
            raise self.error(key, f"{_show(spec)} is {_kind(spec)}; expected a list of shape {shape} or an array spec")
        return self._cast(key, arr, dtype)

    def _cast(self, key: str, arr: NDArray[np.float64], dtype: str) -> NDArray[np.floating]:
        with np.errstate(over="ignore"):
            out = arr.astype(dtype)
        if not np.all(np.isfinite(out)):
            limit = float(np.finfo(dtype).max)
            raise self.error(key, f"has entries beyond the {dtype} range; expected magnitudes below {limit:.3g}")
        return out

    def _shape_reason(self, key: str) -> str:
        x_reason = "batch={batch}, inputs={inputs}" if "batch" in self.values else "inputs={inputs}"
        sizes = {"x": x_reason, "weights": "inputs={inputs}, classes={classes}", "bias": "classes={classes}"}
        return sizes.get(key, "the case").format(**self.values)

    def _batch(self, inputs: int) -> int | None:
        """B for a batch x (B, n): the `batch` key, or the length of a 2-D literal x; else None."""
        if "batch" not in self.values:
            x = self.values.get("x")
            if isinstance(x, YList) and x and isinstance(x[0], list):
                self.values["batch"] = len(x)  # a literal batch: its shape is checked against this
                self.lines.setdefault("batch", self.lines.get("x", self.line))
                return len(x)
            return None
        value = self._positive_int("batch", "a positive number of samples")
        if value * inputs > self.limits.max_elements:
            raise self.error(
                "batch",
                f"batch={_show(value)}, inputs={_show(inputs)} needs {_show(value * inputs)} inputs, "
                f"over the limit of {self.limits.max_elements} (gradcheck_max_elements)",
            )
        return value

    def _labels(self, batch: int, classes: int, dtype: str) -> NDArray[np.floating]:
        """One label per sample (B, K): a list of B indices or distributions, random indices
        {seed: N}, or one index or distribution shared by every sample."""
        value = self.values.get("label")
        if isinstance(value, YMap):
            _check_keys(value, ("seed",), self.path, "label")
            seed = value.get("seed")
            if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
                raise self.error(
                    "label", f"seed {_show(seed)} is not a non-negative integer; expected e.g. {{seed: 0}}"
                )
            indices = np.random.default_rng(seed).integers(classes, size=batch)
            return np.eye(classes, dtype=dtype)[indices]
        per_sample = isinstance(value, YList) and all(
            isinstance(v, list) or (isinstance(v, int) and not isinstance(v, bool)) for v in value
        )
        if not per_sample:
            shared = self._label(classes, dtype)
            return np.broadcast_to(shared, (batch, classes)).copy()
        assert isinstance(value, YList)
        if len(value) != batch:
            raise self.error("label", f"has {len(value)} labels; batch={batch} needs one per sample")
        return np.stack([self._one_label(v, classes, dtype, f"sample {i}: ") for i, v in enumerate(value)])

    def _smoothing(self) -> float:
        value = self.values.get("label_smoothing", 0.0)
        if isinstance(value, bool) or not isinstance(value, int | float) or not _finite(value):
            raise self.error("label_smoothing", f"{_show(value)} is {_kind(value)}; expected a number in [0, 1)")
        if not 0.0 <= value < 1.0:
            raise self.error("label_smoothing", f"{_show(value)} is outside [0, 1); expected e.g. 0.1")
        return float(value)

    def _literal(self, key: str, spec: YList) -> NDArray[np.float64]:
        shape: list[int] = []
        level: Any = spec
        while isinstance(level, list):
            shape.append(len(level))
            level = level[0] if level else None
        if math.prod(shape) > self.limits.max_elements:
            raise self.error(key, f"has {math.prod(shape)} entries, over the limit of {self.limits.max_elements}")
        flat: list[float] = []
        self._flatten(key, spec, tuple(shape), flat)
        arr = np.array(flat, dtype=np.float64).reshape(shape)
        return arr

    def _flatten(self, key: str, node: Any, shape: tuple[int, ...], out: list[float]) -> None:
        if not shape:
            if isinstance(node, bool) or not isinstance(node, int | float):
                raise self.error(key, f"entry {_show(node)} is {_kind(node)}; expected a number")
            if not _finite(node):
                raise self.error(key, f"entry {_show(node)} is not finite; expected a finite number")
            out.append(float(node))
            return
        if not isinstance(node, list) or len(node) != shape[0]:
            got = f"a list of {len(node)}" if isinstance(node, list) else _kind(node)
            raise self.error(
                key, f"is a ragged list: {got} where a list of {shape[0]} belongs; give a rectangular array"
            )
        for item in node:
            self._flatten(key, item, shape[1:], out)

    def _generated(self, key: str, spec: YMap, shape: tuple[int, ...]) -> NDArray[np.float64]:
        _check_keys(spec, SPEC_KEYS, self.path, key)
        given = spec.get("shape")
        if given is not None:
            if not isinstance(given, list) or not all(isinstance(d, int) and not isinstance(d, bool) for d in given):
                raise self.error(key, f"shape {_show(given)} is not a list of integers; expected {list(shape)}")
            if tuple(given) != shape:
                raise self.error(
                    key, f"shape {_show(list(given))} contradicts {self._shape_reason(key)}, which needs {list(shape)}"
                )
        numbers = {k: spec[k] for k in ("seed", "scale", "low", "high", "fill", "offset", "zeros") if k in spec}
        for k, v in numbers.items():
            if not _finite(v):
                raise self.error(key, f"{k} {_show(v)} is not a finite number; expected a number")
        kinds = [k for k in ("fill", "scale", "low") if k in numbers]
        if "high" in numbers and "low" not in numbers or "low" in numbers and "high" not in numbers:
            raise self.error(key, "low and high go together; give both, e.g. {seed: 0, low: -1, high: 1}")
        if len(kinds) != 1:
            raise self.error(key, "give exactly one of fill, scale or low/high, e.g. {seed: 0, scale: 1}")
        if kinds != ["fill"] or "zeros" in numbers or "seed" in numbers:
            seed = numbers.get("seed")
            if not isinstance(seed, int) or seed < 0:
                raise self.error(
                    key, f"seed {_show(seed)} is not a non-negative integer; random arrays need one, e.g. seed: 0"
                )
        rng = np.random.default_rng(int(numbers.get("seed", 0)))
        if "fill" in numbers:
            arr = np.full(shape, float(numbers["fill"]))
        elif "scale" in numbers:
            if numbers["scale"] <= 0:
                raise self.error(
                    key, f"scale {numbers['scale']} is not positive; expected a positive standard deviation"
                )
            with np.errstate(over="ignore"):  # too large a scale is refused below, as not finite
                arr = rng.standard_normal(shape) * float(numbers["scale"])
        else:
            low, high = float(numbers["low"]), float(numbers["high"])
            if not low < high:
                raise self.error(key, f"low {low:g} is not below high {high:g}; expected low < high")
            if not math.isfinite(high - low):
                raise self.error(key, f"low {low:g} to high {high:g} is wider than the float range; narrow it")
            arr = rng.uniform(low, high, shape)
        with np.errstate(over="ignore"):
            arr = arr + float(numbers.get("offset", 0.0))
        if "zeros" in numbers:
            if not 0 <= numbers["zeros"] <= 1:
                raise self.error(key, f"zeros {numbers['zeros']} is not a fraction; expected 0 <= zeros <= 1")
            arr[rng.random(shape) < numbers["zeros"]] = 0.0
        if not np.all(np.isfinite(arr)):
            raise self.error(key, "the spec produces values that are not finite; use a smaller scale or offset")
        return arr

    # -- label, checks, tolerances, marks ---------------------------------------------

    def _label(self, classes: int, dtype: str) -> NDArray[np.floating]:
        if "label" not in self.values:
            raise self.error(
                "label", f"missing; give a class index 0..{classes - 1} or a distribution over {classes} classes"
            )
        return self._one_label(self.values["label"], classes, dtype)

    def _one_label(self, value: Any, classes: int, dtype: str, sample: str = "") -> NDArray[np.floating]:
        """One sample's label, a class index or a distribution, as a distribution."""
        if isinstance(value, int) and not isinstance(value, bool):
            if not 0 <= value < classes:
                raise self.error(
                    "label", f"{sample}class index {_show(value)} is out of range; expected 0..{classes - 1}"
                )
            dist = np.zeros(classes)
            dist[value] = 1.0
            return dist.astype(dtype)
        if isinstance(value, YList):
            dist = self._literal("label", value)
            if dist.shape != (classes,):
                raise self.error(
                    "label",
                    f"{sample}has shape {dist.shape}; classes={classes} needs a distribution of shape ({classes},)",
                )
            if np.any(dist < 0):
                raise self.error(
                    "label", f"{sample}has a negative probability {dist.min():g}; a distribution is non-negative"
                )
            with np.errstate(over="ignore"):
                total = float(dist.sum())
            if not abs(total - 1.0) <= LABEL_SUM_TOL:
                raise self.error("label", f"{sample}sums to {total:.9g}; a one-hot or soft label sums to 1")
            return self._cast("label", dist, dtype)
        raise self.error(
            "label",
            f"{sample}{_show(value)} is {_kind(value)}; expected a class index or a list of {classes} probabilities",
        )

    def _checks(self) -> tuple[str, ...] | None:
        if "checks" not in self.values:
            return None
        value = self.values["checks"]
        if value == "all":
            return ("all",)  # every built-in check
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(c, str) for c in value):
            raise self.error("checks", f"{_show(value)} is not a list of check names; expected e.g. [softmax, loss]")
        for name in value:
            if self.known_checks and name not in self.known_checks:
                hint = did_you_mean(name, self.known_checks)
                known = ", ".join(self.known_checks)
                raise self.error("checks", f"{_show(name)} is not a known check{hint}; expected one of {known}")
        if len(set(value)) != len(value):
            raise self.error("checks", "names a check twice; list each once")
        return tuple(value)

    def _choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.values.get(key, default)
        if value not in choices:
            hint = did_you_mean(value, choices) if isinstance(value, str) else ""
            article = "an" if key[0] in "aeiou" else "a"
            raise self.error(key, f"{_show(value)} is not {article} {key}{hint}; expected one of {', '.join(choices)}")
        return str(value)

    def _positive(self, key: str, *, zero: bool = False) -> float | None:
        if key not in self.values:
            return None
        value = self.values[key]
        if not _finite(value):
            what = _kind(value) if isinstance(value, bool) or not isinstance(value, int | float) else "not finite"
            raise self.error(
                key, f"{_show(value)} is {what}; expected a {'non-negative' if zero else 'positive'} number"
            )
        if value < 0 or (value == 0 and not zero):
            raise self.error(
                key, f"{_show(value)} is not {'non-negative' if zero else 'positive'}; expected e.g. 1.0e-6"
            )
        return float(value)

    def _marks(self) -> tuple[Mark, ...]:
        value = self.values.get("marks", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.error("marks", f"{_show(value)} is {_kind(value)}; expected a list such as [xfail, slow]")
        marks = []
        for item in value:
            if isinstance(item, str) and item.isidentifier():
                marks.append(Mark(item))
            elif isinstance(item, YMap) and len(item) == 1:
                ((name, arg),) = item.items()
                if not name.isidentifier():
                    raise self.error("marks", f"{_show(name)} is not a mark name; expected an identifier")
                if isinstance(arg, str):
                    marks.append(Mark(name, {"reason": arg}))
                elif isinstance(arg, YMap) and all(isinstance(v, str | int | float | bool) for v in arg.values()):
                    for unsafe, why in UNSAFE_MARK_KWARGS.items():
                        if unsafe in arg:
                            raise self.error("marks", f"{name}: {unsafe}: {why}")
                    marks.append(Mark(name, dict(arg)))
                else:
                    raise self.error("marks", f"{name}: expected a reason string or a mapping of plain values")
            else:
                raise self.error("marks", f"{_show(item)} is not a mark; expected a name or {{name: reason}}")
        return tuple(marks)


def _check_keys(mapping: YMap, allowed: tuple[str, ...], path: str, where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise CaseError(
                path,
                mapping.key_lines[key],
                f"{_show_key(key)}: unknown key in {where}{did_you_mean(key, allowed)}; "
                f"expected one of {', '.join(allowed)}",
            )


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _kind(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        if _NUMBER_AS_TEXT.fullmatch(value.strip()):  # YAML 1.1 reads 1e-6 and 1.0e6 as text
            return "a string (YAML reads a number with an exponent only with a dot and a sign: 1.0e-6, 1.0e+6)"
        return "a string"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


_NUMBER_AS_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


def _finite(value: Any) -> bool:
    """A number, not a boolean, that is a finite float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond the float range
        return False


def _show(value: Any) -> str:
    """A value from the file as an error message shows it: repr, bounded in length."""
    return yamlsafe.show(value)


def _show_key(key: str) -> str:
    return yamlsafe.show_key(key)


def _line(value: Any, default: int) -> int:
    return int(getattr(value, "line", default))
