"""Determinism and isolation.

* ``cstosim run SCENARIO --format json`` prints byte-identical output whatever the string-hash
  seed (``PYTHONHASHSEED`` 0, 1, 12345 and random), for every seed scenario.
* Evaluation touches no network and no file, and loading opens only the files it was given:
  a harness process installs an audit hook (``sys.addaudithook``) after its imports, then loads
  a scenario and evaluates it twice, recording every ``open``, ``socket.*`` and other file-system
  or process event with the phase it happened in. The first (cold) evaluation may only import
  the modules the package defers for a fast start-up; the second (warm) one may do nothing.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pycountry
import pytest

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
HASH_SEEDS = ("0", "1", "12345", "random")
CLI = shutil.which("cstosim")
TIMEOUT = 60


# ---- byte-identical output across hash seeds --------------------------------------------------


def _run_json(scenario: Path, hash_seed: str) -> subprocess.CompletedProcess[bytes]:
    assert CLI is not None, "the `cstosim` command is not on PATH; install the package"
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    return subprocess.run([CLI, "run", str(scenario.relative_to(ROOT)), "--format", "json"], cwd=ROOT,
                          env=env, capture_output=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def json_runs() -> Iterator[dict[tuple[str, str], subprocess.CompletedProcess[bytes]]]:
    """Every scenario under every hash seed, run a few processes at a time."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {(s.name, h): pool.submit(_run_json, s, h) for s in SCENARIOS for h in HASH_SEEDS}
        yield {key: f.result() for key, f in futures.items()}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_json_report_is_byte_identical_across_hash_seeds(
        scenario: Path, json_runs: dict[tuple[str, str], subprocess.CompletedProcess[bytes]]) -> None:
    outputs = {}
    for hash_seed in HASH_SEEDS:
        proc = json_runs[(scenario.name, hash_seed)]
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
        assert proc.stdout.strip(), "empty report"
        outputs[hash_seed] = proc.stdout
    first = outputs[HASH_SEEDS[0]]
    differing = [h for h, out in outputs.items() if out != first]
    assert not differing, f"PYTHONHASHSEED {differing} changed the JSON report of {scenario.name}"
    json.loads(first)


# ---- no network, no stray files -------------------------------------------------------------------

HARNESS = textwrap.dedent("""\
    import json, os, sys

    import cstosim
    import cstosim.api

    # Imports happen before the hook: importing is not what is audited. The package's
    # loaders import cstosim.api (and pydantic) when first called, so import it now.
    load_scenario, evaluate = cstosim.load_scenario, cstosim.evaluate

    scenario_path = sys.argv[1]
    phase = "start"
    events = []
    WATCH = ("open", "socket.", "os.", "shutil.", "subprocess.", "urllib.", "http.", "ftplib.",
             "smtplib.", "glob.", "tempfile.", "sqlite3.", "ctypes.", "mmap.", "webbrowser.")

    def _show(value):
        if isinstance(value, (bytes, os.PathLike)):
            return os.fsdecode(value)
        return value if isinstance(value, (str, int, type(None))) else repr(value)[:200]

    def hook(event, args):
        if event.startswith(WATCH):
            events.append([phase, event, _show(args[0]) if args else None])

    sys.addaudithook(hook)
    # Cold: the first load and evaluation may import modules the package defers.
    # Warm: the same again, with everything imported.
    for run in ("cold", "warm"):
        phase = run + " load"
        rules, scenario = load_scenario(scenario_path)
        phase = run + " evaluate"
        report = evaluate(rules, scenario)
    phase = "done"
    json.dump({"events": events, "sys_path": sys.path}, sys.stdout)
""")


def _allowed_library_files() -> dict[Path, str]:
    """The non-module files loading may open besides the scenario and its rules."""
    db = Path(pycountry.DATABASE_DIR)
    allowed = {db / "iso3166-1.json": "pycountry's country database (state codes)",
               db / "iso3166-2.json": "pycountry's subdivision database (location codes)"}
    dist = importlib.metadata.distribution("pycountry")
    metadata = next(dist.locate_file(f) for f in dist.files or () if f.name == "METADATA"
                    and f.parent.name.endswith(".dist-info"))
    # `import pycountry` (done lazily, when the first state code is checked) asks
    # importlib.metadata for its own version, which reads this file.
    allowed[Path(metadata)] = "pycountry's distribution metadata, read by `import pycountry`"
    own = importlib.metadata.distribution("cstosim")
    allowed[Path(next(own.locate_file(f) for f in own.files or () if f.name == "METADATA"))] = (
        "cstosim's own metadata: its version is part of the cache key")
    from cstosim import reference

    allowed[reference.data_path()] = ("the bundled state data, read at load when the rules or the "
                                "scenario name a state the rules do not list")
    return {p.resolve(): why for p, why in allowed.items()}


def _is_module_file(path: Path, sys_path: list[str]) -> bool:
    """A Python module file the import system opens: a .py/.pyc/.so file under a sys.path entry,
    or a sys.path entry itself (zipimport probes e.g. lib/python311.zip)."""
    entries = [Path(p).resolve() for p in sys_path if p]
    if path in entries:
        return True
    if path.suffix not in (".py", ".pyc", ".so"):
        return False
    return any(path.is_relative_to(e) for e in entries)


def _is_import(path: Path, event: str, sys_path: list[str]) -> bool:
    """An import-system event: opening a module file, or listing a folder on the import path."""
    if event == "open":
        return _is_module_file(path, sys_path)
    return any(path.is_relative_to(Path(p).resolve()) for p in sys_path if p)


def _audit(scenario: Path, cache_dir: Path) -> dict[str, Any]:
    env = {**os.environ, "CSTOSIM_CACHE_DIR": str(cache_dir)}
    env.pop("CSTOSIM_NO_CACHE", None)
    proc = subprocess.run([sys.executable, "-c", HARNESS, str(scenario)], capture_output=True, text=True,
                          timeout=TIMEOUT, cwd=ROOT, stdin=subprocess.DEVNULL, env=env)
    assert proc.returncode == 0, proc.stderr
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


AUDITED = [*SCENARIOS, ROOT / "tests" / "catalogue" / "minimal_rules_scenario.yaml"]


@pytest.mark.parametrize("scenario", AUDITED, ids=lambda p: p.stem)
def test_evaluation_touches_no_network_and_no_files_beyond_its_inputs(scenario: Path,
                                                                      tmp_path: Path) -> None:
    import cstosim
    from cstosim.api import read_scenario_document, scenario_rules_path

    doc, spec = read_scenario_document(scenario)
    rules_file = scenario_rules_path(doc, spec) or cstosim.DEFAULT_RULES
    named = {scenario.resolve(), Path(rules_file).resolve()}

    cache_dir = (tmp_path / "cache").resolve()
    result = _audit(scenario, cache_dir)
    sys_path = result["sys_path"]
    everything: list[tuple[str, str, Any]] = [tuple(e) for e in result["events"]]

    # The compiled-rules cache (cstosim.cache) is the one place loading may write: the cold
    # load fills it, the warm load only reads it. Nothing else happens there.
    def in_cache(e: tuple[str, str, Any]) -> bool:
        return isinstance(e[2], str) and Path(e[2]).resolve().is_relative_to(cache_dir)

    cached = [e for e in everything if in_cache(e)]
    assert {e[0] for e in cached} <= {"cold load", "warm load"}, cached
    assert [e for e in cached if e[0] == "cold load" and e[1] == "os.rename"], \
        f"the cold load wrote no cache entry: {cached}"
    warm_writes = [e for e in cached if e[0] == "warm load" and e[1] != "open"]
    assert not warm_writes, f"the warm load wrote to the cache: {warm_writes}"
    events = [e for e in everything if not in_cache(e)]
    network = [e for e in events if e[1].startswith(("socket.", "urllib.", "http.", "ftplib.", "smtplib."))]
    assert not network, f"network activity: {network}"
    warm = [e for e in events if e[0] == "warm evaluate"]
    assert not warm, f"evaluate touched the outside world: {warm}"
    cold = [e for e in events if e[0] == "cold evaluate" and not (
        e[1] in ("open", "os.listdir", "os.scandir") and isinstance(e[2], str)
        and _is_import(Path(e[2]).resolve(), e[1], sys_path))]
    assert not cold, f"evaluate did more than import the modules it defers: {cold}"

    library_files = _allowed_library_files()
    for run in ("cold", "warm"):
        opened: set[Path] = set()
        for phase, event, arg in (e for e in events if e[0] == f"{run} load"):
            if event == "open":
                assert isinstance(arg, str), f"open of a non-path {arg!r} during {phase}"
                opened.add(Path(arg).resolve())
            elif event in ("os.listdir", "os.scandir"):
                assert isinstance(arg, str) and _is_import(Path(arg).resolve(), event, sys_path), (
                    f"{event} {arg} during {phase}")
            else:
                pytest.fail(f"unexpected {event} {arg!r} during {phase}")
        unexpected = sorted(str(p) for p in opened - named - set(library_files)
                            if not _is_module_file(p, sys_path))
        assert not unexpected, f"loading ({run}) opened files it was not given: {unexpected}"
        assert named <= opened, f"the scenario and its rules were not read ({run}): {named - opened}"
