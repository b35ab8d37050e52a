"""``cstosim diff``: two evaluations side by side.

Compares two scenarios, or one scenario under two rules files, two sets of
parameters or two interpretations. Conclusions are matched by id; when the two
sides use different interpretations, ids are matched with the interpretation
part set aside. The causes list names every input that differs. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from cstosim.api import Scenario
from cstosim.compile import CompiledRules
from cstosim.engine import difference, evaluate
from cstosim.report import Difference, Outcome, Report


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


def causes(a: Side, b: Side, ra: Report, rb: Report) -> tuple[str, ...]:
    """The inputs that differ between the two sides."""
    out: list[str] = []
    if a.rules.file != b.rules.file:
        out.append(f"rules: `{a.rules.file}` vs `{b.rules.file}`")
    if a.scenario.file != b.scenario.file:
        out.append(f"scenario: `{a.scenario.file}` vs `{b.scenario.file}`")
    sa, sb = a.scenario.spec, b.scenario.spec
    if sa.as_of != sb.as_of:
        out.append(f"as_of: {sa.as_of} vs {sb.as_of}")
    ca = {c.model_dump_json() for c in sa.changes}
    cb = {c.model_dump_json() for c in sb.changes}
    out += [f"change only in A: {c}" for c in sorted(ca - cb)]
    out += [f"change only in B: {c}" for c in sorted(cb - ca)]
    ea = {e.model_dump_json() for e in sa.events}
    eb = {e.model_dump_json() for e in sb.events}
    out += [f"event only in A or different: {e}" for e in sorted(ea - eb)]
    out += [f"event only in B or different: {e}" for e in sorted(eb - ea)]
    pa, pb = dict(ra.params), dict(rb.params)
    for k in sorted(set(pa) | set(pb)):
        if pa.get(k) != pb.get(k):
            out.append(f"parameter `{k}`: {pa.get(k, 'default')!r} vs {pb.get(k, 'default')!r}")
    if ra.interpretations != rb.interpretations:
        out.append(f"interpretations: {', '.join(ra.interpretations)} vs {', '.join(rb.interpretations)}")
    return tuple(out)


def render_difference(d: Difference, ra: Report, rb: Report) -> str:
    """The difference as text, one change per line, with the rule behind each."""
    lines = [f"A: {ra.scenario} [{ra.scenario_file}]", f"B: {rb.scenario} [{rb.scenario_file}]"]
    lines += [f"cause: {c}" for c in d.causes]
    if d.empty:
        lines.append("no difference in admissions, classifications, obligations or tensions")
        return "\n".join(lines) + "\n"
    for ch in d.admissions_changed:
        base, new = ch["baseline"] or {}, ch["what_if"]
        diffs = [f"{k} {base.get(k)} -> {v}" for k, v in sorted(new.items()) if base.get(k) != v]
        lines.append(f"~ admission {ch['id']}: " + "; ".join(diffs))
    for ch in d.classifications_changed:
        lines.append(f"~ classification {ch['id']}: {ch['baseline']} -> {ch['what_if']}")
    obligations_b = {o.id: o for o in rb.obligations}
    for oid in d.obligations_appeared:
        o = obligations_b.get(oid)
        rule = f" (rule {o.commitment}, {o.article})" if o else ""
        lines.append(f"+ obligation {oid}{rule}")
    for o in d.obligations_vanished:
        lines.append(f"- obligation {o.id} (rule {o.commitment}, {o.article})")
    tensions_b = {t.id: t for t in rb.tensions}
    for tid in d.tensions_appeared:
        t = tensions_b.get(tid)
        lines.append(f"+ tension {tid}" + (f" [{t.severity}] {t.kind}: {', '.join(t.parties)}" if t else ""))
    for t in d.tensions_vanished:
        lines.append(f"- tension {t.id} [{t.severity}] {t.kind}: {', '.join(t.parties)}")
    return "\n".join(lines) + "\n"
