"""``cstosim explain``: why a conclusion arose, or why it did not and what would change that.

``why`` filters the reasons the Report already records (rule, article, facts,
leaf comparisons, the classification and the cascade step behind an
obligation). ``why_not`` traces the commitment or classification rules that did
not fire, lists the comparisons that failed with their values, and searches for
the smallest change of facts or parameters that makes the conclusion arise, by
re-evaluating the scenario with each candidate change. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations
from typing import Any, Literal

from cstosim import model as m
from cstosim.api import Scenario
from cstosim.compile import CompiledRules
from cstosim.conditions import OPERATORS, LeafResult, jsonable
from cstosim.engine import conclusions, trace_commitment, trace_label
from cstosim.errors import CstosimError, Diagnostic, Location, did_you_mean
from cstosim.report import Report

_WHERE = Location("<command line>")
_OBLIGATION = re.compile(r"(?P<c>\w+):(?P<d>[A-Z]{3})->(?P<v>[A-Z]{3}):(?P<i>\w+)@(?P<n>\w+)\Z")
_CLASSIFICATION = re.compile(r"(?P<i>\w+)@(?P<n>\w+)=(?P<label>\w+)\Z")


@dataclass(frozen=True)
class WhyNot:
    """Why a conclusion did not arise."""

    target: str
    arose: bool
    reasons: tuple[str, ...]
    failed: tuple[LeafResult, ...]
    fixes: tuple[str, ...]


def _fmt(v: Any) -> str:
    j = jsonable(v)
    return ("true" if j else "false") if isinstance(j, bool) else str(j)


def why(report: Report, ident: str) -> list[str]:
    """The chain of rules, facts and articles behind one conclusion, as readable lines."""
    obligations = {o.id: o for o in report.obligations}
    tensions = {t.id: t for t in report.tensions}
    classes = {c.id: c for c in report.classifications}
    if ident in obligations:
        lines: list[str] = []
        o = obligations.get(ident)
        while o is not None:
            lines.append(f"{o.debtor} owes {o.creditor} {o.type} ({o.strength}) under "
                         f"{o.treaty}, {o.article}: {o.meaning}")
            lines.append(f"  source: {o.source}")
            whose = "in the victim's opinion" if o.judged_by == "victim" else f"under {o.interpretation}"
            lines.append(f"  because `{o.incident}` reads as `{o.label}` ({whose})")
            lines += [f"  {'yes' if x.result else 'no '} {x.text}  [{_fmt(x.left)} vs {_fmt(x.right)}]"
                      for x in o.leaves]
            if o.depth == 0:
                c = classes.get(f"{o.incident}@{o.interpretation}")
                if c is not None:
                    lines += [f"`{o.incident}` is `{c.label}` under {c.interpretation} by rule "
                              f"`{c.rule}`: {c.meaning}", f"  source: {c.source}"]
                    lines += [f"  {'yes' if x.result else 'no '} {x.text}  "
                              f"[{_fmt(x.left)} vs {_fmt(x.right)}]" for x in c.leaves]
                break
            lines.append(f"set off (cascade step {o.depth}) by:")
            o = obligations.get(o.via or "")
        return lines
    if ident in tensions:
        t = tensions[ident]
        lines = [f"[{t.severity}] {t.kind} between {', '.join(t.parties)}: {t.meaning}",
                 f"  rule `{t.rule}`; source: {t.source}"]
        lines += [f"  fact {k} = {_fmt(v)}" for k, v in t.facts]
        lines += [f"  {'yes' if x.result else 'no '} {x.text}  [{_fmt(x.left)} vs {_fmt(x.right)}]"
                  for x in t.leaves]
        return lines
    if ident in classes:
        c = classes[ident]
        lines = [f"`{c.incident}` is `{c.label}` under {c.interpretation} by rule `{c.rule}`: "
                 f"{c.meaning}", f"  source: {c.source}"]
        if c.also_matched:
            lines.append(f"  also matched (less severe or later): {', '.join(c.also_matched)}")
        lines += [f"  {'yes' if x.result else 'no '} {x.text}  [{_fmt(x.left)} vs {_fmt(x.right)}]"
                  for x in c.leaves]
        return lines
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
    _check_ids(rules, scenario, match.group("i"), match.group("n"), incidents)
    if ob:
        if ob.group("c") not in {c.id for c in rules.commitments} | {
                r.id for r in scenario.added_commitments}:
            raise CstosimError([Diagnostic("unknown_commitment", _WHERE,
                                           f"unknown commitment `{ob.group('c')}`",
                                           did_you_mean(ob.group("c"), [c.id for c in rules.commitments]))])
        if ob.group("d") not in rules.spec.states:
            raise CstosimError([Diagnostic("unknown_state", _WHERE,
                                           f"unknown state `{ob.group('d')}` as the debtor",
                                           did_you_mean(ob.group("d"), rules.spec.states))])
        if incidents[ob.group("i")].target != ob.group("v"):
            raise CstosimError([Diagnostic(
                "bad_target", _WHERE, f"`{ob.group('i')}` targets `{incidents[ob.group('i')].target}`, "
                f"not `{ob.group('v')}`", "obligations from an incident are owed to its target")])
        reasons, leaves = trace_commitment(rules, scenario, ob.group("c"), ob.group("d"),
                                           ob.group("i"), ob.group("n"))

        def arises(sc: Scenario) -> bool:
            out, _ = conclusions(rules, sc)
            return any(o.id == target for o in out.obligations)
    else:
        assert cl is not None
        label = cl.group("label")
        if label not in rules.labels:
            raise CstosimError([Diagnostic("unknown_label", _WHERE, f"unknown label `{label}`",
                                           did_you_mean(label, rules.labels))])
        out0, _ = conclusions(rules, scenario, explain="full")
        got = next(c for c in out0.classifications if c.id == f"{cl.group('i')}@{cl.group('n')}")
        reasons = [f"`{got.incident}` is `{got.label}` under {got.interpretation} by rule `{got.rule}`"]
        leaves = tuple(trace_label(rules, scenario, cl.group("i"), cl.group("n"), label))

        def arises(sc: Scenario) -> bool:
            out, _ = conclusions(rules, sc)
            return any(c.id == f"{cl.group('i')}@{cl.group('n')}" and c.label == label
                       for c in out.classifications)

    if arises(scenario):
        return WhyNot(target, True, ("it does arise; use --why",), (), ())
    failed = tuple(x for x in leaves if not x.result)
    # Classification leaves are reached through the classification rules of the wanted label.
    pool = list(failed)
    if ob and any(x.text.startswith("classification.") for x in failed):
        wanted = [x for x in failed if x.text.startswith("classification.")]
        for lab in _labels_satisfying(rules, wanted):
            pool += [x for x in trace_label(rules, scenario, ob.group("i"), ob.group("n"), lab)
                     if not x.result]
    candidates = _candidates(pool, rules, scenario, match.group("i"), match.group("n"))
    fixes: list[str] = []
    for size in range(1, max_changes + 1):
        for combo in combinations(candidates, size):
            sc = scenario
            for _, apply in combo:
                sc = apply(sc)
            if arises(sc):
                fixes.append(" and ".join(desc for desc, _ in combo))
        if fixes:
            break
    return WhyNot(target, False, tuple(reasons), failed, tuple(dict.fromkeys(fixes)))


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


_Change = tuple[str, Any]


def _candidates(failed: list[LeafResult], rules: CompiledRules, scenario: Scenario,
                incident: str, interp: str) -> list[_Change]:
    """Single changes of a fact or a parameter that would make one failed comparison hold."""
    out: dict[str, Any] = {}
    fixed_by_reading = set(rules.spec.interpretations[interp].params)
    for x in failed:
        parts = x.text.split(None, 2)
        path, op = parts[0], parts[1]
        value = _satisfying(op, x.left, x.right)
        if value is None:
            continue
        root, field = path.split(".")
        if root == "incident":
            apply = _fact_change(incident, field, value)
            if apply is not None:
                out.setdefault(_fact_text(incident, field, value), apply)
        elif root == "params" and field not in fixed_by_reading:
            out.setdefault(f"parameter `{field}` were {_fmt(value)} (now {_fmt(x.left)})",
                           _param_change(field, value))
    return sorted(out.items())


def _satisfying(op: str, left: Any, right: Any) -> Any:
    if isinstance(right, bool):
        return right if op == "==" else (not right if op == "!=" else None)
    if isinstance(right, (int, float)) and isinstance(left, (int, float)):
        step = 1 if isinstance(right, int) else 0.5
        return {">=": right, ">": right + step, "<=": right, "<": right - step, "==": right}.get(op)
    return None


def _fact_text(incident: str, field: str, value: Any) -> str:
    if field in ("requested_art2", "requested_art4") and value:
        return f"the target had requested assistance under Art. {field[-1]} in `{incident}`"
    return f"`{incident}` had {field.replace('_', ' ')} = {_fmt(value)}"


def _fact_change(incident: str, field: str, value: Any) -> Any:
    settable = set(m.Incident.model_fields) - {"id", "actor", "target", "locations", "start", "end",
                                                 "requests", "source", "note"}
    if field not in settable and field not in ("requested_art2", "requested_art4"):
        return None

    def apply(sc: Scenario) -> Scenario:
        events = []
        for e in sc.spec.events:
            if e.incident and e.incident.id == incident:
                inc = e.incident
                if field.startswith("requested_"):
                    article: Literal["art2", "art4"] = "art2" if field.endswith("2") else "art4"
                    update: dict[str, Any] = {"requests": [*inc.requests, m.Request(
                        article=article, date=inc.start)]}
                else:
                    update = {field: int(value) if isinstance(getattr(inc, field), int) and not
                              isinstance(getattr(inc, field), bool) else value}
                e = m.Event(incident=inc.model_copy(update=update))
            events.append(e)
        return Scenario(sc.spec.model_copy(update={"events": events}), sc.file, sc.added_commitments)

    return apply


def _param_change(field: str, value: Any) -> Any:
    def apply(sc: Scenario) -> Scenario:
        return Scenario(sc.spec.model_copy(update={"params": {**sc.spec.params, field: value}}),
                        sc.file, sc.added_commitments)

    return apply
