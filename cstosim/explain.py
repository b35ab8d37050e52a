"""``cstosim explain``: why a conclusion arose, or why it did not and what would change that.

Both are filters over what evaluation recorded. ``why`` picks a conclusion and
the conclusions behind it out of the Report (rule, article, facts, leaf
comparisons, the classification and the cascade step behind an obligation).
``why_not`` evaluates with explain on and filters the record of every rule
tested (:class:`~cstosim.report.Tested`, :class:`~cstosim.report.Considered`)
for the rules that would have produced the conclusion: what kept each from
holding, leaf by leaf (:meth:`~cstosim.conditions.Trace.blockers`), and the
structural reasons (not in force, not a party). It then searches for the
smallest change of facts or parameters that makes the conclusion arise, by
evaluating the scenario with each candidate change. Pure: no I/O; the text is
written by :mod:`cstosim.render.explain`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

from cstosim import model as m
from cstosim.api import Scenario, conclusions
from cstosim.compile import CompiledRules
from cstosim.conditions import OPERATORS, LeafResult
from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
from cstosim.report import Classification, Considered, Obligation, Reason, Report, Tension, Tested, reason

_WHERE = Location("<command line>")
_OBLIGATION = re.compile(r"(?P<c>\w+):(?P<d>[A-Z]{3})->(?P<v>[A-Z]{3}):(?P<i>\w+)@(?P<n>\w+)\Z")
_CLASSIFICATION = re.compile(r"(?P<i>\w+)@(?P<n>\w+)=(?P<label>\w+)\Z")


@dataclass(frozen=True)
class Why:
    """A conclusion that arose and what it rests on: for an obligation, the chain of
    cascade steps back to the incident and the classification that set it off."""

    conclusion: Obligation | Tension | Classification
    chain: tuple[Obligation, ...] = ()
    classification: Classification | None = None


@dataclass(frozen=True)
class Blocker:
    """A leaf comparison that kept a rule from holding, and the result it would need."""

    rule: str
    leaf: LeafResult
    want: bool


@dataclass(frozen=True)
class Fix:
    """One change of a fact or parameter: ``kind`` is `fact`, `request` or `parameter`."""

    kind: str
    field: str
    value: Any
    now: Any = None
    incident: str | None = None


@dataclass(frozen=True)
class WhyNot:
    """Why a conclusion did not arise."""

    target: str
    arose: bool
    reasons: tuple[Reason, ...]
    blockers: tuple[Blocker, ...]
    fixes: tuple[tuple[Fix, ...], ...]


def why(report: Report, ident: str) -> Why:
    """The conclusion ``ident`` and the conclusions it rests on."""
    obligations = {o.id: o for o in report.obligations}
    tensions = {t.id: t for t in report.tensions}
    classes = {c.id: c for c in report.classifications}
    if ident in obligations:
        chain: list[Obligation] = []
        o: Obligation | None = obligations[ident]
        while o is not None:
            chain.append(o)
            if o.depth == 0:
                break
            o = obligations.get(o.via or "")
        first = chain[-1]
        cls = classes.get(f"{first.incident}@{first.interpretation}") if first.depth == 0 else None
        return Why(chain[0], tuple(chain), cls)
    if ident in tensions:
        return Why(tensions[ident])
    if ident in classes:
        return Why(classes[ident])
    raise CstosimError([Diagnostic("unknown_conclusion", _WHERE, f"no conclusion `{ident}` in the report",
                                   did_you_mean(ident, [*obligations, *tensions, *classes]))])


def why_not(rules: CompiledRules, scenario: Scenario, target: str, max_changes: int = 2) -> WhyNot:
    """Explain a conclusion that did not arise.

    ``target`` is an obligation id (``COMMITMENT:DEBTOR->CREDITOR:INCIDENT@INTERPRETATION``)
    or a classification (``INCIDENT@INTERPRETATION=LABEL``)."""
    ob = _OBLIGATION.match(target)
    cl = _CLASSIFICATION.match(target)
    incidents = {e.incident.id: e.incident for e in scenario.spec.events if e.incident}
    if not (ob or cl):
        raise CstosimError([Diagnostic(
            "bad_target", _WHERE, f"cannot read `{target}` as an obligation or a classification",
            "write COMMITMENT:DEBTOR->CREDITOR:INCIDENT@INTERPRETATION, e.g. "
            "`cst_art4_2010:RUS->ARM:syunik_2021@victim`, or INCIDENT@INTERPRETATION=LABEL")])
    match = ob or cl
    assert match is not None
    iid, interp = match.group("i"), match.group("n")
    _check_ids(rules, scenario, iid, interp, incidents)
    out, _ = conclusions(rules, scenario, explain="full")
    record = out.record
    reasons: list[Reason] = []
    blockers: list[Blocker]
    if ob:
        commitment, debtor, victim = ob.group("c"), ob.group("d"), ob.group("v")
        known = {c.id: c for c in (*rules.commitments, *scenario.added_commitments)}
        if commitment not in known:
            raise CstosimError([Diagnostic("unknown_commitment", _WHERE,
                                           f"unknown commitment `{commitment}`",
                                           did_you_mean(commitment, [c.id for c in rules.commitments]))])
        if debtor not in m.iso_states():
            raise CstosimError([Diagnostic("unknown_state", _WHERE,
                                           f"unknown state `{debtor}` as the debtor",
                                           did_you_mean(debtor, m.iso_states()))])
        inc = incidents[iid]
        if inc.target != victim:
            raise CstosimError([Diagnostic(
                "bad_target", _WHERE, f"`{iid}` targets `{inc.target}`, not `{victim}`",
                "obligations from an incident are owed to its target")])
        arose = any(o.id == target for o in out.obligations)
        c = known[commitment]
        considered = next((x for x in record if isinstance(x, Considered) and x.depth == 0
                           and (x.commitment, x.incident, x.interpretation) == (commitment, iid, interp)),
                          None)
        reasons = _structural(c, considered, debtor, inc)
        blockers = _blockers(record, "commitment", rule=commitment, incident=iid,
                             interpretation=interp, debtor=debtor, depth=0)
        # Classification leaves are reached through the classification rules of the wanted label.
        wanted = [b.leaf for b in blockers if b.leaf.text.startswith("classification.")]
        pool = list(blockers)
        for lab in _labels_satisfying(rules, wanted):
            pool += _blockers(record, "classification", incident=iid, interpretation=interp,
                              label=lab)

        def arises(sc: Scenario) -> bool:
            found, _ = conclusions(rules, sc)
            return any(o.id == target for o in found.obligations)
    else:
        assert cl is not None
        label = cl.group("label")
        if label not in rules.labels:
            raise CstosimError([Diagnostic("unknown_label", _WHERE, f"unknown label `{label}`",
                                           did_you_mean(label, rules.labels))])
        got = next(x for x in out.classifications if x.id == f"{iid}@{interp}")
        arose = got.label == label
        reasons = [reason("classified_as", incident=got.incident, label=got.label,
                          interpretation=got.interpretation, rule=got.rule)]
        blockers = _blockers(record, "classification", incident=iid, interpretation=interp,
                             label=label)
        pool = list(blockers)

        def arises(sc: Scenario) -> bool:
            found, _ = conclusions(rules, sc)
            return any(x.id == f"{iid}@{interp}" and x.label == label for x in found.classifications)

    if arose:
        return WhyNot(target, True, (reason("it_arises"),), (), ())
    candidates = _candidates(pool, rules, iid, interp)
    fixes: list[tuple[Fix, ...]] = []
    for size in range(1, max_changes + 1):
        for combo in combinations(candidates, size):
            if arises(_applied(scenario, combo)):
                fixes.append(combo)
        if fixes:
            break
    return WhyNot(target, False, tuple(reasons), tuple(blockers), tuple(dict.fromkeys(fixes)))


def _blockers(record: tuple[Any, ...], kind: str, rule: str | None = None,
              **subject: Any) -> list[Blocker]:
    """What kept each recorded test of ``kind`` on ``subject`` from holding."""
    out: list[Blocker] = []
    for t in record:
        if isinstance(t, Tested) and t.kind == kind and (rule is None or t.rule == rule) \
                and t.about(**subject):
            out += [Blocker(t.rule, leaf, want) for leaf, want in t.trace.blockers()]
    return out


def _structural(c: Any, considered: Considered | None, debtor: str, inc: m.Incident) -> list[Reason]:
    """Why a commitment could not bind ``debtor`` towards the incident's target."""
    d = inc.start
    out: list[Reason] = []
    if not c.in_force(d):
        out.append(reason("commitment_not_in_force", commitment=c.id, date=d, start=c.start,
                          until=c.until))
    bound = considered.bound if considered is not None else ()
    if considered is None or inc.target not in bound:
        out.append(reason("victim_not_bound", victim=inc.target, commitment=c.id, date=d))
    if c.owed_by == "actor" and debtor != inc.actor:
        out.append(reason("owed_by_actor_only", commitment=c.id, actor=inc.actor, debtor=debtor))
    elif considered is not None and c.in_force(d) and debtor not in bound:
        out.append(reason("debtor_not_bound", debtor=debtor, commitment=c.id, date=d))
    if c.owed_by == "other_parties" and debtor in (inc.target, inc.actor):
        out.append(reason("no_self_assistance", debtor=debtor))
    return out


def _check_ids(rules: CompiledRules, scenario: Scenario, incident: str, interp: str,
               incidents: dict[str, m.Incident]) -> None:
    if incident not in incidents:
        raise CstosimError([Diagnostic("unknown_incident", _WHERE,
                                       f"no incident `{incident}` in the scenario",
                                       did_you_mean(incident, incidents))])
    if interp not in rules.spec.interpretations:
        raise CstosimError([Diagnostic("unknown_interpretation", _WHERE,
                                       f"unknown interpretation `{interp}`",
                                       did_you_mean(interp, rules.spec.interpretations))])
    evaluated = scenario.spec.interpretations or list(rules.spec.interpretations)
    if interp not in evaluated:
        raise CstosimError([Diagnostic(
            "interpretation_not_evaluated", _WHERE,
            f"the scenario evaluates only {', '.join(evaluated)}, not `{interp}`",
            f"add `{interp}` to the scenario's `interpretations`, or pass --interpretation {interp}")])


def _labels_satisfying(rules: CompiledRules, leaves: list[LeafResult]) -> list[str]:
    """Labels that would satisfy the failed classification comparisons."""
    out = []
    for lab in rules.labels:
        ok = True
        for x in leaves:
            value = lab if x.text.startswith("classification.label") else rules.rank[lab]
            op = x.text.split()[1]
            ok &= _compare(value, op, x.right)
        if ok:
            out.append(lab)
    return out


def _compare(a: Any, op: str, b: Any) -> bool:
    try:
        return bool(OPERATORS[op](a, b))
    except TypeError:
        return False


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<",
            "in": "not_in", "not_in": "in"}
_SETTABLE = frozenset(m.Incident.model_fields) - {"id", "actor", "target", "locations", "start",
                                                  "end", "requests", "source", "note"}


def _candidates(blockers: list[Blocker], rules: CompiledRules, incident: str,
                interp: str) -> list[Fix]:
    """Single changes of a fact or a parameter that would make one blocking comparison
    give the result it needs."""
    # One candidate per field *and value*: several rules compare one fact with different
    # thresholds (killed >= 5 in one, > 10 in another), and each value is a different fix.
    out: dict[tuple[str, str, str], Fix] = {}
    for b in blockers:
        x = b.leaf
        path, op = x.text.split(None, 2)[:2]
        value = _satisfying(op if b.want else _NEGATED[op], x.left, x.right)
        if value is None:
            continue
        root, field = path.split(".")
        if root == "incident":
            if field in ("requested_art2", "requested_art4"):
                if value:
                    out.setdefault(("request", field, ""), Fix("request", field, True, x.left,
                                                               incident))
            elif field in _SETTABLE:
                out.setdefault(("fact", field, repr(value)),
                               Fix("fact", field, value, x.left, incident))
        elif root == "params":
            out.setdefault(("parameter", field, repr(value)), Fix("parameter", field, value, x.left))
    return [out[k] for k in sorted(out)]


def _satisfying(op: str, left: Any, right: Any) -> Any:
    if isinstance(right, bool):
        return right if op == "==" else (not right if op == "!=" else None)
    if isinstance(right, (int, float)) and isinstance(left, (int, float)):
        step = 1 if isinstance(right, int) else 0.5
        return {">=": right, ">": right + step, "<=": right, "<": right - step, "==": right}.get(op)
    return None


def _applied(scenario: Scenario, fixes: tuple[Fix, ...]) -> Scenario:
    """The scenario with each fix made."""
    spec = scenario.spec
    for fix in fixes:
        if fix.kind == "parameter":
            scenario = scenario.with_overrides({fix.field: fix.value})
            continue
        events = []
        for e in spec.events:
            if e.incident and e.incident.id == fix.incident:
                inc = e.incident
                if fix.kind == "request":
                    article: Literal["art2", "art4"] = "art2" if fix.field.endswith("2") else "art4"
                    update: dict[str, Any] = {"requests": [*inc.requests, m.Request(
                        article=article, date=inc.start)]}
                else:
                    current = getattr(inc, fix.field)
                    whole = isinstance(current, int) and not isinstance(current, bool)
                    update = {fix.field: int(fix.value) if whole else fix.value}
                e = m.Event(incident=inc.model_copy(update=update))
            events.append(e)
        spec = spec.model_copy(update={"events": events})
    return scenario.with_spec(spec)

