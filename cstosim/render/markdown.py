"""A Report as Markdown, for notebooks, issues and documents: the summary first, then
each section, in the same order and grouping as the terminal report. Every user-written
or rule-written text in a table cell is escaped, so a ``|`` never breaks the table."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from cstosim import summary as sm
from cstosim.render.diff import delta_lines
from cstosim.render.graph import to_mermaid
from cstosim.render.sentences import sentence
from cstosim.render.values import value, verdict
from cstosim.report import Obligation, Report

_MARKUP = re.compile(r"([\\`*_\[\]#|~])")


def md(value: str) -> str:
    """Free text (a name, a rule's meaning) as literal Markdown on one line: no HTML, no
    markup, no table-breaking ``|``."""
    return _MARKUP.sub(r"\\\1", html.escape(" ".join(value.split()), quote=False))


def code(value: str) -> str:
    """An identifier as inline code, safe in a table cell."""
    return "`" + " ".join(value.split()).replace("`", "'").replace("|", "\\|") + "`"


def _readings(readings: Sequence[str], every: Sequence[str]) -> str:
    return md(sm.readings_label(readings, every)) if readings else "-"


def _table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return (["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
            + ["| " + " | ".join(r) + " |" for r in rows] + [""])


def _tree_rows(nodes: Sequence[sm.Node], every: Sequence[str]) -> list[list[str]]:
    rows: list[list[str]] = []
    for node in nodes:
        for debtors, against in node.rows:
            rows.append([_readings(node.readings, every), code(node.incident),
                         ("&nbsp;&nbsp;" * node.depth + "&#8627; " if node.depth else "")
                         + str(node.depth), md(", ".join(debtors)), md(node.creditor),
                         md(", ".join(against)) or "-", md(f"{node.type} ({node.strength})"),
                         code(node.commitment), md(f"{node.label} ({node.judged_by})")])
        rows += _tree_rows(node.children, every)
    return rows


def to_markdown(report: Report) -> str:
    """A Markdown report: summary, admissions, classifications, obligations, tensions,
    picture, notes, difference; every section present (``None.`` when empty)."""
    every = report.interpretations
    out = [f"# {md(report.scenario)}", "",
           f"As of **{report.as_of}**; rules: {md(report.rules)}; interpretations: "
           + ", ".join(code(i) for i in every), ""]
    if report.params:
        out += ["Parameters set: " + ", ".join(code(f"{k}={value(v)}") for k, v in report.params), ""]

    out += ["## Summary", ""]
    incidents = sm.incident_rows(report)
    if incidents:
        out += _table(["incident", *(code(r) for r in every)], [
            [code(r.incident), *(next((f"**{md(lbl or 'unclassified')}**"
                                       for rd, lbl, _ in r.labels if rd == name), "-")
                                 for name in every)] for r in incidents])
    else:
        out += ["Incidents: none.", ""]
    rows = sm.admission_rows(report)
    if rows:
        out += _table(["admission", "candidate", "verdict", "decided by"], [
            [code(a.id), md(f"{a.state} to {a.body} as {a.tier}"),
             "**admitted**" if a.admitted else "**not admitted**",
             md("; ".join(sentence(r) for r in a.deciding)) or "-"] for a in rows])
    else:
        out += ["Admissions: none.", ""]
    per, unread = sm.counts(report)
    out += _table(["", *(code(r) for r in every)],
                  [["obligations", *(str(c.obligations) for c in per)],
                   ["tensions", *(str(c.tensions) for c in per)]])
    if unread:
        out += [f"Tensions not tied to one reading: {unread}.", ""]

    out += ["## Admissions", ""]
    if report.admissions:
        out += _table(["application", "candidate", "tier", "admitted", "gates failed",
                       "deciders' vote"], [
            [code(a.id), md(a.state), md(f"{a.body} {a.tier}"), "yes" if a.admitted else "no",
             md(", ".join(a.gates_failed)) or "-",
             md(verdict(a.admitted, a.decision)[1]
                + (f" (blocked by {', '.join(a.blocking)})" if a.blocking else ""))]
            for a in report.admissions])
    else:
        out += ["None.", ""]

    out += ["## Classifications", ""]
    if report.classifications:
        out += _table(["incident", "readings", "label", "rule", "why"], [
            [code(s.first.incident), _readings(s.readings, every),
             f"**{md(s.first.label or 'unclassified')}**", code(s.first.rule or "-"),
             md(s.first.meaning)] for s in sm.merged(report.classifications)])
    else:
        out += ["None.", ""]

    out += ["## Obligations", ""]
    if report.obligations:
        tree = sm.obligation_tree(report.obligations, every)
        out += [f"{len(report.obligations)} obligations in "
                f"{sum(1 for n in tree for _ in n.walk())} groups; a step above 0 is a "
                "cascade step set off by the group above it.", ""]
        out += _table(["readings", "incident", "step", "debtors", "creditor", "against", "duty",
                       "rule", "incident read as"], _tree_rows(tree, every))
        out += ["### Commitments cited", ""]
        out += _table(["rule", "treaty, article", "meaning", "source"], [
            [code(o.commitment), md(f"{o.treaty}, {o.article}"), md(o.meaning), md(o.source)]
            for o in sm.commitments_cited(report.obligations)])
    else:
        out += ["None.", ""]

    out += ["## Tensions", ""]
    if report.tensions:
        out += _table(["severity", "kind", "parties", "readings", "rule", "why"], [
            [md(s.first.severity), md(s.first.kind), md(", ".join(s.first.parties)),
             _readings(s.readings, every), code(s.first.rule), md(s.first.meaning)]
            for s in sm.merged(sm.by_severity(report.tensions))])
    else:
        out += ["None.", ""]

    if report.obligations or report.tensions or report.admissions:
        out += ["## Picture", "", "```mermaid", to_mermaid(report).rstrip(), "```", ""]

    out += ["## Notes", ""]
    out += [f"- {md(sentence(n))}" for n in report.outcome.notes] or ["None."]
    out.append("")

    d = report.difference
    out += ["## Difference from the baseline", ""]
    if d.empty:
        out.append("None.")
    else:
        out += [f"- cause: {md(sentence(c))}" for c in d.causes]
        for side in ("a", "b"):
            obs = [o for o in (x.a if side == "a" else x.b for x in d.of("obligation", side))
                   if isinstance(o, Obligation)]
            if obs:
                out += ["", f"Only in {md(d.sides[0 if side == 'a' else 1])}: "
                        f"{len(obs)} obligation{'s' if len(obs) > 1 else ''}", ""]
                out += _table(["readings", "incident", "step", "debtors", "creditor", "against",
                               "duty", "rule", "incident read as"],
                              _tree_rows(sm.obligation_tree(obs, every), every))
        rest = tuple(x for x in d.deltas if x.kind != "obligation" or x.side == "both")
        out += [f"- {md(line)}" for line in delta_lines(d, rest)]
    return "\n".join(out) + "\n"
