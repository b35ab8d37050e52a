"""Golden files: the CLI's output on the seed scenarios, compared byte for byte.

Every case below is a command line as a user types it, run from the repository root
in a subprocess. Its exit code, standard output and standard error are saved under
``tests/golden/<case>.out``. A refactor must leave them all unchanged; an intended
change of output shows up as a diff of these files, reviewed like code.

Regenerate after an intended change with::

    python -m pytest tests/test_golden.py --update-golden

and read ``git diff tests/golden`` before committing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"
# The seed scenarios (the product's first questions). The casebook's other scenarios are
# checked by `cstosim test` (tests/test_scenarios.py), not byte for byte.
SEEDS = ("azerbaijan_csto_member", "azerbaijan_pa_partner_2021", "kazakhstan_2022",
         "pakistan_pa_partner_2021", "syunik_gegharkunik_2021")
FORMATS = ("table", "json", "markdown", "mermaid", "dot", "svg", "html")


def _cases() -> dict[str, list[str]]:
    cases: dict[str, list[str]] = {}
    for seed in SEEDS:
        for fmt in FORMATS:
            cases[f"run-{seed}-{fmt}"] = ["run", f"scenarios/{seed}.yaml", "--format", fmt]
    cases["run-syunik-explain-full"] = ["run", "scenarios/syunik_gegharkunik_2021.yaml",
                                        "--explain", "full"]
    cases["run-kazakhstan-explain-fails-markdown"] = ["run", "scenarios/kazakhstan_2022.yaml",
                                                      "--explain", "fails", "--format", "markdown"]
    syunik, kaz, aze = ("scenarios/syunik_gegharkunik_2021.yaml", "scenarios/kazakhstan_2022.yaml",
                        "scenarios/azerbaijan_csto_member.yaml")
    why = {
        "why-syunik-classification": (syunik, "syunik_2021@secretariat"),
        "why-syunik-obligation": (syunik, "cst_art2_2010:BLR->ARM:syunik_2021@secretariat"),
        "why-syunik-tension": (syunik, "victim_disputes_classification:syunik_2021:ARM-AZE"),
        "why-kazakhstan-classification": (kaz, "kazakhstan_2022@treaty_text"),
        "why-aze-admission-tension": (aze, "candidate_in_conflict_with_member:AZE-CSTO-member:AZE-ARM"),
    }
    for name, (path, ident) in why.items():
        cases[name] = ["explain", path, "--why", ident]
    why_not = {
        "whynot-syunik-label": (syunik, "syunik_2021@secretariat=aggression"),
        "whynot-syunik-art4": (syunik, "cst_art4_2010:RUS->ARM:syunik_2021@treaty_text"),
        "whynot-kazakhstan-label": (kaz, "kazakhstan_2022@treaty_text=aggression"),
    }
    for name, (path, ident) in why_not.items():
        cases[name] = ["explain", path, "--why-not", ident]
    pak, aze_pa = "scenarios/pakistan_pa_partner_2021.yaml", "scenarios/azerbaijan_pa_partner_2021.yaml"
    cases["diff-pak-aze-table"] = ["diff", pak, aze_pa]
    cases["diff-pak-aze-json"] = ["diff", pak, aze_pa, "--format", "json"]
    cases["diff-syunik-readings"] = ["diff", syunik, "--interpretation", "secretariat",
                                     "--interpretation-b", "victim"]
    cases["diff-syunik-set"] = ["diff", syunik, "--set-b", "undelimited_border_excuses=false"]
    cases["diff-aze-member-vs-partner"] = ["diff", aze, aze_pa]
    cases["diff-aze-member-vs-partner-html"] = ["diff", aze, aze_pa, "--format", "html"]
    for fmt in ("table", "json", "csv"):
        cases[f"sweep-syunik-killed-{fmt}"] = ["sweep", syunik, "--vary", "syunik_2021.killed=0..40:5",
                                               "--workers", "1", "--format", fmt]
    cases["sweep-syunik-days-params"] = ["sweep", syunik, "--vary", "syunik_2021.days_on_territory=1,7,30,60",
                                         "--vary", "params.occupation_min_days=5..40:7", "--workers", "1"]
    cases["sweep-kazakhstan-killed"] = ["sweep", kaz, "--vary", "kazakhstan_2022.killed=0..300:50",
                                        "--workers", "1"]
    return cases


CASES = _cases()
PROGRESS_RATE = re.compile(r"in [\d.]+ s \([\d,]+ variants/s\)")


def _run(args: list[str]) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLUMNS", "LINES", "NO_COLOR",
                                                                        "FORCE_COLOR", "TERM"))}
    env.update(COLUMNS="100", PYTHONHASHSEED="0", PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    proc = subprocess.run([sys.executable, "cli.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, encoding="utf-8", timeout=120, check=False)
    # The sweep's progress line carries a rate measured on the clock; keep its shape only.
    stderr = PROGRESS_RATE.sub("in T s (N variants/s)", proc.stderr)
    return (f"$ cstosim {' '.join(args)}\n[exit {proc.returncode}]\n"
            f"--- stdout\n{proc.stdout}--- stderr\n{stderr}")


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden(case: str, request: pytest.FixtureRequest) -> None:
    got = _run(CASES[case])
    path = GOLDEN / f"{case}.out"
    if request.config.getoption("--update-golden"):
        path.write_text(got, encoding="utf-8", newline="\n")
        return
    assert path.exists(), f"no golden file {path.name}; run with --update-golden"
    assert got == path.read_text(encoding="utf-8"), f"output of `{case}` changed; see {path.name}"


def test_no_stale_golden_files() -> None:
    stale = sorted(p.stem for p in GOLDEN.glob("*.out") if p.stem not in CASES)
    assert not stale, f"golden files without a case: {stale}"
