"""The package's layers: every import (inside functions and under TYPE_CHECKING too) points down, never in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gradcheck"
#: Each part of the package by its layer: a part imports only from lower layers and from itself.
#: The data flows YAML -> case (casefile) -> check (checks) -> numeric estimate (numerics) ->
#: comparison -> report (verdict) -> pictures (plots); the entry points (cli, pytest_plugin) sit on top.
LAYERS = {
    "errors": 0,
    "options": 0,
    "functions": 1,
    "numerics": 1,
    "verdict": 2,
    "casefile": 2,
    "checks": 3,
    "plots": 4,
    "cli": 5,
    "pytest_plugin": 5,
    "strategies": 5,
    "__init__": 6,
    "__main__": 6,
}
#: Parts that import neither the test framework nor the YAML reader: the maths stands alone.
NO_PYTEST = ("errors", "options", "functions", "numerics", "verdict", "casefile", "checks")
NO_YAML = ("errors", "options", "functions", "numerics", "verdict", "checks")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """Every module `name` imports (gradcheck's own resolved to module names; others by their top name)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in MODULES else base)
    return found


def own(name: str) -> set[str]:
    """The gradcheck modules `name` imports (a package's own __init__ is not counted as a dependency)."""
    return {m for m in imports(name) if m in MODULES and m != name and not name.startswith(m + ".")}


def part(name: str) -> str:
    """The part of the package a module belongs to: `numerics` for gradcheck.numerics.stencils."""
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_every_part_has_a_layer() -> None:
    assert {part(m) for m in MODULES} == set(LAYERS)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_imports_point_down(name: str) -> None:
    mine = part(name)
    upward = [m for m in own(name) if part(m) != mine and LAYERS[part(m)] >= LAYERS[mine]]
    assert upward == [], f"{name} (layer {LAYERS[mine]}) imports {upward} from its own layer or above"


def test_no_import_cycle() -> None:
    graph = {name: own(name) for name in MODULES}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            raise AssertionError("import cycle: " + " -> ".join([*path[path.index(node) :], node]))
        if node in done:
            return
        for dep in sorted(graph[node]):
            visit(dep, [*path, node])
        done.add(node)

    for name in sorted(graph):
        visit(name, [])


def test_the_maths_imports_neither_pytest_nor_yaml() -> None:
    for name in MODULES:
        third = {m.split(".")[0] for m in imports(name) if not m.startswith("gradcheck")}
        if part(name) in NO_PYTEST:
            assert not third & {"pytest", "_pytest", "pluggy"}, name
        if part(name) in NO_YAML:
            assert "yaml" not in third, name


def test_the_walk_finds_what_it_should() -> None:
    # The walk itself can fail: relative, nested and TYPE_CHECKING imports are all seen.
    assert "gradcheck.verdict.compare" in own("gradcheck.verdict.verify")
    assert "gradcheck.casefile.layer" in own("gradcheck.checks.registry")  # under TYPE_CHECKING
    assert "gradcheck.pytest_plugin.collect" in own("gradcheck.pytest_plugin")  # inside a function
    assert "yaml" in imports("gradcheck.casefile.yamlreader")


def test_modules_and_classes_stay_small() -> None:
    for name, path in MODULES.items():
        text = path.read_text(encoding="utf-8")
        code = [line for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
        assert len(code) <= 400, f"{name} has {len(code)} lines of code"
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                assert length <= 150, f"{name}.{node.name} has {length} lines"
