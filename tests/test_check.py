"""`cstosim check`: the properties hold on the default rules, and each deliberately broken
rules file fails with the right property id and a counterexample that reproduces the failure."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings as hsettings

import cstosim
from cstosim import testing
from cstosim.compile import CompiledRules
from cstosim.properties import PROPERTIES, dump_scenario

ROOT = Path(__file__).resolve().parent.parent
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "ci"
EXAMPLES = 500 if THOROUGH else 60

# Each broken rules file is the default rules with one deliberate flaw: (old, new) text edits.
BROKEN: dict[str, list[tuple[str, str] | tuple[str, str, int]]] = {
    # A classification gap: incidents with no actor and no unrest fall through.
    "classification_total": [("  - id: unattributed_event\n    label: no_violation\n",
                              "  - id: unattributed_event\n    label: no_violation\n    enabled: false\n")],
    # Two overlapping labels, and the rules no longer say how to resolve them.
    "classification_unambiguous": [("classification_overlap: most_severe_wins",
                                    "classification_overlap: forbidden")],
    # A non-monotone threshold: more deaths turn aggression back into a border incident.
    # Every rule with the undelimited-border exception gets it (occupation, bombardment and
    # attack on forces), so that no unbroken rule masks the broken one.
    "monotonicity": [("params.undelimited_border_excuses == false, "
                      "incident.killed > params.frontier_max_killed]",
                      "params.undelimited_border_excuses == false, "
                      "incident.killed < params.frontier_max_killed]", 3)],
    # An obligation without a commitment in force: Art. 4 dated before the treaty entered into force.
    "obligation_backed": [("    from: 1994-04-20\n    until: 2012-12-19\n    owed_by: other_parties\n"
                           "    strength: immediate\n    military: true",
                           "    from: 1992-05-15\n    until: 2012-12-19\n    owed_by: other_parties\n"
                           "    strength: immediate\n    military: true")],
    # A veto that does not block.
    "veto_blocks": [("  csc_consensus:\n    rule: consensus\n    objection: blocks",
                     "  csc_consensus:\n    rule: consensus\n    objection: does_not_block"),
                    ("  pa_council_consensus:\n    rule: consensus\n    objection: blocks",
                     "  pa_council_consensus:\n    rule: consensus\n    objection: does_not_block")],
    # A tier order violation: the PA partner tier claims the members' rights.
    "tier_order": [("        rights: [consultative_vote, draft_documents, collective_decisions]\n"
                    "        includes: [observer]",
                    "        rights: [consultative_vote, draft_documents, collective_decisions]\n"
                    "        includes: [member]")],
}


def broken_rules(tmp_path: Path, prop: str) -> Path:
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    for old, new, *count in BROKEN[prop]:
        assert text.count(old) == (count[0] if count else 1), (
            f"edit for {prop} no longer applies: {old!r}")
        text = text.replace(old, new)
    path = tmp_path / f"broken_{prop}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def cli(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["cstosim", *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=900, check=False)


@pytest.mark.parametrize("prop", sorted(BROKEN))
def test_check_fails_on_broken_rules_with_a_runnable_counterexample(prop: str, tmp_path: Path) -> None:
    rules = broken_rules(tmp_path, prop)
    out = tmp_path / "cx"
    # Monotonicity's break shows only on undelimited borders under a reading that excuses
    # them, with none of the other acts of force present: rarer since those facts exist.
    examples = "2000" if prop == "monotonicity" else "500"
    done = cli("check", "--rules", rules, "--property", prop, "--examples", examples, "--seed", "1",
               "--out", out)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"FAIL {prop}" in done.stdout
    counterexample = out / f"{prop}.yaml"
    assert counterexample.is_file()
    text = counterexample.read_text(encoding="utf-8")
    assert f"properties:\n  - {prop}" in text
    # The counterexample names the broken rules and reproduces the failure when run.
    rerun = cli("run", counterexample, cwd=tmp_path)
    assert rerun.returncode == 1, rerun.stdout + rerun.stderr
    assert f"property `{prop}` violated" in rerun.stderr
    retest = cli("test", counterexample, cwd=tmp_path)
    assert retest.returncode == 1 and f"property `{prop}` holds" in retest.stdout
    # With the default rules the same scenario satisfies the property.
    fixed = cli("test", counterexample, "--rules", ROOT / "rules.yaml", cwd=tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_check_passes_on_the_default_rules(tmp_path: Path) -> None:
    done = cli("check", "--examples", str(EXAMPLES), "--seed", "3", "--out", tmp_path / "cx")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("ok  ") == len(PROPERTIES)
    assert "all properties hold" in done.stdout
    assert not (tmp_path / "cx").exists()
    # not a terminal: no progress bar, one summary line with the figures
    assert f"checked {len(PROPERTIES)} properties on {len(PROPERTIES) * EXAMPLES:,} scenarios in " \
        in done.stderr
    assert "\x1b[" not in done.stderr and len(done.stderr.splitlines()) == 2


def test_check_bad_input_exits_2(tmp_path: Path) -> None:
    done = cli("check", "--property", "monotonicty")
    assert done.returncode == 2 and "did you mean `monotonicity`" in done.stderr
    missing = cli("check", "--rules", tmp_path / "nope.yaml")
    assert missing.returncode == 2 and "error[file_not_found]" in missing.stderr


def test_existing_counterexample_is_not_overwritten(tmp_path: Path) -> None:
    rules = broken_rules(tmp_path, "tier_order")
    out = tmp_path / "cx"
    out.mkdir()
    (out / "tier_order.yaml").write_text("keep me\n", encoding="utf-8")
    done = cli("check", "--rules", rules, "--property", "tier_order", "--examples", "20", "--out", out)
    assert done.returncode == 1
    assert (out / "tier_order.yaml").read_text(encoding="utf-8") == "keep me\n"
    assert (out / "tier_order-2.yaml").is_file()


@pytest.mark.parametrize("prop", PROPERTIES, ids=lambda p: p.id)
def test_property_holds_on_default_rules(prop: object, rules: CompiledRules) -> None:
    @hsettings(max_examples=max(10, EXAMPLES // 3))
    @given(testing.scenarios(rules))
    def holds(scenario: cstosim.Scenario) -> None:
        assert prop.check(rules, scenario) == []  # type: ignore[attr-defined]  # parametrized Property

    holds()


@given(testing.scenario_specs(cstosim.load_rules()))
def test_round_trip_of_generated_scenarios(spec: object) -> None:
    rules = cstosim.load_rules()
    again = cstosim.scenario_from_text(dump_scenario(spec), rules).spec  # type: ignore[arg-type]  # strategy type
    assert again == spec


def test_rules_round_trip(rules: CompiledRules) -> None:
    import yaml

    data = rules.spec.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    again = cstosim.rules_from_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    assert again.spec == rules.spec


def test_generated_joins_to_a_proposed_tier_come_with_its_adoption(rules: CompiledRules) -> None:
    import datetime as dt

    from cstosim import model as m

    join = m.Change(join=m.Join(state="SRB", body="PA_CSTO", tier="partner", on=dt.date(2022, 1, 1)))
    member = m.Change(join=m.Join(state="SRB", body="CSTO", tier="member", on=dt.date(2022, 1, 1)))
    out = testing._adopting(rules, [join, member])
    adopts = [c.adopt_tier for c in out if c.adopt_tier]
    assert [(a.body, a.tier, a.on) for a in adopts] == [("PA_CSTO", "partner", dt.date(2022, 1, 1))]
    spec = m.ScenarioFile(cstosim=1, name="g", as_of=dt.date(2022, 6, 1), changes=out)
    cstosim.scenario_from_text(dump_scenario(spec), rules)  # loads: the join is allowed


def test_round_trip_reports_a_scenario_that_does_not_load_back(rules: CompiledRules) -> None:
    # A generator (or user strategy) drawing an invalid scenario is a violation to shrink and
    # report, not a crash of `cstosim check`.
    import datetime as dt

    from cstosim import model as m
    from cstosim.properties import BY_ID

    join = m.Change(join=m.Join(state="SRB", body="PA_CSTO", tier="partner", on=dt.date(2022, 1, 1)))
    spec = m.ScenarioFile(cstosim=1, name="g", as_of=dt.date(2022, 6, 1), changes=[join])
    found = BY_ID["round_trip"].check(rules, cstosim.Scenario(spec, "<generated>", ()))
    assert len(found) == 1 and "error[tier_not_in_force]" in found[0]


def test_budget_cuts_short_and_says_so(tmp_path: Path) -> None:
    done = cli("check", "--examples", "100000", "--budget", "0", "--out", tmp_path / "cx")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "all properties hold" not in done.stdout
    assert done.stdout.count("cut  ") == len(PROPERTIES)
    assert "of 100000 scenarios, budget spent" in done.stdout
    assert f"{len(PROPERTIES)} of {len(PROPERTIES)} properties were cut short by --budget" in done.stdout


def test_budget_still_finds_and_writes_a_counterexample(tmp_path: Path) -> None:
    # the budget stops generation, never a shrink under way: the counterexample is whole
    rules = broken_rules(tmp_path, "tier_order")
    done = cli("check", "--rules", rules, "--property", "tier_order", "--examples", "1000000",
               "--budget", "5", "--out", tmp_path / "cx")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "FAIL tier_order" in done.stdout and (tmp_path / "cx" / "tier_order.yaml").is_file()


def test_same_seed_same_scenarios_on_one_worker_or_two(rules: CompiledRules) -> None:
    from cstosim.check import check_rules

    seen: dict[int, list[tuple[str, int, bool]]] = {1: [], 2: []}
    one = check_rules(rules, examples=12, seed=5, only=("tier_order", "gate_blocks"), jobs=1,
                      progress=lambda *a: seen[1].append(a))
    two = check_rules(rules, examples=12, seed=5, only=("tier_order", "gate_blocks"), jobs=2,
                      progress=lambda *a: seen[2].append(a))
    assert one == two
    assert [r.id for r in one] == ["tier_order", "gate_blocks"]  # the registry's order
    for runs in seen.values():  # every property ends with a "done" message
        assert {(pid, done) for pid, _, done in runs if done} == {("tier_order", True),
                                                                  ("gate_blocks", True)}


def test_shards_split_examples() -> None:
    from cstosim.check import SHARD, shards

    assert shards(1) == [1]
    assert shards(SHARD) == [SHARD]
    assert shards(2 * SHARD + 3) == [SHARD, SHARD, 3]
    assert sum(shards(500)) == 500


def _children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        if f"\nPPid:\t{pid}\n" in text:
            found.append(int(status.parent.name))
    return found


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads workers from /proc")
@pytest.mark.parametrize(("sig", "code"), [("SIGINT", 130), ("SIGTERM", 143)])
def test_interrupt_exits_and_takes_the_workers_down(sig: str, code: int, tmp_path: Path) -> None:
    import signal
    import time

    proc = subprocess.Popen(["cstosim", "check", "--examples", "1000000", "--jobs", "2",
                             "--out", str(tmp_path / "cx")], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    workers: list[int] = []
    for _ in range(600):  # wait (up to a minute) until both workers run
        workers = _children(proc.pid)
        if len(workers) >= 2:
            break
        time.sleep(0.1)
    assert len(workers) >= 2
    time.sleep(0.5)
    proc.send_signal(getattr(signal, sig))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    for w in workers:
        assert not Path(f"/proc/{w}").exists() or "State:\tZ" in Path(f"/proc/{w}/status").read_text()


def test_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    from helpers import on_terminal

    code, shown, _ = on_terminal(["cstosim", "check", "--examples", "10", "--property", "tier_order",
                                  "--out", str(tmp_path / "cx")], env={"COLUMNS": "100"},
                                 stdout_too=False)
    assert code == 0
    assert "1 properties" in shown and "\x1b[" in shown  # rich drew (and then cleared) a bar


def test_a_failure_skips_later_shards_and_its_counterexample_does_not_depend_on_workers(
        tmp_path: Path) -> None:
    from cstosim.check import SHARD, check_rules

    broken = cstosim.load_rules(broken_rules(tmp_path, "tier_order"))
    one = check_rules(broken, examples=4 * SHARD, seed=2, only=("tier_order",), jobs=1)
    two = check_rules(broken, examples=4 * SHARD, seed=2, only=("tier_order",), jobs=2)
    assert not one[0].passed and not two[0].passed
    assert one[0].counterexample == two[0].counterexample
    assert one[0].examples < 4 * SHARD  # tier_order fails on any scenario: shard 0 fails, the rest skip
