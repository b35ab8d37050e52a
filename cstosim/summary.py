"""A report's conclusions arranged for reading: across readings, grouped, as a cascade tree.

Pure functions from a :class:`~cstosim.report.Report` (or its parts) to small frozen
structures that every renderer (text, Markdown, HTML) draws the same way:

- :func:`incident_rows`: each incident's label under every reading, side by side;
- :func:`admission_rows`: each admission's verdict and what decided it;
- :func:`counts`: obligations and tensions per reading;
- :func:`obligation_tree`: obligations grouped by commitment, creditor and the obligation
  that set them off, debtors and "against" states listed together, one node for all the
  readings that agree, children for the cascade steps they set off;
- :func:`merged` for classifications and tensions that several readings share.

Nothing is dropped: every obligation is in exactly one node's ``obligations``, and the
node's ``rows`` name each one's debtor and "against" state.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from cstosim.report import Classification, Obligation, Reason, Report, Tension

SEVERITY_ORDER = ("critical", "high", "moderate", "low")  # most severe first, in every output


def by_severity(tensions: Iterable[Tension]) -> list[Tension]:
    """Tensions most severe first, then by id: the one order every output uses."""
    rank = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return sorted(tensions, key=lambda t: (rank.get(t.severity, len(rank)), t.id))


def readings_label(readings: Sequence[str], every: Sequence[str]) -> str:
    """``all readings`` when ``readings`` covers every evaluated one, else the names."""
    if len(every) > 1 and set(readings) >= set(every):
        return "all readings"
    return ", ".join(readings)


# -- incidents and admissions ------------------------------------------------------------


@dataclass(frozen=True)
class IncidentRow:
    incident: str
    labels: tuple[tuple[str, str | None, str | None], ...]  # (reading, label, rule)

    @property
    def agreed(self) -> bool:
        return len({label for _, label, _ in self.labels}) == 1


def incident_rows(report: Report) -> tuple[IncidentRow, ...]:
    """Each incident's label under every evaluated reading, in the report's reading order."""
    order = {name: i for i, name in enumerate(report.interpretations)}
    per: dict[str, list[Classification]] = defaultdict(list)
    for c in report.classifications:
        per[c.incident].append(c)
    return tuple(
        IncidentRow(incident, tuple((c.interpretation, c.label, c.rule) for c in sorted(
            cs, key=lambda c: order.get(c.interpretation, len(order)))))
        for incident, cs in sorted(per.items()))


@dataclass(frozen=True)
class AdmissionRow:
    id: str
    state: str
    body: str
    tier: str
    admitted: bool
    deciding: tuple[Reason, ...]  # what decided it: failed gates, the vote


def admission_rows(report: Report) -> tuple[AdmissionRow, ...]:
    return tuple(AdmissionRow(a.id, a.state, a.body, a.tier, a.admitted, a.reasons)
                 for a in report.admissions)


@dataclass(frozen=True)
class Counts:
    reading: str
    obligations: int
    tensions: int


def counts(report: Report) -> tuple[tuple[Counts, ...], int]:
    """Obligations and tensions per reading, and the tensions that belong to no reading
    (those about an admission hold whatever the reading)."""
    rows = tuple(Counts(r, sum(o.interpretation == r for o in report.obligations),
                        sum(t.interpretation == r for t in report.tensions))
                 for r in report.interpretations)
    return rows, sum(t.interpretation is None for t in report.tensions)


# -- conclusions several readings share -------------------------------------------------

C = TypeVar("C", Classification, Tension)


@dataclass(frozen=True)
class Shared:
    """One conclusion as it holds under ``readings`` (all of them the same but for the
    reading); ``items`` are the per-reading conclusions, nothing left out."""

    readings: tuple[str, ...]
    items: tuple[Any, ...]

    @property
    def first(self) -> Any:
        return self.items[0]


def _classification_key(c: Classification) -> tuple[Any, ...]:
    return (c.incident, c.label, c.rule, c.meaning, c.source, c.also_matched, c.leaves)


def _tension_key(t: Tension) -> tuple[Any, ...]:
    return (t.rule, t.kind, t.severity, t.parties, t.context, t.meaning, t.source, t.facts,
            t.leaves, t.interpretation is None)


def merged(items: Iterable[C]) -> list[Shared]:
    """Conclusions that differ only by their reading, as one :class:`Shared` each, in the
    order of their first appearance."""
    groups: dict[str, list[C]] = {}
    for c in items:
        # repr: facts may hold lists, which do not hash; the repr is the same for equal values.
        key = repr(_classification_key(c) if isinstance(c, Classification) else _tension_key(c))
        groups.setdefault(key, []).append(c)
    return [Shared(tuple(c.interpretation for c in g if c.interpretation is not None), tuple(g))
            for g in groups.values()]


# -- obligations as a cascade tree ------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """Obligations of one commitment towards one creditor, set off by the same parent
    node, under ``readings``. ``rows`` lists debtors with the states each is owed
    against (debtors with the same list together); ``children`` are the cascade steps
    these obligations set off."""

    readings: tuple[str, ...]
    incident: str
    depth: int
    commitment: str
    type: str
    strength: str
    creditor: str
    label: str | None
    judged_by: str
    treaty: str
    article: str
    rows: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # (debtors, against)
    obligations: tuple[Obligation, ...]
    children: tuple[Node, ...] = ()

    @property
    def debtors(self) -> tuple[str, ...]:
        return tuple(sorted({o.debtor for o in self.obligations}))

    def walk(self) -> Iterable[Node]:
        yield self
        for child in self.children:
            yield from child.walk()


def _rows(obligations: Iterable[Obligation]) -> tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]:
    against: dict[str, set[str]] = defaultdict(set)
    for o in obligations:
        # The actor's own duty (Art. 1) is not owed "against" itself.
        against[o.debtor].update([o.against] if o.against and o.against != o.debtor else [])
    by_list: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for debtor, states in against.items():
        by_list[tuple(sorted(states))].append(debtor)
    return tuple(sorted((tuple(sorted(ds)), states) for states, ds in by_list.items()))


def obligation_tree(obligations: Sequence[Obligation], readings: Sequence[str]) -> tuple[Node, ...]:
    """The obligations as a forest: roots are the duties the incident itself sets off,
    children the cascade steps (an obligation's ``via``) each group sets off. Nodes that
    are the same under several readings (same commitment, creditor, rows, reading of the
    incident and parent) are one node listing those readings."""
    by_id = {o.id: o for o in obligations}

    def local(o: Obligation) -> tuple[Any, ...]:
        return (o.incident, o.depth, o.commitment, o.type, o.strength, o.creditor, o.label,
                o.judged_by, o.treaty, o.article)

    # First pass, per reading: group by (local key, parent group) to learn each group's rows.
    def group_of(o: Obligation, seen: frozenset[str] = frozenset()) -> tuple[Any, ...]:
        parent = by_id.get(o.via) if o.via and o.via not in seen else None
        return (o.interpretation, local(o),
                group_of(parent, seen | {o.id}) if parent is not None else None)

    groups: dict[tuple[Any, ...], list[Obligation]] = defaultdict(list)
    for o in obligations:
        groups[group_of(o)].append(o)

    # Second pass: a group's identity across readings is its local key, its rows and its
    # parent's identity; groups of different readings with one identity are one node.
    known: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def identity(key: tuple[Any, ...]) -> tuple[Any, ...]:
        if key not in known:
            _reading, loc, parent = key
            known[key] = (loc, _rows(groups[key]), identity(parent) if parent is not None else None)
        return known[key]

    members: dict[tuple[Any, ...], list[tuple[str, list[Obligation]]]] = defaultdict(list)
    for key, obs in groups.items():
        members[identity(key)].append((key[0], obs))

    order = {name: i for i, name in enumerate(readings)}
    children: dict[tuple[Any, ...] | None, list[tuple[Any, ...]]] = defaultdict(list)
    for idn in members:
        children[idn[2]].append(idn)

    def build(idn: tuple[Any, ...]) -> Node:
        parts = sorted(members[idn], key=lambda p: order.get(p[0], len(order)))
        obs = tuple(sorted((o for _, os in parts for o in os), key=lambda o: o.id))
        o = obs[0]
        return Node(tuple(r for r, _ in parts), o.incident, o.depth, o.commitment, o.type,
                    o.strength, o.creditor, o.label, o.judged_by, o.treaty, o.article,
                    idn[1], obs, tuple(build(c) for c in _sorted(children[idn], members, order)))

    return tuple(build(c) for c in _sorted(children[None], members, order))


def _sorted(idns: list[tuple[Any, ...]], members: dict[tuple[Any, ...], Any],
            order: dict[str, int]) -> list[tuple[Any, ...]]:
    """Siblings by incident, step, first reading, then commitment and creditor."""
    def key(idn: tuple[Any, ...]) -> tuple[Any, ...]:
        loc = idn[0]
        first = min(order.get(r, len(order)) for r, _ in members[idn])
        return (loc[0], loc[1], first, loc[2], loc[5], idn[1])
    return sorted(idns, key=key)


def commitments_cited(obligations: Iterable[Obligation]) -> list[Obligation]:
    """One obligation per commitment, for the commitment's text and source, by id."""
    first: dict[str, Obligation] = {}
    for o in sorted(obligations, key=lambda o: o.id):
        first.setdefault(o.commitment, o)
    return [first[c] for c in sorted(first)]
