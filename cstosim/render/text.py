"""A Report as plain text that fits an 80-column terminal.

``explain`` decides whether the leaf comparisons behind each conclusion are
shown (the Report only holds them when recorded).
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby
from typing import Any

from cstosim.render.diff import delta_lines
from cstosim.render.sentences import sentence
from cstosim.render.values import leaf_lines, value, verdict, wrap
from cstosim.report import Obligation, Report

SEVERITY_ORDER = ("low", "moderate", "high", "critical")


def grouped(obligations: Iterable[Obligation]) -> list[tuple[tuple[Any, ...], list[Obligation]]]:
    def key(o: Obligation) -> tuple[Any, ...]:
        return (o.interpretation, o.incident, o.depth, o.commitment, o.creditor,
                o.against or "", o.label or "")

    items = sorted(obligations, key=lambda o: (*key(o), o.debtor))
    return [(k, list(g)) for k, g in groupby(items, key=key)]


def to_text(report: Report) -> str:
    """A plain-text report that fits 80 columns."""
    lines: list[str] = []
    add = lines.extend
    add(wrap(f"Scenario: {report.scenario} (as of {report.as_of})", 0))
    add(wrap(f"Rules: {report.rules} [{report.rules_file}]", 0))
    add(wrap("Interpretations: " + ", ".join(report.interpretations), 0))
    if report.params:
        add(wrap("Parameters set: " + ", ".join(f"{k}={value(v)}" for k, v in report.params), 0))
    show = report.explain != "off"
    if report.admissions:
        lines += ["", "ADMISSIONS"]
        for a in report.admissions:
            word, vote = verdict(a.admitted, a.decision)
            add(wrap(f"{a.id}: {a.state} applies to {a.body} as {a.tier} on {a.date}: {word}", 2))
            add(wrap("tier in force: " + ("yes" if a.tier_in_force else "no"), 4))
            for g in a.gates:
                tail = f" (fails for {', '.join(g.failing)})" if g.failing else ""
                add(wrap(f"gate {g.gate}: {'passed' if g.passed else 'FAILED'}{tail} - {g.meaning}", 4))
                if show:
                    add(leaf_lines(g.leaves, 8))
            if a.stances:
                add(wrap("deciders: " + ", ".join(
                    f"{s.decider} {s.stance}" + (f" ({s.rule})" if s.rule else "") for s in a.stances), 4))
            if a.decision_rule:
                blocked = f" by {', '.join(a.blocking)}" if a.blocking else ""
                add(wrap(f"deciders' vote ({a.decision_rule}, {a.procedure}): {vote}{blocked}", 4))
            if a.rights:
                add(wrap("rights: " + ", ".join(a.rights), 4))
            for why in a.reasons:
                add(wrap(f"why: {sentence(why)}", 4))
    if report.classifications:
        lines += ["", "CLASSIFICATIONS"]
        for c in report.classifications:
            add(wrap(f"{c.incident} under {c.interpretation} ({c.holder}): "
                      f"{c.label or 'UNCLASSIFIED'} by rule {c.rule}", 2))
            add(wrap(f"{c.meaning} Source: {c.source}", 4))
            if show:
                add(leaf_lines(c.leaves, 6))
    if report.obligations:
        lines += ["", f"OBLIGATIONS ({len(report.obligations)})"]
        for (interp, incident, depth, _c, creditor, against, label), group in grouped(
                report.obligations):
            o = group[0]
            debtors = ", ".join(x.debtor for x in group)
            step = f" [cascade step {depth}, via {o.via}]" if depth else ""
            verb = "owes" if len(group) == 1 else "owe"
            add(wrap(f"[{interp}] {debtors} {verb} {creditor} {o.type} ({o.strength})"
                      # The actor's own duty (Art. 1) is not owed "against" itself.
                      + (f" against {against}" if against and against != o.debtor else "") + step, 2))
            add(wrap(f"{o.treaty}, {o.article}: {o.meaning}", 4))
            add(wrap(f"because: rule {o.commitment}, incident {incident} read as {label} "
                      f"(judged by {o.judged_by}); source: {o.source}", 4))
            if show:
                add(leaf_lines(o.leaves, 6))
    if report.gaps:
        lines += ["", f"RESPONSE GAPS ({len(report.gaps)})"]
        for gap in report.gaps:
            add(wrap(f"[{gap.interpretation}] {gap.creditor} was owed {gap.owed} under {gap.commitment} "
                     f"by {', '.join(gap.debtors)}; got {gap.done} (needs {gap.needed})", 2))
            add(wrap(f"{gap.treaty}, {gap.article}; incident {gap.incident}", 4))
            for why in gap.reasons:
                add(wrap(f"why: {sentence(why)}", 4))
    if report.tensions:
        lines += ["", f"TENSIONS ({len(report.tensions)})"]
        for t in sorted(report.tensions, key=lambda t: (-SEVERITY_ORDER.index(t.severity), t.id)):
            where = f" under {t.interpretation}" if t.interpretation else ""
            add(wrap(f"[{t.severity}] {t.kind}: {', '.join(t.parties)} ({t.context}{where})", 2))
            add(wrap(f"{t.meaning} Rule {t.rule}; source: {t.source}", 4))
            facts = [f"{k}={value(v)}" for k, v in t.facts]
            if facts:
                add(wrap("facts: " + "; ".join(facts), 4))
            if show:
                add(leaf_lines(t.leaves, 6))
    if report.outcome.notes:
        lines += ["", "NOTES"]
        for n in report.outcome.notes:
            add(wrap(sentence(n), 2))
    d = report.difference
    lines += ["", "DIFFERENCE FROM BASELINE"]
    if d.empty:
        add(wrap("none: the what-if concludes exactly what the baseline does", 2))
    else:
        for cause in d.causes:
            add(wrap(f"cause: {sentence(cause)}", 2))
        # Obligations can run to dozens: those only on one side go as one list each.
        for side, sign in (("a", "-"), ("b", "+")):
            ids = [x.id for x in d.of("obligation", side)]
            if ids:
                name = d.sides[0 if side == "a" else 1]
                add(wrap(f"{sign} only in {name}: {len(ids)} obligation{'s' if len(ids) > 1 else ''}: "
                         + ", ".join(ids), 2))
        rest = tuple(x for x in d.deltas if x.kind != "obligation" or x.side == "both")
        for line in delta_lines(d, rest):
            add(wrap(line, 2))
    return "\n".join(lines) + "\n"
