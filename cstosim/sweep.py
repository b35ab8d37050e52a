"""``cstosim sweep``: vary facts or parameters over ranges and find where conclusions flip.

A sweep is the cartesian product of one or more axes (``incident.killed=0..20``,
``syunik_2021.days_on_territory=1,7,30``, ``params.occupation_min_days=1..60:5``).
Each variant is evaluated on one compiled model; a *flip* is a pair of variants
that differ by one step on one axis and reach different conclusions. Variants
run in chunks on any :class:`concurrent.futures.Executor` (local processes, or a
Dask cluster's executor); workers load the rules and scenario once each.
"""

from __future__ import annotations

import itertools
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, replace
from typing import Annotated, Any, cast

from pydantic import ConfigDict, TypeAdapter, ValidationError

from cstosim import model as m
from cstosim import program as pg
from cstosim.api import Scenario, conclusions, load_scenario
from cstosim.compile import CompiledRules, param_problem
from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
from cstosim.evaluate import conclusions as case_conclusions
from cstosim.evaluate import shared_world
from cstosim.report import Outcome, Reason
from cstosim.world import World

MAX_VARIANTS = 1_000_000
"""Largest sweep accepted; a bigger product of ranges is refused before anything runs."""

_WHERE = Location("<command line>")
NUMERIC_FACTS = ("days_on_territory", "depth_km", "killed", "wounded", "captured")
BOOL_FACTS = ("state_forces", "crossed_border", "shots_fired", "border_delimited",
              "internal_unrest", "framed_as_external")


@dataclass(frozen=True)
class Axis:
    """One varied quantity: ``target`` is ``params`` or an incident id (``*`` for all)."""

    name: str
    target: str
    field: str
    values: tuple[Any, ...]


@dataclass(frozen=True)
class Job:
    """What every worker needs to evaluate variants: picklable, small."""

    rules_path: str | None
    scenario_path: str
    params: tuple[tuple[str, Any], ...]
    axes: tuple[Axis, ...]
    interpretations: tuple[str, ...] | None = None


@dataclass
class SweepResult:
    """Every variant's conclusions and the flips between neighbouring variants."""

    axes: tuple[Axis, ...]
    variants: list[tuple[tuple[Any, ...], dict[str, Any]]] = field(default_factory=list)
    flips: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"axes": [{"name": a.name, "values": list(a.values)} for a in self.axes],
                "variants": [{"values": dict(zip([a.name for a in self.axes], v, strict=True)),
                              "conclusions": s} for v, s in self.variants],
                "flips": self.flips}


def parse_axis(text: str, rules: CompiledRules, scenario: Scenario) -> Axis:
    """Read ``NAME=RANGE``: RANGE is ``a..b``, ``a..b:step`` or ``a,b,c``."""
    name, eq, spec = text.partition("=")
    if not eq or "." not in name:
        raise _bad(f"`--vary {text}` is not NAME=RANGE",
                   "e.g. `--vary incident.killed=0..20` or `--vary params.occupation_min_days=1..60:5`")
    target, fld = name.split(".", 1)
    incidents = [e.incident.id for e in scenario.spec.events if e.incident]
    if target == "params":
        if fld not in rules.params:
            raise _bad(f"unknown parameter `{fld}`", did_you_mean(fld, rules.params))
        kind = "bool" if rules.param_types[fld].name == "bool" else (
            "num" if rules.param_types[fld].name == "num" else "str")
    else:
        if target == "incident":
            target = "*"
            if not incidents:
                raise _bad("the scenario has no incident to vary", "add an incident, or vary `params.*`")
        elif target not in incidents:
            raise _bad(f"no incident `{target}` in the scenario", did_you_mean(target, incidents))
        if fld not in NUMERIC_FACTS + BOOL_FACTS:
            raise _bad(f"`{fld}` cannot be varied", did_you_mean(fld, NUMERIC_FACTS + BOOL_FACTS))
        kind = "bool" if fld in BOOL_FACTS else "num"
    values = _values(spec, kind, text)
    repeated = sorted(str(v) for v, n in Counter(values).items() if n > 1)
    if repeated:
        # A repeated value would count as a neighbour of itself and could show a false flip.
        raise _bad(f"`--vary {text}` lists {', '.join(repeated)} more than once",
                   "give each value once")
    if target == "params":
        for v in values:
            found = param_problem(rules.spec, fld, v)
            if found:
                raise _bad(*found)
    else:
        values = _checked_facts(fld, values, text)
    return Axis(name, target, fld, values)


def _checked_facts(fld: str, values: tuple[Any, ...], text: str) -> tuple[Any, ...]:
    """The values as the incident field holds them; each must be one the scenario file itself
    could hold (a count may be written 1e3 or 2.0, but 1.5 and -1 are refused): nothing is
    clamped or rounded."""
    info = m.Incident.model_fields[fld]
    # Annotated[] needs at least one annotation; the boolean facts carry none.
    field_type = (cast(Any, Annotated[info.annotation, *info.metadata]) if info.metadata
                  else cast(Any, info.annotation))
    adapter: TypeAdapter[Any] = TypeAdapter(field_type, config=ConfigDict(strict=True))
    whole = info.annotation is int
    out = []
    for v in values:
        if whole and isinstance(v, float) and v.is_integer():
            v = int(v)
        try:
            out.append(adapter.validate_python(v))
        except ValidationError as exc:
            raise _bad(f"`--vary {text}`: {fld} cannot be {v} ({exc.errors()[0]['msg'].lower()})",
                       "write values an incident may hold: whole numbers of days and people, "
                       "no negative values") from None
    return tuple(out)


def _values(spec: str, kind: str, text: str) -> tuple[Any, ...]:
    spec = spec.strip()
    try:
        if ".." in spec and kind == "num":
            lo_text, _, rest = spec.partition("..")
            hi_text, _, step_text = rest.partition(":")
            lo, hi = _num(lo_text), _num(hi_text)
            step = _num(step_text) if step_text else 1
            if step <= 0 or hi < lo:
                raise ValueError
            try:
                count = int((hi - lo) / step) + 1
            except OverflowError:  # a range too wide to count in a float
                count = MAX_VARIANTS + 1
            if count > MAX_VARIANTS:
                raise _bad(f"`{text}` has {count:,} values", f"at most {MAX_VARIANTS:,} variants in all")
            return tuple(lo + i * step for i in range(count))
        items = [s.strip() for s in spec.split(",") if s.strip()]
        if not items:
            raise ValueError
        if kind == "bool":
            if any(s not in ("true", "false") for s in items):
                raise ValueError
            return tuple(s == "true" for s in items)
        if kind == "num":
            return tuple(_num(s) for s in items)
        return tuple(items)
    except ValueError:
        hint = ("write `true,false`" if kind == "bool" else
                "write `a..b`, `a..b:step` or `a,b,c` with numbers; a..b needs a <= b and step > 0")
        raise _bad(f"cannot read the range in `--vary {text}`", hint) from None


def _num(text: str) -> int | float:
    text = text.strip()
    value = float(text) if any(c in text for c in ".eE") else int(text)
    if isinstance(value, float) and not math.isfinite(value):  # `1e999` reads as infinity
        raise ValueError(text)
    return value


def _bad(message: str, hint: str) -> CstosimError:
    return CstosimError([Diagnostic("bad_sweep", _WHERE, message, hint)])


def size(axes: tuple[Axis, ...]) -> int:
    n = 1
    for a in axes:
        n *= len(a.values)
    return n


def variant(scenario: Scenario, params: dict[str, Any], axes: tuple[Axis, ...],
            values: tuple[Any, ...], interpretations: tuple[str, ...] | None = None) -> Scenario:
    """The scenario with one combination of axis values applied."""
    spec = scenario.spec
    if interpretations:
        spec = spec.model_copy(update={"interpretations": list(interpretations)})
    # Swept and `--set` values are the command line's: they win over every reading's own.
    new_params = dict(params)
    updates: dict[str, dict[str, Any]] = {}
    for axis, v in zip(axes, values, strict=True):
        if axis.target == "params":
            new_params[axis.field] = v
        else:
            updates.setdefault(axis.target, {})[axis.field] = v
    events = []
    for e in spec.events:
        if e.incident is not None:
            upd = {**updates.get("*", {}), **updates.get(e.incident.id, {})}
            if upd:  # values were validated against the Incident model by parse_axis
                e = m.Event(incident=e.incident.model_copy(update=upd))
        events.append(e)
    return scenario.with_spec(spec.model_copy(update={"events": events})).with_overrides(new_params)


def summary(rules: CompiledRules, scenario: Scenario) -> dict[str, Any]:
    """A variant's conclusions, compactly: labels, obligations per rule, tension kinds."""
    out, _ = conclusions(rules, scenario)
    return _summary(out)


def variant_case(case: pg.Case, params: Mapping[str, Any], axes: tuple[Axis, ...],
                 values: tuple[Any, ...], interpretations: tuple[str, ...] | None = None
                 ) -> pg.Case:
    """The case with one combination of axis values applied: the frozen case evaluation reads,
    edited in place of the file's model, so nothing is validated or compiled again (the
    values were validated against the incident model by :func:`parse_axis`)."""
    # As in :func:`variant`: swept and `--set` values are overrides, above every reading's own.
    overrides = {**case.overrides, **params}
    updates: dict[str, dict[str, Any]] = {}
    for axis, v in zip(axes, values, strict=True):
        if axis.target == "params":
            overrides[axis.field] = v
        else:
            updates.setdefault(axis.target, {})[axis.field] = v
    events = case.events
    if updates:
        events = tuple(
            replace(e, **{**updates.get("*", {}), **updates.get(e.id, {})})
            if isinstance(e, pg.Incident) and ("*" in updates or e.id in updates) else e
            for e in case.events)
    return replace(case, events=events, overrides=dict(sorted(overrides.items())),
                   interpretations=tuple(interpretations) if interpretations else case.interpretations)


def case_summary(program: pg.Program, case: pg.Case,
                 built: tuple[World, tuple[Reason, ...]] | None = None) -> dict[str, Any]:
    """:func:`summary` on a case built by :func:`variant_case`, on the world ``built`` by
    :func:`cstosim.evaluate.shared_world` for the base case when there is one."""
    out, _ = case_conclusions(program, case, built=built)
    return _summary(out)


def _summary(out: Outcome) -> dict[str, Any]:
    owed: dict[str, int] = {}
    for o in out.obligations:
        key = f"{o.interpretation}:{o.commitment}"
        owed[key] = owed.get(key, 0) + 1
    return {"labels": {c.id: c.label for c in out.classifications},
            "obligations": dict(sorted(owed.items())),
            "tensions": sorted({t.kind + (f"@{t.interpretation}" if t.interpretation else "")
                                for t in out.tensions}),
            "admitted": {a.id: a.admitted for a in out.admissions}}


_LOADED: dict[tuple[str | None, str], tuple[CompiledRules, Scenario]] = {}
_WORLDS: dict[tuple[str | None, str], tuple[World, tuple[Reason, ...]] | None] = {}


def _loaded(job: Job) -> tuple[CompiledRules, Scenario]:
    key = (job.rules_path, job.scenario_path)
    if key not in _LOADED:
        from cstosim.api import load_rules

        rules = load_rules(job.rules_path) if job.rules_path else None
        _LOADED[key] = load_scenario(job.scenario_path, rules)
    return _LOADED[key]


def prime(job: Job, rules: CompiledRules, scenario: Scenario) -> None:
    """Remember the rules and scenario the caller loaded for ``job``, and their world.

    Called before worker processes are forked, it makes every worker (and a sweep without
    workers) evaluate exactly the files the caller validated, read once: a file changed or
    deleted while the sweep runs does not change it. Workers started afresh (Dask, spawn)
    still load the files themselves."""
    key = (job.rules_path, job.scenario_path)
    _LOADED[key] = (rules, scenario)
    _WORLDS[key] = shared_world(rules.program, scenario.case)


def run_chunk(job: Job, combos: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Evaluate a chunk of variants (runs in a worker process)."""
    rules, scenario = _loaded(job)
    params = dict(job.params)
    program, case = rules.program, scenario.case
    # Built once per worker: the world does not depend on incident facts, parameters or
    # readings (the only things axes vary), so every variant evaluates on the same one.
    key = (job.rules_path, job.scenario_path)
    if key not in _WORLDS:
        _WORLDS[key] = shared_world(program, case)
    built = _WORLDS[key]
    return [case_summary(program, variant_case(case, params, job.axes, c, job.interpretations),
                         built) for c in combos]


def _chunks(items: list[tuple[Any, ...]], n: int) -> Iterator[list[tuple[Any, ...]]]:
    for i in range(0, len(items), n):
        yield items[i:i + n]


def sweep(job: Job, executor: Executor | None = None, chunk: int = 64,
          progress: Callable[[int, int], None] | None = None) -> SweepResult:
    """Evaluate every variant of a sweep, in order, and find the flips."""
    combos = list(itertools.product(*(a.values for a in job.axes)))
    if len(combos) > MAX_VARIANTS:
        raise _bad(f"the sweep has {len(combos):,} variants", f"at most {MAX_VARIANTS:,}")
    result = SweepResult(job.axes)
    summaries: list[dict[str, Any]] = []
    parts = list(_chunks(combos, chunk))
    if executor is None:
        for part in parts:
            summaries.extend(run_chunk(job, part))
            if progress:
                progress(len(summaries), len(combos))
    else:
        futures = [executor.submit(run_chunk, job, part) for part in parts]
        for fut in futures:
            summaries.extend(fut.result())
            if progress:
                progress(len(summaries), len(combos))
    result.variants = list(zip(combos, summaries, strict=True))
    result.flips = flips(job.axes, result.variants)
    return result


def flips(axes: tuple[Axis, ...], variants: list[tuple[tuple[Any, ...], dict[str, Any]]],
          ) -> list[dict[str, Any]]:
    """Neighbouring variants (one step on one axis) whose conclusions differ."""
    index = {v: s for v, s in variants}
    positions: list[dict[Any, int]] = []  # value -> place on its axis, looked up in O(1)
    for axis in axes:
        where: dict[Any, int] = {}
        for p, x in enumerate(axis.values):
            where.setdefault(x, p)
        positions.append(where)
    found = []
    for v, s in variants:
        for i, axis in enumerate(axes):
            pos = positions[i][v[i]]
            if pos + 1 >= len(axis.values):
                continue
            w = (*v[:i], axis.values[pos + 1], *v[i + 1:])
            t = index[w]
            changes = _changes(s, t)
            if changes:
                found.append({"axis": axis.name, "from": v[i], "to": axis.values[pos + 1],
                              "at": {a.name: x for j, (a, x) in enumerate(zip(axes, v, strict=True))
                                     if j != i},
                              "changes": changes})
    return found


def _changes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    out = [f"{k}: {a['labels'].get(k)} -> {b['labels'].get(k)}"
           for k in sorted(set(a["labels"]) | set(b["labels"])) if a["labels"].get(k) != b["labels"].get(k)]
    for k in sorted(set(a["obligations"]) | set(b["obligations"])):
        if a["obligations"].get(k, 0) != b["obligations"].get(k, 0):
            out.append(f"obligations {k}: {a['obligations'].get(k, 0)} -> {b['obligations'].get(k, 0)}")
    ta, tb = set(a["tensions"]), set(b["tensions"])
    out += [f"tension appears: {t}" for t in sorted(tb - ta)]
    out += [f"tension vanishes: {t}" for t in sorted(ta - tb)]
    out += [f"admission {k}: {a['admitted'].get(k)} -> {b['admitted'].get(k)}"
            for k in sorted(set(a["admitted"]) | set(b["admitted"]))
            if a["admitted"].get(k) != b["admitted"].get(k)]
    return out


def default_workers() -> int:
    return os.cpu_count() or 1
