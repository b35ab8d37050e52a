"""The pictures of :mod:`.graph` as SVG, laid out by a small layered layout of our own.

No Graphviz: the layout is pure Python, so ``--format svg`` and the HTML report work on
any machine. Nodes go in columns by their longest chain of arrows (debtor left of creditor;
a cycle is broken where a depth-first walk closes it); within a column they are ordered by
the mean position of their neighbours. Every label sits in the gap next to its edge's
source column, and the labels of one gap are stacked so that none overlap; edges run through
their label. Text sizes are estimated from the character count at a generous average width.
Pure: a Graph in, text out; the same graph gives the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from cstosim.render.graph import LEGEND, SEVERITY_COLOURS, SEVERITY_ORDER, Graph, graphs
from cstosim.report import Report

FONT = 12
CHAR = 7.6  # px per character at FONT, wide enough for capitals in common sans-serif fonts
LINE = 16
PAD = 8
NODE_GAP = 28
LABEL_GAP = 8
MARGIN = 16
COLOURS = {"obligation": "#2c3e50", "application": "#566573"}
FONTS = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"


@dataclass
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


def _size(lines: tuple[str, ...]) -> tuple[float, float]:
    return max(len(x) for x in lines) * CHAR + 2 * PAD, len(lines) * LINE + 2 * PAD - 4


def _ranks(g: Graph) -> dict[str, int]:
    """Each node's column: the longest chain of edges into it, back edges of a cycle dropped."""
    out: dict[str, list[str]] = {n.id: [] for n in g.nodes}
    for e in g.edges:
        if e.source != e.target:
            out[e.source].append(e.target)
    kept: list[tuple[str, str]] = []
    state: dict[str, int] = {}  # 1 on the walk's path, 2 done

    def walk(n: str) -> None:
        state[n] = 1
        for m in out[n]:
            if state.get(m) == 1:
                continue  # closes a cycle: drawn right to left
            kept.append((n, m))
            if m not in state:
                walk(m)
        state[n] = 2

    for n in sorted(out):
        if n not in state:
            walk(n)
    rank = dict.fromkeys(out, 0)
    for _ in range(len(out)):  # longest path on the acyclic part; at most one pass per node
        changed = False
        for a, b in kept:
            if rank[b] < rank[a] + 1:
                rank[b], changed = rank[a] + 1, True
        if not changed:
            break
    return rank


def _order(g: Graph, rank: dict[str, int]) -> list[list[str]]:
    """Columns of node ids, each ordered by the mean position of its neighbours in the
    column before (sweeping right) and after (sweeping back), a few times."""
    cols: list[list[str]] = [[] for _ in range(max(rank.values(), default=0) + 1)]
    for n in g.nodes:
        cols[rank[n.id]].append(n.id)
    near: dict[str, list[str]] = {n.id: [] for n in g.nodes}
    for e in g.edges:
        near[e.source].append(e.target)
        near[e.target].append(e.source)
    sweeps = [(i, i - 1) for i in range(1, len(cols))] + [(i, i + 1)
                                                           for i in range(len(cols) - 2, -1, -1)]
    for _ in range(2):
        for i, ref in sweeps:
            pos = {n: k / max(len(cols[ref]) - 1, 1) for k, n in enumerate(cols[ref])}
            old = {n: k / max(len(cols[i]) - 1, 1) for k, n in enumerate(cols[i])}

            def centre(n: str, pos: dict[str, float] = pos, old: dict[str, float] = old,
                       ) -> tuple[float, str]:
                seen = [pos[m] for m in near[n] if m in pos]
                return (sum(seen) / len(seen) if seen else old[n], n)

            cols[i].sort(key=centre)
    return cols


def _stack(want: list[tuple[float, float]]) -> list[float]:
    """Tops for boxes of the given (desired centre, height), in that order, none overlapping
    and each as near its centre as the others allow: overlapping runs are merged and centred
    on their mean, until no two overlap."""
    runs: list[list[int]] = []
    tops: list[float] = []

    def top_of(run: list[int]) -> float:
        total = sum(want[k][1] for k in run) + LABEL_GAP * (len(run) - 1)
        return sum(want[k][0] for k in run) / len(run) - total / 2

    for k in range(len(want)):
        runs.append([k])
        while len(runs) > 1:
            a, b = runs[-2], runs[-1]
            end = top_of(a) + sum(want[x][1] for x in a) + LABEL_GAP * len(a)
            if end <= top_of(b):
                break
            runs[-2:] = [a + b]
    for run in runs:
        y = max(top_of(run), float(MARGIN))
        for k in run:
            tops.append(y)
            y += want[k][1] + LABEL_GAP
    return tops


def _layout(g: Graph) -> tuple[dict[str, _Box], list[tuple[int, _Box, int]], float, float]:
    """Node boxes, label boxes (edge index, box, gap) and the picture's size."""
    rank = _ranks(g)
    cols = _order(g, rank)
    sizes = {n.id: _size(n.lines) for n in g.nodes}
    heights = [sum(sizes[n][1] for n in col) + NODE_GAP * (len(col) - 1) for col in cols]
    tall = max(heights, default=0)
    ys: dict[str, float] = {}
    for col, h in zip(cols, heights, strict=True):
        y = MARGIN + (tall - h) / 2
        for n in col:
            ys[n] = y
            y += sizes[n][1] + NODE_GAP
    # Each label goes in the gap after its source's column (before it, for an edge drawn back).
    gap_of: list[int] = []
    for e in g.edges:
        s, t = rank[e.source], rank[e.target]
        gap_of.append(s if t > s else max(s - 1, 0) if t < s else s)
    gaps = len(cols)
    widths = [0.0] * gaps
    for i, e in enumerate(g.edges):
        widths[gap_of[i]] = max(widths[gap_of[i]], _size(e.labels)[0])
    xs, x = [], float(MARGIN)
    for i, col in enumerate(cols):
        xs.append(x)
        x += max((sizes[n][0] for n in col), default=0) + 2 * NODE_GAP + widths[i]
    boxes = {n: _Box(xs[rank[n]], ys[n], *sizes[n]) for n in ys}
    labels: list[tuple[int, _Box, int]] = []
    for gap in range(gaps):
        mine = [i for i in range(len(g.edges)) if gap_of[i] == gap]
        want = sorted(mine, key=lambda i: ((boxes[g.edges[i].source].cy + boxes[g.edges[i].target].cy)
                                           / 2, i))
        col_right = xs[gap] + max((sizes[n][0] for n in cols[gap]), default=0) + NODE_GAP
        sized = [(i, _size(g.edges[i].labels)) for i in want]
        tops = _stack([((boxes[g.edges[i].source].cy + boxes[g.edges[i].target].cy) / 2, h)
                       for i, (_w, h) in sized])
        floor = 0.0
        for (i, (w, h)), y in zip(sized, tops, strict=True):
            y = max(y, floor)  # INVARIANT: labels of one gap never overlap
            labels.append((i, _Box(col_right + (widths[gap] - w) / 2, y, w, h), gap))
            floor = y + h + LABEL_GAP
    right = max([b.x + b.w for b in boxes.values()] + [b.x + b.w for _, b, _ in labels],
                default=0.0)
    bottom = max([b.y + b.h for b in boxes.values()] + [b.y + b.h for _, b, _ in labels],
                 default=0.0)
    return boxes, sorted(labels, key=lambda t: t[0]), right + MARGIN, bottom + MARGIN


def _n(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def _text(lines: tuple[str, ...], box: _Box, colours: tuple[str, ...] = ()) -> str:
    spans = []
    for k, line in enumerate(lines):
        fill = f' fill="{colours[k]}"' if k < len(colours) and colours[k] else ""
        spans.append(f'<tspan x="{_n(box.x + PAD)}" y="{_n(box.y + PAD + 12 + k * LINE)}"{fill}>'
                     f"{escape(line)}</tspan>")
    return f"<text>{''.join(spans)}</text>"


def graph_svg(g: Graph, ident: str) -> str:
    """One reading's graph as a standalone ``<svg>`` element; ``ident`` keeps its ids unique."""
    boxes, labels, width, height = _layout(g)
    arrow = f"arrow-{ident}"
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" width="{_n(width)}" '
           f'height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" role="img" '
           f'aria-label="{escape(g.title)}" font-family="{FONTS}" font-size="{FONT}">',
           f"<title>{escape(g.title)}</title>",
           f'<defs><marker id="{arrow}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" '
           'fill="context-stroke"/></marker></defs>']
    if not g.nodes:
        out.append(f'<text x="{MARGIN}" y="{MARGIN + 12}">nothing to draw under this reading</text>')
    placed = {i: b for i, b, _ in labels}
    for i, e in enumerate(g.edges):
        s, t, lab = boxes[e.source], boxes[e.target], placed[i]
        forward = t.x >= s.x
        x0 = s.x + s.w if forward else s.x
        x3 = t.x if forward else t.x + t.w
        la, lb = (lab.x, lab.x + lab.w) if forward else (lab.x + lab.w, lab.x)
        c = 24 if forward else -24
        d = (f"M{_n(x0)},{_n(s.cy)} C{_n(x0 + c)},{_n(s.cy)} {_n(la - c)},{_n(lab.cy)} "
             f"{_n(la)},{_n(lab.cy)} L{_n(lb)},{_n(lab.cy)} C{_n(lb + c)},{_n(lab.cy)} "
             f"{_n(x3 - c)},{_n(t.cy)} {_n(x3)},{_n(t.cy)}")
        colour = SEVERITY_COLOURS.get(e.severity, "") or COLOURS.get(e.kind, "#2c3e50")
        dash = {"tension": ' stroke-dasharray="6 4"', "application": ' stroke-dasharray="2 4"'}
        end = "" if e.kind == "tension" else f' marker-end="url(#{arrow})"'
        if e.mutual:
            end += f' marker-start="url(#{arrow})"'
        tip = escape("; ".join(e.details))
        out.append(f'<g class="edge {e.kind}"><title>{tip}</title><path d="{d}" fill="none" '
                   f'stroke="{colour}" stroke-width="{2 if e.kind == "tension" else 1.4}"'
                   f"{dash.get(e.kind, '')}{end}/></g>")
    for i, lab in sorted(placed.items()):
        e = g.edges[i]
        colour = SEVERITY_COLOURS.get(e.severity, "") or COLOURS.get(e.kind, "#2c3e50")
        out.append(f'<g class="label {e.kind}"><rect x="{_n(lab.x)}" y="{_n(lab.y)}" '
                   f'width="{_n(lab.w)}" height="{_n(lab.h)}" rx="3" fill="#ffffff" '
                   f'stroke="{colour}" stroke-width="0.6"/>{_text(e.labels, lab)}</g>')
    for n in g.nodes:
        b = boxes[n.id]
        stroke = SEVERITY_COLOURS.get(n.severity, "#34495e")
        fills = ("",) * (len(n.lines) - len(n.marks)) + tuple(SEVERITY_COLOURS[m.severity]
                                                              for m in n.marks)
        title = escape("; ".join(m.detail for m in n.marks) or ", ".join(n.members))
        out.append(f'<g class="node" data-node="{escape(n.id)}"><title>{title}</title>'
                   f'<rect x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" rx="6" '
                   f'fill="#f8f9f9" stroke="{stroke}" stroke-width="{2.5 if n.marks else 1.2}"/>'
                   f"{_text(n.lines, b, fills)}</g>")
    out.append("</svg>")
    return "".join(out)


def legend_svg() -> str:
    """The legend of every picture, as a small ``<svg>``."""
    width = 60 + max(len(f"{a}: {b}") for a, b in LEGEND) * CHAR + 2 * MARGIN
    rows = []
    samples = (("#2c3e50", ""), (SEVERITY_COLOURS["high"], ' stroke-dasharray="6 4"'),
               ("#566573", ' stroke-dasharray="2 4"'), ("", ""))
    for k, ((name, meaning), (colour, dash)) in enumerate(zip(LEGEND, samples, strict=True)):
        y = MARGIN + k * 22
        if colour:
            rows.append(f'<path d="M{MARGIN},{y + 8}h44" stroke="{colour}" stroke-width="2"{dash}/>')
        else:
            rows.append(f'<text x="{MARGIN + 16}" y="{y + 12}" fill="{SEVERITY_COLOURS["moderate"]}" '
                        'font-weight="bold">!</text>')
        rows.append(f'<text x="{MARGIN + 56}" y="{y + 12}">{escape(name)}: {escape(meaning)}</text>')
    sev = MARGIN + len(LEGEND) * 22
    for k, s in enumerate(SEVERITY_ORDER):
        rows.append(f'<rect x="{MARGIN + 56 + k * 96}" y="{sev}" width="12" height="12" '
                    f'fill="{SEVERITY_COLOURS[s]}"/><text x="{MARGIN + 72 + k * 96}" '
                    f'y="{sev + 11}">{s}</text>')
    height = sev + 12 + MARGIN
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="legend" width="{_n(width)}" '
            f'height="{height}" viewBox="0 0 {_n(width)} {height}" font-family="{FONTS}" '
            f'font-size="{FONT}"><title>Legend</title>{"".join(rows)}</svg>')


def to_svg(report: Report, interpretation: str | None = None) -> str:
    """One SVG document: the scenario's name, each reading's graph under its title, the legend."""
    parts = [(legend_svg(), "Legend")]
    for k, g in enumerate(graphs(report, interpretation)):
        parts.append((graph_svg(g, f"g{k}"), g.title))
    blocks, y, width = [], float(MARGIN + 20), 0.0
    for svg, title in parts:
        w = float(svg.split('width="', 1)[1].split('"', 1)[0])
        h = float(svg.split('height="', 1)[1].split('"', 1)[0])
        blocks.append(f'<text x="{MARGIN}" y="{_n(y + 14)}" font-weight="bold">{escape(title)}</text>'
                      f'<g transform="translate(0,{_n(y + 20)})">{svg}</g>')
        y += h + 40
        width = max(width, w)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(y)}" '
            f'viewBox="0 0 {_n(width)} {_n(y)}" font-family="{FONTS}" font-size="{FONT}">'
            f'<rect width="100%" height="100%" fill="#ffffff"/>'
            f'<text x="{MARGIN}" y="{MARGIN + 8}" font-size="15" font-weight="bold">'
            f"{escape(report.scenario)}</text>")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + head + "".join(blocks) + "</svg>\n"
