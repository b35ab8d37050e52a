"""The pipeline's imports point one way, and nothing below the CLI prints or exits."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "cstosim"

# Each module may import only the modules listed (within the package). `render.x` is a
# module of the render package; `render` alone is the package's `__init__`.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "load": {"errors"},
    "cache": set(),
    "model": {"cache", "errors"},
    "conditions": {"errors"},
    "program": {"conditions"},
    "codegen": {"conditions"},
    "compile": {"model", "program", "compiled", "conditions", "codegen", "errors", "reference"},
    "reference": set(),
    # report's notebook hooks (_repr_html_, _repr_markdown_) import their renderer when called
    "report": {"conditions", "render.html", "render.markdown"},
    # evaluation: plain program types in, Report out; no file formats, no text
    "world": {"program", "report"},
    "admissions": {"program", "conditions", "report", "world", "evaluate"},
    "incidents": {"program", "conditions", "report", "evaluate"},
    "evaluate": {"program", "conditions", "report", "world", "difference", "admissions",
                 "incidents"},
    "difference": {"report"},
    "compiled": {"program", "conditions", "evaluate", "report", "world", "model", "compile"},
    "api": {"model", "program", "compile", "compiled", "errors", "load", "report", "world", "cache"},
    "expect": {"model", "report"},
    "output": {"errors"},
    "pool": set(),
    "schema": {"model", "compile", "conditions", "reference"},
    "testing": {"model", "api", "compile"},
    "properties": {"model", "program", "api", "compile", "admissions", "evaluate", "world",
                   "errors", "report", "render.json"},
    "fmt": {"model", "api", "errors", "load"},
    "check": {"model", "api", "compile", "pool", "properties", "testing"},
    "explain": {"model", "api", "compile", "conditions", "errors", "report"},
    "compare": {"api", "compile", "difference", "evaluate", "program", "report"},
    "sweep": {"model", "api", "compile", "conditions", "errors", "evaluate", "incidents", "program",
              "report", "world"},
    "coverage": {"compile", "conditions", "report"},
    "prove": {"model", "program", "api", "compile", "conditions", "admissions", "errors",
              "properties", "report"},
    "show": {"model", "reference"},
    "timeline": {"program", "world"},
    "summary": {"report"},
    # all text output
    "render": {"render.graph", "render.html", "render.json", "render.markdown", "render.svg",
               "render.text", "report"},
    "render.values": {"conditions"},
    "render.sentences": {"program", "render.values", "report"},
    "render.text": {"render.diff", "render.sentences", "render.values", "report", "summary"},
    "render.markdown": {"render.diff", "render.graph", "render.sentences", "render.values",
                        "report", "summary"},
    "render.terminal": set(),
    "render.json": {"conditions", "render.sentences", "report"},
    "render.graph": {"report"},
    "render.svg": {"render.graph", "report"},
    "render.html": {"conditions", "render.diff", "render.graph", "render.sentences", "render.svg",
                    "render.text", "render.values", "report", "summary", "timeline"},
    "render.diff": {"render.json", "render.sentences", "render.values", "report"},
    "render.sweep": {"sweep"},
    "render.show": {"show"},
    "render.explain": {"conditions", "explain", "render.sentences", "render.values", "report"},
}
EVALUATOR = ("world", "admissions", "incidents", "evaluate", "difference", "program")
# Public functions named like their module (`cstosim.evaluate`, `cstosim.render`): the package
# attribute is the function, so the module is reached only as `from cstosim.evaluate import x`.
SHADOWED = ("evaluate", "render")


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if parts and parts != ("cli",):
            found[".".join(parts)] = path
    return found


def test_every_module_has_a_place() -> None:
    assert set(_modules()) == set(ALLOWED)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cstosim"):
            parts = node.module.split(".")
            if len(parts) > 1:
                found.add(".".join(parts[1:]))
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(".".join(a.name.split(".")[1:]) for a in node.names
                         if a.name.startswith("cstosim."))
    return found


def test_imports_point_one_way() -> None:
    for name, path in _modules().items():
        got = _imports(path)
        assert got <= ALLOWED[name], f"{name} imports {sorted(got - ALLOWED[name])}"


def test_the_evaluator_knows_no_file_format_and_writes_no_text() -> None:
    for name in EVALUATOR:
        got = _imports(_modules()[name])
        assert not got & {"api", "model", "load", "compile"}, name
        assert not {g for g in got if g.split(".")[0] == "render"}, name


def test_shadowed_modules_are_imported_by_name() -> None:
    for path in [*_modules().values(), PACKAGE / "cli.py"]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "cstosim":
                bad = {a.name for a in node.names} & set(SHADOWED)
                assert not bad, f"{path.name}: `from cstosim import {bad.pop()}` gets the function"
            if isinstance(node, ast.Import):
                bad = {a.name for a in node.names} & {f"cstosim.{s}" for s in SHADOWED}
                assert not bad, f"{path.name}: `import {bad.pop()}` gets the function"


def test_nothing_imports_the_cli() -> None:
    for path in _modules().values():
        assert "cli" not in _imports(path), path.name


def test_only_the_cli_prints_or_exits() -> None:
    for path in _modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("print", "exit", "eval", "exec"), (path.name, node.func.id)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                assert (node.value.id, node.attr) != ("sys", "exit"), path.name


def test_no_big_classes() -> None:
    """No class runs to hundreds of lines (STYLE.md)."""
    for path in _modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                assert size <= 250, f"{path.name}: class {node.name} has {size} lines"
