"""Echo limits and sanitising (issue 16): what a diagnostic or a report may repeat of user input.

Diagnostics quote at most a bounded, escaped excerpt of a user value; a file that is not a
cstosim file is named, never quoted; values smuggling control characters through YAML escapes
are bad input; Markdown gets user text as literal text, never as HTML or markup.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from cstosim.errors import MAX_EXCERPT, Diagnostic, Location, did_you_mean, excerpt
from cstosim.render.markdown import md as _text

ROOT = Path(__file__).resolve().parent.parent
KAZ = ROOT / "scenarios" / "kazakhstan_2022.yaml"
KAZ_NAME = "name: Kazakhstan requests Art. 4 assistance (January 2022)"
CSTOSIM = shutil.which("cstosim")


def cstosim(*args: str | Path, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    assert CSTOSIM is not None, "the `cstosim` console script is not on PATH"
    return subprocess.run([CSTOSIM, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False)


def edited(dest: Path, old: str, new: str) -> Path:
    text = KAZ.read_text(encoding="utf-8")
    assert old in text, old
    dest.write_text(text.replace(old, new), encoding="utf-8")
    return dest


def bad_input(done: subprocess.CompletedProcess[str], code: str) -> None:
    assert done.returncode == 2, done.stderr
    assert f"error[{code}]" in done.stderr and "hint:" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_excerpt_cuts_long_values_and_counts_them() -> None:
    assert excerpt("ARM") == "ARM"
    cut = excerpt("Q" * 1_000_000)
    assert cut.startswith("Q" * MAX_EXCERPT + "...") and "1,000,000 characters" in cut
    assert len(cut) < 2 * MAX_EXCERPT


def test_diagnostics_escape_control_characters_everywhere() -> None:
    d = Diagnostic("wrong_value", Location("a\x1b[2J.yaml", 1, 1), "bad `\x1b]0;title\x07`", "try `\r`")
    text = d.format()
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text
    assert "\\x1b]0;title\\x07" in text and "\\r" in text


def test_did_you_mean_spares_difflib_for_huge_values() -> None:
    assert did_you_mean("AMR", ["ARM", "KAZ"]) == "did you mean `ARM`?"
    assert did_you_mean("Q" * 100_000, ["ARM", "KAZ"]).startswith("expected one of")


def test_a_file_that_is_not_a_cstosim_file_is_named_not_quoted(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("root:x:0:0:hunter2:/root:/bin/bash\n", encoding="utf-8")
    scenario = edited(tmp_path / "s.yaml", "cstosim: 1\n", f"cstosim: 1\nrules: {secret}\n")
    for args in ([secret], [scenario], ["check", "--rules", secret]):
        done = cstosim(*(["run", *args] if args[0] != "check" else args), cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert "hunter2" not in done.stderr and "root:x" not in done.stderr, done.stderr
        assert "`secret.txt` is not a cstosim file" in done.stderr and "hint:" in done.stderr


def test_a_megabyte_state_code_is_echoed_as_a_bounded_excerpt(tmp_path: Path) -> None:
    scenario = edited(tmp_path / "s.yaml", "target: KAZ", "target: " + "Q" * 1_000_000)
    done = cstosim("run", scenario, cwd=tmp_path)
    bad_input(done, "unknown_state")
    assert "s.yaml:14:" in done.stderr and "1,000,000 characters" in done.stderr
    assert len(done.stderr) < 1_000, len(done.stderr)


def test_a_megabyte_set_value_is_echoed_as_a_bounded_excerpt(tmp_path: Path) -> None:
    done = cstosim("run", KAZ, "--set", "chain_depth=" + "9x" * 50_000, cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr) < 2_000, len(done.stderr)


def test_terminal_escapes_in_a_value_are_refused_at_their_place(tmp_path: Path) -> None:
    scenario = edited(tmp_path / "s.yaml", KAZ_NAME, 'name: "\\e]0;pwned\\a\\e[2J K"')
    done = cstosim("run", scenario, cwd=tmp_path)
    bad_input(done, "control_character")
    assert "s.yaml:5:7:" in done.stderr and "U+001B" in done.stderr
    assert "\x1b" not in done.stderr


def test_markdown_gets_user_text_as_literal_text(tmp_path: Path) -> None:
    scenario = edited(tmp_path / "s.yaml", KAZ_NAME,
                      'name: "<script>x</script> *bold* [l](javascript:x) | `c`"')
    done = cstosim("run", scenario, "--format", "markdown", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    heading = done.stdout.splitlines()[0]
    assert "<script>" not in done.stdout and "&lt;script&gt;" in heading
    assert "\\*bold\\*" in heading and "\\[l\\]" in heading and "\\|" in heading
    assert _text("Kazakhstan (2022)") == "Kazakhstan (2022)"  # plain names are unchanged


def test_a_scenario_named_like_a_number_survives_the_round_trip() -> None:
    from cstosim.api import load_rules, scenario_from_text
    from cstosim.properties import dump_scenario, round_trip

    rules = load_rules(None)
    text = KAZ.read_text(encoding="utf-8")
    for name in ("1e3", "1.0e5", "2e-3", "-7", ".5", "2022-01-01", "null", "true"):
        sc = scenario_from_text(text.replace(KAZ_NAME, f"name: '{name}'"), rules, "s.yaml")
        assert sc.spec.name == name
        assert round_trip(rules, sc) == [], (name, dump_scenario(sc.spec))
