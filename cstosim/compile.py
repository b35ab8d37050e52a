"""Step 3 of the pipeline: check a rules model and compile it for evaluation.

:func:`compile_rules` runs named stages over a validated :class:`RulesFile`,
collecting every problem (with its YAML location) before raising, the way a
compiler reports all errors rather than the first. The result,
:class:`CompiledRules`, holds the :class:`~cstosim.program.Program` that evaluation trusts: every id resolves,
every condition type-checks and is compiled into a callable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from itertools import pairwise
from typing import Any

from cstosim import model as m
from cstosim import program as pg
from cstosim.codegen import install
from cstosim.compiled import CompiledRules as CompiledRules  # re-exported: compile builds it
from cstosim.conditions import BOOL, DATE, NUM, STR, Compiler, Condition, Schema, Type, enum
from cstosim.errors import CstosimError, Diagnostic, LazyHint, Location, Pending, did_you_mean

STATE_FIELDS = {"code": STR, "former_soviet": BOOL, "un_member": BOOL}
PAIR_FIELDS = {k: BOOL for k in ("diplomatic_relations", "conflict", "territorial_dispute",
                                 "rivalry", "strategic_partnership", "sponsorship",
                                 "hostility_now", "hostility_past", "allied", "same_body")}
INCIDENT_FIELDS: dict[str, Type] = {
    **{k: BOOL for k in ("state_forces", "crossed_border", "shots_fired", "border_delimited",
                         "internal_unrest", "framed_as_external", "has_actor", "derived",
                         "requested_art2", "requested_art4", "shelling", "strikes",
                         "weapons_used", "attack_on_forces", "irregulars_sent", "armed_group")},
    **{k: NUM for k in ("days_on_territory", "depth_km", "killed", "wounded", "captured",
                        "casualties", "duration_days")},
    "start": DATE,
}
CHAIN_FIELDS = {"length": NUM, "reaches_rival_bloc": BOOL, "military": BOOL}
CONFLICT_FIELDS = {"actor_is_party": BOOL, "obligations_to_victim": NUM,
                   "cascade_obligations": NUM, "cascade_reaches_rival_bloc": BOOL,
                   "unmet_requests": NUM, "response_gaps": NUM}
PARTNERS_FIELDS = {"count": NUM, "rivalry": BOOL, "conflict": BOOL, "hostility_now": BOOL,
                   "territorial_dispute": BOOL}
BOND_FIELDS = {"actor_bound": BOOL, "same_body": BOOL}
REQUEST_FIELDS = {"to_debtor": BOOL, "to_body": BOOL, "assistance": BOOL, "consultations": BOOL}
TIER_FIELDS = {"rank": NUM, "in_force": BOOL}


def _fields(root: str, fields: Mapping[str, Type]) -> dict[str, Type]:
    return {f"{root}.{k}": t for k, t in fields.items()}


def schemas_for(labels: tuple[str, ...], param_types: Mapping[str, Type]) -> dict[str, Schema]:
    """The typed paths each kind of rule may read."""
    params = {f"params.{k}": t for k, t in param_types.items()}
    cls = {"classification.label": enum(*labels), "classification.rank": NUM}
    incident = _fields("incident", INCIDENT_FIELDS)
    status = {"status": enum(*m.STATUSES)}
    admission = {**params, **_fields("candidate", STATE_FIELDS), **_fields("tier", TIER_FIELDS)}
    labels_or_none = enum(*labels, "none")
    dispute = {f"dispute.{h}_label": labels_or_none for h in ("victim", "organization", "treaty")}
    dispute.update({f"dispute.{h}_rank": NUM for h in ("victim", "organization", "treaty")})
    # `pair` in incident rules: the actor and the target (all false without an actor).
    pair = _fields("pair", PAIR_FIELDS)
    return {
        "classification": {**params, **incident, **pair},
        "commitment": {**params, **incident, **cls, **_fields("victim", STATE_FIELDS),
                       **_fields("actor", STATE_FIELDS), **_fields("debtor", STATE_FIELDS),
                       **pair, **_fields("bond", BOND_FIELDS),
                       **_fields("request", REQUEST_FIELDS)},
        "gate:none": admission,
        "gate:member": {**admission, **_fields("member", {**STATE_FIELDS, **status}),
                        **_fields("pair", PAIR_FIELDS)},
        "gate:pact_chain": {**admission, **_fields("chain", CHAIN_FIELDS)},
        "stance": {**params, **_fields("candidate", STATE_FIELDS), **_fields("tier", TIER_FIELDS),
                   **_fields("decider", {**STATE_FIELDS, **status}), **_fields("pair", PAIR_FIELDS),
                   **_fields("partners", PARTNERS_FIELDS)},
        "tension:admission:none": admission,
        "tension:admission:member": {**admission, **_fields("member", {**STATE_FIELDS, **status}),
                                     **_fields("pair", PAIR_FIELDS)},
        "tension:admission:member_partner": {
            **admission, **_fields("member", {**STATE_FIELDS, **status}),
            **_fields("other", STATE_FIELDS), **_fields("pair", PAIR_FIELDS),
            **_fields("link", PAIR_FIELDS)},
        "tension:admission:pact_chain": {**admission, **_fields("chain", CHAIN_FIELDS)},
        "tension:incident:none": {**params, **incident, **cls, **_fields("victim", STATE_FIELDS),
                                  **_fields("actor", STATE_FIELDS), **pair,
                                  **_fields("conflict", CONFLICT_FIELDS)},
        "tension:dispute:none": {**params, **incident, **dispute},
    }


def param_type(value: object) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, (int, float)):
        return NUM
    return STR


ENGINE_COUNTS = ("cascade_depth", "chain_depth")
"""Parameters the engine itself reads, as whole numbers of steps (when the rules define them)."""
ENGINE_RESPONSES = ("consultation_met_by", "assistance_met_by")
"""Parameters the engine reads as a response kind: the least response that meets what a
consultation or an assistance commitment owes (response gaps are found only with both)."""


def yaml_text(value: object) -> str:
    """A value as a user writes it in YAML (`true`, not `True`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def param_problem(spec: m.RulesFile, name: str, value: object) -> tuple[str, str] | None:
    """Why ``value`` cannot be given to parameter ``name`` (message, hint), or None."""
    param = spec.parameters[name]
    t = param_type(param.value)
    if not value_fits(value, t):
        return (f"parameter `{name}` takes {t}, got `{yaml_text(value)}`",
                f"the default is `{yaml_text(param.value)}`")
    if name in ENGINE_COUNTS and (not isinstance(value, int) or not 0 <= value <= 100):
        return (f"parameter `{name}` is a whole number of steps, got `{yaml_text(value)}`",
                "give a whole number from 0 to 100")
    if param.choices is not None and value not in param.choices:
        return (f"parameter `{name}` takes one of its choices, and `{yaml_text(value)}` is not one",
                did_you_mean(str(value), param.choices))
    if name in ENGINE_RESPONSES and value not in m.RESPONSE_KINDS:
        return (f"parameter `{name}` names a response kind, and `{yaml_text(value)}` is not one",
                did_you_mean(str(value), m.RESPONSE_KINDS))
    labels = [lab.id for lab in spec.labels]
    if param.label and value not in labels:
        return (f"parameter `{name}` names a label, and `{value}` is not one",
                did_you_mean(str(value), labels))
    return None


def value_fits(value: object, t: Type) -> bool:
    """Whether ``value`` (from YAML or the command line) has type ``t``."""
    if t is BOOL or t.name == "bool":
        return isinstance(value, bool)
    if t.name == "num":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, str)


class _Stages:
    """The named compile stages; each appends to ``problems``."""

    def __init__(self, spec: m.RulesFile, locate: Callable[..., Location]) -> None:
        self.spec = spec
        self.locate = locate
        self.problems: list[Diagnostic | Pending] = []

    def problem(self, path: tuple[Any, ...], code: str, message: str, hint: str | LazyHint,
                key: bool = False) -> None:
        self.problems.append(Pending(code, self.locate(path, key=key), message, hint))

    def ref(self, path: tuple[Any, ...], kind: str, value: str | None,
            known: Mapping[str, Any] | set[str] | frozenset[str], key: bool = False) -> bool:
        """Check that ``value`` names one of ``known``; ``key`` when the name is a mapping key."""
        if value is None or value in known:
            return True
        self.problem(path, f"unknown_{kind}", f"unknown {kind} `{value}`",
                     LazyHint(partial(did_you_mean, value, known)), key=key)
        return False

    def param(self, path: tuple[Any, ...], name: str, value: object) -> None:
        """Check a parameter override's name (at its key) and value (at the value)."""
        if self.ref(path, "parameter", name, self.spec.parameters, key=True):
            found = param_problem(self.spec, name, value)
            if found:
                self.problem(path, "type_mismatch", *found)

    def resolve_references(self) -> None:
        s = self.spec
        labels = [lab.id for lab in s.labels]
        for i, lab in enumerate(labels):
            if lab in labels[:i]:
                self.problem(("labels", i, "id"), "duplicate_id", f"label `{lab}` is listed twice",
                             "list each label once, least severe first")
        for b, body in s.bodies.items():
            self.ref(("bodies", b, "parent"), "body", body.parent, s.bodies)
            for j, r in enumerate(body.rivals):
                self.ref(("bodies", b, "rivals", j), "body", r, s.bodies)
            for t, tier in body.tiers.items():
                base = ("bodies", b, "tiers", t)
                for j, r in enumerate(tier.rights):
                    self.ref((*base, "rights", j), "right", r, s.rights)
                for j, inc in enumerate(tier.includes):
                    # Whether the inclusion follows the tier order is a consistency
                    # property (`cstosim check`, `tier_order`), not a load error.
                    self.ref((*base, "includes", j), "tier", inc, body.tiers)
                gate_ids = {g.id for g in s.gates}
                for j, g in enumerate(tier.gates):
                    self.ref((*base, "gates", j), "gate", g, gate_ids)
                self.ref((*base, "procedure"), "procedure", tier.procedure, s.procedures)
                self.ref((*base, "decided_by"), "tier", tier.decided_by, body.tiers)
                if tier.status == "in_force" and tier.in_force_from is None:
                    self.problem(base, "missing_date", f"tier `{t}` is in force but has no `in_force_from`",
                                 "add `in_force_from: YYYY-MM-DD`")
                if tier.procedure and not tier.decided_by:
                    self.problem(base, "missing_field", f"tier `{t}` has a procedure but no `decided_by`",
                                 "name the tier whose holders decide, e.g. `decided_by: member`")
        for i, ms in enumerate(s.memberships):
            self.ref(("memberships", i, "state"), "state", ms.state, m.iso_states())
            if self.ref(("memberships", i, "body"), "body", ms.body, s.bodies):
                self.ref(("memberships", i, "tier"), "tier", ms.tier, s.bodies[ms.body].tiers)
        for i, rel in enumerate(s.relations):
            for j, st in enumerate(rel.states):
                self.ref(("relations", i, "states", j), "state", st, m.iso_states())
            self.ref(("relations", i, "body"), "body", rel.body, s.bodies)
        for i, c in enumerate(s.commitments):
            self.check_parties(("commitments", i, "parties"), c.parties, m.iso_states())
        ids: dict[str, tuple[Any, ...]] = {}
        for section in ("commitments", "gates", "stances", "classification", "tensions"):
            for i, rule in enumerate(getattr(s, section)):
                if rule.id in ids:
                    first = self.locate(ids[rule.id])
                    self.problem((section, i, "id"), "duplicate_id",
                                 f"rule id `{rule.id}` is used twice (first at line {first.line})",
                                 "give every rule its own id")
                else:
                    ids[rule.id] = (section, i, "id")
        for i, rule in enumerate(s.classification):
            self.ref(("classification", i, "label"), "label", rule.label, set(labels))
        for name, p in s.parameters.items():
            if p.label:
                self.ref(("parameters", name, "value"), "label", str(p.value), set(labels))
            if p.choices is not None and p.value not in p.choices:
                self.problem(("parameters", name, "value"), "unknown_value",
                             f"parameter `{name}` defaults to `{yaml_text(p.value)}`, which is "
                             "not one of its `choices`", did_you_mean(str(p.value), p.choices))
            if name in ENGINE_RESPONSES and p.value not in m.RESPONSE_KINDS:
                self.problem(("parameters", name, "value"), "unknown_value",
                             f"parameter `{name}` is read by the engine as a response kind, "
                             f"got `{yaml_text(p.value)}`", did_you_mean(str(p.value),
                                                                        m.RESPONSE_KINDS))
            if name in ENGINE_COUNTS and (not isinstance(p.value, int) or isinstance(p.value, bool)
                                          or not 0 <= p.value <= 100):
                self.problem(("parameters", name, "value"), "type_mismatch",
                             f"parameter `{name}` is read by the engine as a whole number of steps, "
                             f"got `{yaml_text(p.value)}`", "give a whole number from 0 to 100")
        # The engine reads these parameters; a missing one is an error, never a quiet default.
        for section in ("gates", "tensions"):
            for i, rule in enumerate(getattr(s, section)):
                if rule.for_each == "pact_chain" and "chain_depth" not in s.parameters:
                    self.problem((section, i, "for_each"), "missing_parameter",
                                 "`for_each: pact_chain` follows pacts up to `params.chain_depth` "
                                 "steps, but the rules define no `chain_depth` parameter",
                                 "add under `parameters`: `chain_depth: {value: 2, meaning: ..., "
                                 "source: ...}`")
        # Any source may raise cascade_depth (--set, a scenario, a reading), so a label is
        # needed whenever the parameter exists.
        if "cascade_depth" in s.parameters and "cascade_label" not in s.parameters:
            self.problem(("parameters", "cascade_depth"), "missing_parameter",
                         "cascades need `cascade_label`, the label a threat created by an "
                         "intervention gets, but the rules define none",
                         "add under `parameters`: `cascade_label: {value: aggression, label: true, "
                         "meaning: ..., source: ...}`, or remove `cascade_depth`", key=True)
        for i, rule in enumerate(s.tensions):
            for j, b in enumerate(rule.bodies):
                self.ref(("tensions", i, "bodies", j), "body", b, s.bodies)
        class_ids = {r.id for r in s.classification}
        other_ids = {r.id: "tension" for r in s.tensions} | {r.id: "commitment" for r in s.commitments}
        victims = [n for n, i in s.interpretations.items() if i.holder == "victim"]
        for extra in victims[1:]:
            self.problem(("interpretations", extra, "holder"), "duplicate_victim_reading",
                         f"`{extra}` is a second victim's reading (`{victims[0]}` is the first); "
                         "obligations judged 'in the opinion of' the victim need exactly one",
                         "give one of them the holder `treaty` or `organization`")
        for name, interp in s.interpretations.items():
            ibase: tuple[str, ...] = ("interpretations", name)
            for k, v in interp.params.items():
                self.param((*ibase, "params", k), k, v)
            for key in ("enable", "disable"):
                for j, rid in enumerate(getattr(interp, key)):
                    if rid in other_ids:
                        self.problem((*ibase, key, j), "not_a_classification_rule",
                                     f"`{rid}` is a {other_ids[rid]} rule; an interpretation's "
                                     f"`{key}` switches classification rules only",
                                     "to make a reading change a commitment or a tension, test a "
                                     "parameter in its `when` and set that parameter here")
                    else:
                        self.ref((*ibase, key, j), "rule", rid, class_ids)

    def check_parties(self, path: tuple[Any, ...], p: m.Parties, states: frozenset[str]) -> None:
        s = self.spec
        if p.states is not None:
            for j, st in enumerate(p.states):
                self.ref((*path, "states", j), "state", st, states)
        elif self.ref((*path, "body"), "body", p.body, s.bodies):
            assert p.body is not None
            if p.tier is None:
                self.problem(path, "missing_field", "parties by body need a `tier`",
                             "e.g. `{body: CSTO, tier: member}`")
            else:
                self.ref((*path, "tier"), "tier", p.tier, s.bodies[p.body].tiers)

    def check_dates(self) -> None:
        """Tier exclusivity in the baseline: no two memberships of one state in one body overlap."""
        by_key: dict[tuple[str, str], list[tuple[int, m.Membership]]] = {}
        for i, ms in enumerate(self.spec.memberships):
            by_key.setdefault((ms.state, ms.body), []).append((i, ms))
        for (state, body), items in sorted(by_key.items()):
            items.sort(key=lambda x: x[1].from_)
            for (_, a), (j, b) in pairwise(items):
                if a.until is None or b.from_ < a.until:
                    self.problem(("memberships", j, "from"), "overlapping_membership",
                                 f"`{state}` already holds `{a.tier}` of `{body}` on {b.from_}",
                                 "end the earlier membership (`until:`) on or before this date")

    def check_cycles(self) -> None:
        """Body parents must not loop. (Tier inclusions may: rights_of stops at a tier it has
        seen, and the tier_order property flags a tier that includes a higher one.)"""
        for name, spec in self.spec.bodies.items():
            chain = {name}
            cur: str | None = spec.parent
            while cur is not None and cur in self.spec.bodies:
                if cur in chain:
                    self.problem(("bodies", name, "parent"), "cycle",
                                 f"body `{name}` is its own ancestor", "break the `parent` cycle")
                    break
                chain.add(cur)
                cur = self.spec.bodies[cur].parent


def compile_rules(spec: m.RulesFile, locate: Callable[..., Location], file: str) -> CompiledRules:
    """Run every compile stage; raise :class:`CstosimError` with all problems found."""
    st = _Stages(spec, locate)
    st.resolve_references()
    st.check_dates()
    st.check_cycles()
    labels = tuple(lab.id for lab in spec.labels)
    param_types = {k: param_type(p.value) for k, p in spec.parameters.items()}
    schemas = schemas_for(labels, param_types)
    comp = Compiler(lambda p: locate(p), st.problems)

    def when(section: str, i: int, rule: Any, schema: str) -> Condition:
        return install(comp.compile(rule.when, schemas[schema], (section, i, "when")))

    commitments = tuple(commitment(r, when("commitments", i, r, "commitment"))
                        for i, r in enumerate(spec.commitments))
    gates = tuple(pg.Gate(id=r.id, meaning=r.meaning, source=r.source, for_each=r.for_each,
                         when=when("gates", i, r, f"gate:{r.for_each}"))
                  for i, r in enumerate(spec.gates))
    stances = tuple(pg.StanceRule(id=r.id, meaning=r.meaning, source=r.source, stance=r.stance,
                                 when=when("stances", i, r, "stance"))
                    for i, r in enumerate(spec.stances))
    classification = tuple(
        pg.ClassificationRule(id=r.id, meaning=r.meaning, source=r.source, label=r.label,
                             enabled=r.enabled, when=when("classification", i, r, "classification"))
        for i, r in enumerate(spec.classification))
    tensions_ok = []
    for i, r in enumerate(spec.tensions):
        key = f"tension:{r.scope}:{r.for_each}"
        if key not in schemas:
            st.problem(("tensions", i, "for_each"), "bad_scope",
                       f"`for_each: {r.for_each}` does not apply to scope `{r.scope}`",
                       "only admission tensions iterate; use `for_each: none`")
            continue
        tensions_ok.append(pg.TensionRule(
            id=r.id, meaning=r.meaning, source=r.source, kind=r.kind, severity=r.severity,
            scope=r.scope, for_each=r.for_each, bodies=tuple(r.bodies), parties=tuple(r.parties),
            when=when("tensions", i, r, key)))
    if st.problems:
        raise CstosimError(st.problems)
    victim = next((n for n, i in spec.interpretations.items() if i.holder == "victim"), None)
    tensions_for = {scope: tuple(t for t in tensions_ok if t.scope == scope and not t.bodies)
                    for scope in ("incident", "dispute")}
    for body in spec.bodies:
        tensions_for[f"admission:{body}"] = tuple(
            t for t in tensions_ok if t.scope == "admission" and (not t.bodies or body in t.bodies))
        for scope in ("incident", "dispute"):
            tensions_for[f"{scope}:{body}"] = tuple(
                t for t in tensions_ok if t.scope == scope and body in t.bodies)
    shared = {"chain_depth"}.union(
        *(r.when.params_read() for r in (*gates, *stances)),
        *(t.when.params_read() for t in tensions_ok if t.scope != "incident"))
    program = pg.Program(
        name=spec.name, file=file, labels=labels, rank={lab: i for i, lab in enumerate(labels)},
        params={k: x.value for k, x in spec.parameters.items()},
        diplomatic_relations_by_default=spec.defaults.get("diplomatic_relations", True),
        states=pg.StateTable({code: pg.StateFacts(code, x.former_soviet, x.un_member_from)
                              for code, x in spec.states.items()}, reference_facts),
        bodies={b: pg.Body(b, tuple(x.rivals), {t: _tier(b, t, tier) for t, tier in x.tiers.items()},
                           x.parent)
                for b, x in spec.bodies.items()},
        procedures={k: pg.Procedure(k, x.rule, x.objection, x.abstention, x.absence)
                    for k, x in spec.procedures.items()},
        memberships=tuple(pg.Membership(x.state, x.body, x.tier, x.from_, x.until, x.status)
                          for x in spec.memberships),
        relations=tuple(pg.Relation(x.kind, x.states[0], x.states[1], x.from_, x.until)
                        for x in spec.relations),
        commitments=commitments, gates={g.id: g for g in gates}, stances=stances,
        classification=classification, tensions=tuple(tensions_ok), tensions_for=tensions_for,
        interpretations={k: pg.Interpretation(k, x.holder, dict(x.params), frozenset(x.enable),
                                             frozenset(x.disable))
                         for k, x in spec.interpretations.items()},
        victim_interpretation=victim, shared_params=frozenset(shared),
        param_reads={
            "incident": frozenset({"cascade_depth", "cascade_label", *ENGINE_RESPONSES}.union(
                *(r.when.params_read() for r in (*commitments, *classification)),
                *(t.when.params_read() for t in tensions_ok if t.scope != "admission"))),
            "admission": frozenset({"chain_depth"}.union(
                *(r.when.params_read() for r in (*gates, *stances)),
                *(t.when.params_read() for t in tensions_ok if t.scope == "admission")))},
        readers=pg.readers_of((*commitments, *gates, *stances, *classification, *tensions_ok)))
    program.states.resolve(named_states(spec))
    return CompiledRules(
        spec=spec, program=program, param_types=param_types, schemas=schemas,
        rule_ids=frozenset(r.id for r in (*commitments, *gates, *stances, *classification,
                                          *tensions_ok)))


def named_states(spec: m.RulesFile | m.ScenarioFile) -> set[str]:
    """Every state code a rules or scenario file names (its facts are resolved at compile
    time, so that evaluation reads no file)."""
    found: set[str] = set()
    commitments: list[m.Commitment] = []
    if isinstance(spec, m.RulesFile):
        found.update(spec.states)
        found.update(x.state for x in spec.memberships)
        found.update(code for r in spec.relations for code in r.states)
        commitments = list(spec.commitments)
    else:
        for ch in spec.changes:
            for part in (ch.set_state, ch.join, ch.leave):
                if part is not None:
                    found.add(part.state)
            for rc in (ch.relation_start, ch.relation_end):
                if rc is not None:
                    found.update(rc.states)
            if ch.add_commitment is not None:
                commitments.append(ch.add_commitment)
        for ev in spec.events:
            if ev.application is not None:
                found.add(ev.application.state)
            if ev.incident is not None:
                inc = ev.incident
                found.add(inc.target)
                found.update(x for x in (inc.actor, inc.irregulars_sent_by) if x is not None)
                found.update(who.state for who in (*(q.to for q in inc.requests),
                                                   *(r.by for r in inc.responses))
                             if who is not None and who.state is not None)
    for c in commitments:
        found.update(c.parties.states or ())
    return found


def reference_facts(code: str) -> pg.StateFacts:
    """The facts of a state the rules do not list, from the bundled reference data
    (:mod:`cstosim.reference`): a state missing there is no UN member and was never a
    Soviet republic, since the data lists every one of both."""
    from cstosim import reference  # imported at compile time, only when a named state needs it

    row = reference.lookup(code)
    if row is None:
        return pg.StateFacts(code, False, None)
    return pg.StateFacts(code, row.former_soviet, row.un_member_from)


def _tier(body: str, name: str, t: m.Tier) -> pg.Tier:
    return pg.Tier(body, name, t.rank, t.status, t.in_force_from, tuple(t.rights), tuple(t.includes),
                  tuple(t.gates), t.procedure, t.decided_by)


def commitment(c: m.Commitment, when: Condition) -> pg.Commitment:
    """A validated commitment with its compiled condition, as evaluation reads it."""
    parties = pg.Parties(tuple(c.parties.states) if c.parties.states is not None else None,
                        c.parties.body, c.parties.tier)
    return pg.Commitment(id=c.id, meaning=c.meaning, source=c.source, when=when, type=c.type,
                        treaty=c.treaty, article=c.article, parties=parties, start=c.from_,
                        until=c.until, owed_by=c.owed_by, strength=c.strength, military=c.military,
                        judged_by=c.judged_by)


def case_of(sc: m.ScenarioFile, file: str, added: tuple[pg.Commitment, ...],
            overrides: Mapping[str, Any] | None = None) -> pg.Case:
    """A checked scenario as evaluation reads it. ``added`` are its compiled
    `add_commitment` commitments (matched to the changes by id)."""
    added_by_id = {c.id: c for c in added}
    changes = []
    for i, ch in enumerate(sc.changes):
        what: pg.ChangeKind
        if ch.set_state:
            ss = ch.set_state
            given = ss.model_fields_set
            what = pg.SetState(ss.state, ss.former_soviet if "former_soviet" in given else None,
                               ss.un_member_from, "un_member_from" in given, ss.source)
        elif ch.adopt_tier:
            what = pg.AdoptTier(ch.adopt_tier.body, ch.adopt_tier.tier, ch.adopt_tier.on)
        elif ch.join:
            j = ch.join
            what = pg.Join(j.state, j.body, j.tier, j.on, j.status)
        elif ch.leave:
            what = pg.Leave(ch.leave.state, ch.leave.body, ch.leave.on)
        elif ch.relation_start:
            r = ch.relation_start
            what = pg.RelationStart(r.kind, r.states[0], r.states[1], r.on)
        elif ch.relation_end:
            r = ch.relation_end
            what = pg.RelationEnd(r.kind, r.states[0], r.states[1], r.on)
        else:
            assert ch.add_commitment is not None
            what = pg.AddCommitment(added_by_id[ch.add_commitment.id])
        kind = next(k for k in CHANGE_KINDS if getattr(ch, k) is not None)
        changes.append(pg.Change(what, i, getattr(ch, kind).model_dump_json()))
    events: list[pg.Event] = []
    for e in sc.events:
        if e.incident:
            x = e.incident
            events.append(pg.Incident(
                x.id, x.actor or x.irregulars_sent_by, x.target, x.start, x.state_forces,
                x.crossed_border, x.days_on_territory, x.depth_km, x.killed, x.wounded,
                x.captured, x.shots_fired, x.border_delimited, x.internal_unrest,
                x.framed_as_external,
                tuple(pg.Request(q.article, q.date, q.wants, _addressee(q.to))
                      for q in x.requests),
                x.end, x.shelling, x.strikes, x.attack_on_forces, x.irregulars_sent_by,
                x.armed_group,
                tuple(pg.Response(pg.Addressee(r.by.body, r.by.state), r.kind, r.date)
                      for r in x.responses)))
        else:
            a = e.application
            assert a is not None
            events.append(pg.Application(a.id, a.state, a.body, a.tier, a.date))
    return pg.Case(sc.name, file, sc.as_of, tuple(changes), tuple(events), dict(sc.params),
                   tuple(sc.interpretations) if sc.interpretations is not None else None,
                   dict(overrides or {}))


def _addressee(a: m.Addressee | None) -> pg.Addressee | None:
    return None if a is None else pg.Addressee(a.body, a.state)


CHANGE_KINDS = ("set_state", "adopt_tier", "join", "leave", "relation_start", "relation_end",
                "add_commitment")


def check_scenario(rules: CompiledRules, sc: m.ScenarioFile,
                   locate: Callable[..., Location]) -> tuple[pg.Commitment, ...]:
    """Check a scenario's references against the rules; return its added commitments compiled."""
    st = _Stages(rules.spec, locate)
    s = rules.spec
    for k, v in sc.params.items():
        st.param(("params", k), k, v)
    for j, name in enumerate(sc.interpretations or []):
        st.ref(("interpretations", j), "interpretation", name, s.interpretations)
        if name in (sc.interpretations or [])[:j]:
            st.problem(("interpretations", j), "duplicate_interpretation",
                       f"interpretation `{name}` is listed twice", "list each interpretation once")

    def body_tier(path: tuple[Any, ...], body: str, tier: str | None) -> None:
        if st.ref((*path, "body"), "body", body, s.bodies) and tier is not None:
            st.ref((*path, "tier"), "tier", tier, s.bodies[body].tiers)

    added: list[pg.Commitment] = []
    comp = Compiler(lambda p: locate(p), st.problems)
    for i, ch in enumerate(sc.changes):
        base = ("changes", i)
        if ch.date > sc.as_of:
            kind = next(k for k in CHANGE_KINDS if getattr(ch, k) is not None)
            st.problem((*base, kind, "from" if kind == "add_commitment" else "on"), "after_as_of",
                       f"change dated {ch.date} is after `as_of` ({sc.as_of})",
                       "move `as_of` later or drop the change")
        if ch.adopt_tier:
            body_tier((*base, "adopt_tier"), ch.adopt_tier.body, ch.adopt_tier.tier)
        if ch.join:
            jn = ch.join
            st.ref((*base, "join", "state"), "state", jn.state, m.iso_states())
            body_tier((*base, "join"), jn.body, jn.tier)
            tier = s.bodies[jn.body].tiers.get(jn.tier) if jn.body in s.bodies else None
            # A proposed tier exists only once adopted. (An in-force tier may be held from before
            # its in-force date, as the founding signatories held CSTO membership from 1992.)
            if (tier is not None and tier.status == "proposed"
                    and not m.adopted_by(sc.changes, jn.body, jn.tier, jn.on)):
                st.problem((*base, "join", "tier"), "tier_not_in_force",
                           f"tier `{jn.tier}` of `{jn.body}` is only proposed and not adopted by "
                           f"{jn.on}", "add an `adopt_tier` change on or before the join")
        if ch.leave:
            st.ref((*base, "leave", "state"), "state", ch.leave.state, m.iso_states())
            body_tier((*base, "leave"), ch.leave.body, None)
        for key in ("relation_start", "relation_end"):
            rc = getattr(ch, key)
            if rc:
                for j, code in enumerate(rc.states):
                    st.ref((*base, key, "states", j), "state", code, m.iso_states())
                if rc.body:
                    st.ref((*base, key, "body"), "body", rc.body, s.bodies)
        if ch.add_commitment:
            c = ch.add_commitment
            if c.id in rules.rule_ids:
                st.problem((*base, "add_commitment", "id"), "duplicate_id",
                           f"rule id `{c.id}` already exists in the rules", "choose a new id")
            st.check_parties((*base, "add_commitment", "parties"), c.parties, m.iso_states())
            added.append(commitment(c, install(comp.compile(
                c.when, rules.schemas["commitment"], (*base, "add_commitment", "when")))))
    seen: dict[str, int] = {}
    for i, ev in enumerate(sc.events):
        base = ("events", i)
        if ev.id in seen:
            st.problem((*base, "incident" if ev.incident else "application", "id"), "duplicate_id",
                       f"event id `{ev.id}` is used twice", "give every event its own id")
        seen[ev.id] = i
        if ev.date > sc.as_of:
            st.problem((*base, "incident", "start") if ev.incident else (*base, "application", "date"),
                       "after_as_of", f"event dated {ev.date} is after `as_of` ({sc.as_of})",
                       "move `as_of` later or drop the event")
        if ev.application:
            a = ev.application
            st.ref((*base, "application", "state"), "state", a.state, m.iso_states())
            body_tier((*base, "application"), a.body, a.tier)
        if ev.incident:
            inc = ev.incident
            st.ref((*base, "incident", "actor"), "state", inc.actor, m.iso_states())
            st.ref((*base, "incident", "target"), "state", inc.target, m.iso_states())
            st.ref((*base, "incident", "irregulars_sent_by"), "state", inc.irregulars_sent_by,
                   m.iso_states())
            whom: list[tuple[tuple[Any, ...], m.Addressee | None]] = [
                *(((*base, "incident", "requests", j, "to"), q.to)
                  for j, q in enumerate(inc.requests)),
                *(((*base, "incident", "responses", j, "by"), r.by)
                  for j, r in enumerate(inc.responses))]
            for where, who in whom:
                if who is not None:
                    st.ref((*where, "body"), "body", who.body, s.bodies)
                    st.ref((*where, "state"), "state", who.state, m.iso_states())
            for j, r in enumerate(inc.responses):
                # A request after `as_of` is a note (it counts for nothing); a response
                # after it would be hindsight.
                if r.date > sc.as_of:
                    st.problem((*base, "incident", "responses", j, "date"), "after_as_of",
                               f"response dated {r.date} is after `as_of` ({sc.as_of})",
                               "move `as_of` later or drop the response")
            alpha2 = m.alpha2_of(inc.target)
            for j, loc in enumerate(inc.locations):
                if not loc.startswith(alpha2 + "-"):
                    st.problem((*base, "incident", "locations", j), "location_outside_target",
                               f"location `{loc}` is not in the target state `{inc.target}`",
                               f"use a subdivision code starting with `{alpha2}-`")
    if sc.expect:
        ex = sc.expect
        apps = {e.id for e in sc.events if e.application}
        incs = {e.id for e in sc.events if e.incident}
        for i, ea in enumerate(ex.admissions):
            st.ref(("expect", "admissions", i, "application"), "application", ea.application, apps)
            for j, g in enumerate(ea.gates_failed or []):
                st.ref(("expect", "admissions", i, "gates_failed", j), "gate", g, rules.gates)
        for i, ec in enumerate(ex.classifications):
            st.ref(("expect", "classifications", i, "incident"), "incident", ec.incident, incs)
            st.ref(("expect", "classifications", i, "interpretation"), "interpretation",
                   ec.interpretation, s.interpretations)
            st.ref(("expect", "classifications", i, "label"), "label", ec.label, set(rules.labels))
        commitment_ids = {c.id for c in rules.commitments} | {r.id for r in added}
        for i, eo in enumerate(ex.obligations):
            st.ref(("expect", "obligations", i, "commitment"), "commitment", eo.commitment,
                   commitment_ids)
            st.ref(("expect", "obligations", i, "interpretation"), "interpretation",
                   eo.interpretation, s.interpretations)
        for i, eg in enumerate(ex.response_gaps):
            st.ref(("expect", "response_gaps", i, "incident"), "incident", eg.incident, incs)
            st.ref(("expect", "response_gaps", i, "commitment"), "commitment", eg.commitment,
                   commitment_ids)
            st.ref(("expect", "response_gaps", i, "interpretation"), "interpretation",
                   eg.interpretation, s.interpretations)
        for i, pid in enumerate(ex.properties):
            st.ref(("expect", "properties", i), "property", pid, set(m.PROPERTY_IDS))
        kinds = {t.kind for t in rules.tensions}
        for i, et in enumerate(ex.tensions):
            st.ref(("expect", "tensions", i, "rule"), "rule", et.rule, {t.id for t in rules.tensions})
            # A misspelt kind with `present: false` would otherwise always pass.
            st.ref(("expect", "tensions", i, "kind"), "tension_kind", et.kind, kinds)
    if st.problems:
        raise CstosimError(st.problems)
    rules.program.states.resolve(named_states(sc))
    return tuple(added)
