"""`cstosim show`: what the rules contain as of a date, as a user runs it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from cstosim.api import load_rules
from cstosim.cli import app

ROOT = Path(__file__).resolve().parent.parent


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["show", *map(str, args)])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def sections(*args: str) -> dict[str, Any]:
    code, out, err = invoke(*args, "--format", "json")
    assert code == 0, err
    sections: dict[str, Any] = json.loads(out)["sections"]
    return sections


def held(found: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    rows = found["memberships"]["rows"]
    return {(r["state"], r["body"], r["tier"], r["status"]) for r in rows}


def test_memberships_follow_the_date() -> None:
    # Armenia's active CSTO membership runs to 22 Feb 2024 in the bundled rules, then a
    # frozen one begins (FACTS §3).
    active, frozen = ("ARM", "CSTO", "member", "active"), ("ARM", "CSTO", "member", "frozen")
    before = sections("memberships", "--as-of", "2021-05-12")
    after = sections("memberships", "--as-of", "2024-03-01")
    assert active in held(before) and frozen not in held(before)
    assert frozen in held(after) and active not in held(after)
    # `until` is exclusive, as in the engine: on the day itself the active record has ended.
    assert active not in held(sections("memberships", "--as-of", "2024-02-22"))
    assert active in held(sections("memberships", "--as-of", "2024-02-21"))


def test_without_a_date_everything_is_listed_and_nothing_dropped() -> None:
    spec = load_rules().spec
    found = sections()
    assert set(found) == {"states", "bodies", "memberships", "relations", "commitments",
                          "parameters", "interpretations"}
    assert len(found["memberships"]["rows"]) == len(spec.memberships)
    assert len(found["commitments"]["rows"]) == len(spec.commitments)
    states = found["states"]["rows"]
    assert {r["code"] for r in states if r["from"] == "rules"} == set(spec.states)
    # The bundled reference data fills in every other UN member, each row with its mark.
    bundled = [r for r in states if r["from"] == "bundled"]
    assert {r["code"] for r in states} >= {"NOR", "VNM", "EGY"} | set(spec.states)
    assert len({r["code"] for r in states} - set(spec.states)) == len(bundled)
    assert all(r["source"].endswith("[U]") for r in bundled)
    assert found["memberships"]["not_in_force"] == 0


def test_interpretations_list_what_they_switch() -> None:
    rows = {r["name"]: r for r in sections("interpretations")["interpretations"]["rows"]}
    assert "occupation_is_aggression=true" in rows["victim"]["changes"]
    assert rows["treaty_text"]["changes"] == "(defaults)"


def test_text_names_the_filter() -> None:
    code, out, _ = invoke("relations", "commitments", "--as-of", "1995-01-01")
    assert code == 0
    assert out.startswith("relations (")
    assert "not in force then" in out
    assert "commitments (" in out


def test_given_rules_are_listed(tmp_path: Path) -> None:
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    anchor = "  occupation_min_days:\n"
    assert anchor in text
    mine = tmp_path / "mine.yaml"
    mine.write_text(text.replace(anchor, "  my_threshold:\n    value: 7\n    meaning: Mine.\n"
                                         "    source: test\n" + anchor, 1), encoding="utf-8")
    rows = sections("parameters", "--rules", str(mine))["parameters"]["rows"]
    assert {"name": "my_threshold", "value": "7", "meaning": "Mine.", "source": "test"} in rows


def test_bad_section_and_bad_date_are_usage_errors() -> None:
    code, out, err = invoke("membrships", "--as-of", "12 May 2021")
    assert code == 2
    assert out == ""
    assert "unknown section `membrships`" in err and "did you mean `memberships`?" in err
    assert "`--as-of 12 May 2021` is not a date" in err and "YYYY-MM-DD" in err
    assert "Traceback" not in err


def test_console_script() -> None:
    done = subprocess.run([str(shutil.which("cstosim")), "show", "bodies", "--as-of",
                           "2020-01-01"], cwd=ROOT, capture_output=True, text=True, check=False,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    # The partner and observer tiers came into force on 19 Jan 2021 (FACTS §2).
    assert "partner" not in done.stdout.split("bodies (")[1]
    assert "not in force then" in done.stdout
