"""Step 1 of the pipeline: YAML text to plain Python data, with locations.

Every file cstosim reads goes through :func:`load_file`. It is safe by
construction: the libyaml (or pure-Python) *parser* emits events and this
module builds the data itself, so no YAML tag can construct an object.

What it guarantees, beyond what ``yaml.safe_load`` does:

* every node's line and column are kept (:class:`Document.locate`), so later
  steps can report errors where the user wrote the value;
* duplicate keys are errors;
* only ``true`` and ``false`` are booleans: ``NO``, ``yes``, ``on`` and ``Y``
  stay strings, as do numbers with leading zeros such as ``0755``;
* plain ``YYYY-MM-DD`` scalars become dates, and impossible ones
  (``2021-02-30``) are errors;
* explicit tags, multiple documents and non-scalar keys are refused;
* limits on file size, nesting depth, alias count and total nodes (aliases
  expanded) make hostile files fail fast.
"""

from __future__ import annotations

import bisect
import datetime as dt
import gc
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cstosim.errors import CstosimError, Diagnostic, Location

Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's C parser when PyYAML was built with it (about 3x faster)."""

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile file from hanging or exhausting memory."""

    max_bytes: int = 16 * 1024 * 1024
    max_depth: int = 64
    max_aliases: int = 1000
    max_nodes: int = 2_000_000
    max_alias_nodes: int = 100_000
    """Values that aliases may add in all: real cstosim files rarely use aliases at all."""
    max_items: int = 10_000
    """Items in one list, or keys in one mapping (events, applications, changes, states...):
    checked as the file is read, so a list of 900,000 items fails at its 10,001st item."""


DEFAULT_LIMITS = Limits()

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?\Z")
_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})\Z")
_NULLS = frozenset({"", "~", "null"})


@dataclass
class Document:
    """The data of one YAML file plus where each value and key was written."""

    file: str
    data: Any
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    # Problems found while reading that did not stop it (a date that is no calendar date);
    # validation reports them with its own, so that one run shows every problem.
    problems: list[Diagnostic] = field(default_factory=list)

    def locate(self, path: tuple[Any, ...], *, key: bool = False) -> Location:
        """Location of the value (or key) at ``path``, or of its nearest known parent.

        ``path`` may carry extra elements that are not in the data (pydantic adds
        union tags to its error locations); those are skipped.
        """
        table = self.keys if key else self.values
        exact = table.get(tuple(path))
        if exact is not None:
            return Location(self.file, *exact)
        best: PathKey = ()
        for part in path:
            candidate = (*best, part)
            if candidate in self.values or candidate in self.keys:
                best = candidate
        where = (self.keys.get(best) if key else None) or self.values.get(best) or (1, 1)
        return Location(self.file, *where)


def read_text(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    """Read a UTF-8 file (a leading byte-order mark is allowed), with clear errors."""
    return decode_text(read_bytes(path, limits), path)


def read_bytes(path: Path, limits: Limits = DEFAULT_LIMITS) -> bytes:
    """A regular file's bytes, refusing directories, devices and files over the limit."""
    name = str(path)
    try:
        if path.is_dir():
            raise _fail(name, "not_a_file", f"`{name}` is a directory, not a file",
                        "name a YAML file inside it")
        if path.exists() and not path.is_file():
            raise _fail(name, "not_a_file", f"`{name}` is not a regular file",
                        "name a YAML file; devices and pipes are not read")
        # Read at most one byte over the limit: the size `stat` reports can be wrong.
        with path.open("rb") as fh:
            raw = fh.read(limits.max_bytes + 1)
    except OSError as exc:
        raise _fail(name, "file_not_found", f"cannot read `{name}`: {exc.strerror}",
                    "check the path, that the file exists and your permissions") from None
    if len(raw) > limits.max_bytes:
        size = path.stat().st_size
        shown = f"{size:,} bytes" if size > limits.max_bytes else "larger than it claims"
        raise _fail(name, "file_too_large",
                    f"file is {shown}, over the limit of {limits.max_bytes:,} bytes",
                    "split the file, or raise the limit if you trust it")
    return raw


def decode_text(raw: bytes, path: Path) -> str:
    """A file's bytes as text: UTF-8, a leading byte-order mark allowed."""
    name = str(path)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        # YAML breaks lines at LF, CRLF and a lone CR (old Mac files): count them all
        before = raw[: exc.start].replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        line = before.count(b"\n") + 1
        # Columns count characters, as in every other error.
        column = len(before[before.rfind(b"\n") + 1:].decode("utf-8", errors="replace")) + 1
        raise CstosimError([Diagnostic(
            "invalid_utf8", Location(name, line, column),
            f"byte `0x{raw[exc.start]:02x}` is not valid UTF-8",
            "save the file as UTF-8")]) from None


def load_file(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS, *,
              defer: bool = False) -> Document:
    """Read and parse one YAML file whose top level must be a mapping."""
    p = Path(path)
    return load_text(read_text(p, limits), str(p), limits, defer=defer)


def load_text(text: str, name: str = "<string>", limits: Limits = DEFAULT_LIMITS, *,
              defer: bool = False) -> Document:
    """Parse YAML text into a :class:`Document` whose data is a mapping. Problems that need
    not stop the reading (a date that is no calendar date) raise at the end, or, with
    ``defer``, are left in ``Document.problems`` for validation to report with its own."""
    if len(text) > limits.max_bytes:
        raise _fail(name, "file_too_large",
                    f"text is {len(text):,} characters, over the limit of {limits.max_bytes:,}",
                    "split the file")
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        raise _fail(name, "empty_file", "the file is empty", "write a YAML mapping, e.g. `name: ...`")
    enabled = gc.isenabled()
    gc.disable()  # a large load allocates many containers; collecting mid-way only costs time
    try:
        doc = _Builder(name, limits).build(text)
    except yaml.MarkedYAMLError as exc:
        # At the end of the file, the place the unfinished construct began is the useful one.
        problem_text = exc.problem or ""
        mark = (exc.context_mark if exc.context_mark is not None and "end of stream" in problem_text
                else exc.problem_mark or exc.context_mark)
        where = Location(name, *_position(mark, _Lines.of(text))) if mark else Location(name)
        problem = (exc.problem or exc.context or "invalid YAML").rstrip(".")
        hint = _syntax_hint(problem)
        if mark and _char_at(text, mark.line, mark.column) == "\t":
            problem, hint = "a tab character", "indent with spaces; YAML does not allow tabs"
        raise CstosimError([Diagnostic("yaml_syntax", where, f"YAML syntax error: {problem}",
                                       hint)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise CstosimError([Diagnostic(
            "yaml_syntax", Location(name, line, column),
            f"control character `U+{ord(char):04X}` is not allowed in YAML",
            "remove it; the file may be binary or damaged")]) from None
    except yaml.YAMLError as exc:
        raise _fail(name, "yaml_syntax", f"YAML error: {str(exc).splitlines()[0]}",
                    "check the file's syntax") from None
    except RecursionError:
        raise _fail(name, "too_deep", "the document is nested too deeply",
                    f"keep nesting under {limits.max_depth} levels") from None
    finally:
        if enabled:
            gc.enable()
    if not isinstance(doc.data, dict):
        kind = _kind(doc.data)
        if kind.startswith("the value"):  # some other file (`/etc/passwd`): never echo its content
            shown = Path(name).name[:80]
            raise CstosimError([Diagnostic(
                "expected_mapping", doc.locate(()),
                f"`{shown}` is not a cstosim file: it holds one plain value, not `key: value` lines",
                "give a cstosim scenario or rules file (they start with `cstosim: 1`)")])
        raise CstosimError([Diagnostic("expected_mapping", doc.locate(()),
                                       f"expected a mapping at the top of the file, found {kind}",
                                       "start the file with `key: value` lines")])
    if doc.problems and not defer:
        raise CstosimError(doc.problems)
    return doc


def _syntax_hint(problem: str) -> str:
    if "\t" in problem or "tab" in problem:
        return "indent with spaces; YAML does not allow tabs"
    if "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        return "close the bracket or add the missing comma"
    if "mapping values are not allowed" in problem:
        return "put a space after each `:` and quote values that contain `: `"
    return "check indentation, quoting and brackets near this place"


_ODD_BREAKS = re.compile("[\x85\u2028\u2029]")
_BREAKS = re.compile("\r\n|\r|\n")


class _Lines:
    """Where lines start, as an editor counts them (``\n``, ``\r\n``, ``\r``), for text in
    which YAML counts more line breaks (NEL, U+2028, U+2029): its marks would otherwise
    point lines past the ones the user sees, even past the end of the file."""

    def __init__(self, text: str) -> None:
        self.starts = [0, *(m.end() for m in _BREAKS.finditer(text))]

    @classmethod
    def of(cls, text: str) -> _Lines | None:
        """The index when ``text`` needs one; None when YAML's own count is right."""
        return cls(text) if _ODD_BREAKS.search(text) else None

    def at(self, index: int) -> tuple[int, int]:
        i = bisect.bisect_right(self.starts, index) - 1
        return i + 1, index - self.starts[i] + 1


def _position(mark: Any, lines: _Lines | None) -> tuple[int, int]:
    if lines is None:
        return mark.line + 1, mark.column + 1
    return lines.at(mark.index)


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if line < len(lines) and column < len(lines[line]):
        return lines[line][column]
    return ""


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the value `{value}`"


def _fail(file: str, code: str, message: str, hint: str) -> CstosimError:
    return CstosimError([Diagnostic(code, Location(file), message, hint)])


_ESCAPED_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _Builder:
    """Builds data from parser events, iteratively, counting what it builds."""

    def __init__(self, name: str, limits: Limits) -> None:
        self.name = name
        self.limits = limits
        self.nodes = 0
        self.aliases = 0
        self.alias_nodes = 0
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.problems: list[Diagnostic] = []
        self.lines: _Lines | None = None

    def error(self, code: str, mark: Any, message: str, hint: str) -> CstosimError:
        return CstosimError([Diagnostic(code, Location(self.name, *self.pos(mark)), message, hint)])

    def pos(self, mark: Any) -> tuple[int, int]:
        """A mark's line and column (1-based) as an editor counts them."""
        return _position(mark, self.lines)

    def build(self, text: str) -> Document:
        self.lines = _Lines.of(text)
        doc = Document(self.name, None)
        values, keys = doc.values, doc.keys
        # Each frame: [container, path, pending_key, anchor, first_node_count]
        stack: list[list[Any]] = []
        documents = 0
        root: Any = None
        events: Iterator[Any] = yaml.parse(text, Loader=Parser)
        max_depth, max_nodes = self.limits.max_depth, self.limits.max_nodes
        max_items = self.limits.max_items
        for event in events:
            kind = type(event)
            if kind is yaml.ScalarEvent or kind is yaml.AliasEvent:
                mark = event.start_mark
                if kind is yaml.ScalarEvent and event.style and _ESCAPED_CONTROL.search(event.value):
                    # `"\x1b]0;title\x07"`: YAML's escapes let a value smuggle what the
                    # reader refuses raw; it would reach terminals and reports, so refuse it too
                    char = _ESCAPED_CONTROL.search(event.value).group()  # type: ignore[union-attr]
                    raise self.error("control_character", mark,
                                     f"the value holds the control character `U+{ord(char):04X}`",
                                     "remove the escape (`\\x..`, `\\e`, `\\u....`); "
                                     "cstosim values are plain text")
                if kind is yaml.AliasEvent:
                    value, size = self._alias(event)
                else:
                    if event.tag is not None and event.tag != "!":
                        raise self._tag_error(event)
                    # The non-specific tag `!` makes a plain scalar a string, as quoting does.
                    value = event.value if event.style or event.tag == "!" else self._scalar(event)
                    size = 1
                    if event.anchor is not None:
                        self.anchors[event.anchor] = (value, 1)
                self.nodes += size
                if self.nodes > max_nodes:
                    raise self._too_many(mark)
                if not stack:
                    root = value
                    values[()] = self.pos(mark)
                    continue
                frame = stack[-1]
                container = frame[0]
                if type(container) is dict:
                    if frame[2] is None:
                        if kind is yaml.AliasEvent:
                            raise self.error("bad_key", mark, "a mapping key must be a plain string",
                                             "write the key as plain text")
                        key = event.value
                        if len(container) >= max_items:
                            raise self._too_many_items(frame, values, "keys")
                        if key in container:
                            first = keys[(*frame[1], key)]
                            raise self.error("duplicate_key", mark,
                                             f"duplicate key `{key}` (first written at line {first[0]})",
                                             "remove one of the two, or merge them")
                        frame[2] = key
                        keys[(*frame[1], key)] = self.pos(mark)
                        container[key] = None
                        continue
                    key = frame[2]
                    container[key] = value
                    frame[2] = None
                    values[(*frame[1], key)] = self.pos(mark)
                else:
                    if len(container) >= max_items:
                        raise self._too_many_items(frame, values, "items")
                    values[(*frame[1], len(container))] = self.pos(mark)
                    container.append(value)
            elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
                mark = event.start_mark
                if event.tag is not None and event.tag != "!" and not event.implicit:
                    raise self._tag_error(event)
                if len(stack) >= max_depth:
                    raise self.error("too_deep", mark,
                                     f"nesting is deeper than {max_depth} levels",
                                     "flatten the structure; no cstosim file needs this depth")
                self.nodes += 1
                if self.nodes > max_nodes:
                    raise self._too_many(mark)
                new: Any = {} if kind is yaml.MappingStartEvent else []
                if not stack:
                    path: PathKey = ()
                    root = new
                else:
                    frame = stack[-1]
                    parent = frame[0]
                    if type(parent) is dict:
                        if frame[2] is None:
                            raise self.error("bad_key", mark, "a mapping key must be a plain string",
                                             "write the key as plain text, not a list or mapping")
                        path = (*frame[1], frame[2])
                        parent[frame[2]] = new
                        frame[2] = None
                    else:
                        if len(parent) >= max_items:
                            raise self._too_many_items(frame, values, "items")
                        path = (*frame[1], len(parent))
                        parent.append(new)
                values[path] = self.pos(mark)
                stack.append([new, path, None, event.anchor, self.nodes])
            elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                frame = stack.pop()
                if frame[3] is not None:
                    self.anchors[frame[3]] = (frame[0], self.nodes - frame[4] + 1)
            elif kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.error("multiple_documents", event.start_mark,
                                     "the file holds more than one YAML document",
                                     "remove the `---` line; cstosim reads one document per file")
        doc.data = root
        doc.problems = self.problems
        return doc

    def _alias(self, event: Any) -> tuple[Any, int]:
        self.aliases += 1
        if self.aliases > self.limits.max_aliases:
            raise self.error("too_many_aliases", event.start_mark,
                             f"more than {self.limits.max_aliases} aliases",
                             "write the values out; aliases this many look like an alias bomb")
        found = self.anchors.get(event.anchor)
        if found is None:
            raise self.error("yaml_syntax", event.start_mark,
                             f"alias `*{event.anchor}` names no anchor defined before it",
                             "define `&name` before using `*name`")
        self.alias_nodes += found[1]
        if self.alias_nodes > self.limits.max_alias_nodes:
            raise self.error("too_many_nodes", event.start_mark,
                             f"aliases expand to more than {self.limits.max_alias_nodes:,} values",
                             "write the values out; aliases this large look like an alias bomb")
        return found

    def _too_many_items(self, frame: list[Any], values: dict[PathKey, tuple[int, int]],
                        what: str) -> CstosimError:
        """At the list (or mapping) itself, before its surplus items are even read."""
        path: PathKey = frame[1]
        name = ".".join(str(p) for p in path) or "the file"
        line, column = values.get(path, (1, 1))
        return CstosimError([Diagnostic(
            "too_many_items", Location(self.name, line, column),
            f"`{name}` has more than {self.limits.max_items:,} {what}, the limit",
            "split it over several files; no cstosim list or mapping needs this many")])

    def _too_many(self, mark: Any) -> CstosimError:
        return self.error("too_many_nodes", mark,
                          f"the document expands to more than {self.limits.max_nodes:,} values",
                          "aliases multiply values; write a smaller file")

    def _too_large(self, event: Any, text: str) -> CstosimError:
        shown = text if len(text) <= 20 else text[:17] + "..."
        return self.error("number_too_large", event.start_mark, f"the number `{shown}` is too large",
                          "no cstosim value needs more than a few digits")

    def _tag_error(self, event: Any) -> CstosimError:
        return self.error("tag_not_allowed", event.start_mark,
                          f"YAML tag `{event.tag}` is not allowed",
                          "remove the tag; quote the value if you want a string")

    def _scalar(self, event: Any) -> Any:
        text: str = event.value
        if text in _NULLS:
            return None
        if text == "true":
            return True
        if text == "false":
            return False
        first = text[0]
        if first.isdigit() or first in "-+.":
            if _INT.match(text):
                if len(text) > 30:
                    raise self._too_large(event, text)
                return int(text)
            if _FLOAT.match(text):
                value = float(text)
                if value in (float("inf"), float("-inf")):
                    raise self._too_large(event, text)
                return value
            m = _DATE.match(text)
            if m:
                try:
                    return dt.date(int(m[1]), int(m[2]), int(m[3]))
                except ValueError:
                    # Kept as text, so that reading goes on; validation reports it first.
                    self.problems.extend(self.error("invalid_date", event.start_mark,
                                                    f"`{text}` is not a real date",
                                                    "write a calendar date as YYYY-MM-DD").diagnostics)
        return text
