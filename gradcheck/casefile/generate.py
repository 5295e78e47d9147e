"""The shipped copies of the case format, made from its one declaration (format.py): the JSON Schema
and the README's key tables. `python -m gradcheck generate` writes them; a test checks they are current."""

from __future__ import annotations

import json
import re
from typing import Any

from .format import (
    CALLABLE_PATTERN,
    CASE_FORMAT,
    FUNCTION,
    FUNCTION_ONLY_KEYS,
    JVP_PARTNERS,
    KINDS,
    LAYER,
    LOSS_REDUCTIONS,
    NAME_PATTERN,
    PATH_PATTERN,
    PUBLIC_PATTERN,
    SECOND_KINDS,
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
_PATH = {"type": "string", "pattern": f"^{PATH_PATTERN}$"}
#: What wrt names: an argument, a path on the object, or a module's (or a script's) global.
_WRT = {"type": "string", "pattern": f"^({PATH_PATTERN}|{TARGET_PATTERN})$"}
#: A function case's derivative: one kind (or a pair), or a loss object ending a network.
_KIND_OR_LOSS = {
    "anyOf": [
        {"allOf": [{"$ref": "#/definitions/oneKind"}, {"not": {"required": ["loss"]}}]},
        {"$ref": "#/definitions/lossEnd"},
    ]
}


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
        "class": {"type": "string", "pattern": f"^{TARGET_PATTERN}$"},
        "callable": {"type": "string", "pattern": f"^({CALLABLE_PATTERN})$"},
        "wrt": {
            "anyOf": [
                _WRT,
                {"type": "array", "items": _WRT, "minItems": 1, "uniqueItems": True},
            ]
        },
        "gradients": {
            "anyOf": [
                _PATH,
                {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {"anyOf": [_PATH, {"type": "integer", "minimum": 0}]},
                },
            ]
        },
        "path": _PATH,
        "layers": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["object"]}},
        "calls": {
            "type": "array",
            "items": {
                "anyOf": [
                    {"type": "string", "pattern": f"^{PUBLIC_PATTERN}$"},
                    {
                        "type": "object",
                        "minProperties": 1,
                        "maxProperties": 1,
                        "additionalProperties": {"type": ["object", "null"]},
                    },
                ]
            },
        },
        "takes": {"type": "array", "items": {"type": "string", "pattern": f"^(self\\.)?{PATH_PATTERN}$"}},
        "range": {"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2},
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
            # an array (numbers, or booleans: a mask), a spec, or a plain value, mapping or list passed as it is
            "additionalProperties": {
                "anyOf": [_NUMBERS, _SPEC, {"type": ["number", "string", "boolean", "null", "object", "array"]}]
            },
        },
    }
    kinds["loss"] = {
        "type": "object",
        "required": ["object"],
        "additionalProperties": False,
        "properties": {
            "object": kinds["class"],
            "init": kinds["args"],
            "call": kinds["calls"],
            "forward": {"type": "string", "pattern": f"^{PUBLIC_PATTERN}$"},
            "backward": {"type": "string", "pattern": f"^{PUBLIC_PATTERN}$"},
            "takes": kinds["takes"],
            "gradient": _PATH,
            "reduction": {"enum": list(LOSS_REDUCTIONS)},
        },
    }
    if key.type == "choice":
        return {"enum": list(key.choices)}
    if key.type in ("integer", "number"):
        return _bounds(key, {"type": key.type})
    return dict(kinds[key.type])


def _property(key: Key) -> dict[str, Any]:
    return {**_of_type(key), "description": _plain(key.help)}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """A case key's schema that also takes null: in a case, null removes what the defaults give."""
    out = dict(schema)
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    elif isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    elif "anyOf" in out:
        out["anyOf"] = [*out["anyOf"], {"type": "null"}]
    else:
        raise ValueError(f"no null form for {schema}")
    return out


def _case_properties(keys: tuple[Key, ...]) -> dict[str, Any]:
    """The properties of a case: each but `name` may be null."""
    return {key.name: _property(key) if key.name == "name" else _nullable(_property(key)) for key in keys}


def _properties(keys: tuple[Key, ...]) -> dict[str, Any]:
    return {key.name: _property(key) for key in keys}


def _required(*names: str) -> list[dict[str, Any]]:
    """For each name: the key is given, and not null (which removes it)."""
    return [{"required": [name], "properties": {name: {"not": {"type": "null"}}}} for name in names]


def _pairing(kind: str) -> list[dict[str, Any]]:
    """Beside the defaults' `kind`, a case may give only the derivative it pairs with (a jvp, or a
    vjp or backward beside the defaults' jvp; a gradient beside a hessian or hvp, and the other way round)."""
    partners = JVP_PARTNERS if kind == "jvp" else ("jvp",) if kind in JVP_PARTNERS else ()
    partners = SECOND_KINDS if kind == "gradient" else ("gradient",) if kind in SECOND_KINDS else partners
    return [
        {"allOf": [_required(p)[0], {"not": {"anyOf": _required(*(k for k in KINDS if k != p))}}]} for p in partners
    ]


def _nulled(name: str) -> dict[str, Any]:
    return {"required": [name], "properties": {name: {"type": "null"}}}


def _cases_items(schema: dict[str, Any]) -> dict[str, Any]:
    return {"properties": {"cases": {"items": schema}}}


def _defaults_have(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": ["defaults"], "properties": {"defaults": schema}}


def _listed(names: tuple[str, ...]) -> str:
    return ", ".join(names[:-1]) + " or " + names[-1]


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 7) of a case file."""
    layer = tuple(k for k in CASE_FORMAT if LAYER in k.cases)
    function = tuple(k for k in CASE_FORMAT if FUNCTION in k.cases)
    top = {k.name: k for k in TOP_FORMAT}
    defaults = {k.name: _nullable(_property(k)) for k in CASE_FORMAT if k.name != "name"}
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
                "description": "A case is a function case when it or the defaults name a function or an object; "
                "else a layer case.",
                "if": _defaults_have({"anyOf": _required("function", "object")}),
                "then": _cases_items({"$ref": "#/definitions/functionCase"}),
                "else": _cases_items(
                    {
                        "if": {"$ref": "#/definitions/functionKey"},
                        "then": {
                            "allOf": [
                                {"$ref": "#/definitions/functionCase"},
                                {"if": {"not": {"required": ["loss"]}}, "then": {"required": ["function"]}},
                            ]
                        },
                        "else": {"$ref": "#/definitions/case"},
                    }
                ),
            },
            {
                "description": f"A function case has one of {_listed(KINDS)}, in it or in the defaults; a case "
                "may give the defaults' one anew, or set it to null and name another.",
                "if": _defaults_have({"anyOf": _required(*KINDS)}),
                "then": {
                    "allOf": [
                        {
                            "if": _defaults_have(_required(kind)[0]),
                            "then": _cases_items(
                                {
                                    "anyOf": [
                                        {"$ref": "#/definitions/noKind"},
                                        {
                                            "allOf": [
                                                {"$ref": "#/definitions/oneKind"},
                                                {"anyOf": [_required(kind)[0], _nulled(kind)]},
                                            ]
                                        },
                                        *_pairing(kind),
                                    ]
                                }
                            ),
                        }
                        for kind in KINDS
                    ]
                },
                "else": {
                    "if": _defaults_have({"anyOf": _required("function", "object")}),
                    "then": _cases_items(_KIND_OR_LOSS),
                    "else": _cases_items({"if": {"$ref": "#/definitions/functionKey"}, "then": _KIND_OR_LOSS}),
                },
            },
        ],
        "definitions": {
            "case": {
                "type": "object",
                "description": "A layer case: a softmax classifier layer and the checks to run on it.",
                "additionalProperties": False,
                "required": ["name"],
                "properties": _case_properties(layer),
            },
            "functionCase": {
                "type": "object",
                "description": f"A function case: its function against its {_listed(KINDS)} "
                "(each may come from defaults).",
                "additionalProperties": False,
                "required": ["name"],
                "properties": _case_properties(function),
            },
            "functionKey": {
                "description": "A case with a key only function cases have.",
                "anyOf": _required(*FUNCTION_ONLY_KEYS),
            },
            "oneKind": {
                "description": f"Exactly one of {_listed(KINDS)}, or jvp beside one of {_listed(JVP_PARTNERS)}, "
                f"or gradient beside one of {_listed(SECOND_KINDS)}.",
                "anyOf": [
                    {"oneOf": _required(*KINDS)},
                    {
                        "allOf": _required("jvp"),
                        "oneOf": _required(*JVP_PARTNERS),
                        "not": {"anyOf": _required(*(k for k in KINDS if k != "jvp" and k not in JVP_PARTNERS))},
                    },
                    {
                        "allOf": _required("gradient"),
                        "oneOf": _required(*SECOND_KINDS),
                        "not": {"anyOf": _required(*(k for k in KINDS if k != "gradient" and k not in SECOND_KINDS))},
                    },
                ],
            },
            "lossEnd": {
                "description": "A network ending in a loss object, whose forward and backward stand for the "
                f"function and its derivative: none of function, {_listed(KINDS)}.",
                "required": ["loss", "layers"],
                "not": {"anyOf": _required("function", *KINDS)},
            },
            "noKind": {
                "description": f"None of {_listed(KINDS)} (the defaults name it).",
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
        "class": "`module:Class`",
        "callable": "`module:attribute` or method",
        "wrt": "name or list of names",
        "gradients": "mapping or path",
        "path": "path",
        "layers": "list of layers",
        "calls": "list of method calls",
        "loss": "mapping",
        "takes": "list of names",
        "range": "`[low, high]`",
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
