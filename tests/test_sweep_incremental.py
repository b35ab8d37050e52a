"""Incremental sweeps (the frozen case edited, the world built once) reach exactly the
conclusions of the full path (the file's model edited, validated and compiled again)."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

import cstosim
from cstosim import program as pg
from cstosim import sweep as sw
from cstosim.evaluate import conclusions as case_conclusions
from cstosim.evaluate import shared_world

SEEDS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


def axes_for(rules: cstosim.CompiledRules, sc: cstosim.Scenario) -> list[tuple[sw.Axis, ...]]:
    """A few axes for the seed: incident facts when it has incidents, and a parameter."""
    incidents = [e.incident.id for e in sc.spec.events if e.incident]
    num = sorted(k for k, t in rules.param_types.items() if t.name == "num" and k != "chain_depth")
    out: list[tuple[sw.Axis, ...]] = []
    if incidents:
        out.append((sw.parse_axis("incident.days_on_territory=0,1,7,30,200", rules, sc),
                    sw.parse_axis("incident.killed=0,1,3,50", rules, sc)))
        out.append((sw.parse_axis(f"{incidents[0]}.border_delimited=true,false", rules, sc),
                    sw.parse_axis("incident.crossed_border=true,false", rules, sc),
                    sw.parse_axis("incident.state_forces=true,false", rules, sc)))
    for name in num[:2]:
        out.append((sw.parse_axis(f"params.{name}=0,1,2,5,60", rules, sc),))
    # chain_depth reaches admissions (pact chains), the part of the seeds without incidents.
    out.append((sw.parse_axis("params.chain_depth=0,1,2,3", rules, sc),
                sw.parse_axis("params.art2_requires_request=true,false", rules, sc)))
    return out


@pytest.mark.parametrize("seed", SEEDS, ids=[p.stem for p in SEEDS])
def test_incremental_sweep_matches_full_evaluation(seed: Path) -> None:
    rules, sc = cstosim.load_scenario(seed)
    cases = axes_for(rules, sc)
    assert cases
    seen: set[str] = set()
    for axes in cases:
        job = sw.Job(None, str(seed), (), axes)
        combos = list(itertools.product(*(a.values for a in axes)))
        fast = sw.run_chunk(job, combos)
        full = [sw.summary(rules, sw.variant(sc, {}, axes, c)) for c in combos]
        assert fast == full, [a.name for a in axes]
        seen.update(repr(s) for s in full)
    incidents = [e.incident for e in sc.spec.events if e.incident]
    if any(i.actor for i in incidents):
        # Conclusions do vary over the axes, so the lists do not agree by being constant.
        assert len(seen) > 1
    elif incidents:
        # Unrest with no state actor (Osh 2010) reads the same whatever the facts: the
        # comparison above still ran on every combination.
        assert seen
    else:
        # An applications-only seed: what is compared holds its admission decisions.
        assert all("True" in x or "False" in x for x in seen)


@pytest.mark.parametrize("seed", SEEDS, ids=[p.stem for p in SEEDS])
def test_variant_case_is_the_case_the_full_path_builds(seed: Path) -> None:
    rules, sc = cstosim.load_scenario(seed)
    for axes in axes_for(rules, sc):
        for combo in itertools.islice(itertools.product(*(a.values for a in axes)), 12):
            readings: Any = tuple(rules.spec.interpretations)[:1]
            assert (sw.variant_case(sc.case, {}, axes, combo, readings)
                    == sw.variant(sc, {}, axes, combo, readings).case)


def test_a_case_with_applications_never_shares_a_world() -> None:
    seeds = [cstosim.load_scenario(p) for p in SEEDS]
    with_apps = [(r, s) for r, s in seeds if any(e.application for e in s.spec.events)]
    assert with_apps, "a seed with an application is needed for this test"
    rules, sc = with_apps[0]
    assert shared_world(rules.program, sc.case) is None
    without = next((r, s) for r, s in seeds if not any(e.application for e in s.spec.events))
    built = shared_world(without[0].program, without[1].case)
    assert built is not None
    with pytest.raises(ValueError, match="applications"):
        case_conclusions(rules.program, sc.case, built=built)
    assert any(isinstance(e, pg.Application) for e in sc.case.events)


def test_a_boolean_incident_axis_runs_from_the_command_line() -> None:
    """`--vary incident.border_delimited=true,false` used to end in a TypeError traceback."""
    from tests.test_cli import cstosim as run_cli

    seed = next(p for p in SEEDS if p.stem.startswith("syunik"))
    done = run_cli("sweep", seed, "--vary", "incident.border_delimited=true,false")
    assert done.returncode == 0, done.stderr
    assert "incident.border_delimited True -> False" in done.stdout
    assert "Traceback" not in done.stderr


# ---- the dependency map (sweep.Incremental) -------------------------------------------------

WITH_INCIDENTS = [p for p in SEEDS if "incident:" in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("seed", WITH_INCIDENTS, ids=[p.stem for p in WITH_INCIDENTS])
def test_dependency_map_matches_full_evaluation_on_a_dense_grid(seed: Path) -> None:
    """Every variant of a dense grid over incident facts (and a parameter) gets the summary
    full evaluation gives, while most variants are looked up rather than evaluated."""
    rules, sc = cstosim.load_scenario(seed)
    grids = [
        ("incident.days_on_territory=0..40", "incident.killed=0..12", "incident.wounded=0,1,5"),
        ("incident.border_delimited=true,false", "incident.shots_fired=true,false",
         "incident.state_forces=true,false", "incident.days_on_territory=0,1,2,7,30"),
        ("incident.killed=0..6", "params.occupation_min_days=1,7,30"),
    ]
    for texts in grids:
        axes = tuple(sw.parse_axis(t, rules, sc) for t in texts)
        job = sw.Job(None, str(seed), (), axes)
        combos = list(itertools.product(*(a.values for a in axes)))
        sw._PLANS.clear()
        fast = sw.run_chunk(job, combos)
        (plan,) = sw._PLANS.values()
        assert fast == sw.run_chunk(job, combos, incremental=False), texts
        if not any(a.target == "params" for a in axes) and len(combos) > 100:
            assert plan.evaluated * 5 < len(combos), (texts, plan.evaluated)


def test_dependency_map_names_the_leaves_of_each_fact(rules: cstosim.CompiledRules) -> None:
    readers = rules.program.readers
    assert readers["incident.days_on_territory"], "the bundled rules read days_on_territory"
    for path, found in readers.items():
        for r in found:
            assert r.rule in rules.rule_ids
            leaf = r.leaf.leaf
            assert leaf is not None
            assert path in (f"{leaf.root}.{leaf.attr}", f"{leaf.right_root}.{leaf.right_attr}")


@pytest.mark.parametrize("fact", sw.NUMERIC_FACTS + sw.BOOL_FACTS)
def test_each_fact_reaches_only_the_view_fields_the_map_says(fact: str) -> None:
    """The dependency map's premise: a fact reaches evaluation as these fields, no others."""
    import dataclasses
    import datetime as dt

    from cstosim.incidents import incident_view

    base = pg.Incident(id="i", actor="AZE", target="ARM", start=dt.date(2021, 5, 12),
                       state_forces=False, crossed_border=False, days_on_territory=1,
                       depth_km=1.0, killed=1, wounded=1, captured=1, shots_fired=False,
                       border_delimited=False, internal_unrest=False, framed_as_external=False,
                       requests=())
    value = (not getattr(base, fact)) if fact in sw.BOOL_FACTS else getattr(base, fact) + 2
    before = incident_view(base, dt.date(2021, 6, 1))
    after = incident_view(dataclasses.replace(base, **{fact: value}), dt.date(2021, 6, 1))
    changed = {f.name for f in dataclasses.fields(before)
               if getattr(before, f.name) != getattr(after, f.name)}
    assert changed == set(pg.VIEW_FIELDS_OF_FACT[fact])


def test_a_leaf_that_reads_more_than_the_incident_puts_its_axis_in_the_signature() -> None:
    """A comparison of a varied fact with a state's facts cannot be tested alone: the axis
    then counts by value, and the conclusions are still those of full evaluation."""
    import dataclasses

    from cstosim.conditions import Condition, Leaf

    seed = next(p for p in WITH_INCIDENTS if "syunik" in p.name)
    rules, sc = cstosim.load_scenario(seed)
    odd = Condition("leaf", (), "incident.state_forces == victim.former_soviet", lambda c: True,
                    leaf=Leaf("incident", "state_forces", "==", None, "victim", "former_soviet"))
    program = dataclasses.replace(rules.program, readers={
        **rules.program.readers,
        "incident.state_forces": (*rules.program.readers.get("incident.state_forces", ()),
                                  pg.Reader("odd", odd))})
    axes = (sw.parse_axis("incident.state_forces=true,false", rules, sc),
            sw.parse_axis("incident.killed=0..5", rules, sc))
    plan = sw.Incremental(program, sc.case, {}, axes, None, shared_world(program, sc.case))
    assert plan.by_value == (0,)
    combos = list(itertools.product(*(a.values for a in axes)))
    assert [plan.summary(c) for c in combos] == [
        sw.case_summary(program, sw.variant_case(sc.case, {}, axes, c)) for c in combos]
