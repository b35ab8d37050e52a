"""Diagnostics: the one error shape every pipeline step reports in.

A :class:`Diagnostic` names a stable snake_case code, a location (file, line,
column, all 1-based), a one-sentence message with the user's value in
backticks, and a hint saying how to fix it. Steps collect diagnostics and raise
:class:`CstosimError` with all of them; the CLI prints them and exits 2.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

MAX_EXCERPT = 80
"""Most characters of one user value a diagnostic quotes; longer values are cut, with a count."""

_CONTROLS = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F, *range(0x80, 0xA0)]}
_CONTROLS.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): "\\t"})
_TICKED = re.compile(f"`([^`]{{{MAX_EXCERPT + 1},}})`")


def escape_controls(text: str) -> str:
    """``text`` with control characters (ESC, BEL, CR, C1, ...) written as ``\\xNN`` escapes,
    so that a user value can never move the cursor, clear a terminal or set its title."""
    return text.translate(_CONTROLS)


def excerpt(value: str, limit: int = MAX_EXCERPT) -> str:
    """``value`` escaped and cut to ``limit`` characters, saying how long it was."""
    value = escape_controls(value)
    if len(value) <= limit:
        return value
    return f"{value[:limit]}... ({len(value):,} characters)"


def _bounded(text: str) -> str:
    return _TICKED.sub(lambda m: f"`{excerpt(m.group(1))}`", escape_controls(text))


@dataclass(frozen=True, order=True)
class Location:
    """A place in a user's file; line and column are 1-based (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the user's input."""

    code: str
    location: Location
    message: str
    hint: str = ""

    def __post_init__(self) -> None:
        # every user value in a diagnostic is quoted in backticks: bound and escape them all
        # here, once, so no step can echo a megabyte or a terminal escape by mistake
        object.__setattr__(self, "message", _bounded(self.message))
        object.__setattr__(self, "hint", _bounded(self.hint))
        if len(self.location.file) > 4 * MAX_EXCERPT or not self.location.file.isprintable():
            object.__setattr__(self, "location", Location(
                excerpt(self.location.file, 4 * MAX_EXCERPT), self.location.line,
                self.location.column))

    def format(self) -> str:
        text = f"{self.location}: error[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "message": self.message,
            "hint": self.hint,
        }


MAX_DIAGNOSTICS = 50
"""Most diagnostics one error carries; the rest are counted in ``omitted``."""


class CstosimError(Exception):
    """Bad input: one or more diagnostics, sorted by location, at most ``MAX_DIAGNOSTICS``
    of them; ``omitted`` counts the problems found but not kept."""

    def __init__(self, diagnostics: Iterable[Diagnostic], omitted: int = 0) -> None:
        found = sorted(diagnostics, key=lambda d: (d.location, d.code, d.message))
        self.diagnostics: list[Diagnostic] = found[:MAX_DIAGNOSTICS]
        self.omitted = omitted + len(found) - len(self.diagnostics)
        lines = [d.format() for d in self.diagnostics]
        if self.omitted:
            lines.append(f"{self.omitted:,} more problems not shown; fix the ones above and check again")
        super().__init__("\n".join(lines))


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """A hint naming the closest choices to ``value``, or listing a few valid ones."""
    options = sorted(set(choices))
    if len(value) > 4 * MAX_EXCERPT:  # no code is that long; spare difflib the work
        return expected_one_of(options)
    close = difflib.get_close_matches(value, options, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    return expected_one_of(options)


def expected_one_of(options: Sequence[str], limit: int = 8) -> str:
    """A hint listing valid values (at most ``limit`` of them)."""
    shown = ", ".join(f"`{o}`" for o in options[:limit])
    more = f" (and {len(options) - limit} more)" if len(options) > limit else ""
    return f"expected one of {shown}{more}" if options else "no values are defined"
