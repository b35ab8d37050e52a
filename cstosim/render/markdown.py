"""A Report as Markdown, for notebooks, issues and documents."""

from __future__ import annotations

import html
import re

from cstosim.render.diff import delta_lines
from cstosim.render.graph import to_mermaid
from cstosim.render.sentences import sentence
from cstosim.render.text import grouped
from cstosim.render.values import verdict
from cstosim.report import Report

_MARKUP = re.compile(r"([\\`*_\[\]#|~])")


def _text(value: str) -> str:
    """A user's free text (a name) as literal Markdown: no HTML, no markup, one line."""
    return _MARKUP.sub(r"\\\1", html.escape(" ".join(value.split()), quote=False))


def to_markdown(report: Report) -> str:
    """A Markdown report, for notebooks, issues and documents."""
    out = [f"# {_text(report.scenario)}", "",
           f"As of **{report.as_of}**; rules: {_text(report.rules)}; interpretations: "
           + ", ".join(f"`{i}`" for i in report.interpretations), ""]
    if report.admissions:
        out += ["## Admissions", "", "| application | candidate | tier | admitted | gates failed | "
                "deciders' vote |", "|---|---|---|---|---|---|"]
        for a in report.admissions:
            out.append(f"| `{a.id}` | {a.state} | {a.body} {a.tier} | {'yes' if a.admitted else 'no'} "
                       f"| {', '.join(a.gates_failed) or '-'} | {verdict(a.admitted, a.decision)[1]}"
                       + (f" (blocked by {', '.join(a.blocking)})" if a.blocking else "") + " |")
        out.append("")
    if report.classifications:
        out += ["## Classifications", "", "| incident | interpretation | label | rule |",
                "|---|---|---|---|"]
        for c in report.classifications:
            out.append(f"| `{c.incident}` | {c.interpretation} | **{c.label}** | `{c.rule}` |")
        out.append("")
    if report.obligations:
        out += ["## Obligations", "", "| reading | debtors | creditor | type | article | step |",
                "|---|---|---|---|---|---|"]
        for (interp, _i, depth, _c, creditor, _a, _l), group in grouped(report.obligations):
            o = group[0]
            out.append(f"| {interp} | {', '.join(x.debtor for x in group)} | {creditor} | "
                       f"{o.type} ({o.strength}) | {o.treaty}, {o.article} | {depth} |")
        out.append("")
    if report.gaps:
        out += ["## Response gaps", "", "| reading | creditor | owed by | owed | needed | done | "
                "commitment |", "|---|---|---|---|---|---|---|"]
        for g in report.gaps:
            out.append(f"| {g.interpretation} | {g.creditor} | {', '.join(g.debtors)} | {g.owed} "
                       f"| {g.needed} | **{g.done}** | `{g.commitment}` |")
        out.append("")
    if report.tensions:
        out += ["## Tensions", "", "| severity | kind | parties | rule | why |", "|---|---|---|---|---|"]
        for t in report.tensions:
            out.append(f"| {t.severity} | {t.kind} | {', '.join(t.parties)} | `{t.rule}` | "
                       f"{t.meaning} |")
        out.append("")
    if report.obligations or report.tensions or report.admissions:
        out += ["## Picture", "", "```mermaid", to_mermaid(report).rstrip(), "```", ""]
    if report.outcome.notes:
        out += ["## Notes", ""]
        out += [f"- {sentence(n)}" for n in report.outcome.notes]
        out.append("")
    d = report.difference
    out += ["## Difference from the baseline", ""]
    if d.empty:
        out.append("None.")
    else:
        out += [f"- cause: {sentence(c)}" for c in d.causes]
        out += [f"- {line}" for line in delta_lines(d)]
    return "\n".join(out) + "\n"
