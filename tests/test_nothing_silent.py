"""Issue 11: every input the user gave either counts or is reported, and `diff` loses nothing.

Through the CLI where a user would meet it; the diff properties run on generated scenarios.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from helpers import incident_yaml, scenario_text
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import cstosim
from cstosim.cli import app
from cstosim.compile import CompiledRules
from cstosim.difference import conclusions_of, difference, facts
from cstosim.render import render
from cstosim.render.json import report_json
from cstosim.testing import scenarios

ROOT = Path(__file__).resolve().parent.parent
SYUNIK = ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml"
PAK = ROOT / "scenarios" / "pakistan_pa_partner_2021.yaml"
AZE_PA = ROOT / "scenarios" / "azerbaijan_pa_partner_2021.yaml"
SEEDS = sorted((ROOT / "scenarios").glob("*.yaml"))
runner = CliRunner()
RULES = cstosim.load_rules()


def invoke(*args: str | Path) -> tuple[int, str, str]:
    done = runner.invoke(app, [str(a) for a in args])
    return done.exit_code, done.stdout, done.stderr


def run_json(*args: str | Path) -> dict[str, Any]:
    code, out, err = invoke("run", *args, "--format", "json")
    assert code == 0, err
    data: dict[str, Any] = json.loads(out)
    return data


def label(report: dict[str, Any], ident: str) -> str:
    return next(c["label"] for c in report["classifications"] if c["id"] == ident)


def note_codes(report: dict[str, Any]) -> list[str]:
    return [n["code"] for n in report["notes"]]


# ---- precedence: rules < scenario < reading < --set NAME < --set READING.NAME ------------


def test_an_explicit_set_wins_over_the_readings_own_value() -> None:
    report = run_json(SYUNIK, "--interpretation", "secretariat", "--set",
                      "undelimited_border_excuses=false")
    assert label(report, "syunik_2021@secretariat") == "aggression"
    causes = [c["text"] for c in report["difference"]["causes"]]
    assert causes == ["parameter `undelimited_border_excuses` = false (default false); "
                      "replaces secretariat's own true"]
    assert report["difference"]["deltas"]


def test_a_value_for_one_reading_only() -> None:
    report = run_json(SYUNIK, "--set", "secretariat.undelimited_border_excuses=false")
    assert label(report, "syunik_2021@secretariat") == "aggression"
    assert label(report, "syunik_2021@victim") == "aggression"
    assert label(report, "syunik_2021@treaty_text") == "aggression"
    # The per-reading value wins over a value for every reading.
    report = run_json(SYUNIK, "--set", "undelimited_border_excuses=true",
                      "--set", "secretariat.undelimited_border_excuses=false")
    assert label(report, "syunik_2021@secretariat") == "aggression"
    assert label(report, "syunik_2021@treaty_text") == "border_incident"
    code, _, err = invoke("run", SYUNIK, "--set", "secretariatt.occupation_min_days=3")
    assert code == 2 and "did you mean `secretariat`" in err and "Traceback" not in err


def test_why_not_names_a_parameter_the_reading_fixes() -> None:
    code, out, _ = invoke("explain", SYUNIK, "--why-not", "syunik_2021@secretariat=aggression")
    assert code == 0
    assert "parameter `undelimited_border_excuses` were false (now true)" in out


def test_a_scenario_value_every_reading_replaces_is_a_note_not_a_cause(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(scenario_text(events=incident_yaml()).replace(
        "as_of: 2021-07-03", "as_of: 2021-07-03\nparams: {accept_host_framing: true}\n"
        "interpretations: [secretariat, victim]"), encoding="utf-8")
    report = run_json(path)
    assert "parameter_shadowed" in note_codes(report)
    assert report["difference"]["causes"] == []
    _, out, _ = invoke("run", path)
    assert "NOTES" in out and "from the scenario has no effect" in out
    _, out, _ = invoke("run", path, "--format", "markdown")
    assert "## Notes" in out and "from the scenario has no effect" in out


def test_values_that_count_for_nothing_are_noted() -> None:
    report = run_json(SYUNIK, "--set", "chain_depth=5", "--set", "victim.gravity_min_killed=3",
                      "--interpretation", "secretariat")
    assert {"parameter_unread", "parameter_reading_not_evaluated"} <= set(note_codes(report))
    assert report["difference"]["causes"] == []


# ---- changes and events that do nothing ----------------------------------------------------


INERT_CHANGES = {
    "adopt_tier_inert": "  - adopt_tier: {body: CSTO, tier: member, on: 2021-01-01}\n",
    "join_inert": "  - join: {state: RUS, body: CSTO, tier: member, on: 2021-01-01}\n",
    "leave_inert": "  - leave: {state: PAK, body: CSTO, on: 2021-01-01}\n",
    "relation_start_inert": "  - relation_start: {kind: conflict, states: [ARM, AZE], on: 2021-01-01}\n",
    "relation_end_inert": "  - relation_end: {kind: hostility, states: [KAZ, KGZ], on: 2021-01-01}\n",
}


def test_every_change_without_effect_is_noted(tmp_path: Path) -> None:
    for code, change in INERT_CHANGES.items():
        path = tmp_path / f"{code}.yaml"
        path.write_text(scenario_text(events=incident_yaml(), changes=change), encoding="utf-8")
        report = run_json(path)
        assert code in note_codes(report), (code, report["notes"])
        _, out, _ = invoke("run", path)
        assert "did nothing" in out, code


def test_requests_that_ask_no_one_are_noted(tmp_path: Path) -> None:
    late = tmp_path / "late.yaml"
    late.write_text(scenario_text(events=incident_yaml(requests=[{"article": "art4",
                                                                    "date": "2021-08-01"}])),
                    encoding="utf-8")
    assert "request_after_as_of" in note_codes(run_json(late))
    unbound = tmp_path / "unbound.yaml"
    unbound.write_text(scenario_text(events=incident_yaml(actor="AZE", target="GEO", locations=[],
                                                          requests=[{"article": "art4",
                                                                     "date": "2021-05-14"}])),
                       encoding="utf-8")
    assert "request_unheard" in note_codes(run_json(unbound))


# ---- diff: complete, labelled, symmetric -------------------------------------------------


def test_seed_diff_lists_pakistans_admission_as_only_in_a() -> None:
    code, out, _ = invoke("diff", PAK, AZE_PA)
    assert code == 0
    assert "- only in A: admission pak_pa_partner: PAK for PA_CSTO partner: not admitted" in out
    assert "+ only in B: admission aze_pa_partner: AZE for PA_CSTO partner: not admitted" in out
    assert "application `pak_pa_partner` only in A" in out
    assert not re.search(r"\b(True|False|None)\b", out)
    code, out, _ = invoke("diff", PAK, AZE_PA, "--format", "json")
    data = json.loads(out)
    sides = {(x["kind"], x["id"]): x["side"] for x in data["deltas"]}
    assert sides[("admission", "pak_pa_partner")] == "a"
    assert sides[("admission", "aze_pa_partner")] == "b"
    assert all({"code", "fields", "text"} <= set(c) for c in data["causes"])


def test_diff_labels_each_side_with_its_own_reading() -> None:
    _, out, _ = invoke("diff", SYUNIK, "--interpretation", "secretariat",
                          "--interpretation-b", "victim", "--format", "json")
    data = json.loads(out)
    assert data["readings"] == {"a": ["secretariat"], "b": ["victim"]}
    _, out, _ = invoke("diff", SYUNIK, "--interpretation", "secretariat",
                          "--interpretation-b", "victim")
    assert "(under secretariat in A, victim in B)" in " ".join(out.split())  # lines may wrap


def _set(out: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {k: facts(c) for k, (_, c) in conclusions_of(out).items()}


@settings(max_examples=30)
@given(st.data())
def test_diff_applied_to_a_gives_b_and_is_its_own_mirror(data: st.DataObject) -> None:
    a = data.draw(scenarios(RULES))
    b = data.draw(scenarios(RULES))
    oa, _ = cstosim.api.conclusions(RULES, a)
    ob, _ = cstosim.api.conclusions(RULES, b)
    d = difference(oa, ob, ())
    got = _set(oa)
    for x in d.deltas:
        key = (x.kind, x.id)
        if x.side == "a":
            del got[key]
        elif x.side == "b":
            got[key] = facts(x.b)  # type: ignore[arg-type]
        else:
            got[key] = {**got[key], **{f: vb for f, _, vb in x.changes}}
    assert got == _set(ob)
    back = difference(ob, oa, ())
    mirror = {"a": "b", "b": "a", "both": "both"}
    assert [(x.kind, x.id, mirror[x.side], tuple((f, vb, va) for f, va, vb in x.changes))
            for x in d.deltas] == [(x.kind, x.id, x.side, x.changes) for x in back.deltas]


# ---- one verdict --------------------------------------------------------------------------


def _verdicts_agree(rules: CompiledRules, scenario: cstosim.Scenario) -> None:
    report = cstosim.evaluate(rules, scenario, explain="off")
    text = render(report, "table")
    by_id = {a["id"]: a for a in report_json(report)["admissions"]}
    for ident, a in by_id.items():
        line = next(x for x in text.splitlines() if x.strip().startswith(f"{ident}:"))
        word = "NOT ADMITTED" if "NOT ADMITTED" in line else "ADMITTED" if "ADMITTED" in line else None
        assert word == ("ADMITTED" if a["admitted"] else "NOT ADMITTED"), line
    for x in text.splitlines():
        if "deciders' vote" in x and x.rstrip().endswith(": adopted"):
            # a bare "adopted" appears only under an admitted verdict
            assert any(a["admitted"] and a["decision"] == "adopted" for a in by_id.values())


def test_the_verdict_agrees_with_the_json_on_every_seed() -> None:
    for path in SEEDS:
        rules, scenario = cstosim.load_scenario(path)
        _verdicts_agree(rules, scenario)


@settings(max_examples=40)
@given(scenarios(RULES))
def test_the_verdict_agrees_with_the_json_on_generated_scenarios(scenario: cstosim.Scenario) -> None:
    _verdicts_agree(RULES, scenario)


# ---- all problems at once ---------------------------------------------------------------

THREE_KINDS = """\
cstosim: 1
name: three kinds of problem
as_of: 2021-07-03
changes:
  - join: {state: AZE, body: CSTOO, tier: member, on: 2021-02-30}
events:
  - application: {id: a, state: PAK, body: NATOO, tier: member, date: 2021-05-01}
  - incident:
      id: x
      actor: AZE
      target: ARM
      start: 2021-05-12
      state_forces: yes_please
      crossed_border: true
      days_on_territory: 3
      depth_km: 1
      killed: 0
      wounded: 0
      captured: 0
      shots_fired: true
      border_delimited: true
"""


def test_a_bad_date_a_schema_error_and_unknown_references_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "three.yaml"
    path.write_text(THREE_KINDS, encoding="utf-8")
    for command in ("validate", "run"):
        code, _, err = invoke(command, path)
        assert code == 2 and "Traceback" not in err
        found = re.findall(r":(\d+):(\d+): error\[(\w+)\]", err)
        assert [(int(line), kind) for line, _, kind in found] == [
            (5, "unknown_body"), (5, "invalid_date"), (7, "unknown_body"), (13, "wrong_value")], err
        assert "4 errors" in err


def test_two_kinds_of_problem_in_one_run(tmp_path: Path) -> None:
    path = tmp_path / "two.yaml"
    path.write_text(THREE_KINDS.replace("2021-02-30", "2021-02-28").replace(
        "state_forces: yes_please", "state_forces: true"), encoding="utf-8")
    code, _, err = invoke("validate", path)
    assert code == 2
    assert [k for k in re.findall(r"error\[(\w+)\]", err)] == ["unknown_body", "unknown_body"]
    path.write_text(THREE_KINDS.replace("body: CSTOO", "body: CSTO").replace("body: NATOO",
                                                                             "body: NATO"),
                    encoding="utf-8")
    code, _, err = invoke("validate", path)
    assert code == 2 and re.findall(r"error\[(\w+)\]", err) == ["invalid_date", "wrong_value"]
