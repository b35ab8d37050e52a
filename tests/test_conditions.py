"""The condition language: parsing, typing, semantics, tracing, and hostile text staying inert."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cstosim.conditions import BOOL, DATE, NUM, Compiler, Condition, enum
from cstosim.errors import Diagnostic, Location

SCHEMA = {"incident.killed": NUM, "incident.border_delimited": BOOL, "incident.start": DATE,
          "classification.label": enum("border_incident", "aggression"), "params.limit": NUM}


def compile_ok(raw: Any) -> Condition:
    problems: list[Diagnostic] = []
    cond = Compiler(lambda p: Location("t.yaml", 1, 1), problems).compile(raw, SCHEMA, ("when",))
    assert not problems, problems
    return cond


def problems_of(raw: Any) -> list[str]:
    problems: list[Diagnostic] = []
    Compiler(lambda p: Location("t.yaml", 1, 1), problems).compile(raw, SCHEMA, ("when",))
    return [p.code for p in problems]


def ctx(killed: int = 0, delimited: bool = True, label: str = "border_incident",
        limit: int = 3) -> dict[str, Any]:
    return {"incident": SimpleNamespace(killed=killed, border_delimited=delimited,
                                        start=dt.date(2021, 5, 12)),
            "classification": SimpleNamespace(label=label),
            "params": SimpleNamespace(limit=limit)}


@given(st.integers(0, 100), st.integers(0, 100), st.booleans())
def test_compiled_conditions_agree_with_python(killed: int, limit: int, delimited: bool) -> None:
    cond = compile_ok({"any": [{"all": ["incident.killed >= params.limit",
                                        "incident.border_delimited == true"]},
                               {"not": "classification.label in [border_incident]"}]})
    c = ctx(killed, delimited, "border_incident", limit)
    expected = (killed >= limit and delimited) or False
    assert cond.test(c) is expected
    trace = cond.record(c)
    assert trace.result is expected
    assert [t.text for t in trace.leaves()] == ["incident.killed >= params.limit",
                                       "incident.border_delimited == true",
                                       "classification.label in [border_incident]"]


def test_true_means_always_and_dates_compare() -> None:
    assert compile_ok(True).test(ctx())
    assert compile_ok("incident.start < 2021-06-01").test(ctx())
    assert not compile_ok("incident.start >= 2021-06-01").test(ctx())


@pytest.mark.parametrize(("raw", "code"), [
    ("incident.kiled > 0", "unknown_path"),
    ("incidnt.killed > 0", "unknown_path"),
    ("classification.label == agression", "unknown_value"),
    ("incident.killed >= true", "type_mismatch"),
    ("classification.label < 2", "type_mismatch"),
    ("incident.killed", "bad_comparison"),
    ("incident.killed >= 2021-02-30", "invalid_date"),
    ("incident.killed in 3", "bad_comparison"),
    ({"every": ["incident.killed > 0"]}, "bad_condition"),
    ({"all": "incident.killed > 0"}, "bad_condition"),
    (["incident.killed > 0"], "bad_condition"),
    (3, "bad_condition"),
])
def test_bad_conditions_are_reported(raw: Any, code: str) -> None:
    assert problems_of(raw) == [code]


def test_all_problems_in_one_condition_are_reported() -> None:
    assert problems_of({"all": ["incident.kiled > 0", "classification.label == agression"]}) == [
        "unknown_path", "unknown_value"]


HOSTILE = [
    "__import__('os').system('touch /tmp/cstosim-pwned') == 1",
    "incident.killed == __import__('os')",
    "incident.killed == 1; import os",
    "incident.__class__ == 1",
    "incident.killed == '); import os; ('",
    "params.limit == ${HOME}",
    "incident.killed == {{7*7}}",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_is_refused_or_inert(text: str, tmp_path: Any) -> None:
    problems: list[Diagnostic] = []
    cond = Compiler(lambda p: Location("t.yaml", 1, 1), problems).compile(text, SCHEMA, ("when",))
    if not problems:
        # Accepted only as a plain string literal compared by equality: never evaluated.
        assert cond.test(ctx()) is False
    assert not (tmp_path / "cstosim-pwned").exists()
    import os.path
    assert not os.path.exists("/tmp/cstosim-pwned")


def test_blockers_keep_the_structure() -> None:
    # any: [all: [killed >= limit, delimited], not: label in [border_incident]]
    cond = compile_ok({"any": [{"all": ["incident.killed >= params.limit",
                                        "incident.border_delimited == true"]},
                               {"not": "classification.label in [border_incident]"}]})
    # Both alternatives fail: the failing leaf of the `all`, and the negated leaf that holds.
    blockers = cond.record(ctx(0, True, "border_incident", 5)).blockers()
    assert [(b.text, want) for b, want in blockers] == [
        ("incident.killed >= params.limit", True),
        ("classification.label in [border_incident]", False)]
    # One alternative holds: nothing blocks, although `killed >= limit` is false.
    trace = cond.record(ctx(0, True, "aggression", 5))
    assert trace.result and not trace.blockers()
    assert [x.result for x in trace.leaves()] == [False, True, False]
    # Wanting it false lists what holds in every alternative that holds.
    assert [(b.text, w) for b, w in trace.blockers(want=False)] == [
        ("classification.label in [border_incident]", True)]
