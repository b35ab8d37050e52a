"""The real engine agrees with the naive reference evaluator on generated scenarios."""

from __future__ import annotations

from pathlib import Path

import naive
from hypothesis import given
from hypothesis import strategies as st

import cstosim
from cstosim import model as m
from cstosim import testing
from cstosim.api import Scenario

RULES = cstosim.load_rules()
ROOT = Path(__file__).resolve().parent.parent


@st.composite
def incident_scenarios(draw: st.DrawFn) -> m.ScenarioFile:
    """Scenarios of incidents only, on the baseline world (what the naive evaluator covers)."""
    as_of = draw(testing.dates(RULES))
    n = draw(st.integers(1, 3))
    events = [m.Event(incident=draw(testing.incidents(RULES, as_of, f"inc{i}"))) for i in range(n)]
    params = draw(st.fixed_dictionaries({}, optional={
        "occupation_min_days": st.integers(0, 60), "frontier_max_killed": st.integers(0, 30),
        "art4_requires_request": st.booleans(), "art2_requires_request": st.booleans()}))
    return m.ScenarioFile(cstosim=1, name="differential", as_of=as_of, events=events, params=params)


@given(incident_scenarios())
def test_engine_agrees_with_naive_reference(spec: m.ScenarioFile) -> None:
    expected_labels, expected_owed = naive.evaluate(RULES, spec)
    report = cstosim.evaluate(RULES, Scenario(spec, "<generated>", ()), explain="off")
    labels = {(c.incident, c.interpretation): c.label for c in report.classifications}
    owed = {(o.commitment, o.debtor, o.creditor, o.incident, o.interpretation)
            for o in report.obligations if o.depth == 0}
    assert labels == expected_labels
    assert owed == expected_owed


def test_reference_is_not_vacuous() -> None:
    """On the 2021 incursion the naive evaluator itself finds the disagreement and Art. 2."""
    _, scenario = cstosim.load_scenario(ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml", RULES)
    labels, owed = naive.evaluate(RULES, scenario.spec)
    assert labels[("syunik_2021", "secretariat")] == "border_incident"
    assert labels[("syunik_2021", "victim")] == "aggression"
    assert ("cst_art2_2010", "RUS", "ARM", "syunik_2021", "secretariat") in owed
