"""Step 4a: the world as of a date: baseline memberships, relations and commitments,
plus a scenario's dated changes, with the queries evaluation makes.

Pure: no I/O. Changes that have no effect leave a structured note (a
:class:`~cstosim.report.Reason`); the renderers write its sentence.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from cstosim import program as pg
from cstosim.program import NO_STATE, PairView, PartnersView, StateView
from cstosim.report import Reason, reason

BINDING = ("active", "frozen")
"""Membership statuses under which a state is bound by, and protected by, its body's commitments."""


@dataclass
class Held:
    """A membership as the world holds it: its end moves as changes apply."""

    state: str
    body: str
    tier: str
    start: dt.date
    until: dt.date | None
    status: str

    def on(self, d: dt.date) -> bool:
        return self.start <= d and (self.until is None or d < self.until)


@dataclass
class Related:
    kind: str
    a: str
    b: str
    start: dt.date
    until: dt.date | None

    def on(self, d: dt.date) -> bool:
        return self.start <= d and (self.until is None or d < self.until)


class World:
    """Baseline facts plus a scenario's changes, queried as of a date."""

    def __init__(self, program: pg.Program, changes: Iterable[pg.Change] = (),
                 notes: list[Reason] | None = None) -> None:
        self.program = program
        notes = notes if notes is not None else []
        # Indexes keep every query proportional to what it touches, not to the world's size.
        self.members: list[Held] = []
        self._by_holder: dict[tuple[str, str], list[Held]] = {}
        self._by_tier: dict[tuple[str, str], list[Held]] = {}
        self._by_state: dict[str, list[Held]] = {}
        for x in program.memberships:
            self._add(Held(x.state, x.body, x.tier, x.start, x.until, x.status))
        self.relations: list[Related] = []
        self._rels: dict[frozenset[str], list[Related]] = {}
        self._related: dict[str, set[str]] = {}
        for r in program.relations:
            self._relate(Related(r.kind, r.a, r.b, r.start, r.until))
        self.adopted: dict[tuple[str, str], dt.date] = {}
        # A scenario's `set_state` facts, over the rules' and the bundled data's.
        self._facts: dict[str, pg.StateFacts] = {}
        self.commitments: list[pg.Commitment] = list(program.commitments)
        # Memos for the hot queries; _bound is cleared whenever memberships change.
        self._states: dict[tuple[str | None, dt.date, str], StateView] = {}
        self._bound: dict[tuple[str, dt.date], list[str]] = {}
        self._pairs: dict[tuple[str, str, dt.date], PairView] = {}
        # INVARIANT: same-day changes apply in a fixed order, whatever the file's order.
        for ch in sorted(changes, key=pg.Change.order):
            self._apply(ch.what, notes)
        self.commitments.sort(key=lambda r: r.id)
        # Commitments by who they bind: a list of states, or the holders of a body's tier.
        self._pacts_of_state: dict[str, list[pg.Commitment]] = {}
        self._pacts_of_tier: dict[tuple[str | None, str | None], list[pg.Commitment]] = {}
        for c in self.commitments:
            p = c.parties
            if p.states is not None:
                for code in set(p.states):
                    self._pacts_of_state.setdefault(code, []).append(c)
            else:
                self._pacts_of_tier.setdefault((p.body, p.tier), []).append(c)

    def _add(self, x: Held) -> None:
        self.members.append(x)
        self._by_holder.setdefault((x.state, x.body), []).append(x)
        self._by_tier.setdefault((x.body, x.tier), []).append(x)
        self._by_state.setdefault(x.state, []).append(x)

    def _drop(self, x: Held) -> None:
        self.members.remove(x)
        self._by_holder[(x.state, x.body)].remove(x)
        self._by_tier[(x.body, x.tier)].remove(x)
        self._by_state[x.state].remove(x)

    def _relate(self, r: Related) -> None:
        self.relations.append(r)
        self._rels.setdefault(frozenset((r.a, r.b)), []).append(r)
        self._related.setdefault(r.a, set()).add(r.b)
        self._related.setdefault(r.b, set()).add(r.a)

    def related(self, state: str) -> list[str]:
        """States that share any recorded relation with ``state``, sorted."""
        return sorted(self._related.get(state, ()))

    def memberships_of(self, state: str, d: dt.date) -> list[Held]:
        return [x for x in self._by_state.get(state, ()) if x.on(d)]

    def facts(self, code: str) -> pg.StateFacts:
        """A state's standing facts: the scenario's, else the rules', else the bundled data's."""
        return self._facts.get(code) or self.program.states[code]

    def _apply(self, ch: pg.ChangeKind, notes: list[Reason]) -> None:
        if isinstance(ch, pg.SetState):
            old = self.facts(ch.state)
            self._facts[ch.state] = pg.StateFacts(
                ch.state, old.former_soviet if ch.former_soviet is None else ch.former_soviet,
                ch.un_member_from if ch.sets_un_member_from else old.un_member_from)
        elif isinstance(ch, pg.AdoptTier):
            key = (ch.body, ch.tier)
            if self.tier_in_force(ch.body, ch.tier, ch.on):
                notes.append(reason("adopt_tier_inert", body=ch.body, tier=ch.tier, on=ch.on))
            # Adopted once is adopted: a second adoption does not move the date later.
            self.adopted[key] = min(ch.on, self.adopted.get(key, ch.on))
        elif isinstance(ch, pg.Join):
            held = self.holding(ch.state, ch.body, ch.on)
            if held is not None and (held.tier, held.status) == (ch.tier, ch.status):
                notes.append(reason("join_inert", state=ch.state, body=ch.body, tier=ch.tier,
                                    on=ch.on, status=ch.status))
            else:
                self.add_member(ch.state, ch.body, ch.tier, ch.on, ch.status)
        elif isinstance(ch, pg.Leave):
            if not self.end_membership(ch.state, ch.body, ch.on, leaving=True):
                notes.append(reason("leave_inert", state=ch.state, body=ch.body, on=ch.on))
        elif isinstance(ch, pg.RelationStart):
            pair = self._rels.get(frozenset((ch.a, ch.b)), ())
            if any(rel.kind == ch.kind and rel.on(ch.on) for rel in pair):
                notes.append(reason("relation_start_inert", kind=ch.kind, a=ch.a, b=ch.b, on=ch.on))
            else:
                self._relate(Related(ch.kind, ch.a, ch.b, ch.on, None))
        elif isinstance(ch, pg.RelationEnd):
            hit = False
            for rel in self._rels.get(frozenset((ch.a, ch.b)), ()):
                if rel.kind == ch.kind and rel.on(ch.on):
                    rel.until = ch.on
                    hit = True
            if not hit:
                notes.append(reason("relation_end_inert", kind=ch.kind, a=ch.a, b=ch.b, on=ch.on))
        else:
            self.commitments.append(ch.commitment)

    def end_membership(self, state: str, body: str, on: dt.date, leaving: bool = False) -> bool:
        """End the tier ``state`` holds in ``body`` on ``on``. When the state is ``leaving``,
        also drop the recorded records that continue that tier without a gap (a later change
        of status, such as Armenia's 2024 freeze); a later accession after a gap, or to another
        tier, is a separate decision and stays."""
        self._bound.clear()
        held = self.holding(state, body, on)
        if held is None:
            return False
        end, held.until = held.until, on
        while leaving and end is not None:
            nxt = next((x for x in self._by_holder[(state, body)]
                        if x.start == end and x.tier == held.tier), None)
            if nxt is None:
                break
            self._drop(nxt)
            end = nxt.until
        return True

    def add_member(self, state: str, body: str, tier: str, on: dt.date,
                   status: str = "active") -> None:
        """``state`` holds ``tier`` from ``on``: its current tier ends then, and the new one
        ends where a later recorded membership of the same body begins."""
        # INVARIANT: a state holds at most one tier of a body on any date.
        self.end_membership(state, body, on)
        later = [x.start for x in self._by_holder.get((state, body), ()) if x.start > on]
        self._bound.clear()
        self._pairs.clear()
        self._add(Held(state, body, tier, on, min(later, default=None), status))

    # queries
    def holding(self, state: str, body: str, d: dt.date) -> Held | None:
        for x in self._by_holder.get((state, body), ()):
            if x.on(d):
                return x
        return None

    def holds_binding(self, state: str, body: str, d: dt.date) -> bool:
        """Whether ``state`` holds a tier of ``body`` on ``d`` under a binding status."""
        held = self.holding(state, body, d)
        return held is not None and held.status in BINDING

    def holders(self, body: str, tier: str, d: dt.date,
                statuses: Iterable[str] = BINDING) -> list[Held]:
        ok = set(statuses)
        return sorted((x for x in self._by_tier.get((body, tier), ())
                       if x.on(d) and x.status in ok), key=lambda x: x.state)

    def tier_in_force(self, body: str, tier: str, d: dt.date) -> bool:
        spec = self.program.tier(body, tier)
        if spec.status == "in_force":
            return spec.in_force_from is not None and spec.in_force_from <= d
        adopted = self.adopted.get((body, tier))
        return adopted is not None and adopted <= d

    def state(self, code: str | None, d: dt.date, status: str = "active") -> StateView:
        if code is None:
            return NO_STATE
        key = (code, d, status)
        view = self._states.get(key)
        if view is None:
            facts = self.facts(code)
            un = facts.un_member_from is not None and facts.un_member_from <= d
            view = self._states[key] = StateView(code, facts.former_soviet, un, status)
        return view

    def pair(self, a: str, b: str, d: dt.date) -> PairView:
        # Relations are fixed once the scenario's changes are applied, so pairs can be memoized.
        key = (a, b, d)
        found = self._pairs.get(key)
        if found is None:
            found = self._pairs[key] = self._pair(a, b, d)
        return found

    def _pair(self, a: str, b: str, d: dt.date) -> PairView:
        kinds_now: set[str] = set()
        past_hostility = False
        for r in self._rels.get(frozenset((a, b)), ()):
            if r.on(d):
                kinds_now.add(r.kind)
            elif r.kind == "hostility" and r.start <= d:
                past_hostility = True
        return PairView(
            diplomatic_relations=(self.program.diplomatic_relations_by_default
                                  and "no_diplomatic_relations" not in kinds_now),
            conflict="conflict" in kinds_now,
            territorial_dispute="territorial_dispute" in kinds_now,
            rivalry="rivalry" in kinds_now,
            strategic_partnership="strategic_partnership" in kinds_now,
            sponsorship="sponsorship" in kinds_now,
            hostility_now="hostility" in kinds_now,
            hostility_past=past_hostility or "hostility" in kinds_now,
            allied=any(c.type == "defence" and c.in_force(d) and a in (b_ := self.bound(c, d))
                       and b in b_ for c in self.commitments_of(a, d)),
            same_body=bool({x.body for x in self.memberships_of(a, d) if x.status in BINDING}
                           & {x.body for x in self.memberships_of(b, d) if x.status in BINDING}),
        )

    def partners(self, decider: str, candidate: str, d: dt.date) -> PartnersView:
        """What ``decider``'s strategic partners on ``d`` have with ``candidate``."""
        found = [self.pair(p, candidate, d) for p in self.related(decider)
                 if p != candidate and self.pair(decider, p, d).strategic_partnership]
        return PartnersView(len(found), any(x.rivalry for x in found),
                            any(x.conflict for x in found), any(x.hostility_now for x in found),
                            any(x.territorial_dispute for x in found))

    def commitments_of(self, state: str, d: dt.date) -> list[pg.Commitment]:
        """Commitments that may bind ``state`` on ``d`` (by its pacts and tiers), by id."""
        found = {c.id: c for c in self._pacts_of_state.get(state, ())}
        for x in self.memberships_of(state, d):
            for c in self._pacts_of_tier.get((x.body, x.tier), ()):
                found[c.id] = c
        return [found[k] for k in sorted(found)]

    def bound(self, c: pg.Commitment, d: dt.date) -> list[str]:
        """States bound by a commitment on a date, sorted."""
        key = (c.id, d)
        found = self._bound.get(key)
        if found is None:
            p = c.parties
            if p.states is not None:
                found = sorted(set(p.states))
            else:
                assert p.body is not None and p.tier is not None
                found = [x.state for x in self.holders(p.body, p.tier, d)]
            self._bound[key] = found
        return found

    def body_members(self, body: str, d: dt.date) -> list[Held]:
        return self.holders(body, self.program.member_tier(body), d)
