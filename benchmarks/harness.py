"""Timing helpers, the result row (:class:`Figure`), the printed table and the JSON file.

Every figure is a median over several samples, compared with a floor measured in the
same run. Where a figure and its floor run in one process their samples are taken
alternately (subject, floor, subject, floor, ...) so that drift in the machine's speed
(other load, frequency changes) falls on both alike.

The ratio is always ``median / floor median``. For times lower is better; for
throughputs (``/s``) higher is better; each goal says which way it reads.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


@dataclass(frozen=True)
class Settings:
    """How much work each figure does; ``quick`` is the ~30 s smoke run."""

    quick: bool = False
    seed: int = 20210512

    @property
    def cli_runs(self) -> int:
        return 5 if self.quick else 15

    @property
    def incidents(self) -> int:
        return 20_000 if self.quick else 200_000

    @property
    def repeat(self) -> int:
        """Samples per in-process figure."""
        return 3 if self.quick else 5

    @property
    def sample_seconds(self) -> float:
        """Rough length of one in-process timing sample."""
        return 0.1 if self.quick else 0.4

    @property
    def sweep_variants(self) -> int:
        return 200 if self.quick else 1_500

    @property
    def load_incidents(self) -> int:
        # At most cstosim.api.MAX_ITEMS: a longer `events` list is refused before validation.
        return 2_000 if self.quick else 10_000

    @property
    def load_repeat(self) -> int:
        return 3

    @property
    def scales(self) -> tuple[int, ...]:
        return (1, 4) if self.quick else (1, 4, 16)


@dataclass(frozen=True)
class Goal:
    """A target for a figure: ``value OP limit`` where value is the ratio or the median."""

    op: str
    limit: float
    on: str = "ratio"
    text: str = ""

    def __post_init__(self) -> None:
        if self.op not in ("<", "<=", ">", ">="):
            raise ValueError(f"unknown goal operator {self.op!r}")
        if self.on not in ("ratio", "median"):
            raise ValueError(f"a goal applies to the ratio or the median, not {self.on!r}")

    def label(self) -> str:
        if self.text:
            return self.text
        return f"{self.op}{self.limit:g}x" if self.on == "ratio" else f"{self.op}{self.limit:g}"

    def met(self, value: float) -> bool:
        return {"<": value < self.limit, "<=": value <= self.limit,
                ">": value > self.limit, ">=": value >= self.limit}[self.op]


@dataclass
class Figure:
    """One row of the table: samples of the subject, samples of its floor, a goal."""

    group: str
    name: str
    unit: str
    samples: list[float]
    floor_samples: list[float] | None = None
    floor_name: str = ""
    goal: Goal | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def floor(self) -> float | None:
        return statistics.median(self.floor_samples) if self.floor_samples else None

    @property
    def ratio(self) -> float | None:
        f = self.floor
        return None if f is None or f == 0 else self.median / f

    @property
    def met(self) -> bool | None:
        if self.goal is None:
            return None
        value = self.ratio if self.goal.on == "ratio" else self.median
        return None if value is None else self.goal.met(value)

    def to_json(self) -> dict[str, Any]:
        return {
            "group": self.group, "name": self.name, "unit": self.unit,
            "median": self.median, "samples": self.samples,
            "floor_name": self.floor_name or None, "floor_median": self.floor,
            "floor_samples": self.floor_samples, "ratio": self.ratio,
            "goal": self.goal.label() if self.goal else None,
            "goal_applies_to": self.goal.on if self.goal else None,
            "met": self.met, "note": self.note or None, **({"extra": self.extra} if self.extra else {}),
        }


# ---- timing -----------------------------------------------------------------------


def per_call(fn: Callable[[], object], number: int) -> float:
    """Seconds per call of ``fn``, over ``number`` calls in a row."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - start) / number


def calibrate(fn: Callable[[], object], seconds: float) -> int:
    """How many calls of ``fn`` make a sample of about ``seconds``, timed on one warm-up call
    (which also fills caches: the first call is never a sample). With ``seconds <= 0``: one
    call per sample and no warm-up call, for callers that have already run ``fn``."""
    if seconds <= 0:
        return 1
    once = per_call(fn, 1)
    if once * 20 < seconds:  # short calls: time a few more for a steadier estimate
        once = per_call(fn, 20)
    if once <= 0:
        return 1000
    return max(1, min(1_000_000, round(seconds / once)))


def interleaved(fns: list[Callable[[], object]], *, repeat: int, seconds: float) -> list[list[float]]:
    """Per-call seconds of each of ``fns``, sampled in turn (a, b, c, a, b, c, ...)."""
    numbers = [calibrate(fn, seconds) for fn in fns]
    out: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, n, samples in zip(fns, numbers, out, strict=True):
            samples.append(per_call(fn, n))
    return out


def paired(subject: Callable[[], object], floor: Callable[[], object], *, repeat: int,
           seconds: float) -> tuple[list[float], list[float]]:
    """Per-call seconds of ``subject`` and ``floor``, sampled alternately ``repeat`` times each."""
    a, b = interleaved([subject, floor], repeat=repeat, seconds=seconds)
    return a, b


def alone(subject: Callable[[], object], *, repeat: int, seconds: float) -> list[float]:
    """Per-call seconds of ``subject``, ``repeat`` samples."""
    n = calibrate(subject, seconds)
    return [per_call(subject, n) for _ in range(repeat)]


def wall(cmd: list[str], *, cwd: Path = REPO, env: dict[str, str] | None = None) -> float:
    """Wall-clock seconds of one subprocess, which must exit 0."""
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {done.returncode}: "
                           f"{done.stderr.decode(errors='replace')[-500:]}")
    return elapsed


# ---- output -----------------------------------------------------------------------


def _num(x: float | None) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}" if abs(x) >= 0.01 else f"{x:.2e}"


def table(figures: list[Figure]) -> str:
    """A plain-text table, one figure per row."""
    rows = [("figure", "median", "unit", "floor", "ratio", "goal", "met")]
    for f in figures:
        met = "-" if f.met is None else ("yes" if f.met else "NO")
        rows.append((f.name, _num(f.median), f.unit, _num(f.floor),
                     "-" if f.ratio is None else f"{f.ratio:.2f}x",
                     f.goal.label() if f.goal else "-", met))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for i, r in enumerate(rows):
        cells = [r[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells))
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(figures: list[Figure]) -> str:
    """The same table in Markdown, for the README."""
    out = ["| figure | median | unit | floor | ratio | goal | met |",
           "| --- | ---: | --- | ---: | ---: | --- | --- |"]
    for f in figures:
        met = "-" if f.met is None else ("yes" if f.met else "**no**")
        ratio = "-" if f.ratio is None else f"{f.ratio:.2f}x"
        goal = (f.goal.label() if f.goal else "-").replace("|", "\\|")
        out.append(f"| {f.name} | {_num(f.median)} | {f.unit} | {_num(f.floor)} | {ratio} | "
                   f"{goal} | {met} |")
    return "\n".join(out)


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions: dict[str, str] = {}
    for name in ("cstosim", "pydantic", "pydantic_core", "typer", "PyYAML", "pycountry"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # a missing distribution is just not reported
            versions[name] = "?"
    import yaml

    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": sys.version.split()[0],
        "implementation": platform.python_implementation(), "platform": platform.platform(),
        "libyaml": bool(getattr(yaml, "__with_libyaml__", False)), "versions": versions,
        "git": _git(),
    }


def _git() -> dict[str, Any] | None:
    """The commit measured and whether the work tree had changes (read-only git calls)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=False, timeout=10)
        status = subprocess.run(["git", "status", "--porcelain", "--", "cstosim", "rules.yaml"],
                                cwd=REPO, capture_output=True, text=True, check=False, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if head.returncode != 0:
        return None
    return {"commit": head.stdout.strip(), "engine_modified": bool(status.stdout.strip())}


def load_average() -> float | None:
    """The one-minute load average (other work on the machine makes figures noisy)."""
    return round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None


def write_json(path: Path, figures: list[Figure], settings: Settings, elapsed: float,
               errors: dict[str, str], load_before: float | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quick": settings.quick, "seed": settings.seed, "elapsed_s": round(elapsed, 1),
        "load_average": {"before": load_before, "after": load_average()},
        "machine": machine(),
        "ratio": "median / floor median (see each goal for the direction)",
        "figures": [f.to_json() for f in figures],
        "errors": errors,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2, default=str) + "\n")
    tmp.replace(path)
