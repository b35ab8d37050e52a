"""Diagnostics: the one error shape every pipeline step reports in.

A :class:`Diagnostic` names a stable snake_case code, a location (file, line,
column, all 1-based), a one-sentence message with the user's value in
backticks, and a hint saying how to fix it. Steps collect diagnostics and raise
:class:`CstosimError` with all of them; the CLI prints them and exits 2.

Every code is registered in :data:`CODES` with its one meaning; a diagnostic with
an unregistered code cannot be made, and ``docs/errors.md`` is generated from the
registry (:func:`codes_reference`).
"""

from __future__ import annotations

import difflib
import heapq
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

# INVARIANT: one meaning per code. A code is part of the interface (scripts match on it), so a
# new kind of problem gets a new code rather than borrowing a close one; renaming a code is a
# user-visible change for the changelog. tests/test_errors_registry.py checks that the source
# uses exactly these codes.
CODES: Mapping[str, str] = MappingProxyType({
    # Reading a file (cstosim.load, cstosim.output)
    "file_not_found": "a file or folder to read, or the folder to write into, does not exist",
    "not_a_file": "a path that must name a file names a folder or something that is not a "
                  "regular file",
    "not_a_folder": "`check --out` names something that exists and is not a folder",
    "file_exists": "the output file exists and `--force` was not given",
    "cannot_write": "the operating system refused to write the output file, or standard "
                    "output is closed or full",
    "output_is_input": "an output file is also a file the same command reads",
    "duplicate_file": "the same file is given twice on the command line",
    "file_too_large": "the input is over the size limit (`max_bytes`, 16 MiB)",
    "invalid_utf8": "the file is not valid UTF-8",
    "control_character": "a value holds a control character (ESC, BEL...) that a terminal would act on",
    "empty_file": "the file holds nothing but blank lines and comments",
    "yaml_syntax": "the text is not valid YAML (or an alias names no anchor)",
    "multiple_documents": "the file holds more than one YAML document",
    "expected_mapping": "the top level of the file is not a `key: value` mapping",
    "duplicate_key": "a key appears twice in one YAML mapping",
    "bad_key": "a mapping key is not a plain string (an alias, a list or a mapping)",
    "tag_not_allowed": "the YAML uses a tag such as `!!python/object`",
    "too_deep": "mappings and lists are nested deeper than the limit (`max_depth`)",
    "too_many_aliases": "the file uses more `*alias` references than the limit (`max_aliases`)",
    "too_many_items": "a list holds more items, or a mapping more keys, than the limit "
                      "(`max_items`, 10,000)",
    "too_many_nodes": "the document, with aliases expanded, holds more values than the limits",
    "number_too_large": "a number has more digits than any cstosim value needs, or is infinite",
    "invalid_date": "a YYYY-MM-DD value is not a real calendar date",
    # The fields of a rules or scenario file (cstosim.model through cstosim.api)
    "wrong_file_kind": "a scenario is given where a rules file is expected, or the reverse",
    "unknown_field": "a mapping has a field its section does not define",
    "missing_field": "a field that is required here is absent",
    "wrong_value": "a field's value has the wrong type or is out of its range",
    "unknown_value": "a value is not one of those allowed in its place",
    "unknown_state": "a state code is not an ISO 3166-1 alpha-3 code (any ISO state may be "
                     "named; the bundled data gives facts to those the rules do not list)",
    "unknown_location": "a location is not an ISO 3166-2 subdivision code",
    "dates_out_of_order": "a date is before one it must follow (`until` before `from`, `end` "
                          "before `start`, a request or a response before its incident)",
    "one_key": "a change or an event has not exactly one key",
    "self_incident": "an incident's actor and target are the same state",
    "self_relation": "a relation names the same state twice",
    "bad_parties": "`parties` gives both or neither of `body`/`tier` and `states`",
    "bad_addressee": "a request's `to` or a response's `by` gives both or neither of `body` "
                     "and `state`",
    "irregulars_sender_not_actor": "an incident's `irregulars_sent_by` names a state other "
                                   "than its `actor`",
    # References and consistency in the rules (cstosim.compile)
    "duplicate_id": "a rule, label or event id is defined twice, or an added commitment reuses "
                    "a rule id",
    "duplicate_interpretation": "an interpretation is named twice, in a scenario's "
                                "`interpretations` or by `--interpretation`",
    "duplicate_victim_reading": "more than one interpretation has `holder: victim`; obligations "
                                "judged in the victim's opinion need exactly one",
    "unknown_application": "an expectation names an application event the scenario lacks",
    "unknown_body": "a body is not defined in the rules' `bodies`",
    "unknown_commitment": "a commitment id is not defined by the rules or the scenario",
    "unknown_gate": "a gate id is not defined in the rules' `gates`",
    "unknown_incident": "an incident id is not defined in the scenario's events",
    "unknown_interpretation": "an interpretation is not defined in the rules' `interpretations`",
    "unknown_label": "a label is not defined in the rules' `labels`",
    "unknown_parameter": "a parameter is not defined in the rules' `parameters`",
    "unknown_procedure": "a procedure is not defined in the rules' `procedures`",
    "unknown_property": "a property id is not one of those `cstosim check` knows",
    "unknown_right": "a right is not defined in the rules' `rights`",
    "unknown_rule": "a rule id is not a rule of the kind expected here",
    "unknown_tension_kind": "an expected tension kind is not the kind of any tension rule",
    "unknown_tier": "a tier is not defined in its body's `tiers`",
    "format_changes_meaning": "`cstosim fmt` found that its layout of a file would load differently "
                              "from the file, and wrote nothing",
    "missing_dependency": "an optional extra the command needs is not installed (e.g. Z3 for `prove`)",
    "solver_unknown": "the SMT solver could not decide a property within its time limit",
    "missing_date": "a tier in force has no `in_force_from`",
    "missing_parameter": "the rules use a feature whose parameter they do not define "
                         "(`chain_depth`, `cascade_label`)",
    "type_mismatch": "a value's type does not fit where it is used (a parameter value, or the two "
                     "sides of a comparison)",
    "not_a_classification_rule": "an interpretation enables or disables a rule that is not a "
                                 "classification rule",
    "overlapping_membership": "a state holds the same body's membership twice at once",
    "cycle": "bodies' `parent` links form a loop",
    "bad_scope": "a tension's `for_each` does not apply to its scope",
    # Conditions (cstosim.conditions)
    "bad_condition": "a condition is neither a comparison nor one `all`/`any`/`not` with a list",
    "bad_comparison": "a comparison cannot be read, is too long, or its operator needs a list",
    "unknown_path": "a comparison reads a path that does not exist in its scope",
    # Scenarios against their rules (cstosim.compile)
    "after_as_of": "a change or an event is dated after the scenario's `as_of`",
    "tier_not_in_force": "a state joins a proposed tier that no change has adopted by then",
    "location_outside_target": "an incident's location is not a subdivision of its target state",
    # Commands (cstosim.cli, cstosim.sweep, cstosim.explain)
    "bad_option": "command-line options that cannot be used as given (a malformed `--set`, a "
                  "missing companion option, options that exclude each other)",
    "nothing_to_test": "`cstosim test` found no expectation to check",
    "bad_sweep": "a `--vary` axis cannot be read, or the sweep is too large",
    "dask_missing": "`--executor dask` is asked for but Dask is not installed",
    "dask_unreachable": "the Dask scheduler given by `--scheduler` cannot be reached",
    "worker_died": "a `sweep` or `check` worker process ended before finishing its work "
                   "(killed, or out of memory)",
    "unknown_conclusion": "`explain --why` names a conclusion the report does not have",
    "bad_target": "an `explain --why-not` target cannot be read, or names an obligation owed to "
                  "a state other than the incident's target",
    "interpretation_not_evaluated": "`explain` names an interpretation the scenario does not "
                                    "evaluate",
})
"""Every diagnostic code, with its one meaning."""

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
        if self.code not in CODES:
            raise ValueError(f"unregistered diagnostic code {self.code!r}: add it, with its meaning, "
                             "to cstosim.errors.CODES")
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


class LazyHint:
    """A hint computed only when its diagnostic is shown, once.

    A flood of 10,000 unknown codes shows ``MAX_DIAGNOSTICS`` of them; a did-you-mean for
    each of the others was most of the run's time and nobody read it."""

    __slots__ = ("_make", "_text")

    def __init__(self, make: Callable[[], str]) -> None:
        self._make: Callable[[], str] | None = make
        self._text = ""

    def __str__(self) -> str:
        if self._make is not None:
            self._text, self._make = self._make(), None
        return self._text


@dataclass(frozen=True)
class Pending:
    """A problem found but not yet made a :class:`Diagnostic`: its hint (and the bounding of
    its text) is paid for only if it is among the ones shown. ``CstosimError`` takes both."""

    code: str
    location: Location
    message: str
    hint: str | LazyHint = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:  # at once, not only if it is among those shown
            raise ValueError(f"unregistered diagnostic code {self.code!r}")

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.code, self.location, self.message, str(self.hint))


@dataclass(frozen=True)
class Omitted:
    """Problems found but not shown, of one code in one file: how many, and their lines."""

    file: str
    code: str
    count: int
    first_line: int
    last_line: int

    def __str__(self) -> str:
        lines = (f"line {self.first_line:,}" if self.first_line == self.last_line
                 else f"lines {self.first_line:,}-{self.last_line:,}")
        where = f"{self.file} {lines}" if self.first_line else self.file
        return f"{self.count:,} {self.code} in {where}"


def _summarise(rest: Iterable[Omitted], dropped: Iterable[Diagnostic | Pending]
               ) -> tuple[Omitted, ...]:
    groups: dict[tuple[str, str], list[int]] = {}  # (file, code) -> [count, first, last]
    for o in rest:
        g = groups.setdefault((o.file, o.code), [0, o.first_line, o.last_line])
        g[0] += o.count
        g[1], g[2] = min(g[1], o.first_line), max(g[2], o.last_line)
    for d in dropped:
        line = d.location.line
        g = groups.setdefault((d.location.file, d.code), [0, line, line])
        g[0] += 1
        g[1], g[2] = min(g[1], line), max(g[2], line)
    return tuple(Omitted(f, c, n, a, b) for (f, c), (n, a, b) in sorted(groups.items()))


class CstosimError(Exception):
    """Bad input: one or more diagnostics, sorted by location, at most ``MAX_DIAGNOSTICS``
    of them; ``omitted`` counts the problems found but not kept, and ``rest`` says which
    they are (per file and code: how many, first and last line), so nothing is lost.

    Problems may be given as :class:`Pending`: only the ones kept are made diagnostics."""

    def __init__(self, diagnostics: Iterable[Diagnostic | Pending], omitted: int = 0,
                 rest: Iterable[Omitted] = ()) -> None:
        found = sorted(diagnostics, key=lambda d: (d.location, d.code, d.message))
        self.diagnostics: list[Diagnostic] = [
            d.diagnostic() if isinstance(d, Pending) else d for d in found[:MAX_DIAGNOSTICS]]
        self.omitted = omitted + len(found) - len(self.diagnostics)
        self.rest = _summarise(rest, found[MAX_DIAGNOSTICS:])
        lines = [d.format() for d in self.diagnostics]
        if self.omitted:
            lines.append(f"{self.omitted:,} more problems not shown ({self.where()}); "
                         "fix the ones above and check again")
        super().__init__("\n".join(lines))

    def where(self) -> str:
        """Which problems were not shown, e.g. ``9,950 unknown_state in s.yaml lines 55-10,004``."""
        parts = [str(o) for o in self.rest[:5]]
        others = self.omitted - sum(o.count for o in self.rest[:5])
        if others > 0:
            parts.append(f"{others:,} other{'s' if others != 1 else ''}")
        return "; ".join(parts)

    def __reduce__(self) -> tuple[type[CstosimError],
                                  tuple[list[Diagnostic], int, tuple[Omitted, ...]]]:
        # raised in a sweep worker, it crosses to the parent by pickle, whole
        return (type(self), (self.diagnostics, self.omitted, self.rest))


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """A hint naming the closest choices to ``value``, or listing a few valid ones."""
    options = tuple(sorted(set(choices)))
    close = close_matches(value, options) if len(value) <= 4 * MAX_EXCERPT else ()
    # (no code is longer than that; spare the matcher the work)
    if close:
        return "did you mean " + " or ".join(f"`{c}`" for c in close) + "?"
    return expected_one_of(options)


CUTOFF = 0.6
"""How similar (``difflib`` ratio) a choice must be to be suggested."""


def close_matches(value: str, options: tuple[str, ...], n: int = 3) -> tuple[str, ...]:
    """What ``difflib.get_close_matches(value, options, n, CUTOFF)`` returns, found fast.

    A flood of unknown codes (10,000 applications, each naming a state that does not
    exist) asked difflib to score every code against every option, one ``SequenceMatcher``
    each: minutes. Only an option sharing enough characters with ``value`` can pass
    difflib's own ``quick_ratio`` bound, and, short options apart, enough means at least two:
    an index from pairs of characters to the options holding them finds those few, and only
    they are scored. Answers are remembered per value. Same choices, same order, as
    difflib's (a test compares them)."""
    return _matcher(options).best(value, n)


@lru_cache(maxsize=4096)
def _pairs(text: str) -> frozenset[tuple[str, str]]:
    """Every pair of characters ``text`` holds (a character twice counts as a pair)."""
    counts = Counter(text)
    chars = sorted(counts)
    found = {(c, c) for c in chars if counts[c] > 1}
    found.update((a, b) for i, a in enumerate(chars) for b in chars[i + 1:])
    return frozenset(found)


class _Matcher:
    """The pair index of one tuple of options, and the answers given so far."""

    def __init__(self, options: tuple[str, ...]) -> None:
        self.options = options
        self.counts = [dict(Counter(o)) for o in options]
        self.holding: dict[tuple[str, str], list[int]] = {}  # pair -> options holding it
        for i, option in enumerate(options):
            for pair in _pairs(option):
                self.holding.setdefault(pair, []).append(i)
        # INVARIANT: an option of length b can pass the cutoff against a value of length a
        # with fewer than two shared characters only if 2 / (a + b) >= CUTOFF: a + b <= 3
        self.short = [i for i, o in enumerate(options) if len(o) <= 2]
        self.answers: dict[tuple[str, int], tuple[str, ...]] = {}

    def best(self, value: str, n: int) -> tuple[str, ...]:
        key = (value, n)
        if key not in self.answers:
            if len(self.answers) > 10_000:
                self.answers.clear()
            self.answers[key] = self._best(value, n)
        return self.answers[key]

    def _best(self, value: str, n: int) -> tuple[str, ...]:
        found: set[int] = set(self.short) if len(value) <= 2 else set()
        for pair in _pairs(value):
            found.update(self.holding.get(pair, ()))
        mine = Counter(value).items()
        matcher = difflib.SequenceMatcher()
        matcher.set_seq2(value)
        scored = []
        for i in found:
            option = self.options[i]
            theirs = self.counts[i]
            common = sum(min(k, theirs.get(c, 0)) for c, k in mine)
            total = len(option) + len(value)
            if total and 2.0 * common / total < CUTOFF:  # difflib's quick_ratio
                continue
            matcher.set_seq1(option)
            score = matcher.ratio()
            if score >= CUTOFF:
                scored.append((score, option))
        return tuple(option for _, option in heapq.nlargest(n, scored))


@lru_cache(maxsize=64)
def _matcher(options: tuple[str, ...]) -> _Matcher:
    return _Matcher(options)


def expected_one_of(options: Sequence[str], limit: int = 8) -> str:
    """A hint listing valid values (at most ``limit`` of them)."""
    shown = ", ".join(f"`{o}`" for o in options[:limit])
    more = f" (and {len(options) - limit} more)" if len(options) > limit else ""
    return f"expected one of {shown}{more}" if options else "no values are defined"


def codes_reference() -> str:
    """The text of ``docs/errors.md``: every code and its meaning, in alphabetical order."""
    lines = [
        "# Error codes",
        "",
        "Generated from `cstosim.errors.CODES` by `python scripts/gen_errors_doc.py`; a test keeps",
        "it current.",
        "",
        "Bad input is reported on stderr as `FILE:LINE:COLUMN: error[CODE]: message` (or",
        "`FILE: error[CODE]: message` when the whole file is at fault), followed by a `hint:` line;",
        "nothing runs and the command exits with code 2. The code is stable: match on it, not on",
        "the message. Each code has one meaning; limits on input are described in",
        "[limits.md](limits.md).",
        "",
        "| code | meaning |",
        "|---|---|",
    ]
    lines += [f"| `{code}` | {meaning} |" for code, meaning in
              sorted((c, m.replace("|", "\\|")) for c, m in CODES.items())]
    return "\n".join(lines) + "\n"
