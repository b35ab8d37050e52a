"""The one way values and leaf comparisons are written in every output.

Values print as a user writes them in YAML: ``true``/``false``, dates as ISO
text, lists in square brackets.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from typing import Any

from cstosim.conditions import LeafResult, jsonable

WIDTH = 80


def verdict(admitted: bool, decision: str) -> tuple[str, str]:
    """An admission's verdict and how to read the deciders' vote beside it: both from the
    one ``admitted`` value, so a report never says "not admitted" above a bare "adopted"."""
    if admitted:
        return "ADMITTED", decision
    if decision == "adopted":
        return "NOT ADMITTED", "adopted, but that is not enough: see why"
    return "NOT ADMITTED", decision


def value(v: Any) -> str:
    """A value as the user writes it (`true`, `2021-05-12`, `[a, b]`)."""
    j = jsonable(v)
    if isinstance(j, bool):
        return "true" if j else "false"
    if isinstance(j, list):
        return "[" + ", ".join(value(x) for x in j) + "]"
    return str(j)


def leaf_line(leaf: LeafResult, mark: str) -> str:
    """One comparison with both sides' values: ``MARK TEXT  [LEFT vs RIGHT]``."""
    return f"{mark} {leaf.text}  [{value(leaf.left)} vs {value(leaf.right)}]"


def wrap(text: str, indent: int, width: int = WIDTH) -> list[str]:
    """``text`` wrapped to ``width``, continuation lines indented two more."""
    pad = " " * indent
    return textwrap.wrap(text, width, initial_indent=pad, subsequent_indent=pad + "  ",
                         break_on_hyphens=False, break_long_words=False) or [pad]


def leaf_lines(leaves: Iterable[LeafResult], indent: int, no: str = "NO ",
               width: int = WIDTH) -> list[str]:
    """Each leaf on its own wrapped lines, marked `yes` or ``no``."""
    out = []
    for leaf in leaves:
        out += wrap(leaf_line(leaf, "yes" if leaf.result else no), indent, width)
    return out
