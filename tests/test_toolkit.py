"""The what-if toolkit end to end: explain, diff, sweep (local and Dask), pictures."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

import cstosim
from cstosim.cli import app
from cstosim.compile import CompiledRules
from cstosim.explain import WhyNot, why, why_not
from cstosim.render.explain import fix_text, why_lines

ROOT = Path(__file__).resolve().parent.parent
SYUNIK = ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml"
AZE_MEMBER = ROOT / "scenarios" / "azerbaijan_csto_member.yaml"
runner = CliRunner()


def fixes(result: WhyNot) -> list[str]:
    return [" and ".join(fix_text(f) for f in combo) for combo in result.fixes]


def invoke(*args: str | Path) -> tuple[int, str, str]:
    done = runner.invoke(app, [str(a) for a in args])
    return done.exit_code, done.stdout, done.stderr


# ---- explain --------------------------------------------------------------------------


def test_why_follows_a_cascade_back_to_the_incident(rules: CompiledRules) -> None:
    _, sc = cstosim.load_scenario(AZE_MEMBER, rules)
    report = cstosim.evaluate(rules, sc)
    target = next(o for o in report.obligations if o.commitment == "nato_art4"
                  and o.interpretation == "victim")
    text = "\n".join(why_lines(why(report, target.id)))
    assert "North Atlantic Treaty, Art. 4" in text
    assert "Shusha Declaration" in text and "Art. 4 (as amended)" in text
    assert "set off (cascade step 2)" in text and "set off (cascade step 1)" in text
    assert "by rule `temporary_occupation`" in text


def test_why_not_names_the_missing_request(rules: CompiledRules) -> None:
    _, sc = cstosim.load_scenario(SYUNIK, rules)
    result = why_not(rules, sc, "cst_art4_2010:RUS->ARM:syunik_2021@victim")
    assert not result.arose
    # Both alternatives of the commitment's `any` fail, and each is named with its rule.
    assert [(b.rule, b.leaf.text, b.want) for b in result.blockers] == [
        ("cst_art4_2010", "incident.requested_art4 == true", True),
        ("cst_art4_2010", "params.art4_requires_request == false", True)]
    assert "the target had requested assistance under Art. 4 in `syunik_2021`" in fixes(result)
    # The fix is real: applying it makes the obligation arise.
    code, out, _ = invoke("explain", SYUNIK, "--why-not", "syunik_2021@secretariat=aggression")
    assert code == 0 and "`syunik_2021` had killed = 11" in out


def test_why_not_through_the_classification(rules: CompiledRules) -> None:
    _, sc = cstosim.load_scenario(SYUNIK, rules)
    result = why_not(rules, sc, "cst_art4_2010:RUS->ARM:syunik_2021@secretariat")
    assert any("killed = 11" in f and "Art. 4" in f for f in fixes(result)), fixes(result)


def test_why_not_skips_leaves_whose_alternative_holds(rules: CompiledRules) -> None:
    # Kazakhstan's border is delimited, so in `temporary_occupation`'s
    # `any: [border delimited, no excuse, killed > frontier_max_killed]` the first branch holds
    # and the killed comparison, though false, is not what keeps the rule from matching.
    _, sc = cstosim.load_scenario(ROOT / "scenarios" / "kazakhstan_2022.yaml", rules)
    result = why_not(rules, sc, "kazakhstan_2022@treaty_text=aggression")
    texts = {(b.rule, b.leaf.text) for b in result.blockers}
    assert ("temporary_occupation", "incident.crossed_border == true") in texts
    assert not any("frontier_max_killed" in t for _, t in texts), texts
    assert {b.rule for b in result.blockers} <= {r.id for r in rules.classification
                                                 if r.label == "aggression"}


def test_explain_cli_and_its_errors() -> None:
    code, out, _ = invoke("explain", SYUNIK, "--why", "syunik_2021@secretariat")
    assert code == 0 and "frontier_encounter" in out
    code, _, err = invoke("explain", SYUNIK, "--why", "syunik_2021@secretariatt")
    assert code == 2 and "did you mean `syunik_2021@secretariat`" in err
    code, _, err = invoke("explain", SYUNIK, "--why-not", "nonsense")
    assert code == 2 and "error[bad_target]" in err
    code, _, err = invoke("explain", SYUNIK, "--why-not", "cst_art4_2010:RUS->ARM:syunik_2021@victm")
    assert code == 2 and "did you mean `victim`" in err
    code, _, err = invoke("explain", SYUNIK)
    assert code == 2 and "exactly one of" in err
    code, out, _ = invoke("explain", SYUNIK, "--why-not", "cst_art2_2010:RUS->ARM:syunik_2021@victim")
    assert code == 0 and "does arise" in out
    code, out, err = invoke("explain", SYUNIK, "--why-not", "cst_art4_2010:RUZ->ARM:syunik_2021@victim")
    assert code == 2 and "error[unknown_state]" in err and "`RUS`" in err
    assert "Traceback" not in err + out
    narrowed = ("--interpretation", "victim")
    for target in ("syunik_2021@secretariat=aggression", "cst_art4_2010:RUS->ARM:syunik_2021@secretariat"):
        code, out, err = invoke("explain", SYUNIK, *narrowed, "--why-not", target)
        assert code == 2 and "error[interpretation_not_evaluated]" in err, err
        assert "Traceback" not in err + out


# ---- diff -----------------------------------------------------------------------------


def test_diff_two_scenarios_names_the_causes() -> None:
    code, out, _ = invoke("diff", ROOT / "scenarios" / "azerbaijan_pa_partner_2021.yaml", AZE_MEMBER)
    assert code == 0
    assert "cause: change only in B" in out
    assert "+ only in B: tension" in out and "conflict_with_member" in out


def test_diff_interpretations_and_parameters() -> None:
    code, out, _ = invoke("diff", SYUNIK, "--interpretation", "secretariat",
                          "--interpretation-b", "victim")
    assert code == 0
    assert ("~ changed: classification syunik_2021@secretariat (under secretariat in A, victim in B): "
            "label border_incident -> aggression" in " ".join(out.split()))
    code, out, _ = invoke("diff", SYUNIK, "--set-b", "occupation_min_days=60", "--format", "json")
    data = json.loads(out)
    changed = [x for x in data["deltas"] if x["kind"] == "classification"]
    # `--set` wins over the readings' own values, so the victim's reading moves too (to its
    # any-presence rule; the label stays).
    assert [(x["id"], x["side"], x["changes"][0]) for x in changed] == [
        ("syunik_2021@treaty_text", "both", {"field": "label", "a": "aggression", "b": "border_incident"}),
        ("syunik_2021@victim", "both", {"field": "rule", "a": "temporary_occupation",
                                        "b": "any_presence_is_occupation"})]
    assert any("occupation_min_days" in c["text"] for c in data["causes"])
    code, out, _ = invoke("diff", SYUNIK)
    assert code == 0 and "no difference" in out
    code, _, err = invoke("diff", SYUNIK, "--set-b", "occupation_min_dayz=3")
    assert code == 2 and "did you mean `occupation_min_days`" in err
    # diff draws no pictures; asking for one once printed the table in silence.
    code, out, err = invoke("diff", SYUNIK, "--format", "svg")
    assert code == 2 and out == "" and "'table', 'json'" in err


# ---- sweep ----------------------------------------------------------------------------


def test_sweep_finds_the_flip_points_under_each_interpretation() -> None:
    code, out, err = invoke("sweep", SYUNIK, "--vary", "incident.days_on_territory=0..3",
                            "--vary", "incident.killed=9..12", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert len(data["variants"]) == 16
    flips = {(f["axis"], f["from"], f["to"], c) for f in data["flips"] for c in f["changes"]}
    # The Secretariat's reading flips between 10 and 11 deaths (frontier_max_killed = 10) ...
    assert ("incident.killed", 10, 11, "syunik_2021@secretariat: border_incident -> aggression") in flips
    # ... and the treaty text as soon as forces stay a day (occupation, however temporary).
    assert ("incident.days_on_territory", 0, 1,
            "syunik_2021@treaty_text: border_incident -> aggression") in flips
    assert not any(c.startswith("syunik_2021@secretariat") and f[0] == "incident.days_on_territory"
                   and f[1] >= 1 for f in flips for c in [f[3]])


def test_sweep_over_parameters_and_csv() -> None:
    code, out, _ = invoke("sweep", SYUNIK, "--vary", "params.occupation_min_days=40..60:10",
                          "--format", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][0] == "params.occupation_min_days" and len(rows) == 4
    assert [r[rows[0].index("syunik_2021@treaty_text")] for r in rows[1:]] == [
        "aggression", "aggression", "border_incident"]


@pytest.mark.parametrize(("vary", "message"), [
    ("incident.kiled=0..3", "did you mean `killed`"),
    ("params.nope=1..2", "unknown parameter `nope`"),
    ("incident.killed=5..1", "cannot read the range"),
    ("incident.killed", "is not NAME=RANGE"),
    ("incident.killed=0..2000000", "values"),
    ("syunik_2022.killed=0..3", "did you mean `syunik_2021`"),
    ("params.art4_requires_request=1,2", "cannot read the range"),
    # Values an incident cannot hold were once clamped or rounded in silence (found in review).
    ("incident.killed=-2..3", "killed cannot be -2"),
    ("incident.killed=1.5,3", "killed cannot be 1.5"),
    ("incident.days_on_territory=0..10:0.5", "days_on_territory cannot be"),
    ("incident.wounded=20000000", "wounded cannot be 20000000"),
    ("incident.depth_km=-1,2", "depth_km cannot be -1"),
    ("incident.killed=1,2,1", "lists 1 more than once"),
])
def test_sweep_bad_ranges_exit_2(vary: str, message: str) -> None:
    code, _, err = invoke("sweep", SYUNIK, "--vary", vary)
    assert code == 2 and message in err and "Traceback" not in err


def test_large_sweep_shows_progress_and_uses_all_local_cores(tmp_path: Path) -> None:
    out = tmp_path / "sweep.csv"
    done = subprocess.run(["cstosim", "sweep", str(SYUNIK), "--vary", "incident.days_on_territory=0..99",
                           "--vary", "incident.killed=0..99", "--format", "csv", "-o", str(out)],
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr
    assert re.search(r"^swept 10,000 variants in [\d.]+ s", done.stderr, re.M)
    assert len(out.read_text(encoding="utf-8").splitlines()) == 10_001


def test_sweep_on_a_local_dask_cluster() -> None:
    from distributed import LocalCluster  # the test extra installs it

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        done = subprocess.run(["cstosim", "sweep", str(SYUNIK), "--vary", "incident.killed=0..40",
                               "--executor", "dask", "--scheduler", cluster.scheduler_address,
                               "--format", "json"], capture_output=True, text=True, timeout=600,
                              check=False)
    assert done.returncode == 0, done.stderr
    local = subprocess.run(["cstosim", "sweep", str(SYUNIK), "--vary", "incident.killed=0..40",
                            "--format", "json"], capture_output=True, text=True, timeout=600, check=False)
    assert json.loads(done.stdout) == json.loads(local.stdout)


def test_dask_executor_errors() -> None:
    code, _, err = invoke("sweep", SYUNIK, "--vary", "incident.killed=0..2", "--executor", "dask")
    assert code == 2 and "--scheduler" in err
    code, _, err = invoke("sweep", SYUNIK, "--vary", "incident.killed=0..2", "--executor", "dask",
                          "--scheduler", "tcp://127.0.0.1:1")
    assert code == 2 and "error[dask_unreachable]" in err


# ---- pictures -------------------------------------------------------------------------


def test_mermaid_shows_the_chain_through_turkey_to_nato() -> None:
    code, out, _ = invoke("run", AZE_MEMBER, "--format", "mermaid")
    assert code == 0 and out.startswith("flowchart LR")
    assert 'TUR -->|"defence: shusha_2021, step 1"| AZE' in out
    assert 'USA -->|"consultation: nato_art4, step 2"| TUR' in out
    assert 'critical: conflict_with_member' in out and 'AZE -.-|"critical: assistance_to_both_sides' in out


def test_markdown_embeds_the_diagram() -> None:
    code, out, _ = invoke("run", AZE_MEMBER, "--format", "markdown")
    assert code == 0 and "```mermaid\nflowchart LR" in out


def test_dot_output_parses_with_graphviz_when_present(tmp_path: Path) -> None:
    code, out, _ = invoke("run", AZE_MEMBER, "--format", "dot")
    assert code == 0 and out.startswith('digraph "Azerbaijan as a full CSTO member" {')
    assert '"TUR" -> "AZE"' in out and out.rstrip().endswith("}")
    if shutil.which("dot"):
        code, svg, _ = invoke("run", AZE_MEMBER, "--format", "svg")
        assert code == 0 and "<svg" in svg
    else:
        code, _, err = invoke("run", AZE_MEMBER, "--format", "svg")
        assert code == 2 and "error[graphviz_missing]" in err
