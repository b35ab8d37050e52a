"""Step 4d: incidents: classification under each interpretation, obligations from the
commitments in force, cascades through further commitments (bounded, cycle safe),
incident tensions, and disputes between readings.

Pure; works on an :class:`~cstosim.evaluate.Evaluation` in progress.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from cstosim import program as pg
from cstosim.conditions import NO_LEAVES, LeafResult
from cstosim.program import ConflictView, IncidentView, LabelView
from cstosim.report import Classification, Considered, Obligation

if TYPE_CHECKING:
    from cstosim.evaluate import Evaluation


def view_of(ev: Evaluation, inc: pg.Incident) -> IncidentView:
    """The facts of an incident as conditions read them (requests up to `as_of` only)."""
    return incident_view(inc, ev.requests_until)


def incident_view(inc: pg.Incident, requests_until: dt.date) -> IncidentView:
    """:func:`view_of` for requests made up to ``requests_until``."""
    reqs = {q.article for q in inc.requests if q.date <= requests_until}
    return IncidentView(
        inc.state_forces, inc.crossed_border, inc.shots_fired, inc.border_delimited,
        inc.internal_unrest, inc.framed_as_external, inc.actor is not None, False,
        "art2" in reqs, "art4" in reqs, inc.days_on_territory, inc.depth_km, inc.killed,
        inc.wounded, inc.captured, inc.killed + inc.wounded, inc.start)


def classify(ev: Evaluation, iid: str, view: IncidentView, interp: str) -> Classification:
    """The most severe label among the classification rules that match under ``interp``."""
    prog = ev.program
    reading = prog.interpretations[interp]
    ctx = {"incident": view, "params": ev.params_ns[interp]}
    matched: list[tuple[pg.ClassificationRule, tuple[LeafResult, ...]]] = []
    for rule in prog.classification:
        if not reading.enables(rule):
            continue
        if ev.record is None:
            ok, leaves = rule.when.test(ctx), NO_LEAVES
        else:
            ok, leaves = ev.traced(rule.when, ctx, "classification", rule.id, incident=iid,
                                   interpretation=interp, label=rule.label)
        if ok:
            matched.append((rule, leaves))
    if not matched:
        return Classification(iid, interp, reading.holder, None, -1, None,
                              "no classification rule matched", "", ())
    # INVARIANT: the label is the most severe among matching rules; ties go to file order
    # (max returns the first of equal maxima).
    top, leaves = max(matched, key=lambda x: prog.rank[x[0].label])
    others = tuple(x[0].id for x in matched if x[0] is not top)
    return Classification(iid, interp, reading.holder, top.label, prog.rank[top.label],
                          top.id, top.meaning, top.source, others, leaves)


def incident(ev: Evaluation, inc: pg.Incident) -> None:
    view = view_of(ev, inc)
    # Every reading is classified: commitments judged "in the victim's opinion" need the
    # victim's reading even when it is not among those evaluated.
    results = {i: classify(ev, inc.id, view, i) for i in ev.program.interpretations}
    for interp in ev.interpretations:
        cls = results[interp]
        ev.classifications.append(cls)
        direct = obligations_for(ev, inc.id, inc.actor, inc.target, view, cls, results,
                                 interp, 0, None, set())
        new = sorted(direct + cascade(ev, inc.id, direct, interp, results), key=lambda o: o.id)
        incident_tensions(ev, inc, view, cls, interp, new)
    dispute_tensions(ev, inc, view, results)


def obligations_for(ev: Evaluation, iid: str, actor: str | None, victim: str, view: IncidentView,
                    cls: Classification, results: dict[str, Classification], interp: str,
                    depth: int, via: str | None, visited: set[tuple[str, ...]],
                    ) -> list[Obligation]:
    """Obligations owed to ``victim`` under every commitment in force that binds it.

    In a cascade (``depth`` > 0) the derived threat is not itself a use of force, so
    only commitments owed by other parties (assistance, consultation) are followed."""
    w = ev.world
    d = view.start
    out: list[Obligation] = []
    victim_cls = results.get(ev.program.victim_interpretation or "", cls)
    for c in w.commitments_of(victim, d):
        in_force = c.in_force(d)
        bound = w.bound(c, d) if in_force else []
        if c.owed_by == "actor":
            debtors = [actor] if actor in bound and depth == 0 else []
        else:
            # INVARIANT: no state owes assistance to itself or against itself.
            debtors = [s for s in bound if s not in (victim, actor)]
        if ev.record is not None:
            ev.record.append(Considered(c.id, iid, interp, victim, actor, depth, in_force,
                                        tuple(bound), tuple(x for x in debtors if x)))
        if not in_force or victim not in bound:
            continue
        judged = victim_cls if c.judged_by == "victim" else cls
        ctx = {"incident": view, "params": ev.params_ns[interp],
               "classification": LabelView(judged.label or "", judged.rank),
               "victim": w.state(victim, d), "actor": w.state(actor, d)}
        # A condition that reads nothing of the debtor holds for all of them or for none:
        # with nothing recorded, it is tested once (the dependency map's roots say which).
        once = ev.record is None and "debtor" not in c.when.roots()
        if once and not c.when.test(ctx):
            continue
        for debtor in debtors:
            assert debtor is not None
            key = (c.id, debtor, victim, actor or "")
            if key in visited:
                continue
            if once:
                ok, leaves = True, NO_LEAVES
            elif ev.record is None:
                ctx["debtor"] = w.state(debtor, d)
                ok, leaves = c.when.test(ctx), NO_LEAVES
            else:
                ctx["debtor"] = w.state(debtor, d)
                ok, leaves = ev.traced(c.when, ctx, "commitment", c.id, incident=iid,
                                       interpretation=interp, debtor=debtor, victim=victim,
                                       actor=actor, depth=depth)
            if not ok:
                continue
            visited.add(key)
            # A cascade may owe the same party twice, against each side of a clash.
            oid = (f"{c.id}:{debtor}->{victim}:{iid}@{interp}" if depth == 0 else
                   f"{c.id}:{debtor}->{victim}-vs-{actor}:{iid}@{interp}#{depth}")
            ob = Obligation(oid, c.id, c.type, c.strength, c.military, debtor, victim, actor, iid,
                            interp, c.judged_by, judged.label, depth, via, c.treaty, c.article,
                            c.meaning, c.source, leaves)
            ev.obligations[oid] = ob
            out.append(ob)
    return out


def cascade(ev: Evaluation, iid: str, start: list[Obligation], interp: str,
            results: dict[str, Classification]) -> list[Obligation]:
    """Follow military obligations to the commitments they set off, breadth first; return
    the obligations the cascade created."""
    params = ev.params_ns[interp]
    # Without `cascade_depth` the rules follow no cascades (the report notes it); with it,
    # compile requires `cascade_label`.
    max_depth = int(getattr(params, "cascade_depth", 0))
    label = str(getattr(params, "cascade_label", ""))
    rank = ev.program.rank.get(label, -1)
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
                cls = Classification(iid, interp, "derived", label, rank, None,
                                     "threat created by an intervention", "")
                derived_results = {k: cls for k in results}
                nxt.extend(obligations_for(ev, iid, actor, target, _derived(ev, ob), cls,
                                           derived_results, interp, depth, ob.id, visited))
        created += nxt
        frontier = nxt
    return created


def _derived(ev: Evaluation, ob: Obligation) -> IncidentView:
    """The facts of a threat created by an intervention: state forces, nothing more."""
    return IncidentView(True, False, False, True, False, False, True, True, False, False,
                        0, 0.0, 0, 0, 0, 0, ev.incident_dates[ob.incident])


def incident_tensions(ev: Evaluation, inc: pg.Incident, view: IncidentView, cls: Classification,
                      interp: str, new: list[Obligation]) -> None:
    w = ev.world
    d = inc.start
    actor_is_party = inc.actor is not None and any(
        c.in_force(d) and inc.actor in (b := w.bound(c, d)) and inc.target in b
        and c.owed_by == "other_parties" for c in w.commitments_of(inc.target, d))
    direct = [o for o in new if o.depth == 0 and o.creditor == inc.target
              and o.type in ("defence", "consultation")]
    cascaded = [o for o in new if o.depth > 0]
    victim_bodies = {x.body for x in w.memberships_of(inc.target, d)}
    rival_bodies = {rb for b in victim_bodies for rb in ev.program.bodies[b].rivals}
    reaches = any(w.holding(o.debtor, rb, d) for o in cascaded for rb in rival_bodies)
    conflict = ConflictView(actor_is_party, len(direct), len(cascaded), reaches)
    ctx = {"incident": view, "params": ev.params_ns[interp],
           "classification": LabelView(cls.label or "", cls.rank),
           "victim": w.state(inc.target, d), "actor": w.state(inc.actor, d),
           "conflict": conflict}
    for rule in _victim_scoped(ev, "incident", victim_bodies):
        if ev.record is None:
            ok, leaves = rule.when.test(ctx), NO_LEAVES
        else:
            ok, leaves = ev.traced(rule.when, ctx, "tension", rule.id, incident=inc.id, interpretation=interp)
        if ok:
            extra: dict[str, Any] = {"label": cls.label}
            if reaches:
                extra["cascade"] = sorted({f"{o.debtor} via {o.commitment}" for o in cascaded})
            ev.add_tension(rule, {"actor": inc.actor, "victim": inc.target}, inc.id,
                           interp, leaves, extra)


def _victim_scoped(ev: Evaluation, scope: str, victim_bodies: set[str]) -> list[pg.TensionRule]:
    """Incident or dispute tension rules that apply to a victim in these bodies."""
    found = {t.id: t for t in ev.program.tensions_for[scope]}
    for body in sorted(victim_bodies):
        found.update((t.id, t) for t in ev.program.tensions_for[f"{scope}:{body}"])
    return list(found.values())


def dispute_tensions(ev: Evaluation, inc: pg.Incident, view: IncidentView,
                     results: dict[str, Classification]) -> None:
    by_holder: dict[str, Classification] = {}
    names = list(ev.program.interpretations)
    for name in sorted(results, key=names.index):
        by_holder.setdefault(results[name].holder, results[name])
    ns: dict[str, Any] = {}
    for h in ("victim", "organization", "treaty"):
        c = by_holder.get(h)
        ns[f"{h}_label"] = (c.label if c and c.label else "none")
        ns[f"{h}_rank"] = c.rank if c else -1
    ctx = {"incident": view, "params": ev.default_ns, "dispute": SimpleNamespace(**ns)}
    bodies = {x.body for x in ev.world.memberships_of(inc.target, inc.start)}
    for rule in _victim_scoped(ev, "dispute", bodies):
        if ev.record is None:
            ok, leaves = rule.when.test(ctx), NO_LEAVES
        else:
            ok, leaves = ev.traced(rule.when, ctx, "tension", rule.id, incident=inc.id)
        if ok:
            ev.add_tension(rule, {"actor": inc.actor, "victim": inc.target}, inc.id, None,
                           leaves, {k: v for k, v in ns.items() if k.endswith("label")})
