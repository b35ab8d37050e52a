"""Hostile input and I/O faults (issue 16), through the installed `cstosim` as a user runs it.

Each case must end in a documented exit code with a message and no traceback: dates at the
ends of the calendar, sweep ranges that overflow, symlink loops, closed / full / broken
stdout, ASCII locales, non-UTF-8 file names, and `-o` targets that must not be replaced.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AZE_MEMBER = ROOT / "scenarios" / "azerbaijan_csto_member.yaml"
MINIMAL_RULES = ROOT / "tests" / "catalogue" / "minimal_rules.yaml"
CSTOSIM = shutil.which("cstosim")


def cstosim(*args: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    assert CSTOSIM is not None, "the `cstosim` console script is not on PATH"
    return subprocess.run([CSTOSIM, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, check=False, env=env)


def shell(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a shell line, with `$CSTOSIM` naming the console script."""
    assert CSTOSIM is not None
    return subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, "CSTOSIM": CSTOSIM})


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stdout + done.stderr, done.stderr


def edited(src: Path, dest: Path, *edits: tuple[str, str]) -> Path:
    text = src.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    dest.write_text(text, encoding="utf-8")
    return dest


# ---- dates at the ends of the calendar ------------------------------------------------------

def calendar_end(tmp_path: Path, year: str) -> Path:
    day = "9999-12-31" if year == "9999" else "0001-01-01"
    return edited(AZE_MEMBER, tmp_path / f"y{year}.yaml", ("2022-09-20", day),
                  ("2021-07-08", day), ("2021-07-07", day), ("2022-09-13", day))


@pytest.mark.parametrize("year", ["0001", "9999"])
def test_run_and_test_at_the_ends_of_the_calendar(tmp_path: Path, year: str) -> None:
    path = calendar_end(tmp_path, year)
    done = cstosim("run", path)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    done = cstosim("test", path)
    no_traceback(done)
    assert done.returncode == 1  # the expectations were written for 2022; they fail, cleanly
    assert "FAIL" in done.stdout


def test_check_rules_with_a_membership_from_year_1(tmp_path: Path) -> None:
    rules = edited(MINIMAL_RULES, tmp_path / "rules.yaml",
                   ("tier: member, from: 1992-05-15, source: FACTS §3}\n  - {state: RUS",
                    "tier: member, from: 1992-05-15, source: FACTS §3}\n  - {state: RUS"),
                   ("{state: RUS, body: CSTO, tier: member, from: 1992-05-15",
                    "{state: RUS, body: CSTO, tier: member, from: 0001-01-01"))
    done = cstosim("check", "--rules", rules, "--examples", "3", "--property", "round_trip",
                   "--property", "time", cwd=tmp_path)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert "all properties hold" in done.stdout


# ---- sweep ranges ---------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["0..1e999", "1e999..1e999", "0..10:1e-999",
                                  "0.." + "9" * 400])
def test_sweep_ranges_that_overflow_are_bad_input(spec: str) -> None:
    done = cstosim("sweep", AZE_MEMBER, "--vary", f"params.occupation_min_days={spec}")
    no_traceback(done)
    assert done.returncode == 2, done.stderr
    assert "error[bad_sweep]" in done.stderr
    assert done.stdout == ""


# ---- files that are not there ---------------------------------------------------------------

@pytest.mark.parametrize("command", ["run", "test"])
def test_a_symlink_loop_is_reported_as_such(tmp_path: Path, command: str) -> None:
    (tmp_path / "a.yaml").symlink_to("b.yaml")
    (tmp_path / "b.yaml").symlink_to("a.yaml")
    done = cstosim(command, "a.yaml", cwd=tmp_path)
    no_traceback(done)
    assert done.returncode == 2
    assert "a.yaml: error[file_not_found]" in done.stderr
    assert "symbolic links" in done.stderr


# ---- standard output ------------------------------------------------------------------------

def test_closed_stdout_is_exit_2_with_a_message(tmp_path: Path) -> None:
    done = shell(f'"$CSTOSIM" run {AZE_MEMBER} >&-', tmp_path)
    no_traceback(done)
    assert done.returncode == 2
    assert "error[cannot_write]: standard output is closed" in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_stdout_is_exit_2_with_a_message(tmp_path: Path) -> None:
    done = shell(f'"$CSTOSIM" run {AZE_MEMBER} >/dev/full', tmp_path)
    no_traceback(done)
    assert done.returncode == 2
    assert "No space left on device" in done.stderr


def test_broken_pipe_exits_141_quietly(tmp_path: Path) -> None:
    # the reader closes its end without reading, so every write meets EPIPE
    done = shell(f'"$CSTOSIM" run {AZE_MEMBER} | (exec 0<&-; sleep 1); echo "rc=${{PIPESTATUS[0]}}"',
                 tmp_path)
    assert done.stdout.strip() == "rc=141", done.stderr
    assert done.stderr == ""  # quietly: no message, no "Exception ignored"


@pytest.mark.parametrize("env", [{"LC_ALL": "C", "PYTHONIOENCODING": "ascii"},
                                 {"LC_ALL": "C", "LANG": "C"}])
def test_an_ascii_terminal_gets_escapes_not_a_crash(env: dict[str, str]) -> None:
    assert CSTOSIM is not None
    done = subprocess.run([CSTOSIM, "run", AZE_MEMBER], capture_output=True, timeout=60,
                          env={**os.environ, **env}, check=False)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    if env.get("PYTHONIOENCODING") == "ascii":
        done.stdout.decode("ascii")  # nothing but ASCII
        assert b"\\xa7" in done.stdout  # the `§` of a source, escaped


@pytest.mark.skipif(sys.platform == "darwin", reason="APFS refuses non-UTF-8 names")
def test_a_non_utf8_output_name(tmp_path: Path) -> None:
    assert CSTOSIM is not None
    name = b"\xff-report.json"
    done = subprocess.run([CSTOSIM.encode(), b"run", str(AZE_MEMBER).encode(), b"-f", b"json",
                           b"-o", name], cwd=tmp_path, capture_output=True, timeout=60,
                          env={**os.environ, "LC_ALL": "C"}, check=False)
    assert done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    assert os.path.exists(tmp_path / os.fsdecode(name))


# ---- outputs that must not clobber -----------------------------------------------------------

def test_concurrent_writers_never_both_create_the_same_file(tmp_path: Path) -> None:
    assert CSTOSIM is not None
    for trial in range(4):
        target = f"same{trial}.json"
        procs = [subprocess.Popen([CSTOSIM, "run", str(AZE_MEMBER), "-o", target], cwd=tmp_path,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for _ in range(3)]
        codes = sorted(p.wait(timeout=60) for p in procs)
        for p in procs:
            assert p.stderr is not None
            assert b"Traceback" not in p.stderr.read()
            p.stderr.close()
        assert codes == [0, 2, 2], codes
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".cstosim-")]


def test_output_onto_an_input_is_refused_even_with_force(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    shutil.copy(AZE_MEMBER, scenario)
    before = scenario.read_bytes()
    done = cstosim("run", "s.yaml", "-o", "s.yaml", "--force", cwd=tmp_path)
    no_traceback(done)
    assert done.returncode == 2
    assert "error[output_is_input]" in done.stderr
    assert scenario.read_bytes() == before


def test_output_onto_a_device_is_refused_even_with_force(tmp_path: Path) -> None:
    (tmp_path / "null").symlink_to(os.devnull)
    for target in (os.devnull, "null"):
        done = cstosim("run", AZE_MEMBER, "-o", target, "--force", cwd=tmp_path)
        no_traceback(done)
        assert done.returncode == 2
        assert "error[not_a_file]" in done.stderr
    assert Path(os.devnull).is_char_device()
    assert (tmp_path / "null").is_symlink()


def test_output_onto_a_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    done = cstosim("run", AZE_MEMBER, "-o", "d", "--force", cwd=tmp_path)
    assert done.returncode == 2
    assert "is a directory" in done.stderr


def test_a_dangling_symlink_is_replaced_only_with_force(tmp_path: Path) -> None:
    link = tmp_path / "out.txt"
    link.symlink_to("nowhere/else.txt")
    done = cstosim("run", AZE_MEMBER, "-o", "out.txt", cwd=tmp_path)
    assert done.returncode == 2
    assert "error[file_exists]" in done.stderr
    assert link.is_symlink()
    done = cstosim("run", AZE_MEMBER, "-o", "out.txt", "--force", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not link.is_symlink() and link.is_file()  # the link itself was replaced
    assert not (tmp_path / "nowhere").exists()


def test_check_writes_no_hypothesis_folder_in_the_working_directory(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    done = cstosim("check", "--examples", "3", "--property", "round_trip", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / ".hypothesis").exists()


# ---- facts in diagnostics --------------------------------------------------------------------

@pytest.mark.parametrize("newline", [b"\r", b"\r\n", b"\n"])
def test_invalid_utf8_is_reported_at_its_line_whatever_the_line_breaks(
        tmp_path: Path, newline: bytes) -> None:
    lines = [b"cstosim: 1", b"name: ok", b"as_of: 2021-07-03", b"note: caf\xe9"]
    (tmp_path / "s.yaml").write_bytes(newline.join(lines) + newline)
    done = cstosim("validate", "s.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "s.yaml:4:10: error[invalid_utf8]" in done.stderr, done.stderr


@pytest.mark.parametrize("name", ["1e3", "1.0e5", "2e-3", ".5", "+1", "null", "2021-07-03"])
def test_a_name_that_looks_like_a_number_survives_the_round_trip(tmp_path: Path, name: str) -> None:
    from cstosim.api import load_scenario
    from cstosim.properties import dump_scenario

    text = AZE_MEMBER.read_text(encoding="utf-8")
    first = next(line for line in text.splitlines() if line.startswith("name:"))
    path = tmp_path / "s.yaml"
    path.write_text(text.replace(first, f"name: '{name}'"), encoding="utf-8")
    _, scenario = load_scenario(path, None)
    again = tmp_path / "again.yaml"
    again.write_text(dump_scenario(scenario.spec), encoding="utf-8")
    _, reloaded = load_scenario(again, None)
    assert reloaded.spec.name == name
    assert reloaded.spec == scenario.spec


# ---- bounded work -----------------------------------------------------------------------------

def test_a_dense_pact_web_with_a_deep_chain_search_is_capped_with_a_note(tmp_path: Path) -> None:
    from cstosim.admissions import MAX_CHAIN_STEPS

    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    assert "  chain_depth:\n    value: 2" in text
    text = text.replace("  chain_depth:\n    value: 2", "  chain_depth:\n    value: 100")
    states = ["ARM", "AZE", "BLR", "GEO", "KAZ", "KGZ", "RUS", "TJK",
              "UZB", "PAK", "IND", "CHN", "SRB", "AFG", "IRN", "MNG"]
    pact = ("commitments:\n  - id: big_pact\n    type: defence\n    treaty: A sixteen-state pact\n"
            f"    article: Art. 1\n    parties: {{states: [{', '.join(states)}]}}\n"
            "    from: 2000-01-01\n    owed_by: other_parties\n    strength: immediate\n"
            "    military: true\n    judged_by: interpretation\n    meaning: every party defends "
            "every other\n    source: a test\n    when: classification.rank >= 3\n")
    (tmp_path / "rules.yaml").write_text(text.replace("commitments:\n", pact, 1), encoding="utf-8")
    # 15! simple paths through one pact: without the cap this never finishes
    done = cstosim("run", "--rules", "rules.yaml", AZE_MEMBER, cwd=tmp_path, timeout=120)
    no_traceback(done)
    assert done.returncode == 0, done.stderr
    assert f"the pact-chain search stopped after {MAX_CHAIN_STEPS:,} steps" in done.stdout


def test_flip_detection_finds_each_flip_once_on_a_long_axis() -> None:
    from cstosim.sweep import Axis, flips

    axis = Axis("x", "params", "x", tuple(range(5000)))
    summary = {"labels": {}, "obligations": {}, "tensions": [], "admitted": {}}
    flipped = {**summary, "labels": {"i": "aggression"}}
    variants = [((v,), flipped if v >= 4321 else summary) for v in axis.values]
    found = flips((axis,), variants)
    assert [(f["from"], f["to"]) for f in found] == [(4320, 4321)]


def test_a_flood_of_bad_events_stops_at_the_item_limit(tmp_path: Path) -> None:
    from cstosim.api import MAX_ITEMS

    (tmp_path / "s.yaml").write_text("cstosim: 1\nname: x\nas_of: 2021-01-01\nevents:\n"
                                     + "- 1\n" * (MAX_ITEMS + 1), encoding="utf-8")
    done = cstosim("validate", "s.yaml", cwd=tmp_path)
    no_traceback(done)
    assert done.returncode == 2
    assert (f"s.yaml:5:1: error[too_many_items]: `events` has more than {MAX_ITEMS:,} items, "
            "the limit") in done.stderr
    assert done.stderr.count("error[") == 1  # not one error per item


@pytest.mark.parametrize("brk", ["\x85", "\u2028", "\u2029"], ids=["NEL", "LS", "PS"])
def test_lines_are_counted_as_an_editor_counts_them(tmp_path: Path, brk: str) -> None:
    """YAML counts NEL, U+2028 and U+2029 as line breaks; editors do not: a diagnostic names
    the line the user sees (found by the fuzzer: line 25 of a 23-line file)."""
    path = tmp_path / "odd.yaml"
    path.write_text(f"cstosim: 1\nname: \"a{brk}b{brk}c\"\nas_of: 2021-07-03\nevents: [\n",
                    encoding="utf-8")
    done = cstosim("validate", path)
    no_traceback(done)
    assert done.returncode == 2
    assert f"{path}:5:1: error[yaml_syntax]" in done.stderr, done.stderr


@pytest.mark.parametrize("redirect, code", [(">&-", 2), ("| (exec 0<&-; sleep 1)", 141)])
def test_the_coloured_report_meets_stdout_faults_like_the_plain_one(
        tmp_path: Path, redirect: str, code: int) -> None:
    done = shell(f'"$CSTOSIM" run {AZE_MEMBER} --color always {redirect}; '
                 'echo "rc=${PIPESTATUS[0]}"', tmp_path)
    no_traceback(done)
    assert done.stdout.strip() == f"rc={code}", done.stderr


def test_a_list_of_900000_items_is_refused_while_it_is_read(tmp_path: Path) -> None:
    """It once took 14 s: every item was built, then counted. Now reading stops at the list's
    10,001st item, with the list's place."""
    from cstosim.api import MAX_ITEMS

    (tmp_path / "s.yaml").write_text("cstosim: 1\nname: x\nas_of: 2021-01-01\nevents:\n"
                                     + "  - 1\n" * 900_000, encoding="utf-8")
    for command in ("validate", "run"):
        done = cstosim(command, "s.yaml", cwd=tmp_path)
        no_traceback(done)
        assert done.returncode == 2
        assert done.stderr.startswith(f"s.yaml:5:3: error[too_many_items]: `events` has more "
                                      f"than {MAX_ITEMS:,} items, the limit\n  hint: split it")
        assert done.stderr.count("error[") == 1 and done.stdout == ""
