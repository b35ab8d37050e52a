"""The terminal report in colour: the plain text of :mod:`cstosim.render.text`, styled.

Styling never changes a character: the same text goes to a file, a pipe or a
terminal; only a terminal (or ``--color always``) gets colour, and ``NO_COLOR``
(https://no-color.org) turns colour off, as :mod:`rich` honours it. Severity
goes from bold red (critical) to dim (low); each reading has its own colour in
the ``[reading]`` marks; headings are bold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.text import Text

SEVERITY_STYLE = {"critical": "bold red", "high": "red", "moderate": "yellow", "low": "dim"}
READING_STYLES = ("cyan", "magenta", "green", "blue", "bright_yellow", "bright_cyan")

_HEADING = re.compile(r"(?m)^[A-Z][A-Z ]+(?= \(|$)")
_MARK = re.compile(r"\[([a-z0-9_, ]+)\]")


def styled(text: str, readings: Sequence[str]) -> Text:
    """``text`` with styles for a terminal; ``str(styled(t, r)) == t``."""
    out = Text(text)
    out.highlight_regex(_HEADING, "bold")
    for severity, style in SEVERITY_STYLE.items():
        out.highlight_regex(re.escape(f"[{severity}]"), style)
    out.highlight_regex(r"\bNOT ADMITTED\b|\bFAILED\b", "bold red")
    out.highlight_regex(r"(?<!NOT )\bADMITTED\b", "bold green")
    colour = {name: READING_STYLES[i % len(READING_STYLES)] for i, name in enumerate(readings)}
    for m in _MARK.finditer(text):
        if m[1] == "all readings":
            out.stylize("bold", m.start(), m.end())
            continue
        for name in re.finditer(r"[a-z0-9_]+", m[1]):
            if name[0] in colour:
                start = m.start(1) + name.start()
                out.stylize(colour[name[0]], start, start + len(name[0]))
    return out
