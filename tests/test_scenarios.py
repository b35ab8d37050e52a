"""The seed scenarios are tests: their expect blocks hold, and reports are stable."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SCENARIOS

import cstosim
from cstosim.compile import CompiledRules
from cstosim.properties import check_scenario_properties
from cstosim.render.json import report_text

REGRESSIONS = sorted((Path(__file__).parent / "regressions").glob("*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS + REGRESSIONS, ids=lambda p: p.stem)
def test_expectations_hold(path: Path, rules: CompiledRules) -> None:
    compiled, scenario = cstosim.load_scenario(path, rules)
    assert scenario.spec.expect is not None, "every seed scenario carries an expect block"
    report = cstosim.evaluate(compiled, scenario, explain="off")
    results = cstosim.check_expectations(report, scenario.spec.expect)
    failed = [r for r in results if not r.passed]
    violations = check_scenario_properties(compiled, scenario, scenario.spec.expect.properties)
    assert results or scenario.spec.expect.properties
    assert not failed, failed
    assert not any(violations.values()), violations


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
def test_json_is_byte_identical_across_evaluations(path: Path, rules: CompiledRules) -> None:
    _, scenario = cstosim.load_scenario(path, rules)
    first = report_text(cstosim.evaluate(rules, scenario))
    _, again = cstosim.load_scenario(path, rules)
    assert report_text(cstosim.evaluate(rules, again)) == first


def test_scenario_rules_key_is_resolved_next_to_the_scenario(tmp_path: Path, root: Path) -> None:
    (tmp_path / "my_rules.yaml").write_text((root / "rules.yaml").read_text(encoding="utf-8"),
                                            encoding="utf-8")
    text = (root / "scenarios" / "kazakhstan_2022.yaml").read_text(encoding="utf-8")
    sc = tmp_path / "s.yaml"
    sc.write_text(text.replace("as_of:", "rules: my_rules.yaml\nas_of:", 1), encoding="utf-8")
    compiled, _ = cstosim.load_scenario(sc)
    assert compiled.file == str(tmp_path / "my_rules.yaml")


def test_expectation_failure_is_reported(rules: CompiledRules, root: Path) -> None:
    text = (root / "scenarios" / "syunik_gegharkunik_2021.yaml").read_text(encoding="utf-8")
    broken = text.replace("interpretation: secretariat, label: border_incident",
                          "interpretation: secretariat, label: aggression")
    assert broken != text
    scenario = cstosim.scenario_from_text(broken, rules)
    assert scenario.spec.expect is not None
    results = cstosim.check_expectations(cstosim.evaluate(rules, scenario), scenario.spec.expect)
    failed = [r for r in results if not r.passed]
    assert len(failed) == 1 and failed[0].actual == "border_incident"
