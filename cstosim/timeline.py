"""The memberships a scenario touches, as dated spans, for the reports that draw a timeline.

A compute step beside evaluation (it reads the same program and case, builds the same
world): the states the scenario names (in its changes, incidents and applications) and
every membership they hold at some time, baseline plus changes, with the ones the scenario
made or ended marked; and the scenario's dated events. Pure: no I/O, sorted output.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cstosim import program as pg
from cstosim.world import World


@dataclass(frozen=True, order=True)
class Span:
    """One membership: ``until`` is empty while it lasts; ``changed`` when the scenario made
    or ended it (it differs from the baseline's record)."""

    state: str
    body: str
    tier: str
    start: str
    until: str | None
    status: str
    changed: bool


@dataclass(frozen=True, order=True)
class Moment:
    """A dated event of the scenario: a change, an incident or an application."""

    date: str
    kind: str  # change | incident | application
    text: str


@dataclass(frozen=True)
class Timeline:
    as_of: str
    states: tuple[str, ...]
    spans: tuple[Span, ...]
    moments: tuple[Moment, ...]

    @property
    def first(self) -> str:
        return min([s.start for s in self.spans] + [m.date for m in self.moments],
                   default=self.as_of)


def _change_text(ch: pg.ChangeKind) -> tuple[str, tuple[str, ...]]:
    if isinstance(ch, pg.Join):
        return f"{ch.state} joins {ch.body} as {ch.tier}", (ch.state,)
    if isinstance(ch, pg.Leave):
        return f"{ch.state} leaves {ch.body}", (ch.state,)
    if isinstance(ch, pg.AdoptTier):
        return f"{ch.body} adopts its {ch.tier} tier", ()
    if isinstance(ch, pg.RelationStart):
        return f"{ch.kind.replace('_', ' ')} between {ch.a} and {ch.b} starts", (ch.a, ch.b)
    if isinstance(ch, pg.RelationEnd):
        return f"{ch.kind.replace('_', ' ')} between {ch.a} and {ch.b} ends", (ch.a, ch.b)
    assert isinstance(ch, pg.AddCommitment)  # a SetState is not dated: timeline() skips it
    c = ch.commitment
    return f"commitment {c.id} added ({c.treaty}, {c.article})", tuple(c.parties.states or ())


def timeline(program: pg.Program, case: pg.Case) -> Timeline:
    """The memberships of the states ``case`` names, and its dated events."""
    named: set[str] = set()
    moments: list[Moment] = []
    for ch in case.changes:
        if isinstance(ch.what, pg.SetState):  # standing facts for the whole scenario
            named.add(ch.what.state)
            continue
        text, states = _change_text(ch.what)
        named.update(states)
        moments.append(Moment(ch.date.isoformat(), "change", text))
    for ev in case.events:
        if isinstance(ev, pg.Incident):
            named.update(s for s in (ev.actor, ev.target) if s)
            by = f" by {ev.actor}" if ev.actor else ""
            moments.append(Moment(ev.start.isoformat(), "incident", f"incident {ev.id}{by} on {ev.target}"))
        else:
            named.add(ev.state)
            moments.append(Moment(ev.date.isoformat(), "application",
                                  f"{ev.state} applies to {ev.body} as {ev.tier}"))
    world = World(program, case.changes)
    baseline = {(m.state, m.body, m.tier, m.start, m.until, m.status) for m in program.memberships}

    def iso(d: dt.date | None) -> str | None:
        return d.isoformat() if d else None

    spans = [Span(h.state, h.body, h.tier, h.start.isoformat(), iso(h.until), h.status,
                  (h.state, h.body, h.tier, h.start, h.until, h.status) not in baseline)
             for h in world.members if h.state in named]
    return Timeline(case.as_of.isoformat(), tuple(sorted(named)), tuple(sorted(spans)),
                    tuple(sorted(moments)))
