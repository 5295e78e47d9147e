"""A case file as a whole: version, defaults and the list of cases, each a layer or a function case."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CaseError, did_you_mean
from ..options import MAX_ELEMENTS
from . import yamlreader
from .budget import Budget
from .fields import NAME_RE, check_keys, kind
from .format import FUNCTION_KEYS, FUNCTION_ONLY_KEYS, LAYER_KEYS, TOP_KEYS
from .function import FunctionCase, is_function_case, parse_function, refuse_function_keys
from .layer import Case, parse_layer
from .yamlreader import YBroken, YList, YMap, show, show_key


@dataclass(frozen=True)
class Entry:
    """One case of a file as loaded: a layer Case, a FunctionCase, or the error that stopped it."""

    name: str
    line: int
    case: Case | FunctionCase | CaseError


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a case file from exhausting memory."""

    max_elements: int = MAX_ELEMENTS


def load(
    path: Path,
    display: str | None = None,
    *,
    limits: Limits = Limits(),
    checks: tuple[str, ...] = (),
    all_checks: tuple[str, ...] = (),
) -> list[Entry]:
    """Read and validate a case file. A file-wide problem raises CaseError; a bad case is an
    Entry with its error, so the other cases still run. `checks` are the known check names,
    `all_checks` what `checks: all` stands for."""
    shown = display or str(path)
    try:
        doc, line = yamlreader.parse_with_line(yamlreader.read(path), isolate="cases")
    except yamlreader.YamlError as exc:
        raise CaseError(shown, exc.line, exc.message) from None
    return parse_document(doc, shown, limits=limits, checks=checks, all_checks=all_checks, doc_line=line)


def parse_document(
    doc: Any,
    path: str,
    *,
    limits: Limits = Limits(),
    checks: tuple[str, ...] = (),
    all_checks: tuple[str, ...] = (),
    doc_line: int = 1,
) -> list[Entry]:
    """Validate a parsed document (see yamlreader.parse) into Entries; `doc_line` is where it starts."""
    defaults, raw = _parts(doc, path, doc_line)
    layer_defaults = _only(defaults, LAYER_KEYS)
    entries: list[Entry] = []
    budget = Budget(limits.max_elements)
    first_line: dict[str, int] = {}
    for number, (item, line) in enumerate(zip(raw, raw.item_lines, strict=True), start=1):
        name = (
            item.get("name")
            if isinstance(item, YMap)
            else item.strings.get("name")
            if isinstance(item, YBroken)
            else None
        )
        label = name if isinstance(name, str) and NAME_RE.fullmatch(name) else f"case-{number}"
        budget.next_case()
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
            if not isinstance(item, YMap):
                raise CaseError(path, line, f"case is {kind(item)}; expected a mapping with name, inputs, classes, ...")
            case: Case | FunctionCase
            if is_function_case(item, defaults):
                case = parse_function(item, defaults, path, budget)
            else:
                refuse_function_keys(item, path)
                check_keys(item, LAYER_KEYS, path, "case")
                case = parse_layer(item, layer_defaults, path, budget, checks, all_checks)
            entries.append(Entry(case.name, line, case))
        except CaseError as exc:
            entries.append(Entry(label if first_line.get(label) == line else f"{label}@{line}", line, exc))
    return entries


def _parts(doc: Any, path: str, doc_line: int) -> tuple[YMap, YList]:
    """The document's defaults and its list of cases, after the checks of the file as a whole."""
    if doc is None:
        raise CaseError(path, 1, "file is empty; expected a mapping with a 'cases:' list")
    if not isinstance(doc, YMap):
        line = int(getattr(doc, "line", doc_line))
        raise CaseError(path, line, f"top level is {kind(doc)}; expected a mapping with a 'cases:' list")
    if doc and "cases" not in doc and not any(key in TOP_KEYS or did_you_mean(key, TOP_KEYS) for key in doc):
        raise CaseError(
            path,
            doc.line,
            f"not a case file: no 'cases:' list (top-level keys: {', '.join(map(show_key, doc))}); keep other "
            "YAML out of the case folders, or set gradcheck_pattern (e.g. *.case.yaml)",
        )
    check_keys(doc, TOP_KEYS, path, "top level")
    if "version" in doc and (doc["version"] != 1 or not isinstance(doc["version"], int) or doc["version"] is True):
        raise CaseError(path, doc.key_lines["version"], f"version: {show(doc['version'])} is not supported; expected 1")
    defaults = doc.get("defaults", YMap())
    if not isinstance(defaults, YMap):
        raise CaseError(
            path, doc.key_lines["defaults"], f"defaults: is {kind(defaults)}; expected a mapping of case fields"
        )
    if "name" in defaults:
        raise CaseError(path, defaults.key_lines["name"], "defaults: name cannot have a default; name each case")
    _check_defaults_keys(defaults, path)
    if "cases" not in doc:
        raise CaseError(path, doc.line, "cases: missing; expected 'cases:' with a list of cases")
    raw = doc["cases"]
    if not isinstance(raw, YList):
        raise CaseError(path, doc.key_lines["cases"], f"cases: is {kind(raw)}; expected a list of cases")
    if not raw:
        raise CaseError(path, doc.key_lines["cases"], "cases: the list is empty; add at least one case")
    return defaults, raw


def _check_defaults_keys(defaults: YMap, path: str) -> None:
    """Refuse an unknown key in `defaults:`, listing the keys of function cases where the file
    has them (or the key looks like one of theirs), else those of layer cases."""
    for key in defaults:
        if key in LAYER_KEYS or key in FUNCTION_KEYS:
            continue
        function = "function" in defaults or "object" in defaults or bool(did_you_mean(key, FUNCTION_ONLY_KEYS))
        check_keys(_only(defaults, (key,)), FUNCTION_KEYS if function else LAYER_KEYS, path, "defaults")


def _only(mapping: YMap, keys: tuple[str, ...]) -> YMap:
    """The entries of `mapping` whose keys are among `keys`, with their lines."""
    out = YMap(mapping.line)
    for key, value in mapping.items():
        if key in keys:
            out[key] = value
            out.key_lines[key] = mapping.key_lines[key]
    return out
