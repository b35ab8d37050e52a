"""Bundled reference data about states: every UN member's admission date and the
15 former Soviet republics (``cstosim/data/un_members.csv``), each row with its
source and a FACTS-style mark.

Read by :mod:`cstosim.compile` to give any ISO 3166-1 state facts that a rules
file's ``states:`` does not list. The file is read once, at load time, when the
rules or a scenario name such a state; never at import time, and never during
evaluation (compilation resolves every named state beforehand).
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = "un_members.csv"
SOURCE = "https://www.un.org/en/about-us/member-states"
"""The UN's member-states list, the source of every admission date in the data file."""


@dataclass(frozen=True, slots=True)
class ReferenceState:
    """One row of the bundled data: a UN member state."""

    code: str
    name: str
    un_member_from: dt.date
    former_soviet: bool
    mark: str  # V, P, U or C, as in FACTS.md
    source: str


def _rows(text: str) -> dict[str, ReferenceState]:
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    out: dict[str, ReferenceState] = {}
    for row in csv.DictReader(lines):
        # INVARIANT: the data file is part of the package and checked by tests/test_states.py;
        # a malformed row is a packaging bug, so it fails loudly here rather than being skipped.
        out[row["code"]] = ReferenceState(
            code=row["code"], name=row["name"],
            un_member_from=dt.date.fromisoformat(row["un_member_from"]),
            former_soviet={"true": True, "false": False}[row["former_soviet"]],
            mark=row["mark"], source=row["source"])
    return out


@cache
def un_members() -> dict[str, ReferenceState]:
    """Every UN member state in the bundled data, by ISO 3166-1 alpha-3 code."""
    # A plain path, not importlib.resources (whose import costs more than reading the file):
    # the wheel installs the package as files, with the data beside this module.
    return _rows(data_path().read_text(encoding="utf-8"))


def data_path() -> Path:
    """Where the bundled data file is."""
    return Path(__file__).resolve().parent / "data" / DATA_FILE


def lookup(code: str) -> ReferenceState | None:
    """The bundled row of ``code``; None for an ISO code that is not a UN member (a
    territory, or an observer state such as `PSE`): such a state is neither a UN member
    nor a former Soviet republic, since the data lists every one of both."""
    return un_members().get(code)
