"""`cstosim prove`: the default rules pass every proof; each deliberately broken rules file
fails the right proof with a message naming the rule, and the counterexample scenario it writes
fails `cstosim test` against the broken rules and passes against the default ones."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import z3  # the `prove` extra; `dev` includes it, so CI runs these
from typer.testing import CliRunner

from cstosim import compile as compile_
from cstosim import program as pg
from cstosim.admissions import decide
from cstosim.api import DEFAULT_RULES, load_rules, rules_from_text
from cstosim.cli import app
from cstosim.prove import PROOF_IDS, _incident_domain, _Reading, formula, prove_rules
from cstosim.report import Stance

ROOT = Path(__file__).resolve().parent.parent
RULES_TEXT = DEFAULT_RULES.read_text(encoding="utf-8")
runner = CliRunner()

# The two edits of issue 14 that every seed expectation and sampled property let through.
ART4_ON_BORDER_INCIDENTS = ("""      all:
        - classification.label == aggression
        - any: [incident.requested_art4 == true, params.art4_requires_request == false]""",
                            """      all:
        - classification.rank >= 2
        - any: [incident.requested_art4 == true, params.art4_requires_request == false]""")
ABSENCE_BLOCKS = ("""    abstention: does_not_block
    absence: does_not_block
    meaning: Collective""", """    abstention: does_not_block
    absence: blocks
    meaning: Collective""")

BROKEN: dict[str, tuple[str, str]] = {
    "defence_on_aggression": ART4_ON_BORDER_INCIDENTS,
    "stay_out_does_not_block": ABSENCE_BLOCKS,
    "classification_total": ("  - id: unattributed_event\n    label: no_violation\n",
                             "  - id: unattributed_event\n    label: no_violation\n    enabled: false\n"),
    "monotonicity": ("params.gravity_min_killed]\n        - any: [incident.border_delimited == true, "
                     "params.undelimited_border_excuses == false, "
                     "incident.killed > params.frontier_max_killed]",
                     "params.gravity_min_killed]\n        - any: [incident.border_delimited == true, "
                     "params.undelimited_border_excuses == false, "
                     "incident.killed < params.frontier_max_killed]"),
    "veto_blocks": ("  csc_consensus:\n    rule: consensus\n    objection: blocks",
                    "  csc_consensus:\n    rule: consensus\n    objection: does_not_block"),
    "obligation_needs_violation": ("    when: classification.rank >= params.art1_min_rank",
                                   "    when: classification.rank >= 0"),
    "rule_reachable": ("      all: [incident.has_actor == false, incident.internal_unrest == false]",
                       "      all: [incident.killed > 3, incident.killed < 2]"),
    # A stance rule after the catch-all `support_otherwise` never applies.
    "rule_not_shadowed": ("\nclassification:\n", "  - id: never_first\n    stance: object\n"
                          "    meaning: Never reached.\n    source: test.\n    when: pair.rivalry == true"
                          "\n\nclassification:\n"),
    "classification_unambiguous": ("classification_overlap: most_severe_wins",
                                   "classification_overlap: forbidden"),
}


def _broken_text(pid: str) -> str:
    old, new = BROKEN[pid]
    assert RULES_TEXT.count(old) == 1, pid
    return RULES_TEXT.replace(old, new)


def _write(tmp_path: Path, pid: str) -> Path:
    path = tmp_path / f"{pid}.yaml"
    path.write_text(_broken_text(pid), encoding="utf-8")
    return path


def test_default_rules_pass_every_proof() -> None:
    results = prove_rules(load_rules())
    assert [r.id for r in results] == list(PROOF_IDS)
    assert all(r.passed for r in results), [f.message for r in results for f in r.findings]
    assert sum(r.queries for r in results) > 50  # it really asked the solver


def test_cli_prove_default_rules_exits_0(tmp_path: Path) -> None:
    res = runner.invoke(app, ["prove", "--out", str(tmp_path / "cx")])
    assert res.exit_code == 0, res.output
    assert "all properties proved" in res.stdout
    assert not (tmp_path / "cx").exists()


@pytest.mark.parametrize("pid", sorted(BROKEN))
def test_each_broken_rules_file_fails_its_proof(tmp_path: Path, pid: str) -> None:
    rules = load_rules(_write(tmp_path, pid))
    results = {r.id: r for r in prove_rules(rules, rules_ref=f"../{pid}.yaml")}
    assert not results[pid].passed, pid
    for finding in results[pid].findings:
        if finding.scenario is not None:
            assert finding.replayed, finding.message


@pytest.mark.parametrize("pid,needle", [
    # The solver picks the label (`border_incident`, or `threat` for an armed group's incursion).
    ("defence_on_aggression", "`cst_art4_2010` binds under `treaty_text` on an incident classified "
                              "`"),
    ("stay_out_does_not_block", "under `csc_consensus` a member that is `absent` blocks a consensus "
                                "decision (absence: blocks)"),
])
def test_issue_edits_are_caught_with_a_runnable_counterexample(tmp_path: Path, pid: str,
                                                               needle: str) -> None:
    broken = _write(tmp_path, pid)
    out = tmp_path / "cx"
    res = runner.invoke(app, ["prove", "--rules", str(broken), "--out", str(out)])
    assert res.exit_code == 1, res.output
    assert needle in res.stdout
    files = sorted(out.glob(f"prove-{pid}-*.yaml"))
    assert files, res.stdout
    # The scenario names the broken rules (relative to the folder) and fails there...
    failing = subprocess.run([sys.executable, str(ROOT / "cli.py"), "test", str(files[0])],
                             capture_output=True, text=True, check=False, cwd=tmp_path)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    # ... and passes against the default rules.
    passing = subprocess.run([sys.executable, str(ROOT / "cli.py"), "test", "--rules",
                              str(DEFAULT_RULES), str(files[0])],
                             capture_output=True, text=True, check=False, cwd=tmp_path)
    assert passing.returncode == 0, passing.stdout + passing.stderr


def test_property_and_interpretation_filters(tmp_path: Path) -> None:
    broken = _write(tmp_path, "defence_on_aggression")
    res = runner.invoke(app, ["prove", "--rules", str(broken), "--property", "defence_on_aggression",
                              "--interpretation", "secretariat", "--format", "json",
                              "--out", str(tmp_path / "cx")])
    assert res.exit_code == 1, res.output
    doc = json.loads(res.stdout)
    assert [p["id"] for p in doc["properties"]] == ["defence_on_aggression"]
    (finding,) = doc["properties"][0]["findings"]
    assert finding["interpretation"] == "secretariat"
    assert finding["subject"] == "cst_art4_2010"
    assert Path(finding["scenario"]).is_file()


def test_unknown_property_and_reading_are_usage_errors() -> None:
    res = runner.invoke(app, ["prove", "--property", "totality"])
    assert res.exit_code == 2
    assert "unknown proof property `totality`" in res.stderr
    res = runner.invoke(app, ["prove", "--interpretation", "treaty"])
    assert res.exit_code == 2
    assert "did you mean `treaty_text`" in res.stderr


def test_missing_z3_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "z3", None)  # makes `import z3` raise ImportError
    res = runner.invoke(app, ["prove"])
    assert res.exit_code == 2
    assert "pip install 'cstosim[prove]'" in res.stderr
    assert "Traceback" not in res.output


# ---- the translation agrees with the engine ----------------------------------------------


def _random_incident(rnd: random.Random) -> dict[str, object]:
    return {"state_forces": rnd.random() < 0.6, "crossed_border": rnd.random() < 0.6,
            "shots_fired": rnd.random() < 0.5, "border_delimited": rnd.random() < 0.5,
            "internal_unrest": rnd.random() < 0.3, "framed_as_external": rnd.random() < 0.5,
            "has_actor": rnd.random() < 0.8, "derived": False,
            "requested_art2": rnd.random() < 0.5, "requested_art4": rnd.random() < 0.5,
            "days_on_territory": rnd.choice([0, 1, 2, 30]), "depth_km": rnd.choice([0.0, 0.5, 1.0, 3.5]),
            "killed": rnd.choice([0, 1, 5, 10, 11, 40]), "wounded": rnd.choice([0, 2]),
            "captured": rnd.choice([0, 6]), "start": dt.date(2021, 5, 12),
            "shelling": rnd.random() < 0.4, "strikes": rnd.random() < 0.2,
            "attack_on_forces": rnd.random() < 0.3, "armed_group": rnd.random() < 0.3,
            "irregulars_sent": rnd.random() < 0.2, "duration_days": rnd.choice([1, 2, 3, 5])}


def _complete(facts: dict[str, object]) -> None:
    """The derived facts, as the engine's view has them."""
    facts["casualties"] = int(facts["killed"]) + int(facts["wounded"])  # type: ignore[call-overload]
    facts["weapons_used"] = bool(facts["shelling"] or facts["strikes"])
    # The sender of irregulars is the actor.
    facts["irregulars_sent"] = bool(facts["irregulars_sent"] and facts["has_actor"])


def test_symbolic_classification_matches_the_engine() -> None:
    """Every rule's formula and the symbolic label agree with the compiled conditions on
    sampled incidents, under every reading."""
    rules = load_rules()
    rnd = random.Random(14)
    for name in rules.spec.interpretations:
        r = _Reading(z3, rules, name, "")
        ns = SimpleNamespace(**r.params)
        for _ in range(150):
            facts = _random_incident(rnd)
            _complete(facts)
            pair = {k: bool(facts["has_actor"]) and rnd.random() < 0.5
                    for k in compile_.PAIR_FIELDS}
            ctx = {"incident": SimpleNamespace(**facts), "params": ns,
                   "pair": SimpleNamespace(**pair)}
            sub = []
            for path, var in r.v.made.items():
                root, attr = path.split(".")
                val = pair[attr] if root == "pair" else facts[attr]
                const = z3.BoolVal(val) if isinstance(val, bool) else (
                    z3.RealVal(val) if isinstance(val, float) else z3.IntVal(val))
                sub.append((var, const))
            expected_rank = -1
            for rule in r.rules:
                hit = rule.when.test(ctx)
                got = z3.is_true(z3.simplify(z3.substitute(r.matched[rule.id], *sub)))
                assert got == hit, (name, rule.id, facts)
                if hit:
                    expected_rank = max(expected_rank, rules.rank[rule.label])
            assert z3.simplify(z3.substitute(r.rank, *sub)).as_long() == expected_rank
            # The domain admits every real incident.
            assert all(z3.is_true(z3.simplify(z3.substitute(c, *sub))) for c in _incident_domain(r.v))


def test_in_and_not_in_leaves_translate() -> None:
    text = RULES_TEXT.replace("      all: [incident.has_actor == false, incident.internal_unrest == false]",
                              "      all:\n        - incident.has_actor == false\n"
                              "        - 'incident.killed in [0, 1, 2]'\n"
                              "        - 'incident.days_on_territory not_in [5]'")
    rules = rules_from_text(text)
    rule = next(x for x in rules.classification if x.id == "unattributed_event")
    r = _Reading(z3, rules, "treaty_text", "")
    f = formula(rule.when, r.v)
    s = z3.Solver()
    s.add(f, r.v.get("incident.killed") == 3)
    assert s.check() == z3.unsat
    s = z3.Solver()
    s.add(f, r.v.get("incident.killed") == 2, r.v.get("incident.days_on_territory") == 5)
    assert s.check() == z3.unsat


@pytest.mark.parametrize("objection,abstention,absence",
                         list(itertools.product(["blocks", "does_not_block"], repeat=3)))
def test_stay_out_and_veto_proofs_agree_with_decide(objection: str, abstention: str,
                                                    absence: str) -> None:
    """The proofs fail exactly when engine.decide shows the flaw on some three stances."""
    proc = pg.Procedure(id="p", rule="consensus", objection=objection, abstention=abstention,
                        absence=absence)
    veto_broken = stay_broken = False
    for combo in itertools.product(["support", "object", "abstain", "absent"], repeat=3):
        outcome = decide(proc, [Stance(f"M{i}", s, None, "") for i, s in enumerate(combo)])[0]
        if "object" in combo and outcome == "adopted":
            veto_broken = True
        if "object" not in combo and outcome == "blocked":
            stay_broken = True
    text = RULES_TEXT.replace("  csc_consensus:\n    rule: consensus\n    objection: blocks\n"
                              "    abstention: does_not_block\n    absence: does_not_block\n",
                              f"  csc_consensus:\n    rule: consensus\n    objection: {objection}\n"
                              f"    abstention: {abstention}\n    absence: {absence}\n")
    results = {r.id: r for r in prove_rules(rules_from_text(text),
                                            only=["veto_blocks", "stay_out_does_not_block"])}
    assert results["veto_blocks"].passed is not veto_broken
    assert results["stay_out_does_not_block"].passed is not stay_broken


# Gravity turned upside down in the bombardment rule: fewer deaths by shelling read graver.
BOMBARDMENT_INVERTED = (
    "incident.weapons_used == true\n        - any: [incident.killed >= params.force_min_killed",
    "incident.weapons_used == true\n        - any: [incident.killed < params.force_min_killed")


def test_prove_reads_the_acts_of_force_and_replays_them(tmp_path: Path) -> None:
    """A broken rule over the new incident facts (shelling, its duration) is caught, and the
    counterexample scenario writes those facts, so the engine reproduces the violation."""
    old, new = BOMBARDMENT_INVERTED
    assert RULES_TEXT.count(old) == 1
    path = tmp_path / "broken.yaml"
    path.write_text(RULES_TEXT.replace(old, new), encoding="utf-8")
    results = {r.id: r for r in prove_rules(load_rules(path), only=["monotonicity"],
                                            rules_ref="../broken.yaml")}
    found = results["monotonicity"].findings
    assert found and all(f.replayed for f in found), [f.message for f in found]
    assert any("shelling" in f.message or "strikes" in f.message for f in found)
    assert any("shelling: true" in (f.scenario or "") or "strikes: true" in (f.scenario or "")
               for f in found)


def test_a_stance_chosen_by_a_parameter_is_reachable_only_through_its_choices(
        tmp_path: Path) -> None:
    """`partner_rival_objects` applies only when `partner_rival_stance` is `object`; with the
    parameter's `choices` it is reachable, and without `object` among them it is not."""
    assert all(r.passed for r in prove_rules(load_rules(), only=["rule_reachable"]))
    old = "    choices: [support, abstain, object]\n"
    assert RULES_TEXT.count(old) == 1
    path = tmp_path / "no_object.yaml"
    path.write_text(RULES_TEXT.replace(old, "    choices: [support, abstain]\n"), encoding="utf-8")
    results = {r.id: r for r in prove_rules(load_rules(path), only=["rule_reachable"])}
    assert [f.subject for f in results["rule_reachable"].findings] == ["partner_rival_objects"]
