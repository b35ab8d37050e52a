"""The condition language: parse, type-check and compile ``when:`` blocks.

A condition is boolean structure in YAML whose leaves are single comparisons::

    all:
      - incident.days_on_territory >= params.occupation_min_days
      - not: incident.border_delimited == true
      - any: [classification.label == aggression, incident.requested_art4 == true]

A leaf is ``PATH OP OPERAND``. ``PATH`` is ``root.field`` from the scope's
:class:`Schema`; ``OP`` is one of ``== != < <= > >= in not_in``; ``OPERAND`` is
another path, a number, ``true``/``false``, a date, a quoted string, a bare
word (an enum value) or a ``[list]`` for ``in``/``not_in``. Everything is
checked when the rules load, then compiled once into Python closures (the
reference; :mod:`cstosim.codegen` then builds each whole condition as one
function from its resolved leaves). User text is never evaluated as code.
"""

from __future__ import annotations

import datetime as dt
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cstosim.errors import Diagnostic, Location, Pending, did_you_mean, expected_one_of

Context = Mapping[str, Any]
"""What a condition reads: root name -> object whose attributes are the fields."""


@dataclass(frozen=True)
class Type:
    """A field's type: ``num`` (int or float), ``bool``, ``date``, ``str`` or ``enum``."""

    name: str
    values: tuple[str, ...] = ()

    def __str__(self) -> str:
        if self.name == "enum":
            return "one of " + ", ".join(self.values)
        return {"num": "a number", "bool": "true/false", "date": "a date", "str": "text"}[self.name]


NUM, BOOL, DATE, STR = Type("num"), Type("bool"), Type("date"), Type("str")


def enum(*values: str) -> Type:
    return Type("enum", tuple(values))


Schema = Mapping[str, Type]
"""Full path (``incident.killed``) -> type, for one kind of rule."""


@dataclass(frozen=True)
class LeafResult:
    """One comparison as evaluated: the text and both sides' values."""

    text: str
    left: Any
    right: Any
    result: bool

    def to_json(self) -> dict[str, Any]:
        return {"test": self.text, "left": jsonable(self.left), "right": jsonable(self.right),
                "result": self.result}


@dataclass(frozen=True, slots=True)
class Trace:
    """A condition as evaluated: its structure, each leaf's values, each node's result."""

    kind: str  # leaf | all | any | not
    text: str
    result: bool
    children: tuple[Trace, ...] = ()
    leaf: LeafResult | None = None  # a leaf's comparison with both sides' values

    def leaves(self) -> list[LeafResult]:
        """Every leaf, in the order written."""
        if self.leaf is not None:
            return [self.leaf]
        return [leaf for c in self.children for leaf in c.leaves()]

    def blockers(self, want: bool = True) -> list[tuple[LeafResult, bool]]:
        """The leaves that stand between this node and ``want``, each with the result it
        would need. A leaf under an ``any`` that already holds is never one of them; under
        an ``any`` that fails, every alternative is listed."""
        if self.result == want:
            return []
        if self.leaf is not None:
            return [(self.leaf, want)]
        if self.kind == "not":
            return self.children[0].blockers(not want)
        # `all` wanted true and `any` wanted false need every child; the other two need one.
        every = (self.kind == "all") == want
        kids = [c for c in self.children if c.result != want] if every else list(self.children)
        return [b for c in kids for b in c.blockers(want)]


NO_LEAVES: tuple[LeafResult, ...] = ()
"""What a test records when explain is off."""


def jsonable(v: Any) -> Any:
    """A value as JSON can hold it: dates as ISO text, sets as sorted lists, tuples as lists
    in their order."""
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (frozenset, set)):
        return sorted(jsonable(x) for x in v)
    if isinstance(v, (tuple, list)):
        return [jsonable(x) for x in v]
    return v


@dataclass(frozen=True, slots=True)
class Leaf:
    """A validated comparison, resolved: ``root.attr OP right`` where the right side is
    either the path ``right_root.right_attr`` or the literal ``value`` (a frozenset for
    ``in``/``not_in``). Every name here was checked against the scope's schema."""

    root: str
    attr: str
    op: str
    value: Any = None
    right_root: str | None = None
    right_attr: str | None = None


class Condition:
    """A compiled condition: ``test`` is fast, ``trace`` records every leaf."""

    __slots__ = ("_left", "_op", "_right", "_roots", "children", "closure", "kind", "leaf", "test",
                 "text")

    def __init__(self, kind: str, children: Sequence[Condition], text: str,
                 test: Callable[[Context], bool],
                 left: Callable[[Context], Any] | None = None,
                 right: Callable[[Context], Any] | None = None,
                 op: Callable[[Any, Any], bool] | None = None,
                 leaf: Leaf | None = None) -> None:
        self.kind = kind
        self.children = tuple(children)
        self.text = text
        self.test = test
        self.closure = test  # the reference implementation; `test` may be replaced by code
        self._left, self._right, self._op = left, right, op
        self.leaf = leaf
        self._roots: frozenset[str] | None = None

    def record(self, ctx: Context) -> Trace:
        """Evaluate without short-circuit, keeping the all/any/not structure and every
        leaf's values: what explanations are filtered from."""
        if self.kind == "leaf":
            assert self._left and self._right and self._op
            lv, rv = self._left(ctx), self._right(ctx)
            res = bool(self._op(lv, rv))
            return Trace("leaf", self.text, res, (), LeafResult(self.text, lv, rv, res))
        kids = tuple(c.record(ctx) for c in self.children)
        if self.kind == "all":
            result = all(k.result for k in kids)
        elif self.kind == "any":
            result = any(k.result for k in kids)
        else:
            result = not kids[0].result
        return Trace(self.kind, self.text, result, kids)

    def roots(self) -> frozenset[str]:
        """The context names the condition reads (``incident``, ``debtor``, ...)."""
        if self._roots is None:
            if self.leaf is not None:
                found = {self.leaf.root, *([self.leaf.right_root] if self.leaf.right_root else [])}
                self._roots = frozenset(found)
            else:
                self._roots = frozenset().union(*(c.roots() for c in self.children))
        return self._roots

    def params_read(self) -> set[str]:
        """Names of the parameters the condition reads (``params.NAME`` in its leaves)."""
        if self.kind == "leaf":
            return set(_PARAM_READ.findall(self.text))
        return set().union(*(c.params_read() for c in self.children))


TRUE = Condition("all", (), "all: []", lambda ctx: True)

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge,
    "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b,
}
# Applied to stripped text: no pattern here can backtrack over a long run of spaces.
_LEAF = re.compile(r"([A-Za-z_][A-Za-z0-9_.]*)\s*(==|!=|<=|>=|<|>|\bnot_in\b|\bin\b)\s*(\S.*)\Z")
MAX_LEAF = 500
_PARAM_READ = re.compile(r"\bparams\.([A-Za-z_][A-Za-z0-9_]*)")
_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\Z")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUM = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z")

Locator = Callable[[tuple[Any, ...]], Location]


class Compiler:
    """Compiles conditions against one schema, collecting problems."""

    def __init__(self, locate: Locator, problems: list[Diagnostic | Pending]) -> None:
        self.locate = locate
        self.problems = problems

    def problem(self, path: tuple[Any, ...], code: str, message: str, hint: str) -> None:
        self.problems.append(Diagnostic(code, self.locate(path), message, hint))

    def compile(self, raw: Any, schema: Schema, path: tuple[Any, ...]) -> Condition:
        """Compile ``raw`` (YAML data) found at ``path``; on problems, record them and
        return a condition that is never true."""
        if isinstance(raw, bool) and raw is True:
            return TRUE
        if isinstance(raw, str):
            return self._leaf(raw, schema, path)
        if isinstance(raw, dict) and len(raw) == 1:
            (key, value), = raw.items()
            if key in ("all", "any"):
                if not isinstance(value, list):
                    self.problem((*path, key), "bad_condition", f"`{key}` needs a list of conditions",
                                 f"write `{key}: [cond1, cond2]`")
                    return _NEVER
                kids = [self.compile(v, schema, (*path, key, i)) for i, v in enumerate(value)]
                return _combine(key, kids)
            if key == "not":
                kid = self.compile(value, schema, (*path, key))
                inner = kid.test
                return Condition("not", (kid,), f"not ({kid.text})", lambda c: not inner(c))
            self.problem(path, "bad_condition", f"unknown condition operator `{key}`",
                         did_you_mean(str(key), ["all", "any", "not"]))
            return _NEVER
        self.problem(path, "bad_condition",
                     "expected a condition: a comparison or a mapping with one key "
                     "`all`, `any` or `not`",
                     "e.g. `incident.killed > 0`, or `all: [a, b]`; `true` means always")
        return _NEVER

    def _leaf(self, text: str, schema: Schema, path: tuple[Any, ...]) -> Condition:
        if len(text) > MAX_LEAF:
            self.problem(path, "bad_comparison", f"a comparison of {len(text):,} characters",
                         f"a comparison is one line of at most {MAX_LEAF} characters")
            return _NEVER
        text = text.strip()
        m = _LEAF.match(text)
        if not m:
            self.problem(path, "bad_comparison", f"cannot read the comparison `{text}`",
                         "write `PATH OP VALUE` with OP one of == != < <= > >= in not_in")
            return _NEVER
        left_text, op, right_text = m.groups()
        ltype = self._path_type(left_text, schema, path)
        if ltype is None:
            return _NEVER
        rtype, right = self._operand(right_text, ltype, op, schema, path)
        if rtype is None:
            return _NEVER
        if not self._compatible(ltype, op, rtype, right, text, path):
            return _NEVER
        left_get = _getter(left_text)
        right_get = right if callable(right) else _const(right)
        root, attr = left_text.split(".")
        test: Callable[[Context], bool]
        if callable(right):
            fn, rg = OPERATORS[op], right
            test = lambda c: bool(fn(left_get(c), rg(c)))  # noqa: E731 - one closure per leaf
        else:
            test = _LEAF_AGAINST_CONSTANT[op](root, operator.attrgetter(attr), right)
        if callable(right):
            rroot, rattr = right_text.split(".")
            spec = Leaf(root, attr, op, None, rroot, rattr)
        else:
            spec = Leaf(root, attr, op, right)
        return Condition("leaf", (), text.strip(), test, left_get, right_get, OPERATORS[op], spec)

    def _path_type(self, text: str, schema: Schema, path: tuple[Any, ...]) -> Type | None:
        t = schema.get(text)
        if t is None:
            root = text.split(".")[0]
            roots = sorted({p.split(".")[0] for p in schema})
            if root not in roots:
                hint = did_you_mean(text, list(schema)) if "." in text else did_you_mean(root, roots)
                self.problem(path, "unknown_path", f"unknown path `{text}`",
                             hint + (f" (roots here: {', '.join(roots)})" if "did you" not in hint else ""))
            else:
                self.problem(path, "unknown_path", f"unknown path `{text}`",
                             did_you_mean(text, [p for p in schema if p.startswith(root + ".")]))
        return t

    def _operand(self, text: str, ltype: Type, op: str, schema: Schema,
                 path: tuple[Any, ...]) -> tuple[Type | None, Any]:
        if op in ("in", "not_in"):
            if not (text.startswith("[") and text.endswith("]")):
                self.problem(path, "bad_comparison", f"`{op}` needs a list such as `[a, b]`, got `{text}`",
                             "write the values in square brackets")
                return None, None
            items = [s.strip() for s in text[1:-1].split(",") if s.strip()]
            values = []
            for item in items:
                t, v = self._literal(item, ltype, path)
                if t is None:
                    return None, None
                values.append(v)
            return Type("list", tuple(str(v) for v in values)), frozenset(values)
        if _PATH.match(text):
            t = self._path_type(text, schema, path)
            return (t, _getter(text)) if t else (None, None)
        return self._literal(text, ltype, path)

    def _literal(self, text: str, ltype: Type, path: tuple[Any, ...]) -> tuple[Type | None, Any]:
        if text in ("true", "false"):
            return BOOL, text == "true"
        if _NUM.match(text):
            return NUM, float(text) if any(ch in text for ch in ".eE") else int(text)
        if _DATE.match(text):
            try:
                return DATE, dt.date.fromisoformat(text)
            except ValueError:
                self.problem(path, "invalid_date", f"`{text}` is not a real date", "write YYYY-MM-DD")
                return None, None
        quoted = len(text) >= 2 and text[0] == text[-1] and text[0] in "'\""
        if quoted or _WORD.match(text):
            if quoted:
                text = text[1:-1]
            # Quoting a word does not exempt it from the field's possible values.
            if ltype.name == "enum" and text not in ltype.values:
                self.problem(path, "unknown_value", f"`{text}` is not a possible value here",
                             did_you_mean(text, ltype.values))
                return None, None
            return (ltype if ltype.name == "enum" else STR), text
        self.problem(path, "bad_comparison", f"cannot read the value `{text}`",
                     "use a number, true/false, a date, a word, a 'quoted string' or a path")
        return None, None

    def _compatible(self, lt: Type, op: str, rt: Type, right: Any, text: str,
                    path: tuple[Any, ...]) -> bool:
        if op in ("in", "not_in"):
            ok = lt.name in ("enum", "str") or (lt.name == "num" and all(
                isinstance(v, (int, float)) for v in right))
            if not ok:
                self.problem(path, "type_mismatch", f"`{op}` does not apply to {lt} in `{text}`",
                             "use `in` with enum or text fields")
            return ok
        if op in ("<", "<=", ">", ">="):
            ok = lt.name == rt.name and lt.name in ("num", "date")
            if not ok:
                self.problem(path, "type_mismatch",
                             f"cannot order {lt} against {rt} in `{text}`",
                             "ordering applies to numbers and dates; compare ranks for labels")
            return ok
        same = lt.name == rt.name or {lt.name, rt.name} <= {"enum", "str"}
        if lt.name == "enum" and rt.name == "enum" and lt.values != rt.values and not callable(right):
            same = True
        if not same:
            self.problem(path, "type_mismatch", f"cannot compare {lt} with {rt} in `{text}`",
                         f"the left side is {lt}")
        return same


def _getter(text: str) -> Callable[[Context], Any]:
    root, attr = text.split(".")
    get = operator.attrgetter(attr)
    return lambda c: get(c[root])


def _const(value: Any) -> Callable[[Context], Any]:
    return lambda c: value


# One closure per operator, so that a leaf against a constant costs a single Python call:
# `g` is an attrgetter for the validated field name, `v` the validated literal.
_Leaf = Callable[[str, Callable[[Any], Any], Any], Callable[[Context], bool]]
_LEAF_AGAINST_CONSTANT: dict[str, _Leaf] = {
    "==": lambda r, g, v: lambda c: g(c[r]) == v,
    "!=": lambda r, g, v: lambda c: g(c[r]) != v,
    "<": lambda r, g, v: lambda c: g(c[r]) < v,
    "<=": lambda r, g, v: lambda c: g(c[r]) <= v,
    ">": lambda r, g, v: lambda c: g(c[r]) > v,
    ">=": lambda r, g, v: lambda c: g(c[r]) >= v,
    "in": lambda r, g, v: lambda c: g(c[r]) in v,
    "not_in": lambda r, g, v: lambda c: g(c[r]) not in v,
}


def _combine(kind: str, kids: list[Condition]) -> Condition:
    tests = tuple(k.test for k in kids)
    text = f"{kind}: [" + ", ".join(k.text for k in kids) + "]"
    if len(tests) == 1:
        return Condition(kind, kids, text, tests[0])
    if kind == "all":
        if len(tests) == 2:
            a, b = tests
            return Condition(kind, kids, text, lambda c: a(c) and b(c))
        if len(tests) == 3:
            a, b, d = tests
            return Condition(kind, kids, text, lambda c: a(c) and b(c) and d(c))

        def every(c: Context) -> bool:
            for t in tests:  # noqa: SIM110 - a plain loop skips the generator's per-item cost
                if not t(c):
                    return False
            return True

        return Condition(kind, kids, text, every)
    if len(tests) == 2:
        a, b = tests
        return Condition(kind, kids, text, lambda c: a(c) or b(c))
    if len(tests) == 3:
        a, b, d = tests
        return Condition(kind, kids, text, lambda c: a(c) or b(c) or d(c))

    def some(c: Context) -> bool:
        for t in tests:  # noqa: SIM110 - a plain loop skips the generator's per-item cost
            if t(c):
                return True
        return False

    return Condition(kind, kids, text, some)


_NEVER = Condition("any", (), "(invalid condition)", lambda c: False)


def rebuilt(kind: str, children: tuple[Condition, ...], text: str, leaf: Leaf | None) -> Condition:
    """A condition with its closures from its validated structure (how the rules cache
    restores one; see :mod:`cstosim.codegen`), as the compiler built it."""
    if kind == "leaf":
        assert leaf is not None
        return _leaf_of(leaf, text)
    if kind == "not":
        inner = children[0].test
        return Condition("not", children, text, lambda c: not inner(c))
    cond = _combine(kind, list(children))
    cond.text = text
    return cond


def _leaf_of(spec: Leaf, text: str) -> Condition:
    """The closures of a resolved leaf, as :meth:`Compiler._leaf` builds them."""
    left_get = _getter(f"{spec.root}.{spec.attr}")
    test: Callable[[Context], bool]
    if spec.right_root is not None:
        fn, right_get = OPERATORS[spec.op], _getter(f"{spec.right_root}.{spec.right_attr}")
        test = lambda c: bool(fn(left_get(c), right_get(c)))  # noqa: E731 - one closure per leaf
    else:
        right_get = _const(spec.value)
        test = _LEAF_AGAINST_CONSTANT[spec.op](spec.root, operator.attrgetter(spec.attr), spec.value)
    return Condition("leaf", (), text, test, left_get, right_get, OPERATORS[spec.op], spec)


def describe_values(t: Type) -> str:
    return expected_one_of(list(t.values)) if t.name == "enum" else str(t)
