"""Step 4c: admissions: gates, each decider's predicted stance, the decision, the
rights; and the tensions a candidacy raises, including pact chains to rival blocs.

Pure; works on an :class:`~cstosim.evaluate.Evaluation` in progress.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cstosim import program as pg
from cstosim.conditions import NO_LEAVES, LeafResult
from cstosim.program import ChainView, TierView
from cstosim.report import Admission, GateResult, Reason, Stance, reason
from cstosim.world import BINDING

if TYPE_CHECKING:
    from cstosim.evaluate import Evaluation


@dataclass(frozen=True)
class Chain:
    """A pact chain from a candidate to a rival bloc: state, commitment, state, ..., body."""

    steps: tuple[str, ...]
    view: ChainView
    end: str

    def describe(self) -> str:
        return " -> ".join(self.steps)


def admit(ev: Evaluation, app: pg.Application) -> None:
    """Decide an application; an admitted state holds the tier from the application's date."""
    w, prog = ev.world, ev.program
    d = app.date
    tier = prog.tier(app.body, app.tier)
    in_force = w.tier_in_force(app.body, app.tier, d)
    base = {"params": ev.default_ns, "candidate": w.state(app.state, d),
            "tier": TierView(tier.rank, in_force)}
    reasons: list[Reason] = []
    if not in_force:
        reasons.append(reason("tier_not_in_force", tier=app.tier, body=app.body, date=d,
                              status=tier.status))
    held = w.holding(app.state, app.body, d)
    # An application only ever raises a state's standing or restores a suspended, frozen or
    # withdrawn one (readmission); stepping down is a `leave`.
    promotes = (held is None or held.status != "active"
                or prog.tier(app.body, held.tier).rank < tier.rank)
    if not promotes:
        assert held is not None
        reasons.append(reason("tier_not_raised", state=app.state, held=held.tier, body=app.body,
                              date=d, tier=app.tier))
    gates = [_gate(ev, app, prog.gates[gid], base) for gid in tier.gates]
    for g in gates:
        if not g.passed:
            reasons.append(reason("gate_failed", gate=g.gate,
                                  failing=None if g.failing == (app.state,) else g.failing))
    stances: list[Stance] = []
    procedure = prog.procedures.get(tier.procedure) if tier.procedure else None
    decision, blocking = "not_applicable", list[tuple[str, str]]()
    if procedure is None or tier.decided_by is None:
        reasons.append(reason("no_procedure", tier=app.tier, body=app.body))
    else:
        # Suspended members take no part in decisions; frozen ones may stay out.
        for x in w.holders(app.body, tier.decided_by, d, statuses=BINDING):
            if x.state == app.state:
                continue
            ctx = {**base, "decider": w.state(x.state, d, x.status),
                   "pair": w.pair(x.state, app.state, d),
                   "partners": w.partners(x.state, app.state, d)}
            stances.append(stance(ev, x.state, ctx, app.id))
        decision, blocking = decide(procedure, stances)
        if decision != "adopted":
            reasons.append(reason("decision_not_reached", rule=procedure.rule,
                                  blocking=tuple(blocking)))
    admitted = in_force and promotes and all(g.passed for g in gates) and decision == "adopted"
    rights = prog.rights_of(app.body, app.tier) if admitted else ()
    ev.admissions.append(Admission(
        app.id, app.state, app.body, app.tier, d.isoformat(), in_force, tuple(gates),
        tuple(stances), tier.procedure, procedure.rule if procedure else None, decision,
        tuple(s for s, _ in blocking), admitted, rights, tuple(reasons)))
    candidacy_tensions(ev, app.state, app.body, app.tier, d)
    if admitted:
        w.add_member(app.state, app.body, app.tier, d)


def _gate(ev: Evaluation, app: pg.Application, gate: pg.Gate, base: dict[str, Any]) -> GateResult:
    w, d = ev.world, app.date
    if gate.for_each == "member":
        items: list[tuple[str, dict[str, Any]]] = [
            (x.state, {**base, "member": w.state(x.state, d, x.status),
                       "pair": w.pair(app.state, x.state, d)})
            for x in w.body_members(app.body, d) if x.state != app.state]
    elif gate.for_each == "pact_chain":
        items = [(ch.describe(), {**base, "chain": ch.view})
                 for ch in chains(ev, app.state, app.body, d)]
    else:
        items = [(app.state, base)]
    failing: list[str] = []
    leaves: list[LeafResult] = []
    for label, ctx in items:
        if ev.record is None:
            ok, lv = gate.when.test(ctx), NO_LEAVES
        else:
            ok, lv = ev.traced(gate.when, ctx, "gate", gate.id, application=app.id, on=label)
        leaves.extend(lv)
        if not ok:
            failing.append(label)
    return GateResult(gate.id, not failing, gate.meaning, gate.source, tuple(failing), tuple(leaves))


def stance(ev: Evaluation, decider: str, ctx: dict[str, Any], application: str) -> Stance:
    """A decider's predicted stance: the first stance rule that matches."""
    for rule in ev.program.stances:
        if ev.record is None:
            ok, leaves = rule.when.test(ctx), NO_LEAVES
        else:
            ok, leaves = ev.traced(rule.when, ctx, "stance", rule.id, application=application,
                                   decider=decider)
        if ok:
            return Stance(decider, rule.stance, rule.id, rule.meaning, leaves)
    return Stance(decider, "unknown", None, "no stance rule matched")


def decide(procedure: pg.Procedure, deciders: Sequence[Stance]) -> tuple[str, list[tuple[str, str]]]:
    """Apply a decision rule to the deciders' stances: (outcome, blocking deciders)."""
    stances = [(s.decider, s.stance) for s in deciders]
    if not stances:
        return "undetermined", []
    unknown = [(d, s) for d, s in stances if s == "unknown"]
    if unknown:
        return "undetermined", unknown
    if procedure.rule == "consensus":
        blocks = {"object"} if procedure.objection == "blocks" else set()
        if procedure.abstention == "blocks":
            blocks.add("abstain")
        if procedure.absence == "blocks":
            blocks.add("absent")
        blocking = [(d, s) for d, s in stances if s in blocks]
        return ("blocked" if blocking else "adopted"), blocking
    if procedure.rule == "unanimity":
        blocking = [(d, s) for d, s in stances if s != "support"]
        return ("blocked" if blocking else "adopted"), blocking
    # Majority of all deciders, not of those voting: abstaining and absent ones count against.
    support = sum(s == "support" for _, s in stances)
    blocking = [(d, s) for d, s in stances if s == "object"]
    return ("adopted" if support * 2 > len(stances) else "blocked"), blocking


MAX_CHAIN_STEPS = 20_000
"""Pact-chain search budget per search: commitments followed. The chains are simple paths,
whose number can grow exponentially with ``chain_depth`` in a dense web of pacts; past the
budget the search stops, keeps the chains found so far and the report carries a note."""


def chains(ev: Evaluation, start: str, body: str, d: dt.date) -> list[Chain]:
    """Pact chains from ``start`` through commitments outside ``body`` to rival blocs."""
    w = ev.world
    budget = [MAX_CHAIN_STEPS]
    rivals = set(ev.program.bodies[body].rivals)
    depth = int(ev.base_params["chain_depth"])  # compile requires it with pact chains
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
            if c.parties.body == body or c.type not in ("defence", "consultation"):
                continue
            if not c.in_force(d):
                continue
            bound = w.bound(c, d)
            if state not in bound:
                continue
            for other in bound:
                if other in seen:
                    continue
                if budget[0] <= 0:
                    ev.chains_capped = True
                    return
                budget[0] -= 1
                mil = military and c.military
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


def candidacy_tensions(ev: Evaluation, state: str, body: str, tier: str, d: dt.date) -> None:
    """Tensions a candidacy raises, once per (state, body, tier) whichever event or change
    brings it, so that a what-if's `join` and the baseline's application compare equal."""
    key = (state, body, tier)
    if key in ev.candidacies:
        return
    ev.candidacies.add(key)
    context = f"{state}-{body}-{tier}"
    w = ev.world
    base = {"params": ev.default_ns, "candidate": w.state(state, d),
            "tier": TierView(ev.program.tier(body, tier).rank, w.tier_in_force(body, tier, d))}
    members = [x for x in w.body_members(body, d) if x.state != state]
    for rule in ev.program.tensions_for[f"admission:{body}"]:
        roles = {"candidate": state, "body": body}
        combos: list[tuple[dict[str, str], dict[str, Any], dict[str, Any]]] = []
        if rule.for_each == "none":
            combos.append((roles, base, {}))
        elif rule.for_each == "member":
            for x in members:
                combos.append(({**roles, "member": x.state},
                               {**base, "member": w.state(x.state, d, x.status),
                                "pair": w.pair(state, x.state, d)}, {}))
        elif rule.for_each == "member_partner":
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
        elif rule.for_each == "pact_chain":
            for ch in chains(ev, state, body, d):
                combos.append(({**roles, "chain_end": ch.end}, {**base, "chain": ch.view},
                               {"chain": ch.describe()}))
        for who, ctx, extra in combos:
            if ev.record is None:
                ok, leaves = rule.when.test(ctx), NO_LEAVES
            else:
                ok, leaves = ev.traced(rule.when, ctx, "tension", rule.id, context=context, **who)
            if ok:
                ev.add_tension(rule, who, context, None, leaves, extra)
