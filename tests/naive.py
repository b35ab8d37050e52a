"""A deliberately naive reference evaluator for incidents: no compilation, no indexing.

It reads the validated rules and interprets each ``when`` block from its raw YAML
form on every call, over flat ``{"incident.killed": 3, ...}`` dictionaries. It
covers classification and direct (non-cascade) obligations on the baseline world,
which is what the differential test compares with the real engine.
"""

from __future__ import annotations

import datetime as dt
import operator
from typing import Any

from cstosim import model as m
from cstosim import reference
from cstosim.compile import CompiledRules

OPS = {"==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
       ">": operator.gt, ">=": operator.ge,
       "in": lambda a, b: a in b, "not_in": lambda a, b: a not in b}


def literal(text: str, facts: dict[str, Any]) -> Any:
    if text in facts:
        return facts[text]
    if text in ("true", "false"):
        return text == "true"
    if text.startswith("["):
        return [literal(x.strip(), facts) for x in text[1:-1].split(",") if x.strip()]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return text.strip("'\"")


def holds(cond: Any, facts: dict[str, Any]) -> bool:
    if cond is True:
        return True
    if isinstance(cond, str):
        left, op, right = cond.split(None, 2)
        return bool(OPS[op](facts[left], literal(right, facts)))
    (key, value), = cond.items()
    if key == "all":
        return all(holds(c, facts) for c in value)
    if key == "any":
        return any(holds(c, facts) for c in value)
    return not holds(value, facts)


def state_facts(rules: CompiledRules, prefix: str, code: str | None, d: dt.date) -> dict[str, Any]:
    if code is None:
        return {f"{prefix}.code": "", f"{prefix}.former_soviet": False, f"{prefix}.un_member": False}
    # The rules' own entry, else the bundled data's row, else (no row) neither a UN member
    # nor a former Soviet republic. (No scenario here uses `set_state`.)
    s = rules.spec.states.get(code)
    row = reference.lookup(code)
    soviet, un_from = ((s.former_soviet, s.un_member_from) if s is not None
                       else (row.former_soviet, row.un_member_from) if row is not None
                       else (False, None))
    return {f"{prefix}.code": code, f"{prefix}.former_soviet": soviet,
            f"{prefix}.un_member": un_from is not None and un_from <= d}


def actor_of(inc: m.Incident) -> str | None:
    """The acting state: the actor, or the state that sent the irregulars."""
    return inc.actor or inc.irregulars_sent_by


def incident_facts(inc: m.Incident, as_of: dt.date) -> dict[str, Any]:
    asked = {r.article for r in inc.requests if r.date <= as_of}
    f = {"state_forces": inc.state_forces, "crossed_border": inc.crossed_border,
         "shots_fired": inc.shots_fired, "border_delimited": inc.border_delimited,
         "internal_unrest": inc.internal_unrest, "framed_as_external": inc.framed_as_external,
         "has_actor": actor_of(inc) is not None, "derived": False,
         "requested_art2": "art2" in asked, "requested_art4": "art4" in asked,
         "days_on_territory": inc.days_on_territory, "depth_km": inc.depth_km,
         "killed": inc.killed, "wounded": inc.wounded, "captured": inc.captured,
         "casualties": inc.killed + inc.wounded, "start": inc.start,
         "shelling": inc.shelling, "strikes": inc.strikes,
         "weapons_used": inc.shelling or inc.strikes, "attack_on_forces": inc.attack_on_forces,
         "irregulars_sent": inc.irregulars_sent_by is not None, "armed_group": inc.armed_group,
         "duration_days": ((inc.end - inc.start).days if inc.end else 0) + 1}
    return {f"incident.{k}": v for k, v in f.items()}


def holds_on(rules: CompiledRules, state: str, d: dt.date) -> set[str]:
    """Bodies ``state`` holds a tier of on ``d`` (active or frozen)."""
    return {x.body for x in rules.spec.memberships if x.state == state and x.from_ <= d
            and (x.until is None or d < x.until) and x.status in ("active", "frozen")}


def pair_facts(rules: CompiledRules, a: str | None, b: str, d: dt.date) -> dict[str, Any]:
    """The pair's relations on ``d``, read straight from the rules' lists."""
    kinds = ("conflict", "territorial_dispute", "rivalry", "strategic_partnership",
             "sponsorship", "hostility_now", "hostility_past", "allied", "same_body")
    if a is None:
        return {"pair.diplomatic_relations": False, **{f"pair.{k}": False for k in kinds}}
    rels = [r for r in rules.spec.relations if set(r.states) == {a, b}]
    now = {r.kind for r in rels if r.from_ <= d and (r.until is None or d < r.until)}
    past = any(r.kind == "hostility" and r.from_ <= d for r in rels)
    allied = any(c.type == "defence" and c.from_ <= d and (c.until is None or d < c.until)
                 and {a, b} <= bound(rules, c, d) for c in rules.spec.commitments)
    out = {f"pair.{k}": k in now for k in kinds[:5]}
    return {**out, "pair.diplomatic_relations": "no_diplomatic_relations" not in now,
            "pair.hostility_now": "hostility" in now, "pair.hostility_past": past,
            "pair.allied": allied,
            "pair.same_body": bool(holds_on(rules, a, d) & holds_on(rules, b, d))}


def root(rules: CompiledRules, body: str) -> str:
    while rules.spec.bodies[body].parent:
        body = rules.spec.bodies[body].parent  # type: ignore[assignment]  # checked above
    return body


def classify(rules: CompiledRules, params: dict[str, Any], interp: m.Interpretation,
             facts: dict[str, Any]) -> str | None:
    labels = [lab.id for lab in rules.spec.labels]
    ctx = {**facts, **{f"params.{k}": v for k, v in params.items()}}
    best: str | None = None
    for rule in rules.spec.classification:
        on = (rule.enabled or rule.id in interp.enable) and rule.id not in interp.disable
        if on and holds(rule.when, ctx) and (best is None or labels.index(rule.label) > labels.index(best)):
            best = rule.label
    return best


def bound(rules: CompiledRules, c: m.Commitment, d: dt.date) -> set[str]:
    if c.parties.states is not None:
        return set(c.parties.states)
    return {x.state for x in rules.spec.memberships
            if x.body == c.parties.body and x.tier == c.parties.tier and x.from_ <= d
            and (x.until is None or d < x.until) and x.status in ("active", "frozen")}


def evaluate(rules: CompiledRules, spec: m.ScenarioFile
             ) -> tuple[dict[tuple[str, str], str | None], set[tuple[str, str, str, str, str]]]:
    """Labels by (incident, interpretation) and direct obligations as
    (commitment, debtor, creditor, incident, interpretation)."""
    labels = [lab.id for lab in rules.spec.labels]
    names = spec.interpretations or list(rules.spec.interpretations)
    victim_reading = next(n for n, i in rules.spec.interpretations.items() if i.holder == "victim")
    out_labels: dict[tuple[str, str], str | None] = {}
    owed: set[tuple[str, str, str, str, str]] = set()
    for ev in spec.events:
        inc = ev.incident
        if inc is None:
            continue
        facts = incident_facts(inc, spec.as_of)
        actor = actor_of(inc)
        pair = pair_facts(rules, actor, inc.target, inc.start)
        found = {}
        for name, interp in rules.spec.interpretations.items():
            params = {**rules.params, **spec.params, **interp.params}
            found[name] = classify(rules, params, interp, {**facts, **pair})
        for name in names:
            out_labels[(inc.id, name)] = found[name]
            params = {**rules.params, **spec.params, **rules.spec.interpretations[name].params}
            for c in rules.spec.commitments:
                d = inc.start
                if not (c.from_ <= d and (c.until is None or d < c.until)):
                    continue
                parties = bound(rules, c, d)
                if inc.target not in parties:
                    continue
                label = found[victim_reading] if c.judged_by == "victim" else found[name]
                if c.owed_by == "actor":
                    debtors = {actor} & parties if actor else set()
                else:
                    debtors = parties - {inc.target, actor}
                asked = [q for q in inc.requests if q.date <= spec.as_of]
                for debtor in sorted(d for d in debtors if d):
                    ctx = {**facts, **pair, **{f"params.{k}": v for k, v in params.items()},
                           "classification.label": label or "",
                           "classification.rank": labels.index(label) if label else -1,
                           **state_facts(rules, "victim", inc.target, d),
                           **state_facts(rules, "actor", actor, d),
                           **state_facts(rules, "debtor", debtor, d),
                           "bond.actor_bound": actor in parties,
                           "bond.same_body": bool(actor and c.parties.body
                                                  and c.parties.body in holds_on(rules, actor, d)),
                           "request.to_debtor": any(q.to is not None and q.to.state == debtor
                                                    for q in asked),
                           "request.to_body": any(
                               q.to is None or (q.to.body is not None and c.parties.body is not None
                                                and root(rules, q.to.body)
                                                == root(rules, c.parties.body)) for q in asked),
                           "request.assistance": any(q.wants == "assistance" for q in asked),
                           "request.consultations": any(q.wants == "consultations" for q in asked)}
                    if holds(c.when, ctx):
                        owed.add((c.id, debtor, inc.target, inc.id, name))
    return out_labels, owed
