"""``cstosim diff``: two evaluations side by side.

Compares two scenarios, or one scenario under two rules files, two sets of
parameters or two interpretations. Conclusions are matched by id; when the two
sides use different interpretations, ids are matched with the interpretation
part set aside. The causes list names every input that differs. Pure; the text is
written by :mod:`cstosim.render.diff`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cstosim.api import Scenario, evaluate
from cstosim.compile import CompiledRules
from cstosim.difference import difference
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
        out_b = _rename(out_b, rb.interpretations[0], ra.interpretations[0])
    return ra, rb, difference(ra.outcome, out_b, causes(a, b, ra, rb))


def causes(a: Side, b: Side, ra: Report, rb: Report) -> tuple[Reason, ...]:
    """The inputs that differ between the two sides."""
    out: list[Reason] = []
    if a.rules.file != b.rules.file:
        out.append(reason("rules_differ", a=a.rules.file, b=b.rules.file))
    if a.scenario.file != b.scenario.file:
        out.append(reason("scenario_differs", a=a.scenario.file, b=b.scenario.file))
    sa, sb = a.scenario.spec, b.scenario.spec
    if sa.as_of != sb.as_of:
        out.append(reason("as_of_differs", a=sa.as_of, b=sb.as_of))
    ca = {c.model_dump_json() for c in sa.changes}
    cb = {c.model_dump_json() for c in sb.changes}
    out += [reason("change_only_in", side="A", change=c) for c in sorted(ca - cb)]
    out += [reason("change_only_in", side="B", change=c) for c in sorted(cb - ca)]
    ea = {e.model_dump_json() for e in sa.events}
    eb = {e.model_dump_json() for e in sb.events}
    out += [reason("event_only_in", side="A", event=e) for e in sorted(ea - eb)]
    out += [reason("event_only_in", side="B", event=e) for e in sorted(eb - ea)]
    pa, pb = dict(ra.params), dict(rb.params)
    for k in sorted(set(pa) | set(pb)):
        if pa.get(k) != pb.get(k):
            out.append(reason("parameter_differs", name=k, a=pa.get(k, "default"),
                              b=pb.get(k, "default")))
    if ra.interpretations != rb.interpretations:
        out.append(reason("interpretations_differ", a=ra.interpretations, b=rb.interpretations))
    return tuple(out)
