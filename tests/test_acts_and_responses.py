"""Issue 12, parts 3 to 6, end to end: acts of force beyond occupation, pair paths in
incident rules, requests with addressees and recorded responses (the response gap), and
stances that see a partner's rival. The cases are YAML files as a user writes them
(``tests/cases/``), run through the installed CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import cstosim
from cstosim.api import DEFAULT_RULES, rules_from_text, scenario_from_text
from cstosim.compile import CompiledRules
from cstosim.properties import check_scenario_properties

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "cases").glob("*.yaml"))
RULES_TEXT = DEFAULT_RULES.read_text(encoding="utf-8")


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True,
                          text=True, check=False, cwd=cwd)


def test_every_case_file_passes_cstosim_test() -> None:
    assert len(CASES) >= 3
    done = cli("test", *map(str, CASES))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 failed" in done.stdout


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_cases_keep_the_consistency_properties(path: Path, rules: CompiledRules) -> None:
    compiled, scenario = cstosim.load_scenario(path, rules)
    found = check_scenario_properties(compiled, scenario, ("determinism", "order_independence",
                                                           "obligation_backed", "round_trip"))
    assert not any(found.values()), found


def _report(path: Path, *extra: str) -> dict:  # type: ignore[type-arg]  # JSON document
    done = cli("run", str(path), "--format", "json", *extra)
    assert done.returncode in (0, 1), done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _labels(report: dict, reading: str) -> dict[str, str]:  # type: ignore[type-arg]
    return {c["incident"]: c["label"] for c in report["classifications"]
            if c["interpretation"] == reading}


# ---- part 3: acts of force ----------------------------------------------------------


def test_shelling_without_a_crossing_is_aggression_under_the_treaty_text() -> None:
    got = _report(ROOT / "tests" / "cases" / "acts_of_force.yaml")
    labels = _labels(got, "treaty_text")
    assert labels["shelling_grave"] == "aggression"
    rule = next(c["rule"] for c in got["classifications"]
                if c["incident"] == "shelling_grave" and c["interpretation"] == "treaty_text")
    assert rule == "bombardment"
    assert labels["shelling_slight"] == "border_incident"
    assert labels["attack_on_post"] == "aggression"
    assert labels["bands_sent"] == "aggression"
    assert labels["armed_group_at_border"] == "threat"


def test_the_gravity_thresholds_are_parameters() -> None:
    """Raise every threshold above the facts and the grave shelling is a frontier incident."""
    got = _report(ROOT / "tests" / "cases" / "acts_of_force.yaml", "--set", "force_min_killed=31",
                  "--set", "force_min_casualties=71", "--set", "force_min_days=3",
                  "--set", "force_min_depth_km=1.0")
    assert _labels(got, "treaty_text")["shelling_grave"] == "border_incident"
    # Duration alone passes the filter: two days of shelling meet `force_min_days=2`.
    got = _report(ROOT / "tests" / "cases" / "acts_of_force.yaml", "--set", "force_min_killed=31",
                  "--set", "force_min_casualties=71", "--set", "force_min_days=2",
                  "--set", "force_min_depth_km=1.0")
    assert _labels(got, "treaty_text")["shelling_grave"] == "aggression"


def test_the_sender_of_irregulars_is_the_actor(rules: CompiledRules) -> None:
    compiled, sc = cstosim.load_scenario(ROOT / "tests" / "cases" / "acts_of_force.yaml", rules)
    report = cstosim.evaluate(compiled, sc, explain="off")
    leaves = {c.incident: c for c in report.classifications if c.interpretation == "treaty_text"}
    assert leaves["bands_sent"].rule == "armed_bands_sent"
    # Without a named sender the same facts are an armed group's threat at most.
    text = (ROOT / "tests" / "cases" / "acts_of_force.yaml").read_text(encoding="utf-8")
    text = text.replace("      irregulars_sent_by: AFG\n", "      armed_group: true\n")
    report = cstosim.evaluate(compiled, scenario_from_text(text, compiled), explain="off")
    got = {c.incident: c.label for c in report.classifications if c.interpretation == "treaty_text"}
    assert got["bands_sent"] == "threat"


# ---- part 5: requests, responses and the gap ----------------------------------------


def test_a_bilateral_request_and_its_response_show_a_response_gap() -> None:
    path = ROOT / "tests" / "cases" / "response_gap.yaml"
    got = _report(path)
    gaps = {(g["commitment"], g["interpretation"]): g for g in got["response_gaps"]}
    bilateral = gaps[("arm_rus_pact", "treaty_text")]
    assert (bilateral["creditor"], bilateral["debtors"], bilateral["owed"]) == ("ARM", ["RUS"],
                                                                              "assistance")
    assert (bilateral["needed"], bilateral["done"]) == ("material_aid", "statement")
    assert bilateral["responses"] == [{"by": "RUS", "kind": "statement", "date": "2022-09-14"}]
    codes = [r["code"] for r in bilateral["reasons"]]
    assert codes == ["response_short", "request_unmet"]
    assert bilateral["reasons"][1]["fields"]["to"] == "RUS"
    assert "RUS" in bilateral["reasons"][1]["text"]
    csto = gaps[("cst_art4_2010", "treaty_text")]
    assert csto["done"] == "fact_finding_mission" and "RUS" in csto["debtors"]
    assert ("cst_art2_2010", "treaty_text") not in gaps  # a mission is more than consultations
    kinds = {t["kind"] for t in got["tensions"]}
    assert "request_unmet" in kinds
    text = cli("run", str(path)).stdout
    assert "RESPONSE GAPS (4)" in text
    assert "ARM was owed assistance under arm_rus_pact by RUS; got statement" in text
    md = cli("run", str(path), "--format", "markdown").stdout
    # Markdown escapes the underscore of `treaty_text`.
    assert "## Response gaps" in md and "| treaty\\_text | ARM | RUS | assistance |" in md


def test_owed_consultations_and_got_nothing(rules: CompiledRules) -> None:
    text = (ROOT / "tests" / "cases" / "response_gap.yaml").read_text(encoding="utf-8")
    text = text.replace("        - {article: art4, to: {body: CSTO}, date: 2022-09-13}\n",
                        "        - {article: art2, to: {body: CSTO}, date: 2022-09-13}\n")
    text = text.replace("        - {by: {body: CSTO}, kind: fact_finding_mission, date: 2022-10-01}\n",
                        "        - {by: {body: CSTO}, kind: nothing, date: 2022-10-01}\n")
    text = text.replace("kind: statement", "kind: nothing").split("expect:")[0]
    report = cstosim.evaluate(rules, scenario_from_text(text, rules), explain="off")
    gap = next(g for g in report.gaps
               if g.commitment == "cst_art2_2010" and g.interpretation == "treaty_text")
    assert (gap.owed, gap.needed, gap.done) == ("consultations", "consultations", "nothing")


def test_when_the_response_meets_the_duty_there_is_no_gap(rules: CompiledRules) -> None:
    text = (ROOT / "tests" / "cases" / "response_gap.yaml").read_text(encoding="utf-8")
    text = text.replace("kind: fact_finding_mission", "kind: deployment").replace(
        "kind: statement", "kind: material_aid").split("expect:")[0]
    report = cstosim.evaluate(rules, scenario_from_text(text, rules), explain="off")
    assert report.gaps == ()
    assert "request_unmet" not in {t.kind for t in report.tensions}


def test_without_recorded_responses_nothing_is_concluded(rules: CompiledRules) -> None:
    text = (ROOT / "tests" / "cases" / "response_gap.yaml").read_text(encoding="utf-8")
    text = text.split("      responses:")[0]
    report = cstosim.evaluate(rules, scenario_from_text(text, rules), explain="off")
    assert report.gaps == ()
    assert "request_unmet" not in {t.kind for t in report.tensions}


def test_the_response_bar_is_a_parameter_per_reading() -> None:
    got = _report(ROOT / "tests" / "cases" / "response_gap.yaml",
                  "--set", "treaty_text.assistance_met_by=fact_finding_mission")
    under = {(g["commitment"], g["interpretation"]) for g in got["response_gaps"]}
    assert ("cst_art4_2010", "treaty_text") not in under
    assert ("cst_art4_2010", "secretariat") in under
    bad = cli("run", str(ROOT / "tests" / "cases" / "response_gap.yaml"),
              "--set", "assistance_met_by=troops")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert "response kind" in bad.stderr


def test_conflict_between_two_parties_of_one_defence_pact_is_a_tension() -> None:
    got = _report(ROOT / "tests" / "cases" / "defence_partners_clash.yaml")
    found = [t for t in got["tensions"] if t["kind"] == "conflict_within_defence_pact"]
    assert [t["parties"] for t in found] == [["TJK", "KGZ"]]
    assert not got["obligations"] or all(o["commitment"] != "cst_art4_2010"
                                         for o in got["obligations"])


# ---- part 4: pair paths ---------------------------------------------------------------


def test_between_members_is_bilateral_reads_the_bond(rules: CompiledRules) -> None:
    text = (ROOT / "tests" / "cases" / "defence_partners_clash.yaml").read_text(encoding="utf-8")
    text = text.replace("      shelling: true\n", "      shelling: true\n      requests:\n"
                        "        - {article: art4, to: {body: CSTO}, date: 2022-09-14}\n")
    text = text.split("expect:")[0]
    sc = scenario_from_text(text, rules)
    owed = {o.commitment for o in cstosim.evaluate(rules, sc, explain="off").obligations}
    assert "cst_art4_2010" in owed
    report = cstosim.evaluate(rules, sc, explain="off", params={"between_members_is_bilateral": True})
    assert "cst_art4_2010" not in {o.commitment for o in report.obligations}
    assert "cst_art1" in {o.commitment for o in report.obligations}


TERRITORIAL_READING = (
    "  - id: unattributed_event\n",
    "  - id: disputed_territory_is_bilateral\n"
    "    label: border_incident\n"
    "    enabled: false\n"
    "    meaning: Between two states with a territorial dispute, an encounter is a bilateral matter.\n"
    "    source: test reading.\n"
    "    when:\n"
    "      all: [pair.territorial_dispute == true, incident.has_actor == true]\n"
    "  - id: unattributed_event\n")


def test_a_classification_rule_reads_the_pair(rules: CompiledRules) -> None:
    old, new = TERRITORIAL_READING
    assert RULES_TEXT.count(old) == 1
    custom = rules_from_text(RULES_TEXT.replace(old, new).replace(
        "    params: {undelimited_border_excuses: true, accept_host_framing: true}",
        "    params: {undelimited_border_excuses: true, accept_host_framing: true}\n"
        "    enable: [disputed_territory_is_bilateral]"))
    base = ("cstosim: 1\nname: t\nas_of: 2021-07-03\ninterpretations: [secretariat]\n{changes}"
            "events:\n  - incident:\n      id: i\n      actor: AZE\n      target: ARM\n"
            "      start: 2021-06-01\n      state_forces: true\n      crossed_border: false\n"
            "      days_on_territory: 0\n      depth_km: 0\n      killed: 0\n      wounded: 0\n"
            "      captured: 0\n      shots_fired: false\n      border_delimited: true\n")
    plain = cstosim.evaluate(custom, scenario_from_text(base.format(changes=""), custom))
    disputed = cstosim.evaluate(custom, scenario_from_text(base.format(
        changes="changes:\n  - relation_start: {kind: territorial_dispute, states: [AZE, ARM], "
                "on: 2021-01-01}\n"), custom))
    assert plain.classifications[0].label == "no_violation"
    assert disputed.classifications[0].label == "border_incident"
    assert disputed.classifications[0].rule == "disputed_territory_is_bilateral"


def test_a_misspelt_pair_path_is_a_load_error_with_a_suggestion(tmp_path: Path) -> None:
    old, new = TERRITORIAL_READING
    bad = tmp_path / "rules.yaml"
    bad.write_text(RULES_TEXT.replace(old, new.replace("pair.territorial_dispute",
                                                       "pair.territorial_disput")), encoding="utf-8")
    done = cli("validate", str(bad))
    assert done.returncode == 2, done.stdout
    assert "error[unknown_path]" in done.stderr and "pair.territorial_dispute" in done.stderr
    assert "Traceback" not in done.stderr


# ---- part 6: stances that see tensions ------------------------------------------------


@pytest.mark.parametrize("choice,stance", [("support", "support"), ("abstain", "abstain"),
                                           ("object", "object")])
def test_a_member_whose_partner_is_the_rival_takes_the_chosen_stance(choice: str,
                                                                     stance: str) -> None:
    got = _report(ROOT / "scenarios" / "pakistan_pa_partner_2021.yaml", "--set",
                  f"partner_rival_stance={choice}")
    (adm,) = got["admissions"]
    rus = next(s for s in adm["stances"] if s["decider"] == "RUS")
    assert (rus["stance"], rus["rule"]) == (stance, f"partner_rival_{stance}s")
    # Other members without such a partner are untouched.
    kaz = next(s for s in adm["stances"] if s["decider"] == "KAZ")
    assert kaz["rule"] == "support_otherwise"
