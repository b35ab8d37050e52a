"""The difference between two reports (``cstosim diff``) as text and JSON."""

from __future__ import annotations

from cstosim.render.json import difference_json, dumps
from cstosim.render.sentences import sentence
from cstosim.report import Difference, Report


def difference_text(d: Difference) -> str:
    return dumps(difference_json(d))


def render_difference(d: Difference, ra: Report, rb: Report) -> str:
    """The difference as text, one change per line, with the rule behind each."""
    lines = [f"A: {ra.scenario} [{ra.scenario_file}]", f"B: {rb.scenario} [{rb.scenario_file}]"]
    lines += [f"cause: {sentence(c)}" for c in d.causes]
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
