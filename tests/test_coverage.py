"""`cstosim test --coverage`, `-k` and `--format json`: coverage counts what the scenarios
really exercised, the instrumented rules answer exactly as the plain ones, and the options
behave as a user meets them."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cstosim import report as rp
from cstosim.api import evaluate, load_rules, load_scenario
from cstosim.cli import app
from cstosim.coverage import Coverage

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "scenarios").glob("*.yaml"))
runner = CliRunner()

# Armenia froze its participation on 22 Feb 2024, so it stays out of a 2025 decision.
FROZEN_MEMBER = textwrap.dedent("""\
    cstosim: 1
    name: Serbia applies to observe in 2025
    as_of: 2025-03-01
    events:
      - application: {id: srb, state: SRB, body: CSTO, tier: observer, date: 2025-03-01}
    expect:
      admissions: [{application: srb, admitted: true}]
    """)


def _coverage(args: list[str]) -> dict[str, object]:
    res = runner.invoke(app, ["test", *args, "--coverage", "--format", "json"])
    assert res.exit_code == 0, res.output
    (summary,) = json.loads(res.stdout)["coverage"]
    return summary  # type: ignore[no-any-return]


def _rule(summary: dict[str, object], section: str, rid: str) -> dict[str, object]:
    rows = summary["per_rule"]
    assert isinstance(rows, list)
    return next(r for r in rows if r["section"] == section and r["id"] == rid)


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_coverage_sums_the_reports_record(path: Path) -> None:
    compiled, scenario = load_scenario(path)
    report = evaluate(compiled, scenario, explain="full")
    tested = [t for t in report.outcome.record if isinstance(t, rp.Tested) and t.rule in compiled.rule_ids]
    assert tested
    cov = Coverage(compiled)
    cov.add(report)
    assert sum(r.evaluated for r in cov.rules.values()) == len(tested)
    assert sum(r.matched for r in cov.rules.values()) == sum(t.trace.result for t in tested)
    for rid, rc in cov.rules.items():
        leaves = [leaf for t in tested if t.rule == rid for leaf in t.trace.leaves()]
        assert {leaf.text for leaf in leaves} <= set(rc.leaves)
        assert len(rc.seen_true) == len({rc.leaves.index(x.text) for x in leaves if x.result}) or \
            len(set(rc.leaves)) < len(rc.leaves)  # a repeated leaf text is counted by position


def test_seed_coverage_counts_what_ran() -> None:
    summary = _coverage([str(ROOT / "scenarios")])
    assert summary["rules"] == len(load_rules().rule_ids)
    # The Syunik seed is aggression under the victim's reading, via temporary occupation or
    # any presence; no seed has a frozen member stay out of a decision.
    assert _rule(summary, "classification", "any_presence_is_occupation")["matched"] > 0
    frozen = _rule(summary, "stances", "frozen_stays_out")
    assert frozen["matched"] == 0 and frozen["evaluated"] > 0
    assert frozen["missing"] == ["`decider.status == frozen` never true"]
    assert 0 < summary["percent"] < 100  # type: ignore[operator]


def test_a_scenario_that_exercises_a_rule_raises_coverage(tmp_path: Path) -> None:
    before = _coverage([str(ROOT / "scenarios")])
    (tmp_path / "frozen.yaml").write_text(FROZEN_MEMBER, encoding="utf-8")
    after = _coverage([str(ROOT / "scenarios"), str(tmp_path / "frozen.yaml")])
    assert _rule(after, "stances", "frozen_stays_out")["matched"] == 1
    assert _rule(after, "stances", "frozen_stays_out")["missing"] == []
    assert after["rules_matched"] == before["rules_matched"] + 1  # type: ignore[operator]
    assert after["percent"] > before["percent"]  # type: ignore[operator]


def test_coverage_table_and_fail_under() -> None:
    res = runner.invoke(app, ["test", str(ROOT / "scenarios"), "--coverage"])
    assert res.exit_code == 0, res.output
    assert "coverage of " in res.stdout
    assert "stances `frozen_stays_out`: never matched" in res.stdout
    res = runner.invoke(app, ["test", str(ROOT / "scenarios"), "--coverage", "--fail-under", "99"])
    assert res.exit_code == 1
    assert "under --fail-under 99.0%" in res.stderr
    res = runner.invoke(app, ["test", str(ROOT / "scenarios"), "--coverage", "--fail-under", "10"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["test", str(ROOT / "scenarios"), "--fail-under", "10"])
    assert res.exit_code == 2
    assert "add `--coverage`" in res.stderr


def test_k_selects_files_and_json_lists_them() -> None:
    res = runner.invoke(app, ["test", str(ROOT / "scenarios"), "-k", "PAKISTAN", "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert [Path(f["file"]).name for f in doc["files"]] == ["pakistan_pa_partner_2021.yaml"]
    assert doc["failed"] == 0 and doc["passed"] == doc["files"][0]["passed"] > 0
    res = runner.invoke(app, ["test", str(ROOT / "scenarios"), "-k", "nothing-like-this"])
    assert res.exit_code == 2
    count = len(list((ROOT / "scenarios").glob("*.yaml")))
    assert f"selects none of the {count} file(s)" in res.stderr


def test_json_reports_failures(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(FROZEN_MEMBER.replace("admitted: true", "admitted: false"), encoding="utf-8")
    res = runner.invoke(app, ["test", str(bad), "--format", "json"])
    assert res.exit_code == 1
    (rec,) = json.loads(res.stdout)["files"]
    assert rec["status"] == "fail"
    assert rec["failures"] == [{"expected": "`srb` admitted = False", "found": "admitted = True"}]
