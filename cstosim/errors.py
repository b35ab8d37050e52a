"""Diagnostics: the one error shape every pipeline step reports in.

A :class:`Diagnostic` names a stable snake_case code, a location (file, line,
column, all 1-based), a one-sentence message with the user's value in
backticks, and a hint saying how to fix it. Steps collect diagnostics and raise
:class:`CstosimError` with all of them; the CLI prints them and exits 2.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


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
    close = difflib.get_close_matches(value, options, n=3, cutoff=0.6)
    if close:
        return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    return expected_one_of(options)


def expected_one_of(options: Sequence[str], limit: int = 8) -> str:
    """A hint listing valid values (at most ``limit`` of them)."""
    shown = ", ".join(f"`{o}`" for o in options[:limit])
    more = f" (and {len(options) - limit} more)" if len(options) > limit else ""
    return f"expected one of {shown}{more}" if options else "no values are defined"
