"""``cstosim diff``: two evaluations side by side.

Compares two scenarios, or one scenario under two rules files, two sets of
parameters or two interpretations. Conclusions are matched by id; when the two
sides use different interpretations, ids are matched with the interpretation
part set aside. The causes list names every input that differs. Pure; the text is
written by :mod:`cstosim.render.diff`.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

from cstosim import program as pg
from cstosim.api import Scenario, evaluate
from cstosim.compile import CompiledRules
from cstosim.difference import difference
from cstosim.evaluate import change_fields
from cstosim.report import Difference, Outcome, Reason, Report, reason


@dataclass(frozen=True)
class Side:
    """One side of a comparison: rules, scenario, parameter overrides, interpretations."""

    rules: CompiledRules
    scenario: Scenario
    params: dict[str, Any]
    interpretations: tuple[str, ...] | None = None

    def label(self) -> str:
        return self.scenario.file


def _rename(out: Outcome, old: str, new: str) -> Outcome:
    """Re-key one interpretation's conclusions under another name, to compare readings."""
    return replace(
        out,
        classifications=tuple(replace(c, interpretation=new) if c.interpretation == old else c
                              for c in out.classifications),
        obligations=tuple(replace(o, id=o.id.replace(f"@{old}", f"@{new}"), interpretation=new)
                          if o.interpretation == old else o for o in out.obligations),
        tensions=tuple(replace(t, id=t.id.replace(f"@{old}", f"@{new}"), interpretation=new)
                       if t.interpretation == old else t for t in out.tensions))


def compare(a: Side, b: Side) -> tuple[Report, Report, Difference]:
    """Evaluate both sides and the difference from A to B."""
    ra = evaluate(a.rules, a.scenario, explain="off", params=a.params,
                  interpretations=a.interpretations)
    rb = evaluate(b.rules, b.scenario, explain="off", params=b.params,
                  interpretations=b.interpretations)
    out_b = rb.outcome
    if (len(ra.interpretations) == 1 and len(rb.interpretations) == 1
            and ra.interpretations != rb.interpretations):
        # One reading against another: B's conclusions are matched to A's under A's name;
        # the difference records both readings, so renderers label each side with its own.
        out_b = _rename(out_b, rb.interpretations[0], ra.interpretations[0])
    d = difference(ra.outcome, out_b, causes(a, b, ra, rb), sides=("A", "B"),
                   readings=(ra.interpretations, rb.interpretations))
    return ra, rb, d


def causes(a: Side, b: Side, ra: Report, rb: Report) -> tuple[Reason, ...]:
    """The inputs that differ between the two sides."""
    out: list[Reason] = []
    if a.rules.file != b.rules.file:
        out.append(reason("rules_differ", a=a.rules.file, b=b.rules.file))
    if a.scenario.file != b.scenario.file:
        out.append(reason("scenario_differs", a=a.scenario.file, b=b.scenario.file))
    ka, kb = a.scenario.case, b.scenario.case
    if ka.as_of != kb.as_of:
        out.append(reason("as_of_differs", a=ka.as_of, b=kb.as_of))
    ca = {c.tiebreak: c for c in ka.changes}
    cb = {c.tiebreak: c for c in kb.changes}
    for side, mine, theirs in (("A", ca, cb), ("B", cb, ca)):
        out += [reason("change_only_in", side=side, **change_fields(mine[k].what))
                for k in sorted(set(mine) - set(theirs))]
    ea = {e.id: e for e in ka.events}
    eb = {e.id: e for e in kb.events}
    for ident in sorted(set(ea) | set(eb)):
        x, y = ea.get(ident), eb.get(ident)
        kind = "incident" if isinstance(x or y, pg.Incident) else "application"
        if y is None or x is None:
            out.append(reason("event_only_in", event=kind, id=ident, side="A" if y is None else "B"))
        elif x != y:
            changed = tuple((f.name, getattr(x, f.name), getattr(y, f.name)) for f in fields(x)
                            if type(x) is type(y) and getattr(x, f.name) != getattr(y, f.name))
            out.append(reason("event_differs", event=kind, id=ident, changes=changed))
    pa, pb = dict(ra.params), dict(rb.params)
    for k in sorted(set(pa) | set(pb)):
        if pa.get(k) != pb.get(k):
            out.append(reason("parameter_differs", name=k, a=pa.get(k), b=pb.get(k)))
    if ra.interpretations != rb.interpretations:
        out.append(reason("interpretations_differ", a=ra.interpretations, b=rb.interpretations))
    return tuple(out)
