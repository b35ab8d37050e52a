"""Pictures of a report: one graph per reading, of who owes what to whom and where the frictions are.

One graph model (:func:`graphs`) drawn three ways: Mermaid (rendered by GitHub, GitLab and
most Markdown viewers), Graphviz DOT, and SVG by our own layout (:mod:`.svg`, no Graphviz
needed). Each reading (interpretation) the report evaluated gets its own graph, so a reading
that concludes no duty shows none. Nodes are the states and bodies involved; solid arrows are
obligations (debtor to creditor, with a short label: type and article), dashed lines are
tensions (coloured by severity), dotted arrows are applications. A tension with one party is a
mark on its node. Debtors that owe exactly the same duties and have nothing else drawn on
them are one node (29 NATO members are one box, not 29). Pure: a Report in, text out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from cstosim.report import Report

SEVERITY_ORDER = ("low", "moderate", "high", "critical")
SEVERITY_COLOURS = {"low": "#7f8c8d", "moderate": "#b7950b", "high": "#d35400", "critical": "#c0392b"}
# Debtors with identical duties and nothing else drawn on them merge into one node from this many.
GROUP_FROM = 3
GROUP_LINE = 5  # state codes per line of a merged node's label
LEGEND = (
    ("solid arrow", "obligation, from debtor to creditor"),
    ("dashed line", "tension, coloured by severity: " + ", ".join(SEVERITY_ORDER)),
    ("dotted arrow", "application to a body"),
    ("! on a node", "a tension with that party alone"),
)


@dataclass(frozen=True, order=True)
class Edge:
    """One line of a picture: ``kind`` is obligation, tension or application; ``labels`` are
    its short labels (one per conclusion it stands for), ``details`` the long ones."""

    kind: str
    source: str
    target: str
    labels: tuple[str, ...]
    severity: str = ""
    details: tuple[str, ...] = ()
    mutual: bool = False  # obligations both ways between the two, drawn as one double arrow

    @property
    def label(self) -> str:
        return "; ".join(self.labels)


@dataclass(frozen=True, order=True)
class Mark:
    """A tension with one party, drawn on that party's node."""

    label: str
    severity: str
    detail: str


@dataclass(frozen=True)
class Node:
    """A state or body, or several debtors merged (``members`` then lists them)."""

    id: str
    members: tuple[str, ...]
    marks: tuple[Mark, ...] = ()

    @property
    def lines(self) -> tuple[str, ...]:
        """The node's label, one string per line."""
        if len(self.members) == 1:
            head: tuple[str, ...] = self.members
        else:
            rows = [" ".join(self.members[i:i + GROUP_LINE])
                    for i in range(0, len(self.members), GROUP_LINE)]
            head = (f"{len(self.members)} states", *rows)
        return head + tuple(f"! {m.label} ({m.severity})" for m in self.marks)

    @property
    def severity(self) -> str:
        """The worst severity among its marks, or ``""``."""
        return max((m.severity for m in self.marks), key=_rank, default="")


@dataclass(frozen=True)
class Graph:
    """The picture of one reading."""

    reading: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    obligations: int
    tensions: int

    @property
    def title(self) -> str:
        o, t = self.obligations, self.tensions
        return (f"reading {self.reading}: {o} obligation{'' if o == 1 else 's'}, "
                f"{t} tension{'' if t == 1 else 's'}")


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else -1


def _words(kind: str) -> str:
    return kind.replace("_", " ")


def _article(treaty: str, article: str) -> str:
    """A short name of a clause: ``Art. 4 (as amended)`` -> ``Art. 4``, ``Art. 2 para. 2`` ->
    ``Art. 2``; a clause without an article number goes by its treaty's first word."""
    if not article.startswith("Art."):
        return treaty.split()[0] if treaty.split() else article
    return article.split(" (")[0].split(" para")[0]


def graphs(report: Report, interpretation: str | None = None) -> list[Graph]:
    """One graph per reading of the report (only ``interpretation`` when given)."""
    readings = [r for r in report.interpretations if interpretation in (None, r)]
    return [_graph(report, r) for r in readings]


def _graph(report: Report, reading: str) -> Graph:
    found: dict[tuple[str, str, str], tuple[set[str], set[str], str]] = {}
    marks: dict[str, set[Mark]] = {}

    def add(kind: str, src: str, dst: str, label: str, detail: str, severity: str = "") -> None:
        labels, details, worst = found.setdefault((kind, src, dst), (set(), set(), ""))
        labels.add(label)
        details.add(detail)
        if _rank(severity) > _rank(worst):
            found[(kind, src, dst)] = (labels, details, severity)

    obligations = [o for o in report.obligations if o.interpretation == reading]
    for o in obligations:
        step = f", step {o.depth}" if o.depth else ""
        add("obligation", o.debtor, o.creditor, f"{_words(o.type)} {_article(o.treaty, o.article)}{step}",
            f"{_words(o.type)} ({o.strength}): {o.treaty}, {o.article}")
    tensions = [t for t in report.tensions if t.interpretation in (None, reading)]
    for t in tensions:
        detail = f"{t.severity}: {_words(t.kind)} ({', '.join(t.parties)}): {t.meaning}"
        if len(t.parties) == 1:
            marks.setdefault(t.parties[0], set()).add(Mark(_words(t.kind), t.severity, detail))
        for one, two in pairwise(t.parties):
            add("tension", one, two, _words(t.kind), detail, t.severity)
    for adm in report.admissions:
        verdict = "admitted" if adm.admitted else adm.decision
        add("application", adm.state, adm.body, f"applies as {adm.tier}: {verdict}",
            f"{adm.state} applies to {adm.body} as {adm.tier} on {adm.date}: {verdict}")
    es = [Edge(kind, src, dst, tuple(sorted(labels)), sev, tuple(sorted(details)))
          for (kind, src, dst), (labels, details, sev) in sorted(found.items())]
    names = sorted({e.source for e in es} | {e.target for e in es} | set(marks))
    nodes, es = _merge_debtors(names, es, marks)
    es = _mutual(es)
    return Graph(reading, tuple(nodes), tuple(es), len(obligations), len(tensions))


def _merge_debtors(names: list[str], es: list[Edge], marks: dict[str, set[Mark]],
                   ) -> tuple[list[Node], list[Edge]]:
    """Merge debtors whose only lines are the same obligations into one node."""
    touching: dict[str, list[Edge]] = {n: [] for n in names}
    for e in es:
        touching[e.source].append(e)
        if e.target != e.source:
            touching[e.target].append(e)
    groups: dict[tuple[tuple[str, str, tuple[str, ...]], ...], list[str]] = {}
    for n in names:
        lines = touching[n]
        if marks.get(n) or not lines or any(e.kind != "obligation" or e.source != n for e in lines):
            continue
        groups.setdefault(tuple(sorted((e.target, e.kind, e.labels) for e in lines)), []).append(n)
    merged: dict[str, str] = {}
    nodes: list[Node] = []
    for members in groups.values():
        if len(members) >= GROUP_FROM:
            gid = "group_" + "_".join(members[:2]) + f"_{len(members)}"
            nodes.append(Node(gid, tuple(members)))
            merged.update(dict.fromkeys(members, gid))
    nodes += [Node(n, (n,), tuple(sorted(marks.get(n, ()), key=lambda m: (-_rank(m.severity), m))))
              for n in names if n not in merged]
    out: dict[tuple[str, str, str], Edge] = {}
    for e in es:
        src, dst = merged.get(e.source, e.source), merged.get(e.target, e.target)
        key = (e.kind, src, dst)
        if key in out:  # the merged debtors' edges are alike but for the debtor named in details
            old = out[key]
            out[key] = Edge(e.kind, src, dst, old.labels, old.severity,
                            tuple(sorted(set(old.details) | set(e.details))))
        else:
            out[key] = Edge(e.kind, src, dst, e.labels, e.severity, e.details)
    return sorted(nodes, key=lambda n: n.id), sorted(out.values())


def _mutual(es: list[Edge]) -> list[Edge]:
    """Obligations both ways between two nodes as one edge, each label saying its direction."""
    owed = {(e.source, e.target): e for e in es if e.kind == "obligation"}
    out = []
    for e in es:
        back = owed.get((e.target, e.source)) if e.kind == "obligation" and e.source != e.target else None
        if back is None:
            out.append(e)
        elif e.source < e.target:
            labels = tuple(f"{e.source} to {e.target}: {x}" for x in e.labels) + tuple(
                f"{e.target} to {e.source}: {x}" for x in back.labels)
            out.append(Edge("obligation", e.source, e.target, labels, "",
                            tuple(sorted({*e.details, *back.details})), mutual=True))
    return sorted(out)


def _ident(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _mermaid_text(text: str) -> str:
    """Text inside a quoted Mermaid label: entities for the characters Mermaid reads."""
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;").replace("|", "#124;"))


def to_mermaid(report: Report, interpretation: str | None = None) -> str:
    """A Mermaid flowchart: a legend and one subgraph per reading."""
    # Top to bottom: the legend, then the readings in the report's order, held in that order by
    # invisible links between the subgraphs (declared last, so linkStyle numbers stay right);
    # each subgraph is laid out left to right.
    lines = ["flowchart TB"]
    styles: list[str] = []
    order = ["legend"]
    link = 0
    legend = "<br>".join(_mermaid_text(f"{a}: {b}") for a, b in LEGEND)
    lines += ['  subgraph legend["Legend"]', "    direction LR", f'    legend_text["{legend}"]', "  end"]
    styles.append("  style legend_text text-align:left,fill:#fdfefe,stroke:#aab7b8")
    for g in graphs(report, interpretation):
        p = _ident(g.reading) + "__"
        order.append(f"{p}reading")
        lines.append(f'  subgraph {p}reading["{_mermaid_text(g.title)}"]')
        lines.append("    direction LR")
        if not g.nodes:
            lines.append(f'    {p}none["nothing to draw under this reading"]')
        for n in g.nodes:
            lines.append(f'    {p}{_ident(n.id)}["' + "<br>".join(_mermaid_text(x) for x in n.lines)
                         + '"]')
            if n.marks:
                styles.append(f"  style {p}{_ident(n.id)} stroke:{SEVERITY_COLOURS[n.severity]},"
                              "stroke-width:3px")
        for e in g.edges:
            label = "<br>".join(_mermaid_text(x) for x in e.labels)
            src, dst = p + _ident(e.source), p + _ident(e.target)
            arrow = "<-->" if e.mutual else {"obligation": "-->", "tension": "-.-",
                                             "application": "-.->"}[e.kind]
            lines.append(f'    {src} {arrow}|"{label}"| {dst}')
            if e.kind == "tension":
                styles.append(f"  linkStyle {link} stroke:{SEVERITY_COLOURS[e.severity]},"
                              "stroke-width:2px")
            elif e.kind == "application":
                styles.append(f"  linkStyle {link} stroke-dasharray:2 4")
            link += 1
        lines.append("  end")
    lines += [f"  {a} ~~~ {b}" for a, b in pairwise(order)]
    return "\n".join(lines + styles) + "\n"


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def to_dot(report: Report, interpretation: str | None = None) -> str:
    """A Graphviz DOT digraph: a legend and one cluster per reading."""
    legend = "\\l".join(_dot_text(f"{a}: {b}") for a, b in LEGEND) + "\\l"
    lines = [f'digraph "{_dot_text(report.scenario)}" {{', "  rankdir=LR;",
             '  node [shape=box, style=rounded, fontname="Helvetica"];',
             '  edge [fontname="Helvetica", fontsize=10];',
             f'  legend [shape=note, label="Legend\\n{legend}"];']
    for g in graphs(report, interpretation):
        p = _ident(g.reading) + "__"
        lines += [f"  subgraph cluster_{_ident(g.reading)} {{", f'    label="{_dot_text(g.title)}";']
        if not g.nodes:
            lines.append(f'    "{p}none" [label="nothing to draw under this reading", shape=plaintext];')
        for n in g.nodes:
            attrs = f'label="{_dot_text(chr(10).join(n.lines))}"'
            if n.marks:
                attrs += f', color="{SEVERITY_COLOURS[n.severity]}", penwidth=2'
            lines.append(f'    "{p}{n.id}" [{attrs}];')
        for e in g.edges:
            attrs = (f'label="{_dot_text(chr(10).join(e.labels))}", '
                     f'tooltip="{_dot_text("; ".join(e.details))}"')
            if e.kind == "tension":
                attrs += f', style=dashed, dir=none, color="{SEVERITY_COLOURS[e.severity]}"'
            elif e.kind == "application":
                attrs += ", style=dotted"
            elif e.mutual:
                attrs += ", dir=both"
            lines.append(f'    "{p}{e.source}" -> "{p}{e.target}" [{attrs}];')
        lines.append("  }")
    return "\n".join([*lines, "}"]) + "\n"
