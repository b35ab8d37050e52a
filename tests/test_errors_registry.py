"""Error codes: the source uses exactly the codes registered in ``cstosim.errors.CODES``.

The scan reads ``cstosim/`` with ``ast`` and follows each code to where it is written. A code
reaches a :class:`~cstosim.errors.Diagnostic` or a ``Pending`` one (first argument or ``code=``) or a pydantic
``PydanticCustomError`` (whose type ``cstosim.api`` passes on as the code) either as a literal or
through a helper's parameter: ``_Stages.problem(path, code, ...)``, ``load._fail(file, code, ...)``
and ``_Builder.error(code, ...)`` forward theirs, and ``_Stages.ref(path, kind, ...)`` builds
``f"unknown_{kind}"``, so every call of such a helper (in the same module) is a place a code is
written, with the literal passed there (``"tier"`` becomes ``unknown_tier``). An argument the
scan cannot follow fails the test: write the code as a literal, or through such a helper.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from cstosim.errors import CODES, Diagnostic, Location, codes_reference

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "cstosim"
# Callables whose argument is a code: name -> (position, keyword).
SEEDS = {"Diagnostic": (0, "code"), "PydanticCustomError": (0, "error_type"),
         "Pending": (0, "code")}
# Methods that make a Diagnostic of a code already checked where it was first written:
# `Pending.diagnostic` (a Pending is itself a seed).
RELAYS = {("cstosim/errors.py", "diagnostic", "self.code")}


@dataclass(frozen=True)
class Site:
    """Calls of ``name`` pass a code (or, with a template, the ``{}`` of one) at this argument."""

    name: str
    position: int
    keyword: str | None
    template: str = "{}"


@dataclass
class Scan:
    uses: dict[str, list[str]]  # code -> places "cstosim/x.py:LINE (callee)"
    unresolved: list[str]


def _callee(call: ast.Call) -> str | None:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    return names[1:] if names[:1] in (["self"], ["cls"]) else names


def _argument(call: ast.Call, site: Site) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == site.keyword:
            return kw.value
    before = call.args[: site.position + 1]
    if any(isinstance(a, ast.Starred) for a in before) or len(call.args) <= site.position:
        return None
    return call.args[site.position]


class _Resolver:
    """What codes (or forwarded parameters) one argument expression can carry."""

    def __init__(self, fn: ast.FunctionDef | ast.AsyncFunctionDef | None) -> None:
        self.fn = fn

    def resolve(self, expr: ast.expr) -> list[tuple[str, str]]:
        """Pairs ("code", text) or ("param", "name|template"); ("?", source) when unknown."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return [("code", expr.value)]
        if isinstance(expr, ast.IfExp):
            return self._narrowed(expr) + self.resolve(expr.orelse)
        if self.fn is not None and isinstance(expr, ast.Name):
            if expr.id in _params(self.fn):
                return [("param", f"{expr.id}|{{}}")]
            assigned = [n.value for n in ast.walk(self.fn) if isinstance(n, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == expr.id for t in n.targets)]
            if len(assigned) == 1:
                return self.resolve(assigned[0])
        if self.fn is not None and isinstance(expr, ast.JoinedStr):
            holes = [v for v in expr.values if isinstance(v, ast.FormattedValue)]
            if (len(holes) == 1 and isinstance(holes[0].value, ast.Name)
                    and holes[0].value.id in _params(self.fn)):
                template = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}"
                                   for v in expr.values)
                return [("param", f"{holes[0].value.id}|{template}")]
        return [("?", ast.unparse(expr))]

    def _narrowed(self, expr: ast.IfExp) -> list[tuple[str, str]]:
        # `x if x in ("a", "b") else ...` can only give "a" or "b" in its first branch.
        t = expr.test
        if (isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.In)
                and isinstance(t.left, ast.Name) and isinstance(expr.body, ast.Name)
                and t.left.id == expr.body.id and isinstance(t.comparators[0], (ast.Tuple, ast.Set))):
            return [r for e in t.comparators[0].elts for r in self.resolve(e)]
        return self.resolve(expr.body)


def _scan_module(path: Path, scan: Scan) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    rel = path.relative_to(ROOT).as_posix()
    owner: dict[ast.AST, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for func in ast.walk(tree):
        if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(func):
                owner[node] = func  # inner functions come later in the walk and win
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    sites = [Site(name, pos, kw) for name, (pos, kw) in SEEDS.items()]
    done: set[tuple[int, Site]] = set()
    i = 0
    while i < len(sites):  # sites grows as helpers that forward a code are found
        site = sites[i]
        i += 1
        for call in calls:
            if _callee(call) != site.name or (id(call), site) in done:
                continue
            done.add((id(call), site))
            where = f"{rel}:{call.lineno} ({site.name})"
            arg = _argument(call, site)
            fn = owner.get(call)
            if fn is not None and arg is not None and (rel, fn.name, ast.unparse(arg)) in RELAYS:
                continue
            found = _Resolver(fn).resolve(arg) if arg is not None else [("?", "no code argument")]
            for kind, text in found:
                if kind == "code":
                    scan.uses[site.template.replace("{}", text)].append(where)
                elif kind == "param" and fn is not None:
                    name, template = text.split("|", 1)
                    new = Site(fn.name, _params(fn).index(name), name,
                               site.template.replace("{}", template))
                    if new not in sites:
                        sites.append(new)
                else:
                    scan.unresolved.append(f"{where}: cannot tell which code `{text}` is")


def scan_package() -> Scan:
    scan = Scan(defaultdict(list), [])
    for path in sorted(PACKAGE.rglob("*.py")):
        _scan_module(path, scan)
    return scan


SCAN = scan_package()


def test_every_code_argument_can_be_followed() -> None:
    assert SCAN.unresolved == []


def test_every_code_in_the_source_is_registered() -> None:
    unregistered = {code: places for code, places in SCAN.uses.items() if code not in CODES}
    assert unregistered == {}, "register these in cstosim.errors.CODES, each with its meaning"


def test_every_registered_code_is_used() -> None:
    unused = sorted(set(CODES) - set(SCAN.uses))
    assert unused == [], "remove these from cstosim.errors.CODES, or use them"


def test_the_scan_follows_helpers_and_templates() -> None:
    # The code families that never appear as a whole literal: a failure here means the scan
    # lost track of a helper, not that the source changed.
    assert any(p.startswith("cstosim/compile.py") for p in SCAN.uses["unknown_tier"])
    assert any(p.startswith("cstosim/load.py") for p in SCAN.uses["too_many_aliases"])
    assert any(p.startswith("cstosim/api.py") for p in SCAN.uses["self_incident"])


def test_every_pydantic_error_type_reaches_the_user_as_its_code() -> None:
    # cstosim.api passes a custom pydantic error's type on as the code only when it lists it;
    # an unlisted one would be reported as `wrong_value`.
    def files(code: str) -> set[str]:
        return {p.split(":")[0] for p in SCAN.uses[code]}

    raised = {c for c, places in SCAN.uses.items()
              if any(p.endswith("(PydanticCustomError)") for p in places)}
    assert raised
    assert {c for c in raised if "cstosim/api.py" not in files(c)} == set()


def test_codes_are_snake_case_with_a_one_line_meaning() -> None:
    for code, meaning in CODES.items():
        assert code.isidentifier() and code == code.lower() and not code.startswith("_"), code
        assert meaning and "\n" not in meaning and meaning == meaning.strip(), code


def test_an_unregistered_code_cannot_be_made() -> None:
    with pytest.raises(ValueError, match="unregistered diagnostic code 'no_such_code'"):
        Diagnostic("no_such_code", Location("x.yaml"), "message", "hint")
    assert Diagnostic("duplicate_id", Location("x.yaml"), "message").code == "duplicate_id"


def test_the_catalogue_expects_registered_codes() -> None:
    cases = yaml.safe_load((ROOT / "tests" / "catalogue" / "cases.yaml").read_text(encoding="utf-8"))
    expected = {case["code"] for case in cases["errors"]}
    assert expected and expected - set(CODES) == set()


def test_docs_errors_md_is_current() -> None:
    shipped = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert shipped == codes_reference(), "regenerate it: python scripts/gen_errors_doc.py"
    for code in CODES:
        assert f"| `{code}` |" in shipped
