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
