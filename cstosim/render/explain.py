"""``cstosim explain`` as text: the reasons behind a conclusion, or why it did not arise."""

from __future__ import annotations

from cstosim.conditions import LeafResult
from cstosim.explain import Fix, Why, WhyNot
from cstosim.render.sentences import sentence
from cstosim.render.values import leaf_line, value
from cstosim.report import Classification, Obligation


def _leaves(leaves: tuple[LeafResult, ...]) -> list[str]:
    return [f"  {leaf_line(x, 'yes' if x.result else 'no ')}" for x in leaves]


def _classification(c: Classification) -> list[str]:
    return [f"`{c.incident}` is `{c.label}` under {c.interpretation} by rule `{c.rule}`: "
            f"{c.meaning}", f"  source: {c.source}"]


def why_lines(w: Why) -> list[str]:
    """The chain of rules, facts and articles behind one conclusion, as readable lines."""
    c = w.conclusion
    if isinstance(c, Obligation):
        lines: list[str] = []
        for o in w.chain:
            lines.append(f"{o.debtor} owes {o.creditor} {o.type} ({o.strength}) under "
                         f"{o.treaty}, {o.article}: {o.meaning}")
            lines.append(f"  source: {o.source}")
            whose = "in the victim's opinion" if o.judged_by == "victim" else f"under {o.interpretation}"
            lines.append(f"  because `{o.incident}` reads as `{o.label}` ({whose})")
            lines += _leaves(o.leaves)
            if o.depth == 0:
                if w.classification is not None:
                    lines += _classification(w.classification) + _leaves(w.classification.leaves)
                break
            lines.append(f"set off (cascade step {o.depth}) by:")
        return lines
    if isinstance(c, Classification):
        lines = _classification(c)
        if c.also_matched:
            lines.append(f"  also matched (less severe or later): {', '.join(c.also_matched)}")
        return lines + _leaves(c.leaves)
    lines = [f"[{c.severity}] {c.kind} between {', '.join(c.parties)}: {c.meaning}",
             f"  rule `{c.rule}`; source: {c.source}"]
    lines += [f"  fact {k} = {value(v)}" for k, v in c.facts]
    return lines + _leaves(c.leaves)


def fix_text(f: Fix) -> str:
    """One change of a fact or parameter in words."""
    if f.kind == "request":
        return f"the target had requested assistance under Art. {f.field[-1]} in `{f.incident}`"
    if f.kind == "fact":
        return f"`{f.incident}` had {f.field.replace('_', ' ')} = {value(f.value)}"
    return f"parameter `{f.field}` were {value(f.value)} (now {value(f.now)})"


def why_not_text(w: WhyNot) -> str:
    """Why a conclusion did not arise, rule by rule, and what would make it arise."""
    if w.arose:
        return f"`{w.target}` does arise; ask `--why {w.target}`\n"
    lines = [f"`{w.target}` does not arise."]
    lines += [f"  because {sentence(r)}" for r in w.reasons]
    for b in w.blockers:
        lines.append(f"  {'failed' if b.want else 'holds, but must not'} in `{b.rule}`: "
                     + leaf_line(b.leaf, "").lstrip())
    if w.fixes:
        lines.append("It would arise if:")
        lines += [f"  - {' and '.join(fix_text(f) for f in combo)}" for combo in w.fixes[:8]]
    else:
        lines.append("No change of one or two facts or parameters makes it arise.")
    return "\n".join(lines) + "\n"
