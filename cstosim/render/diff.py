"""A difference between two outcomes as text (``cstosim diff`` and the report's
"difference from the baseline" section) and as JSON."""

from __future__ import annotations

from cstosim.render.json import difference_json, dumps
from cstosim.render.sentences import sentence
from cstosim.render.values import value
from cstosim.report import (
    Admission,
    Classification,
    Conclusion,
    Delta,
    Difference,
    Obligation,
    Reason,
    Tension,
)


def difference_text(d: Difference) -> str:
    return dumps(difference_json(d))


def _what(c: Conclusion | None) -> str:
    """A conclusion in a few words."""
    if isinstance(c, Admission):
        return f"{c.state} for {c.body} {c.tier}: " + ("admitted" if c.admitted else "not admitted")
    if isinstance(c, Classification):
        return f"{c.label or 'unclassified'} by rule {c.rule}"
    if isinstance(c, Obligation):
        against = f" against {c.against}" if c.against and c.against != c.debtor else ""
        return f"{c.debtor} owes {c.creditor} {c.type} ({c.strength}){against}, {c.treaty} {c.article}"
    if isinstance(c, Tension):
        return f"[{c.severity}] {c.kind}: {', '.join(c.parties)}"
    assert isinstance(c, Reason)  # a note
    return sentence(c)


def _reading(d: Difference, x: Delta) -> str:
    """Which reading a conclusion belongs to, per side when the two sides read differently."""
    (ra, rb) = d.readings
    if x.reading is None:
        return ""
    if len(ra) == 1 and len(rb) == 1 and ra != rb:
        return f" (under {ra[0]} in {d.sides[0]}, {rb[0]} in {d.sides[1]})"
    return f" (under {x.reading})"


def delta_lines(d: Difference, deltas: tuple[Delta, ...] | None = None) -> list[str]:
    """One line per differing conclusion (of ``deltas``, by default all); nothing is left out."""
    a, b = d.sides
    lines = []
    for x in d.deltas if deltas is None else deltas:
        label = "note" if x.kind == "note" else f"{x.kind} {x.id}"
        if x.side == "a":
            lines.append(f"- only in {a}: {label}{_reading(d, x)}: {_what(x.a)}")
        elif x.side == "b":
            lines.append(f"+ only in {b}: {label}{_reading(d, x)}: {_what(x.b)}")
        else:
            changed = "; ".join(f"{f} {value(va)} -> {value(vb)}" for f, va, vb in x.changes)
            lines.append(f"~ changed: {label}{_reading(d, x)}: {changed}")
    return lines
