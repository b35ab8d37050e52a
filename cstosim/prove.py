"""``cstosim prove``: decide properties of a rules model exactly, with the Z3 SMT solver.

Conditions are declarative comparisons over typed paths, so each compiled condition tree
translates to a Z3 formula: booleans stay booleans, counts become integers, depths reals,
dates day numbers, labels and text strings. Parameters are the constants of one reading
(the rules' values with the interpretation's overrides). A property holds when the solver
finds the negation unsatisfiable; otherwise its model is a counterexample, which is turned
into a runnable scenario and replayed through the engine before it is reported.

Z3 (``z3-solver``, the ``prove`` extra) is imported only here and only when a proof runs.
Pure: no I/O; the CLI writes the scenario files.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from cstosim import model as m
from cstosim import program as pg
from cstosim.admissions import decide
from cstosim.api import Scenario, conclusions, scenario_from_text
from cstosim.compile import CompiledRules
from cstosim.conditions import _LEAF, _NUM, _PATH, Condition, Type
from cstosim.errors import CstosimError, Diagnostic, Location
from cstosim.properties import dump_scenario
from cstosim.report import Stance

INSTALL_HINT = "pip install 'cstosim[prove]'"


@dataclass(frozen=True)
class ProofProperty:
    """A property ``prove`` decides: stable id and one-line meaning."""

    id: str
    meaning: str


PROOF_PROPERTIES: tuple[ProofProperty, ...] = (
    ProofProperty("classification_total", "Every incident gets a label under every reading."),
    ProofProperty("classification_unambiguous",
                  "No incident gets two different labels, unless the overlap policy says the most "
                  "severe wins."),
    ProofProperty("monotonicity", "More deaths, wounded, captured, days on territory, depth or "
                                  "requests never lower an incident's label."),
    ProofProperty("defence_on_aggression",
                  "A military defence commitment judged by a reading of the law binds only when "
                  "the incident is classified as the most severe label (aggression: an armed "
                  "attack, UN Charter Art. 51)."),
    ProofProperty("obligation_needs_violation",
                  "No commitment binds on an incident that is unclassified or has the least severe "
                  "label (nothing that engages a treaty)."),
    ProofProperty("veto_blocks", "Under a consensus procedure one objection always blocks."),
    ProofProperty("stay_out_does_not_block",
                  "Under a consensus procedure a member that abstains or is absent never blocks; "
                  "a procedure in which every member must say yes is `rule: unanimity`."),
    ProofProperty("rule_reachable", "Every rule's condition holds for some input (under some "
                                    "reading for classification rules)."),
    ProofProperty("rule_not_shadowed",
                  "Every classification rule decides the label of some incident under some reading, "
                  "and every stance rule is the first to match for some member."),
)
PROOF_IDS = tuple(p.id for p in PROOF_PROPERTIES)
_MEANING = {p.id: p.meaning for p in PROOF_PROPERTIES}


@dataclass(frozen=True)
class Finding:
    """One violation: where (reading, rule or procedure), what, and a scenario when one exists."""

    property: str
    message: str
    interpretation: str | None = None
    subject: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    scenario: str | None = None
    replayed: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"property": self.property, "interpretation": self.interpretation,
                "subject": self.subject, "message": self.message,
                "facts": {k: _plain(v) for k, v in sorted(self.facts.items())},
                "replayed": self.replayed}


@dataclass(frozen=True)
class PropertyProof:
    """The outcome of one property: how many solver queries it took and what failed."""

    id: str
    meaning: str
    queries: int
    findings: tuple[Finding, ...]
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "meaning": self.meaning, "passed": self.passed,
                "queries": self.queries, "findings": [f.to_json() for f in self.findings],
                "notes": list(self.notes)}


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


def _z3() -> Any:
    try:
        import z3  # type: ignore[import-untyped] # z3-solver ships no type information
    except ImportError as exc:  # an optional extra; say how to get it
        raise CstosimError([Diagnostic(
            "missing_dependency", Location("<environment>"),
            "`cstosim prove` needs the Z3 SMT solver (`z3-solver`), which is not installed",
            f"install it with `{INSTALL_HINT}`")]) from exc
    return z3


# ---- translation ---------------------------------------------------------------------

_REAL_PATHS = frozenset({"incident.depth_km"})
_INCIDENT_COUNTS = ("days_on_territory", "killed", "wounded", "captured", "casualties",
                    "duration_days")
_FORCE_FLAGS = ("shelling", "strikes", "attack_on_forces", "irregulars_sent", "armed_group")
_MAX_COUNT = 10_000_000
_DAY0 = dt.date(1900, 1, 1)


def _day(d: dt.date) -> int:
    return (d - _DAY0).days


class _Vars:
    """Z3 constants for the paths one formula reads; ``tag`` keeps two copies apart."""

    def __init__(self, z3: Any, schema: Mapping[str, Type], params: Mapping[str, Any], tag: str,
                 free: Mapping[str, list[str]] | None = None) -> None:
        self.z3, self.schema, self.params, self.tag = z3, schema, params, tag
        self.free = dict(free or {})  # text parameters left free over their choices
        self.made: dict[str, Any] = {}
        self.constraints: list[Any] = []

    def get(self, path: str) -> Any:
        z3 = self.z3
        root, name = path.split(".")
        if root == "params" and name in self.free:
            if path not in self.made:
                x = self.made[path] = z3.String(f"{self.tag}{path}")
                self.constraints.append(z3.Or(*[x == z3.StringVal(c) for c in self.free[name]]))
            return self.made[path]
        if root == "params":
            return self.const(self.params[name], self.schema[path])
        if path in self.made:
            return self.made[path]
        t = self.schema[path]
        label = f"{self.tag}{path}"
        if t.name == "bool":
            v = z3.Bool(label)
        elif t.name == "num":
            v = z3.Real(label) if path in _REAL_PATHS else z3.Int(label)
        elif t.name == "date":
            v = z3.Int(label)
        else:
            v = z3.String(label)
            if t.name == "enum":
                self.constraints.append(z3.Or(*[v == z3.StringVal(x) for x in t.values]))
        self.made[path] = v
        return v

    def const(self, value: Any, t: Type) -> Any:
        z3 = self.z3
        if isinstance(value, bool):
            return z3.BoolVal(value)
        if isinstance(value, int):
            return z3.IntVal(value)
        if isinstance(value, float):
            return z3.RealVal(Fraction(value))
        if isinstance(value, dt.date):
            return z3.IntVal(_day(value))
        return z3.StringVal(str(value))


def _literal(text: str) -> Any:
    """A validated operand literal as Python (the compiler has checked it already)."""
    if text in ("true", "false"):
        return text == "true"
    if _NUM.match(text):
        return float(text) if any(ch in text for ch in ".eE") else int(text)
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return dt.date.fromisoformat(text)
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def formula(cond: Condition, v: _Vars) -> Any:
    """The Z3 formula of a compiled condition over the constants in ``v``."""
    z3 = v.z3
    if cond.kind == "all":
        return z3.And(*[formula(c, v) for c in cond.children]) if cond.children else z3.BoolVal(True)
    if cond.kind == "any":
        return z3.Or(*[formula(c, v) for c in cond.children]) if cond.children else z3.BoolVal(False)
    if cond.kind == "not":
        return z3.Not(formula(cond.children[0], v))
    match = _LEAF.match(cond.text)
    assert match, cond.text  # INVARIANT: compiled leaves are well formed
    left_text, op, right_text = match.groups()
    left = v.get(left_text)
    ltype = v.schema[left_text]
    if op in ("in", "not_in"):
        items = [s.strip() for s in right_text.strip()[1:-1].split(",") if s.strip()]
        member = z3.Or(*[left == v.const(_literal(i), ltype) for i in items]) if items \
            else z3.BoolVal(False)
        return member if op == "in" else z3.Not(member)
    right_text = right_text.strip()
    if _PATH.match(right_text) and right_text in v.schema:
        right = v.get(right_text)
    else:
        right = v.const(_literal(right_text), ltype)
    return {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}[op](left, right)


def _incident_domain(v: _Vars) -> list[Any]:
    """What any incident the model accepts satisfies (as the engine builds its view)."""
    z3 = v.z3
    out = [v.get("incident.derived") == z3.BoolVal(False),
           v.get("incident.casualties") == v.get("incident.killed") + v.get("incident.wounded")]
    for name in _INCIDENT_COUNTS:
        x = v.get(f"incident.{name}")
        out += [x >= 0, x <= _MAX_COUNT]
    depth = v.get("incident.depth_km")
    out += [depth >= 0, depth <= 10_000, v.get("incident.duration_days") >= 1,
            v.get("incident.weapons_used") == z3.Or(v.get("incident.shelling"),
                                                    v.get("incident.strikes")),
            # The sender of irregulars is the incident's actor.
            z3.Implies(v.get("incident.irregulars_sent"), v.get("incident.has_actor"))]
    # Without an actor every pair fact is false (the engine reads `NO_PAIR`).
    pair = [path for path in v.schema if path.startswith("pair.")]
    if pair:
        out.append(z3.Implies(z3.Not(v.get("incident.has_actor")),
                              z3.And(*[z3.Not(v.get(path)) for path in pair])))
    return out


def _generic_domain(v: _Vars) -> list[Any]:
    """Bounds of the other roots' numeric fields (counts and ranks are never negative)."""
    out: list[Any] = []
    for path, t in v.schema.items():
        root = path.split(".")[0]
        if t.name != "num" or root in ("params", "incident"):
            continue
        x = v.get(path)
        out.append(x >= (-1 if path.endswith("_rank") or path == "classification.rank" else 0))
    return out


class _Reading:
    """The symbolic classification of one incident under one reading."""

    def __init__(self, z3: Any, rules: CompiledRules, name: str, tag: str) -> None:
        self.name = name
        reading = rules.program.interpretations[name]
        self.params = {**rules.params, **reading.params}
        self.v = _Vars(z3, rules.schemas["classification"], self.params, tag)
        self.rules = [r for r in rules.classification if reading.enables(r)]
        self.matched = {r.id: formula(r.when, self.v) for r in self.rules}
        self.domain = _incident_domain(self.v)
        rank: Any = z3.IntVal(-1)
        for r in self.rules:
            k = rules.rank[r.label]
            rank = z3.If(z3.And(self.matched[r.id], rank < k), z3.IntVal(k), rank)
        self.rank = rank

    def all_constraints(self) -> list[Any]:
        return [*self.domain, *self.v.constraints]


# ---- counterexample scenarios --------------------------------------------------------


def _value(model: Any, x: Any, z3: Any) -> Any:
    val = model.eval(x, model_completion=True)
    if z3.is_bool(val):
        return z3.is_true(val)
    if z3.is_int_value(val):
        return val.as_long()
    if z3.is_rational_value(val):
        return float(Fraction(val.numerator_as_long(), val.denominator_as_long()))
    if z3.is_string_value(val):
        return val.as_string()
    return str(val)


def _incident_facts(model: Any, v: _Vars, z3: Any) -> dict[str, Any]:
    keys = ("has_actor", "state_forces", "crossed_border", "shots_fired", "border_delimited",
            "internal_unrest", "framed_as_external", "requested_art2", "requested_art4",
            *_FORCE_FLAGS, "days_on_territory", "depth_km", "killed", "wounded", "captured",
            "duration_days")
    facts = {k: _value(model, v.get(f"incident.{k}"), z3) for k in keys}
    # Pair facts cannot be written into an incident; they are kept to describe the finding.
    facts.update({path: _value(model, v.get(path), z3) for path in v.schema
                  if path.startswith("pair.") and path in v.made})
    return facts


def _incident(iid: str, facts: Mapping[str, Any], actor: str | None, target: str,
              day: dt.date) -> dict[str, Any]:
    requests = [{"article": a, "date": day} for a in ("art2", "art4") if facts.get(f"requested_{a}")]
    data: dict[str, Any] = {
        "id": iid, "actor": actor if facts["has_actor"] else None, "target": target, "start": day,
        **{k: facts[k] for k in ("state_forces", "crossed_border", "days_on_territory", "killed",
                                 "wounded", "captured", "shots_fired", "border_delimited",
                                 "internal_unrest", "framed_as_external")},
        "depth_km": float(facts["depth_km"])}
    for k in ("shelling", "strikes", "attack_on_forces", "armed_group"):
        if facts.get(k):
            data[k] = True
    if facts.get("irregulars_sent") and data["actor"] is not None:
        data["irregulars_sent_by"] = data["actor"]
    if facts.get("duration_days", 1) > 1:
        data["end"] = day + dt.timedelta(days=int(facts["duration_days"]) - 1)
    if requests:
        data["requests"] = requests
    return data


def _scenario_text(rules: CompiledRules, prop: str, message: str, data: dict[str, Any],
                   rules_ref: str | None) -> tuple[str, Scenario]:
    data = {"cstosim": 1, "name": f"counterexample: {prop}",
            "description": f"Found by `cstosim prove`. {_MEANING[prop]} Violated: {message}",
            **({"rules": rules_ref} if rules_ref else {}), **data}
    spec = m.ScenarioFile.model_validate(data)
    header = (f"# Counterexample for proof `{prop}`: {_MEANING[prop]}\n# - {message}\n"
              "# `cstosim test` on this file fails while the rules violate it.\n")
    text = header + dump_scenario(spec)
    # Load the text as a user would (rules_ref is relative to the output folder, so load
    # the scenario body against the compiled rules directly).
    scenario = scenario_from_text(dump_scenario(spec.model_copy(update={"rules": None})), rules,
                                  "<counterexample>")
    return text, scenario


def _states(rules: CompiledRules) -> list[str]:
    return sorted(rules.spec.states)


# ---- the prover ----------------------------------------------------------------------


class _Prover:
    def __init__(self, rules: CompiledRules, readings: Sequence[str], rules_ref: str | None,
                 scenario_date: dt.date) -> None:
        self.z3 = _z3()
        self.rules = rules
        self.readings = list(readings)
        self.rules_ref = rules_ref
        self.day = scenario_date
        self.queries = 0

    def solve(self, *constraints: Any) -> Any | None:
        """A model of the constraints, or None when they are unsatisfiable."""
        z3 = self.z3
        s = z3.Solver()
        s.set("timeout", 20_000)
        s.add(*constraints)
        self.queries += 1
        res = s.check()
        if res == z3.sat:
            return s.model()
        if res == z3.unknown:
            raise CstosimError([Diagnostic("solver_unknown", Location(self.rules.file),
                                           "the solver could not decide a property within 20 s",
                                           "simplify the conditions or report this rules file")])
        return None

    def reading(self, name: str, tag: str = "") -> _Reading:
        return _Reading(self.z3, self.rules, name, tag)

    # -- incident scenarios
    def done(self, pid: str, findings: list[Finding], notes: tuple[str, ...] = (),
             queries: int | None = None) -> PropertyProof:
        """The proof of ``pid``; its query count is ``queries``, or all since the last one."""
        if queries is None:
            q, self.queries = self.queries, 0
        else:
            q, self.queries = queries, self.queries - queries
        return PropertyProof(pid, _MEANING[pid], q, tuple(findings), notes)


def incident_scenario(p: _Prover, prop: str, message: str, incidents: list[dict[str, Any]],
                      interpretation: str, expect: dict[str, Any]) -> tuple[str, Scenario]:
    data = {"as_of": max(i["start"] for i in incidents), "interpretations": [interpretation],
            "events": [{"incident": i} for i in incidents], "expect": expect}
    return _scenario_text(p.rules, prop, message, data, p.rules_ref)


def _target_actor(p: _Prover) -> tuple[str, str]:
    states = _states(p.rules)
    return states[0], states[1] if len(states) > 1 else states[0]


def classification_total(p: _Prover) -> PropertyProof:
    findings = []
    for name in p.readings:
        r = p.reading(name)
        model = p.solve(*r.all_constraints(), *[p.z3.Not(x) for x in r.matched.values()])
        if model is None:
            continue
        facts = _incident_facts(model, r.v, p.z3)
        msg = f"under `{name}` an incident with {_describe(facts)} matches no classification rule"
        target, actor = _target_actor(p)
        text, sc = incident_scenario(p, "classification_total", msg,
                                          [_incident("unlabelled", facts, actor, target, p.day)],
                                          name, {"properties": ["classification_total"]})
        out, _ = conclusions(p.rules, sc)
        replayed = any(c.label is None for c in out.classifications)
        findings.append(Finding("classification_total", msg, name, None, facts, text, replayed))
    return p.done("classification_total", findings)


def classification_unambiguous(p: _Prover) -> PropertyProof:
    if not p.rules.overlap_forbidden():
        return p.done("classification_unambiguous", [], (
            f"the overlap policy is `{p.rules.spec.classification_overlap}`: when rules "
            "with different labels match, the most severe label is taken",))
    findings = []
    for name in p.readings:
        r = p.reading(name)
        for i, a in enumerate(r.rules):
            for b in r.rules[i + 1:]:
                if a.label == b.label:
                    continue
                model = p.solve(*r.all_constraints(), r.matched[a.id], r.matched[b.id])
                if model is None:
                    continue
                facts = _incident_facts(model, r.v, p.z3)
                msg = (f"under `{name}` rules `{a.id}` ({a.label}) and `{b.id}` "
                       f"({b.label}) both match an incident with {_describe(facts)}, "
                       "and overlaps are forbidden")
                target, actor = _target_actor(p)
                text, sc = incident_scenario(
                    p, "classification_unambiguous", msg,
                    [_incident("overlap", facts, actor, target, p.day)], name,
                    {"properties": ["classification_unambiguous"]})
                out, _ = conclusions(p.rules, sc)
                replayed = any(set(c.also_matched) & {a.id, b.id} for c in out.classifications)
                findings.append(Finding("classification_unambiguous", msg, name, f"{a.id}+{b.id}",
                                        facts, text, replayed))
    return p.done("classification_unambiguous", findings)


def monotonicity(p: _Prover) -> PropertyProof:
    z3 = p.z3
    findings = []
    bumped = ("killed", "wounded", "captured", "days_on_territory", "depth_km", "duration_days")
    flags = ("requested_art2", "requested_art4")
    for name in p.readings:
        x, y = p.reading(name, "x."), p.reading(name, "y.")
        same = []
        for path in p.rules.schemas["classification"]:
            root, attr = path.split(".")
            if root != "incident" or attr == "casualties":
                continue
            a, b = x.v.get(path), y.v.get(path)
            if attr in bumped:
                same.append(b >= a)
            elif attr in flags:
                same.append(z3.Implies(a, b))
            else:
                same.append(a == b)
        model = p.solve(*x.all_constraints(), *y.all_constraints(), *same, y.rank < x.rank)
        if model is None:
            continue
        fx, fy = _incident_facts(model, x.v, z3), _incident_facts(model, y.v, z3)
        lx = p.rules.labels[_value(model, x.rank, z3)]
        ry = _value(model, y.rank, z3)
        ly = p.rules.labels[ry] if ry >= 0 else "no label"
        more = ", ".join(f"{k} {fx[k]} -> {fy[k]}" for k in (*bumped, *flags) if fx[k] != fy[k])
        msg = (f"under `{name}` an incident with {_describe(fx)} is `{lx}`, but with {more} "
               f"it is `{ly}`")
        target, actor = _target_actor(p)
        text, sc = incident_scenario(
            p, "monotonicity", msg,
            [_incident("milder", fx, actor, target, p.day),
             _incident("graver", fy, actor, target, p.day)], name,
            {"classifications": [{"incident": "graver", "interpretation": name, "label": lx}]})
        out, _ = conclusions(p.rules, sc)
        got = {c.incident: c.rank for c in out.classifications}
        replayed = got.get("graver", -1) < got.get("milder", -1)
        findings.append(Finding("monotonicity", msg, name, None, {"milder": fx, "graver": fy},
                                text, replayed))
    return p.done("monotonicity", findings)


def _commitment_vars(p: _Prover, r: _Reading, c: pg.Commitment) -> tuple[_Vars, list[Any]]:
    """Constants for a commitment's condition: the incident shared with the reading, the
    classification tied to the reading's symbolic label, the states free."""
    z3 = p.z3
    v = _Vars(z3, p.rules.schemas["commitment"], r.params, "")
    v.made.update(r.v.made)
    tie = [v.get("classification.rank") == r.rank]
    label = v.get("classification.label")
    tie.append(z3.Or(z3.And(r.rank == -1, label == z3.StringVal("")),
                     *[z3.And(r.rank == k, label == z3.StringVal(lab))
                       for k, lab in enumerate(p.rules.labels)]))
    return v, tie


def _labelled(p: _Prover, c: pg.Commitment, r: _Reading, bad: Any, prop: str,
              template: str) -> Finding | None:
    """A finding when commitment ``c`` can bind while ``bad`` (over the rank) holds;
    ``template`` words it, with ``{label}`` and ``{facts}`` filled in."""
    z3 = p.z3
    v, tie = _commitment_vars(p, r, c)
    when = formula(c.when, v)
    # A duty owed by the actor needs an actor (the engine finds no debtor otherwise).
    needs_actor = [r.v.get("incident.has_actor")] if c.owed_by == "actor" else []
    model = p.solve(*r.all_constraints(), *v.constraints, *_generic_domain(v), *tie, *needs_actor,
                       when, bad)
    if model is None:
        return None
    facts = _incident_facts(model, r.v, z3)
    rank = _value(model, r.rank, z3)
    label = p.rules.labels[rank] if rank >= 0 else "no label"
    msg = template.format(label=label, facts=_describe(facts))
    placed = _place(p, c, facts)
    if placed is None:
        return Finding(prop, msg + " (no baseline state binds it, so no scenario was written)",
                       r.name, c.id, facts)
    target, actor, day = placed
    text, sc = incident_scenario(
        p, prop, msg, [_incident("trigger", facts, actor, target, day)], r.name,
        {"obligations": [{"commitment": c.id, "interpretation": r.name, "present": False}]})
    out, _ = conclusions(p.rules, sc)
    replayed = any(o.commitment == c.id for o in out.obligations)
    return Finding(prop, msg, r.name, c.id, facts, text, replayed)


def _place(p: _Prover, c: pg.Commitment, facts: Mapping[str, Any]) -> tuple[str, str, dt.date] | None:
    """A target bound by the commitment, an actor and a date on which it is in force."""
    spec = c
    start = max(spec.start, p.day) if spec.until is None else spec.start
    if spec.until is not None and start >= spec.until:
        return None
    states = _states(p.rules)
    if spec.parties.states is not None:
        bound = list(spec.parties.states)
    else:
        assert spec.parties.body is not None and spec.parties.tier is not None
        tier = p.rules.tier(spec.parties.body, spec.parties.tier)
        if tier.in_force_from is not None:
            start = max(start, tier.in_force_from)
        bound = sorted({ms.state for ms in p.rules.spec.memberships
                        if ms.body == spec.parties.body and ms.tier == spec.parties.tier
                        and ms.status == "active" and ms.from_ <= start
                        and (ms.until is None or start < ms.until)})
    if not bound:
        return None
    target = bound[0]
    if spec.owed_by == "actor":
        others = [s for s in bound if s != target]
    else:
        others = [s for s in states if s not in bound] or [s for s in states if s != target]
    if not others:
        return None
    return target, others[0], start


def defence_on_aggression(p: _Prover) -> PropertyProof:
    top = len(p.rules.labels) - 1
    findings, notes = [], []
    for c in p.rules.commitments:
        if c.type != "defence" or not c.military:
            continue
        if c.judged_by != "interpretation":
            notes.append(f"`{c.id}` is judged by the victim's own opinion, as its text says, so "
                         "it is outside this property")
            continue
        for name in p.readings:
            r = p.reading(name)
            found = _labelled(
                p, c, r, r.rank != top, "defence_on_aggression",
                f"military defence commitment `{c.id}` binds under `{name}` on an incident "
                f"classified `{{label}}`, not `{p.rules.labels[top]}` ({{facts}})")
            if found:
                findings.append(found)
    return p.done("defence_on_aggression", findings, tuple(notes))


def obligation_needs_violation(p: _Prover) -> PropertyProof:
    findings = []
    for c in p.rules.commitments:
        for name in p.readings:
            r = p.reading(name)
            found = _labelled(
                p, c, r, r.rank <= 0, "obligation_needs_violation",
                f"commitment `{c.id}` binds under `{name}` on an incident classified "
                "`{label}` ({facts})")
            if found:
                findings.append(found)
    return p.done("obligation_needs_violation", findings)

# -- procedures


def _decision(p: _Prover, proc: pg.Procedure, stances: list[Any]) -> Any:
    """Whether the symbolic stances block a consensus under ``proc`` (as engine.decide)."""
    z3 = p.z3
    blocks = [k for k, on in (("object", proc.objection == "blocks"),
                              ("abstain", proc.abstention == "blocks"),
                              ("absent", proc.absence == "blocks")) if on]
    return z3.Or(*[s == z3.StringVal(k) for s in stances for k in blocks]) if blocks \
        else z3.BoolVal(False)


def procedures(p: _Prover) -> tuple[PropertyProof, PropertyProof]:
    z3 = p.z3
    veto, stay = [], []
    veto_q = 0
    for pid, proc in sorted(p.rules.program.procedures.items()):
        if proc.rule != "consensus":
            continue
        stances = [z3.String(f"{pid}.decider{i}") for i in range(3)]
        dom = [z3.Or(*[s == z3.StringVal(k) for k in ("support", "object", "abstain", "absent")])
               for s in stances]
        blocked = _decision(p, proc, stances)
        model = p.solve(*dom, z3.Or(*[s == z3.StringVal("object") for s in stances]),
                           z3.Not(blocked))
        if model is not None:
            got = [_value(model, s, z3) for s in stances]
            veto.append(_procedure_finding(
                p, "veto_blocks", pid, got, "object",
                f"under `{pid}` the stances {got} include an objection, yet the decision is "
                f"adopted (objection: {proc.objection})"))
        veto_q += 1
        model = p.solve(*dom, *[s != z3.StringVal("object") for s in stances], blocked)
        if model is not None:
            got = [_value(model, s, z3) for s in stances]
            kind = next(s for s in got if s in ("abstain", "absent"))
            field_ = "abstention" if kind == "abstain" else "absence"
            stay.append(_procedure_finding(
                p, "stay_out_does_not_block", pid, got, kind,
                f"under `{pid}` a member that is `{kind}` blocks a consensus decision "
                f"({field_}: blocks); consensus lets a member stay out without blocking, so "
                f"write `{field_}: does_not_block`, or `rule: unanimity` if every member must "
                "agree"))
    return (p.done("veto_blocks", veto, queries=veto_q),
            p.done("stay_out_does_not_block", stay))


def _procedure_finding(p: _Prover, prop: str, pid: str, stances: list[str], kind: str,
                       message: str) -> Finding:
    """Replay in the baseline world: an application to a tier decided by ``pid`` where some
    member holds the stance ``kind``, and the engine's decision shows the violation."""
    proc = p.rules.program.procedures[pid]
    for sc, text in _applications(p, prop, pid, message):
        out, _ = conclusions(p.rules, sc)
        for a in out.admissions:
            if a.gates_failed or not any(s.stance == kind for s in a.stances):
                continue
            if prop == "stay_out_does_not_block" and a.decision == "blocked" and not any(
                    s.stance == "object" for s in a.stances):
                return Finding(prop, message, None, pid, {"stances": stances}, text, True)
            if prop == "veto_blocks" and a.decision == "adopted":
                return Finding(prop, message, None, pid, {"stances": stances}, text, True)
    # The solver's stances show the flaw in the procedure even when no baseline member
    # takes that stance; say so rather than write a scenario that would pass.
    assert decide(proc, [Stance(f"M{i}", s, None, "") for i, s in enumerate(stances)])[0] \
        != ("adopted" if prop == "stay_out_does_not_block" else "blocked")
    return Finding(prop, message + " (no baseline member takes that stance, so no scenario "
                   "was written)", None, pid, {"stances": stances})


def _applications(p: _Prover, prop: str, pid: str, message: str) -> Iterator[tuple[Scenario, str]]:
    spec = p.rules.spec
    days = sorted({p.day, *(ms.from_ for ms in spec.memberships if ms.from_ <= p.day)},
                  reverse=True)[:6]
    for body, b in sorted(spec.bodies.items()):
        for tier, t in sorted(b.tiers.items()):
            if t.procedure != pid or t.status != "in_force":
                continue
            for day in days:
                if t.in_force_from is not None and day < t.in_force_from:
                    continue
                holders = {ms.state for ms in spec.memberships if ms.body == body
                           and ms.from_ <= day and (ms.until is None or day < ms.until)}
                for state in [s for s in _states(p.rules) if s not in holders][:8]:
                    data = {"as_of": day, "events": [{"application": {
                        "id": "apply", "state": state, "body": body, "tier": tier, "date": day}}],
                        # Gates pass in the replay, so the decision alone admits or not.
                        "expect": {"admissions": [{"application": "apply", "admitted":
                                                   prop == "stay_out_does_not_block"}]}}
                    try:
                        text, sc = _scenario_text(p.rules, prop, message, data, p.rules_ref)
                    except CstosimError:
                        continue
                    yield sc, text

# -- rules


def _rule_spaces(p: _Prover) -> Iterator[tuple[str, pg.Rule, Any, list[Any]]]:
    """(section, rule, formula, domain) for every non-classification rule, under the
    parameters the engine gives it."""
    params = dict(p.rules.params)
    for c in p.rules.commitments:
        for name in p.rules.spec.interpretations:
            reading = {**params, **p.rules.program.interpretations[name].params}
            v = _Vars(p.z3, p.rules.schemas["commitment"], reading, "")
            f = formula(c.when, v)
            yield "commitment", c, f, [*_incident_domain(v), *_generic_domain(v), *v.constraints]
    for g in p.rules.gates.values():
        v = _Vars(p.z3, p.rules.schemas[f"gate:{g.for_each}"], params, "")
        f = formula(g.when, v)
        yield "gate", g, f, [*_generic_domain(v), *v.constraints]
    for s in p.rules.stances:
        v = _Vars(p.z3, p.rules.schemas["stance"], params, "", free=_choices(p))
        f = formula(s.when, v)
        yield "stance", s, f, [*_generic_domain(v), *v.constraints]
    for t in p.rules.tensions:
        v = _Vars(p.z3, p.rules.schemas[f"tension:{t.scope}:{t.for_each}"],
                  params, "")
        f = formula(t.when, v)
        dom = [*_generic_domain(v), *v.constraints]
        if t.scope != "admission":
            dom += _incident_domain(v)
        yield "tension", t, f, dom


def _choices(p: _Prover) -> dict[str, list[str]]:
    """Parameters with `choices`: a user switches them, so a rule they select is reachable
    when some choice selects it."""
    return {k: list(x.choices) for k, x in p.rules.spec.parameters.items() if x.choices}


def reachability(p: _Prover) -> tuple[PropertyProof, PropertyProof]:
    z3 = p.z3
    unreachable, shadowed = [], []
    shadow_q = 0
    readings = [p.reading(n) for n in p.rules.spec.interpretations]
    for rule in p.rules.classification:
        reach = decides = False
        for r in readings:
            if rule.id not in r.matched:
                continue
            if not reach and p.solve(*r.all_constraints(), r.matched[rule.id]) is not None:
                reach = True
            k = p.rules.rank[rule.label]
            beaten = []
            for j, o in enumerate(r.rules):
                ko = p.rules.rank[o.label]
                if o is rule:
                    continue
                if ko > k or (ko == k and j < r.rules.index(rule)):
                    beaten.append(r.matched[o.id])
            if not reach:
                continue
            shadow_q += 1
            if p.solve(*r.all_constraints(), r.matched[rule.id],
                          *[z3.Not(b) for b in beaten]) is not None:
                decides = True
                break
        if not reach:
            unreachable.append(Finding("rule_reachable", f"classification rule `{rule.id}` matches "
                                       "no incident under any reading", None, rule.id))
        elif not decides:
            shadowed.append(Finding("rule_not_shadowed",
                                    f"classification rule `{rule.id}` never decides a label: "
                                    "whenever it matches, a more severe (or earlier) rule "
                                    "matches too", None, rule.id))
    seen_commitments: set[str] = set()
    reached_commitments: set[str] = set()
    for section, spaced, f, dom in _rule_spaces(p):
        if section == "commitment":
            seen_commitments.add(spaced.id)
            if spaced.id not in reached_commitments and p.solve(*dom, f) is not None:
                reached_commitments.add(spaced.id)
            continue
        if p.solve(*dom, f) is None:
            unreachable.append(Finding("rule_reachable", f"{section} rule `{spaced.id}` holds for "
                                       "no input", None, spaced.id))
    for cid in sorted(seen_commitments - reached_commitments):
        unreachable.append(Finding("rule_reachable", f"commitment `{cid}` binds on no incident "
                                   "under any reading", None, cid))
    # Stances: the first matching rule gives the stance.
    v = _Vars(z3, p.rules.schemas["stance"], dict(p.rules.params), "")
    dom = [*_generic_domain(v)]
    forms = [formula(s.when, v) for s in p.rules.stances]
    dom += v.constraints
    for i, s in enumerate(p.rules.stances):
        if p.solve(*dom, forms[i]) is None:
            continue  # reported as unreachable above
        shadow_q += 1
        if p.solve(*dom, forms[i], *[z3.Not(x) for x in forms[:i]]) is None:
            earlier = ", ".join(f"`{x.id}`" for x in p.rules.stances[:i])
            shadowed.append(Finding("rule_not_shadowed", f"stance rule `{s.id}` never applies: "
                                    f"an earlier stance rule ({earlier}) always matches first",
                                    None, s.id))
    return (p.done("rule_reachable", unreachable, queries=p.queries - shadow_q),
            p.done("rule_not_shadowed", shadowed))


def _describe(facts: Mapping[str, Any]) -> str:
    """The facts of a model incident, briefly: the true flags and the non-zero numbers."""
    flags = [k for k, v in facts.items() if v is True]
    # A one-day incident is the default; only a longer one is worth saying.
    nums = [f"{k} {v:g}" for k, v in facts.items() if not isinstance(v, bool) and v
            and not (k == "duration_days" and v == 1)]
    return ", ".join([*flags, *nums]) or "no facts set"


def prove_rules(rules: CompiledRules, *, only: Sequence[str] = (),
                interpretations: Sequence[str] = (), rules_ref: str | None = None,
                scenario_date: dt.date = dt.date(2025, 1, 1)) -> list[PropertyProof]:
    """Decide every property (or those in ``only``) for each reading (or those named).

    ``rules_ref`` is the rules file as counterexample scenarios should name it; None for the
    bundled rules. ``scenario_date`` dates the incidents of counterexample scenarios."""
    p = _Prover(rules, interpretations or tuple(rules.spec.interpretations), rules_ref, scenario_date)
    want = set(only or PROOF_IDS)
    results: list[PropertyProof] = []
    single: dict[str, Callable[[_Prover], PropertyProof]] = {
        "classification_total": classification_total,
        "classification_unambiguous": classification_unambiguous,
        "monotonicity": monotonicity,
        "defence_on_aggression": defence_on_aggression,
        "obligation_needs_violation": obligation_needs_violation,
    }
    for pid, run in single.items():
        if pid in want:
            results.append(run(p))
    if want & {"veto_blocks", "stay_out_does_not_block"}:
        results += [r for r in procedures(p) if r.id in want]
    if want & {"rule_reachable", "rule_not_shadowed"}:
        results += [r for r in reachability(p) if r.id in want]
    order = {pid: i for i, pid in enumerate(PROOF_IDS)}
    return sorted(results, key=lambda r: order[r.id])
