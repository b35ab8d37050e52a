"""Mutation fuzzer for cstosim's input handling.

    python -m tests.fuzz --minutes 10 [--seed 7] [--slow 5] [--no-cli]

Hypothesis draws mutations of the shipped YAML files (``scenarios/*.yaml`` and ``rules.yaml``):
byte flips, deleted, duplicated, swapped or re-indented lines, inserted YAML fragments (tags,
anchors and aliases, ``NO``, huge numbers, deep brackets, ...), values replaced by fragments,
lines spliced in from another seed, truncation, and the hostile families of issue 16:
dates at and past the ends of the calendar (``edge_date``), numeric edge strings such as
``1e999``, ``-0``, ``nan`` and numbers as names (``numeric_edge``), and control characters,
raw or as YAML escapes (``control_chars``). Each mutated file goes through the library
in-process (load -> validate -> compile -> evaluate -> render, fast); the only acceptable outcomes
are success or :class:`cstosim.CstosimError` whose diagnostics are sound (each has a hint and a
location inside the file). Anything else is a finding: another exception, an input slower than
``--slow`` seconds, a diagnostic without hint or location, or a file created by a YAML tag.

While the library runs, a sample of the same inputs goes through the real CLI (``cstosim
validate`` and ``cstosim run`` in a subprocess, one at a time in the background): it must exit
0 or 2 (agreeing with the library), never print a traceback, and finish within 20 s. A
scenario that runs is also written by two concurrent ``cstosim run -o same.json`` (with and
without ``--force``, alternately): exactly one may create the file without ``--force``, and
the file is always one whole report.

Findings are grouped by signature (exception type and the innermost cstosim function); the
first inputs of each go to ``tests/fuzz_crashes/`` with a ``.txt`` note. The exit status is 1
when anything was found. ``tests/test_fuzz_smoke.py`` runs the same strategy for CI.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

import cstosim
from cstosim.errors import CstosimError
from cstosim.render.json import report_text

ROOT = Path(__file__).resolve().parent.parent
CRASH_DIR = Path(__file__).resolve().parent / "fuzz_crashes"
SCENARIO_FILES = tuple(sorted((ROOT / "scenarios").glob("*.yaml")))
RULES_FILE = ROOT / "rules.yaml"
MARKER = "cstosim_fuzz_marker"
"""The file the code-execution fragment would create (relative: in the current directory)."""
CLI_TIMEOUT = 20.0
MEMORY_CAP = 4 << 30
"""Address-space cap for CLI subprocesses (and the fuzzer itself): a blow-up becomes a finding."""
KEEP_PER_SIGNATURE = 2
LINE_ZERO_OK = frozenset({"empty_file", "file_too_large", "not_a_file", "file_not_found",
                          "duplicate_file"})
"""Codes that may name a file without a line: the file has no lines, or none is at fault."""


@dataclass(frozen=True)
class Seed:
    name: str
    kind: str  # "scenario" or "rules"
    data: bytes


SEEDS: tuple[Seed, ...] = (
    *(Seed(p.name, "scenario", p.read_bytes()) for p in SCENARIO_FILES),
    Seed(RULES_FILE.name, "rules", RULES_FILE.read_bytes()),
)


@dataclass(frozen=True)
class Mutated:
    seed: Seed
    data: bytes
    ops: tuple[str, ...]

    @property
    def filename(self) -> str:
        return "fuzz_rules.yaml" if self.seed.kind == "rules" else "fuzz_scenario.yaml"


# ---- the mutation strategy -------------------------------------------------------------------

FRAGMENTS: tuple[bytes, ...] = tuple(f.encode("utf-8") if isinstance(f, str) else f for f in (
    # tags
    f'!!python/object/apply:os.system ["touch {MARKER}"]', "!!python/name:os.system ''",
    "!!python/object:cstosim.model.Incident {id: x}", "!!binary aGVsbG8=", "!local x", "!!str ARM",
    "!!int 3", "!!map {a: 1}", "!!set {a}", "!!omap [a: 1]", "! x", "!<tag:yaml.org,2002:str> x",
    # anchors, aliases, merges
    "&a ARM", "*a", "&b [1, 2, 3]", "*b", "*nowhere", "<<: *a", "&c {x: 1}", "[*a, *a, *a]",
    "&d [&e [*d]]",
    # YAML 1.1 scalars and lookalikes
    "NO", "no", "yes", "Yes", "on", "OFF", "y", "n", "~", "null", "Null", "true", "false", "''", '""',
    "0755", "0x1F", "0o17", "0b101", "1_000", "1:30", "1e3", "1.0e999", "-1.0e999", ".inf", "-.inf",
    ".nan", "-0", "+7", "007", "3.", ".5", "9" * 5000, "-" + "9" * 5000, "1" + "0" * 400 + ".0",
    "99999999999999999999", "2021-02-30", "2021-13-01", "0000-01-01", "9999-12-31", "2021-1-1",
    "2021-07-03T10:00:00", "2021-07-03 10:00", "12:00",
    # structure
    "[" * 100, "{" * 70, "[" * 70 + "]" * 70, "{a: " * 40 + "1" + "}" * 40, "- - - - x",
    "[1, [2, [3, [4]]]]", "{}", "[]", "[ARM, AZE]", "{ARM: 1}", "? [a, b]\n: c", "- ", ": x",
    '"unterminated', "'single", "|", ">-", "---", "...", "%YAML 1.1", "%TAG ! tag:x,2000:",
    "key: value: other", "a:b", "- {", "#", "&", "*", "!", "@x", "`x`",
    # text
    "x" * 3000, "x" + " " * 60_000 + "y", "Армения", "\u202eRTL", "\ufeffBOM", "\U0001F600",
    "\x1b[31mred", b"\xff\xfe", b"\xc3\x28", b"\x00", b"\x01", b"\r", b"\t", b"\r\n",
    # domain values
    "AM-SU", "AZ-NX", "XX-YY", "FRA", "arm", "ARM", "AZE", "NATO", "CSTO", "PA_CSTO", "member",
    "partner", "aggression", "treaty_text", "victim", "art4", "consensus", "pact_chain",
    "incident.killed > 0", "incident.killled > 0", "incident.killed == true",
    "classification.label in [aggression, threat]", "classification.rank >= params.cascade_depth",
    "incident.start < 2021-02-30", "{all: []}", "{any: []}", "{not: true}", "{nand: [x]}",
    "{all: [incident.killed > 0, {not: incident.shots_fired == true}]}",
    "params: {cascade_depth: 1.0e999}", "params: {chain_depth: 100}", "params: {cascade_depth: -1}",
    '{"": 1}', '"": x', "{? [a]: 1}", "{1: 2}", "{null: x}", "{true: 1}",
    "rules: nowhere.yaml", "rules: .", "rules: ''", "rules: " + "r" * 300 + ".yaml", "interpretations: []",
    "interpretations: [victim, victim]", "expect: {}", "changes: [{}]", "events: [{}]",
    "- {leave: {state: ARM, body: CSTO, on: 2021-01-01}}",
    "- {join: {state: PAK, body: CSTO, tier: member, on: 2021-01-01}}",
    "- {relation_end: {kind: conflict, states: [ARM, AZE], on: 2021-01-01}}",
    "- {adopt_tier: {body: PA_CSTO, tier: partner, on: 1900-01-01}}",
))

KEYS: tuple[bytes, ...] = tuple(k.encode() for k in (
    "killed", "as_of", "state_forces", "target", "actor", "when", "params", "rules", "value", "from",
    "until", "id", "locations", "requests", "interpretations", "expect", "status", "tier", "body",
    "parties", "label", "rank", "includes", "gates", "for_each", "holder", "cstosim", "name",
    "x_unknown", "<<", "", "1", "true", "NO",
))

_VALUE = re.compile(rb"([A-Za-z_][A-Za-z0-9_]*): ([^,{}\[\]\n#]*)")

Draw = Callable[[st.SearchStrategy[Any]], Any]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _index(draw: Draw, n: int) -> int:
    return int(draw(st.integers(0, max(n - 1, 0))))


def _flip(draw: Draw, data: bytes) -> tuple[bytes, str]:
    if not data:
        return data, "flip(empty)"
    pos = _index(draw, len(data))
    xor = draw(st.booleans())
    new = data[pos] ^ (1 << draw(st.integers(0, 7))) if xor else draw(st.integers(0, 255))
    return data[:pos] + bytes([new]) + data[pos + 1:], f"flip@{pos}={new:#04x}"


def _delete_line(draw: Draw, data: bytes) -> tuple[bytes, str]:
    lines = _lines(data)
    i = _index(draw, len(lines))
    return b"\n".join(lines[:i] + lines[i + 1:]), f"delete_line {i + 1}"


def _duplicate_line(draw: Draw, data: bytes) -> tuple[bytes, str]:
    lines = _lines(data)
    i = _index(draw, len(lines))
    return b"\n".join(lines[:i + 1] + lines[i:]), f"duplicate_line {i + 1}"


def _swap_lines(draw: Draw, data: bytes) -> tuple[bytes, str]:
    lines = _lines(data)
    i, j = _index(draw, len(lines)), _index(draw, len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines), f"swap_lines {i + 1} {j + 1}"


def _reindent(draw: Draw, data: bytes) -> tuple[bytes, str]:
    lines = _lines(data)
    i = _index(draw, len(lines))
    line = lines[i]
    indent = line[: len(line) - len(line.lstrip(b" \t"))]
    new = draw(st.sampled_from([indent + b" ", indent[:-1], indent + b"  ", b"\t" + indent, b"",
                                indent * 2, indent[:-2], b"  " + indent]))
    lines[i] = new + line[len(indent):]
    return b"\n".join(lines), f"reindent {i + 1} {len(indent)}->{len(new)}"


def _insert_fragment(draw: Draw, data: bytes) -> tuple[bytes, str]:
    lines = _lines(data)
    i = _index(draw, len(lines))
    frag = draw(st.sampled_from(FRAGMENTS))
    line = lines[i]
    indent = line[: len(line) - len(line.lstrip(b" "))]
    form = draw(st.sampled_from(["line", "key", "item", "inline"]))
    if form == "line":
        new = [indent + frag]
    elif form == "key":
        new = [indent + draw(st.sampled_from(KEYS)) + b": " + frag]
    elif form == "item":
        new = [indent + b"- " + frag]
    else:
        col = _index(draw, len(line) + 1)
        lines[i] = line[:col] + frag + line[col:]
        return b"\n".join(lines), f"inline {i + 1}:{col + 1} {frag[:40]!r}"
    return b"\n".join(lines[:i] + new + lines[i:]), f"insert_{form} {i + 1} {frag[:40]!r}"


def _replace_value(draw: Draw, data: bytes) -> tuple[bytes, str]:
    spots = list(_VALUE.finditer(data))
    if not spots:
        return _insert_fragment(draw, data)
    m = spots[_index(draw, len(spots))]
    frag = draw(st.sampled_from(FRAGMENTS))
    return (data[: m.start(2)] + frag + data[m.end(2):],
            f"replace {m.group(1).decode()}@{m.start(2)} {frag[:40]!r}")


def _truncate(draw: Draw, data: bytes) -> tuple[bytes, str]:
    n = _index(draw, len(data) + 1)
    return data[:n], f"truncate {n}"


def _splice(draw: Draw, data: bytes) -> tuple[bytes, str]:
    other = draw(st.sampled_from(SEEDS))
    donor = _lines(other.data)
    line = donor[_index(draw, len(donor))]
    lines = _lines(data)
    i = _index(draw, len(lines))
    return b"\n".join([*lines[:i], line, *lines[i:]]), f"splice {other.name} -> {i + 1}"


PARAMETERS: tuple[bytes, ...] = tuple(sorted(set(re.findall(rb"\n  ([a-z_0-9]+):\n    value:",
                                                             RULES_FILE.read_bytes()))))
"""Parameter names of the bundled rules: the engine reads some of them by name."""


def _set_parameter(draw: Draw, data: bytes) -> tuple[bytes, str]:
    """Give a parameter an odd value: a scenario `params:` override, or a rules-file default."""
    name = draw(st.sampled_from(PARAMETERS)) if PARAMETERS else b"cascade_depth"
    frag = draw(st.sampled_from(FRAGMENTS))
    spot = re.search(rb"\n  " + re.escape(name) + rb":\n    value: ([^\n]*)", data)
    if spot is not None:
        return data[: spot.start(1)] + frag + data[spot.end(1):], f"parameter {name.decode()} = {frag[:40]!r}"
    line = b"params: {" + name + b": " + frag + b"}"
    return data.rstrip(b"\n") + b"\n" + line + b"\n", f"params {name.decode()}: {frag[:40]!r}"


# ---- issue 16 families: edge dates, numeric edge strings, control characters ---------------

_DATE = re.compile(rb"(?<![0-9-])[0-9]{4}-[0-9]{2}-[0-9]{2}(?![0-9])")
EDGE_DATES: tuple[bytes, ...] = tuple(d.encode() for d in (
    "0001-01-01", "0001-01-02", "9999-12-31", "9999-12-30", "9999-12-01", "0001-12-31",
    "2020-02-29", "2021-02-29", "1900-02-29", "2000-02-29", "2021-04-31", "0000-01-01",
    "2021-00-10", "2021-07-00", "10000-01-01", "-001-01-01", "2021-07-03T23:59:59Z",
    "1970-01-01", "2038-01-19", "2021-7-3", "20210703", "'2021-07-03'", "2021-07-03 ",
))


def _edge_date(draw: Draw, data: bytes) -> tuple[bytes, str]:
    """A date (``as_of``, an incident's start, a membership's from...) at or past the ends of
    the calendar, on a leap day that is or is not one, or malformed."""
    spots = list(_DATE.finditer(data))
    if not spots:
        return _insert_fragment(draw, data)
    chosen = draw(st.lists(st.integers(0, len(spots) - 1), min_size=1, max_size=4, unique=True))
    new = draw(st.sampled_from(EDGE_DATES))
    for i in sorted(chosen, reverse=True):
        data = data[: spots[i].start()] + new + data[spots[i].end():]
    return data, f"edge_date x{len(chosen)} {new.decode()}"


_NUMBER = re.compile(rb"(?<=: )-?[0-9]+(?:\.[0-9]+)?(?=[,}\n ])")
_NAME = re.compile(rb"\b(?:name|id|label|kind|tier|body|state|target|actor): ([^,{}\[\]\n#]+)")
NUMERIC_EDGES: tuple[bytes, ...] = tuple(n.encode() for n in (
    "1e999", "-1e999", "1e308", "1.7976931348623157e308", "2e308", "-0", "-0.0", "+0", "0.0",
    "nan", ".nan", "NaN", "inf", ".inf", "-.inf", "1e3", "1.0e5", "2e-3", "1e-999", ".5", "5.",
    "1_000", "0x10", "0o17", "0b11", "010", "1e", "e3", "1..2", "9" * 30, "9" * 31,
    "4294967296", "9223372036854775808", "-9223372036854775809", "1e1000000", "0e0",
))


def _numeric_edge(draw: Draw, data: bytes) -> tuple[bytes, str]:
    """A number replaced by an edge string (``1e999``, ``-0``, ``nan``...), or a name or id
    replaced by one that reads like a number (``1e3``: a dump must quote it)."""
    where = draw(st.sampled_from(["number", "name"]))
    spots = list((_NUMBER if where == "number" else _NAME).finditer(data))
    if not spots:
        return _replace_value(draw, data)
    m = spots[_index(draw, len(spots))]
    start, end = (m.start(), m.end()) if where == "number" else (m.start(1), m.end(1))
    new = draw(st.sampled_from(NUMERIC_EDGES))
    return data[:start] + new + data[end:], f"numeric_edge {where}@{start} {new[:20]!r}"


CONTROL: tuple[bytes, ...] = (
    b'"\\e[2J"', b'"\\e]0;pwned\\a"', b'"\\x1b[31mred"', b'"\\0"', b'"\\x7f"', b'"\\x85"',
    b'"\\u202eRTL"', b'"\\u2028"', b'"\\u2029"', b'"\\ufeff"', b'"\\b\\b\\b"', b'"\\r"',
    b'"a\\tb"', b'"\\x9b2J"', b"\x1b[2J", b"\x1b]0;t\x07", b"\x7f", b"\xc2\x85", b"\xc2\x9b",
    b"\xe2\x80\xae", b"\xe2\x80\xa8", b"\x08", b"\x0b", b"\x0c",
)


def _control_chars(draw: Draw, data: bytes) -> tuple[bytes, str]:
    """A name, id or code replaced by (or holding) control characters, raw or as YAML escapes:
    terminal escapes, C1 controls, bidi overrides, line separators."""
    spots = list(_NAME.finditer(data)) or list(_VALUE.finditer(data))
    if not spots:
        return _insert_fragment(draw, data)
    m = spots[_index(draw, len(spots))]
    ctl = draw(st.sampled_from(CONTROL))
    start, end = (m.start(1), m.end(1)) if m.re is _NAME else (m.start(2), m.end(2))
    if draw(st.booleans()) or ctl.startswith(b'"'):
        new = ctl
    else:  # raw bytes inside the old value
        old = data[start:end]
        cut = _index(draw, len(old) + 1)
        new = old[:cut] + ctl + old[cut:]
    return data[:start] + new + data[end:], f"control_chars@{start} {new[:24]!r}"


OPS: tuple[Callable[[Draw, bytes], tuple[bytes, str]], ...] = (
    _flip, _delete_line, _duplicate_line, _swap_lines, _reindent, _insert_fragment, _insert_fragment,
    _replace_value, _replace_value, _replace_value, _truncate, _splice, _set_parameter,
    _edge_date, _edge_date, _numeric_edge, _numeric_edge, _control_chars, _control_chars,
)


@st.composite
def mutated_inputs(draw: Draw) -> Mutated:
    """A shipped YAML file with one to four mutations."""
    seed = draw(st.sampled_from(SEEDS))
    data = seed.data
    ops = []
    for _ in range(draw(st.integers(1, 4))):
        data, desc = draw(st.sampled_from(OPS))(draw, data)
        ops.append(desc)
    return Mutated(seed, data, tuple(ops))


# ---- the oracle: running one input in-process -----------------------------------------------------


class Slow(Exception):
    """Raised by the alarm when one input takes too long in-process."""


@contextlib.contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    def alarm(signum: int, frame: Any) -> None:
        raise Slow(f"over {seconds:g} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@dataclass(frozen=True)
class Verdict:
    """What the library made of an input: ``loaded`` (the file validated), ``ran`` (evaluated)."""

    loaded: bool
    ran: bool
    finding: Finding | None = None


@dataclass(frozen=True)
class Finding:
    signature: str
    detail: str


def _signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/cstosim/" in f.filename.replace("\\", "/")]
    frame = (ours or frames or [None])[-1]
    where = f"{Path(frame.filename).name}:{frame.name}" if frame else "?"
    return f"{type(exc).__name__}@{where}"


def _exercise(rules: Any, scenario: Any) -> None:
    report = cstosim.evaluate(rules, scenario, explain="full")
    for fmt in ("table", "json", "markdown"):
        cstosim.render(report, fmt)
    report_text(report)
    if scenario.spec.expect is not None:
        cstosim.check_expectations(report, scenario.spec.expect)


def _check_diagnostics(exc: CstosimError, path: Path, data: bytes) -> Finding | None:
    if not exc.diagnostics:
        return Finding("CstosimError-without-diagnostics", repr(exc))
    nlines = data.count(b"\n") + 1
    for d in exc.diagnostics:
        text = d.format()
        if not d.hint:
            return Finding(f"no-hint:{d.code}", text)
        if d.location.file != str(path):
            continue
        if d.location.line == 0 and d.code not in LINE_ZERO_OK:
            return Finding(f"no-location:{d.code}", text)
        # The parser's end-of-file mark may sit one line past a file without a final newline.
        if d.location.line > nlines + 1 or d.location.line < 0 or d.location.column < 0:
            return Finding(f"location-outside-file:{d.code}", f"{text}\n(the file has {nlines} lines)")
    return None


def run_library(m: Mutated, workdir: Path, slow: float = 5.0) -> Verdict:
    """Run one mutated input through the library in-process, in ``workdir``."""
    path = workdir / m.filename
    path.write_bytes(m.data)
    (workdir / MARKER).unlink(missing_ok=True)
    loaded = ran = False
    finding: Finding | None = None
    try:
        with time_limit(slow):
            if m.seed.kind == "rules":
                rules = cstosim.load_rules(path)
                loaded = True
                for scenario_file in SCENARIO_FILES:
                    try:
                        compiled, scenario = cstosim.load_scenario(scenario_file, rules)
                    except CstosimError:
                        continue  # the edited rules may lack what this scenario names
                    _exercise(compiled, scenario)
            else:
                compiled, scenario = cstosim.load_scenario(path)
                loaded = True
                _exercise(compiled, scenario)
            ran = True
    except CstosimError as exc:
        finding = _check_diagnostics(exc, path, m.data)
    except Slow as exc:
        finding = Finding(f"slow@{_signature(exc)}",
                          f"an input took over {slow:g} s in-process\n{traceback.format_exc()}")
    except Exception as exc:
        finding = Finding(_signature(exc), traceback.format_exc())
    if (workdir / MARKER).exists():
        finding = Finding("tag-executed-code", f"{MARKER} was created")
    return Verdict(loaded, ran, finding)


# ---- the real CLI ---------------------------------------------------------------------------------


def _source_stamp() -> tuple[tuple[str, int], ...]:
    files = [RULES_FILE, *sorted((ROOT / "cstosim").glob("*.py"))]
    return tuple((p.name, p.stat().st_mtime_ns) for p in files if p.exists())


_STAMP = _source_stamp()


def package_changed() -> bool:
    """Whether the package or the bundled rules changed on disk since this module was imported."""
    return _source_stamp() != _STAMP


def _run_capped(cmd: list[str], cwd: Path, timeout: float) -> tuple[int | None, bytes]:
    """Run ``cmd`` with its address space capped (set on the child right after it starts:
    ``preexec_fn`` is unsafe with threads); return (exit code or None on timeout, stderr)."""
    with subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE) as proc:
        with contextlib.suppress(ProcessLookupError):
            resource.prlimit(proc.pid, resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
        try:
            _, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            return None, b""
        return proc.returncode, err


def run_cli(m: Mutated, verdict: Verdict, folder: Path) -> list[Finding]:
    """Run ``cstosim validate`` and ``cstosim run`` on the input in a fresh ``folder``."""
    cli = shutil.which("cstosim")
    assert cli is not None, "the `cstosim` command is not on PATH"
    folder.mkdir(parents=True)
    (folder / m.filename).write_bytes(m.data)
    if m.seed.kind == "rules":
        commands = [(["validate", m.filename], verdict.loaded),
                    (["run", str(SCENARIO_FILES[0]), "--rules", m.filename, "--format", "json"], None)]
    else:
        commands = [(["validate", m.filename], verdict.loaded),
                    (["run", m.filename, "--format", "json"], verdict.ran)]
    findings = []
    for args, library_ok in commands:
        shown = "cstosim " + " ".join(args)
        code, raw = _run_capped([cli, *args], folder, CLI_TIMEOUT)
        if code is None:
            findings.append(Finding(f"cli-timeout:{args[0]}", f"{shown}: over {CLI_TIMEOUT:g} s"))
            continue
        err = raw.decode("utf-8", "replace")
        out = f"{shown}: exit {code}\n{err[-3000:]}"
        if "Traceback" in err:
            last = err.strip().splitlines()[-1][:80]
            findings.append(Finding(f"cli-traceback:{args[0]}:{last.split(':')[0]}", out))
        elif code not in (0, 2):
            findings.append(Finding(f"cli-exit-{code}:{args[0]}", out))
        elif code == 2 and "error[" not in err:
            findings.append(Finding(f"cli-no-diagnostic:{args[0]}", out))
        elif code == 2 and "\n  hint: " not in err:
            findings.append(Finding(f"cli-no-hint:{args[0]}", out))
        elif library_ok is not None and (code == 0) != library_ok:
            # The library in this process is the code as imported at start; the CLI runs the code
            # on disk. If someone edited the package meanwhile, a disagreement may be spurious.
            stale = "(package-changed)" if package_changed() else ""
            findings.append(Finding(f"cli-disagrees{stale}:{args[0]}",
                                    f"library {'accepted' if library_ok else 'refused'}; {out}"))
        if (folder / MARKER).exists():
            findings.append(Finding("tag-executed-code:cli", shown))
    if m.seed.kind == "scenario" and verdict.ran:
        findings += concurrent_writers(cli, m.filename, folder, force=WRITER_TRIALS[0] % 2 == 1)
    shutil.rmtree(folder, ignore_errors=True)
    return findings


WRITER_TRIALS = [0]
"""How many concurrent-writer trials ran (the CLI thread is the only writer)."""


def concurrent_writers(cli: str, scenario: str, folder: Path, force: bool) -> list[Finding]:
    """Two `cstosim run -o same.json` at once: without ``--force`` exactly one may create the
    file and the other must refuse (`error[file_exists]`, exit 2); with it both succeed and
    the file is one whole report. Never a temporary file left, never a mix of the two."""
    WRITER_TRIALS[0] += 1
    target = folder / "same.json"
    target.unlink(missing_ok=True)
    args = [cli, "run", scenario, "--format", "json", "-o", target.name, *(["--force"] if force else [])]
    procs = [subprocess.Popen(args, cwd=folder, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE) for _ in range(2)]
    results = []
    for proc in procs:
        try:
            _, err = proc.communicate(timeout=CLI_TIMEOUT * 2)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        results.append((proc.returncode, err.decode("utf-8", "replace")))
    shown = f"two concurrent `cstosim run {scenario} -o same.json{' --force' if force else ''}`"
    detail = f"{shown}\n" + "\n".join(f"exit {c}: {e[-1500:]}" for c, e in results)
    codes = sorted(c for c, _ in results)
    tag = "force" if force else "exclusive"
    if any("Traceback" in e for _, e in results):
        return [Finding(f"writers-traceback:{tag}", detail)]
    if force and codes != [0, 0]:
        return [Finding(f"writers-force-failed:{tag}", detail)]
    if not force and (codes != [0, 2] or not any("error[file_exists]" in e for _, e in results)):
        return [Finding(f"writers-not-exclusive:{tag}", detail)]
    leftovers = [q.name for q in folder.iterdir() if q.name.startswith(".cstosim-")]
    if leftovers:
        return [Finding(f"writers-left-temporary:{tag}", f"{detail}\nleft: {leftovers}")]
    try:
        import json

        json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [Finding(f"writers-broken-file:{tag}", f"{detail}\n{exc}")]
    return []


# ---- the driver -----------------------------------------------------------------------------------


@dataclass
class Stats:
    tried: int = 0
    cli_inputs: int = 0
    families: dict[str, int] = field(default_factory=dict)
    findings: dict[str, list[tuple[Mutated, Finding]]] = field(default_factory=dict)

    def record(self, m: Mutated, f: Finding) -> None:
        seen = self.findings.setdefault(f.signature, [])
        new = not seen
        seen.append((m, f))
        if len(seen) <= KEEP_PER_SIGNATURE:
            _save(m, f)
        if new:
            print(f"  NEW finding {f.signature} (seed {m.seed.name}; {'; '.join(m.ops)})", flush=True)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_")[:80]


def _reproduce(m: Mutated, name: str) -> str:
    if m.seed.kind == "rules":
        return (f"cstosim validate {name}; for s in scenarios/*.yaml; do cstosim run $s --rules {name}; "
                "done")
    return f"cstosim validate {name}; cstosim run {name}"


def _save(m: Mutated, f: Finding) -> None:
    CRASH_DIR.mkdir(exist_ok=True)
    digest = hashlib.sha256(m.data).hexdigest()[:10]
    stem = f"{_slug(f.signature)}-{digest}"
    (CRASH_DIR / f"{stem}.yaml").write_bytes(m.data)
    (CRASH_DIR / f"{stem}.txt").write_text(
        f"signature: {f.signature}\nseed file: {m.seed.name} ({m.seed.kind})\n"
        f"mutations: {'; '.join(m.ops)}\n"
        f"reproduce: {_reproduce(m, stem + '.yaml')}\n\n"
        f"{f.detail}\n", encoding="utf-8")


def fuzz(minutes: float, seed: int, slow: float, use_cli: bool, batch: int = 200) -> Stats:
    stats = Stats()
    deadline = time.monotonic() + minutes * 60
    work = Path(tempfile.mkdtemp(prefix="cstosim-fuzz-"))
    pool = ThreadPoolExecutor(max_workers=1)
    pending: Future[list[Finding]] | None = None
    pending_input: Mutated | None = None
    cli_count = 0
    last_report = time.monotonic()
    old_cwd = Path.cwd()
    os.chdir(work)  # a code-executing tag would create MARKER here
    try:
        batch_no = 0
        while time.monotonic() < deadline:

            @hypothesis_seed(seed * 100_003 + batch_no)
            @settings(max_examples=batch, deadline=None, database=None, phases=[Phase.generate],
                      suppress_health_check=list(HealthCheck))
            @given(mutated_inputs())
            def one_batch(m: Mutated) -> None:
                nonlocal pending, pending_input, cli_count, last_report
                if time.monotonic() >= deadline:
                    return
                verdict = run_library(m, work, slow)
                stats.tried += 1
                for op in m.ops:
                    family = op.split()[0].split("@")[0]
                    stats.families[family] = stats.families.get(family, 0) + 1
                if verdict.finding is not None:
                    stats.record(m, verdict.finding)
                if use_cli and (pending is None or pending.done()):
                    if pending is not None and pending_input is not None:
                        for f in pending.result():
                            stats.record(pending_input, f)
                    cli_count += 1
                    pending_input = m
                    pending = pool.submit(run_cli, m, verdict, work / "cli" / str(cli_count))
                    stats.cli_inputs += 1
                if time.monotonic() - last_report > 30:
                    last_report = time.monotonic()
                    left = max(0, deadline - time.monotonic())
                    print(f"  ... {stats.tried} inputs, {stats.cli_inputs} through the CLI, "
                          f"{len(stats.findings)} distinct findings, {left:.0f} s left", flush=True)

            one_batch()
            batch_no += 1
        if pending is not None and pending_input is not None:
            for f in pending.result():
                stats.record(pending_input, f)
    finally:
        pool.shutdown(wait=True)
        os.chdir(old_cwd)
        shutil.rmtree(work, ignore_errors=True)
    return stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, required=True, help="how long to fuzz")
    parser.add_argument("--seed", type=int, default=None, help="seed for a repeatable sequence")
    parser.add_argument("--slow", type=float, default=5.0,
                        help="seconds after which one in-process input counts as a hang")
    parser.add_argument("--no-cli", action="store_true", help="skip the CLI sample")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
    # Warm up (pycountry's database, the bundled rules) so that an alarm never lands mid-import.
    for s in SCENARIO_FILES:
        cstosim.evaluate(*cstosim.load_scenario(s))
    print(f"fuzzing for {args.minutes:g} min, seed {seed}, {len(SEEDS)} seed files, "
          f"CLI sample {'off' if args.no_cli else 'on'}", flush=True)
    start = time.monotonic()
    stats = fuzz(args.minutes, seed, args.slow, not args.no_cli)
    took = time.monotonic() - start
    if package_changed():
        print("\nnote: cstosim or rules.yaml changed on disk during the run; the CLI ran newer code "
              "than the in-process library")
    print(f"\ntried {stats.tried} inputs in-process ({stats.tried / max(took, 1e-9):.0f}/s) and "
          f"{stats.cli_inputs} through the CLI ({WRITER_TRIALS[0]} concurrent-writer trials) in "
          f"{took / 60:.1f} min (seed {seed})")
    print("mutations by family: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.families.items())))
    if not stats.findings:
        print("no crashes found")
        return 0
    print(f"{len(stats.findings)} distinct findings (inputs saved in {CRASH_DIR}):")
    for sig, hits in sorted(stats.findings.items(), key=lambda kv: -len(kv[1])):
        m, f = hits[0]
        print(f"  {len(hits):6d}x {sig}\n          e.g. {m.seed.name}: {'; '.join(m.ops)[:150]}")
        print("          " + f.detail.strip().splitlines()[-1][:150])
    return 1


if __name__ == "__main__":
    sys.exit(main())
