"""Loading: a generated 10,000-incident scenario through the safe loader and validation.

Subject: ``cstosim.load.load_file(path)`` then
``cstosim.api.validate_model(cstosim.model.ScenarioFile, doc)`` - the project's safe,
location-keeping YAML loader and its strict pydantic models.

Floor: ``yaml.load(text, Loader=yaml.CSafeLoader)`` then
``ScenarioFile.model_validate(data)`` on the same file - bare libyaml plus pydantic.
Both build the same data (dates as ``datetime.date``; checked before timing) and the
model is the same, so the difference is the loader. The file is also checked against
the default rules once (``cstosim.load_scenario``), so it is a valid scenario.

The project's loader pauses the garbage collector while it builds (a large load
allocates millions of containers, and each automatic collection walks them all); the
bare floor does not, which costs it a lot. So a second row compares against the same
floor with the collector paused around ``yaml.load``: the stricter comparison. Two more
rows, for information, split the difference: parsing alone (``load_file`` against
``yaml.load``, both with the collector paused), and ``check_scenario`` (the reference
checks against the rules, which ``cstosim run`` also pays).
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

import cstosim
from benchmarks.generate import scenario_text
from benchmarks.harness import Figure, Goal, Settings, alone, interleaved

GOAL = Goal("<=", 1.2, text="<=1.2x")
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def run(settings: Settings) -> list[Figure]:
    from cstosim.api import validate_model
    from cstosim.load import load_file
    from cstosim.model import ScenarioFile

    rules = cstosim.load_rules()
    n = settings.load_incidents
    text = scenario_text(n, settings.seed, sorted(rules.spec.states))
    with tempfile.TemporaryDirectory(prefix="cstosim-bench-load-") as tmp:
        path = Path(tmp) / f"generated_{n}_incidents.yaml"
        path.write_text(text, encoding="utf-8")

        def project() -> ScenarioFile:
            return validate_model(ScenarioFile, load_file(path))

        def bare_yaml() -> object:
            return yaml.load(path.read_text(encoding="utf-8"), Loader=FAST_LOADER)

        def floor() -> ScenarioFile:
            return ScenarioFile.model_validate(bare_yaml())

        def floor_gc_paused() -> ScenarioFile:
            with gc_paused():
                data = bare_yaml()
            return ScenarioFile.model_validate(data)

        # Checks first (they also warm every path), then drop what they built: a large
        # live heap makes every garbage collection during the timed loads slower.
        c = check(path, rules, settings)
        gc.collect()

        a, b, b2, p, q = interleaved(
            [project, floor, floor_gc_paused, lambda: load_file(path), lambda: _paused(bare_yaml)],
            repeat=settings.load_repeat, seconds=0.0)
    size = len(text.encode())
    extra = {"incidents": n, "bytes": size, "libyaml": FAST_LOADER is not yaml.SafeLoader}
    return [
        Figure("loading", f"load + validate {n:,}-incident scenario ({size / 1e6:.1f} MB)", "ms",
               ms(a), ms(b), "yaml.load(CSafeLoader) + model_validate", GOAL, extra=extra),
        Figure("loading", "  same, floor with GC paused during yaml.load", "ms", ms(a), ms(b2),
               "gc.disable(); yaml.load(CSafeLoader); gc.enable(); model_validate", GOAL,
               note="the project's loader pauses the garbage collector; this floor does too",
               extra=extra),
        Figure("loading", "  parse only: load_file vs yaml.load (GC paused)", "ms", ms(p), ms(q),
               "yaml.load(CSafeLoader) with GC paused",
               note="information: the loader's share of the difference", extra=extra),
        Figure("loading", f"check_scenario against the rules ({n:,} incidents)", "ms", ms(c), ms(a),
               "load + validate (first row)",
               note="information: the reference checks that load_scenario adds", extra=extra),
    ]


def check(path: Path, rules: cstosim.CompiledRules, settings: Settings) -> list[float]:
    """Check that both loaders build the same data and that the file is a valid scenario;
    return timings of ``check_scenario`` on it."""
    from cstosim.compile import check_scenario
    from cstosim.load import load_file

    doc = load_file(path)
    if doc.data != _paused(lambda: yaml.load(path.read_text(encoding="utf-8"), Loader=FAST_LOADER)):
        raise AssertionError("the safe loader and yaml.CSafeLoader built different data")
    _, scenario = cstosim.load_scenario(path, rules)  # valid against the default rules
    return alone(lambda: check_scenario(rules, scenario.spec, doc.locate),
                 repeat=settings.load_repeat, seconds=0.0)


def ms(xs: list[float]) -> list[float]:
    return [x * 1e3 for x in xs]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the garbage collector, as ``cstosim.load.load_text`` does while it builds."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _paused(fn: Callable[[], object]) -> object:
    with gc_paused():
        return fn()


def profile(settings: Settings) -> str:
    """cProfile of load_file + validate_model on the generated file (quick size)."""
    import cProfile
    import io
    import pstats

    from cstosim.api import validate_model
    from cstosim.load import load_file
    from cstosim.model import ScenarioFile

    rules = cstosim.load_rules()
    n = min(settings.load_incidents, 5_000)
    with tempfile.TemporaryDirectory(prefix="cstosim-bench-load-") as tmp:
        path = Path(tmp) / "generated.yaml"
        path.write_text(scenario_text(n, settings.seed, sorted(rules.spec.states)), encoding="utf-8")
        validate_model(ScenarioFile, load_file(path))
        prof = cProfile.Profile()
        prof.runcall(lambda: validate_model(ScenarioFile, load_file(path)))
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(20)
    return f"load_file + validate_model, {n:,} incidents\n" + out.getvalue()
