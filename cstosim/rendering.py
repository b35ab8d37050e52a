"""Step 5 of the pipeline: render a Report as a text table, Markdown or JSON.

Pure functions from :class:`~cstosim.report.Report` to text. The text form
fits an 80-column terminal; ``explain`` decides whether the leaf comparisons
behind each conclusion are shown (the Report only holds them when recorded).
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from itertools import groupby
from typing import Any

from cstosim.conditions import LeafResult, jsonable
from cstosim.graph import to_dot, to_mermaid
from cstosim.report import Obligation, Report

WIDTH = 80
SEVERITY_ORDER = ("low", "moderate", "high", "critical")
FORMATS = ("table", "json", "markdown", "mermaid", "dot")


def render(report: Report, fmt: str) -> str:
    """Render one report in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return report.to_json_text()
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "mermaid":
        return to_mermaid(report)
    if fmt == "dot":
        return to_dot(report)
    return to_text(report)


def _wrap(text: str, indent: int) -> list[str]:
    pad = " " * indent
    return textwrap.wrap(text, WIDTH, initial_indent=pad, subsequent_indent=pad + "  ",
                         break_on_hyphens=False, break_long_words=False) or [pad]


def _leaf_lines(leaves: Iterable[LeafResult], indent: int) -> list[str]:
    out = []
    for leaf in leaves:
        mark = "yes" if leaf.result else "NO "
        out += _wrap(f"{mark} {leaf.text}  [{_fmt(leaf.left)} vs {_fmt(leaf.right)}]", indent)
    return out


def _fmt(v: object) -> str:
    j = jsonable(v)
    if isinstance(j, bool):
        return "true" if j else "false"
    if isinstance(j, list):
        return "[" + ", ".join(str(x) for x in j) + "]"
    return str(j)


def _grouped(obligations: Iterable[Obligation]) -> list[tuple[tuple[Any, ...], list[Obligation]]]:
    def key(o: Obligation) -> tuple[Any, ...]:
        return (o.interpretation, o.incident, o.depth, o.commitment, o.creditor,
                o.against or "", o.label or "")

    items = sorted(obligations, key=lambda o: (*key(o), o.debtor))
    return [(k, list(g)) for k, g in groupby(items, key=key)]


def to_text(report: Report) -> str:
    """A plain-text report that fits 80 columns."""
    lines: list[str] = []
    add = lines.extend
    add(_wrap(f"Scenario: {report.scenario} (as of {report.as_of})", 0))
    add(_wrap(f"Rules: {report.rules} [{report.rules_file}]", 0))
    add(_wrap("Interpretations: " + ", ".join(report.interpretations), 0))
    if report.params:
        add(_wrap("Parameters set: " + ", ".join(f"{k}={_fmt(v)}" for k, v in report.params), 0))
    show = report.explain != "off"
    if report.admissions:
        lines += ["", "ADMISSIONS"]
        for a in report.admissions:
            verdict = "ADMITTED" if a.admitted else "NOT ADMITTED"
            add(_wrap(f"{a.id}: {a.state} applies to {a.body} as {a.tier} on {a.date}: {verdict}", 2))
            add(_wrap("tier in force: " + ("yes" if a.tier_in_force else "no"), 4))
            for g in a.gates:
                tail = f" (fails for {', '.join(g.failing)})" if g.failing else ""
                add(_wrap(f"gate {g.gate}: {'passed' if g.passed else 'FAILED'}{tail} - {g.meaning}", 4))
                if show:
                    add(_leaf_lines(g.leaves, 8))
            if a.stances:
                add(_wrap("deciders: " + ", ".join(
                    f"{s.decider} {s.stance}" + (f" ({s.rule})" if s.rule else "") for s in a.stances), 4))
            if a.decision_rule:
                blocked = f" by {', '.join(a.blocking)}" if a.blocking else ""
                add(_wrap(f"decision ({a.decision_rule}, {a.procedure}): {a.decision}{blocked}", 4))
            if a.rights:
                add(_wrap("rights: " + ", ".join(a.rights), 4))
            for why in a.reasons:
                add(_wrap(f"why: {why}", 4))
    if report.classifications:
        lines += ["", "CLASSIFICATIONS"]
        for c in report.classifications:
            add(_wrap(f"{c.incident} under {c.interpretation} ({c.holder}): "
                      f"{c.label or 'UNCLASSIFIED'} by rule {c.rule}", 2))
            add(_wrap(f"{c.meaning} Source: {c.source}", 4))
            if show:
                add(_leaf_lines(c.leaves, 6))
    if report.obligations:
        lines += ["", f"OBLIGATIONS ({len(report.obligations)})"]
        for (interp, incident, depth, _c, creditor, against, label), group in _grouped(
                report.obligations):
            o = group[0]
            debtors = ", ".join(x.debtor for x in group)
            step = f" [cascade step {depth}, via {o.via}]" if depth else ""
            verb = "owes" if len(group) == 1 else "owe"
            add(_wrap(f"[{interp}] {debtors} {verb} {creditor} {o.type} ({o.strength})"
                      # The actor's own duty (Art. 1) is not owed "against" itself.
                      + (f" against {against}" if against and against != o.debtor else "") + step, 2))
            add(_wrap(f"{o.treaty}, {o.article}: {o.meaning}", 4))
            add(_wrap(f"because: rule {o.commitment}, incident {incident} read as {label} "
                      f"(judged by {o.judged_by}); source: {o.source}", 4))
            if show:
                add(_leaf_lines(o.leaves, 6))
    if report.tensions:
        lines += ["", f"TENSIONS ({len(report.tensions)})"]
        for t in sorted(report.tensions, key=lambda t: (-SEVERITY_ORDER.index(t.severity), t.id)):
            where = f" under {t.interpretation}" if t.interpretation else ""
            add(_wrap(f"[{t.severity}] {t.kind}: {', '.join(t.parties)} ({t.context}{where})", 2))
            add(_wrap(f"{t.meaning} Rule {t.rule}; source: {t.source}", 4))
            facts = [f"{k}={_fmt(v)}" for k, v in t.facts]
            if facts:
                add(_wrap("facts: " + "; ".join(facts), 4))
            if show:
                add(_leaf_lines(t.leaves, 6))
    if report.outcome.notes:
        lines += ["", "NOTES"]
        for n in report.outcome.notes:
            add(_wrap(n, 2))
    d = report.difference
    lines += ["", "DIFFERENCE FROM BASELINE"]
    if d.empty:
        add(_wrap("none: the what-if concludes exactly what the baseline does", 2))
    else:
        for cause in d.causes:
            add(_wrap(f"cause: {cause}", 2))
        for ch in d.admissions_changed:
            base, new = ch["baseline"] or {}, ch["what_if"]
            changed = [f"{k} {_fmt(base.get(k, '-'))} -> {_fmt(v)}" for k, v in sorted(new.items())
                       if base.get(k) != v]
            add(_wrap(f"~ admission {ch['id']}: " + "; ".join(changed), 2))
        for ch in d.classifications_changed:
            add(_wrap(f"~ classification {ch['id']}: {ch['baseline']} -> {ch['what_if']}", 2))
        if d.obligations_appeared:
            add(_wrap(f"+ {len(d.obligations_appeared)} obligations appear: "
                      + ", ".join(d.obligations_appeared[:6])
                      + (" ..." if len(d.obligations_appeared) > 6 else ""), 2))
        for o in d.obligations_vanished:
            add(_wrap(f"- obligation vanishes: {o.id}", 2))
        for tid in d.tensions_appeared:
            add(_wrap(f"+ tension appears: {tid}", 2))
        for t in d.tensions_vanished:
            add(_wrap(f"- tension vanishes: {t.id}", 2))
    return "\n".join(lines) + "\n"


def to_markdown(report: Report) -> str:
    """A Markdown report, for notebooks, issues and documents."""
    out = [f"# {report.scenario}", "",
           f"As of **{report.as_of}**; rules: {report.rules}; interpretations: "
           + ", ".join(f"`{i}`" for i in report.interpretations), ""]
    if report.admissions:
        out += ["## Admissions", "", "| application | candidate | tier | admitted | gates failed | "
                "decision |", "|---|---|---|---|---|---|"]
        for a in report.admissions:
            out.append(f"| `{a.id}` | {a.state} | {a.body} {a.tier} | {'yes' if a.admitted else 'no'} "
                       f"| {', '.join(a.gates_failed) or '-'} | {a.decision}"
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
        for (interp, _i, depth, _c, creditor, _a, _l), group in _grouped(report.obligations):
            o = group[0]
            out.append(f"| {interp} | {', '.join(x.debtor for x in group)} | {creditor} | "
                       f"{o.type} ({o.strength}) | {o.treaty}, {o.article} | {depth} |")
        out.append("")
    if report.tensions:
        out += ["## Tensions", "", "| severity | kind | parties | rule | why |", "|---|---|---|---|---|"]
        for t in report.tensions:
            out.append(f"| {t.severity} | {t.kind} | {', '.join(t.parties)} | `{t.rule}` | "
                       f"{t.meaning} |")
        out.append("")
    if report.obligations or report.tensions or report.admissions:
        out += ["## Picture", "", "```mermaid", to_mermaid(report).rstrip(), "```", ""]
    d = report.difference
    out += ["## Difference from the baseline", ""]
    if d.empty:
        out.append("None.")
    else:
        out += [f"- cause: {c}" for c in d.causes]
        out += [f"- tension appears: `{t}`" for t in d.tensions_appeared]
        out += [f"- obligation appears: `{o}`" for o in d.obligations_appeared]
        out += [f"- obligation vanishes: `{o.id}`" for o in d.obligations_vanished]
        out += [f"- admission changes: `{a['id']}`" for a in d.admissions_changed]
    return "\n".join(out) + "\n"
