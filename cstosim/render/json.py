"""A Report as versioned JSON (``docs/report.md``): byte-stable, sorted keys.

Reasons, notes and causes are written as their sentences (:mod:`.sentences`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from cstosim.conditions import LeafResult, jsonable
from cstosim.render.sentences import sentence
from cstosim.report import (
    REPORT_VERSION,
    Admission,
    Classification,
    Conclusion,
    Difference,
    Obligation,
    Reason,
    Report,
    ResponseGap,
    Tension,
)


def dumps(data: Any) -> str:
    """JSON text as every cstosim command writes it."""
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def report_text(report: Report) -> str:
    return dumps(report_json(report))


def _leaves(leaves: Iterable[LeafResult]) -> list[dict[str, Any]]:
    return [{"test": x.text, "left": jsonable(x.left), "right": jsonable(x.right),
             "result": x.result} for x in leaves]


def admission_json(a: Admission) -> dict[str, Any]:
    return {"id": a.id, "state": a.state, "body": a.body, "tier": a.tier,
            "date": a.date, "tier_in_force": a.tier_in_force,
            "gates": [{"gate": g.gate, "passed": g.passed, "meaning": g.meaning,
                       "source": g.source, "failing": list(g.failing), "leaves": _leaves(g.leaves)}
                      for g in a.gates],
            "stances": [{"decider": s.decider, "stance": s.stance, "rule": s.rule,
                         "meaning": s.meaning, "leaves": _leaves(s.leaves)} for s in a.stances],
            "procedure": a.procedure, "decision_rule": a.decision_rule,
            "decision": a.decision, "blocking": list(a.blocking),
            "admitted": a.admitted, "rights": list(a.rights),
            "reasons": [reason_json(r) for r in a.reasons]}


def classification_json(c: Classification) -> dict[str, Any]:
    return {"id": c.id, "incident": c.incident, "interpretation": c.interpretation,
            "holder": c.holder, "label": c.label, "rank": c.rank,
            "rule": c.rule, "meaning": c.meaning, "source": c.source,
            "also_matched": list(c.also_matched), "leaves": _leaves(c.leaves)}


def obligation_json(o: Obligation) -> dict[str, Any]:
    return {"id": o.id, "commitment": o.commitment, "type": o.type,
            "strength": o.strength, "military": o.military, "debtor": o.debtor,
            "creditor": o.creditor, "against": o.against, "incident": o.incident,
            "interpretation": o.interpretation, "judged_by": o.judged_by,
            "label": o.label, "cascade_depth": o.depth, "via": o.via,
            "treaty": o.treaty, "article": o.article, "meaning": o.meaning,
            "source": o.source, "leaves": _leaves(o.leaves)}


def tension_json(t: Tension) -> dict[str, Any]:
    return {"id": t.id, "rule": t.rule, "kind": t.kind, "severity": t.severity,
            "parties": list(t.parties), "context": t.context,
            "interpretation": t.interpretation, "meaning": t.meaning,
            "source": t.source, "facts": {k: jsonable(v) for k, v in t.facts},
            "leaves": _leaves(t.leaves)}


def gap_json(g: ResponseGap) -> dict[str, Any]:
    return {"id": g.id, "incident": g.incident, "interpretation": g.interpretation,
            "commitment": g.commitment, "creditor": g.creditor, "debtors": list(g.debtors),
            "owed": g.owed, "needed": g.needed, "done": g.done,
            "responses": [{"by": b, "kind": k, "date": d} for b, k, d in g.responses],
            "treaty": g.treaty, "article": g.article,
            "reasons": [reason_json(r) for r in g.reasons]}


def reason_json(r: Reason) -> dict[str, Any]:
    """A reason, note or cause: its code, its fields, and its sentence."""
    return {"code": r.code, "fields": {k: jsonable(v) for k, v in r.fields}, "text": sentence(r)}


def conclusion_json(c: Conclusion | None) -> dict[str, Any] | None:
    if c is None:
        return None
    if isinstance(c, Admission):
        return admission_json(c)
    if isinstance(c, Classification):
        return classification_json(c)
    if isinstance(c, Obligation):
        return obligation_json(c)
    if isinstance(c, Tension):
        return tension_json(c)
    if isinstance(c, ResponseGap):
        return gap_json(c)
    return reason_json(c)


def difference_json(d: Difference) -> dict[str, Any]:
    return {"sides": list(d.sides),
            "readings": {"a": list(d.readings[0]), "b": list(d.readings[1])},
            "causes": [reason_json(c) for c in d.causes],
            "deltas": [{"kind": x.kind, "id": x.id, "side": x.side, "reading": x.reading,
                        "changes": [{"field": f, "a": jsonable(va), "b": jsonable(vb)}
                                    for f, va, vb in x.changes],
                        "a": conclusion_json(x.a), "b": conclusion_json(x.b)}
                       for x in d.deltas]}


def report_json(report: Report) -> dict[str, Any]:
    o = report.outcome
    return {
        "report_version": REPORT_VERSION,
        "scenario": {"name": report.scenario, "file": report.scenario_file, "as_of": report.as_of},
        "rules": {"name": report.rules, "file": report.rules_file},
        "interpretations": list(report.interpretations),
        "explain": report.explain,
        "params": {k: v for k, v in report.params},
        "admissions": [admission_json(a) for a in o.admissions],
        "classifications": [classification_json(c) for c in o.classifications],
        "obligations": [obligation_json(x) for x in o.obligations],
        "response_gaps": [gap_json(g) for g in o.gaps],
        "tensions": [tension_json(t) for t in o.tensions],
        "notes": [reason_json(n) for n in o.notes],
        "difference": difference_json(report.difference),
    }
