"""The Report: every conclusion of an evaluation, with its reasons, as data.

Conclusions and their reasons are data here; :mod:`cstosim.render` writes them
as text, Markdown, JSON (versioned by :data:`REPORT_VERSION`, documented in
``docs/report.md``) or pictures. Lists are sorted so that the same input gives
byte-identical output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cstosim.conditions import LeafResult, Trace

REPORT_VERSION = 2


@dataclass(frozen=True)
class Reason:
    """A reason, a note or a cause as data: a stable code and its fields. The renderers
    (:mod:`cstosim.render.sentences`) write the sentence."""

    code: str
    fields: tuple[tuple[str, Any], ...] = ()


def reason(code: str, **fields: Any) -> Reason:
    return Reason(code, tuple(fields.items()))


@dataclass(frozen=True)
class Tested:
    """One rule tested on one subject during an evaluation (recorded when explain is on):
    the rule, what it was tested on, and the condition as evaluated."""

    kind: str  # classification | commitment | gate | stance | tension
    rule: str
    subject: tuple[tuple[str, Any], ...]
    trace: Trace

    def about(self, **want: Any) -> bool:
        have = dict(self.subject)
        return all(have.get(k) == v for k, v in want.items())


@dataclass(frozen=True)
class Considered:
    """A commitment looked at for an incident's victim (recorded when explain is on): whether
    it was in force, whom it bound, and who could owe it."""

    commitment: str
    incident: str
    interpretation: str
    victim: str
    actor: str | None
    depth: int
    in_force: bool
    bound: tuple[str, ...]
    debtors: tuple[str, ...]


Record = Tested | Considered


@dataclass(frozen=True)
class GateResult:
    gate: str
    passed: bool
    meaning: str
    source: str
    failing: tuple[str, ...] = ()
    leaves: tuple[LeafResult, ...] = ()



@dataclass(frozen=True)
class Stance:
    decider: str
    stance: str
    rule: str | None
    meaning: str
    leaves: tuple[LeafResult, ...] = ()



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
    reasons: tuple[Reason, ...]

    @property
    def gates_failed(self) -> tuple[str, ...]:
        return tuple(g.gate for g in self.gates if not g.passed)



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



@dataclass(frozen=True)
class ResponseGap:
    """What a commitment owed the victim under one reading against what its debtors (or
    their body and its organs) did: a gap when the best recorded response falls short."""

    id: str
    incident: str
    interpretation: str
    commitment: str
    creditor: str
    debtors: tuple[str, ...]
    owed: str  # consultations | assistance
    needed: str  # the least response kind that meets it
    done: str  # the best response kind recorded from those who owed it ("nothing" if none)
    responses: tuple[tuple[str, str, str], ...]  # (by, kind, date) of the responses counted
    treaty: str
    article: str
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Outcome:
    """The conclusions of one evaluation (baseline or what-if)."""

    admissions: tuple[Admission, ...] = ()
    classifications: tuple[Classification, ...] = ()
    obligations: tuple[Obligation, ...] = ()
    tensions: tuple[Tension, ...] = ()
    notes: tuple[Reason, ...] = ()
    record: tuple[Record, ...] = ()  # what was tested, when explain is on
    gaps: tuple[ResponseGap, ...] = ()  # only for incidents that record responses


Conclusion = Admission | Classification | Obligation | ResponseGap | Tension | Reason


@dataclass(frozen=True)
class Delta:
    """One conclusion that differs between two outcomes: present only on side ``a``, only
    on side ``b``, or on ``both`` with the fields that changed (name, value in A, in B)."""

    kind: str  # admission | classification | obligation | gap | tension | note
    id: str
    side: str  # a | b | both
    reading: str | None  # the interpretation it belongs to, if any
    a: Conclusion | None
    b: Conclusion | None
    changes: tuple[tuple[str, Any, Any], ...] = ()


@dataclass(frozen=True)
class Difference:
    """What differs between two outcomes (baseline and what-if, or A and B), and why.
    ``sides`` names the two; ``readings`` the interpretations each evaluated."""

    causes: tuple[Reason, ...]
    deltas: tuple[Delta, ...] = ()
    sides: tuple[str, str] = ("baseline", "what-if")
    readings: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())

    @property
    def empty(self) -> bool:
        return not self.deltas

    def of(self, kind: str, side: str | None = None) -> tuple[Delta, ...]:
        """The deltas of one kind (and one side: a, b or both)."""
        return tuple(d for d in self.deltas if d.kind == kind and (side is None or d.side == side))


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

    @property
    def gaps(self) -> tuple[ResponseGap, ...]:
        return self.outcome.gaps

    # Notebook display (Jupyter, VS Code): the renderers import this module, so they are
    # imported here only when a notebook asks.
    def _repr_html_(self) -> str:
        from cstosim.render.html import to_html

        return to_html(self, fragment=True)

    def _repr_markdown_(self) -> str:
        from cstosim.render.markdown import to_markdown

        return to_markdown(self)


