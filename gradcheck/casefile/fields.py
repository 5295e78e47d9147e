"""Reading typed fields of a case: values with their lines, errors at `path:line`, "did you mean"."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import CaseError, did_you_mean
from .format import NAME_PATTERN
from .yamlreader import YMap, show, show_key

#: A case's name: letters, digits, '_', '.' or '-'.
NAME_RE = re.compile(NAME_PATTERN)
#: Mark arguments a case file may not give: pytest would evaluate them as code or a class.
UNSAFE_MARK_KWARGS = {
    "condition": "pytest evaluates a condition as Python, and case files run nothing; "
    "drop it (a mark in a case file always applies)",
    "raises": "names an exception class, which a case file cannot hold; drop it",
}
#: The arguments pytest's own marks take from a case file, and their types: pytest would fail a
#: run with a traceback on another type, or on another argument.
MARK_ARGUMENTS: dict[str, dict[str, type]] = {
    "skip": {"reason": str},
    "skipif": {"reason": str},
    "xfail": {"reason": str, "run": bool, "strict": bool},
}
_TYPE_WORDS = {str: "a string (quote it)", bool: "true or false"}
#: The keys whose mappings merge over the defaults' key by key.
MERGED = ("args", "init", "set")
_NUMBER_AS_TEXT = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+")


@dataclass(frozen=True)
class Mark:
    """A pytest mark named in a case: `xfail`, or `{xfail: {reason: ...}}`."""

    name: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)


class FieldReader:
    """The fields of one case (its own over the defaults), each with its line, and the error
    that names `path:line: key: problem; expected`."""

    def __init__(self, values: dict[str, Any], lines: dict[str, int], path: str, line: int) -> None:
        self.values, self.lines, self.path, self.line = values, lines, path, line

    @classmethod
    def merged(
        cls, item: YMap, defaults: Mapping[str, Any], default_lines: Mapping[str, int], path: str
    ) -> FieldReader:
        """The case's fields over the defaults' (only those `defaults` holds). A key set to null is
        not given: it removes what the defaults give it. Mappings of keyword arguments (MERGED)
        merge key by key, where null also removes the defaults' entry."""
        values = {k: v for k, v in defaults.items() if v is not None}
        lines = {k: default_lines[k] for k in values}
        for key, value in item.items():
            if value is None:
                values.pop(key, None)
                lines.pop(key, None)
                continue
            default = values.get(key)
            if key in MERGED and isinstance(value, YMap) and isinstance(default, YMap):
                value = _merged_map(default, value)
            values[key], lines[key] = value, item.key_lines[key]
        return cls(values, lines, path, item.line)

    def error(self, key: str, message: str) -> CaseError:
        return CaseError(self.path, self.lines.get(key, self.line), f"{key}: {message}")

    def name(self) -> str:
        name = self.values.get("name")
        if name is None:
            raise self.error("name", "missing; give each case a name of letters, digits, '_', '.' or '-'")
        if not isinstance(name, str) or not NAME_RE.fullmatch(name):
            raise self.error("name", f"{show(name)} is not a valid name; use letters, digits, '_', '.' or '-'")
        return name

    def positive_int(self, key: str, expected: str) -> int:
        """The integer that `key` holds, which must be positive; `expected` says what it counts."""
        value = self.values[key]
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"{show(value)} is {kind(value)}; expected {expected}")
        if value <= 0:
            raise self.error(key, f"{show(value)} is not positive; expected {expected}")
        return value

    def bounded_int(self, key: str, default: int, most: int) -> int:
        """A positive integer of at most `most`, or `default` where the key is not given."""
        if key not in self.values:
            return default
        expected = f"an integer 1..{most}"
        value = self.positive_int(key, expected)
        if value > most:
            raise self.error(key, f"{value} is over {most}; expected {expected}")
        return value

    def positive(self, key: str, *, zero: bool = False) -> float | None:
        """A positive (or, with zero=True, non-negative) finite number, or None where not given."""
        if key not in self.values:
            return None
        value = self.values[key]
        sign = "non-negative" if zero else "positive"
        if not finite(value):
            what = kind(value) if isinstance(value, bool) or not isinstance(value, int | float) else "not finite"
            raise self.error(key, f"{show(value)} is {what}; expected a {sign} number")
        if value < 0 or (value == 0 and not zero):
            raise self.error(key, f"{show(value)} is not {sign}; expected e.g. 1.0e-6")
        return float(value)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value = self.values.get(key, default)
        if value not in choices:
            hint = did_you_mean(value, choices) if isinstance(value, str) else ""
            article = "an" if key[0] in "aeiou" else "a"
            raise self.error(key, f"{show(value)} is not {article} {key}{hint}; expected one of {', '.join(choices)}")
        return str(value)

    def dtype(self, dtypes: tuple[str, ...]) -> str:
        dtype = self.values.get("dtype", "float64")
        if dtype not in dtypes:
            raise self.error("dtype", f"{dtype!r} is not supported; expected one of {', '.join(dtypes)}")
        return str(dtype)

    def boolean(self, key: str, default: bool = False) -> bool:
        value = self.values.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"{show(value)} is {kind(value)}; expected true or false")
        return value

    def marks(self) -> tuple[Mark, ...]:
        value = self.values.get("marks", [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.error("marks", f"{show(value)} is {kind(value)}; expected a list such as [xfail, slow]")
        return tuple(self._mark(item) for item in value)

    def _mark(self, item: Any) -> Mark:
        if isinstance(item, str) and item.isidentifier():
            return Mark(item)
        if not (isinstance(item, YMap) and len(item) == 1):
            raise self.error("marks", f"{show(item)} is not a mark; expected a name or {{name: reason}}")
        ((name, arg),) = item.items()
        if not name.isidentifier():
            raise self.error("marks", f"{show(name)} is not a mark name; expected an identifier")
        if isinstance(arg, str):
            return Mark(name, {"reason": arg})
        if isinstance(arg, YMap) and all(isinstance(v, str | int | float | bool) for v in arg.values()):
            for unsafe, why in UNSAFE_MARK_KWARGS.items():
                if unsafe in arg:
                    raise self.error("marks", f"{name}: {unsafe}: {why}")
            self._mark_arguments(name, arg)
            return Mark(name, dict(arg))
        raise self.error("marks", f"{name}: expected a reason string or a mapping of plain values")

    def _mark_arguments(self, name: str, arg: YMap) -> None:
        """The arguments of one of pytest's own marks: those it takes, of the types it takes."""
        known = MARK_ARGUMENTS.get(name)
        if known is None:  # the project's own mark: its arguments are its own
            return
        for key, value in arg.items():
            if key not in known:
                expected = f"expected {', '.join(known)}{did_you_mean(key, known)}"
                raise self.error("marks", f"{name}: {show_key(key)} is not an argument of {name}; {expected}")
            if not isinstance(value, known[key]):
                expected = _TYPE_WORDS[known[key]]
                raise self.error("marks", f"{name}: {key}: {show(value)} is {kind(value)}; expected {expected}")


def _merged_map(default: YMap, own: YMap) -> YMap:
    """`own` over `default`, key by key; an entry of `own` set to null removes the default's."""
    out = YMap(own.line)
    for source in (default, own):
        for name, value in source.items():
            if value is None and source is own and name in default:
                del out[name], out.key_lines[name]
                continue
            out[name], out.key_lines[name] = value, source.key_lines[name]
    return out


def check_keys(mapping: YMap, allowed: Iterable[str], path: str, where: str) -> None:
    """Refuse a key of `mapping` that is not `allowed`, at its line, with the closest allowed one."""
    allowed = tuple(allowed)
    for key in mapping:
        if key not in allowed:
            raise CaseError(
                path,
                mapping.key_lines[key],
                f"{show_key(key)}: unknown key in {where}{did_you_mean(key, allowed)}; "
                f"expected one of {', '.join(allowed)}",
            )


def kind(value: Any) -> str:
    """What a value from the file is, as an error message says it: "a string", "an integer", ..."""
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


def finite(value: Any) -> bool:
    """A number, not a boolean, that is a finite float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer beyond the float range
        return False
