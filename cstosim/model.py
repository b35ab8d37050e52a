"""Step 2 of the pipeline: the YAML-facing models of rules and scenario files.

These pydantic models are the edge: strict types, unknown fields rejected with
a "did you mean", ISO codes checked against ``pycountry``. Conditions (``when``)
are kept as raw data here and checked by :mod:`cstosim.compile`, which reports
them at their YAML location. The engine never works on these models directly;
it works on what ``compile`` builds from them.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from cstosim import cache as store
from cstosim.errors import close_matches

FORMAT_VERSION = 1
"""Version of the rules and scenario file formats (the ``cstosim:`` key)."""

STATUSES = ("active", "suspended", "frozen", "withdrawn")
SEVERITIES = ("low", "moderate", "high", "critical")
PROPERTY_IDS = (
    "determinism", "order_independence", "classification_total", "classification_unambiguous",
    "monotonicity", "tier_exclusivity", "tier_order", "obligation_backed", "veto_blocks",
    "gate_blocks", "time", "what_if_neutrality", "round_trip",
)
"""Ids of the consistency properties `cstosim check` runs (see cstosim.properties)."""
COMMITMENT_TYPES = ("defence", "consultation", "non_aggression", "neutrality", "offence")
RELATION_KINDS = (
    "no_diplomatic_relations",
    "conflict",
    "territorial_dispute",
    "rivalry",
    "strategic_partnership",
    "sponsorship",
    "hostility",
)


def _pycountry_key(database: str) -> bytes | None:
    """What identifies one of pycountry's database files without importing pycountry (its
    path, size and modification time), or None when it cannot be found."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("pycountry")
    if spec is None or spec.origin is None:
        return None
    path = os.path.join(os.path.dirname(spec.origin), "databases", database)
    try:
        st = os.stat(path)
    except OSError:
        return None
    return f"{path}:{st.st_size}:{st.st_mtime_ns}".encode()


@cache
def _countries() -> tuple[frozenset[str], dict[str, str]]:
    def build() -> dict[str, str]:
        import pycountry  # imported here: loading its database costs start-up time

        return {c.alpha_2: c.alpha_3 for c in pycountry.countries}

    # pycountry stays the source of truth: the cache holds what it said, keyed by its file.
    key = _pycountry_key("iso3166-1.json")
    by_alpha2: dict[str, str] = (build() if key is None
                                 else store.cached_json("iso3166-1", key, build))
    return frozenset(by_alpha2.values()), by_alpha2


@cache
def _subdivisions() -> frozenset[str]:
    def build() -> list[str]:
        import pycountry

        return sorted(s.code for s in pycountry.subdivisions)

    key = _pycountry_key("iso3166-2.json")
    return frozenset(build() if key is None else store.cached_json("iso3166-2", key, build))


def iso_states() -> frozenset[str]:
    """Every ISO 3166-1 alpha-3 code: the states rules and scenarios may name."""
    return _countries()[0]


@cache
def _sorted_alpha3() -> tuple[str, ...]:
    return tuple(sorted(_countries()[0]))


def alpha2_of(alpha3: str) -> str:
    """The ISO 3166-1 alpha-2 code of a known alpha-3 code."""
    _, by_alpha2 = _countries()
    return next(a2 for a2, a3 in by_alpha2.items() if a3 == alpha3)


def check_state_code(code: str) -> str:
    """Accept an ISO 3166-1 alpha-3 code; refuse anything else with a hint."""
    alpha3, by_alpha2 = _countries()
    if code in alpha3:
        return code
    if code.upper() in alpha3:
        hint = f"codes are upper case: `{code.upper()}`"
    elif code.upper() in by_alpha2:
        hint = f"`{code}` is an alpha-2 code; use the alpha-3 code `{by_alpha2[code.upper()]}`"
    else:
        # The did-you-mean is worked out only if this problem is among those shown: the
        # translation to diagnostics reads `hint_by` (pydantic turns the context to text).
        raise PydanticCustomError("unknown_state", "unknown state code `{code}`",
                                  {"code": code, "hint_by": "state_hint"})
    raise PydanticCustomError("unknown_state", "unknown state code `{code}`",
                              {"code": code, "hint": hint})


def state_hint(code: str) -> str:
    """The hint for an unknown state code: the closest codes, or an example."""
    close = close_matches(code.upper(), _sorted_alpha3())
    return ("did you mean " + " or ".join(f"`{c}`" for c in close) + "?") if close else (
        "use an ISO 3166-1 alpha-3 code such as `ARM` or `PAK`")


def check_location_code(code: str) -> str:
    """Accept an ISO 3166-2 subdivision code such as ``AM-SU``."""
    if code in _subdivisions():
        return code
    raise PydanticCustomError("unknown_location", "unknown location code `{code}`",
                              {"code": code, "hint_by": "location_hint"})


def location_hint(code: str) -> str:
    """The hint for an unknown ISO 3166-2 code: the closest codes of its state, or an example."""
    prefix = code.split("-")[0].upper()
    close = close_matches(
        code.upper(), tuple(sorted(s for s in _subdivisions() if s.startswith(prefix + "-"))))
    return ("did you mean " + " or ".join(f"`{c}`" for c in close) + "?") if close else (
        "use an ISO 3166-2 code such as `AM-SU` (Syunik)")


StateCode = Annotated[str, AfterValidator(check_state_code)]
LocationCode = Annotated[str, AfterValidator(check_location_code)]
Id = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", max_length=80)]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]
Scalar = bool | int | float | str | dt.date
Condition = Annotated[Any, Field(description="A condition: a comparison string, or "
                                             "`{all: [...]}`, `{any: [...]}`, `{not: ...}`.")]


class Strict(BaseModel):
    """Base of every YAML-facing model: strict, frozen, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, populate_by_name=True)


class Sourced(Strict):
    """Something that rests on a source: a one-line meaning and a citation."""

    meaning: Text = Field(description="One line saying what this means.")
    source: Text = Field(description="Treaty article, URL or FACTS.md reference it rests on.")


# ---- rules file ---------------------------------------------------------------------


class Label(Sourced):
    """A classification label; labels are listed from least to most severe."""

    id: Id


class Parameter(Sourced):
    """A named value the rules refer to as ``params.NAME``."""

    value: bool | int | float | str
    label: bool = Field(default=False,
                        description="The value names a classification label (checked on load).")
    choices: list[Annotated[str, Field(min_length=1, max_length=80)]] | None = Field(
        default=None, description="The values a text parameter may take (checked on load, in "
                                  "readings, scenarios and `--set`).")


class Right(Sourced):
    """A right a tier grants (e.g. decisive vote)."""


class Procedure(Sourced):
    """How a body decides, with explicit semantics for abstention and absence."""

    rule: Literal["consensus", "majority", "unanimity"] = Field(
        description="`majority`: more than half of all deciders support (an abstaining or "
                    "absent decider counts as not supporting); `unanimity`: every decider supports.")
    objection: Literal["blocks", "does_not_block"] = Field(
        default="blocks", description="Under consensus: whether an objecting decider blocks "
                                      "(a veto). `does_not_block` is not consensus in any usual sense.")
    abstention: Literal["does_not_block", "blocks"] = Field(
        description="Under consensus: whether an abstaining decider blocks.")
    absence: Literal["does_not_block", "blocks"] = Field(
        description="Under consensus: whether an absent decider blocks.")


class Tier(Sourced):
    """A status within a body: its rights, gates and admission procedure."""

    rank: Annotated[int, Field(ge=0, le=100)]
    status: Literal["in_force", "proposed"]
    in_force_from: dt.date | None = None
    proposed_on: dt.date | None = None
    rights: list[Id] = Field(default_factory=list)
    includes: list[Id] = Field(default_factory=list,
                               description="Tiers of the same body whose rights this tier also has.")
    duties: list[Text] = Field(default_factory=list)
    gates: list[Id] = Field(default_factory=list)
    procedure: Id | None = None
    decided_by: Id | None = Field(default=None, description="Tier whose holders decide admissions.")


class Body(Sourced):
    """An organization or organ with tiers."""

    name: Text
    parent: Id | None = None
    rivals: list[Id] = Field(default_factory=list)
    tiers: dict[Id, Tier]


class State(Strict):
    """A state's standing attributes."""

    name: Text | None = None
    former_soviet: bool = Field(description="One of the 15 union republics of the USSR.")
    un_member_from: dt.date | None = Field(
        description="Date of admission to the UN; null if not a member. Wins over the "
                    "bundled reference data (see Bundled reference data).")
    source: Text


def _check_until(start: dt.date, until: dt.date | None) -> None:
    """A dated record's ``until`` must not come before its ``from``."""
    if until is not None and until < start:
        raise PydanticCustomError("dates_out_of_order", "`until` ({until}) is before `from` ({start})",
                                  {"until": str(until), "start": str(start),
                                   "hint": "swap the dates or fix the typo", "at": "until"})


class Membership(Strict):
    """A state's tier in a body over a period, with its status."""

    state: StateCode
    body: Id
    tier: Id
    from_: dt.date = Field(alias="from")
    until: dt.date | None = None
    status: Literal["active", "suspended", "frozen", "withdrawn"] = "active"
    source: Text

    @model_validator(mode="after")
    def _ordered(self) -> Membership:
        _check_until(self.from_, self.until)
        return self


class Relation(Strict):
    """A dated fact between two states (``sponsorship`` is directed: first sponsors second)."""

    kind: Literal["no_diplomatic_relations", "conflict", "territorial_dispute", "rivalry",
                  "strategic_partnership", "sponsorship", "hostility"]
    states: Annotated[list[StateCode], Field(min_length=2, max_length=2)]
    body: Id | None = None
    from_: dt.date = Field(alias="from")
    until: dt.date | None = None
    source: Text
    note: Text | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Relation:
        _check_until(self.from_, self.until)
        if self.states[0] == self.states[1]:
            raise PydanticCustomError("self_relation", "a relation needs two different states",
                                      {"hint": "name two states"})
        return self


class Parties(Strict):
    """Who is bound: the holders of a tier of a body, or a list of states."""

    body: Id | None = None
    tier: Id | None = None
    states: list[StateCode] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Parties:
        if (self.states is None) == (self.body is None):
            raise PydanticCustomError(
                "bad_parties", "give either `body` and `tier`, or `states`",
                {"hint": "e.g. `{body: CSTO, tier: member}` or `{states: [AZE, TUR]}`"})
        return self


class Commitment(Sourced):
    """An obligation created by a treaty clause, coded after ATOP."""

    id: Id
    type: Literal["defence", "consultation", "non_aggression", "neutrality", "offence"]
    treaty: Text
    article: Text
    parties: Parties
    from_: dt.date = Field(alias="from")
    until: dt.date | None = None
    owed_by: Literal["other_parties", "actor"] = Field(
        description="`other_parties`: every party but the victim owes it to the victim; "
                    "`actor`: the attacking party owes it to the victim.")
    strength: Literal["immediate", "as_deemed_necessary", "negotiated", "consult", "refrain"]
    military: bool = Field(description="Whether the assistance may include armed force.")
    judged_by: Literal["interpretation", "victim"] = Field(
        description="Whose classification triggers it: the interpretation being evaluated, "
                    "or the victim's own reading ('in the opinion of one party').")
    when: Condition

    @model_validator(mode="after")
    def _ordered(self) -> Commitment:
        _check_until(self.from_, self.until)
        return self


class Gate(Sourced):
    """An admission criterion; with ``for_each: member`` it must hold for every member."""

    id: Id
    for_each: Literal["none", "member", "pact_chain"] = "none"
    when: Condition


class StanceRule(Sourced):
    """Predicts a decider's stance on an application; the first matching rule wins."""

    id: Id
    stance: Literal["object", "absent", "abstain", "support"]
    when: Condition


class ClassificationRule(Sourced):
    """Assigns a label to an incident; the most severe matching label wins."""

    id: Id
    label: Id
    enabled: bool = True
    when: Condition


class TensionRule(Sourced):
    """Finds friction: kind, severity, and the parties it involves."""

    id: Id
    kind: Text
    severity: Literal["low", "moderate", "high", "critical"]
    scope: Literal["admission", "incident", "dispute"]
    for_each: Literal["none", "member", "member_partner", "pact_chain"] = "none"
    bodies: list[Id] = Field(default_factory=list, description=(
        "The bodies it applies to (all if empty): for admissions, the body applied to; for "
        "incidents and disputes, a body the victim holds a tier of on the incident's date."))
    parties: list[Literal["candidate", "member", "other", "actor", "victim", "body",
                          "chain_end"]] = Field(min_length=1)
    when: Condition


class Interpretation(Sourced):
    """A named reading: parameter overrides and rule switches."""

    holder: Literal["treaty", "organization", "victim"]
    params: dict[Id, bool | int | float | str] = Field(default_factory=dict)
    enable: list[Id] = Field(default_factory=list)
    disable: list[Id] = Field(default_factory=list)


class RulesFile(Strict):
    """The whole rules model (`rules.yaml`)."""

    cstosim: Literal[1] = Field(description="File format version.")
    name: Text
    description: Text | None = None
    defaults: dict[Literal["diplomatic_relations"], bool] = Field(
        description="World assumptions stated explicitly, e.g. that states have diplomatic "
                    "relations unless a `no_diplomatic_relations` relation says otherwise.")
    labels: Annotated[list[Label], Field(min_length=1)]
    classification_overlap: Literal["most_severe_wins", "forbidden"] = Field(
        default="most_severe_wins",
        description="When rules with different labels match one incident: the most severe label "
                    "wins, or the overlap is a consistency error (`cstosim check`).")
    parameters: dict[Id, Parameter] = Field(default_factory=dict)
    rights: dict[Id, Right] = Field(default_factory=dict)
    procedures: dict[Id, Procedure] = Field(default_factory=dict)
    bodies: dict[Id, Body]
    states: dict[StateCode, State]
    memberships: list[Membership] = Field(default_factory=list)
    relations: list[Relation] = Field(default_factory=list)
    commitments: list[Commitment] = Field(default_factory=list)
    gates: list[Gate] = Field(default_factory=list)
    stances: list[StanceRule] = Field(default_factory=list)
    classification: list[ClassificationRule] = Field(default_factory=list)
    tensions: list[TensionRule] = Field(default_factory=list)
    interpretations: dict[Id, Interpretation]


# ---- scenario file ------------------------------------------------------------------


class AdoptTier(Strict):
    body: Id
    tier: Id
    on: dt.date


class Join(Strict):
    state: StateCode
    body: Id
    tier: Id
    on: dt.date
    status: Literal["active", "suspended", "frozen", "withdrawn"] = "active"


class Leave(Strict):
    state: StateCode
    body: Id
    on: dt.date


class RelationChange(Strict):
    kind: Literal["no_diplomatic_relations", "conflict", "territorial_dispute", "rivalry",
                  "strategic_partnership", "sponsorship", "hostility"]
    states: Annotated[list[StateCode], Field(min_length=2, max_length=2)]
    on: dt.date
    body: Id | None = None

    @model_validator(mode="after")
    def _two_states(self) -> RelationChange:
        if self.states[0] == self.states[1]:
            raise PydanticCustomError("self_relation", "a relation needs two different states",
                                      {"hint": "name two states"})
        return self


class SetState(Strict):
    """A scenario's own facts for a state, for the whole scenario: they win over the rules'
    `states:` and the bundled reference data. A fact left out keeps its value there."""

    state: StateCode
    name: Text | None = None
    former_soviet: bool | None = Field(
        default=None, description="One of the 15 union republics of the USSR.")
    un_member_from: dt.date | None = Field(
        default=None, description="UN admission date; `null` for a state that is not a member.")
    source: Text = Field(description="Where the facts come from (a what-if says so).")

    @model_validator(mode="after")
    def _sets_something(self) -> SetState:
        if not {"former_soviet", "un_member_from"} & self.model_fields_set:
            raise PydanticCustomError(
                "missing_field", "`set_state` gives no fact to set",
                {"hint": "give `former_soviet: true|false` or `un_member_from: YYYY-MM-DD` "
                         "(or `null`)"})
        return self


class Change(Strict):
    """One what-if change; exactly one key."""

    set_state: SetState | None = None
    adopt_tier: AdoptTier | None = None
    join: Join | None = None
    leave: Leave | None = None
    relation_start: RelationChange | None = None
    relation_end: RelationChange | None = None
    add_commitment: Commitment | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Change:
        if sum(v is not None for v in self.__dict__.values()) != 1:
            raise PydanticCustomError(
                "one_key", "each change has exactly one key",
                {"hint": "one of `set_state`, `adopt_tier`, `join`, `leave`, `relation_start`, "
                         "`relation_end`, `add_commitment`"})
        return self

    @property
    def date(self) -> dt.date:
        for v in (self.adopt_tier, self.join, self.leave, self.relation_start, self.relation_end):
            if v is not None:
                return v.on
        if self.set_state is not None:
            return dt.date.min  # standing facts for the whole scenario, never "after as_of"
        assert self.add_commitment is not None
        return self.add_commitment.from_


def adopted_by(changes: list[Change], body: str, tier: str, on: dt.date) -> bool:
    """Whether one of ``changes`` adopts ``tier`` of ``body`` on or before ``on``."""
    return any(c.adopt_tier is not None and (c.adopt_tier.body, c.adopt_tier.tier) == (body, tier)
               and c.adopt_tier.on <= on for c in changes)


class Addressee(Strict):
    """Who a request goes to, or who responded: a body (or one of its organs, itself a body
    with a `parent`), or one state."""

    body: Id | None = None
    state: StateCode | None = None

    @model_validator(mode="after")
    def _one_form(self) -> Addressee:
        if (self.body is None) == (self.state is None):
            raise PydanticCustomError(
                "bad_addressee", "give either `body` or `state`",
                {"hint": "e.g. `{body: CSTO}`, `{body: CSC}` or `{state: RUS}`"})
        return self


ASKS = ("consultations", "assistance")
RESPONSE_KINDS = ("nothing", "statement", "consultations", "fact_finding_mission",
                  "material_aid", "deployment")
"""What a response can be, from least to most; the order is the one response gaps compare by."""


class Request(Strict):
    """A request by the victim: under a CST article, and/or to one addressee, on a date."""

    article: Literal["art2", "art4"] | None = Field(
        default=None, description="The CST article invoked (`art2` consultations, `art4` "
                                  "assistance); sets `incident.requested_art2`/`_art4`.")
    asks: Literal["consultations", "assistance"] | None = Field(
        default=None, description="What is asked for; by default `consultations` for `art2` "
                                  "and `assistance` for `art4`.")
    to: Addressee | None = Field(
        default=None, description="The addressee: a body, its organ, or one state "
                                  "(bilaterally); when omitted, the parties of the treaty.")
    date: dt.date

    @model_validator(mode="after")
    def _says_what(self) -> Request:
        if self.article is None and self.asks is None:
            raise PydanticCustomError(
                "missing_field", "a request needs an `article` or what it `asks` for",
                {"hint": "e.g. `{article: art4, date: ...}` or "
                         "`{to: {state: RUS}, asks: assistance, date: ...}`"})
        return self

    @property
    def wants(self) -> str:
        """What is asked for: the explicit `asks`, else what the article gives."""
        if self.asks is not None:
            return self.asks
        return "consultations" if self.article == "art2" else "assistance"


class Response(Strict):
    """What someone actually did about an incident (a fact, never a conclusion)."""

    by: Addressee = Field(description="Who responded: a body, its organ, or one state.")
    kind: Literal["nothing", "statement", "consultations", "fact_finding_mission",
                  "material_aid", "deployment"] = Field(
        description="`nothing` records that no response came (as of `date`); `material_aid` "
                    "is aid without troops.")
    date: dt.date
    source: Text | None = None


class Incident(Strict):
    """What happened, as facts; the engine classifies it."""

    id: Id = Field(description="Unique within the scenario; conclusions refer to it.")
    actor: StateCode | None = Field(description="The state whose forces acted; null if none is "
                                                "identified (e.g. internal unrest).")
    target: StateCode = Field(description="The state attacked or threatened.")
    locations: list[LocationCode] = Field(default_factory=list,
                                          description="Where, as subdivisions of the target.")
    start: dt.date = Field(description="First day; obligations are judged on this date.")
    end: dt.date | None = None
    state_forces: bool = Field(description="The actor's regular forces took part.")
    crossed_border: bool = Field(description="They crossed into the target's territory.")
    days_on_territory: Count = Field(description="Days they stayed on the target's territory.")
    depth_km: Annotated[float, Field(ge=0, le=10_000, description="Deepest advance, in km.")]
    killed: Count = Field(description="Deaths caused by the actor's forces.")
    wounded: Count = Field(description="Wounded by the actor's forces.")
    captured: Count = Field(description="Personnel of the target captured.")
    shots_fired: bool = Field(description="Weapons were fired.")
    border_delimited: bool = Field(description="The border there is delimited.")
    internal_unrest: bool = False
    framed_as_external: bool = Field(
        default=False, description="The host frames internal unrest as externally driven.")
    shelling: bool = Field(default=False, description=(
        "The actor's forces shelled or fired on the target's territory from across the border "
        "(artillery, mortars, rockets): bombardment, UNGA Res. 3314 Art. 3(b)."))
    strikes: bool = Field(default=False, description=(
        "Air, missile or drone strikes on the target's territory (use of weapons against the "
        "territory, Art. 3(b))."))
    attack_on_forces: bool = Field(default=False, description=(
        "The actor's forces attacked the target's land, sea or air forces (Art. 3(d))."))
    irregulars_sent_by: StateCode | None = Field(default=None, description=(
        "The state that sent the armed bands, irregulars or mercenaries that acted (Art. 3(g)); "
        "`actor` must then be null or the same state."))
    armed_group: bool = Field(default=False, description=(
        "A non-state armed group from abroad crossed or threatened the border, with no "
        "sending state identified."))
    requests: list[Request] = Field(default_factory=list)
    responses: list[Response] = Field(default_factory=list, description=(
        "What was done in response, with dates (consultations, a mission, a deployment, ...)."))
    source: Text | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Incident:
        if self.end is not None and self.end < self.start:
            raise PydanticCustomError("dates_out_of_order", "`end` ({end}) is before `start` ({start})",
                                      {"end": str(self.end), "start": str(self.start),
                                       "hint": "swap the dates or fix the typo", "at": "end"})
        if self.actor is not None and self.actor == self.target:
            raise PydanticCustomError("self_incident", "the actor and the target are the same state",
                                      {"hint": "for unrest inside a state, set `actor: null` and "
                                               "`internal_unrest: true`"})
        if (self.irregulars_sent_by is not None and self.actor is not None
                and self.actor != self.irregulars_sent_by):
            raise PydanticCustomError(
                "irregulars_sender_not_actor",
                "`irregulars_sent_by` ({sender}) is not the incident's `actor` ({actor})",
                {"sender": self.irregulars_sent_by, "actor": self.actor,
                 "hint": "the sending state is the actor: set `actor` to it or to null",
                 "at": "irregulars_sent_by"})
        if self.irregulars_sent_by is not None and self.irregulars_sent_by == self.target:
            raise PydanticCustomError(
                "self_incident", "the sender of the irregulars is the target",
                {"hint": "name the state that sent them", "at": "irregulars_sent_by"})
        dated: list[tuple[str, int, dt.date]] = [
            *(("requests", i, r.date) for i, r in enumerate(self.requests)),
            *(("responses", i, r.date) for i, r in enumerate(self.responses))]
        for key, i, day in dated:
            if day < self.start:
                raise PydanticCustomError(
                    "dates_out_of_order", "a {what} ({date}) is dated before the incident started",
                    {"what": key[:-1], "date": str(day), "hint": f"{key} follow the incident",
                     "at": f"{key}.{i}.date"})
        return self


class Application(Strict):
    """A state applies for a tier of a body."""

    id: Id
    state: StateCode
    body: Id
    tier: Id
    date: dt.date


class Event(Strict):
    """One event; exactly one key."""

    incident: Incident | None = None
    application: Application | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Event:
        if (self.incident is None) == (self.application is None):
            raise PydanticCustomError("one_key", "each event has exactly one key",
                                      {"hint": "`incident` or `application`"})
        return self

    @property
    def date(self) -> dt.date:
        return self.incident.start if self.incident else self.application.date  # type: ignore[union-attr]  # one is set, checked above

    @property
    def id(self) -> str:
        return self.incident.id if self.incident else self.application.id  # type: ignore[union-attr]  # one is set, checked above


class ExpectAdmission(Strict):
    application: Id
    admitted: bool | None = None
    gates_failed: list[Id] | None = None
    objectors: list[StateCode] | None = None


class ExpectClassification(Strict):
    incident: Id
    interpretation: Id
    label: Id


class ExpectObligation(Strict):
    commitment: Id
    debtor: StateCode | None = None
    creditor: StateCode | None = None
    interpretation: Id | None = None
    present: bool = True


class ExpectTension(Strict):
    kind: Text
    parties: list[StateCode] = Field(default_factory=list,
                                     description="States that must all be among the parties.")
    rule: Id | None = None
    present: bool = True


class ExpectGap(Strict):
    """A response gap that must be (or must not be) reported."""

    incident: Id
    commitment: Id | None = None
    creditor: StateCode | None = None
    interpretation: Id | None = None
    done: Literal["nothing", "statement", "consultations", "fact_finding_mission",
                  "material_aid", "deployment"] | None = Field(
        default=None, description="The best response the gap records.")
    present: bool = True


class Expect(Strict):
    """Outcomes the scenario must produce (checked by `cstosim test`)."""

    admissions: list[ExpectAdmission] = Field(default_factory=list)
    classifications: list[ExpectClassification] = Field(default_factory=list)
    obligations: list[ExpectObligation] = Field(default_factory=list)
    tensions: list[ExpectTension] = Field(default_factory=list)
    response_gaps: list[ExpectGap] = Field(default_factory=list)
    properties: list[Id] = Field(default_factory=list,
                                 description="Consistency properties (`cstosim check` ids) that "
                                             "must hold on this scenario.")


class ScenarioFile(Strict):
    """A what-if on top of the baseline world."""

    cstosim: Literal[1]
    name: Text
    description: Text | None = None
    rules: Text | None = Field(default=None, description="Rules file, relative to this file; "
                                                         "the bundled rules when omitted.")
    as_of: dt.date
    interpretations: list[Id] | None = Field(
        default=None, description="Readings to compare; every interpretation when omitted.")
    params: dict[Id, bool | int | float | str] = Field(default_factory=dict)
    changes: list[Change] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    expect: Expect | None = None
