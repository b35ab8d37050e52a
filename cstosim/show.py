"""What a rules model contains, as of a date (``cstosim show``).

Reads the validated file (``CompiledRules.spec``) so that a user can write a what-if
without reading rules.yaml: which states, bodies and tiers exist, who holds what, which
relations and commitments are in force on the date, and the parameters and readings that
can be switched. Dated records follow the engine's convention: in force from ``from``
up to, not including, ``until``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cstosim import model as m

SECTIONS = ("states", "bodies", "memberships", "relations", "commitments", "parameters",
            "interpretations")


@dataclass(frozen=True)
class Table:
    """One section: its columns, its rows in file order, and how many dated entries the
    date left out (so a short listing never hides that it is filtered)."""

    name: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    not_in_force: int = 0


def _on(start: dt.date | None, until: dt.date | None, as_of: dt.date | None) -> bool:
    if as_of is None:
        return True
    return (start is None or start <= as_of) and (until is None or as_of < until)


def _span(start: dt.date | None, until: dt.date | None) -> str:
    return f"{start or '…'} to {until}" if until else f"from {start}" if start else ""


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def tables(spec: m.RulesFile, sections: tuple[str, ...] = SECTIONS,
           as_of: dt.date | None = None) -> list[Table]:
    """The requested sections of ``spec``, each filtered to what is in force on ``as_of``
    (everything when ``as_of`` is None). Only dated records are filtered (tiers,
    memberships, relations, commitments); states, parameters and readings are listed whole."""
    builders = {"states": _states, "bodies": _bodies, "memberships": _memberships,
                "relations": _relations, "commitments": _commitments,
                "parameters": _parameters, "interpretations": _interpretations}
    return [builders[s](spec, as_of) for s in sections]


def _states(spec: m.RulesFile, as_of: dt.date | None) -> Table:
    """The rules' own states, then every other state of the bundled reference data (whose
    facts apply to a state the rules do not list); `from` says which one a row comes from."""
    from cstosim import reference  # read only when states are shown

    rows = [(code, s.name or "", _text(s.former_soviet),
             _text(s.un_member_from) if s.un_member_from else "", "rules", s.source)
            for code, s in sorted(spec.states.items())]
    rows += [(code, r.name, _text(r.former_soviet), _text(r.un_member_from),
              "bundled", f"{r.source} [{r.mark}]")
             for code, r in sorted(reference.un_members().items()) if code not in spec.states]
    return Table("states", ("code", "name", "former_soviet", "un_member_from", "from", "source"),
                 tuple(rows))


def _bodies(spec: m.RulesFile, as_of: dt.date | None) -> Table:
    rows, hidden = [], 0
    for bid, b in spec.bodies.items():
        for tid, t in b.tiers.items():
            start = t.in_force_from if t.status == "in_force" else None
            if t.status == "proposed" and as_of is not None and t.proposed_on and t.proposed_on > as_of:
                hidden += 1
                continue
            if t.status == "in_force" and not _on(start, None, as_of):
                hidden += 1
                continue
            since = (f"in force from {t.in_force_from}" if t.status == "in_force" and t.in_force_from
                     else "in force" if t.status == "in_force"
                     else f"proposed {t.proposed_on}" if t.proposed_on else "proposed")
            rows.append((bid, b.name, b.parent or "", tid, str(t.rank), since,
                         t.procedure or "", ", ".join(t.rights)))
    return Table("bodies", ("body", "name", "parent", "tier", "rank", "status", "procedure",
                            "rights"), tuple(rows), hidden)


def _memberships(spec: m.RulesFile, as_of: dt.date | None) -> Table:
    rows, hidden = [], 0
    for x in spec.memberships:
        if not _on(x.from_, x.until, as_of):
            hidden += 1
            continue
        rows.append((x.state, x.body, x.tier, x.status, _span(x.from_, x.until), x.source))
    return Table("memberships", ("state", "body", "tier", "status", "dates", "source"),
                 tuple(rows), hidden)


def _relations(spec: m.RulesFile, as_of: dt.date | None) -> Table:
    rows, hidden = [], 0
    for r in spec.relations:
        if not _on(r.from_, r.until, as_of):
            hidden += 1
            continue
        rows.append((r.kind, " ".join(r.states), r.body or "", _span(r.from_, r.until), r.source))
    return Table("relations", ("kind", "states", "body", "dates", "source"), tuple(rows), hidden)


def _commitments(spec: m.RulesFile, as_of: dt.date | None) -> Table:
    rows, hidden = [], 0
    for c in spec.commitments:
        if not _on(c.from_, c.until, as_of):
            hidden += 1
            continue
        p = c.parties
        parties = (" ".join(p.states) if p.states is not None
                   else f"{p.body}.{p.tier}" if p.tier else p.body or "")
        rows.append((c.id, c.type, f"{c.treaty} {c.article}", parties, c.strength,
                     _span(c.from_, c.until), c.source))
    return Table("commitments", ("id", "type", "treaty", "parties", "strength", "dates",
                                 "source"), tuple(rows), hidden)


def _parameters(spec: m.RulesFile, as_of: dt.date | None) -> Table:
    rows = tuple((name, _text(p.value), p.meaning, p.source) for name, p in spec.parameters.items())
    return Table("parameters", ("name", "value", "meaning", "source"), rows)


def _interpretations(spec: m.RulesFile, as_of: dt.date | None) -> Table:
    rows = []
    for name, i in spec.interpretations.items():
        changes = [f"{k}={_text(v)}" for k, v in i.params.items()]
        changes += [f"+{r}" for r in i.enable] + [f"-{r}" for r in i.disable]
        rows.append((name, i.holder, ", ".join(changes) or "(defaults)", i.meaning))
    return Table("interpretations", ("name", "holder", "changes", "meaning"), tuple(rows))
