"""``cstosim check``: search generated scenarios for violations of the consistency properties.

For each property, hypothesis draws scenarios from :mod:`cstosim.testing` and
shrinks the first violating one to a minimal counterexample, which is returned
as runnable scenario YAML with an ``expect`` block naming the property. Pure
apart from hypothesis; the CLI writes the files.

The work is split into shards of at most :data:`SHARD` examples, each a separate
hypothesis search with its own seed derived from (seed, property, shard), and the
shards run on all cores through :mod:`cstosim.pool`. A shard's seed does not depend
on the number of workers, so a run with a given seed tries the same scenarios on
one core or many; once a shard finds a violation the property's later shards are
skipped, and the counterexample is always the lowest failing shard's. A time
budget stops the generation of new examples once spent (a shrink already under way
finishes); a property whose budget ran out before all its examples were tried is
reported as cut short with the number it did try, never as simply holding.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis.errors import NoSuchExample, Unsatisfiable

from cstosim import model as m
from cstosim import pool
from cstosim.api import Scenario
from cstosim.compile import CompiledRules
from cstosim.properties import BY_ID, PROPERTIES, Property, dump_scenario
from cstosim.testing import scenarios

SHARD = 50  # examples per hypothesis search; small enough to balance two cores, large enough to amortise
_REPORT_EVERY = 5  # a worker reports progress after this many examples

Progress = Callable[[str, int, bool], None]
"""Called in the parent with (property id, examples tried so far, whether the property is done)."""


@dataclass(frozen=True)
class PropertyResult:
    """The outcome of checking one property.

    ``passed`` means no violation was found in ``examples`` scenarios; ``cut_short``
    says that the time budget ran out before ``planned`` of them were tried."""

    id: str
    meaning: str
    passed: bool
    examples: int
    violations: tuple[str, ...] = ()
    counterexample: str | None = None
    planned: int = 0
    cut_short: bool = False


@dataclass(frozen=True)
class _Shard:
    prop: str
    index: int
    examples: int
    seed: str
    deadline: float | None  # time.monotonic() value; the same clock in every worker on one machine
    rules_ref: str | None


@dataclass
class _ShardResult:
    prop: str
    index: int
    tried: int
    cut_short: bool
    violations: tuple[str, ...] = ()
    counterexample: str | None = None


@dataclass
class _Tally:
    planned: int
    shards: int
    done: list[_ShardResult] = field(default_factory=list)
    live: dict[int, int] = field(default_factory=dict)  # shard -> examples reported so far
    failed_at: int | None = None  # the lowest shard that found a violation
    skipped: int = 0  # later shards not run once one failed


def shards(examples: int) -> list[int]:
    """How ``examples`` is split into hypothesis searches: sizes of at most SHARD each."""
    full, rest = divmod(examples, SHARD)
    return [SHARD] * full + ([rest] if rest else [])


def check_rules(rules: CompiledRules, *, examples: int = 500, seed: int = 0,
                only: tuple[str, ...] = (), rules_ref: str | None = None,
                progress: Progress | None = None, jobs: int | None = None,
                budget: float | None = None) -> list[PropertyResult]:
    """Check every property (or those in ``only``) with ``examples`` generated scenarios each.

    ``jobs`` worker processes share the work (default: every core; 1 runs in this process,
    which is what a debugger wants); ``budget`` is seconds of wall time after which no new
    example is generated. Results come in the registry's order whatever finished first."""
    props = [p for p in PROPERTIES if not only or p.id in only]
    deadline = time.monotonic() + budget if budget is not None else None
    # round robin (every property's first shard, then every second one, ...): a budget that
    # runs out leaves each property with a share of its examples, not the last ones with none
    work = [_Shard(p.id, k, n, f"{seed}:{p.id}:{k}", deadline, rules_ref)
            for k, n in enumerate(shards(examples)) for p in props]
    tallies = {p.id: _Tally(examples, sum(1 for s in work if s.prop == p.id)) for p in props}

    def seen(msg: tuple[object, ...]) -> None:
        pid, k, n = msg
        assert isinstance(pid, str) and isinstance(k, int) and isinstance(n, int)
        t = tallies[pid]
        t.live[k] = n
        if progress is not None:
            progress(pid, sum(t.live.values()) + sum(d.tried for d in t.done), False)

    def finished(r: _ShardResult) -> None:
        t = tallies[r.prop]
        t.live.pop(r.index, None)
        t.done.append(r)
        if r.counterexample is not None and (t.failed_at is None or r.index < t.failed_at):
            t.failed_at = r.index
        if progress is not None:
            progress(r.prop, sum(t.live.values()) + sum(d.tried for d in t.done),
                     len(t.done) + t.skipped == t.shards)

    def still_needed() -> Iterator[_Shard]:
        # Once a shard has found a violation, the property's later shards are skipped: the
        # counterexample reported is the one of the lowest failing shard, which always runs
        # (every shard before it does, and none of them fails), so it does not depend on timing.
        for s in work:
            t = tallies[s.prop]
            if deadline is not None and time.monotonic() > deadline:
                finished(_ShardResult(s.prop, s.index, 0, True))  # spent: no worker needed
                continue
            if t.failed_at is not None and s.index > t.failed_at:
                t.skipped += 1
                if progress is not None and len(t.done) + t.skipped == t.shards:
                    progress(s.prop, sum(d.tried for d in t.done), True)
                continue
            yield s

    jobs = pool.cores() if jobs is None else jobs
    if jobs <= 1:
        global _rules
        _rules = rules
        pool.listen(seen)
        try:
            for s in still_needed():
                finished(_run_shard(s))
        finally:
            pool.listen(None)
    else:
        for _, r in pool.run(_run_shard, still_needed(), jobs=jobs, init=_adopt, init_args=(rules,),
                             progress=seen):
            finished(r)
    return [_merge(p, tallies[p.id]) for p in props]


def _merge(prop: Property, t: _Tally) -> PropertyResult:
    tried = sum(d.tried for d in t.done)
    failed = sorted((d for d in t.done if d.counterexample is not None), key=lambda d: d.index)
    cut = any(d.cut_short for d in t.done)
    if failed:
        first = failed[0]
        return PropertyResult(prop.id, prop.meaning, False, tried, first.violations, first.counterexample,
                              t.planned, cut)
    return PropertyResult(prop.id, prop.meaning, True, tried, planned=t.planned, cut_short=cut)


_rules: CompiledRules | None = None  # the rules every shard in this process checks


def _adopt(rules: CompiledRules) -> None:
    global _rules
    _rules = rules


class _Spent(BaseException):
    """The budget ran out: raised through hypothesis, which lets a BaseException pass at once."""


def _run_shard(shard: _Shard) -> _ShardResult:
    rules = _rules
    assert rules is not None, "a worker runs shards only after _adopt"
    prop = BY_ID[shard.prop]
    tried = 0
    failing = False

    def violated(sc: Scenario) -> bool:
        nonlocal tried, failing
        if not failing and shard.deadline is not None and time.monotonic() > shard.deadline:
            raise _Spent
        if not failing:
            tried += 1
            if tried % _REPORT_EVERY == 0:
                pool.report(shard.prop, shard.index, tried)
        bad = bool(prop.check(rules, sc))
        failing = failing or bad  # from the first violation on, hypothesis is shrinking
        return bad

    conf = settings(max_examples=shard.examples, database=None, deadline=None,
                    verbosity=Verbosity.quiet, phases=[Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck))
    try:
        found = find(scenarios(rules), violated, settings=conf, random=random.Random(shard.seed))
    except (NoSuchExample, Unsatisfiable):
        return _ShardResult(shard.prop, shard.index, min(tried, shard.examples), False)
    except _Spent:
        return _ShardResult(shard.prop, shard.index, tried, True)
    violations = tuple(prop.check(rules, found))
    return _ShardResult(shard.prop, shard.index, tried, False, violations,
                        counterexample_yaml(found, prop, violations, shard.rules_ref))


def counterexample_yaml(sc: Scenario, prop: Property, violations: tuple[str, ...],
                        rules_ref: str | None = None) -> str:
    """A runnable scenario file reproducing a violation; its expect block names the property.

    ``rules_ref`` is the rules file as the scenario should name it (relative to where
    the file will be written); None for the bundled rules."""
    spec = sc.spec.model_copy(update={
        "rules": rules_ref,
        "name": f"counterexample: {prop.id}",
        "description": f"Shrunk by `cstosim check`. {prop.meaning} Violated: {violations[0]}",
        "expect": m.Expect(properties=[prop.id])})
    header = (f"# Counterexample for property `{prop.id}`: {prop.meaning}\n"
              + "".join(f"# - {v}\n" for v in violations[:5])
              + "# `cstosim run` or `cstosim test` on this file fails while the rules violate it.\n")
    return header + dump_scenario(spec)
