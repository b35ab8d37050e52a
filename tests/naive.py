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


def incident_facts(inc: m.Incident, as_of: dt.date) -> dict[str, Any]:
    asked = {r.article for r in inc.requests if r.date <= as_of}
    f = {"state_forces": inc.state_forces, "crossed_border": inc.crossed_border,
         "shots_fired": inc.shots_fired, "border_delimited": inc.border_delimited,
         "internal_unrest": inc.internal_unrest, "framed_as_external": inc.framed_as_external,
         "has_actor": inc.actor is not None, "derived": False,
         "requested_art2": "art2" in asked, "requested_art4": "art4" in asked,
         "days_on_territory": inc.days_on_territory, "depth_km": inc.depth_km,
         "killed": inc.killed, "wounded": inc.wounded, "captured": inc.captured,
         "casualties": inc.killed + inc.wounded, "start": inc.start}
    return {f"incident.{k}": v for k, v in f.items()}


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
        found = {}
        for name, interp in rules.spec.interpretations.items():
            params = {**rules.params, **spec.params, **interp.params}
            found[name] = classify(rules, params, interp, facts)
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
                    debtors = {inc.actor} & parties if inc.actor else set()
                else:
                    debtors = parties - {inc.target, inc.actor}
                for debtor in sorted(d for d in debtors if d):
                    ctx = {**facts, **{f"params.{k}": v for k, v in params.items()},
                           "classification.label": label or "",
                           "classification.rank": labels.index(label) if label else -1,
                           **state_facts(rules, "victim", inc.target, d),
                           **state_facts(rules, "actor", inc.actor, d),
                           **state_facts(rules, "debtor", debtor, d)}
                    if holds(c.when, ctx):
                        owed.add((c.id, debtor, inc.target, inc.id, name))
    return out_labels, owed
