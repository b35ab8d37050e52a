"""A Report as one self-contained HTML page: a document an analyst can send.

Everything is inline: CSS, the pictures (SVG by :mod:`.svg`), no script but one line that
opens the reasons for printing; nothing is fetched when the page is viewed. Sections: the
summary (incidents under every reading side by side, admission verdicts with what decided
them, counts per reading), the admissions, one section per reading (classifications,
obligations grouped by commitment and creditor, tensions, its graph), the tensions that hold
under every reading, the timeline of the memberships the scenario touches, notes and the
difference from the baseline. Reasons are ``<details>``; sources with a URL are links; every
text from the user's files is escaped.
"""

from __future__ import annotations

import re
from html import escape
from typing import TYPE_CHECKING

from cstosim.render.diff import delta_lines
from cstosim.render.graph import SEVERITY_COLOURS, SEVERITY_ORDER, graphs
from cstosim.render.sentences import sentence
from cstosim.render.svg import graph_svg, legend_svg
from cstosim.render.values import leaf_line, value, verdict
from cstosim.report import REPORT_VERSION, Difference, Obligation, Report, Tension
from cstosim.summary import Node, admission_rows, counts, incident_rows, obligation_tree

if TYPE_CHECKING:
    from cstosim.conditions import LeafResult
    from cstosim.timeline import Timeline

_URL = re.compile(r"https?://[^\s<>\"'()]+[^\s<>\"'().,;:]")

# Every rule is scoped to `.cstosim`, so the same style serves the page (its <body> has the
# class) and a notebook's output cell (a <div class="cstosim">) without restyling the notebook.
CSS = """
.cstosim { --ink: #1c2833; --muted: #566573; --rule: #d5d8dc; --band: #f4f6f7; color: var(--ink);
           font: 15px/1.45 "DejaVu Sans", Verdana, Helvetica, Arial, sans-serif; }
.cstosim * { box-sizing: border-box; }
body.cstosim { margin: 0 auto; max-width: 1180px; padding: 16px 24px 48px; background: #fff; }
.cstosim h1 { font-size: 1.6em; margin: .2em 0; }
.cstosim h2 { margin-top: 1.6em; border-bottom: 2px solid var(--rule); }
.cstosim h3 { margin-bottom: .3em; }
.cstosim .meta { color: var(--muted); margin: 0; }
.cstosim nav { margin: .8em 0; padding: .4em .6em; background: var(--band); border-radius: 4px; }
.cstosim nav a { margin-right: 1em; white-space: nowrap; }
.cstosim table { border-collapse: collapse; margin: .5em 0 1em; width: 100%; }
.cstosim th, .cstosim td { border: 1px solid var(--rule); padding: 4px 8px; text-align: left;
                           vertical-align: top; }
.cstosim th { background: var(--band); }
.cstosim td.all { font-style: italic; }
.cstosim .tag { display: inline-block; padding: 0 6px; border-radius: 3px; color: #fff; font-size: .85em; }
.cstosim .yes { color: #1e8449; font-weight: bold; } .cstosim .no { color: #c0392b; font-weight: bold; }
.cstosim details { margin: .2em 0 .6em; } .cstosim summary { cursor: pointer; color: var(--muted); }
.cstosim details ul { margin: .3em 0; }
.cstosim .leaf { font-family: "DejaVu Sans Mono", monospace; font-size: .9em; }
.cstosim .figure { overflow-x: auto; border: 1px solid var(--rule); border-radius: 4px; padding: 4px; }
.cstosim .none { color: var(--muted); font-style: italic; }
.cstosim ul.tree { padding-left: 1.2em; } .cstosim ul.tree li { margin: .25em 0; }
.cstosim ul.tree ul.tree { border-left: 2px solid var(--rule); margin-left: .2em; }
.cstosim footer { margin-top: 3em; color: var(--muted); font-size: .85em; }
@media print {
  body.cstosim { max-width: none; padding: 0; font-size: 11pt; }
  .cstosim nav, .cstosim summary { display: none; }
  .cstosim section { break-inside: avoid-page; } .cstosim h2 { break-after: avoid; }
  .cstosim .figure { overflow: visible; border: none; } .cstosim svg { max-width: 100%; height: auto; }
  .cstosim a { color: inherit; }
  .cstosim a[href^="http"]::after { content: " <" attr(href) ">"; font-size: .8em; }
}
"""
# Opens every <details> before printing, so a printed report shows all reasons.
PRINT_SCRIPT = ("addEventListener('beforeprint',function(){"
                "document.querySelectorAll('details').forEach(function(d){d.open=true;});});")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _source(text: str) -> str:
    """A source citation, escaped, with each URL in it a link."""
    out, at = [], 0
    for m in _URL.finditer(text):
        out += [_e(text[at:m.start()]), f'<a href="{_e(m.group())}">{_e(m.group())}</a>']
        at = m.end()
    return "".join([*out, _e(text[at:])])


def _sev(severity: str) -> str:
    return f'<span class="tag" style="background:{SEVERITY_COLOURS[severity]}">{_e(severity)}</span>'


def _none(what: str) -> str:
    return f'<p class="none">none: {_e(what)}</p>'


def _leaves(leaves: tuple[LeafResult, ...]) -> str:
    if not leaves:
        return ""
    items = "".join(f'<li class="leaf">{_e(leaf_line(x, "yes" if x.result else "NO "))}</li>'
                    for x in leaves)
    return f"<ul>{items}</ul>"


def _why(items: list[str], leaves: tuple[LeafResult, ...] = ()) -> str:
    body = "".join(f"<li>{x}</li>" for x in items)
    return f"<details><summary>why</summary><ul>{body}</ul>{_leaves(leaves)}</details>"


def summary_section(report: Report, ident: str = "summary", title: str = "Summary") -> str:
    """The summary first, from :mod:`cstosim.summary` (the same rows the text and Markdown
    reports print): incidents by reading side by side, admissions, counts per reading."""
    readings = report.interpretations
    out = [f'<section id="{_e(ident)}"><h2>{_e(title)}</h2>', "<h3>Incidents</h3>"]
    incidents = incident_rows(report)
    if incidents:
        head = "".join(f"<th>{_e(r)}</th>" for r in readings)
        out.append(f'<table id="{_e(ident)}-incidents"><tr><th>incident</th>{head}</tr>')
        for row in incidents:
            by = {r: label or "unclassified" for r, label, _rule in row.labels}
            if row.agreed and len(readings) > 1 and set(by) >= set(readings):
                cells = (f'<td class="all" colspan="{len(readings)}">all readings: '
                         f"<b>{_e(by[readings[0]])}</b></td>")
            else:
                cells = "".join(f"<td><b>{_e(by.get(r, '-'))}</b></td>" for r in readings)
            out.append(f"<tr><td>{_e(row.incident)}</td>{cells}</tr>")
        out.append("</table>")
    else:
        out.append(_none("the scenario has no incident"))
    out.append("<h3>Admissions</h3>")
    admissions = admission_rows(report)
    if admissions:
        out.append(f'<table id="{_e(ident)}-admissions"><tr><th>application</th><th>candidate</th>'
                   "<th>body and tier</th><th>verdict</th><th>decided by</th></tr>")
        for a in admissions:
            css, word = ("yes", "ADMITTED") if a.admitted else ("no", "NOT ADMITTED")
            why = "; ".join(sentence(r) for r in a.deciding) or "-"
            out.append(f"<tr><td>{_e(a.id)}</td><td>{_e(a.state)}</td><td>{_e(a.body)} {_e(a.tier)}</td>"
                       f'<td class="{css}">{word}</td><td>{_e(why)}</td></tr>')
        out.append("</table>")
    else:
        out.append(_none("the scenario has no application"))
    rows, shared = counts(report)
    out.append(f'<h3>Per reading</h3><table id="{_e(ident)}-counts"><tr><th>reading</th>'
               "<th>obligations</th><th>tensions of the reading</th></tr>")
    for c in rows:
        out.append(f'<tr><td><a href="#reading-{_e(c.reading)}">{_e(c.reading)}</a></td>'
                   f"<td>{c.obligations}</td><td>{c.tensions}</td></tr>")
    out.append(f"</table><p>Tensions under every reading: {shared}.</p></section>")
    return "".join(out)


def _admissions(report: Report) -> str:
    out = ['<section id="admissions"><h2>Admissions</h2>']
    if not report.admissions:
        out.append(_none("the scenario has no application"))
    for a in report.admissions:
        word = verdict(a.admitted, a.decision)
        out.append(f"<h3>{_e(a.state)} applies to {_e(a.body)} as {_e(a.tier)} on {_e(a.date)}: "
                   f'<span class="{"yes" if a.admitted else "no"}">{_e(word[0])}</span></h3>')
        out.append(f"<p>Tier in force: {'yes' if a.tier_in_force else 'no'}. Deciders' vote"
                   f" ({_e(a.decision_rule or '-')}, {_e(a.procedure or '-')}): {_e(word[1])}.</p>")
        out.append("<table><tr><th>gate</th><th>result</th><th>meaning</th><th>source</th></tr>")
        for g in a.gates:
            res = "passed" if g.passed else "FAILED" + (f" for {', '.join(g.failing)}" if g.failing else "")
            out.append(f'<tr><td>{_e(g.gate)}</td><td class="{"yes" if g.passed else "no"}">{_e(res)}'
                       f"{_leaves(g.leaves)}</td><td>{_e(g.meaning)}</td><td>{_source(g.source)}</td></tr>")
        out.append("</table>")
        if a.stances:
            out.append("<table><tr><th>decider</th><th>stance</th><th>rule</th></tr>")
            for s in a.stances:
                out.append(f"<tr><td>{_e(s.decider)}</td><td>{_e(s.stance)}</td><td>{_e(s.rule or '-')}"
                           f"<br><small>{_e(s.meaning)}</small>{_leaves(s.leaves)}</td></tr>")
            out.append("</table>")
        if a.rights:
            out.append(f"<p>Rights: {_e(', '.join(a.rights))}</p>")
        out.append(_why([_e(sentence(r)) for r in a.reasons]))
    out.append("</section>")
    return "".join(out)


def _tension_rows(ts: list[Tension]) -> str:
    if not ts:
        return _none("no tension")
    out = ["<table><tr><th>severity</th><th>kind</th><th>parties</th><th>context</th><th>why</th></tr>"]
    for t in sorted(ts, key=lambda t: (-SEVERITY_ORDER.index(t.severity), t.id)):
        facts = [f"facts: {'; '.join(f'{k}={value(v)}' for k, v in t.facts)}"] if t.facts else []
        why = _why([f"rule {_e(t.rule)}", *map(_e, facts), f"source: {_source(t.source)}"], t.leaves)
        out.append(f"<tr><td>{_sev(t.severity)}</td><td>{_e(t.kind)}</td><td>{_e(', '.join(t.parties))}"
                   f"</td><td>{_e(t.context)}</td><td>{_e(t.meaning)}{why}</td></tr>")
    out.append("</table>")
    return "".join(out)


def obligation_groups(obs: list[Obligation]) -> list[list[Obligation]]:
    """Obligations of one incident, cascade step, commitment, creditor and label together:
    their debtors and adversaries are listed on one row (29 NATO members are one row)."""
    groups: dict[tuple[str, int, str, str, str], list[Obligation]] = {}
    for o in sorted(obs, key=lambda o: (o.incident, o.depth, o.commitment, o.creditor, o.label or "",
                                        o.debtor, o.against or "", o.id)):
        groups.setdefault((o.incident, o.depth, o.commitment, o.creditor, o.label or ""), []).append(o)
    return list(groups.values())


def _tree(nodes: tuple[Node, ...]) -> str:
    """Obligation groups as the cascade tree they form (:func:`cstosim.summary.obligation_tree`):
    each node's debtors (with the states each owes it against) together, its steps beneath."""
    items = []
    for n in nodes:
        o = n.obligations[0]
        who = "; ".join(f"{_e(', '.join(ds))} <small>({len(ds)})</small>"
                        + (f" against {_e(', '.join(ag))}" if ag else "") for ds, ag in n.rows)
        why = _why([_e(o.meaning), f"rule {_e(n.commitment)}; incident {_e(n.incident)} read as "
                    f"{_e(n.label)} (judged by {_e(n.judged_by)})", f"source: {_source(o.source)}"],
                   o.leaves)
        step = f"step {n.depth}: " if n.depth else ""
        many = "" if len(n.obligations) == 1 else "s"
        verb = "owes" if len(n.debtors) == 1 else "owe"
        items.append(f"<li>{step}{who} {verb} <b>{_e(n.creditor)}</b> {_e(n.type)} ({_e(n.strength)}): "
                     f"{_e(n.treaty)}, {_e(n.article)} <small>({len(n.obligations)} obligation{many})"
                     f"</small>{why}{_tree(n.children)}</li>")
    return f'<ul class="tree">{"".join(items)}</ul>' if items else ""


def _obligation_rows(obs: list[Obligation]) -> str:
    if not obs:
        return _none("no obligation under this reading")
    out = ["<table><tr><th>debtors</th><th>owe</th><th>creditor</th><th>clause</th><th>step</th>"
           "<th>count</th></tr>"]
    for group in obligation_groups(obs):
        o = group[0]
        debtors = sorted({x.debtor for x in group})
        against = sorted({x.against for x in group if x.against and x.against != x.debtor})
        vs = f" against {', '.join(against)}" if against else ""
        vias = sorted({x.via for x in group if x.via})
        why = _why([_e(o.meaning), f"rule {_e(o.commitment)}; incident {_e(o.incident)} read as "
                    f"{_e(o.label)} (judged by {_e(o.judged_by)})", f"source: {_source(o.source)}"]
                   + ([f"via {_e(', '.join(vias))}"] if vias else []), o.leaves)
        out.append(f"<tr><td>{_e(', '.join(debtors))} <small>({len(debtors)})</small></td><td>"
                   f"{_e(o.type)} ({_e(o.strength)}){_e(vs)}</td><td>{_e(o.creditor)}</td><td>"
                   f"{_e(o.treaty)}, {_e(o.article)}{why}</td><td>{o.depth}</td><td>{len(group)}</td></tr>")
    out.append("</table>")
    return "".join(out)


def _reading(report: Report, reading: str, svg: str, seen: dict[str, str]) -> str:
    """One reading's section; when all it says is what an earlier reading says, it says so and
    folds the details (``seen`` maps each earlier section's content to its reading)."""
    out = ["<h3>Classifications</h3>"]
    cs = [c for c in report.classifications if c.interpretation == reading]
    if not cs:
        out.append(_none("no incident classified"))
    for c in cs:
        why = _why([f"rule {_e(c.rule or '-')}: {_e(c.meaning)}", f"source: {_source(c.source)}"]
                   + ([f"also matched: {_e(', '.join(c.also_matched))}"] if c.also_matched else []),
                   c.leaves)
        out.append(f"<p>{_e(c.incident)}: <b>{_e(c.label or 'unclassified')}</b></p>{why}")
    obs = [o for o in report.obligations if o.interpretation == reading]
    tree = _tree(obligation_tree(obs, (reading,))) if obs else _none("no obligation under this reading")
    out.append(f"<h3>Obligations ({len(obs)})</h3>{tree}")
    out.append("<h3>Tensions of this reading</h3>")
    out.append(_tension_rows([t for t in report.tensions if t.interpretation == reading]))
    body = "".join(out)
    key = body.replace(_e(reading), "\0")
    head = f'<section id="reading-{_e(reading)}" class="reading"><h2>Reading: {_e(reading)}</h2>'
    holder = {c.holder for c in cs}
    if holder:
        head += f'<p class="meta">judged by: {_e(", ".join(sorted(holder)))}</p>'
    picture = f'<h3>Picture</h3><div class="figure">{svg}</div>'
    if key in seen:
        first = seen[key]
        return (f'{head}<p>The same conclusions as under <a href="#reading-{_e(first)}">{_e(first)}</a>'
                f"{f' ({len(obs)} obligations)' if obs else ''}.</p><details><summary>show them again"
                f"</summary>{body}{picture}</details></section>")
    seen[key] = reading
    return f"{head}{body}{picture}</section>"


def _timeline(tl: Timeline | None) -> str:
    out = ['<section id="timeline"><h2>Timeline of memberships</h2>']
    if tl is None:
        out.append(_none("the memberships are drawn when the report is rendered with its "
                         "scenario and rules: `cstosim run --format html` or "
                         "`cstosim.render_html(report, rules, scenario)`"))
        return "".join([*out, "</section>"])
    if not tl.spans and not tl.moments:
        out.append(_none("the scenario names no state with a membership"))
        return "".join([*out, "</section>"])
    start, end = int(tl.first[:4]), int(tl.as_of[:4]) + 1
    left, width, row = 230, 640, 22

    def x(day: str) -> float:
        y, m, d = (int(p) for p in day.split("-"))
        return left + width * ((y - start) + (m - 1) / 12 + (d - 1) / 365) / max(end - start, 1)

    rows = list(tl.spans)
    height = 40 + row * (len(rows) + 1) + 16 * len(tl.moments)
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" width="{left + width + 24}" '
           f'height="{height}" font-family="DejaVu Sans, Verdana, sans-serif" font-size="12">'
           "<title>Timeline of memberships</title>"]
    step = max(1, (end - start) // 8)
    for year in range(start, end + 1, step):
        px = x(f"{year}-01-01")
        svg.append(f'<line x1="{px:.1f}" y1="20" x2="{px:.1f}" y2="{height - 8}" stroke="#e5e7e9"/>'
                   f'<text x="{px:.1f}" y="14" text-anchor="middle">{year}</text>')
    for k, s in enumerate(rows):
        y = 28 + k * row
        x0, x1 = x(s.start), x(s.until or tl.as_of)
        colour = "#2874a6" if s.changed else "#85929e"
        svg.append(f'<text x="8" y="{y + 13}">{_e(s.state)} {_e(s.body)} {_e(s.tier)}</text>'
                   f'<rect x="{x0:.1f}" y="{y + 2}" width="{max(x1 - x0, 2):.1f}" height="14" rx="2" '
                   f'fill="{colour}"><title>{_e(s.state)} {_e(s.body)} {_e(s.tier)}: {_e(s.start)} to '
                   f'{_e(s.until or "now")} ({_e(s.status)})</title></rect>')
    base = 28 + len(rows) * row + 8
    for k, m in enumerate(tl.moments):
        px = x(m.date)
        late = px > left + width / 2  # the text runs left of its line, so it stays in the picture
        anchor = ' text-anchor="end"' if late else ""
        svg.append(f'<line x1="{px:.1f}" y1="22" x2="{px:.1f}" y2="{base + k * 16 + 2}" '
                   f'stroke="#c0392b" stroke-dasharray="2 2"/><text x="{px - 4 if late else px + 4:.1f}" '
                   f'y="{base + k * 16 + 12}" fill="#922b21"{anchor}>{_e(m.date)} {_e(m.text)}</text>')
    svg.append("</svg>")
    out.append(f'<div class="figure">{"".join(svg)}</div>')
    out.append("<p class=\"meta\">Blue: made or ended by the scenario; grey: the baseline's record. "
               "Red lines: the scenario's events.</p>")
    out.append("<table><tr><th>state</th><th>body</th><th>tier</th><th>from</th><th>until</th>"
               "<th>status</th><th>by the scenario</th></tr>")
    for s in rows:
        out.append(f"<tr><td>{_e(s.state)}</td><td>{_e(s.body)}</td><td>{_e(s.tier)}</td><td>{_e(s.start)}"
                   f"</td><td>{_e(s.until or '-')}</td><td>{_e(s.status)}</td><td>"
                   f"{'yes' if s.changed else 'no'}</td></tr>")
    out.append("</table>")
    if tl.moments:
        out.append("<ul>" + "".join(f"<li>{_e(m.date)}: {_e(m.text)}</li>" for m in tl.moments) + "</ul>")
    return "".join([*out, "</section>"])


def _difference(report: Report) -> str:
    d = report.difference
    out = ['<section id="difference"><h2>Difference from the baseline</h2>']
    if d.empty:
        out.append(_none("the what-if concludes exactly what the baseline does"))
    else:
        out.append("<ul>" + "".join(f"<li>cause: {_e(sentence(c))}</li>" for c in d.causes) + "</ul>")
        lines = delta_lines(d)
        out.append(f"<details><summary>{len(lines)} conclusion{'s' if len(lines) != 1 else ''} "
                   "differ</summary><ul>" + "".join(f"<li>{_e(x)}</li>" for x in lines)
                   + "</ul></details>")
    return "".join([*out, "</section>"])


def to_html(report: Report, timeline: Timeline | None = None, *, fragment: bool = False) -> str:
    """One self-contained HTML page of ``report`` (with the memberships of ``timeline``); with
    ``fragment``, the same content as one ``<div>`` for a notebook's output cell."""
    gs = graphs(report)
    readings = [g.reading for g in gs]
    nav = ['<a href="#summary">Summary</a>', '<a href="#admissions">Admissions</a>',
           *(f'<a href="#reading-{_e(r)}">Reading: {_e(r)}</a>' for r in readings),
           '<a href="#all-readings">All readings</a>', '<a href="#timeline">Timeline</a>',
           '<a href="#notes">Notes</a>', '<a href="#difference">Difference</a>']
    params = ", ".join(f"{k}={value(v)}" for k, v in report.params)
    meta = (f"As of {_e(report.as_of)}; scenario file {_e(report.scenario_file)}; rules: "
            f"{_e(report.rules)} ({_e(report.rules_file)}); readings: "
            f"{_e(', '.join(report.interpretations))}"
            + (f"; parameters set: {_e(params)}" if params else ""))
    body = [summary_section(report), _admissions(report)]
    seen: dict[str, str] = {}
    body += [_reading(report, g.reading, graph_svg(g, f"r{k}"), seen) for k, g in enumerate(gs)]
    body.append('<section id="all-readings"><h2>Tensions under every reading</h2>'
                + _tension_rows([t for t in report.tensions if t.interpretation is None])
                + f'<h3>Legend of the pictures</h3><div class="figure">{legend_svg()}</div></section>')
    body.append(_timeline(timeline))
    notes = [f"<li>{_e(sentence(n))}</li>" for n in report.outcome.notes]
    body.append('<section id="notes"><h2>Notes</h2>'
                + (f"<ul>{''.join(notes)}</ul>" if notes else _none("no note")) + "</section>")
    body.append(_difference(report))
    if fragment:
        return (f'<div class="cstosim"><style>{CSS}</style><h1>{_e(report.scenario)}</h1>'
                f'<p class="meta">{meta}</p>' + "\n".join(body) + "</div>\n")
    return _page(report.scenario, meta, nav, body)


def _page(title: str, meta: str, nav: list[str], body: list[str]) -> str:
    head = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{_e(title)}: cstosim report</title>",
            f"<style>{CSS}</style>", f"<script>{PRINT_SCRIPT}</script></head><body class=\"cstosim\">",
            f'<header><h1>{_e(title)}</h1><p class="meta">{meta}</p>',
            f"<nav>{''.join(nav)}</nav></header><main>"]
    foot = (f"</main><footer>Written by cstosim; report version {REPORT_VERSION}. Every conclusion's "
            "reasons are under its <em>why</em>.</footer></body></html>\n")
    return "\n".join(head) + "\n" + "\n".join(body) + "\n" + foot


def diff_html(d: Difference, ra: Report, rb: Report) -> str:
    """``cstosim diff`` as one self-contained HTML page: the inputs that differ, each side's
    summary, and every differing conclusion by kind."""
    a, b = d.sides
    body = ['<section id="causes"><h2>What differs in the inputs</h2>'
            + ("<ul>" + "".join(f"<li>{_e(sentence(c))}</li>" for c in d.causes) + "</ul>"
               if d.causes else _none("the two sides have the same inputs")) + "</section>"]
    out = ['<section id="deltas"><h2>Conclusions that differ</h2>']
    if d.empty:
        out.append(_none("no difference in admissions, classifications, obligations, tensions "
                         "or notes"))
    for kind in ("admission", "classification", "obligation", "tension", "note"):
        xs = [x for x in d.deltas if x.kind == kind]
        if not xs:
            continue
        out.append(f"<h3>{_e(kind.capitalize())}s ({len(xs)})</h3><table><tr><th>where</th>"
                   "<th>reading</th><th>what</th></tr>")
        if kind == "obligation":  # grouped like the report's: one row per duty and creditor
            for side, name in (("a", a), ("b", b)):
                for reading in sorted({x.reading or "" for x in xs if x.side == side}):
                    obs = [c for x in xs if x.side == side and (x.reading or "") == reading
                           for c in (x.a if side == "a" else x.b,) if isinstance(c, Obligation)]
                    for group in obligation_groups(obs):
                        o, debtors = group[0], sorted({x.debtor for x in group})
                        against = sorted({x.against for x in group
                                          if x.against and x.against != x.debtor})
                        vs = f" against {', '.join(against)}" if against else ""
                        out.append(f"<tr><td>only in {_e(name)}</td><td>{_e(reading or '-')}</td><td>"
                                   f"{_e(', '.join(debtors))} owe{'s' if len(debtors) == 1 else ''} "
                                   f"{_e(o.creditor)} {_e(o.type)} ({_e(o.strength)}){_e(vs)}, "
                                   f"{_e(o.treaty)}, {_e(o.article)}, step {o.depth} "
                                   f"<small>({len(group)} obligations)</small></td></tr>")
            xs = [x for x in xs if x.side == "both"]
        for x in xs:
            where = {"a": f"only in {a}", "b": f"only in {b}"}.get(x.side, "changed")
            line = delta_lines(d, (x,))[0]
            what = line.split(": ", 1)[1] if ": " in line else line
            out.append(f"<tr><td>{_e(where)}</td><td>{_e(x.reading or '-')}</td><td>{_e(what)}</td></tr>")
        out.append("</table>")
    body.append("".join([*out, "</section>"]))
    body.append(summary_section(ra, "summary-a", f"{a}: {ra.scenario}"))
    body.append(summary_section(rb, "summary-b", f"{b}: {rb.scenario}"))
    meta = (f"A: {_e(ra.scenario)} ({_e(ra.scenario_file)}); B: {_e(rb.scenario)} "
            f"({_e(rb.scenario_file)})")
    nav = ['<a href="#causes">Inputs</a>', '<a href="#deltas">Conclusions</a>',
           '<a href="#summary-a">Summary A</a>', '<a href="#summary-b">Summary B</a>']
    return _page(f"{ra.scenario} / {rb.scenario}", meta, nav, body)
