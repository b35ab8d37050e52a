"""Step 4b: evaluate a scenario on compiled rules. Pure.

No I/O, no printing, no clock: the same program and case always give the same
:class:`~cstosim.report.Report`. The steps, in order:

1. the world: baseline memberships, relations and commitments, plus the
   case's dated changes (:mod:`cstosim.world`);
2. events in date order (same-day: applications before incidents, then by id);
3. admissions (:mod:`cstosim.admissions`): gates, each decider's predicted
   stance, the decision rule, the resulting rights; an admitted state holds the
   tier for later events;
4. incidents (:mod:`cstosim.incidents`): classification under each
   interpretation, obligations from the commitments in force, cascades through
   further commitments (bounded, cycle safe), and incident tensions; then
   disputes between readings;
5. the difference between the baseline and the what-if (:mod:`cstosim.difference`).

When explain is on, every rule tested is recorded with its condition's trace
(:class:`~cstosim.report.Tested`); explanations are filters over that record.
With explain off nothing is recorded and conditions run their fast path.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

from cstosim import admissions, incidents
from cstosim import program as pg
from cstosim.conditions import Condition, LeafResult
from cstosim.difference import difference
from cstosim.report import (
    Admission,
    Classification,
    Obligation,
    Outcome,
    Reason,
    Record,
    Report,
    Tension,
    Tested,
    reason,
)
from cstosim.world import World

EXPLAIN_LEVELS = ("off", "fails", "full")


class Evaluation:
    """The state of one evaluation pass: the world, the parameters each reading sees, the
    conclusions so far and, when explain is on, the record of what was tested."""

    def __init__(self, program: pg.Program, world: World, params: Mapping[str, Any],
                 interpretations: tuple[str, ...], explain: str, requests_until: dt.date,
                 incident_dates: dict[str, dt.date]) -> None:
        self.program = program
        self.world = world
        self.base_params = dict(params)
        self.interpretations = interpretations
        self.explain = explain
        self.requests_until = requests_until
        self.incident_dates = incident_dates
        self.admissions: list[Admission] = []
        self.classifications: list[Classification] = []
        self.obligations: dict[str, Obligation] = {}
        self.tensions: dict[str, Tension] = {}
        self.candidacies: set[tuple[str, str, str]] = set()
        self.record: list[Record] | None = None if explain == "off" else []
        self.params_ns = {name: SimpleNamespace(**{**self.base_params, **reading.params})
                          for name, reading in program.interpretations.items()}
        self.default_ns = SimpleNamespace(**self.base_params)

    def traced(self, cond: Condition, ctx: dict[str, Any], kind: str, rule: str,
               **subject: Any) -> tuple[bool, tuple[LeafResult, ...]]:
        """Test a rule's condition, record its trace and return the leaves the explain
        level asks for. Only called when explain is on (``record`` is not None); with it
        off, callers run ``cond.test(ctx)`` directly, so the off switch costs one test."""
        assert self.record is not None
        trace = cond.record(ctx)
        self.record.append(Tested(kind, rule, tuple(subject.items()), trace))
        leaves = trace.leaves()
        if self.explain == "fails":
            leaves = [leaf for leaf in leaves if not leaf.result]
        return trace.result, tuple(leaves)

    def add_tension(self, rule: pg.TensionRule, who: Mapping[str, str | None], context: str,
                    interp: str | None, leaves: tuple[LeafResult, ...],
                    extra: dict[str, Any]) -> None:
        parties = tuple(dict.fromkeys(p for role in rule.parties if (p := who.get(role))))
        tid = f"{rule.id}:{context}:" + "-".join(parties) + (f"@{interp}" if interp else "")
        facts = tuple(sorted({**{k: v for k, v in who.items() if v}, **extra}.items()))
        self.tensions[tid] = Tension(tid, rule.id, rule.kind, rule.severity, parties, context,
                                     interp, rule.meaning, rule.source, facts, leaves)


def names_of(program: pg.Program, case: pg.Case) -> tuple[str, ...]:
    """The interpretations a case evaluates: its own list, or every reading of the rules."""
    return tuple(case.interpretations or tuple(program.interpretations))


def run(program: pg.Program, case: pg.Case, params: Mapping[str, Any], *, with_changes: bool,
        explain: str, interpretations: tuple[str, ...],
        built: tuple[World, tuple[Reason, ...]] | None = None) -> tuple[Outcome, World]:
    """One evaluation pass: the conclusions with the case's changes (the what-if) or
    without them (the baseline), and the world they left.

    ``built`` is a world already built from the same program and changes, with the notes
    building it left (see :func:`shared_world`); only a case without applications may
    share one, since admitting a state is the one thing that changes the world."""
    if built is not None:
        world, notes = built[0], list(built[1])
    else:
        notes = []
        world = World(program, case.changes if with_changes else (), notes)
    dates = {e.id: e.start for e in case.events if isinstance(e, pg.Incident)}
    if dates and "cascade_depth" not in params:
        notes.append(reason("no_cascade_depth"))
    ev = Evaluation(program, world, params, interpretations, explain, case.as_of, dates)
    if with_changes:
        for ch in case.changes:
            if isinstance(ch.what, pg.Join):
                j = ch.what
                admissions.candidacy_tensions(ev, j.state, j.body, j.tier, j.on)
    # INVARIANT: same-day events run applications first, then by id, whatever the file's order.
    order = sorted(case.events, key=lambda e: (e.date, 0 if isinstance(e, pg.Application) else 1,
                                               e.id))
    for e in order:
        if isinstance(e, pg.Application):
            admissions.admit(ev, e)
        else:
            incidents.incident(ev, e)
    return Outcome(
        admissions=tuple(sorted(ev.admissions, key=lambda a: (a.date, a.id))),
        classifications=tuple(sorted(ev.classifications,
                                     key=lambda c: (c.incident, interpretations.index(c.interpretation)))),
        obligations=tuple(ev.obligations[k] for k in sorted(ev.obligations)),
        tensions=tuple(ev.tensions[k] for k in sorted(ev.tensions)),
        notes=tuple(notes), record=tuple(ev.record or ())), world


def shared_world(program: pg.Program, case: pg.Case) -> tuple[World, tuple[Reason, ...]] | None:
    """The what-if world of ``case`` and its notes, to evaluate many variants of the case
    on (variants that differ only in incident facts, parameters or readings); None when
    the case has applications, whose admissions change the world as they run."""
    if any(isinstance(e, pg.Application) for e in case.events):
        return None
    notes: list[Reason] = []
    world = World(program, case.changes, notes)
    return world, tuple(notes)


def conclusions(program: pg.Program, case: pg.Case, *, explain: str = "off",
                built: tuple[World, tuple[Reason, ...]] | None = None) -> tuple[Outcome, World]:
    """The what-if's conclusions and the world they left (no baseline, no difference).

    The fast path for property checks and sweeps; ``built`` as for :func:`run`."""
    if built is not None and any(isinstance(e, pg.Application) for e in case.events):
        raise ValueError("a case with applications cannot share a built world")
    return run(program, case, {**program.params, **case.params}, with_changes=True,
               explain=explain, interpretations=names_of(program, case), built=built)


def evaluate(program: pg.Program, case: pg.Case, *, explain: str = "full",
             params: Mapping[str, Any] | None = None,
             interpretations: tuple[str, ...] | None = None) -> Report:
    """Evaluate a case: the what-if and its baseline, and their difference.

    ``params`` and ``interpretations`` (from the command line) override the
    case's own. The baseline is the same events on the world without the
    case's changes and parameter overrides.
    """
    if explain not in EXPLAIN_LEVELS:
        raise ValueError(f"explain must be one of {EXPLAIN_LEVELS}")
    names = tuple(interpretations or names_of(program, case))
    merged = {**program.params, **case.params, **(params or {})}
    whatif, _ = run(program, case, merged, with_changes=True, explain=explain,
                    interpretations=names)
    if case.changes or merged != program.params:
        baseline, _ = run(program, case, dict(program.params), with_changes=False,
                          explain="off", interpretations=names)
    else:
        # Nothing differs from the baseline's inputs, so its conclusions are the what-if's
        # (the what-if-neutrality property checks exactly this).
        baseline = whatif
    changed = {k: v for k, v in sorted(merged.items()) if v != program.params[k]}
    # A parameter every evaluated reading fixes for itself, and that nothing outside the
    # readings reads, cannot have caused anything.
    inert = {k for k in changed if k not in program.shared_params
             and all(k in program.interpretations[n].params for n in names)}
    causes = tuple(
        [reason("change", change=c.what) for c in case.changes]
        + [reason("parameter", name=k, value=v, default=program.params[k])
           for k, v in changed.items() if k not in inert])
    if inert:
        whatif = replace(whatif, notes=(*whatif.notes, *(
            reason("parameter_inert", name=k, value=changed[k]) for k in sorted(inert))))
    return Report(
        scenario=case.name, scenario_file=case.file, rules=program.name,
        rules_file=program.file, as_of=case.as_of.isoformat(), interpretations=names,
        explain=explain, outcome=whatif, difference=difference(baseline, whatif, causes),
        params=tuple(sorted((k, v) for k, v in merged.items() if v != program.params[k])))
