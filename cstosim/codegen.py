"""Validated conditions compiled to Python code, built as an ``ast`` tree.

:mod:`cstosim.conditions` checks a ``when:`` block and compiles it to closures, one per
node. Each closure is a Python call, so a condition of ten leaves costs ten calls or more.
Here the same, already validated tree becomes the body of one function::

    all: [incident.killed > 0, incident.requested_art4 == true]
    ->  lambda c: c['incident'].killed > 0 and c['incident'].requested_art4 == True

The function is built node by node with :mod:`ast`, never from text:

- every name is a root and a field from the resolved leaf (:class:`cstosim.conditions.Leaf`),
  which the compiler checked against the scope's schema; an attribute name that is not a
  plain identifier is refused;
- every user value is an ``ast.Constant`` when Python can hold it as one (numbers, text,
  booleans, frozensets of those); any other value (a date, a set holding one) is bound in a
  closure cell of the generated factory and read by a generated name, never turned into text.

The module tree is passed to ``compile()`` once per condition. User text is never parsed or
executed as Python. The closures stay as the reference: ``Condition.closure`` keeps them and
the tests run both on generated contexts.
"""

from __future__ import annotations

import ast
import contextlib
import copyreg
import datetime as dt
import types
from collections.abc import Callable
from typing import Any, cast

from cstosim.conditions import _NEVER as NEVER
from cstosim.conditions import TRUE, Condition, Context, Leaf, rebuilt

_CMP: dict[str, type[ast.cmpop]] = {
    "==": ast.Eq, "!=": ast.NotEq, "<": ast.Lt, "<=": ast.LtE, ">": ast.Gt, ">=": ast.GtE,
    "in": ast.In, "not_in": ast.NotIn,
}
_CONSTANT_TYPES = (bool, int, float, str)
_CTX = "c"
_FACTORY = "_factory"
_TEST = "_test"


class _Builder:
    """Builds one condition's expression; values that cannot be constants become cells."""

    def __init__(self) -> None:
        self.cells: list[Any] = []

    def value(self, v: Any) -> ast.expr:
        if isinstance(v, _CONSTANT_TYPES) or (
                isinstance(v, frozenset) and all(isinstance(x, _CONSTANT_TYPES) for x in v)):
            return ast.Constant(cast(Any, v))  # a frozenset of constants is one constant
        if not isinstance(v, (dt.date, frozenset)):
            raise TypeError(f"no code for a value of type {type(v).__name__}")
        self.cells.append(v)
        return ast.Name(f"_v{len(self.cells) - 1}", ast.Load())

    @staticmethod
    def path(root: str, attr: str) -> ast.expr:
        # A keyword such as `class` is a valid parameter name and a valid ast.Attribute.
        if not attr.isidentifier():
            raise ValueError(f"`{attr}` is not a field name")
        return ast.Attribute(
            ast.Subscript(ast.Name(_CTX, ast.Load()), ast.Constant(root), ast.Load()),
            attr, ast.Load())

    def leaf(self, leaf: Leaf) -> ast.expr:
        if leaf.right_root is not None:
            assert leaf.right_attr is not None
            right = self.path(leaf.right_root, leaf.right_attr)
        else:
            right = self.value(leaf.value)
        return ast.Compare(self.path(leaf.root, leaf.attr), [_CMP[leaf.op]()], [right])

    def expr(self, cond: Condition) -> ast.expr:
        if cond.kind == "leaf":
            assert cond.leaf is not None
            return self.leaf(cond.leaf)
        kids = [self.expr(k) for k in cond.children]
        if cond.kind == "not":
            return ast.UnaryOp(ast.Not(), kids[0])
        if not kids:
            return ast.Constant(cond.kind == "all")
        if len(kids) == 1:
            return kids[0]
        return ast.BoolOp(ast.And() if cond.kind == "all" else ast.Or(), kids)


def to_code(cond: Condition) -> Callable[[Context], bool]:
    """One Python function equal to ``cond.closure``, compiled from an ``ast`` tree."""
    b = _Builder()
    body = b.expr(cond)
    names = [f"_v{i}" for i in range(len(b.cells))]
    test = ast.FunctionDef(
        name=_TEST,
        args=ast.arguments(posonlyargs=[], args=[ast.arg(_CTX)], vararg=None, kwonlyargs=[],
                           kw_defaults=[], kwarg=None, defaults=[]),
        body=[ast.Return(body)], decorator_list=[], returns=None)
    factory = ast.FunctionDef(
        name=_FACTORY,
        args=ast.arguments(posonlyargs=[], args=[ast.arg(n) for n in names], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=[test, ast.Return(ast.Name(_TEST, ast.Load()))], decorator_list=[], returns=None)
    for fn_def in (test, factory):
        vars(fn_def)["type_params"] = []  # a required field from Python 3.12 on
    module = ast.fix_missing_locations(ast.Module(body=[factory], type_ignores=[]))
    code = compile(module, f"<condition {cond.text[:60]!r}>", "exec", dont_inherit=True)
    # The module's one constant that is code is the factory; build the function from it
    # directly rather than running the module.
    factory_code = next(k for k in code.co_consts if isinstance(k, types.CodeType))
    make = _function(factory_code)
    fn: Callable[[Context], bool] = make(*b.cells)
    return fn


def _function(code: types.CodeType) -> Callable[..., Any]:
    return types.FunctionType(code, {"__builtins__": {}})


def install(cond: Condition) -> Condition:
    """Make code ``cond``'s ``test`` (``cond.closure`` keeps the reference). Conditions
    too deep for Python's compiler keep their closures."""
    if cond.kind != "leaf" and not cond.children:
        return cond  # TRUE and the never-true condition: shared, and already one call
    with contextlib.suppress(RecursionError, MemoryError, ValueError):
        cond.test = to_code(cond)
    return cond


# Pickling (the rules cache, :mod:`cstosim.cache`): a condition is stored as its validated
# structure, never as code, and its closures and code are built again on load. Registered
# here rather than as ``Condition.__reduce__`` because restoring the code needs this module.
def _reduce(cond: Condition) -> str | tuple[Any, ...]:
    if cond is TRUE:
        return "TRUE"  # shared: stays the one object (by name in cstosim.conditions)
    if cond is NEVER:
        return "_NEVER"
    return (_restore, (cond.kind, cond.children, cond.text, cond.leaf, cond.test is not cond.closure))


def _restore(kind: str, children: tuple[Condition, ...], text: str, leaf: Leaf | None,
             coded: bool) -> Condition:
    cond = rebuilt(kind, children, text, leaf)
    return install(cond) if coded else cond


copyreg.pickle(Condition, _reduce)
