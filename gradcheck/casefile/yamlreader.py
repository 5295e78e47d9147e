"""Safe, bounded YAML reading into plain values that remember their source lines."""

from __future__ import annotations

import math
import re
import reprlib
import stat
from pathlib import Path
from typing import Any

import yaml

from .. import errors

#: A case file larger than this is refused before it is parsed.
MAX_FILE_BYTES = 8 * 2**20
#: YAML aliases may repeat a node, but the expanded document may hold at most this many
#: values per byte of file (plus a fixed allowance): an alias bomb is refused, not expanded.
EXPANSION_PER_BYTE = 10
EXPANSION_FLOOR = 10_000
#: Mappings and lists may nest this deep; a case needs four levels, Python's stack a bounded number.
MAX_DEPTH = 50

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


class _OverBudget(YamlError):
    """The aliases of the whole document expand beyond its budget: a problem of the file."""


class YBroken:
    """An item of an isolated list (parse_with_line) whose YAML cannot be read as values (a
    date, a tag, a key given twice, ...): its line, the error, and the plain string values of
    its keys where they read. Only that item fails; the others still load."""

    def __init__(self, line: int, message: str, strings: dict[str, str]) -> None:
        self.line = line
        self.message = message
        self.strings = strings

    def __repr__(self) -> str:
        return f"YBroken({self.line}, {self.message!r}, {self.strings!r})"


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
    """The text of a case file: a regular file, size-checked before it is read, decoded as UTF-8.
    A file that cannot be read (a broken link, a loop, no permission, a pipe or device) is a YamlError."""
    try:
        info = path.stat()
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if not stat.S_ISREG(info.st_mode):
        raise YamlError(1, f"file is {errors.kind(info.st_mode)}, not a regular file; a case file is a YAML text file")
    if info.st_size > MAX_FILE_BYTES:
        raise YamlError(1, _too_large(info.st_size))
    try:
        with path.open("rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if len(data) > MAX_FILE_BYTES:  # it grew since
        raise YamlError(1, _too_large(len(data)))
    return decode(data)


def _unreadable(path: Path, error: OSError) -> YamlError:
    why, fix = errors.unreachable(path, error)
    return YamlError(1, f"file {why}; {fix}")


def _too_large(size: int) -> str:
    return f"file is {size} bytes, over the limit of {MAX_FILE_BYTES}; split it into several files"


def decode(data: bytes) -> str:
    """UTF-8 text of a case file, or a YamlError at the line of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise YamlError(line, f"byte 0x{data[exc.start]:02x} is not UTF-8; save the file as UTF-8") from None


def parse(text: str) -> Any:
    """The document as YMap/YList/scalars; no tag may build a Python object."""
    return parse_with_line(text)[0]


def parse_with_line(text: str, isolate: str | None = None) -> tuple[Any, int]:
    """The document as `parse` gives it, and the line where it starts (a scalar has no line of its own).

    `isolate` names a key of the top-level mapping whose list items are read one by one: an
    item whose YAML cannot be read as values becomes a YBroken, and the others still load."""
    try:
        read, node = _fast_compose(text)
        if not read:  # no libyaml, or it found a problem: the pure reader says which, in its own words
            node = yaml.compose(text, Loader=_Loader)
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow; its message spans two lines
        line = text[: exc.position].count("\n") + 1
        raise YamlError(line, f"character #x{exc.character:04x} is not allowed in YAML; remove it") from None
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
        return None, 1
    builder = _Builder(EXPANSION_FLOOR + EXPANSION_PER_BYTE * len(text))
    builder.isolated = _list_under(node, isolate)
    return builder.build(node), node.start_mark.line + 1


def _list_under(node: yaml.Node, key: str | None) -> yaml.Node | None:
    """The list under `key` of the top-level mapping, whose items are read one by one."""
    if key is not None and isinstance(node, yaml.MappingNode):
        for k, value in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key and isinstance(value, yaml.SequenceNode):
                return value
    return None


def _strings_of(node: yaml.Node) -> dict[str, str]:
    """The plain string values of a mapping node's scalar keys, read without building it."""
    out: dict[str, str] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            plain = isinstance(key, yaml.ScalarNode) and isinstance(value, yaml.ScalarNode)
            if plain and value.tag == "tag:yaml.org,2002:str":
                out.setdefault(key.value, value.value)
    return out


def _fast_compose(text: str) -> tuple[bool, yaml.Node | None]:
    """The document's nodes by libyaml (several times faster than the pure reader), its nesting
    depth checked on the event stream first: libyaml's composer recurses in C and cannot be
    stopped part way as _Loader is (the events cost a fifth of composing). (False, None) where
    libyaml is missing or refuses the text."""
    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None:
        return False, None
    try:
        depth = 0
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    line = event.start_mark.line + 1 if event.start_mark is not None else 1
                    raise YamlError(line, f"lists and mappings nest deeper than {MAX_DEPTH} levels; flatten the data")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
        node: yaml.Node | None = yaml.compose(text, Loader=loader)
    except yaml.YAMLError:
        return False, None
    return True, node


class _Loader(yaml.SafeLoader):
    """The safe composer, refusing nesting deeper than MAX_DEPTH before Python's stack runs out."""

    depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                line = self.peek_event().start_mark.line + 1  # type: ignore[no-untyped-call]
                raise YamlError(line, f"lists and mappings nest deeper than {MAX_DEPTH} levels; flatten the data")
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


class _Builder:
    """Nodes into YMap/YList/scalars. An alias shares the value built for its anchor, so memory
    stays that of the file, while `budget` counts the values it stands for: what a reader of the
    expanded document would walk."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.constructor = yaml.constructor.SafeConstructor()
        self.built: dict[int, tuple[Any, int]] = {}  # id(node): (value, expanded size), for aliases
        self.building: set[int] = set()  # nodes under construction: meeting one is a self-reference
        self.lines: list[int] = []  # lines of the nodes being built
        self.isolated: yaml.Node | None = None  # the list whose items fail one by one

    def build(self, node: yaml.Node) -> Any:
        key = id(node)
        if key in self.building:
            raise YamlError(self.lines[-1], "a YAML alias refers to a node that contains it; remove the loop")
        if key in self.built:  # an alias of a node built before
            value, size = self.built[key]
            self._spend(size, node)
            return value
        before = self.budget
        self._spend(1, node)
        self.building.add(key)
        self.lines.append(node.start_mark.line + 1)
        try:
            value = self._build(node)
        finally:
            self.lines.pop()
            self.building.discard(key)
        self.built[key] = (value, before - self.budget)
        return value

    def _spend(self, size: int, node: yaml.Node) -> None:
        self.budget -= size
        if self.budget < 0:
            raise _OverBudget(
                self.lines[-1] if self.lines else node.start_mark.line + 1,
                "YAML aliases expand this document beyond its size limit; "
                "write the values out or use an array spec such as {seed: 0, scale: 1}",
            )

    def _build(self, node: yaml.Node) -> Any:
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode) and node.tag == "tag:yaml.org,2002:seq":
            items = [self._item(item) if node is self.isolated else self.build(item) for item in node.value]
            lines = [item.start_mark.line + 1 for item in node.value]
            return YList(items, lines, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode) and node.tag == "tag:yaml.org,2002:map":
            return self._mapping(node)
        raise _bad_tag(node)

    def _item(self, node: yaml.Node) -> Any:
        """One item of the isolated list, or a YBroken where its YAML alone is at fault."""
        try:
            return self.build(node)
        except _OverBudget:
            raise
        except YamlError as exc:
            return YBroken(exc.line, exc.message, _strings_of(node))

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag not in _SCALAR_TAGS:
            raise _bad_tag(node)
        try:
            return self._construct(node)
        # `!!int abc`, `!!bool maybe`, `!!int ""`, an integer of 5000 digits
        except (ValueError, KeyError, IndexError, OverflowError):
            kind = node.tag.removeprefix(_YAML_TAG_PREFIX)
            text = node.value if len(node.value) <= 40 else f"{node.value[:20]}...({len(node.value)} characters)"
            raise YamlError(
                node.start_mark.line + 1,
                f"{text!r} cannot be read as {'an' if kind == 'int' else 'a'} {kind}; write a plain number, "
                "true/false or a quoted string",
            ) from None

    def _construct(self, node: yaml.ScalarNode) -> Any:
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
            if not isinstance(key, str) and isinstance(key_node, yaml.ScalarNode):
                key = key_node.value  # `on:`, `yes:` or `1:` as written, not True or 1: keys are names
            if not isinstance(key, str):
                raise YamlError(line, f"key {show(key)} is not a string; keys are field names")
            if key in out.key_lines:
                raise YamlError(
                    line, f"{show_key(key)}: given twice in one mapping (first at line {out.key_lines[key]}); keep one"
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


class _Short(reprlib.Repr):
    """A bounded repr of a value from a case file: however large, a few dozen characters."""

    def __init__(self) -> None:
        super().__init__()
        self.maxlist = self.maxdict = 6
        self.maxstring = self.maxother = 60
        self.maxlevel = 3

    def repr_int(self, x: int, level: int) -> str:
        if abs(x) < 10**40:
            return repr(x)
        return f"{'-' if x < 0 else ''}1e{int(math.log10(abs(x)))} (an integer of {int(math.log10(abs(x))) + 1} digits)"

    def repr_YList(self, x: YList, level: int) -> str:  # reprlib dispatches on the type name
        return self.repr_list(x, level)

    def repr_YMap(self, x: YMap, level: int) -> str:
        return self.repr_dict(x, level)


def show(value: Any) -> str:
    """The value as it appears in an error message, bounded in length."""
    return _Short().repr(value)


def show_key(key: str) -> str:
    """A key as it appears in an error message: bare if it looks like a field name, else quoted and bounded."""
    return key if _FIELD_RE.fullmatch(key) else show(key)


_FIELD_RE = re.compile(r"[A-Za-z0-9_.<-]{1,60}")


def _bad_tag(node: yaml.Node) -> YamlError:
    line = node.start_mark.line + 1
    if node.tag == _TIMESTAMP_TAG and isinstance(node.value, str):
        return YamlError(
            line, f"{show(node.value)[1:-1]} reads as a date, which case files do not hold; quote it if it is a string"
        )
    tag = "!!" + node.tag.removeprefix(_YAML_TAG_PREFIX) if node.tag.startswith(_YAML_TAG_PREFIX) else node.tag
    return YamlError(
        line, f"tag {show(tag)[1:-1]} is not allowed; case files hold only plain mappings, lists, numbers and strings"
    )
