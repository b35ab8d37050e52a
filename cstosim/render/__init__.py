"""Step 5 of the pipeline: every text cstosim writes, from structured results.

One module per output: :mod:`.text` (the terminal table), :mod:`.markdown`,
:mod:`.json`, :mod:`.graph` (Mermaid, DOT; one graph per reading), :mod:`.svg` (the same
graphs laid out in pure Python), :mod:`.html` (one self-contained page), :mod:`.diff`, :mod:`.sweep`,
:mod:`.explain`; :mod:`.values` writes values and leaf comparisons and
:mod:`.sentences` the sentences of structured reasons, for all of them. Pure:
results in, text out.
"""

from __future__ import annotations

from cstosim.render.graph import to_dot, to_mermaid
from cstosim.render.json import report_text
from cstosim.render.markdown import to_markdown
from cstosim.render.text import to_text
from cstosim.report import Report

FORMATS = ("table", "json", "markdown", "mermaid", "dot", "svg", "html")


def render(report: Report, fmt: str) -> str:
    """Render one report in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt == "json":
        return report_text(report)
    if fmt == "markdown":
        return to_markdown(report)
    if fmt == "mermaid":
        return to_mermaid(report)
    if fmt == "dot":
        return to_dot(report)
    # The page and the layout load only when asked for: `import cstosim` stays lean.
    if fmt == "svg":
        from cstosim.render.svg import to_svg

        return to_svg(report)
    if fmt == "html":
        from cstosim.render.html import to_html

        return to_html(report)
    return to_text(report)
