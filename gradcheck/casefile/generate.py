"""The shipped copies of the case format, made from its one declaration (format.py): the JSON Schema
and the README's key tables. `python -m gradcheck generate` writes them; a test checks they are current."""

from __future__ import annotations

import json
import re
from typing import Any

from .format import (
    CASE_FORMAT,
    FUNCTION,
    FUNCTION_ONLY_KEYS,
    KINDS,
    LAYER,
    NAME_PATTERN,
    SPEC_FORMAT,
    TARGET_PATTERN,
    TOP_FORMAT,
    Key,
    keys_of,
)

SCHEMA_FILE = "case.schema.json"
#: The README's generated tables sit between these lines: `<!-- generated: NAME -->` ... `<!-- end -->`.
TABLE_RE = re.compile(r"(<!-- generated: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- end -->)", re.S)

_NUMBERS = {"$ref": "#/definitions/numbers"}
_SPEC = {"$ref": "#/definitions/spec"}
_INDEX = {"type": "integer", "minimum": 0}


def _bounds(key: Key, schema: dict[str, Any]) -> dict[str, Any]:
    for name, value in (
        ("minimum", key.minimum),
        ("exclusiveMinimum", key.above),
        ("maximum", key.maximum),
        ("exclusiveMaximum", key.below),
    ):
        if value is not None:
            schema[name] = value
    return schema


def _plain(text: str) -> str:
    """Help text for a schema description: without the README's code marks, as a sentence."""
    text = text.replace("`", "")
    return text[:1].upper() + text[1:] + "."


def _of_type(key: Key) -> dict[str, Any]:
    """The schema of a key's value, by its declared type."""
    kinds: dict[str, Any] = {
        "name": {"type": "string", "pattern": f"^{NAME_PATTERN}$"},
        "text": {"type": "string"},
        "identifier": {"type": "string"},
        "boolean": {"type": "boolean"},
        "target": {"type": "string", "pattern": f"^{TARGET_PATTERN}$"},
        "version": {"const": 1},
        "array": {"anyOf": [_NUMBERS, _SPEC]},
        "shape": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        "label": {
            "anyOf": [
                _INDEX,
                _NUMBERS,
                {"type": "array", "items": {"anyOf": [_INDEX, _NUMBERS]}},
                {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["seed"],
                    "properties": {"seed": {"type": "integer", "minimum": 0}},
                },
            ]
        },
        "checks": {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "uniqueItems": True, "minItems": 1},
            ]
        },
        "marks": {
            "anyOf": [
                {"type": "string"},
                {
                    "type": "array",
                    "items": {
                        "anyOf": [
                            {"type": "string", "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                            {
                                "type": "object",
                                "minProperties": 1,
                                "maxProperties": 1,
                                "additionalProperties": {"anyOf": [{"type": "string"}, {"type": "object"}]},
                            },
                        ]
                    },
                },
            ]
        },
        "args": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {"anyOf": [_NUMBERS, _SPEC, {"type": ["number", "string", "boolean", "null"]}]},
        },
    }
    if key.type == "choice":
        return {"enum": list(key.choices)}
    if key.type in ("integer", "number"):
        return _bounds(key, {"type": key.type})
    return dict(kinds[key.type])


def _property(key: Key) -> dict[str, Any]:
    return {**_of_type(key), "description": _plain(key.help)}


def _properties(keys: tuple[Key, ...]) -> dict[str, Any]:
    return {key.name: _property(key) for key in keys}


def _required(*names: str) -> list[dict[str, list[str]]]:
    return [{"required": [name]} for name in names]


def _cases_items(schema: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {"cases": {"items": schema}}}


def _defaults_have(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": ["defaults"], "properties": {"defaults": schema}}


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 7) of a case file."""
    layer = tuple(k for k in CASE_FORMAT if LAYER in k.cases)
    function = tuple(k for k in CASE_FORMAT if FUNCTION in k.cases)
    top = {k.name: k for k in TOP_FORMAT}
    defaults = {k.name: _property(k) for k in CASE_FORMAT if k.name != "name"}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "gradcheck case file",
        "description": "Derivative checks for the gradcheck pytest plugin: optional defaults and a list of cases.",
        "type": "object",
        "additionalProperties": False,
        "required": ["cases"],
        "properties": {
            "version": _property(top["version"]),
            "defaults": {
                "type": "object",
                "additionalProperties": False,
                "description": _plain(top["defaults"].help),
                "properties": defaults,
            },
            "cases": {"type": "array", "minItems": 1, "description": _plain(top["cases"].help)},
        },
        "allOf": [
            {
                "description": "A case is a function case when it or the defaults name a function; else a layer case.",
                "if": _defaults_have({"required": ["function"]}),
                "then": _cases_items({"$ref": "#/definitions/functionCase"}),
                "else": _cases_items(
                    {
                        "if": {"$ref": "#/definitions/functionKey"},
                        "then": {"allOf": [{"$ref": "#/definitions/functionCase"}, {"required": ["function"]}]},
                        "else": {"$ref": "#/definitions/case"},
                    }
                ),
            },
            {
                "description": "A function case has one of jacobian, gradient or vjp, in it or in the defaults.",
                "if": _defaults_have({"anyOf": _required(*KINDS)}),
                "then": _cases_items({"$ref": "#/definitions/noKind"}),
                "else": {
                    "if": _defaults_have({"required": ["function"]}),
                    "then": _cases_items({"$ref": "#/definitions/oneKind"}),
                    "else": _cases_items(
                        {"if": {"$ref": "#/definitions/functionKey"}, "then": {"$ref": "#/definitions/oneKind"}}
                    ),
                },
            },
        ],
        "definitions": {
            "case": {
                "type": "object",
                "description": "A layer case: a softmax classifier layer and the checks to run on it.",
                "additionalProperties": False,
                "required": ["name"],
                "properties": _properties(layer),
            },
            "functionCase": {
                "type": "object",
                "description": "A function case: its function against its jacobian, gradient or vjp "
                "(each may come from defaults).",
                "additionalProperties": False,
                "required": ["name"],
                "properties": _properties(function),
            },
            "functionKey": {
                "description": "A case with a key only function cases have.",
                "anyOf": _required(*FUNCTION_ONLY_KEYS),
            },
            "oneKind": {"description": "Exactly one of jacobian, gradient or vjp.", "oneOf": _required(*KINDS)},
            "noKind": {
                "description": "None of jacobian, gradient or vjp (the defaults name it).",
                "not": {"anyOf": _required(*KINDS)},
            },
            "numbers": {"type": "array", "items": {"anyOf": [{"type": "number"}, _NUMBERS]}},
            "spec": {
                "type": "object",
                "description": "An array built from numpy.random.default_rng(seed): normal (scale; the default, so "
                "{seed: N} alone is standard normal), uniform (low and high) or constant (fill): at most one of them.",
                "additionalProperties": False,
                "properties": _properties(SPEC_FORMAT),
                "examples": [{"seed": 0, "scale": 1.0}, {"seed": 0, "low": -1, "high": 1}, {"fill": 0.5}, {"seed": 0}],
            },
        },
    }


def schema_text() -> str:
    """The schema as the shipped file holds it."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


# -- the README's tables ---------------------------------------------------------------------------


def _value(key: Key) -> str:
    """What a key takes, in a few words."""
    if key.type == "choice":
        shown = [f"`{c}`" for c in key.choices]
        return ", ".join(shown[:-1]) + " or " + shown[-1]
    if key.type in ("integer", "number"):
        parts = [key.type]
        low = f">= {key.minimum:g}" if key.minimum is not None else f"> {key.above:g}" if key.above is not None else ""
        high = f"<= {key.maximum:g}" if key.maximum is not None else f"< {key.below:g}" if key.below is not None else ""
        parts += [b for b in (low, high) if b]
        return ", ".join(parts)
    return {
        "name": "name",
        "text": "text",
        "identifier": "argument name",
        "boolean": "`true` or `false`",
        "target": "`module:attribute`",
        "array": "list or array spec",
        "shape": "list of integers",
        "label": "index, distribution or `{seed: N}`",
        "checks": "list of names, or `all`",
        "marks": "list of marks",
        "args": "mapping",
        "version": "`1`",
        "defaults": "mapping",
        "cases": "list",
    }[key.type]


def _table(keys: tuple[Key, ...]) -> str:
    rows = ["| key | takes | default | meaning |", "|---|---|---|---|"]
    for key in keys:
        rows.append(f"| `{key.name}` | {_value(key)} | {key.default or 'required'} | {key.help} |")
    return "\n".join(rows) + "\n"


def tables() -> dict[str, str]:
    """The README's generated tables by name."""
    function = tuple(k for k in CASE_FORMAT if k.cases == (FUNCTION,))
    shared = [f"`{name}`" for name in keys_of(FUNCTION) if name not in FUNCTION_ONLY_KEYS and name != "name"]
    name = next(k for k in CASE_FORMAT if k.name == "name")
    return {
        "layer-keys": _table(tuple(k for k in CASE_FORMAT if LAYER in k.cases)),
        "function-keys": _table((name, *function)) + f"| {', '.join(shared)} | | | as in layer cases |\n",
        "spec-keys": _table(SPEC_FORMAT),
        "top-keys": _table(TOP_FORMAT),
    }


def readme_with_tables(readme: str) -> str:
    """The README text with every generated table made anew (an unknown table name is an error)."""
    made = tables()

    def fill(match: re.Match[str]) -> str:
        name = match["name"]
        if name not in made:
            raise ValueError(f"README: no generated table named {name!r}; expected one of {', '.join(made)}")
        return match.group(1) + "\n" + made[name] + "\n" + match.group(4)

    return TABLE_RE.sub(fill, readme)
