"""The Report: every conclusion of an evaluation, with its reasons, as data.

The JSON shape is versioned by :data:`REPORT_VERSION` and documented in
``docs/report.md``. Lists are sorted so that the same input gives
byte-identical JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from cstosim.conditions import LeafResult, jsonable

REPORT_VERSION = 1


def _leaves(leaves: tuple[LeafResult, ...]) -> list[dict[str, Any]]:
    return [leaf.to_json() for leaf in leaves]


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    meaning: str
    source: str
    failing: tuple[str, ...] = ()
    leaves: tuple[LeafResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "meaning": self.meaning,
                "source": self.source, "failing": list(self.failing),
                "leaves": _leaves(self.leaves)}


@dataclass(frozen=True)
class Stance:
    decider: str
    stance: str
    rule: str | None
    meaning: str
    leaves: tuple[LeafResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"decider": self.decider, "stance": self.stance, "rule": self.rule,
                "meaning": self.meaning, "leaves": _leaves(self.leaves)}


@dataclass(frozen=True)
class Admission:
    id: str
    state: str
    body: str
    tier: str
    date: str
    tier_in_force: bool
    gates: tuple[GateResult, ...]
    stances: tuple[Stance, ...]
    procedure: str | None
    decision_rule: str | None
    decision: str
    blocking: tuple[str, ...]
    admitted: bool
    rights: tuple[str, ...]
    reasons: tuple[str, ...]

    @property
    def gates_failed(self) -> tuple[str, ...]:
        return tuple(g.gate for g in self.gates if not g.passed)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "body": self.body, "tier": self.tier,
                "date": self.date, "tier_in_force": self.tier_in_force,
                "gates": [g.to_json() for g in self.gates],
                "stances": [s.to_json() for s in self.stances],
                "procedure": self.procedure, "decision_rule": self.decision_rule,
                "decision": self.decision, "blocking": list(self.blocking),
                "admitted": self.admitted, "rights": list(self.rights),
                "reasons": list(self.reasons)}


@dataclass(frozen=True)
class Classification:
    incident: str
    interpretation: str
    holder: str
    label: str | None
    rank: int
    rule: str | None
    meaning: str
    source: str
    also_matched: tuple[str, ...] = ()
    leaves: tuple[LeafResult, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.incident}@{self.interpretation}"

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "incident": self.incident, "interpretation": self.interpretation,
                "holder": self.holder, "label": self.label, "rank": self.rank,
                "rule": self.rule, "meaning": self.meaning, "source": self.source,
                "also_matched": list(self.also_matched), "leaves": _leaves(self.leaves)}


@dataclass(frozen=True)
class Obligation:
    id: str
    commitment: str
    type: str
    strength: str
    military: bool
    debtor: str
    creditor: str
    against: str | None
    incident: str
    interpretation: str
    judged_by: str
    label: str | None
    depth: int
    via: str | None
    treaty: str
    article: str
    meaning: str
    source: str
    leaves: tuple[LeafResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "commitment": self.commitment, "type": self.type,
                "strength": self.strength, "military": self.military, "debtor": self.debtor,
                "creditor": self.creditor, "against": self.against, "incident": self.incident,
                "interpretation": self.interpretation, "judged_by": self.judged_by,
                "label": self.label, "cascade_depth": self.depth, "via": self.via,
                "treaty": self.treaty, "article": self.article, "meaning": self.meaning,
                "source": self.source, "leaves": _leaves(self.leaves)}


@dataclass(frozen=True)
class Tension:
    id: str
    rule: str
    kind: str
    severity: str
    parties: tuple[str, ...]
    context: str
    interpretation: str | None
    meaning: str
    source: str
    facts: tuple[tuple[str, Any], ...] = ()
    leaves: tuple[LeafResult, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "rule": self.rule, "kind": self.kind, "severity": self.severity,
                "parties": list(self.parties), "context": self.context,
                "interpretation": self.interpretation, "meaning": self.meaning,
                "source": self.source, "facts": {k: jsonable(v) for k, v in self.facts},
                "leaves": _leaves(self.leaves)}


@dataclass(frozen=True)
class Outcome:
    """The conclusions of one evaluation (baseline or what-if)."""

    admissions: tuple[Admission, ...] = ()
    classifications: tuple[Classification, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    tensions: tuple[Tension, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Difference:
    """What the what-if changes relative to the baseline, and why."""

    causes: tuple[str, ...]
    obligations_appeared: tuple[str, ...]
    obligations_vanished: tuple[Obligation, ...]
    tensions_appeared: tuple[str, ...]
    tensions_vanished: tuple[Tension, ...]
    admissions_changed: tuple[dict[str, Any], ...]
    classifications_changed: tuple[dict[str, Any], ...]

    @property
    def empty(self) -> bool:
        return not (self.obligations_appeared or self.obligations_vanished or self.tensions_appeared
                    or self.tensions_vanished or self.admissions_changed
                    or self.classifications_changed)

    def to_json(self) -> dict[str, Any]:
        return {"causes": list(self.causes),
                "obligations": {"appeared": list(self.obligations_appeared),
                                "vanished": [o.to_json() for o in self.obligations_vanished]},
                "tensions": {"appeared": list(self.tensions_appeared),
                             "vanished": [t.to_json() for t in self.tensions_vanished]},
                "admissions_changed": list(self.admissions_changed),
                "classifications_changed": list(self.classifications_changed)}


@dataclass(frozen=True)
class Report:
    """The result of evaluating one scenario."""

    scenario: str
    scenario_file: str
    rules: str
    rules_file: str
    as_of: str
    interpretations: tuple[str, ...]
    explain: str
    outcome: Outcome
    difference: Difference
    params: tuple[tuple[str, Any], ...] = field(default=())

    @property
    def admissions(self) -> tuple[Admission, ...]:
        return self.outcome.admissions

    @property
    def classifications(self) -> tuple[Classification, ...]:
        return self.outcome.classifications

    @property
    def obligations(self) -> tuple[Obligation, ...]:
        return self.outcome.obligations

    @property
    def tensions(self) -> tuple[Tension, ...]:
        return self.outcome.tensions

    def to_json(self) -> dict[str, Any]:
        o = self.outcome
        return {
            "report_version": REPORT_VERSION,
            "scenario": {"name": self.scenario, "file": self.scenario_file, "as_of": self.as_of},
            "rules": {"name": self.rules, "file": self.rules_file},
            "interpretations": list(self.interpretations),
            "explain": self.explain,
            "params": {k: v for k, v in self.params},
            "admissions": [a.to_json() for a in o.admissions],
            "classifications": [c.to_json() for c in o.classifications],
            "obligations": [x.to_json() for x in o.obligations],
            "tensions": [t.to_json() for t in o.tensions],
            "notes": list(o.notes),
            "difference": self.difference.to_json(),
        }

    def to_json_text(self) -> str:
        return json.dumps(self.to_json(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
