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
    ResponseGap,
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
                 incident_dates: dict[str, dt.date],
                 overrides: Mapping[str, Any] | None = None) -> None:
        self.program = program
        self.world = world
        self.base_params, self.params_ns, self.default_ns = reading_params(program, params, overrides)
        self.interpretations = interpretations
        self.explain = explain
        self.requests_until = requests_until
        self.incident_dates = incident_dates
        self.admissions: list[Admission] = []
        self.classifications: list[Classification] = []
        self.obligations: dict[str, Obligation] = {}
        self.tensions: dict[str, Tension] = {}
        self.gaps: dict[str, ResponseGap] = {}
        self.candidacies: set[tuple[str, str, str]] = set()
        self.chains_capped = False  # set when a pact-chain search hit MAX_CHAIN_STEPS
        self.record: list[Record] | None = None if explain == "off" else []

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


def reading_params(program: pg.Program, params: Mapping[str, Any],
                   overrides: Mapping[str, Any] | None
                   ) -> tuple[dict[str, Any], dict[str, SimpleNamespace], SimpleNamespace]:
    """The parameter values in force: those where no reading applies, each reading's (as
    the namespace conditions read as ``params``) and the first again as a namespace."""
    every, per_reading = split_overrides(overrides or {})
    # INVARIANT: precedence, lowest first: the rules' default, the scenario's `params`,
    # the reading's own `params`, `--set NAME`, `--set READING.NAME`.
    base = {**params, **every}
    per = {name: SimpleNamespace(**{**params, **reading.params, **every, **per_reading.get(name, {})})
           for name, reading in program.interpretations.items()}
    # Where no reading applies (admissions, disputes, pact chains).
    return base, per, SimpleNamespace(**base)


def split_overrides(overrides: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """Command-line values: those for every reading (``NAME``) and those for one
    (``READING.NAME``), by reading."""
    every: dict[str, Any] = {}
    per_reading: dict[str, dict[str, Any]] = {}
    for key, v in overrides.items():
        reading, dot, name = key.rpartition(".")
        if dot:
            per_reading.setdefault(reading, {})[name] = v
        else:
            every[key] = v
    return every, per_reading


def names_of(program: pg.Program, case: pg.Case) -> tuple[str, ...]:
    """The interpretations a case evaluates: its own list, or every reading of the rules."""
    return tuple(case.interpretations or tuple(program.interpretations))


def run(program: pg.Program, case: pg.Case, params: Mapping[str, Any], *, with_changes: bool,
        explain: str, interpretations: tuple[str, ...],
        overrides: Mapping[str, Any] | None = None,
        built: tuple[World, tuple[Reason, ...]] | None = None) -> tuple[Outcome, World]:
    """One evaluation pass: the conclusions with the case's changes (the what-if) or
    without them (the baseline), and the world they left. ``params`` are the values below
    the readings' own (rules, scenario); ``overrides`` the command line's, above them.

    ``built`` is a world already built from the same program and changes, with the notes
    building it left (see :func:`shared_world`); only a case without applications may
    share one, since admitting a state is the one thing that changes the world."""
    notes: list[Reason]
    if built is not None:
        world, notes = built[0], list(built[1])
    else:
        notes = []
        world = World(program, case.changes if with_changes else (), notes)
    dates = {e.id: e.start for e in case.events if isinstance(e, pg.Incident)}
    if dates and "cascade_depth" not in params:
        notes.append(reason("no_cascade_depth"))
    ev = Evaluation(program, world, params, interpretations, explain, case.as_of, dates, overrides)
    notes += request_notes(world, case)
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
    if ev.chains_capped:
        notes.append(reason("chain_search_capped", limit=admissions.MAX_CHAIN_STEPS))
    return Outcome(
        admissions=tuple(sorted(ev.admissions, key=lambda a: (a.date, a.id))),
        classifications=tuple(sorted(ev.classifications,
                                     key=lambda c: (c.incident, interpretations.index(c.interpretation)))),
        obligations=tuple(ev.obligations[k] for k in sorted(ev.obligations)),
        tensions=tuple(ev.tensions[k] for k in sorted(ev.tensions)),
        notes=tuple(notes), record=tuple(ev.record or ()),
        gaps=tuple(ev.gaps[k] for k in sorted(ev.gaps))), world


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
               explain=explain, interpretations=names_of(program, case), overrides=case.overrides,
               built=built)


def change_fields(c: pg.ChangeKind) -> dict[str, Any]:
    """A scenario change as the fields of a cause: ``change`` names its kind."""
    if isinstance(c, pg.AddCommitment):
        return {"change": "add_commitment", "commitment": c.commitment.id, "on": c.on}
    if isinstance(c, pg.SetState):
        out: dict[str, Any] = {"change": "set_state", "state": c.state}
        if c.former_soviet is not None:
            out["former_soviet"] = c.former_soviet
        if c.sets_un_member_from:
            out["un_member_from"] = c.un_member_from
        return out
    kind = {pg.AdoptTier: "adopt_tier", pg.Join: "join", pg.Leave: "leave",
            pg.RelationStart: "relation_start", pg.RelationEnd: "relation_end"}[type(c)]
    fields = {k: getattr(c, k) for k in c.__slots__}
    if "kind" in fields:
        fields["relation"] = fields.pop("kind")
    return {"change": kind, **fields}


def request_notes(world: World, case: pg.Case) -> list[Reason]:
    """Requests that count for nothing: dated after `as_of`, or made by a state that no
    commitment binds on the incident's date (so no one is asked)."""
    out: list[Reason] = []
    for e in case.events:
        if not isinstance(e, pg.Incident):
            continue
        for q in e.requests:
            if q.date > case.as_of:
                out.append(reason("request_after_as_of", incident=e.id, article=q.article,
                                  date=q.date, as_of=case.as_of))
            elif not [c for c in world.commitments_of(e.target, e.start) if c.in_force(e.start)
                      and e.target in world.bound(c, e.start)]:
                out.append(reason("request_unheard", incident=e.id, article=q.article,
                                  state=e.target, date=e.start))
    return out


def evaluate(program: pg.Program, case: pg.Case, *, explain: str = "full",
             params: Mapping[str, Any] | None = None,
             interpretations: tuple[str, ...] | None = None) -> Report:
    """Evaluate a case: the what-if and its baseline, and their difference.

    ``params`` (the command line's `--set`: ``NAME`` or ``READING.NAME``) join the case's
    own overrides and win over every other source; ``interpretations`` replace the case's
    list. The baseline is the same events on the world without the case's changes and
    parameter values.
    """
    if explain not in EXPLAIN_LEVELS:
        raise ValueError(f"explain must be one of {EXPLAIN_LEVELS}")
    names = tuple(interpretations or names_of(program, case))
    below = {**program.params, **case.params}
    overrides = {**case.overrides, **(params or {})}
    whatif, _ = run(program, case, below, with_changes=True, explain=explain,
                    interpretations=names, overrides=overrides)
    given = given_values(program, case, overrides)
    if case.changes or given:
        baseline, _ = run(program, case, dict(program.params), with_changes=False,
                          explain="off", interpretations=names)
    else:
        # Nothing differs from the baseline's inputs, so its conclusions are the what-if's
        # (the what-if-neutrality property checks exactly this).
        baseline = whatif
    notes, inert = value_notes(program, case, names, given, overrides)
    causes = tuple(
        [reason("change", **change_fields(c.what)) for c in case.changes]
        + [reason("parameter", name=k, value=v, default=d,
                  replaces=tuple((n, program.interpretations[n].params[k]) for n in names
                                 if k in overrides and k in program.interpretations[n].params
                                 and program.interpretations[n].params[k] != v))
           for k, (v, d) in sorted(given.items()) if k not in inert])
    whatif = replace(whatif, notes=(*whatif.notes, *notes))
    return Report(
        scenario=case.name, scenario_file=case.file, rules=program.name,
        rules_file=program.file, as_of=case.as_of.isoformat(), interpretations=names,
        explain=explain, outcome=whatif, difference=difference(baseline, whatif, causes),
        params=tuple(sorted((k, v) for k, (v, _) in given.items())))


def given_values(program: pg.Program, case: pg.Case, overrides: Mapping[str, Any]
                 ) -> dict[str, tuple[Any, Any]]:
    """Every parameter value the user gave that differs from what would apply without it:
    name (``READING.NAME`` for one reading) -> (value, the value it replaces)."""
    out: dict[str, tuple[Any, Any]] = {}
    every, per_reading = split_overrides(overrides)
    for k, v in case.params.items():
        if v != program.params[k]:
            out[k] = (v, program.params[k])
    for k, v in every.items():
        # A command-line value counts even when it equals the default: it replaces the value
        # of every reading that sets its own.
        theirs = {r.params[k] for r in program.interpretations.values() if k in r.params}
        if v != program.params[k] or theirs - {v}:
            out[k] = (v, program.params[k])
    for reading, values in per_reading.items():
        own = program.interpretations[reading].params
        for k, v in values.items():
            before = every.get(k, own.get(k, case.params.get(k, program.params[k])))
            if v != before:
                out[f"{reading}.{k}"] = (v, before)
    return out


def value_notes(program: pg.Program, case: pg.Case, names: tuple[str, ...],
                given: Mapping[str, tuple[Any, Any]], overrides: Mapping[str, Any]
                ) -> tuple[list[Reason], set[str]]:
    """Notes on the values the user gave that count for less than they seem, and the
    names of those that count for nothing (so they are no cause of any difference)."""
    notes: list[Reason] = []
    inert: set[str] = set()
    every, _ = split_overrides(overrides)
    has_incident = any(isinstance(e, pg.Incident) for e in case.events)
    has_candidacy = any(isinstance(e, pg.Application) for e in case.events) or any(
        isinstance(c.what, pg.Join) for c in case.changes)
    read = set(program.param_reads["incident"] if has_incident else ())
    read |= program.param_reads["admission"] if has_candidacy else set()
    if has_incident:
        for c in case.changes:
            if isinstance(c.what, pg.AddCommitment):
                read |= c.what.commitment.when.params_read()
    for key, (value, _) in sorted(given.items()):
        reading, _, name = key.rpartition(".")
        if reading and reading not in names:
            notes.append(reason("parameter_reading_not_evaluated", name=name, value=value,
                                reading=reading))
            inert.add(key)
        elif name not in read:
            notes.append(reason("parameter_unread", name=key, value=value))
            inert.add(key)
        elif not reading and key in every:
            same = [n for n in names if program.interpretations[n].params.get(name, object()) == value]
            if len(same) == len(names) and name not in program.shared_params:
                notes.append(reason("parameter_matches_readings", name=name, value=value))
                inert.add(key)
        elif not reading:
            # A scenario's value: each reading that sets its own replaces it.
            shadowing = tuple(n for n in names if name in program.interpretations[n].params)
            if shadowing:
                notes.append(reason("parameter_shadowed", name=name, value=value,
                                    readings=shadowing, every=len(shadowing) == len(names)))
                if len(shadowing) == len(names) and name not in program.shared_params:
                    inert.add(key)
    return notes, inert
