"""Step 4e: the difference between two outcomes (the baseline and the what-if, or
the two sides of ``cstosim diff``): what appears, vanishes or changes. Pure."""

from __future__ import annotations

from cstosim.report import Difference, Outcome, Reason


def difference(base: Outcome, whatif: Outcome, causes: tuple[Reason, ...]) -> Difference:
    """Compare two outcomes by conclusion id."""
    bo = {o.id: o for o in base.obligations}
    wo = {o.id: o for o in whatif.obligations}
    bt = {t.id: t for t in base.tensions}
    wt = {t.id: t for t in whatif.tensions}
    ba = {a.id: a for a in base.admissions}
    adm = []
    for a in whatif.admissions:
        b = ba.get(a.id)
        if b is None or (b.admitted, b.decision, b.gates_failed, b.tier_in_force) != (
                a.admitted, a.decision, a.gates_failed, a.tier_in_force):
            adm.append({"id": a.id,
                        "baseline": None if b is None else {
                            "admitted": b.admitted, "decision": b.decision,
                            "gates_failed": list(b.gates_failed), "tier_in_force": b.tier_in_force},
                        "what_if": {"admitted": a.admitted, "decision": a.decision,
                                    "gates_failed": list(a.gates_failed),
                                    "tier_in_force": a.tier_in_force}})
    bc = {c.id: c for c in base.classifications}
    cls = [{"id": c.id, "baseline": bc[c.id].label if c.id in bc else None, "what_if": c.label}
           for c in whatif.classifications if c.id not in bc or bc[c.id].label != c.label]
    return Difference(
        causes=causes,
        obligations_appeared=tuple(sorted(set(wo) - set(bo))),
        obligations_vanished=tuple(bo[k] for k in sorted(set(bo) - set(wo))),
        tensions_appeared=tuple(sorted(set(wt) - set(bt))),
        tensions_vanished=tuple(bt[k] for k in sorted(set(bt) - set(wt))),
        admissions_changed=tuple(adm), classifications_changed=tuple(cls))
