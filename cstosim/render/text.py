"""A Report as plain text for a terminal: the summary first, then each section.

Conclusions that hold under every reading are written once, marked ``[all
readings]``; obligations are grouped by commitment and creditor with their
debtors together and drawn as the cascade tree they form (:mod:`cstosim.summary`).
Every section is written, with ``none`` when it is empty. ``explain`` decides
whether the leaf comparisons behind each conclusion are shown (the Report only
holds them when recorded). ``width`` is the terminal's width (80 for files and
pipes, so output there is stable).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cstosim import summary as sm
from cstosim.render.diff import delta_lines
from cstosim.render.sentences import sentence
from cstosim.render.values import WIDTH, leaf_lines, value, verdict, wrap
from cstosim.report import Difference, Obligation, Report, Tension


def _table(rows: Sequence[Sequence[str]], indent: int, width: int) -> list[str] | None:
    """Rows as aligned columns, or None when they do not fit ``width``."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    if indent + sum(widths) + 2 * (len(widths) - 1) > width:
        return None
    return [(" " * indent + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True))).rstrip()
            for r in rows]


def _mark(readings: Sequence[str], every: Sequence[str]) -> str:
    return f"[{sm.readings_label(readings, every)}]" if readings else ""


def obligation_lines(nodes: Sequence[sm.Node], every: Sequence[str], indent: int, width: int,
                     show: bool = False, parent: Sequence[str] = ()) -> list[str]:
    """The obligation tree: one entry per group, cascade steps indented under the group
    that set them off, readings named where they differ from the parent's."""
    lines: list[str] = []
    for node in nodes:
        mark = _mark(node.readings, every) if tuple(node.readings) != tuple(parent) else ""
        step = f"> step {node.depth}: " if node.depth else ""
        for i, (debtors, against) in enumerate(node.rows):
            verb = "owes" if len(debtors) == 1 else "owe"
            lead = (mark + " " if mark else "") + step if i == 0 else " " * len(step)
            tail = f" against {', '.join(against)}" if against else ""
            lines += wrap(f"{lead}{', '.join(debtors)} {verb} {node.creditor} {node.type} "
                          f"({node.strength}){tail}", indent, width)
        # the treaty's name and text are under COMMITMENTS CITED, once
        # judged by the reading itself unless the commitment says whose label counts
        judge = "" if node.judged_by == "interpretation" else f" (judged by {node.judged_by})"
        lines += wrap(f"rule {node.commitment}, {node.article}; read as {node.label}{judge}",
                      indent + 2, width)
        if show:
            lines += _leaves(node.obligations, indent + 4, width)
        lines += obligation_lines(node.children, every, indent + 2, width, show, node.readings)
    return lines


def _leaves(obligations: Sequence[Obligation], indent: int, width: int) -> list[str]:
    if len({o.leaves for o in obligations}) == 1:
        return leaf_lines(obligations[0].leaves, indent, width=width)
    out: list[str] = []
    for o in obligations:
        out += wrap(f"{o.id}:", indent, width) + leaf_lines(o.leaves, indent + 2, width=width)
    return out


_VIA = re.compile(r"^(\S+) via (\S+)$")


def _fact(v: Any) -> str:
    """A tension's fact as the user writes it; a cascade (``X via RULE`` for each state
    reached) is written per rule, states together, so 31 NATO members take one line."""
    if isinstance(v, list) and v and all(isinstance(x, str) and _VIA.match(x) for x in v):
        per: dict[str, list[str]] = {}
        for x in v:
            state, rule = _VIA.match(x).groups()  # type: ignore[union-attr]
            per.setdefault(rule, []).append(state)
        return "[" + "; ".join(f"{', '.join(states)} via {rule}" for rule, states in per.items()) + "]"
    return value(v)


def summary_lines(report: Report, width: int) -> list[str]:
    every = report.interpretations
    lines = ["SUMMARY"]
    incidents = sm.incident_rows(report)
    if incidents:
        rows = [["incident", *every]] + [
            [r.incident, *(next((lbl or "unclassified" for rd, lbl, _ in r.labels if rd == name),
                                "-") for name in every)] for r in incidents]
        lines += _table(rows, 2, width) or [
            line for r in incidents for line in wrap(
                f"{r.incident}: " + "; ".join(f"{rd} {lbl or 'unclassified'}"
                                              for rd, lbl, _ in r.labels), 2, width)]
    else:
        lines.append("  incidents: none")
    admissions = sm.admission_rows(report)
    for a in admissions:
        word = "ADMITTED" if a.admitted else "NOT ADMITTED"
        why = "; ".join(sentence(r) for r in a.deciding)
        lines += wrap(f"admission {a.id}: {a.state} to {a.body} as {a.tier}: {word}"
                      + (f" ({why})" if why else ""), 2, width)
    if not admissions:
        lines.append("  admissions: none")
    per, unread = sm.counts(report)
    table = _table([["", *every, "no one reading"],
                    ["obligations", *(str(c.obligations) for c in per), "-"],
                    ["tensions", *(str(c.tensions) for c in per), str(unread)],
                    ["response gaps", *(str(c.gaps) for c in per), "-"]], 2, width)
    lines += table or [line for c in per for line in wrap(
        f"{c.reading}: {c.obligations} obligations, {c.tensions} tensions", 2, width)]
    if unread and not table:
        lines += wrap(f"tensions not tied to one reading: {unread}", 2, width)
    return lines


def to_text(report: Report, width: int = WIDTH) -> str:
    """The plain-text report: the summary, then every section (``none`` when empty)."""
    every = report.interpretations
    lines: list[str] = []
    add = lines.extend
    add(wrap(f"Scenario: {report.scenario} (as of {report.as_of})", 0, width))
    add(wrap(f"Rules: {report.rules} [{report.rules_file}]", 0, width))
    add(wrap("Interpretations: " + ", ".join(every), 0, width))
    if report.params:
        add(wrap("Parameters set: " + ", ".join(f"{k}={value(v)}" for k, v in report.params),
                 0, width))
    show = report.explain != "off"
    lines.append("")
    add(summary_lines(report, width))

    lines += ["", f"ADMISSIONS ({len(report.admissions)})"]
    for a in report.admissions:
        word, vote = verdict(a.admitted, a.decision)
        add(wrap(f"{a.id}: {a.state} applies to {a.body} as {a.tier} on {a.date}: {word}", 2, width))
        add(wrap("tier in force: " + ("yes" if a.tier_in_force else "no"), 4, width))
        for g in a.gates:
            tail = f" (fails for {', '.join(g.failing)})" if g.failing else ""
            add(wrap(f"gate {g.gate}: {'passed' if g.passed else 'FAILED'}{tail} - {g.meaning}",
                     4, width))
            if show:
                add(leaf_lines(g.leaves, 8, width=width))
        if a.stances:
            stances: dict[tuple[str, str | None], list[str]] = {}
            for st in a.stances:
                stances.setdefault((st.stance, st.rule), []).append(st.decider)
            add(wrap("deciders: " + "; ".join(
                f"{', '.join(who)} {stance}" + (f" ({rule})" if rule else "")
                for (stance, rule), who in stances.items()), 4, width))
        if a.decision_rule:
            blocked = f" by {', '.join(a.blocking)}" if a.blocking else ""
            add(wrap(f"deciders' vote ({a.decision_rule}, {a.procedure}): {vote}{blocked}", 4, width))
        if a.rights:
            add(wrap("rights: " + ", ".join(a.rights), 4, width))
        # the reasons (a.reasons) are the summary's "what decided it", written there once
    if not report.admissions:
        lines.append("  none")

    lines += ["", f"CLASSIFICATIONS ({len(report.classifications)})"]
    explained: set[str | None] = set()  # a rule's meaning is written once
    for shared in sm.merged(report.classifications):
        c = shared.first
        also = f" (also matched: {', '.join(c.also_matched)})" if c.also_matched else ""
        add(wrap(f"{c.incident} {_mark(shared.readings, every)}: {c.label or 'UNCLASSIFIED'} "
                 f"by rule {c.rule}{also}", 2, width))
        if c.rule not in explained:
            add(wrap(f"{c.meaning} Source: {c.source}", 4, width))
        explained.add(c.rule)
        if show:
            add(leaf_lines(c.leaves, 6, width=width))
    if not report.classifications:
        lines.append("  none")

    tree = sm.obligation_tree(report.obligations, every)
    n_groups = sum(1 for root in tree for _ in root.walk())
    lines += ["", f"OBLIGATIONS ({len(report.obligations)}"
              + (f", in {n_groups} groups)" if report.obligations else ")")]
    incidents = list(dict.fromkeys(n.incident for n in tree))
    for incident in incidents:  # headed by their incident when there are several
        if len(incidents) > 1:
            add(wrap(f"{incident}:", 2, width))
        add(obligation_lines([n for n in tree if n.incident == incident], every,
                             4 if len(incidents) > 1 else 2, width, show))
    if not report.obligations:
        lines.append("  none")
    else:
        lines += ["", "COMMITMENTS CITED"]
        for o in sm.commitments_cited(report.obligations):
            add(wrap(f"{o.commitment}: {o.treaty}, {o.article}: {o.meaning} Source: {o.source}",
                     2, width))

    # Only incidents that record responses get a gap analysis.
    lines += ["", f"RESPONSE GAPS ({len(report.gaps)})"]
    if not report.gaps:
        lines.append("  none")
    for gap in report.gaps:
        add(wrap(f"[{gap.interpretation}] {gap.creditor} was owed {gap.owed} under "
                 f"{gap.commitment} by {', '.join(gap.debtors)}; got {gap.done} "
                 f"(needs {gap.needed})", 2, width))
        add(wrap(f"{gap.treaty}, {gap.article}; incident {gap.incident}", 4, width))
        for why in gap.reasons:
            add(wrap(f"why: {sentence(why)}", 4, width))

    lines += ["", f"TENSIONS ({len(report.tensions)})"]
    said: set[tuple[str, str]] = set()  # a long fact value is written out once, first
    for shared in sm.merged(sm.by_severity(report.tensions)):
        t = shared.first
        where = f" {_mark(shared.readings, every)}" if shared.readings else ""
        add(wrap(f"[{t.severity}] {t.kind}: {', '.join(t.parties)} ({t.context}){where}", 2, width))
        add(wrap(f"{t.meaning} Rule {t.rule}; source: {t.source}", 4, width))
        facts = []
        for k, v in t.facts:
            text = _fact(v)
            if len(text) >= 40 and (k, text) in said:
                facts.append(f"{k}=(as above)")
            else:
                said.add((k, text))
                facts.append(f"{k}={text}")
        if facts:
            add(wrap("facts: " + "; ".join(facts), 4, width))
        if show:
            add(leaf_lines(t.leaves, 6, width=width))
    if not report.tensions:
        lines.append("  none")

    lines += ["", f"NOTES ({len(report.outcome.notes)})"]
    for n in report.outcome.notes:
        add(wrap(sentence(n), 2, width))
    if not report.outcome.notes:
        lines.append("  none")

    lines += ["", "DIFFERENCE FROM BASELINE"]
    if report.difference.empty:
        add(wrap("none: the what-if concludes exactly what the baseline does", 2, width))
    else:
        add(difference_lines(report.difference, every, width))
    return "\n".join(lines) + "\n"


def difference_lines(d: Difference, every: Sequence[str], width: int = WIDTH,
                     indent: int = 2) -> list[str]:
    """A difference in words: its causes, the obligations only on one side as a cascade
    tree, tensions only on one side once for the readings that share them, then every other
    change one per entry. Nothing is left out."""
    lines: list[str] = []
    add = lines.extend
    for cause in d.causes:
        add(wrap(f"cause: {sentence(cause)}", indent, width))
    for side, sign in (("a", "-"), ("b", "+")):
        name = d.sides[0 if side == "a" else 1]
        obs = [o for o in (x.a if side == "a" else x.b for x in d.of("obligation", side))
               if isinstance(o, Obligation)]
        if obs:
            add(wrap(f"{sign} only in {name}: {len(obs)} obligation{'s' if len(obs) > 1 else ''}:",
                     indent, width))
            add(obligation_lines(sm.obligation_tree(obs, every), every, indent + 2, width))
        ts = [t for t in (x.a if side == "a" else x.b for x in d.of("tension", side))
              if isinstance(t, Tension)]
        for shared in sm.merged(sm.by_severity(ts)):
            t = shared.first
            where = f" {_mark(shared.readings, every)}" if shared.readings else ""
            add(wrap(f"{sign} only in {name}: tension [{t.severity}] {t.kind}: "
                     f"{', '.join(t.parties)} ({t.context}){where}", indent, width))
    rest = tuple(x for x in d.deltas if x.kind not in ("obligation", "tension") or x.side == "both")
    for line in delta_lines(d, rest):
        add(wrap(line, indent, width))
    return lines


def render_difference(d: Difference, ra: Report, rb: Report, width: int = WIDTH) -> str:
    """``cstosim diff`` as text: both sides named, then :func:`difference_lines`."""
    lines = wrap(f"A: {ra.scenario} [{ra.scenario_file}]", 0, width)
    lines += wrap(f"B: {rb.scenario} [{rb.scenario_file}]", 0, width)
    every = tuple(dict.fromkeys((*ra.interpretations, *rb.interpretations)))
    if d.empty:
        lines += [f"cause: {sentence(c)}" for c in d.causes]
        lines.append("no difference in admissions, classifications, obligations, tensions or notes")
    else:
        lines += difference_lines(d, every, width, indent=0)
    return "\n".join(lines) + "\n"
