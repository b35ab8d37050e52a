"""What evaluation runs on: the compiled rules and scenario as plain frozen types.

:mod:`cstosim.compile` builds these from the validated pydantic models of
:mod:`cstosim.model` (the edge); :mod:`cstosim.world` and
:mod:`cstosim.evaluate` read only these. Every id in them resolves, every
condition is compiled, and nothing here refers back to the YAML models, so the
evaluator is independent of the file formats (as Cedar keeps its internal AST
apart from the serialisable tree).

The *views* at the end are the objects conditions read: one class per root of
the typed paths (``incident.killed``, ``pair.rivalry``, ...).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cstosim.conditions import Condition

# ---- the rules ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateFacts:
    code: str
    former_soviet: bool
    un_member_from: dt.date | None


class StateTable(Mapping[str, StateFacts]):
    """The facts of every state: the rules' own `states:` first, then, for any other
    ISO 3166-1 code, what ``fallback`` (the bundled reference data) gives. Iteration and
    ``len`` cover the rules' own states only; ``in`` and ``[]`` answer for every code the
    loader accepted (the loader refuses non-ISO codes).

    INVARIANT: compilation resolves (:meth:`resolve`) every state the rules and a scenario
    name, so evaluation only reads memory; the fallback in ``[]`` is a safety net for a
    case built without compiling, never the normal path."""

    def __init__(self, own: Mapping[str, StateFacts],
                 fallback: Callable[[str], StateFacts]) -> None:
        self.own = dict(own)
        self._fallback = fallback
        self._found: dict[str, StateFacts] = {}

    def __getitem__(self, code: str) -> StateFacts:
        facts = self.own.get(code) or self._found.get(code)
        if facts is None:
            facts = self._found[code] = self._fallback(code)
        return facts

    def resolve(self, codes: Iterable[str]) -> None:
        """Look up ``codes`` now (at compile time), so evaluation does no I/O."""
        for code in codes:
            self[code]

    def resolved(self) -> frozenset[str]:
        """The codes whose facts are at hand without a lookup."""
        return frozenset(self.own) | frozenset(self._found)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str)

    def __iter__(self) -> Iterator[str]:
        return iter(self.own)

    def __len__(self) -> int:
        return len(self.own)


@dataclass(frozen=True, slots=True)
class Tier:
    body: str
    name: str
    rank: int
    status: str  # in_force | proposed
    in_force_from: dt.date | None
    rights: tuple[str, ...]
    includes: tuple[str, ...]
    gates: tuple[str, ...]
    procedure: str | None
    decided_by: str | None


@dataclass(frozen=True, slots=True)
class Procedure:
    id: str
    rule: str  # consensus | majority | unanimity
    objection: str  # blocks | does_not_block
    abstention: str
    absence: str


@dataclass(frozen=True, slots=True)
class Body:
    id: str
    rivals: tuple[str, ...]
    tiers: Mapping[str, Tier]
    parent: str | None = None  # an organ's body


@dataclass(frozen=True, slots=True)
class Membership:
    state: str
    body: str
    tier: str
    start: dt.date
    until: dt.date | None
    status: str


@dataclass(frozen=True, slots=True)
class Relation:
    kind: str
    a: str
    b: str
    start: dt.date
    until: dt.date | None


@dataclass(frozen=True, slots=True)
class Parties:
    """Who a commitment binds: a list of states, or the holders of a body's tier."""

    states: tuple[str, ...] | None
    body: str | None
    tier: str | None


@dataclass(frozen=True, kw_only=True)
class Rule:
    """A rule with its compiled condition, its one-line meaning and its source."""

    id: str
    meaning: str
    source: str
    when: Condition


@dataclass(frozen=True, slots=True)
class Reader:
    """One comparison (a leaf) of a rule's condition that reads a path."""

    rule: str
    leaf: Condition


def readers_of(rules: Iterable[Rule]) -> dict[str, tuple[Reader, ...]]:
    """Path -> the leaves reading it, on either side of the comparison, in rule order."""
    out: dict[str, list[Reader]] = {}

    def walk(rule: str, cond: Condition) -> None:
        if cond.leaf is not None:
            lf = cond.leaf
            paths = [f"{lf.root}.{lf.attr}"]
            if lf.right_root is not None:
                paths.append(f"{lf.right_root}.{lf.right_attr}")
            for p in dict.fromkeys(paths):
                out.setdefault(p, []).append(Reader(rule, cond))
        for kid in cond.children:
            walk(rule, kid)

    for r in rules:
        walk(r.id, r.when)
    return {p: tuple(found) for p, found in sorted(out.items())}


@dataclass(frozen=True, kw_only=True)
class Commitment(Rule):
    type: str
    treaty: str
    article: str
    parties: Parties
    start: dt.date
    until: dt.date | None
    owed_by: str  # other_parties | actor
    strength: str
    military: bool
    judged_by: str  # interpretation | victim

    def in_force(self, d: dt.date) -> bool:
        return self.start <= d and (self.until is None or d < self.until)


@dataclass(frozen=True, kw_only=True)
class Gate(Rule):
    for_each: str  # none | member | pact_chain


@dataclass(frozen=True, kw_only=True)
class StanceRule(Rule):
    stance: str


@dataclass(frozen=True, kw_only=True)
class ClassificationRule(Rule):
    label: str
    enabled: bool


@dataclass(frozen=True, kw_only=True)
class TensionRule(Rule):
    kind: str
    severity: str
    scope: str  # admission | incident | dispute
    for_each: str
    bodies: tuple[str, ...]
    parties: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Interpretation:
    name: str
    holder: str  # treaty | organization | victim
    params: Mapping[str, Any]
    enable: frozenset[str]
    disable: frozenset[str]

    def enables(self, rule: ClassificationRule) -> bool:
        """Whether a classification rule applies under this reading's switches."""
        return (rule.enabled or rule.id in self.enable) and rule.id not in self.disable


@dataclass(frozen=True)
class Program:
    """A checked rules model, ready to evaluate many scenarios."""

    name: str
    file: str
    labels: tuple[str, ...]
    rank: Mapping[str, int]
    params: Mapping[str, Any]
    diplomatic_relations_by_default: bool
    states: StateTable
    bodies: Mapping[str, Body]
    procedures: Mapping[str, Procedure]
    memberships: tuple[Membership, ...]
    relations: tuple[Relation, ...]
    commitments: tuple[Commitment, ...]
    gates: Mapping[str, Gate]
    stances: tuple[StanceRule, ...]
    classification: tuple[ClassificationRule, ...]
    tensions: tuple[TensionRule, ...]
    # Tension rules by what sets them off, so an event meets only the rules that apply to it:
    # "admission:BODY" for the admission rules of a body; "incident" and "dispute" for rules
    # with no `bodies`, "incident:BODY" and "dispute:BODY" for those naming a body.
    tensions_for: Mapping[str, tuple[TensionRule, ...]]
    interpretations: Mapping[str, Interpretation]  # in file order
    victim_interpretation: str | None
    # Parameters read where no interpretation applies its own values: admissions (gates,
    # stances, admission tensions), disputes between readings, and pact chains.
    shared_params: frozenset[str]
    # Parameters read when a scenario has an incident ("incident") or a candidacy ("admission").
    param_reads: Mapping[str, frozenset[str]]
    # The dependency map: every path a condition reads (``incident.killed``, ``params.x``)
    # -> the leaves that read it and their rules (see :func:`readers_of`). A sweep uses it to
    # re-test only what a varied fact or parameter reaches.
    readers: Mapping[str, tuple[Reader, ...]] = field(default_factory=dict)

    def root_body(self, body: str) -> str:
        """The organization an organ belongs to (itself for a body with no parent); compile
        refuses cycles of `parent` links."""
        while (up := self.bodies[body].parent) is not None:
            body = up
        return body

    def tier(self, body: str, tier: str) -> Tier:
        return self.bodies[body].tiers[tier]

    def member_tier(self, body: str) -> str:
        """The body's full-member tier: its tier of highest rank (ties go to the name)."""
        tiers = self.bodies[body].tiers
        return max(tiers, key=lambda t: (tiers[t].rank, t))

    def rights_of(self, body: str, tier: str) -> tuple[str, ...]:
        """Rights of a tier, including those of the tiers it includes."""
        seen: set[str] = set()
        rights: set[str] = set()
        todo = [tier]
        while todo:
            t = todo.pop()
            if t in seen:
                continue
            seen.add(t)
            spec = self.bodies[body].tiers[t]
            rights.update(spec.rights)
            todo.extend(spec.includes)
        return tuple(sorted(rights))


# ---- the scenario -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AdoptTier:
    body: str
    tier: str
    on: dt.date


@dataclass(frozen=True, slots=True)
class Join:
    state: str
    body: str
    tier: str
    on: dt.date
    status: str


@dataclass(frozen=True, slots=True)
class Leave:
    state: str
    body: str
    on: dt.date


@dataclass(frozen=True, slots=True)
class RelationStart:
    kind: str
    a: str
    b: str
    on: dt.date


@dataclass(frozen=True, slots=True)
class RelationEnd:
    kind: str
    a: str
    b: str
    on: dt.date


@dataclass(frozen=True, slots=True)
class AddCommitment:
    commitment: Commitment

    @property
    def on(self) -> dt.date:
        return self.commitment.start


@dataclass(frozen=True, slots=True)
class SetState:
    """A scenario's own facts for a state, for the whole scenario (they win over the
    rules' `states:` and the bundled data); None keeps the fact the rules give."""

    state: str
    former_soviet: bool | None
    un_member_from: dt.date | None
    sets_un_member_from: bool  # whether `un_member_from` was given (null = never a member)
    source: str

    @property
    def on(self) -> dt.date:
        # Standing facts, not an event: applied before every dated change.
        return dt.date.min


ChangeKind = AdoptTier | Join | Leave | RelationStart | RelationEnd | AddCommitment | SetState
CHANGE_ORDER: tuple[type, ...] = (SetState, AdoptTier, RelationEnd, RelationStart, Leave, Join,
                                  AddCommitment)
"""Same-day changes apply in this order (ends before starts), whatever the file's order."""


@dataclass(frozen=True, slots=True)
class Change:
    """One what-if change with its position in the fixed application order."""

    what: ChangeKind
    index: int  # position in the scenario file
    tiebreak: str  # the change's content as text: same-day, same-kind changes sort by it

    @property
    def date(self) -> dt.date:
        return self.what.on

    def order(self) -> tuple[dt.date, int, str]:
        return (self.what.on, CHANGE_ORDER.index(type(self.what)), self.tiebreak)


@dataclass(frozen=True, slots=True)
class Addressee:
    """A body (or organ) or one state; exactly one is set."""

    body: str | None
    state: str | None

    def describe(self) -> str:
        return self.body or self.state or ""


@dataclass(frozen=True, slots=True)
class Request:
    article: str | None  # art2 | art4 | None
    date: dt.date
    asks: str = "assistance"  # consultations | assistance
    to: Addressee | None = None  # None: the parties of the treaty


@dataclass(frozen=True, slots=True)
class Response:
    by: Addressee
    kind: str  # one of model.RESPONSE_KINDS
    date: dt.date


RESPONSE_LEVEL = {k: i for i, k in enumerate(
    ("nothing", "statement", "consultations", "fact_finding_mission", "material_aid", "deployment"))}
"""How far a response goes, least first: a gap is a response below what was owed."""


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    actor: str | None
    target: str
    start: dt.date
    state_forces: bool
    crossed_border: bool
    days_on_territory: int
    depth_km: float
    killed: int
    wounded: int
    captured: int
    shots_fired: bool
    border_delimited: bool
    internal_unrest: bool
    framed_as_external: bool
    requests: tuple[Request, ...]
    end: dt.date | None = None
    shelling: bool = False
    strikes: bool = False
    attack_on_forces: bool = False
    irregulars_sent_by: str | None = None
    armed_group: bool = False
    responses: tuple[Response, ...] = ()

    @property
    def date(self) -> dt.date:
        return self.start

    @property
    def duration_days(self) -> int:
        """Days from start to end, both counted (one day when no end is given)."""
        return ((self.end - self.start).days if self.end else 0) + 1


@dataclass(frozen=True, slots=True)
class Application:
    id: str
    state: str
    body: str
    tier: str
    date: dt.date


Event = Incident | Application


@dataclass(frozen=True)
class Case:
    """A scenario as evaluation reads it: a date, changes, events, parameters, readings."""

    name: str
    file: str
    as_of: dt.date
    changes: tuple[Change, ...]
    events: tuple[Event, ...]
    params: Mapping[str, Any]
    interpretations: tuple[str, ...] | None
    # Values given on the command line (`--set`), which win over every reading's own:
    # `NAME` for all readings, `READING.NAME` for one.
    overrides: Mapping[str, Any] = field(default_factory=dict)


# ---- views: the objects conditions read ---------------------------------------------


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
    allied: bool = False  # both bound by one defence commitment in force
    same_body: bool = False  # both hold a tier of one body (active or frozen)


NO_PAIR = PairView(False, False, False, False, False, False, False, False)
"""The pair facts of an incident without an actor: every relation false."""


@dataclass(frozen=True, slots=True)
class PartnersView:
    """What a decider's strategic partners have with the candidate: any of them, on the date."""

    count: int
    rivalry: bool
    conflict: bool
    hostility_now: bool
    territorial_dispute: bool


@dataclass(frozen=True, slots=True)
class BondView:
    """How a commitment binds the incident's two sides."""

    actor_bound: bool  # the actor is a party of this commitment
    same_body: bool  # actor and victim both hold the commitment's body's tier


@dataclass(frozen=True, slots=True)
class RequestView:
    """The victim's requests (up to `as_of`) as a commitment reads them for one debtor."""

    to_debtor: bool  # addressed to the debtor state itself (bilaterally)
    to_body: bool  # addressed to the commitment's body or one of its organs
    assistance: bool  # some request asks for assistance
    consultations: bool  # some request asks for consultations


# INVARIANT: an incident's facts reach evaluation only as these fields of its IncidentView
# (built by cstosim.incidents.view_of), and conditions alone read those fields.
VIEW_FIELDS_OF_FACT: Mapping[str, tuple[str, ...]] = {
    **{f: (f,) for f in ("state_forces", "crossed_border", "shots_fired", "border_delimited",
                         "internal_unrest", "framed_as_external", "days_on_territory",
                         "depth_km", "captured")},
    "killed": ("killed", "casualties"),
    "wounded": ("wounded", "casualties"),
    "shelling": ("shelling", "weapons_used"),
    "strikes": ("strikes", "weapons_used"),
    "attack_on_forces": ("attack_on_forces",),
    "armed_group": ("armed_group",),
}


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
    shelling: bool = False
    strikes: bool = False
    weapons_used: bool = False  # shelling or strikes
    attack_on_forces: bool = False
    irregulars_sent: bool = False
    armed_group: bool = False
    duration_days: int = 1


@dataclass(frozen=True, slots=True)
class ChainView:
    length: int
    reaches_rival_bloc: bool
    military: bool


@dataclass(frozen=True, slots=True)
class TierView:
    rank: int
    in_force: bool


@dataclass(frozen=True, slots=True)
class LabelView:
    label: str
    rank: int


@dataclass(frozen=True, slots=True)
class ConflictView:
    actor_is_party: bool
    obligations_to_victim: int
    cascade_obligations: int
    cascade_reaches_rival_bloc: bool
    unmet_requests: int = 0  # requests whose addressee did less than was asked, as of `as_of`
    response_gaps: int = 0  # commitments (under this reading) answered below what was owed
