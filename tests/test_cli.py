"""The CLI end to end, as a user runs it: the installed `cstosim` console script (and
`python cli.py` once) in a subprocess, and typer's CliRunner for the quicker cases.

Exit codes: 0 success, 1 an expectation failed, 2 bad input or usage. Results go to stdout,
diagnostics to stderr as `file:line:column: error[code]: message` plus a `hint:` line; never a
traceback."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cstosim.cli import app
from cstosim.load import load_file

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "scenarios").glob("*.yaml"))
SYUNIK = ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml"
KAZ = ROOT / "scenarios" / "kazakhstan_2022.yaml"
AZE_MEMBER = ROOT / "scenarios" / "azerbaijan_csto_member.yaml"
CSTOSIM = shutil.which("cstosim")
DIAGNOSTIC = re.compile(r"^(?P<file>.+):(?P<line>\d+):(?P<column>\d+): error\[(?P<code>[a-z_0-9]+)\]: .+$")


def cstosim(*args: str | Path, cwd: Path = ROOT, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run the installed console script."""
    assert CSTOSIM is not None, "the `cstosim` console script is not on PATH"
    return subprocess.run([CSTOSIM, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False)


def invoke(*args: str | Path) -> tuple[int, str, str]:
    """Run the CLI in-process: exit code, stdout, stderr."""
    result = CliRunner().invoke(app, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def assert_no_traceback(*outputs: str) -> None:
    for out in outputs:
        assert "Traceback" not in out, out


def assert_bad_input(code: int, out: str, err: str) -> None:
    """Exit 2, nothing on stdout, diagnostics on stderr, no traceback."""
    assert code == 2, (code, out, err)
    assert out == ""
    assert "error[" in err or "Usage" in err, err
    assert_no_traceback(out, err)


def diagnostics(err: str) -> list[dict[str, str]]:
    found = [m.groupdict() for line in err.splitlines() if (m := DIAGNOSTIC.match(line))]
    return found


def where(text: str, anchor: str, target: str | None = None) -> tuple[int, int]:
    assert text.count(anchor) == 1, anchor
    i = text.index(anchor) + (anchor.index(target) if target else 0)
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


def copy_edited(src: Path, dest: Path, *edits: tuple[str, str]) -> str:
    text = src.read_text(encoding="utf-8")
    for old, new in edits:
        assert text.count(old) == 1, old
        changed = text.replace(old, new)
        assert changed != text
        text = changed
    dest.write_text(text, encoding="utf-8")
    return text


@functools.cache
def table(path: Path) -> subprocess.CompletedProcess[str]:
    return cstosim("run", path)


# ---- help, usage ------------------------------------------------------------------------------


def test_help_exits_0() -> None:
    done = cstosim("--help")
    assert done.returncode == 0
    for command in ("run", "validate", "test", "check"):
        assert re.search(rf"^\s+{command}\b", done.stdout, re.M), done.stdout
    assert done.stderr == ""


def test_run_help_exits_0() -> None:
    code, out, _ = invoke("run", "--help")
    assert code == 0
    assert "--format" in out and "--set" in out and "--output" in out


def test_run_without_arguments_is_a_usage_error() -> None:
    done = cstosim("run")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "Usage" in done.stderr and "Missing argument" in done.stderr
    assert_no_traceback(done.stdout, done.stderr)


def test_unknown_format_is_a_usage_error() -> None:
    code, out, err = invoke("run", "--format", "xml", KAZ)
    assert code == 2
    assert out == ""
    assert "xml" in err


# ---- run ----------------------------------------------------------------------------------------


def expected_sections(path: Path) -> set[str]:
    data = load_file(path).data
    events = data.get("events", [])
    sections = set()
    expect = data.get("expect") or {}
    if any("incident" in e for e in events):
        sections.add("CLASSIFICATIONS")
    # An incident may rightly oblige no one (no request, no treaty party attacked: several
    # casebook files); the section is expected where the file expects an obligation.
    if any(o.get("present", True) for o in expect.get("obligations", [])):
        sections.add("OBLIGATIONS")
    if any("application" in e for e in events):
        sections.add("ADMISSIONS")
    if any(t.get("present", True) for t in expect.get("tensions", [])):
        sections.add("TENSIONS")
    return sections


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_run_every_seed_scenario(path: Path) -> None:
    done = table(path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    name = load_file(path).data["name"]
    first = done.stdout.splitlines()[0]
    assert first.startswith("Scenario: ")
    assert name.split()[0] in first
    headings = {re.sub(r" \(\d+[^)]*\)$", "", line) for line in done.stdout.splitlines()
                if re.fullmatch(r"[A-Z][A-Z ]+( \(\d+[^)]*\))?", line)}
    assert expected_sections(path) <= headings, headings
    assert "DIFFERENCE FROM BASELINE" in headings
    assert_no_traceback(done.stdout, done.stderr)


def test_obligations_and_tensions_sections_count_their_items() -> None:
    out = table(SYUNIK).stdout
    m = re.search(r"^OBLIGATIONS \((\d+), in (\d+) groups\)$", out, re.M)
    assert m and int(m[1]) > 0 and 0 < int(m[2]) <= int(m[1])
    m = re.search(r"^TENSIONS \((\d+)\)$", out, re.M)
    assert m and int(m[1]) == 2
    assert "disputed_classification: ARM, AZE" in out


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.stem)
def test_table_output_fits_80_columns_except_urls(path: Path) -> None:
    done = table(path)
    assert done.returncode == 0
    long = [line for line in done.stdout.splitlines() if len(line) > 80 and "http" not in line]
    assert long == []


@pytest.mark.parametrize("explain", ["fails", "full"])
def test_explained_table_output_fits_80_columns_except_urls(explain: str) -> None:
    done = cstosim("run", "--explain", explain, *SEEDS)
    assert done.returncode == 0
    long = [line for line in done.stdout.splitlines() if len(line) > 80 and "http" not in line]
    assert long == []


def test_json_parses_and_is_byte_identical_across_runs() -> None:
    first = cstosim("run", "--format", "json", SYUNIK)
    second = cstosim("run", "--format", "json", SYUNIK)
    assert first.returncode == 0 and second.returncode == 0
    assert first.stdout.encode() == second.stdout.encode()
    report = json.loads(first.stdout)
    assert report["report_version"] == 2
    labels = {c["interpretation"]: c["label"] for c in report["classifications"]}
    assert labels == {"treaty_text": "aggression", "secretariat": "border_incident",
                      "victim": "aggression"}
    assert first.stderr == ""


def test_json_of_several_scenarios_is_a_list() -> None:
    code, out, _ = invoke("run", "-f", "json", SYUNIK, KAZ)
    assert code == 0
    reports = json.loads(out)
    assert isinstance(reports, list) and len(reports) == 2


def test_markdown_output() -> None:
    pakistan = ROOT / "scenarios" / "pakistan_pa_partner_2021.yaml"
    code, out, err = invoke("run", "--format", "markdown", pakistan)
    assert code == 0, err
    assert out.startswith("# Pakistan as a PA CSTO partner (2021)")
    assert "## Admissions" in out and "## Tensions" in out
    assert "|---|" in out
    assert "| `pak_pa_partner` | PAK |" in out


def test_explain_full_shows_leaf_comparisons() -> None:
    code, out, _ = invoke("run", "--explain", "full", SYUNIK)
    assert code == 0
    assert re.search(r"^\s+yes incident\.days_on_territory >= params\.occupation_min_days  \[52 vs 1\]$",
                     out, re.M), out
    assert re.search(r"^\s+NO\s+incident\.killed > params\.frontier_max_killed  \[1 vs 10\]$", out, re.M)
    code, plain, _ = invoke("run", SYUNIK)
    assert code == 0
    assert "[52 vs 1]" not in plain


def test_set_overrides_a_parameter() -> None:
    code, out, err = invoke("run", "-f", "json", "--set", "occupation_min_days=60", SYUNIK)
    assert code == 0, err
    report = json.loads(out)
    assert report["params"] == {"occupation_min_days": 60}
    labels = {c["interpretation"]: c["label"] for c in report["classifications"]}
    # 52 days on territory is below the new threshold: the treaty reading no longer finds occupation.
    assert labels["treaty_text"] == "border_incident"
    code, out, _ = invoke("run", "--set", "occupation_min_days=60", SYUNIK)
    assert code == 0
    assert "occupation_min_days=60" in out


def test_set_unknown_parameter_exits_2_with_did_you_mean() -> None:
    code, out, err = invoke("run", "--set", "occupation_min_dayz=3", KAZ)
    assert_bad_input(code, out, err)
    assert "error[unknown_parameter]" in err
    assert "did you mean `occupation_min_days`" in err


@pytest.mark.parametrize("item", ["occupation_min_days=abc", "occupation_min_days=0755",
                                  "accept_host_framing=yes", "occupation_min_days", "=3"])
def test_set_bad_value_exits_2(item: str) -> None:
    code, out, err = invoke("run", "--set", item, KAZ)
    assert_bad_input(code, out, err)
    assert "hint:" in err


def test_set_label_parameter_to_an_unknown_label_exits_2() -> None:
    # `cascade_label` names a label; `theat` silently drops every cascaded obligation today.
    code, out, err = invoke("run", "--set", "cascade_label=theat", AZE_MEMBER)
    assert_bad_input(code, out, err)
    assert "`threat`" in err


def test_interpretation_restricts_output() -> None:
    code, out, err = invoke("run", "--interpretation", "victim", SYUNIK)
    assert code == 0, err
    assert "Interpretations: victim\n" in out
    assert "syunik_2021 [victim]: aggression" in out
    assert "under secretariat" not in out and "under treaty_text" not in out
    assert "[secretariat]" not in out and "[treaty_text]" not in out
    code, out, _ = invoke("run", "-f", "json", "--interpretation", "victim", SYUNIK)
    assert {c["interpretation"] for c in json.loads(out)["classifications"]} == {"victim"}


def test_unknown_interpretation_exits_2() -> None:
    code, out, err = invoke("run", "--interpretation", "victimm", SYUNIK)
    assert_bad_input(code, out, err)
    assert "error[unknown_interpretation]" in err
    assert "did you mean `victim`?" in err


# ---- --output --------------------------------------------------------------------------------------


def test_output_writes_refuses_to_overwrite_and_replaces_with_force(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    done = cstosim("run", KAZ, "--output", target)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert f"wrote {target}" in done.stderr
    assert target.read_text(encoding="utf-8") == table(KAZ).stdout

    target.write_text("my notes\n", encoding="utf-8")
    done = cstosim("run", KAZ, "--output", target)
    assert done.returncode == 2
    assert done.stdout == ""
    assert "error[file_exists]" in done.stderr and "--force" in done.stderr
    assert target.read_text(encoding="utf-8") == "my notes\n"
    assert_no_traceback(done.stderr)

    done = cstosim("run", KAZ, "--output", target, "--force", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(target.read_text(encoding="utf-8"))["scenario"]
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"], "temporary files left behind"


def test_output_into_missing_folder_or_onto_a_directory_exits_2(tmp_path: Path) -> None:
    code, out, err = invoke("run", KAZ, "--output", tmp_path / "nope" / "r.txt")
    assert_bad_input(code, out, err)
    code, out, err = invoke("run", KAZ, "--output", tmp_path)
    assert_bad_input(code, out, err)
    assert "error[not_a_file]" in err


def test_output_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    # A report is an ordinary file: created with the user's umask, and `--force` keeps the mode
    # of the file it replaces.
    umask = os.umask(0)
    os.umask(umask)
    target = tmp_path / "report.txt"
    done = cstosim("run", KAZ, "--output", target)
    assert done.returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o644)
    done = cstosim("run", KAZ, "--output", target, "--force")
    assert done.returncode == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


# ---- validate -----------------------------------------------------------------------------------------


def test_validate_rules_and_scenario() -> None:
    done = cstosim("validate", "rules.yaml", "scenarios/kazakhstan_2022.yaml")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["ok: rules.yaml (rules)",
                                        "ok: scenarios/kazakhstan_2022.yaml (scenario)"]
    assert done.stderr == ""


def test_validate_every_seed_scenario() -> None:
    code, out, err = invoke("validate", *SEEDS)
    assert code == 0, err
    assert len(out.splitlines()) == len(SEEDS)
    assert all(line.startswith("ok: ") for line in out.splitlines())


def test_validate_bad_file_prints_located_diagnostic_and_hint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = copy_edited(SYUNIK, bad, ("      killed: 1\n", "      kiled: 1\n"))
    done = cstosim("validate", bad)
    assert done.returncode == 2
    assert done.stdout == ""
    found = diagnostics(done.stderr)
    unknown = [d for d in found if d["code"] == "unknown_field"]
    assert len(unknown) == 1
    assert unknown[0]["file"] == str(bad)
    assert (int(unknown[0]["line"]), int(unknown[0]["column"])) == where(text, "      kiled: 1", "kiled")
    assert "  hint: did you mean `killed`?" in done.stderr.splitlines()
    assert re.search(r"^\d+ errors?; nothing was run\.$", done.stderr, re.M)
    assert_no_traceback(done.stdout, done.stderr)


def test_validate_good_and_bad_files_reports_both(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    copy_edited(KAZ, bad, ("target: KAZ", "target: XYZ"))
    code, out, err = invoke("validate", ROOT / "rules.yaml", bad)
    assert code == 2
    assert out == f"ok: {ROOT / 'rules.yaml'} (rules)\n"
    assert [d["code"] for d in diagnostics(err)] == ["unknown_state"]
    assert_no_traceback(out, err)


def test_validate_broken_rules_reports_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    copy_edited(ROOT / "rules.yaml", bad,
                ("gates: [un_member, peaceful_with_members]", "gates: [un_membr, peaceful_with_members]"),
                ("  - id: frontier_encounter\n    label: border_incident\n",
                 "  - id: frontier_encounter\n    label: border_incidnt\n"))
    code, out, err = invoke("validate", bad)
    assert_bad_input(code, out, err)
    assert [d["code"] for d in diagnostics(err)] == ["unknown_gate", "unknown_label"]
    assert "2 errors; nothing was run." in err


# ---- test ---------------------------------------------------------------------------------------------


def test_test_command_on_seed_scenarios() -> None:
    done = cstosim("test", "scenarios")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    m = re.fullmatch(r"(\d+) passed, 0 failed", lines[-1])
    assert m, lines[-1]
    counts = [re.search(r"\((\d+)/(\d+)\)$", line) for line in lines[:-1]]
    assert all(c and c[1] == c[2] for c in counts)
    assert int(m[1]) == sum(int(c[1]) for c in counts if c)
    assert len(counts) == len(SEEDS)


def test_test_command_defaults_to_the_scenarios_folder() -> None:
    done = cstosim("test")
    assert done.returncode == 0
    assert re.search(r"^\d+ passed, 0 failed$", done.stdout, re.M)


def test_test_command_reports_a_failed_expectation(tmp_path: Path) -> None:
    broken = tmp_path / "syunik.yaml"
    copy_edited(SYUNIK, broken, ("interpretation: secretariat, label: border_incident",
                                 "interpretation: secretariat, label: aggression"))
    done = cstosim("test", tmp_path)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"FAIL {broken}" in done.stdout
    assert ("expected `syunik_2021` under `secretariat` is `aggression`; found border_incident"
            in done.stdout)
    assert re.search(r"^\d+ passed, 1 failed$", done.stdout, re.M)
    assert_no_traceback(done.stdout, done.stderr)


def failed_absence(tmp_path: Path) -> str:
    broken = tmp_path / "kaz.yaml"
    copy_edited(KAZ, broken, ("    - {kind: disputed_classification, present: false}",
                              "    - {kind: practice_departs_from_text, parties: [KAZ], present: false}"))
    code, out, _ = invoke("test", broken)
    assert code == 1
    return out


def test_test_command_reports_a_failed_absence(tmp_path: Path) -> None:
    out = failed_absence(tmp_path)
    assert re.search(r"^\s+expected tension `practice_departs_from_text` involving KAZ is absent; "
                     r"found 1\b", out, re.M), out
    assert re.search(r"^\d+ passed, 1 failed$", out, re.M)


def test_test_command_failure_line_reads_as_a_sentence(tmp_path: Path) -> None:
    # "expected ... is absent; found 1 found" repeats the verb.
    out = failed_absence(tmp_path)
    assert "found 1 found" not in out, out


# ---- bad input ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "target", "code"), [
    ("      actor: AZE\n", "      actor: XYZ\n", "XYZ", "unknown_state"),
    ("      actor: AZE\n", "      actor: NO\n", "NO", "unknown_state"),
    ("      killed: 1\n", "      kiled: 1\n", "kiled", "unknown_field"),
    ("      killed: 1\n      wounded: 0\n", "      killed: 1\n      killed: 0\n", "killed: 0",
     "duplicate_key"),
    ("      killed: 1\n", "      killed: one\n", "one", "wrong_value"),
    ("      depth_km: 3.5\n", "      depth_km: '3.5'\n", "'3.5'", "wrong_value"),
], ids=["unknown_state", "alpha2_state", "unknown_field", "duplicate_key", "wrong_type",
        "quoted_number"])
@pytest.mark.parametrize("command", ["run", "test"])
def test_bad_scenario_exits_2_with_location(tmp_path: Path, old: str, new: str, target: str,
                                            code: str, command: str) -> None:
    bad = tmp_path / "bad.yaml"
    text = copy_edited(SYUNIK, bad, (old, new))
    status, out, err = invoke(command, bad)
    assert_bad_input(status, out, err)
    found = [d for d in diagnostics(err) if d["code"] == code]
    assert len(found) == 1, err
    assert found[0]["file"] == str(bad)
    assert (int(found[0]["line"]), int(found[0]["column"])) == where(text, new, target)
    assert "  hint: " in err


def test_bad_scenario_through_the_console_script(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    text = copy_edited(SYUNIK, bad, ("      actor: AZE\n", "      actor: NO\n"))
    done = cstosim("run", bad)
    assert done.returncode == 2
    assert done.stdout == ""
    line, column = where(text, "      actor: NO\n", "NO")
    assert f"{bad}:{line}:{column}: error[unknown_state]: unknown state code `NO`" in done.stderr
    assert "  hint: `NO` is an alpha-2 code; use the alpha-3 code `NOR`" in done.stderr
    assert_no_traceback(done.stdout, done.stderr)


@pytest.mark.parametrize("command", ["run", "validate", "test"])
def test_missing_file_exits_2(command: str, tmp_path: Path) -> None:
    code, out, err = invoke(command, tmp_path / "nope.yaml")
    assert_bad_input(code, out, err)
    assert "file_not_found" in err


@pytest.mark.parametrize("command", ["run", "validate"])
def test_directory_exits_2(command: str, tmp_path: Path) -> None:
    code, out, err = invoke(command, tmp_path)
    assert_bad_input(code, out, err)
    assert "error[not_a_file]" in err


@pytest.mark.parametrize("command", ["run", "validate", "test"])
def test_same_file_twice_exits_2(command: str) -> None:
    code, out, err = invoke(command, KAZ, KAZ)
    assert_bad_input(code, out, err)
    assert "error[duplicate_file]" in err


def test_same_file_twice_under_different_spellings_exits_2() -> None:
    done = cstosim("run", "scenarios/kazakhstan_2022.yaml", "./scenarios/../scenarios/kazakhstan_2022.yaml")
    assert done.returncode == 2
    assert "error[duplicate_file]" in done.stderr


def test_rules_file_given_as_scenario_exits_2() -> None:
    code, out, err = invoke("run", ROOT / "rules.yaml")
    assert_bad_input(code, out, err)
    assert "error[wrong_file_kind]" in err


def test_scenario_rules_key_naming_a_directory_says_so(tmp_path: Path) -> None:
    sc = tmp_path / "s.yaml"
    (tmp_path / "rules_dir").mkdir()
    copy_edited(KAZ, sc, ("as_of: 2022-01-10\n", "rules: rules_dir\nas_of: 2022-01-10\n"))
    code, out, err = invoke("validate", sc)
    assert_bad_input(code, out, err)
    assert "does not exist" not in err, err
    assert "directory" in err


def test_endless_device_file_is_refused_not_read_into_memory() -> None:
    # /dev/zero reports size 0 and never ends; the size limit must hold while reading.
    # The address-space limit keeps a failing run from exhausting the machine's memory.
    import resource

    def limit_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    assert CSTOSIM is not None
    done = subprocess.run([CSTOSIM, "validate", "/dev/zero"], capture_output=True, text=True,
                          timeout=60, check=False, preexec_fn=limit_memory)
    assert done.returncode == 2, done.stderr[-2000:]
    assert_no_traceback(done.stdout, done.stderr)


# ---- streams, entry points --------------------------------------------------------------------------


def test_results_on_stdout_and_diagnostics_on_stderr(tmp_path: Path) -> None:
    done = table(KAZ)
    assert done.returncode == 0
    assert done.stdout.startswith("Scenario: ") and done.stderr == ""
    bad = tmp_path / "bad.yaml"
    copy_edited(KAZ, bad, ("target: KAZ", "target: XYZ"))
    done = cstosim("run", bad)
    assert done.returncode == 2
    assert done.stdout == ""
    assert diagnostics(done.stderr)[0]["code"] == "unknown_state"


def test_python_cli_py_runs_the_same_cli() -> None:
    done = subprocess.run([sys.executable, "cli.py", "run", "scenarios/kazakhstan_2022.yaml"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout == table(KAZ).stdout
    bad = subprocess.run([sys.executable, "cli.py", "run", "scenarios/nope.yaml"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=False)
    assert bad.returncode == 2
    assert "error[file_not_found]" in bad.stderr
    assert_no_traceback(bad.stdout, bad.stderr)


def test_cli_runner_and_console_script_agree() -> None:
    code, out, err = invoke("run", KAZ)
    assert code == 0 and err == ""
    assert out == cstosim("run", KAZ).stdout


@pytest.mark.parametrize("kind", ["validation", "compile"])
def test_a_flood_of_problems_shows_fifty_and_counts_the_rest(tmp_path: Path, kind: str) -> None:
    # Problems past the 50th were once dropped with no word; now they are counted.
    f = tmp_path / "flood.yaml"
    if kind == "validation":  # 80 negative death tolls, caught by the model
        events = "".join(
            f"  - incident: {{id: i{n}, actor: AZE, target: ARM, start: 2021-05-12, state_forces: true, "
            "crossed_border: true, days_on_territory: 1, depth_km: 1, killed: -1, wounded: 0, "
            "captured: 0, shots_fired: true, border_delimited: false}\n" for n in range(80))
    else:  # 80 applications to a body the rules do not have: caught by the compile stages
        events = "".join(f"  - application: {{id: a{n}, state: BRA, body: CSTX, "
                         "tier: partner, date: 2021-07-01}\n" for n in range(80))
    f.write_text(f"cstosim: 1\nname: flood\nas_of: 2021-07-03\nevents:\n{events}", encoding="utf-8")
    code, out, err = invoke("validate", f)
    assert code == 2 and out == ""
    assert err.count("error[unknown_body]" if kind == "compile" else "error[wrong_value]") == 50
    assert "30 more not shown" in err and err.rstrip().endswith("80 errors; nothing was run.")


def test_report_names_the_bundled_rules_as_the_user_would() -> None:
    # The JSON once carried the checkout's absolute path, so reports differed between machines.
    done = cstosim("run", "scenarios/kazakhstan_2022.yaml", "--format", "json", cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["rules"]["file"] == "rules.yaml"


def test_test_command_with_nothing_to_test_is_an_error(tmp_path: Path) -> None:
    # An empty folder once reported "0 passed, 0 failed" and exit 0.
    code, out, err = invoke("test", tmp_path)
    assert_bad_input(code, out, err)
    assert "error[nothing_to_test]" in err


def test_interpretation_given_twice_is_refused(tmp_path: Path) -> None:
    code, out, err = invoke("run", SYUNIK, "--interpretation", "victim", "--interpretation", "victim")
    assert_bad_input(code, out, err)
    assert "error[duplicate_interpretation]" in err and "given twice" in err
    twice = "interpretations: [victim, victim]\nas_of:"
    text = SYUNIK.read_text(encoding="utf-8").replace("as_of:", twice, 1)
    f = tmp_path / "twice.yaml"
    f.write_text(text, encoding="utf-8")
    code, out, err = invoke("validate", f)
    assert_bad_input(code, out, err)
    assert "error[duplicate_interpretation]" in err
    assert "interpretation `victim` is listed twice" in err


def test_misspelt_expected_tension_kind_is_refused(tmp_path: Path) -> None:
    # With `present: false`, a misspelt kind passed forever.
    text = KAZ.read_text(encoding="utf-8")
    assert "{kind: disputed_classification, present: false}" in text
    f = tmp_path / "kaz.yaml"
    f.write_text(text.replace("{kind: disputed_classification,", "{kind: disputed_clasification,"),
                 encoding="utf-8")
    code, out, err = invoke("test", f)
    assert_bad_input(code, out, err)
    assert "error[unknown_tension_kind]" in err and "`disputed_classification`" in err


def test_parameter_every_reading_overrides_is_not_a_cause() -> None:
    args = ("run", SYUNIK, "--format", "json", "--interpretation", "secretariat",
            "--interpretation", "victim", "--set", "accept_host_framing=true")
    code, out, _ = invoke(*args)
    report = json.loads(out)
    assert code == 0 and report["difference"]["causes"] == []
    assert any("`accept_host_framing` = true has no effect" in n["text"] for n in report["notes"])
    code, out, _ = invoke(*args, "--interpretation", "treaty_text")
    report = json.loads(out)
    assert [c["text"] for c in report["difference"]["causes"]] == [
        "parameter `accept_host_framing` = true (default false)"]


def test_the_actors_own_duty_is_not_shown_as_owed_against_itself() -> None:
    code, out, _ = invoke("run", AZE_MEMBER)
    assert code == 0
    assert "AZE owes ARM non_aggression (refrain)\n" in out
    assert "non_aggression (refrain) against AZE" not in out
    # other debtors still say it (the line may wrap anywhere)
    assert "owe ARM defence (immediate) against AZE" in " ".join(out.split())
