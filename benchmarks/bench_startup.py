"""CLI start-up: ``cstosim run`` and ``cstosim --help`` as cold subprocesses against a typer floor.

Each command is a fresh interpreter (no state carried between runs), run with the same
Python as this suite. The installed ``cstosim`` console script is run as
``python <script>`` so that a version manager's shim (pyenv's is a shell script) does
not add its own start-up to one side only.

Bytecode: an installed package has its ``.pyc`` files, but an editable install under
``PYTHONDONTWRITEBYTECODE=1`` (set on the development machines) recompiles cstosim's
sources on every start. So the subprocesses run with ``PYTHONPYCACHEPREFIX`` set to a
temporary folder and that variable unset: one untimed run of each command writes the
caches there (nothing is written in the repository or site-packages), then the timed
runs alternate between cstosim and the floor.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.harness import REPO, Figure, Goal, Settings, wall

SCENARIO = "scenarios/syunik_gegharkunik_2021.yaml"
FLOOR_APP = Path(__file__).resolve().parent / "floor_app.py"
GOAL = Goal("<=", 1.0, text="<=1.0x")  # issue 15: start-up at the floor


def cstosim_command() -> list[str]:
    """How to start the installed ``cstosim`` command with this interpreter."""
    script = Path(sys.executable).parent / "cstosim"
    if not script.is_file():
        found = shutil.which("cstosim")
        script = Path(found) if found else script
    if script.is_file() and script.read_bytes()[:2] == b"#!" and b"python" in script.read_bytes()[:200]:
        return [sys.executable, str(script)]
    # No Python console script next to the interpreter: start the same entry point directly.
    return [sys.executable, "-c", "import sys; from cstosim.cli import entry; sys.exit(entry())"]


def run(settings: Settings) -> list[Figure]:
    cli = cstosim_command()
    floor = [sys.executable, str(FLOOR_APP)]
    cases = [
        ("CLI start-up: cstosim run <syunik>", [*cli, "run", SCENARIO], [*floor, "run", SCENARIO]),
        ("CLI start-up: cstosim --help", [*cli, "--help"], [*floor, "--help"]),
    ]
    figures = []
    with tempfile.TemporaryDirectory(prefix="cstosim-bench-pycache-") as cache:
        env = cache_env(cache)
        for name, subject, base in cases:
            wall(subject, env=env)
            wall(base, env=env)
            a: list[float] = []
            b: list[float] = []
            for _ in range(settings.cli_runs):
                a.append(wall(subject, env=env))
                b.append(wall(base, env=env))
            figures.append(fig(name, subject, base, a, b, settings))
    return figures


def fig(name: str, subject: list[str], base: list[str], a: list[float], b: list[float],
        settings: Settings) -> Figure:
    return Figure(
        "startup", name, "ms", [x * 1e3 for x in a], [x * 1e3 for x in b],
        "typer floor app (benchmarks/floor_app.py)", GOAL,
        note=f"{settings.cli_runs} cold runs each, alternating; bytecode cached",
        extra={"command": " ".join(subject), "floor_command": " ".join(base)})


def cache_env(cache: str) -> dict[str, str]:
    """This process's environment with bytecode caches written to and read from ``cache``."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = cache
    return env


def profile(settings: Settings) -> str:
    """Where start-up goes: module import times and a cProfile of ``cstosim run``."""
    with tempfile.TemporaryDirectory(prefix="cstosim-bench-pycache-") as cache:
        env = cache_env(cache)
        importtime = [sys.executable, "-X", "importtime", "-c", "import cstosim.cli"]
        subprocess.run(importtime, cwd=REPO, env=env, capture_output=True, check=False)
        imp = subprocess.run(importtime, cwd=REPO, env=env, capture_output=True, text=True,
                             check=False)
        cli = cstosim_command()
        prof = None
        if cli[1] != "-c":
            cmd = [sys.executable, "-m", "cProfile", "-s", "cumulative", cli[1], "run", SCENARIO]
            prof = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    rows = []
    for line in imp.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[0].split(":")[-1].strip().isdigit():
            self_us, cum_us = int(parts[0].split(":")[-1]), int(parts[1])
            rows.append((cum_us, self_us, parts[2].rstrip()))
    rows.sort(reverse=True)
    out = ["python -X importtime -c 'import cstosim.cli' (top 30 by cumulative microseconds)",
           f"{'cumulative':>10} {'self':>8}  module"]
    out += [f"{c:>10} {s:>8}  {name}" for c, s, name in rows[:30]]
    out += ["", "top 15 by self time", f"{'self':>8}  module"]
    out += [f"{s:>8}  {name.strip()}" for _, s, name in sorted(rows, key=lambda r: -r[1])[:15]]
    if prof is not None:
        lines = prof.stdout.splitlines()
        start = next((i for i, text in enumerate(lines) if "function calls" in text), 0)
        out += ["", "python -m cProfile -s cumulative cstosim run <syunik> (top 60)"]
        out += lines[start:start + 68]
    return "\n".join(out)
