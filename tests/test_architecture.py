"""The pipeline's imports point one way, and nothing below the CLI prints or exits."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cstosim"

# Each module may import only the modules listed (within the package).
ALLOWED = {
    "errors": set(),
    "load": {"errors"},
    "model": set(),
    "conditions": {"errors"},
    "compile": {"model", "conditions", "errors"},
    "api": {"model", "compile", "errors", "load"},
    "report": {"conditions"},
    "engine": {"model", "api", "compile", "conditions", "report"},
    "expect": {"model", "report"},
    "rendering": {"conditions", "report", "graph"},
    "graph": {"report"},
    "output": {"errors"},
    "schema": {"model", "compile", "conditions"},
    "testing": {"model", "api", "compile"},
    "properties": {"model", "api", "compile", "engine", "errors", "report"},
    "check": {"model", "api", "compile", "properties", "testing"},
    "explain": {"model", "api", "compile", "conditions", "errors", "engine", "report"},
    "compare": {"api", "compile", "engine", "report"},
    "sweep": {"model", "api", "compile", "errors", "engine"},
    "coverage": {"compile", "conditions"},
    "prove": {"model", "api", "compile", "conditions", "engine", "errors", "properties", "report"},
}


def test_every_module_has_a_place() -> None:
    names = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__", "cli"}
    assert names == set(ALLOWED)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cstosim"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(parts[1])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("cstosim."))
    return found


def test_imports_point_one_way() -> None:
    for name, allowed in ALLOWED.items():
        got = _imports(PACKAGE / f"{name}.py")
        assert got <= allowed, f"{name} imports {sorted(got - allowed)}"


def test_nothing_imports_the_cli() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.stem != "cli":
            assert "cli" not in _imports(path), path.name


def test_only_the_cli_prints_or_exits() -> None:
    for path in PACKAGE.glob("*.py"):
        if path.stem in ("cli",):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("print", "exit", "eval", "exec"), (path.name, node.func.id)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert (node.value.id, node.attr) != ("sys", "exit"), path.name
