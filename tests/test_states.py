"""Every state: any ISO 3166-1 state can appear in a scenario without being listed in the
rules, taking its facts from the bundled reference data (cstosim/data/un_members.csv);
a scenario's `set_state` change wins over both; unknown codes stay load errors."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pycountry
import pytest

import cstosim
from cstosim import reference
from cstosim.compile import CompiledRules

ROOT = Path(__file__).resolve().parent.parent
CASES = Path(__file__).parent / "states"
SOVIET = {"ARM", "AZE", "BLR", "EST", "GEO", "KAZ", "KGZ", "LVA", "LTU", "MDA", "RUS", "TJK",
          "TKM", "UKR", "UZB"}


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)


# ---- the bundled data -----------------------------------------------------------------


def test_bundled_data_lists_every_un_member_with_a_source_and_mark() -> None:
    rows = reference.un_members()
    assert len(rows) == 193
    iso = {c.alpha_3 for c in pycountry.countries}
    assert set(rows) <= iso
    assert {code for code, r in rows.items() if r.former_soviet} == SOVIET
    for r in rows.values():
        # The UN's first day and South Sudan's admission bound every date.
        assert dt.date(1945, 10, 24) <= r.un_member_from <= dt.date(2011, 7, 14), r
        assert reference.SOURCE in r.source, r
        assert r.mark in {"V", "P", "U", "C"}, r
    # Observer states and territories are not members.
    assert reference.lookup("PSE") is None and reference.lookup("VAT") is None
    assert reference.lookup("PRI") is None


def test_rules_states_agree_with_the_bundled_data(rules: CompiledRules) -> None:
    # The rules' own entries take precedence; where both give a fact, they must not differ
    # silently (a mismatch would be a typo in one of them).
    for code, s in rules.spec.states.items():
        r = reference.lookup(code)
        assert r is not None, code
        assert (s.former_soviet, s.un_member_from) == (r.former_soviet, r.un_member_from), code


def test_the_rules_states_take_precedence() -> None:
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8").replace(
        "  MNG: {former_soviet: false, un_member_from: 1961-10-27,",
        "  EGY: {former_soviet: true, un_member_from: 2030-01-01, source: \"test\"}\n"
        "  MNG: {former_soviet: false, un_member_from: 1961-10-27,")
    rules = cstosim.rules_from_text(text, str(ROOT / "rules.yaml"))
    assert rules.program.states["EGY"].un_member_from == dt.date(2030, 1, 1)
    assert rules.program.states["EGY"].former_soviet is True
    # A state the rules do not list: the bundled data.
    assert rules.program.states["NOR"].un_member_from == dt.date(1945, 11, 27)
    # An ISO code that is no UN member: neither a member nor a former Soviet republic.
    assert rules.program.states["PSE"].un_member_from is None


# ---- scenarios as a user runs them ------------------------------------------------------


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.glob("*.yaml")))
def test_state_cases_pass_cstosim_test(case: str) -> None:
    done = cli("test", f"tests/states/{case}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 failed" in done.stdout


def test_a_scenario_naming_nor_vnm_egy_runs_from_the_cli() -> None:
    done = cli("run", "tests/states/open_world.yaml")
    assert done.returncode == 0, done.stderr
    assert "egy_observer: EGY applies to CSTO as observer on 2024-05-01: ADMITTED" in done.stdout
    # EGY passes the UN-membership gate on the bundled admission date (1945).
    assert "gate un_member: passed" in done.stdout
    # CHN's forces stayed on VNM's territory: aggression under the treaty-text reading.
    assert re.search(r"vnm_incident \[treaty_text[^\]]*\]: aggression", done.stdout), done.stdout
    assert "Traceback" not in done.stderr


def test_a_joined_state_from_the_bundled_data_holds_its_tier() -> None:
    rules, scenario = cstosim.load_scenario(CASES / "open_world.yaml")
    report = cstosim.evaluate(rules, scenario)
    admission = next(a for a in report.outcome.admissions if a.id == "egy_observer")
    assert admission.decision == "adopted" and admission.state == "EGY"
    # NOR joined the PA CSTO as observer: it decides nothing in the CSTO.
    assert "NOR" not in {v.decider for v in admission.stances}
    assert {"RUS", "KAZ"} <= {v.decider for v in admission.stances}


def test_set_state_overrides_the_bundled_facts_and_shows_as_a_cause() -> None:
    done = cli("run", "tests/states/set_state.yaml")
    assert done.returncode == 0, done.stderr
    assert "cause: change: `PSE` is taken to be a UN member from 2026-09-01" in done.stdout
    assert "cause: change: `NOR` is taken to be a former Soviet republic" in done.stdout
    # In the baseline (no changes) PSE is no UN member and fails the gate.
    assert "gates_failed\n    [un_member] -> []" in done.stdout


def test_set_state_keeps_facts_it_does_not_give(rules: CompiledRules) -> None:
    text = textwrap.dedent("""\
        cstosim: 1
        name: t
        as_of: 2020-01-01
        changes:
          - set_state: {state: EGY, former_soviet: true, source: what-if}
          - set_state: {state: ARM, un_member_from: null, source: what-if}
        """)
    sc = cstosim.scenario_from_text(text, rules)
    from cstosim.world import World

    world = World(rules.program, sc.case.changes)
    egy = world.facts("EGY")
    assert (egy.former_soviet, egy.un_member_from) == (True, dt.date(1945, 10, 24))
    arm = world.facts("ARM")
    assert (arm.former_soviet, arm.un_member_from) == (True, None)
    assert world.state("ARM", dt.date(2019, 1, 1)).un_member is False


# ---- bad input --------------------------------------------------------------------------


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "s.yaml"
    p.write_text("cstosim: 1\nname: t\nas_of: 2024-01-01\n" + textwrap.dedent(body), encoding="utf-8")
    return p


def test_an_unknown_code_is_still_a_load_error_with_a_hint(tmp_path: Path) -> None:
    p = _write(tmp_path, """\
        events:
          - application: {id: a, state: NRW, body: CSTO, tier: observer, date: 2023-01-01}
        """)
    done = cli("run", str(p))
    assert done.returncode == 2
    assert "s.yaml:5:" in done.stderr
    assert "error[unknown_state]: unknown state code `NRW`" in done.stderr
    assert "did you mean" in done.stderr
    assert "Traceback" not in done.stderr


def test_set_state_without_a_fact_is_an_error(tmp_path: Path) -> None:
    p = _write(tmp_path, """\
        changes:
          - set_state: {state: NOR, source: what-if}
        """)
    done = cli("run", str(p))
    assert done.returncode == 2
    assert "`set_state` gives no fact to set" in done.stderr
    assert "hint: give `former_soviet: true|false`" in done.stderr
    assert "Traceback" not in done.stderr


def test_set_state_needs_a_source(tmp_path: Path) -> None:
    p = _write(tmp_path, """\
        changes:
          - set_state: {state: NOR, former_soviet: true}
        """)
    done = cli("run", str(p))
    assert done.returncode == 2
    assert "source" in done.stderr
    assert "Traceback" not in done.stderr


# ---- start-up cost and purity ----------------------------------------------------------

_PROBE = textwrap.dedent("""\
    import sys
    import cstosim

    def read():
        ref = sys.modules.get("cstosim.reference")
        return ref is not None and ref.un_members.cache_info().currsize == 1

    rules, sc = cstosim.load_scenario(sys.argv[1])
    at_load = read()
    cstosim.evaluate(rules, sc)
    print(at_load, read())
    """)


@pytest.mark.parametrize(("scenario", "reads"), [
    # Rules that list every state they and the scenario name: the data is never read.
    ("tests/catalogue/minimal_rules_scenario.yaml", "False False"),
    # The default rules name NATO's members, which they do not list: read once, at load.
    ("scenarios/kazakhstan_2022.yaml", "True True"),
    ("tests/states/open_world.yaml", "True True"),
])
def test_the_bundled_data_is_read_at_load_only_when_a_state_needs_it(scenario: str,
                                                                     reads: str) -> None:
    # Never at import, and never by `evaluate` (tests/test_determinism.py audits its I/O).
    # Without the start-up cache: compiled rules from the cache carry the states they
    # resolved, so a warm start needs no read for the rules' own names.
    done = subprocess.run([sys.executable, "-c", _PROBE, scenario], cwd=ROOT,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "CSTOSIM_NO_CACHE": "1"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == reads


def test_compiling_a_scenario_resolves_the_states_it_names(rules: CompiledRules) -> None:
    cstosim.load_scenario(CASES / "open_world.yaml", rules)
    # Looked up at compile time (so evaluation reads memory only).
    assert {"EGY", "NOR", "VNM", "CHN"} <= rules.program.states.resolved()
