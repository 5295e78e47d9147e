"""Safe, bounded YAML reading into plain values that remember their source lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

#: A case file larger than this is refused before it is parsed.
MAX_FILE_BYTES = 8 * 2**20
#: YAML aliases may repeat a node, but the expanded document may hold at most this many
#: values per byte of file (plus a fixed allowance): an alias bomb is refused, not expanded.
EXPANSION_PER_BYTE = 10
EXPANSION_FLOOR = 10_000

_SCALAR_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"


class YamlError(Exception):
    """A problem at a 1-based line of the document."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class YMap(dict[str, Any]):
    """A mapping with the line of itself and of each key."""

    def __init__(self, line: int = 1) -> None:
        super().__init__()
        self.line = line
        self.key_lines: dict[str, int] = {}


class YList(list[Any]):
    """A sequence with the line of itself and of each item."""

    def __init__(self, items: list[Any], item_lines: list[int], line: int) -> None:
        super().__init__(items)
        self.line = line
        self.item_lines = item_lines


def read(path: Path) -> str:
    """The text of a case file: size-checked before it is read, then decoded as UTF-8."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise YamlError(1, f"file is {size} bytes, over the limit of {MAX_FILE_BYTES}; split it into several files")
    return decode(path.read_bytes())


def decode(data: bytes) -> str:
    """UTF-8 text of a case file, or a YamlError at the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(line, f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8") from None


def parse(text: str) -> Any:
    """The document as YMap/YList/scalars; no tag may build a Python object."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        what = exc.problem or exc.context or "invalid YAML"
        if exc.problem and exc.context and exc.context_mark is not None and exc.context_mark.line + 1 != line:
            what += f" ({exc.context} at line {exc.context_mark.line + 1})"  # where the unclosed construct began
        raise YamlError(line, f"YAML syntax error: {what}; fix the YAML syntax") from None
    except yaml.YAMLError as exc:
        raise YamlError(1, f"YAML error: {exc}; fix the YAML syntax") from None
    if node is None:
        return None
    return _Builder(EXPANSION_FLOOR + EXPANSION_PER_BYTE * len(text)).build(node)


class _Builder:
    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.constructor = yaml.constructor.SafeConstructor()
        self.seen: set[int] = set()  # nodes built once; meeting one again means an alias
        self.lines: list[int] = []  # lines of the nodes being built that are written out here

    def build(self, node: yaml.Node) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise YamlError(
                self.lines[-1] if self.lines else node.start_mark.line + 1,
                "YAML aliases expand this document beyond its size limit; "
                "write the values out or use an array spec such as {seed: 0, scale: 1}",
            )
        if id(node) in self.seen:
            return self._build(node)
        self.seen.add(id(node))
        self.lines.append(node.start_mark.line + 1)
        try:
            return self._build(node)
        finally:
            self.lines.pop()

    def _build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode) and node.tag == "tag:yaml.org,2002:seq":
            items = [self.build(item) for item in node.value]
            lines = [item.start_mark.line + 1 for item in node.value]
            return YList(items, lines, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode) and node.tag == "tag:yaml.org,2002:map":
            return self._mapping(node)
        raise _bad_tag(node)

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise _bad_tag(node)
        c = self.constructor
        if node.tag.endswith(":int"):
            return c.construct_yaml_int(node)
        if node.tag.endswith(":float"):
            return c.construct_yaml_float(node)
        if node.tag.endswith(":bool"):
            return c.construct_yaml_bool(node)
        if node.tag.endswith(":null"):
            return None
        return c.construct_scalar(node)

    def _mapping(self, node: yaml.MappingNode) -> YMap:
        out = YMap(node.start_mark.line + 1)
        merged: list[YMap] = []
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node))
                continue
            key = self.build(key_node)
            if not isinstance(key, str):
                raise YamlError(line, f"key {key!r} is not a string; keys are field names")
            if key in out.key_lines:
                raise YamlError(
                    line, f"{key}: given twice in one mapping (first at line {out.key_lines[key]}); keep one"
                )
            out[key] = self.build(value_node)
            out.key_lines[key] = line
        for source in merged:  # keys written out win over merged ones
            for key, value in source.items():
                if key not in out.key_lines:
                    out[key] = value
                    out.key_lines[key] = source.key_lines[key]
        return out

    def _merge_sources(self, node: yaml.Node) -> list[YMap]:
        value = self.build(node)
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(s, YMap) for s in sources):
            raise YamlError(node.start_mark.line + 1, "<<: merges only mappings; give an alias of a mapping")
        return sources


def _bad_tag(node: yaml.Node) -> YamlError:
    line = node.start_mark.line + 1
    if node.tag == _TIMESTAMP_TAG and isinstance(node.value, str):
        return YamlError(
            line, f"{node.value} reads as a date, which case files do not hold; quote it if it is a string"
        )
    tag = "!!" + node.tag.removeprefix(_YAML_TAG_PREFIX) if node.tag.startswith(_YAML_TAG_PREFIX) else node.tag
    return YamlError(line, f"tag {tag} is not allowed; case files hold only plain mappings, lists, numbers and strings")
