"""Conditions compiled to code agree with the closure compiler (the reference)."""

from __future__ import annotations

import datetime as dt
import types
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import cstosim
from cstosim.codegen import install, to_code
from cstosim.conditions import BOOL, DATE, NUM, STR, Compiler, Condition, Schema, Type, enum
from cstosim.errors import Diagnostic, Location

ROOT = Path(__file__).resolve().parent.parent
LABELS = ("border_incident", "armed_attack", "aggression")
SCHEMA: Schema = {
    "incident.killed": NUM, "incident.depth_km": NUM, "incident.border_delimited": BOOL,
    "incident.start": DATE, "incident.note": STR, "classification.label": enum(*LABELS),
    "params.limit": NUM, "params.since": DATE, "params.flag": BOOL,
}
DATES = st.dates(dt.date(2020, 1, 1), dt.date(2023, 12, 31))
NUMS = st.integers(-3, 30) | st.floats(-3, 30, allow_nan=False)
WORDS = st.sampled_from(["a", "b", "x y", "it's", "__import__('os')"])


def value_of(t: Type) -> st.SearchStrategy[Any]:
    return {"num": NUMS, "bool": st.booleans(), "date": DATES, "str": WORDS}.get(
        t.name, st.sampled_from(t.values or ("",)))


def literal(t: Type) -> st.SearchStrategy[str]:
    if t.name == "num":
        return NUMS.map(repr)
    if t.name == "bool":
        return st.sampled_from(["true", "false"])
    if t.name == "date":
        return DATES.map(dt.date.isoformat)
    if t.name == "str":
        return st.sampled_from(["a", "'x y'", '"it\'s"', "'__import__(1)'"])
    return st.sampled_from(t.values)


@st.composite
def leaf(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(sorted(SCHEMA)))
    t = SCHEMA[path]
    same = [p for p in SCHEMA if SCHEMA[p].name == t.name and p != path]
    ops = ["==", "!="] + (["<", "<=", ">", ">="] if t.name in ("num", "date") else [])
    if t.name in ("enum", "str"):
        ops += ["in", "not_in"]
    op = draw(st.sampled_from(ops))
    if op in ("in", "not_in"):
        items = draw(st.lists(literal(t), max_size=3))
        return f"{path} {op} [{', '.join(items)}]"
    if same and draw(st.booleans()):
        return f"{path} {op} {draw(st.sampled_from(same))}"
    return f"{path} {op} {draw(literal(t))}"


conditions = st.recursive(
    leaf() | st.just(True),
    lambda kids: (st.builds(lambda k: {"all": k}, st.lists(kids, max_size=4))
                  | st.builds(lambda k: {"any": k}, st.lists(kids, max_size=4))
                  | st.builds(lambda k: {"not": k}, kids)),
    max_leaves=12)


def context_for(schema: Schema) -> st.SearchStrategy[dict[str, Any]]:
    roots = sorted({p.split(".")[0] for p in schema})
    return st.fixed_dictionaries({
        root: st.fixed_dictionaries({p.split(".")[1]: value_of(t) for p, t in schema.items()
                                     if p.startswith(root + ".")}).map(lambda d: SimpleNamespace(**d))
        for root in roots})


def compiled(raw: Any, schema: Schema = SCHEMA) -> Condition:
    problems: list[Diagnostic] = []
    cond = Compiler(lambda p: Location("t.yaml", 1, 1), problems).compile(raw, schema, ("when",))
    assert not problems, problems
    return install(cond)


@given(conditions, st.lists(context_for(SCHEMA), min_size=1, max_size=5))
def test_code_agrees_with_closures_on_generated_conditions(raw: Any, ctxs: list[Any]) -> None:
    cond = compiled(raw)
    for c in ctxs:
        assert bool(cond.test(c)) == bool(cond.closure(c)) == cond.record(c).result


RULES = cstosim.load_rules()
WHENS = [(kind, rule.id, rule.when) for kind, group in (
    ("commitment", RULES.commitments), ("gate", tuple(RULES.gates.values())),
    ("stance", RULES.stances), ("classification", RULES.classification),
    ("tension", RULES.tensions)) for rule in group]


def test_every_bundled_condition_runs_as_code() -> None:
    assert len(WHENS) > 20
    for _kind, rule_id, cond in WHENS:
        if cond.kind == "leaf" or cond.children:
            assert isinstance(cond.test, types.FunctionType), rule_id
            assert cond.test is not cond.closure, rule_id
            assert cond.test.__code__.co_filename.startswith("<condition")


ALL_PATHS: dict[str, Type] = {}
for _schema in RULES.schemas.values():
    for _path, _type in _schema.items():
        ALL_PATHS.setdefault(_path, _type)


@given(context_for(ALL_PATHS))
def test_bundled_conditions_as_code_agree_with_closures(ctx: dict[str, Any]) -> None:
    """One context holds every path any rule reads, so every bundled condition runs on it."""
    for _kind, rule_id, cond in WHENS:
        assert bool(cond.test(ctx)) == bool(cond.closure(ctx)), rule_id


def test_values_are_constants_or_cells_never_text() -> None:
    cond = compiled({"all": ["incident.note == '__import__(1)'", "incident.start >= 2021-05-12",
                             "classification.label in [aggression, armed_attack]"]})
    code = cond.test.__code__
    assert "__import__(1)" in code.co_consts
    assert frozenset({"aggression", "armed_attack"}) in code.co_consts
    assert code.co_names == ("note", "start", "label")  # only validated field names
    assert cond.test.__closure__ is not None
    assert [cell.cell_contents for cell in cond.test.__closure__] == [dt.date(2021, 5, 12)]
    assert cond.test.__globals__ == {"__builtins__": {}}
    ctx = {"incident": SimpleNamespace(note="__import__(1)", start=dt.date(2021, 6, 1)),
           "classification": SimpleNamespace(label="aggression")}
    assert cond.test(ctx) is True


def test_a_field_that_is_not_a_name_is_refused() -> None:
    cond = compiled("incident.killed > 0")
    assert cond.leaf is not None
    object.__setattr__(cond.leaf, "attr", "killed or 1")
    with pytest.raises(ValueError, match="not a field name"):
        to_code(cond)


def test_a_parameter_named_like_a_python_keyword_compiles_and_agrees() -> None:
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    text = text.replace("parameters:\n", "parameters:\n  class: {value: 3, meaning: m, source: s}\n", 1)
    text = text.replace("incident.days_on_territory >= params.occupation_min_days",
                        "incident.days_on_territory >= params.class", 1)
    rules = cstosim.rules_from_text(text, "keyword.yaml")
    _, scenario = cstosim.load_scenario(ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml", rules)
    report = cstosim.evaluate(rules, scenario, explain="full")
    assert {c.interpretation: c.label for c in report.classifications}["treaty_text"] == "aggression"


# The paths issue 12 added: the incident's pair, the commitment's bond and the victim's
# requests, the decider's partners, and the new incident facts.
NEW_PATHS: Schema = {p: t for p, t in ALL_PATHS.items()
                     if p.split(".")[0] in ("pair", "bond", "request", "partners")
                     or p in ("incident.shelling", "incident.weapons_used", "incident.duration_days",
                              "incident.irregulars_sent", "incident.killed", "params.force_min_killed")}


@st.composite
def new_leaf(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(sorted(NEW_PATHS)))
    t = NEW_PATHS[path]
    same = [p for p in NEW_PATHS if NEW_PATHS[p].name == t.name and p != path]
    op = draw(st.sampled_from(["==", "!="] + (["<", ">="] if t.name == "num" else [])))
    if same and draw(st.booleans()):
        return f"{path} {op} {draw(st.sampled_from(same))}"
    return f"{path} {op} {draw(literal(t))}"


new_conditions = st.recursive(
    new_leaf(), lambda kids: (st.builds(lambda k: {"all": k}, st.lists(kids, max_size=3))
                              | st.builds(lambda k: {"not": k}, kids)), max_leaves=8)


@given(new_conditions, st.lists(context_for(NEW_PATHS), min_size=1, max_size=4))
def test_code_agrees_with_closures_on_pair_bond_request_and_partner_paths(
        raw: Any, ctxs: list[Any]) -> None:
    assert {p.split(".")[0] for p in NEW_PATHS} >= {"pair", "bond", "request", "partners"}
    cond = compiled(raw, NEW_PATHS)
    for c in ctxs:
        assert bool(cond.test(c)) == bool(cond.closure(c)) == cond.record(c).result
