"""Step 4 of the pipeline: evaluate a scenario on compiled rules. Pure.

No I/O, no printing, no clock: the same rules and scenario always give the same
:class:`~cstosim.report.Report`. The steps, in order:

1. the world: baseline memberships, relations and commitments, plus the
   scenario's dated changes (:class:`World`);
2. events in date order (same-day: applications before incidents, then by id);
3. admissions: gates, each decider's predicted stance, the decision rule, the
   resulting rights; an admitted state holds the tier for later events;
4. incidents: classification under each interpretation, obligations from the
   commitments in force, cascades through further commitments (bounded, cycle
   safe), and incident tensions; then disputes between readings;
5. the difference between the baseline (no changes, no parameter overrides) and
   the what-if.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any

from cstosim import model as m
from cstosim.api import Scenario
from cstosim.compile import CompiledRules, Rule
from cstosim.conditions import Condition, LeafResult
from cstosim.report import (
    Admission,
    Classification,
    Difference,
    GateResult,
    Obligation,
    Outcome,
    Report,
    Stance,
    Tension,
)

EXPLAIN_LEVELS = ("off", "fails", "full")
BINDING = ("active", "frozen")
"""Membership statuses under which a state is bound by, and protected by, its body's commitments."""


# ---- views: the objects conditions read -----------------------------------------------


@dataclass(frozen=True, slots=True)
class StateView:
    code: str
    former_soviet: bool
    un_member: bool
    status: str = "active"


NO_STATE = StateView("", False, False, "withdrawn")


@dataclass(frozen=True, slots=True)
class PairView:
    diplomatic_relations: bool
    conflict: bool
    territorial_dispute: bool
    rivalry: bool
    strategic_partnership: bool
    sponsorship: bool
    hostility_now: bool
    hostility_past: bool


@dataclass(frozen=True, slots=True)
class IncidentView:
    state_forces: bool
    crossed_border: bool
    shots_fired: bool
    border_delimited: bool
    internal_unrest: bool
    framed_as_external: bool
    has_actor: bool
    derived: bool
    requested_art2: bool
    requested_art4: bool
    days_on_territory: int
    depth_km: float
    killed: int
    wounded: int
    captured: int
    casualties: int
    start: dt.date


@dataclass(frozen=True, slots=True)
class ChainView:
    length: int
    reaches_rival_bloc: bool
    military: bool


@dataclass(frozen=True)
class Chain:
    steps: tuple[str, ...]  # state, commitment, state, ..., body
    view: ChainView
    end: str

    def describe(self) -> str:
        return " -> ".join(self.steps)


def change_order(c: m.Change) -> tuple[Any, ...]:
    """Sort key for changes: by date, then kind (ends before starts), then content."""
    kinds = ("adopt_tier", "relation_end", "relation_start", "leave", "join", "add_commitment")
    kind = next(k for k in kinds if getattr(c, k) is not None)
    return (c.date, kinds.index(kind), getattr(c, kind).model_dump_json())


# ---- the world -----------------------------------------------------------------------


@dataclass
class _Member:
    state: str
    body: str
    tier: str
    start: dt.date
    until: dt.date | None
    status: str

    def on(self, d: dt.date) -> bool:
        return self.start <= d and (self.until is None or d < self.until)


@dataclass
class _Rel:
    kind: str
    a: str
    b: str
    start: dt.date
    until: dt.date | None

    def on(self, d: dt.date) -> bool:
        return self.start <= d and (self.until is None or d < self.until)


class World:
    """Baseline facts plus a scenario's changes, queried as of a date."""

    def __init__(self, rules: CompiledRules, scenario: m.ScenarioFile | None,
                 added: tuple[Rule, ...], notes: list[str]) -> None:
        s = rules.spec
        self.rules = rules
        # Indexes keep every query proportional to what it touches, not to the world's size.
        self.members: list[_Member] = []
        self._by_holder: dict[tuple[str, str], list[_Member]] = {}
        self._by_tier: dict[tuple[str, str], list[_Member]] = {}
        self._by_state: dict[str, list[_Member]] = {}
        for x in s.memberships:
            self._add(_Member(x.state, x.body, x.tier, x.from_, x.until, x.status))
        self.relations: list[_Rel] = []
        self._rels: dict[frozenset[str], list[_Rel]] = {}
        self._related: dict[str, set[str]] = {}
        for r in s.relations:
            self._relate(_Rel(r.kind, r.states[0], r.states[1], r.from_, r.until))
        self.adopted: dict[tuple[str, str], dt.date] = {}
        self.commitments: list[Rule] = list(rules.commitments)
        # Memos for the hot queries; _bound is cleared whenever memberships change.
        self._states: dict[tuple[str | None, dt.date, str], StateView] = {}
        self._bound: dict[tuple[str, dt.date], list[str]] = {}
        self._pairs: dict[tuple[str, str, dt.date], PairView] = {}
        if scenario is not None:
            # INVARIANT: same-day changes apply in a fixed order, whatever the file's order.
            for ch in sorted(scenario.changes, key=change_order):
                self._apply(ch, notes)
            self.commitments.extend(added)
        self.commitments.sort(key=lambda r: r.id)
        # Commitments by who they bind: a list of states, or the holders of a body's tier.
        self._pacts_of_state: dict[str, list[Rule]] = {}
        self._pacts_of_tier: dict[tuple[str, str], list[Rule]] = {}
        for c in self.commitments:
            p = c.spec.parties
            if p.states is not None:
                for code in set(p.states):
                    self._pacts_of_state.setdefault(code, []).append(c)
            else:
                self._pacts_of_tier.setdefault((p.body, p.tier), []).append(c)

    def _add(self, x: _Member) -> None:
        self.members.append(x)
        self._by_holder.setdefault((x.state, x.body), []).append(x)
        self._by_tier.setdefault((x.body, x.tier), []).append(x)
        self._by_state.setdefault(x.state, []).append(x)

    def _drop(self, x: _Member) -> None:
        self.members.remove(x)
        self._by_holder[(x.state, x.body)].remove(x)
        self._by_tier[(x.body, x.tier)].remove(x)
        self._by_state[x.state].remove(x)

    def _relate(self, r: _Rel) -> None:
        self.relations.append(r)
        self._rels.setdefault(frozenset((r.a, r.b)), []).append(r)
        self._related.setdefault(r.a, set()).add(r.b)
        self._related.setdefault(r.b, set()).add(r.a)

    def related(self, state: str) -> list[str]:
        """States that share any recorded relation with ``state``, sorted."""
        return sorted(self._related.get(state, ()))

    def memberships_of(self, state: str, d: dt.date) -> list[_Member]:
        return [x for x in self._by_state.get(state, ()) if x.on(d)]

    def _apply(self, ch: m.Change, notes: list[str]) -> None:
        if ch.adopt_tier:
            key = (ch.adopt_tier.body, ch.adopt_tier.tier)
            # Adopted once is adopted: a second adoption does not move the date later.
            self.adopted[key] = min(ch.adopt_tier.on, self.adopted.get(key, ch.adopt_tier.on))
        elif ch.join:
            j = ch.join
            self.add_member(j.state, j.body, j.tier, j.on, j.status)
        elif ch.leave:
            if not self.end_membership(ch.leave.state, ch.leave.body, ch.leave.on, leaving=True):
                notes.append(f"`{ch.leave.state}` held no tier of `{ch.leave.body}` on "
                             f"{ch.leave.on}; the `leave` change did nothing")
        elif ch.relation_start:
            r = ch.relation_start
            self._relate(_Rel(r.kind, r.states[0], r.states[1], r.on, None))
        elif ch.relation_end:
            r = ch.relation_end
            hit = False
            for rel in self._rels.get(frozenset(r.states), ()):
                if rel.kind == r.kind and rel.on(r.on):
                    rel.until = r.on
                    hit = True
            if not hit:
                notes.append(f"no `{r.kind}` relation between {r.states[0]} and {r.states[1]} "
                             f"was in force on {r.on}; the `relation_end` change did nothing")

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
        self._add(_Member(state, body, tier, on, min(later, default=None), status))

    # queries
    def holding(self, state: str, body: str, d: dt.date) -> _Member | None:
        for x in self._by_holder.get((state, body), ()):
            if x.on(d):
                return x
        return None

    def holders(self, body: str, tier: str, d: dt.date,
                statuses: Iterable[str] = BINDING) -> list[_Member]:
        ok = set(statuses)
        return sorted((x for x in self._by_tier.get((body, tier), ())
                       if x.on(d) and x.status in ok), key=lambda x: x.state)

    def tier_in_force(self, body: str, tier: str, d: dt.date) -> bool:
        spec = self.rules.tier(body, tier)
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
            spec = self.rules.spec.states[code]
            un = spec.un_member_from is not None and spec.un_member_from <= d
            view = self._states[key] = StateView(code, spec.former_soviet, un, status)
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
        default = self.rules.spec.defaults.get("diplomatic_relations", True)
        return PairView(
            diplomatic_relations=default and "no_diplomatic_relations" not in kinds_now,
            conflict="conflict" in kinds_now,
            territorial_dispute="territorial_dispute" in kinds_now,
            rivalry="rivalry" in kinds_now,
            strategic_partnership="strategic_partnership" in kinds_now,
            sponsorship="sponsorship" in kinds_now,
            hostility_now="hostility" in kinds_now,
            hostility_past=past_hostility or "hostility" in kinds_now,
        )

    def commitments_of(self, state: str, d: dt.date) -> list[Rule]:
        """Commitments that may bind ``state`` on ``d`` (by its pacts and tiers), by id."""
        found = {c.id: c for c in self._pacts_of_state.get(state, ())}
        for x in self.memberships_of(state, d):
            for c in self._pacts_of_tier.get((x.body, x.tier), ()):
                found[c.id] = c
        return [found[k] for k in sorted(found)]

    def in_force(self, c: Rule, d: dt.date) -> bool:
        spec = c.spec
        return bool(spec.from_ <= d and (spec.until is None or d < spec.until))

    def bound(self, c: Rule, d: dt.date) -> list[str]:
        """States bound by a commitment on a date, sorted."""
        key = (c.id, d)
        found = self._bound.get(key)
        if found is None:
            p = c.spec.parties
            if p.states is not None:
                found = sorted(set(p.states))
            else:
                found = [x.state for x in self.holders(p.body, p.tier, d)]
            self._bound[key] = found
        return found

    def body_members(self, body: str, d: dt.date) -> list[_Member]:
        return self.holders(body, self.rules.member_tier(body), d)


# ---- evaluation ----------------------------------------------------------------------


class _Evaluator:
    def __init__(self, rules: CompiledRules, world: World, params: dict[str, Any],
                 interpretations: tuple[str, ...], explain: str, requests_until: dt.date,
                 incident_dates: dict[str, dt.date]) -> None:
        self.rules = rules
        self.incident_dates = incident_dates
        self.world = world
        self.base_params = params
        self.interpretations = interpretations
        self.explain = explain
        self.requests_until = requests_until
        self.admissions: list[Admission] = []
        self.classifications: list[Classification] = []
        self.obligations: dict[str, Obligation] = {}
        self.tensions: dict[str, Tension] = {}
        self.candidacies: set[tuple[str, str, str]] = set()
        self.params_ns = {name: self._params_for(name) for name in rules.spec.interpretations}
        self.default_ns = SimpleNamespace(**params)

    def _params_for(self, interp: str) -> SimpleNamespace:
        return SimpleNamespace(**{**self.base_params, **self.rules.spec.interpretations[interp].params})

    def check(self, cond: Condition, ctx: dict[str, Any]) -> tuple[bool, tuple[LeafResult, ...]]:
        if self.explain == "off":
            return cond.test(ctx), ()
        out: list[LeafResult] = []
        result = cond.trace(ctx, out)
        if self.explain == "fails":
            out = [leaf for leaf in out if not leaf.result]
        return result, tuple(out)

    # -- admissions
    def admission(self, app: m.Application) -> None:
        w, r = self.world, self.rules
        d = app.date
        tier = r.tier(app.body, app.tier)
        in_force = w.tier_in_force(app.body, app.tier, d)
        candidate = w.state(app.state, d)
        tier_ns = SimpleNamespace(rank=tier.rank, in_force=in_force)
        base = {"params": self.default_ns, "candidate": candidate, "tier": tier_ns}
        members = w.body_members(app.body, d)
        reasons: list[str] = []
        if not in_force:
            reasons.append(f"tier `{app.tier}` of `{app.body}` is not in force on {d} "
                           f"(status: {tier.status})")
        held = w.holding(app.state, app.body, d)
        # An application only ever raises a state's standing or restores a suspended, frozen or
        # withdrawn one (readmission); stepping down is a `leave`.
        promotes = (held is None or held.status != "active"
                    or r.tier(app.body, held.tier).rank < tier.rank)
        if not promotes:
            assert held is not None
            reasons.append(f"`{app.state}` already actively holds `{held.tier}` of `{app.body}` on {d}, "
                           f"which `{app.tier}` would not raise (to step down, record a `leave` "
                           "change, then a `join`)")
        gates: list[GateResult] = []
        for gid in tier.gates:
            gate = r.gates[gid]
            failing: list[str] = []
            leaves: list[LeafResult] = []
            if gate.spec.for_each == "member":
                items: list[tuple[str, dict[str, Any]]] = [
                    (x.state, {**base, "member": w.state(x.state, d, x.status),
                               "pair": w.pair(app.state, x.state, d)})
                    for x in members if x.state != app.state]
            elif gate.spec.for_each == "pact_chain":
                items = [(ch.describe(), {**base, "chain": ch.view})
                         for ch in self.chains(app.state, app.body, d)]
            else:
                items = [(app.state, base)]
            for label, ctx in items:
                ok, lv = self.check(gate.when, ctx)
                leaves.extend(lv)
                if not ok:
                    failing.append(label)
            gates.append(GateResult(gid, not failing, gate.spec.meaning, gate.spec.source,
                                    tuple(failing), tuple(leaves)))
        for g in gates:
            if not g.passed:
                reasons.append(f"gate `{g.gate}` failed" +
                               (f" for {', '.join(g.failing)}" if g.failing != (app.state,) else ""))
        stances: list[Stance] = []
        procedure = r.spec.procedures.get(tier.procedure) if tier.procedure else None
        decision, blocking = "not_applicable", list[tuple[str, str]]()
        if procedure is None or tier.decided_by is None:
            reasons.append(f"tier `{app.tier}` of `{app.body}` has no admission procedure "
                           "(it needs both `procedure` and `decided_by`), so no one can admit to it")
        else:
            # Suspended members take no part in decisions; frozen ones may stay out.
            deciders = w.holders(app.body, tier.decided_by, d, statuses=BINDING)
            for x in deciders:
                if x.state == app.state:
                    continue
                ctx = {**base, "decider": w.state(x.state, d, x.status),
                       "pair": w.pair(x.state, app.state, d)}
                stances.append(self.stance(x.state, ctx))
            decision, blocking = decide(procedure, stances)
            if decision != "adopted":
                reasons.append(f"{procedure.rule} not reached: " + (
                    ", ".join(f"{s} ({st})" for s, st in blocking) if blocking else "no deciders"))
        admitted = in_force and promotes and all(g.passed for g in gates) and decision == "adopted"
        rights = r.rights_of(app.body, app.tier) if admitted else ()
        self.admissions.append(Admission(
            app.id, app.state, app.body, app.tier, d.isoformat(), in_force, tuple(gates),
            tuple(stances), tier.procedure, procedure.rule if procedure else None, decision,
            tuple(s for s, _ in blocking), admitted, rights, tuple(reasons)))
        self.admission_tensions(app.state, app.body, app.tier, d)
        if admitted:
            w.add_member(app.state, app.body, app.tier, d)

    def stance(self, decider: str, ctx: dict[str, Any]) -> Stance:
        for rule in self.rules.stances:
            ok, leaves = self.check(rule.when, ctx)
            if ok:
                return Stance(decider, rule.spec.stance, rule.id, rule.spec.meaning, leaves)
        return Stance(decider, "unknown", None, "no stance rule matched")

    def chains(self, start: str, body: str, d: dt.date) -> list[Chain]:
        """Pact chains from ``start`` through commitments outside ``body`` to rival blocs."""
        w, r = self.world, self.rules
        rivals = set(r.spec.bodies[body].rivals)
        depth = int(self.base_params["chain_depth"])  # compile requires it with pact chains
        out: list[Chain] = []

        def rival_of(state: str) -> str | None:
            for rb in sorted(rivals):
                if w.holding(state, rb, d) is not None:
                    return rb
            return None

        def walk(state: str, steps: tuple[str, ...], seen: frozenset[str], military: bool) -> None:
            if len(steps) // 2 >= depth:
                return
            for c in w.commitments_of(state, d):
                p = c.spec.parties
                if p.body == body or c.spec.type not in ("defence", "consultation"):
                    continue
                if not w.in_force(c, d):
                    continue
                bound = w.bound(c, d)
                if state not in bound:
                    continue
                for other in bound:
                    if other in seen:
                        continue
                    mil = military and c.spec.military
                    new_steps = (*steps, c.id, other)
                    rb = rival_of(other)
                    if rb is not None:
                        out.append(Chain((*new_steps, rb), ChainView(len(new_steps) // 2, True, mil),
                                         other))
                    else:
                        walk(other, new_steps, seen | {other}, mil)

        walk(start, (start,), frozenset({start}), True)
        out.sort(key=lambda c: c.steps)
        return out

    def admission_tensions(self, state: str, body: str, tier: str, d: dt.date) -> None:
        """Tensions a candidacy raises, once per (state, body, tier) whichever event or change
        brings it, so that a what-if's `join` and the baseline's application compare equal."""
        key = (state, body, tier)
        if key in self.candidacies:
            return
        self.candidacies.add(key)
        context = f"{state}-{body}-{tier}"
        w = self.world
        tier_spec = self.rules.tier(body, tier)
        base = {"params": self.default_ns, "candidate": w.state(state, d),
                "tier": SimpleNamespace(rank=tier_spec.rank,
                                        in_force=w.tier_in_force(body, tier, d))}
        members = [x for x in w.body_members(body, d) if x.state != state]
        for rule in self.rules.tensions_for[f"admission:{body}"]:
            spec = rule.spec
            roles = {"candidate": state, "body": body}
            combos: list[tuple[dict[str, str], dict[str, Any], dict[str, Any]]] = []
            if spec.for_each == "none":
                combos.append((roles, base, {}))
            elif spec.for_each == "member":
                for x in members:
                    combos.append(({**roles, "member": x.state},
                                   {**base, "member": w.state(x.state, d, x.status),
                                    "pair": w.pair(state, x.state, d)}, {}))
            elif spec.for_each == "member_partner":
                for x in members:
                    for other in w.related(x.state):
                        if other in (state, x.state):
                            continue
                        link = w.pair(x.state, other, d)
                        if not link.strategic_partnership:
                            continue
                        combos.append(({**roles, "member": x.state, "other": other},
                                       {**base, "member": w.state(x.state, d, x.status),
                                        "other": w.state(other, d),
                                        "pair": w.pair(state, other, d), "link": link}, {}))
            elif spec.for_each == "pact_chain":
                for ch in self.chains(state, body, d):
                    combos.append(({**roles, "chain_end": ch.end}, {**base, "chain": ch.view},
                                   {"chain": ch.describe()}))
            for who, ctx, extra in combos:
                ok, leaves = self.check(rule.when, ctx)
                if ok:
                    self.add_tension(rule, who, context, None, leaves, extra)

    def add_tension(self, rule: Rule, who: Mapping[str, str | None], context: str,
                    interp: str | None, leaves: tuple[LeafResult, ...],
                    extra: dict[str, Any]) -> None:
        spec = rule.spec
        parties = tuple(dict.fromkeys(p for role in spec.parties if (p := who.get(role))))
        tid = f"{rule.id}:{context}:" + "-".join(parties) + (f"@{interp}" if interp else "")
        facts = tuple(sorted({**{k: v for k, v in who.items() if v}, **extra}.items()))
        self.tensions[tid] = Tension(tid, rule.id, spec.kind, spec.severity, parties, context,
                                     interp, spec.meaning, spec.source, facts, leaves)

    # -- incidents
    def incident_view(self, inc: m.Incident) -> IncidentView:
        reqs = {q.article for q in inc.requests if q.date <= self.requests_until}
        return IncidentView(
            inc.state_forces, inc.crossed_border, inc.shots_fired, inc.border_delimited,
            inc.internal_unrest, inc.framed_as_external, inc.actor is not None, False,
            "art2" in reqs, "art4" in reqs, inc.days_on_territory, inc.depth_km, inc.killed,
            inc.wounded, inc.captured, inc.killed + inc.wounded, inc.start)

    def classify(self, iid: str, view: IncidentView, interp: str) -> Classification:
        r = self.rules
        spec_i = r.spec.interpretations[interp]
        ctx = {"incident": view, "params": self.params_ns[interp]}
        matched: list[tuple[Rule, tuple[LeafResult, ...]]] = []
        for rule in r.classification:
            if not enabled_under(rule, spec_i):
                continue
            ok, leaves = self.check(rule.when, ctx)
            if ok:
                matched.append((rule, leaves))
        if not matched:
            return Classification(iid, interp, spec_i.holder, None, -1, None,
                                  "no classification rule matched", "", ())
        # INVARIANT: the label is the most severe among matching rules; ties go to file order
        # (max returns the first of equal maxima).
        top, leaves = max(matched, key=lambda x: r.rank[x[0].spec.label])
        others = tuple(x[0].id for x in matched if x[0] is not top)
        return Classification(iid, interp, spec_i.holder, top.spec.label, r.rank[top.spec.label],
                              top.id, top.spec.meaning, top.spec.source, others, leaves)

    def incident(self, inc: m.Incident) -> None:
        view = self.incident_view(inc)
        results = {i: self.classify(inc.id, view, i) for i in self.rules.spec.interpretations}
        for interp in self.interpretations:
            cls = results[interp]
            self.classifications.append(cls)
            direct = self.obligations_for(inc.id, inc.actor, inc.target, view, cls, results,
                                          interp, 0, None, set())
            new = sorted(direct + self.cascade(inc.id, direct, interp, results), key=lambda o: o.id)
            self.incident_tensions(inc, view, cls, interp, new)
        self.dispute_tensions(inc, view, results)

    def obligations_for(self, iid: str, actor: str | None, victim: str, view: IncidentView,
                        cls: Classification, results: dict[str, Classification], interp: str,
                        depth: int, via: str | None, visited: set[tuple[str, ...]],
                        ) -> list[Obligation]:
        """Obligations owed to ``victim`` under every commitment in force that binds it.

        In a cascade (``depth`` > 0) the derived threat is not itself a use of force, so
        only commitments owed by other parties (assistance, consultation) are followed."""
        w = self.world
        d = view.start
        out: list[Obligation] = []
        victim_cls = results.get(self.rules.victim_interpretation or "", cls)
        for c in w.commitments_of(victim, d):
            if not w.in_force(c, d):
                continue
            bound = w.bound(c, d)
            if victim not in bound:
                continue
            spec = c.spec
            judged = victim_cls if spec.judged_by == "victim" else cls
            label_ns = SimpleNamespace(label=judged.label or "", rank=judged.rank)
            if spec.owed_by == "actor" and depth > 0:
                continue
            if spec.owed_by == "actor":
                debtors = [actor] if actor in bound else []
            else:
                # INVARIANT: no state owes assistance to itself or against itself.
                debtors = [s for s in bound if s not in (victim, actor)]
            ctx = {"incident": view, "params": self.params_ns[interp],
                   "classification": label_ns, "victim": w.state(victim, d),
                   "actor": w.state(actor, d)}
            for debtor in debtors:
                assert debtor is not None
                key = (spec.id, debtor, victim, actor or "")
                if key in visited:
                    continue
                ctx["debtor"] = w.state(debtor, d)
                ok, leaves = self.check(c.when, ctx)
                if not ok:
                    continue
                visited.add(key)
                # A cascade may owe the same party twice, against each side of a clash.
                oid = (f"{spec.id}:{debtor}->{victim}:{iid}@{interp}" if depth == 0 else
                       f"{spec.id}:{debtor}->{victim}-vs-{actor}:{iid}@{interp}#{depth}")
                ob = Obligation(oid, spec.id, spec.type, spec.strength, spec.military, debtor,
                                victim, actor, iid, interp, spec.judged_by, judged.label, depth,
                                via, spec.treaty, spec.article, spec.meaning, spec.source, leaves)
                self.obligations[oid] = ob
                out.append(ob)
        return out

    def cascade(self, iid: str, start: list[Obligation], interp: str,
                results: dict[str, Classification]) -> list[Obligation]:
        """Follow military obligations to the commitments they set off, breadth first; return
        the obligations the cascade created."""
        params = self.params_ns[interp]
        # Without `cascade_depth` the rules follow no cascades (the report notes it); with it,
        # compile requires `cascade_label`.
        max_depth = int(getattr(params, "cascade_depth", 0))
        label = str(getattr(params, "cascade_label", ""))
        rank = self.rules.rank.get(label, -1)
        visited: set[tuple[str, ...]] = {(o.commitment, o.debtor, o.creditor, o.against or "")
                                         for o in start}
        seen_pairs: set[tuple[str, str]] = set()
        frontier = start
        created: list[Obligation] = []
        depth = 0
        while frontier and depth < max_depth:
            depth += 1
            nxt: list[Obligation] = []
            for ob in frontier:
                if not ob.military or ob.against is None:
                    continue
                # Intervening against A threatens A; A's response threatens the intervener.
                for actor, target in ((ob.debtor, ob.against), (ob.against, ob.debtor)):
                    if (actor, target) in seen_pairs:
                        continue
                    seen_pairs.add((actor, target))
                    view = self._derived(ob)
                    cls = Classification(iid, interp, "derived", label, rank, None,
                                         "threat created by an intervention", "")
                    derived_results = {k: cls for k in results}
                    nxt.extend(self.obligations_for(iid, actor, target, view, cls,
                                                    derived_results, interp, depth, ob.id,
                                                    visited))
            created += nxt
            frontier = nxt
        return created

    def _derived(self, ob: Obligation) -> IncidentView:
        """The facts of a threat created by an intervention: state forces, nothing more."""
        return IncidentView(True, False, False, True, False, False, True, True, False, False,
                            0, 0.0, 0, 0, 0, 0, self.incident_dates[ob.incident])

    def incident_tensions(self, inc: m.Incident, view: IncidentView, cls: Classification,
                          interp: str, new: list[Obligation]) -> None:
        w = self.world
        d = inc.start
        actor_is_party = inc.actor is not None and any(
            w.in_force(c, d) and inc.actor in (b := w.bound(c, d)) and inc.target in b
            and c.spec.owed_by == "other_parties" for c in w.commitments_of(inc.target, d))
        direct = [o for o in new if o.depth == 0 and o.creditor == inc.target
                  and o.type in ("defence", "consultation")]
        cascaded = [o for o in new if o.depth > 0]
        victim_bodies = {x.body for x in w.memberships_of(inc.target, d)}
        rival_bodies = {rb for b in victim_bodies for rb in self.rules.spec.bodies[b].rivals}
        reaches = any(w.holding(o.debtor, rb, d) for o in cascaded for rb in rival_bodies)
        conflict = SimpleNamespace(actor_is_party=actor_is_party,
                                   obligations_to_victim=len(direct),
                                   cascade_obligations=len(cascaded),
                                   cascade_reaches_rival_bloc=reaches)
        ctx = {"incident": view, "params": self.params_ns[interp],
               "classification": SimpleNamespace(label=cls.label or "", rank=cls.rank),
               "victim": w.state(inc.target, d), "actor": w.state(inc.actor, d),
               "conflict": conflict}
        for rule in self._victim_scoped("incident", victim_bodies):
            ok, leaves = self.check(rule.when, ctx)
            if ok:
                extra: dict[str, Any] = {"label": cls.label}
                if reaches:
                    extra["cascade"] = sorted({f"{o.debtor} via {o.commitment}" for o in cascaded})
                self.add_tension(rule, {"actor": inc.actor, "victim": inc.target}, inc.id,
                                 interp, leaves, extra)

    def _victim_scoped(self, scope: str, victim_bodies: set[str]) -> list[Rule]:
        """Incident or dispute tension rules that apply to a victim in these bodies."""
        found = {t.id: t for t in self.rules.tensions_for[scope]}
        for body in sorted(victim_bodies):
            found.update((t.id, t) for t in self.rules.tensions_for[f"{scope}:{body}"])
        return list(found.values())

    def dispute_tensions(self, inc: m.Incident, view: IncidentView,
                         results: dict[str, Classification]) -> None:
        by_holder: dict[str, Classification] = {}
        for name in sorted(results, key=lambda n: list(self.rules.spec.interpretations).index(n)):
            by_holder.setdefault(results[name].holder, results[name])
        ns: dict[str, Any] = {}
        for h in ("victim", "organization", "treaty"):
            c = by_holder.get(h)
            ns[f"{h}_label"] = (c.label if c and c.label else "none")
            ns[f"{h}_rank"] = c.rank if c else -1
        ctx = {"incident": view, "params": self.default_ns, "dispute": SimpleNamespace(**ns)}
        bodies = {x.body for x in self.world.memberships_of(inc.target, inc.start)}
        for rule in self._victim_scoped("dispute", bodies):
            ok, leaves = self.check(rule.when, ctx)
            if ok:
                self.add_tension(rule, {"actor": inc.actor, "victim": inc.target}, inc.id, None,
                                 leaves, {k: v for k, v in ns.items() if k.endswith("label")})


def enabled_under(rule: Rule, reading: m.Interpretation) -> bool:
    """Whether a classification rule applies under an interpretation's switches."""
    return (rule.spec.enabled or rule.id in reading.enable) and rule.id not in reading.disable


def decide(procedure: m.Procedure, stances: list[Stance]) -> tuple[str, list[tuple[str, str]]]:
    """Apply a decision rule to the deciders' stances: (outcome, blocking deciders)."""
    if not stances:
        return "undetermined", []
    unknown = [(s.decider, s.stance) for s in stances if s.stance == "unknown"]
    if unknown:
        return "undetermined", unknown
    if procedure.rule == "consensus":
        blocks = {"object"} if procedure.objection == "blocks" else set()
        if procedure.abstention == "blocks":
            blocks.add("abstain")
        if procedure.absence == "blocks":
            blocks.add("absent")
        blocking = [(s.decider, s.stance) for s in stances if s.stance in blocks]
        return ("blocked" if blocking else "adopted"), blocking
    if procedure.rule == "unanimity":
        blocking = [(s.decider, s.stance) for s in stances if s.stance != "support"]
        return ("blocked" if blocking else "adopted"), blocking
    # Majority of all deciders, not of those voting: abstaining and absent ones count against.
    support = sum(s.stance == "support" for s in stances)
    blocking = [(s.decider, s.stance) for s in stances if s.stance == "object"]
    return ("adopted" if support * 2 > len(stances) else "blocked"), blocking


def outcome(rules: CompiledRules, scenario: m.ScenarioFile, added: tuple[Rule, ...],
            params: dict[str, Any], with_changes: bool, explain: str,
            interpretations: tuple[str, ...]) -> Outcome:
    """One evaluation pass: the conclusions with the scenario's changes and ``added``
    commitments (the what-if) or without them (the baseline). ``evaluate`` runs both."""
    return _run(rules, scenario, added, params, with_changes, explain, interpretations)[0]


def conclusions(rules: CompiledRules, scenario: Scenario, *, explain: str = "off"
                ) -> tuple[Outcome, World]:
    """The what-if's conclusions and the world they left (no baseline, no difference).

    The fast path for property checks and sweeps."""
    sc = scenario.spec
    names = tuple(sc.interpretations or tuple(rules.spec.interpretations))
    return _run(rules, sc, scenario.added_commitments, {**rules.params, **sc.params}, True,
                explain, names)


def _run(rules: CompiledRules, scenario: m.ScenarioFile, added: tuple[Rule, ...],
         params: dict[str, Any], with_changes: bool, explain: str,
         interpretations: tuple[str, ...]) -> tuple[Outcome, World]:
    ev, notes = _evaluated(rules, scenario, added, params, with_changes, explain, interpretations)
    return Outcome(
        admissions=tuple(sorted(ev.admissions, key=lambda a: (a.date, a.id))),
        classifications=tuple(sorted(ev.classifications,
                                     key=lambda c: (c.incident, interpretations.index(c.interpretation)))),
        obligations=tuple(ev.obligations[k] for k in sorted(ev.obligations)),
        tensions=tuple(ev.tensions[k] for k in sorted(ev.tensions)),
        notes=tuple(notes)), ev.world


def _evaluated(rules: CompiledRules, scenario: m.ScenarioFile, added: tuple[Rule, ...],
               params: dict[str, Any], with_changes: bool, explain: str,
               interpretations: tuple[str, ...]) -> tuple[_Evaluator, list[str]]:
    """Run a scenario's events in order; return the evaluator holding the conclusions."""
    notes: list[str] = []
    world = World(rules, scenario if with_changes else None, added if with_changes else (), notes)
    dates = {e.incident.id: e.incident.start for e in scenario.events if e.incident}
    if dates and "cascade_depth" not in params:
        notes.append("the rules define no `cascade_depth` parameter, so obligations are not "
                     "followed to the commitments they set off")
    ev = _Evaluator(rules, world, params, interpretations, explain, scenario.as_of, dates)
    if with_changes:
        for ch in scenario.changes:
            if ch.join:
                ev.admission_tensions(ch.join.state, ch.join.body, ch.join.tier, ch.join.on)
    # INVARIANT: same-day events run applications first, then by id, whatever the file's order.
    order = sorted(scenario.events, key=lambda e: (e.date, 0 if e.application else 1, e.id))
    for e in order:
        if e.application:
            ev.admission(e.application)
        elif e.incident:
            ev.incident(e.incident)
    return ev, notes


def trace_label(rules: CompiledRules, scenario: Scenario, incident: str, interpretation: str,
                label: str) -> list[LeafResult]:
    """Every leaf of the classification rules enabled under ``interpretation`` that would give
    ``label`` to an incident, evaluated on the incident's facts."""
    sc = scenario.spec
    ev, _ = _evaluated(rules, sc, scenario.added_commitments, {**rules.params, **sc.params}, True,
                       "full", tuple(rules.spec.interpretations))
    inc = next(e.incident for e in sc.events if e.incident and e.incident.id == incident)
    reading = rules.spec.interpretations[interpretation]
    ctx = {"incident": ev.incident_view(inc), "params": ev.params_ns[interpretation]}
    out: list[LeafResult] = []
    for rule in rules.classification:
        if enabled_under(rule, reading) and rule.spec.label == label:
            rule.when.trace(ctx, out)
    return out


def trace_commitment(rules: CompiledRules, scenario: Scenario, commitment: str, debtor: str,
                     incident: str, interpretation: str) -> tuple[list[str], tuple[LeafResult, ...]]:
    """Why a commitment does or does not bind ``debtor`` towards an incident's target: the
    structural reasons (in force, parties, actor) and every leaf of its condition."""
    sc = scenario.spec
    names = tuple(sc.interpretations or tuple(rules.spec.interpretations))
    ev, _ = _evaluated(rules, sc, scenario.added_commitments, {**rules.params, **sc.params},
                       True, "full", names)
    inc = next(e.incident for e in sc.events if e.incident and e.incident.id == incident)
    c = next(x for x in ev.world.commitments if x.id == commitment)
    w, d = ev.world, inc.start
    reasons: list[str] = []
    if not w.in_force(c, d):
        reasons.append(f"`{commitment}` is not in force on {d} (from {c.spec.from_}"
                       + (f" until {c.spec.until})" if c.spec.until else ")"))
    bound = w.bound(c, d)
    if inc.target not in bound:
        reasons.append(f"`{inc.target}` is not bound by `{commitment}` on {d}, so it is owed nothing")
    if c.spec.owed_by == "actor" and debtor != inc.actor:
        reasons.append(f"`{commitment}` is owed only by the actor (`{inc.actor}`), not `{debtor}`")
    elif debtor not in bound:
        reasons.append(f"`{debtor}` is not bound by `{commitment}` on {d}")
    if c.spec.owed_by == "other_parties" and debtor in (inc.target, inc.actor):
        reasons.append(f"`{debtor}` cannot owe assistance to itself or against itself")
    view = ev.incident_view(inc)
    results = {i: ev.classify(inc.id, view, i) for i in rules.spec.interpretations}
    judged = results[rules.victim_interpretation or interpretation] \
        if c.spec.judged_by == "victim" else results[interpretation]
    ctx = {"incident": view, "params": ev.params_ns[interpretation],
           "classification": SimpleNamespace(label=judged.label or "", rank=judged.rank),
           "victim": w.state(inc.target, d), "actor": w.state(inc.actor, d),
           "debtor": w.state(debtor, d)}
    out: list[LeafResult] = []
    c.when.trace(ctx, out)
    return reasons, tuple(out)


def evaluate(rules: CompiledRules, scenario: Scenario, *, explain: str = "full",
             params: dict[str, Any] | None = None,
             interpretations: tuple[str, ...] | None = None) -> Report:
    """Evaluate a scenario: the what-if and its baseline, and their difference.

    ``params`` and ``interpretations`` (from the command line) override the
    scenario's own. The baseline is the same events on the world without the
    scenario's changes and parameter overrides.
    """
    if explain not in EXPLAIN_LEVELS:
        raise ValueError(f"explain must be one of {EXPLAIN_LEVELS}")
    sc = scenario.spec
    names = tuple(interpretations or sc.interpretations or tuple(rules.spec.interpretations))
    merged = {**rules.params, **sc.params, **(params or {})}
    whatif = outcome(rules, sc, scenario.added_commitments, merged, True, explain, names)
    if sc.changes or scenario.added_commitments or merged != rules.params:
        baseline = outcome(rules, sc, (), dict(rules.params), False, "off", names)
    else:
        # Nothing differs from the baseline's inputs, so its conclusions are the what-if's
        # (the what-if-neutrality property checks exactly this).
        baseline = whatif
    changed = {k: v for k, v in sorted(merged.items()) if v != rules.params[k]}
    # A parameter every evaluated reading fixes for itself, and that nothing outside the
    # readings reads, cannot have caused anything.
    inert = {k for k in changed if k not in rules.shared_params
             and all(k in rules.spec.interpretations[n].params for n in names)}
    causes = tuple(
        [f"change: {_describe_change(c)}" for c in sc.changes]
        + [f"parameter `{k}` = {_as_written(v)} (default {_as_written(rules.params[k])})"
           for k, v in changed.items() if k not in inert])
    if inert:
        whatif = replace(whatif, notes=(*whatif.notes, *(
            f"parameter `{k}` = {_as_written(changed[k])} has no effect: every evaluated "
            "interpretation sets its own value" for k in sorted(inert))))
    return Report(
        scenario=sc.name, scenario_file=scenario.file, rules=rules.spec.name,
        rules_file=rules.file, as_of=sc.as_of.isoformat(), interpretations=names,
        explain=explain, outcome=whatif, difference=difference(baseline, whatif, causes),
        params=tuple(sorted((k, v) for k, v in merged.items() if v != rules.params[k])))


def _as_written(v: Any) -> str:
    """A parameter value as the user writes it in YAML or on the command line."""
    return ("true" if v else "false") if isinstance(v, bool) else str(v)


def _describe_change(c: m.Change) -> str:
    if c.adopt_tier:
        return f"`{c.adopt_tier.body}` adopts its `{c.adopt_tier.tier}` tier on {c.adopt_tier.on}"
    if c.join:
        return f"`{c.join.state}` joins `{c.join.body}` as `{c.join.tier}` on {c.join.on}"
    if c.leave:
        return f"`{c.leave.state}` leaves `{c.leave.body}` on {c.leave.on}"
    if c.relation_start:
        r = c.relation_start
        return f"`{r.kind}` between {r.states[0]} and {r.states[1]} starts on {r.on}"
    if c.relation_end:
        r = c.relation_end
        return f"`{r.kind}` between {r.states[0]} and {r.states[1]} ends on {r.on}"
    assert c.add_commitment is not None
    return f"commitment `{c.add_commitment.id}` added from {c.add_commitment.from_}"


def difference(base: Outcome, whatif: Outcome, causes: tuple[str, ...]) -> Difference:
    """Compare two outcomes by conclusion id."""
    bo = {o.id: o for o in base.obligations}
    wo = {o.id: o for o in whatif.obligations}
    bt = {t.id: t for t in base.tensions}
    wt = {t.id: t for t in whatif.tensions}
    ba = {a.id: a for a in base.admissions}
    adm = []
    for a in whatif.admissions:
        b = ba.get(a.id)
        if b is None or (b.admitted, b.decision, b.gates_failed, b.tier_in_force) != (
                a.admitted, a.decision, a.gates_failed, a.tier_in_force):
            adm.append({"id": a.id,
                        "baseline": None if b is None else {
                            "admitted": b.admitted, "decision": b.decision,
                            "gates_failed": list(b.gates_failed), "tier_in_force": b.tier_in_force},
                        "what_if": {"admitted": a.admitted, "decision": a.decision,
                                    "gates_failed": list(a.gates_failed),
                                    "tier_in_force": a.tier_in_force}})
    bc = {c.id: c for c in base.classifications}
    cls = [{"id": c.id, "baseline": bc[c.id].label if c.id in bc else None, "what_if": c.label}
           for c in whatif.classifications if c.id not in bc or bc[c.id].label != c.label]
    return Difference(
        causes=causes,
        obligations_appeared=tuple(sorted(set(wo) - set(bo))),
        obligations_vanished=tuple(bo[k] for k in sorted(set(bo) - set(wo))),
        tensions_appeared=tuple(sorted(set(wt) - set(bt))),
        tensions_vanished=tuple(bt[k] for k in sorted(set(bt) - set(wt))),
        admissions_changed=tuple(adm), classifications_changed=tuple(cls))


