"""Scenario evaluation on a compiled model: per-scenario time, the cost of tracing, and sweeps.

* Each seed scenario in ``scenarios/`` is evaluated repeatedly with
  ``cstosim.evaluate(rules, scenario, explain="off")`` (goal: under 1 ms). ``evaluate``
  runs the what-if *and* its baseline, so it is two passes over the events.
* Tracing on: ``explain="full"`` against ``explain="off"`` (goal: at most 3x), once for
  ``evaluate`` (whose baseline is never traced) and once for the what-if pass alone
  (``cstosim.evaluate.run``).
* Tracing off: ``explain="off"`` against the same call with the evaluator's
  ``check`` method replaced, for the duration of the sample, by a bare
  ``cond.test(ctx)`` - what the off switch would cost if it cost nothing (goal: within
  noise, at most 1.05x).
* Sweep throughput: N variants of the Syunik scenario (``days_on_territory`` and
  ``killed`` varied with pydantic ``model_copy(update=...)``) built and evaluated in one
  process, then in a ``ProcessPoolExecutor(2)``; reported as variants per second per core.
  Both runs must give the same conclusions for every variant.
"""

from __future__ import annotations

import importlib
import itertools
import random
import statistics
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

import cstosim
from benchmarks.harness import REPO, Figure, Goal, Settings, alone, paired

SYUNIK = REPO / "scenarios" / "syunik_gegharkunik_2021.yaml"
UNDER_1_MS = Goal("<", 1.0, on="median", text="<1 ms")
TRACING_ON = Goal("<=", 3.0, text="<=3x")
TRACING_OFF = Goal("<=", 1.05, text="<=1.05x (noise)")
WORKERS = 2


@contextmanager
def bare_check() -> Iterator[bool]:
    """Replace ``Evaluation.check`` by a bare ``cond.test`` call; yield whether it could."""
    ev = importlib.import_module("cstosim.evaluate")
    cls = getattr(ev, "Evaluation", None)
    original = getattr(cls, "check", None)
    if cls is None or original is None:
        yield False
        return

    def check(self: Any, cond: Any, ctx: Any, *_: Any, **__: Any) -> tuple[bool, tuple[()]]:
        return cond.test(ctx), ()

    cls.check = check
    try:
        yield True
    finally:
        cls.check = original


def _with_bare_check(fn: Callable[[], object]) -> Callable[[], object]:
    def run() -> object:
        with bare_check():
            return fn()
    return run


def seeds(settings: Settings, rules: cstosim.CompiledRules) -> list[Figure]:
    figures = []
    for path in sorted((REPO / "scenarios").glob("*.yaml")):
        _, sc = cstosim.load_scenario(path, rules)
        off, full = paired(lambda s=sc: cstosim.evaluate(rules, s, explain="off"),
                           lambda s=sc: cstosim.evaluate(rules, s, explain="full"),
                           repeat=settings.repeat, seconds=settings.sample_seconds)
        off_ms = [x * 1e3 for x in off]
        full_ms = [x * 1e3 for x in full]
        fig = Figure("evaluate", f"evaluate {path.stem} (explain=off)", "ms", off_ms, goal=UNDER_1_MS,
                     note="what-if plus baseline, per call")
        fig.extra = {"scenarios_per_s": 1e3 / fig.median,
                     "explain_full_ms": statistics.median(full_ms)}
        figures.append(fig)
        if path == SYUNIK:
            figures.append(Figure(
                "evaluate", "tracing on: evaluate syunik, explain=full vs off", "ms", full_ms, off_ms,
                "explain=off", TRACING_ON, note="the baseline half is never traced"))
    return figures


def tracing(settings: Settings, rules: cstosim.CompiledRules) -> list[Figure]:
    from cstosim.evaluate import run

    _, sc = cstosim.load_scenario(SYUNIK, rules)
    spec = sc.spec
    names = tuple(spec.interpretations or rules.spec.interpretations)
    merged = {**rules.params, **spec.params}

    def whatif(explain: str) -> Callable[[], object]:
        return lambda: run(rules.program, sc.case, merged, with_changes=True, explain=explain,
                           interpretations=names)

    full, off = paired(whatif("full"), whatif("off"), repeat=settings.repeat,
                       seconds=settings.sample_seconds)
    figures = [Figure("evaluate", "tracing on: what-if pass only (outcome), full vs off", "ms",
                      [x * 1e3 for x in full], [x * 1e3 for x in off], "outcome explain=off",
                      TRACING_ON)]
    def ev_off() -> object:
        return cstosim.evaluate(rules, sc, explain="off")

    if hasattr(getattr(importlib.import_module("cstosim.evaluate"), "Evaluation", None), "check"):
        # The difference sought is small, so take three times the samples, each half as long.
        sub, base = paired(ev_off, _with_bare_check(ev_off), repeat=settings.repeat * 3,
                           seconds=settings.sample_seconds / 2)
        figures.append(Figure(
            "evaluate", "tracing off: evaluate syunik vs check() bypassed", "ms",
            [x * 1e3 for x in sub], [x * 1e3 for x in base],
            "evaluate with Evaluation.check = bare cond.test", TRACING_OFF))
    once = alone(whatif("off"), repeat=settings.repeat, seconds=settings.sample_seconds)
    both = alone(ev_off, repeat=settings.repeat, seconds=settings.sample_seconds)
    figures.append(Figure("evaluate", "what-if pass alone (outcome, explain=off), syunik", "ms",
                          [x * 1e3 for x in once], [x * 1e3 for x in both], "evaluate (what-if + baseline)",
                          note="information: the share of evaluate spent on the what-if"))
    return figures


# ---- sweep -------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _sweep_init() -> None:
    """Load the rules and the base scenario once per process."""
    rules, sc = cstosim.load_scenario(SYUNIK)
    _STATE["rules"], _STATE["scenario"] = rules, sc


def variant(days: int, killed: int) -> cstosim.Scenario:
    """The Syunik scenario with its incident's ``days_on_territory`` and ``killed`` replaced."""
    base: cstosim.Scenario = _STATE["scenario"]
    events = []
    for e in base.spec.events:
        if e.incident is not None:
            inc = e.incident.model_copy(update={"days_on_territory": days, "killed": killed})
            e = e.model_copy(update={"incident": inc})
        events.append(e)
    spec = base.spec.model_copy(update={"events": events})
    return cstosim.Scenario(spec, base.file, ())


def _sweep_chunk(pairs: Sequence[tuple[int, int]]) -> list[tuple[Any, ...]]:
    """Build and evaluate variants; return a summary of each one's conclusions."""
    if not _STATE:
        _sweep_init()
    rules = _STATE["rules"]
    out = []
    for days, killed in pairs:
        o = cstosim.evaluate(rules, variant(days, killed), explain="off").outcome
        out.append((tuple((c.interpretation, c.label) for c in o.classifications),
                    tuple(x.id for x in o.obligations), len(o.tensions)))
    return out


def _warm(_: int) -> int:
    _sweep_chunk([(1, 1)])
    return 0


def sweep(settings: Settings) -> list[Figure]:
    grid = list(itertools.product(range(0, 91), range(0, 30)))
    random.Random(settings.seed).shuffle(grid)
    pairs = grid[: settings.sweep_variants]
    chunks = [pairs[i:i + 25] for i in range(0, len(pairs), 25)]
    _sweep_init()
    _sweep_chunk(pairs[:5])
    samples = 3
    single: list[float] = []
    pooled: list[float] = []
    reference = None
    with ProcessPoolExecutor(WORKERS, initializer=_sweep_init) as pool:
        list(pool.map(_warm, range(WORKERS * 2)))
        for _ in range(samples):
            start = time.perf_counter()
            got = _sweep_chunk(pairs)
            single.append(len(pairs) / (time.perf_counter() - start))
            start = time.perf_counter()
            par = [x for part in pool.map(_sweep_chunk, chunks) for x in part]
            pooled.append(len(pairs) / (time.perf_counter() - start) / WORKERS)
            reference = reference or got
            if got != reference or par != reference:
                raise AssertionError("sweep: the same variant gave different conclusions across runs")
    return [Figure(
        "evaluate", f"sweep: {len(pairs):,} syunik variants, {WORKERS} processes, per core",
        "variants/s", pooled, single, "1 process (variants/s)",
        note="ratio = parallel efficiency per core (information; no goal set)",
        extra={"variants": len(pairs), "workers": WORKERS, "chunk": 25,
               "single_process_variants_per_s": single,
               "pool_variants_per_s_total": [x * WORKERS for x in pooled]})]


def _summaries_full(rules: cstosim.CompiledRules, sc: cstosim.Scenario, axes: Any,
                    combos: Sequence[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """The sweep's old path: edit the file's model, build the case, evaluate."""
    from cstosim import sweep as sw

    return [sw.summary(rules, sw.variant(sc, {}, axes, c)) for c in combos]


SWEEP_GOAL = Goal(">=", 20_000, on="median", text=">=20,000 variants/s")


def _syunik_axes(days: int, killed: int) -> tuple[cstosim.CompiledRules, Any, Any]:
    from cstosim import sweep as sw

    rules, sc = cstosim.load_scenario(SYUNIK)
    axes = (sw.parse_axis(f"incident.days_on_territory=0..{days - 1}", rules, sc),
            sw.parse_axis(f"incident.killed=0..{killed - 1}", rules, sc))
    return rules, sc, axes


def incremental(settings: Settings) -> list[Figure]:
    """Three sweep paths on the same Syunik variants in one process, all giving
    ``cstosim.sweep.summary``s that must be equal:

    * full: ``sweep.variant`` (the pydantic model edited) then ``sweep.summary`` (the case
      and the world rebuilt), the path before issue 15;
    * frozen case: ``run_chunk(..., incremental=False)``, each variant edits the frozen
      ``Case`` and evaluates in full on one shared world (the first part of issue 15);
    * dependency map: ``run_chunk`` as ``cstosim sweep`` runs it, with a fresh
      ``sweep.Incremental`` per sample, so each sample pays for building its tables and
      for every full evaluation a new signature needs."""
    from cstosim import sweep as sw

    rules, sc, axes = _syunik_axes(91, 30)
    combos = list(itertools.product(*(a.values for a in axes)))
    random.Random(settings.seed).shuffle(combos)
    combos = combos[: settings.sweep_variants]
    job = sw.Job(None, str(SYUNIK), (), axes)
    sw.run_chunk(job, combos[:5], incremental=False)
    # The dependency map's own sweep is larger, as the sweeps it is for are: its fixed costs
    # (one full evaluation per new signature) would dominate 1,500 variants. It contains
    # every variant of the smaller one, which are compared with the other paths.
    days, killed = (200, 100) if settings.quick else (1000, 100)
    _, _, big_axes = _syunik_axes(days, killed)
    big_job = sw.Job(None, str(SYUNIK), (), big_axes)
    big = list(itertools.product(*(a.values for a in big_axes)))
    mapped: list[float] = []
    frozen: list[float] = []
    full: list[float] = []
    evaluated = 0
    for _ in range(3):
        sw._PLANS.clear()
        start = time.perf_counter()
        found = sw.run_chunk(big_job, big)
        mapped.append(len(big) / (time.perf_counter() - start))
        evaluated = next(iter(sw._PLANS.values())).evaluated
        start = time.perf_counter()
        ref = sw.run_chunk(job, combos, incremental=False)
        frozen.append(len(combos) / (time.perf_counter() - start))
        start = time.perf_counter()
        old = _summaries_full(rules, sc, axes, combos)
        full.append(len(combos) / (time.perf_counter() - start))
        by_combo = dict(zip(big, found, strict=True))
        if not [by_combo[c] for c in combos] == ref == old:
            raise AssertionError("sweep: the incremental paths disagree with full evaluation")
    return [
        Figure("evaluate", f"sweep dependency map: {len(big):,} syunik variants, 1 process",
               "variants/s", mapped, frozen,
               f"frozen case, {len(combos):,} variants each evaluated (variants/s)",
               SWEEP_GOAL, note=f"ratio = speed-up over the frozen-case path; {evaluated} of "
                                f"{len(big):,} variants evaluated in full",
               extra={"variants": len(big), "evaluated_in_full": evaluated,
                      "dependency_map_variants_per_s": mapped,
                      "frozen_case_variants_per_s": frozen, "full_variants_per_s": full}),
        Figure("evaluate", f"sweep frozen case: {len(combos):,} syunik variants, 1 process",
               "variants/s", frozen, full, "full path: model copied, case rebuilt (variants/s)",
               note="ratio = speed-up of the frozen case over the full path (information)"),
    ]


def dask_sweep(settings: Settings) -> list[Figure]:
    """``cstosim.sweep.sweep`` on a local Dask cluster (``distributed.LocalCluster``, one
    single-threaded worker process each) with 1 and then 2 workers, end to end as
    ``cstosim sweep --executor dask`` runs it: chunks submitted through the client's
    executor, summaries gathered, flips found in the client. Parallel efficiency is the
    2-worker rate over twice the 1-worker rate."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # the `dask` extra is not installed
        return []
    from cstosim import sweep as sw

    days, killed = (200, 50) if settings.quick else (500, 100)  # 10,000 / 50,000 variants
    _, _, axes = _syunik_axes(days, killed)
    job = sw.Job(None, str(SYUNIK), (), axes)
    n = days * killed
    chunk = n // 8  # few, large tasks: each costs the cluster a round trip
    rates: dict[int, list[float]] = {}
    results: dict[int, Any] = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            ex = client.get_executor()
            sw.sweep(job, ex, chunk=chunk)  # warm: every worker loads the rules and builds its plan
            rates[workers] = []
            for _ in range(3):
                start = time.perf_counter()
                results[workers] = sw.sweep(job, ex, chunk=chunk)
                rates[workers].append(n / (time.perf_counter() - start))
    if results[1].variants != results[2].variants or results[1].flips != results[2].flips:
        raise AssertionError("sweep: 1 and 2 Dask workers gave different results")
    per_core = [r / 2 for r in rates[2]]
    return [Figure(
        "evaluate", f"sweep on Dask: {n:,} syunik variants, 2 workers, per worker", "variants/s",
        per_core, rates[1], "1 worker (variants/s)",
        note="ratio = parallel efficiency (information); flips are found in the client, serially",
        extra={"variants": n, "chunk": chunk, "one_worker_variants_per_s": rates[1],
               "two_workers_variants_per_s": rates[2]})]


def run(settings: Settings) -> list[Figure]:
    rules = cstosim.load_rules()
    return [*seeds(settings, rules), *tracing(settings, rules), *sweep(settings),
            *incremental(settings), *dask_sweep(settings)]


def profile(settings: Settings) -> str:
    """cProfile of repeated ``evaluate`` (explain=off) on Syunik and on the slowest seed."""
    import cProfile
    import io
    import pstats

    out = io.StringIO()
    for name in ("syunik_gegharkunik_2021", "azerbaijan_csto_member"):
        rules, sc = cstosim.load_scenario(REPO / "scenarios" / f"{name}.yaml")
        for _ in range(20):
            cstosim.evaluate(rules, sc, explain="off")
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(200):
            cstosim.evaluate(rules, sc, explain="off")
        prof.disable()
        out.write(f"200 x evaluate({name}, explain='off')\n")
        stats = pstats.Stats(prof, stream=out)
        stats.sort_stats("tottime").print_stats(20)
        stats.sort_stats("cumulative").print_stats(20)
    return out.getvalue()
