"""Reports people read: summary first, grouped across readings and as a cascade tree,
every section present, Markdown that tables cannot break, colour only on a terminal."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import on_terminal
from typer.testing import CliRunner

from cstosim import summary as sm
from cstosim.api import load_scenario
from cstosim.cli import app
from cstosim.compiled import evaluate

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
AZE_MEMBER = SCENARIOS / "azerbaijan_csto_member.yaml"
KAZ = SCENARIOS / "kazakhstan_2022.yaml"
SEEDS = sorted(SCENARIOS.glob("*.yaml"))
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;[25])[0-9;]*m")  # foreground colours


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(ROOT / "cli.py"), *args], capture_output=True,
                          text=True, cwd=ROOT, env={**os.environ, **(env or {})}, timeout=300)


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_azerbaijan_member_report_is_short_and_drops_nothing() -> None:
    out = cli("run", str(AZE_MEMBER)).stdout
    assert len(out.splitlines()) < 150
    compiled, sc = load_scenario(AZE_MEMBER)
    report = evaluate(compiled, sc)
    assert len(report.obligations) > 400  # 31 NATO debtors and three readings
    tree = sm.obligation_tree(report.obligations, report.interpretations)
    nodes = [n for root in tree for n in root.walk()]
    # every obligation sits in exactly one group, and its group's rows name it
    seen = [o.id for n in nodes for o in n.obligations]
    assert sorted(seen) == sorted(o.id for o in report.obligations)
    for n in nodes:
        pairs = {(d, a) for debtors, against in n.rows for d in debtors for a in against or [None]}
        for o in n.obligations:
            against = o.against if o.against and o.against != o.debtor else None
            assert (o.debtor, against) in pairs
            assert o.interpretation in n.readings and o.commitment == n.commitment
        # ... and the text shows each group with all its debtors
        debtors, against = n.rows[0]
        assert flat(f"{', '.join(debtors)} {'owes' if len(debtors) == 1 else 'owe'} "
                    f"{n.creditor} {n.type}") in flat(out)
    nato = next(n for n in nodes if n.commitment == "nato_art4")
    assert len(nato.debtors) == 29  # every member in force but the creditor TUR ...
    assert nato.depth == 2 and nato.readings == report.interpretations  # ... once, all readings
    assert "[all readings]" in out


def test_the_cascade_is_a_tree_with_steps_under_the_duty_that_set_them_off() -> None:
    out = cli("run", str(AZE_MEMBER)).stdout
    lines = out.splitlines()
    art4 = next(i for i, line in enumerate(lines) if "owe ARM defence (immediate)" in line)
    step1 = next(i for i, line in enumerate(lines) if "> step 1: TUR owes AZE defence" in line)
    step2 = next(i for i, line in enumerate(lines) if "> step 2: ALB, BEL" in line)
    indent = [len(lines[i]) - len(lines[i].lstrip()) for i in (art4, step1, step2)]
    assert art4 < step1 < step2 and indent[0] < indent[1] < indent[2]


def test_the_summary_comes_first_with_labels_side_by_side() -> None:
    out = cli("run", str(KAZ)).stdout
    headings = [line for line in out.splitlines() if re.fullmatch(r"[A-Z][A-Z ]+( \(.*\))?", line)]
    assert headings[0] == "SUMMARY"
    row = next(line for line in out.splitlines() if line.strip().startswith("kazakhstan_2022 "))
    assert row.split() == ["kazakhstan_2022", "internal_unrest", "aggression", "aggression"]
    # readings that differ are named; the two that agree are one entry
    assert "kazakhstan_2022 [secretariat, victim]: aggression" in flat(out)
    assert "[all readings]" not in out.split("TENSIONS")[0].split("CLASSIFICATIONS")[1]


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_every_section_is_written_even_when_empty(path: Path) -> None:
    out = cli("run", str(path)).stdout
    for heading in ("SUMMARY", "ADMISSIONS", "CLASSIFICATIONS", "OBLIGATIONS", "RESPONSE GAPS",
                    "TENSIONS", "NOTES", "DIFFERENCE FROM BASELINE"):
        assert re.search(rf"^{heading}( \(.*\))?$", out, re.M), heading
    md = cli("run", str(path), "--format", "markdown").stdout
    for heading in ("Summary", "Admissions", "Classifications", "Obligations", "Response gaps",
                    "Tensions", "Notes", "Difference from the baseline"):
        assert f"\n## {heading}\n" in md, heading
    blocks = re.split(r"^## .*$", md, flags=re.M)[1:]
    assert all(b.strip() for b in blocks)  # never a heading over nothing


def test_kazakhstan_says_none_where_there_is_nothing() -> None:
    out = cli("run", str(KAZ)).stdout
    assert "ADMISSIONS (0)\n  none\n" in out and "NOTES (0)\n  none\n" in out
    assert "## Admissions\n\nNone.\n" in cli("run", str(KAZ), "--format", "markdown").stdout


def test_the_difference_is_grouped_like_the_obligations() -> None:
    out = cli("run", str(AZE_MEMBER)).stdout
    diff = out.split("DIFFERENCE FROM BASELINE")[1]
    assert "+ only in what-if: 3 obligations:" in diff
    assert "[all readings] AZE owes ARM non_aggression (refrain)" in diff
    # the three readings' new tension is one line, not three
    assert diff.count("assistance_to_both_sides") == 1


def test_one_severity_order_most_severe_first_in_text_and_markdown(tmp_path: Path) -> None:
    order = ["critical", "high", "moderate", "low"]
    for path in SEEDS:
        out = cli("run", str(path)).stdout.split("TENSIONS")[1].split("NOTES")[0]
        seen = re.findall(r"^  \[(critical|high|moderate|low)\]", out, re.M)
        assert seen == sorted(seen, key=order.index), path
        md = cli("run", str(path), "--format", "markdown").stdout
        table = md.split("## Tensions")[1].split("##")[0]
        seen = re.findall(r"^\| (critical|high|moderate|low) \|", table, re.M)
        assert seen == sorted(seen, key=order.index), path


def _cells(row: str) -> list[str]:
    """A Markdown table row's cells, split at the pipes that are not escaped."""
    return re.split(r"(?<!\\)\|", row.strip())[1:-1]


def test_markdown_cells_escape_pipes_and_markup(tmp_path: Path) -> None:
    rules = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    rules = rules.replace("The candidate has no diplomatic relations with a member.",
                          "No relations | with a member *at all* <b>.", 1)
    assert "No relations | with" in rules
    (tmp_path / "rules.yaml").write_text(rules, encoding="utf-8")
    text = (SCENARIOS / "pakistan_pa_partner_2021.yaml").read_text(encoding="utf-8")
    scenario = tmp_path / "pak.yaml"
    scenario.write_text(re.sub(r"(?m)^rules:.*$", "rules: rules.yaml", text)
                        if re.search(r"(?m)^rules:", text) else "rules: rules.yaml\n" + text,
                        encoding="utf-8")
    done = cli("run", str(scenario), "--format", "markdown")
    assert done.returncode == 0, done.stderr
    table = done.stdout.split("## Tensions")[1].split("##")[0].strip().splitlines()
    widths = {len(_cells(row)) for row in table}
    assert widths == {6}, table
    assert "No relations \\| with a member \\*at all\\* &lt;b&gt;." in done.stdout


def test_colour_only_on_request_or_a_terminal_and_never_with_no_color() -> None:
    plain = cli("run", str(KAZ)).stdout
    assert "\x1b" not in plain
    assert cli("run", str(KAZ), "--color", "never").stdout == plain
    coloured = cli("run", str(KAZ), "--color", "always", env={"COLUMNS": "80"}).stdout
    assert COLOUR.search(coloured)
    # the same characters, styled: strip the escapes and the plain text is back
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    no_color = cli("run", str(KAZ), "--color", "always",
                   env={"NO_COLOR": "1", "COLUMNS": "80"}).stdout
    assert not COLOUR.search(no_color)


def test_a_real_terminal_gets_colour_at_its_width() -> None:
    """Run the CLI on a pseudo-terminal, as a user's shell would."""
    env = {"COLUMNS": "120", "LINES": "50", "TERM": "xterm-256color"}
    code, out, _ = on_terminal([sys.executable, str(ROOT / "cli.py"), "run", str(AZE_MEMBER)],
                               env=env, cwd=ROOT, unset=("NO_COLOR",))
    assert code == 0
    assert COLOUR.search(out)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out).replace("\r\n", "\n")
    # wrapped at the terminal's width; only a word longer than that (a URL) sticks out
    fitting = [line for line in text.splitlines() if max(map(len, line.split()), default=0) < 100]
    assert 80 < max(len(line) for line in fitting) <= 120


def test_help_names_values_not_internal_types() -> None:
    runner = CliRunner()
    for command in ("run", "validate", "test", "check", "prove", "explain", "diff", "sweep",
                    "show", "schema"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command
        assert not re.search(r"<(list\[|str>|int>|float>|path>|Path>)", result.output), (
            command, result.output)
    assert "--set NAME=VALUE" in runner.invoke(app, ["run", "--help"]).output


def test_shell_completion_is_on() -> None:
    done = cli("--show-completion", "bash")
    assert done.returncode == 0 and "complete" in done.stdout
    # completion itself, through the installed entry point (its name picks the variable)
    entry = Path(sys.executable).with_name("cstosim")
    if not entry.exists():
        pytest.fail("the cstosim entry point is not installed next to this Python")
    done = subprocess.run([str(entry)], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "_CSTOSIM_COMPLETE": "complete_bash",
                               "COMP_WORDS": "cstosim ru", "COMP_CWORD": "1"})
    assert done.stdout.split() == ["run"]


def test_json_still_holds_every_obligation() -> None:
    data = json.loads(cli("run", str(AZE_MEMBER), "--format", "json").stdout)
    compiled, sc = load_scenario(AZE_MEMBER)
    assert len(data["obligations"]) == len(evaluate(compiled, sc).obligations)


def test_sweep_progress_is_a_bar_on_a_terminal_and_two_lines_in_a_log() -> None:
    args = ["sweep", str(SCENARIOS / "syunik_gegharkunik_2021.yaml"),
            "--vary", "incident.killed=0..3000", "--workers", "1"]
    logged = cli(*args)
    assert logged.returncode == 0, logged.stderr
    lines = logged.stderr.splitlines()
    assert lines[0] == "sweeping 3,001 variants on 1 worker"
    assert re.fullmatch(r"swept 3,001 variants in [\d.]+ s \([\d,]+ variants/s\)", lines[-1])
    assert len(lines) == 2 and "\r" not in logged.stderr and "\x1b" not in logged.stderr
    # on a terminal: rich's bar (redrawn with escapes), then the same summary line
    code, err, stdout = on_terminal([sys.executable, str(ROOT / "cli.py"), *args], cwd=ROOT,
                                    env={"COLUMNS": "100", "TERM": "xterm"}, stdout_too=False)
    assert code == 0
    assert "\x1b[" in err and "3,001 variants" in err
    assert "sweeping 3,001" not in err  # the bar replaces the start line
    assert re.search(r"swept 3,001 variants in [\d.]+ s", err)
    assert stdout == logged.stdout  # the result itself is the same
