"""Pictures of a report: who owes what to whom, and where the frictions are.

One graph model (:func:`edges`) drawn two ways: Mermaid (rendered by GitHub,
GitLab and most Markdown viewers) and Graphviz DOT. Nodes are the states and
bodies involved; solid arrows are obligations (debtor to creditor, labelled with
type and article), dashed lines are tensions (labelled with kind and severity),
dotted arrows are applications. Pure text in, text out.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from cstosim.report import Report

SEVERITY_COLOURS = {"low": "#7f8c8d", "moderate": "#d4ac0d", "high": "#e67e22", "critical": "#c0392b"}


@dataclass(frozen=True, order=True)
class Edge:
    kind: str  # obligation | tension | application
    source: str
    target: str
    label: str
    severity: str = ""


def edges(report: Report, interpretation: str | None = None) -> list[Edge]:
    """The graph's edges, deduplicated across interpretations unless one is chosen."""
    found: set[Edge] = set()
    for o in report.obligations:
        if interpretation and o.interpretation != interpretation:
            continue
        step = f", step {o.depth}" if o.depth else ""
        found.add(Edge("obligation", o.debtor, o.creditor, f"{o.type}: {o.commitment}{step}"))
    for t in report.tensions:
        if interpretation and t.interpretation not in (None, interpretation):
            continue
        for one, two in pairwise(t.parties):
            found.add(Edge("tension", one, two, f"{t.severity}: {t.kind}", t.severity))
    for adm in report.admissions:
        verdict = "admitted" if adm.admitted else adm.decision
        found.add(Edge("application", adm.state, adm.body, f"applies as {adm.tier}: {verdict}"))
    return _merged(sorted(found))


def _merged(es: list[Edge]) -> list[Edge]:
    """One edge per kind and pair of nodes, its labels joined; a tension keeps the worst severity."""
    order = ("", "low", "moderate", "high", "critical")
    groups: dict[tuple[str, str, str], list[Edge]] = {}
    for e in es:
        groups.setdefault((e.kind, e.source, e.target), []).append(e)
    return [Edge(kind, src, dst, "; ".join(e.label for e in group),
                 max((e.severity for e in group), key=order.index))
            for (kind, src, dst), group in sorted(groups.items())]


def _nodes(es: list[Edge]) -> list[str]:
    return sorted({e.source for e in es} | {e.target for e in es})


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


def to_mermaid(report: Report, interpretation: str | None = None) -> str:
    """A Mermaid flowchart of the report."""
    es = edges(report, interpretation)
    lines = ["flowchart LR"]
    lines += [f'  {n}["{n}"]' for n in _nodes(es)]
    styles = []
    for i, e in enumerate(es):
        label = _mermaid_text(e.label)
        if e.kind == "obligation":
            lines.append(f'  {e.source} -->|"{label}"| {e.target}')
        elif e.kind == "tension":
            lines.append(f'  {e.source} -.-|"{label}"| {e.target}')
            styles.append(f"  linkStyle {i} stroke:{SEVERITY_COLOURS[e.severity]},stroke-width:2px")
        else:
            lines.append(f'  {e.source} -.->|"{label}"| {e.target}')
    return "\n".join(lines + styles) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_dot(report: Report, interpretation: str | None = None) -> str:
    """A Graphviz DOT digraph of the report."""
    es = edges(report, interpretation)
    lines = [f'digraph "{_dot_text(report.scenario)}" {{', "  rankdir=LR;",
             '  node [shape=box, style=rounded, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];']
    lines += [f'  "{n}";' for n in _nodes(es)]
    for e in es:
        attrs = f'label="{_dot_text(e.label)}"'
        if e.kind == "tension":
            attrs += f', style=dashed, dir=none, color="{SEVERITY_COLOURS[e.severity]}"'
        elif e.kind == "application":
            attrs += ", style=dotted"
        lines.append(f'  "{e.source}" -> "{e.target}" [{attrs}];')
    return "\n".join([*lines, "}"]) + "\n"
