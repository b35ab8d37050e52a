"""``cstosim check``: the property run a rule author waits for (issue 14, part 5).

Two figures, each from ``cstosim check`` run as a subprocess the way a user runs it (its
counterexample folder in a temporary directory; the hypothesis database is kept out of the
working directory by ``check`` itself):

* **at defaults** - every property at the default number of examples on all cores, one run
  (it takes about half a minute). The goal is absolute, under 60 s of wall time on a 2-core
  machine, so it applies to the median itself; on a machine with another core count it is
  reported for information. ``--quick`` runs 50 examples per property instead and states no
  goal.
* **all cores vs one** - the same properties at fewer examples with the default worker count
  against ``--jobs 1`` (in-process), runs alternating. The ratio shows what the worker pool
  buys; ``extra`` gives the parallel efficiency (speed-up / cores) and the CPU seconds of each
  side, taken from the children's resource usage.

Each run must exit 0 (the bundled rules satisfy every property); a run that fails is a group
failure, not a figure.
"""

from __future__ import annotations

import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.bench_startup import cstosim_command
from benchmarks.harness import REPO, Figure, Goal, Settings

DEFAULT_EXAMPLES = 500  # cstosim check --examples default; asserted against --help below
WALL_GOAL = Goal("<", 60.0, on="median", text="<60 s on 2 cores")


def timed(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds (this process's children: the command and its workers)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        tail = (done.stdout + done.stderr).decode(errors="replace")[-800:]
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: {tail}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def default_examples(cli: list[str]) -> int:
    """The ``--examples`` default as ``check --help`` states it, so the figure's name stays true."""
    text = subprocess.run([*cli, "check", "--help"], cwd=REPO, capture_output=True, text=True,
                          check=True, env={**os.environ, "COLUMNS": "200"}).stdout
    marker = "[default: "
    for line in text.splitlines():
        if "--examples" in line and marker in line:
            return int(line.split(marker, 1)[1].split(";", 1)[0].rstrip("]"))
    return DEFAULT_EXAMPLES


def run(settings: Settings) -> list[Figure]:
    cli = cstosim_command()
    cores = os.cpu_count() or 1
    figures = []
    with tempfile.TemporaryDirectory(prefix="cstosim-bench-check-") as tmp:
        def check(*args: str) -> list[str]:
            out = Path(tmp) / f"out-{len(os.listdir(tmp))}"
            return [*cli, "check", "--out", str(out), *args]

        examples = 50 if settings.quick else default_examples(cli)
        wall_s, cpu_s = timed(check("--examples", str(examples)))
        figures.append(Figure(
            "check", f"check: every property x {examples} examples, {cores} cores", "s",
            [wall_s], goal=None if settings.quick or cores != 2 else WALL_GOAL,
            note="one run; wall time; the goal applies to the 2-core figure at defaults",
            extra={"examples": examples, "cores": cores, "cpu_s": round(cpu_s, 2)}))

        small = 20 if settings.quick else 100
        runs = 1 if settings.quick else 3
        par: list[float] = []
        one: list[float] = []
        par_cpu = one_cpu = 0.0
        for _ in range(runs):
            w, c = timed(check("--examples", str(small)))
            par.append(w)
            par_cpu += c
            w, c = timed(check("--examples", str(small), "--jobs", "1"))
            one.append(w)
            one_cpu += c
        fig = Figure(
            "check", f"check x {small} examples: all cores vs --jobs 1", "s", par, one,
            "--jobs 1", None, note="information: what the worker pool buys",
            extra={"examples": small, "cores": cores, "cpu_s": round(par_cpu / runs, 2),
                   "floor_cpu_s": round(one_cpu / runs, 2)})
        if fig.ratio:
            fig.extra["parallel_efficiency"] = round(1 / fig.ratio / cores, 2)
        figures.append(fig)
    return figures


def profile(settings: Settings) -> str:
    return ("check runs as subprocesses with worker processes; profile one property in-process "
            "instead: python -m cProfile -s cumtime $(which cstosim) check --jobs 1 "
            "--property ID --examples 50")
