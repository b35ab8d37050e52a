"""Step 4e: the difference between two outcomes (the baseline and the what-if, or the two
sides of ``cstosim diff``): every conclusion present only on one side, and every one present
on both whose facts differ. Pure and symmetric: ``difference(b, a)`` is the mirror of
``difference(a, b)``, and applying a difference to A's conclusions gives B's
(``tests/test_difference.py`` checks both on generated scenarios)."""

from __future__ import annotations

from typing import Any

from cstosim.report import (
    Admission,
    Classification,
    Conclusion,
    Delta,
    Difference,
    Obligation,
    Outcome,
    Reason,
    ResponseGap,
    Tension,
)

KINDS = ("admission", "classification", "obligation", "gap", "tension", "note")


def note_id(r: Reason) -> str:
    """A note's identity: its code and fields."""
    return r.code + "(" + ", ".join(f"{k}={v}" for k, v in r.fields) + ")"


def facts(c: Conclusion) -> dict[str, Any]:
    """What is compared of a conclusion (its reasons are not: they explain, not conclude)."""
    if isinstance(c, Admission):
        return {"admitted": c.admitted, "decision": c.decision, "gates_failed": c.gates_failed,
                "tier_in_force": c.tier_in_force, "blocking": c.blocking}
    if isinstance(c, Classification):
        return {"label": c.label, "rule": c.rule}
    if isinstance(c, Obligation):
        return {"label": c.label, "strength": c.strength, "via": c.via}
    if isinstance(c, ResponseGap):
        return {"needed": c.needed, "done": c.done, "debtors": c.debtors}
    if isinstance(c, Tension):
        return {"severity": c.severity, "parties": c.parties}
    return {}


def conclusions_of(out: Outcome) -> dict[tuple[str, str], tuple[str | None, Conclusion]]:
    """An outcome's conclusions by (kind, id), each with the reading it belongs to."""
    found: dict[tuple[str, str], tuple[str | None, Conclusion]] = {}
    for a in out.admissions:
        found[("admission", a.id)] = (None, a)
    for c in out.classifications:
        found[("classification", c.id)] = (c.interpretation, c)
    for o in out.obligations:
        found[("obligation", o.id)] = (o.interpretation, o)
    for g in out.gaps:
        found[("gap", g.id)] = (g.interpretation, g)
    for t in out.tensions:
        found[("tension", t.id)] = (t.interpretation, t)
    for n in out.notes:
        found[("note", note_id(n))] = (None, n)
    return found


def difference(a: Outcome, b: Outcome, causes: tuple[Reason, ...],
               sides: tuple[str, str] = ("baseline", "what-if"),
               readings: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())) -> Difference:
    """Compare two outcomes conclusion by conclusion, in kind order, then by id."""
    ca, cb = conclusions_of(a), conclusions_of(b)
    deltas = []
    for key in sorted(set(ca) | set(cb), key=lambda k: (KINDS.index(k[0]), k[1])):
        kind, ident = key
        if key not in cb:
            deltas.append(Delta(kind, ident, "a", ca[key][0], ca[key][1], None))
        elif key not in ca:
            deltas.append(Delta(kind, ident, "b", cb[key][0], None, cb[key][1]))
        else:
            fa, fb = facts(ca[key][1]), facts(cb[key][1])
            changed = tuple((f, fa[f], fb[f]) for f in fa if fa[f] != fb[f])
            if changed:
                deltas.append(Delta(kind, ident, "both", cb[key][0], ca[key][1], cb[key][1],
                                    changed))
    return Difference(causes, tuple(deltas), sides, readings)
