"""Consistency properties of a rules model, each checkable on one scenario.

A property is a stable id, a one-line meaning and a check that takes compiled
rules and a scenario and returns the violations it finds (empty when it holds).
``cstosim check`` searches generated scenarios for a violation with hypothesis
and shrinks it to a minimal counterexample; a scenario's ``expect.properties``
re-checks the same properties when the scenario runs, so a counterexample file
is a regression test. This module is pure: no I/O and no hypothesis.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import yaml

from cstosim import model as m
from cstosim import program as pg
from cstosim.admissions import decide
from cstosim.api import Scenario, conclusions, evaluate, scenario_from_text
from cstosim.compile import CompiledRules, case_of
from cstosim.errors import CstosimError
from cstosim.evaluate import run
from cstosim.render.json import report_json
from cstosim.report import Outcome, Stance
from cstosim.world import World

Check = Callable[[CompiledRules, Scenario], list[str]]


@dataclass(frozen=True)
class Property:
    """A consistency property: stable id, one-line meaning, and its check."""

    id: str
    meaning: str
    check: Check


def _with(scenario: Scenario, spec: m.ScenarioFile) -> Scenario:
    return Scenario(spec, scenario.file, scenario.added_commitments)


def _fingerprint(out: Outcome) -> str:
    """The conclusions of an outcome, without reasons, as comparable text."""
    parts = [f"A {a.id} {a.admitted} {a.decision} {sorted(a.gates_failed)}" for a in out.admissions]
    parts += [f"C {c.id} {c.label}" for c in out.classifications]
    parts += [f"O {o.id}" for o in out.obligations]
    parts += [f"T {t.id}" for t in out.tensions]
    return "\n".join(sorted(parts))


def determinism(rules: CompiledRules, sc: Scenario) -> list[str]:
    # Compared as compact JSON, which the C encoder writes many times faster than the
    # indented text the commands print; the indented text is a function of the same
    # document, so equal compact texts mean equal reports byte for byte.
    first = _compact(report_json(evaluate(rules, sc)))
    second = _compact(report_json(evaluate(rules, sc)))
    return [] if first == second else ["two evaluations of the same scenario differ"]


def _compact(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def order_independence(rules: CompiledRules, sc: Scenario) -> list[str]:
    spec = sc.spec
    flipped = spec.model_copy(update={"events": list(reversed(spec.events)),
                                      "changes": list(reversed(spec.changes))})
    a = _fingerprint(conclusions(rules, sc)[0])
    b = _fingerprint(conclusions(rules, _with(sc, flipped))[0])
    return [] if a == b else ["reversing the order of events and changes changes the conclusions"]


def classification_total(rules: CompiledRules, sc: Scenario) -> list[str]:
    out, _ = conclusions(rules, sc)
    return [f"incident `{c.incident}` matches no classification rule under `{c.interpretation}`"
            for c in out.classifications if c.label is None]


def classification_unambiguous(rules: CompiledRules, sc: Scenario) -> list[str]:
    if not rules.overlap_forbidden():
        return []
    label_of = {r.id: r.label for r in rules.classification}
    out, _ = conclusions(rules, sc)
    bad = []
    for c in out.classifications:
        others = sorted({label_of[r] for r in c.also_matched} - {c.label})
        if others:
            bad.append(f"incident `{c.incident}` under `{c.interpretation}` gets `{c.label}` and "
                       f"also {', '.join(f'`{x}`' for x in others)}, and overlaps are forbidden")
    return bad


_BUMPS: dict[str, Callable[[m.Incident], dict[str, object]]] = {
    "one more day on territory": lambda i: {"days_on_territory": i.days_on_territory + 1},
    "one more death": lambda i: {"killed": i.killed + 1},
    "one more wounded": lambda i: {"wounded": i.wounded + 1},
    "one more captured": lambda i: {"captured": i.captured + 1},
    "a deeper advance": lambda i: {"depth_km": i.depth_km + 0.5},
    "an Art. 2 request": lambda i: {"requests": [*i.requests, m.Request(article="art2", date=i.start)]},
    "an Art. 4 request": lambda i: {"requests": [*i.requests, m.Request(article="art4", date=i.start)]},
}


def monotonicity(rules: CompiledRules, sc: Scenario) -> list[str]:
    base, _ = conclusions(rules, sc)
    ranks = {c.id: c.rank for c in base.classifications}
    owed = {o.id for o in base.obligations}
    bad: list[str] = []
    for idx, ev in enumerate(sc.spec.events):
        if ev.incident is None:
            continue
        for what, bump in _BUMPS.items():
            inc = ev.incident.model_copy(update=bump(ev.incident))
            events = list(sc.spec.events)
            events[idx] = m.Event(incident=inc)
            out, _ = conclusions(rules, _with(sc, sc.spec.model_copy(update={"events": events})))
            for c in out.classifications:
                if c.incident == inc.id and c.rank < ranks.get(c.id, -1):
                    bad.append(f"{what} weakens `{inc.id}` under `{c.interpretation}` "
                               f"from rank {ranks[c.id]} to `{c.label}`")
            lost = sorted(o for o in owed - {o.id for o in out.obligations} if f":{inc.id}@" in o)
            if lost:
                bad.append(f"{what} in `{inc.id}` removes obligation `{lost[0]}`")
    return bad


def tier_exclusivity(rules: CompiledRules, sc: Scenario) -> list[str]:
    _, world = conclusions(rules, sc)
    bad = []
    seen: dict[tuple[str, str], list[tuple[dt.date, dt.date | None, str]]] = {}
    for x in world.members:
        seen.setdefault((x.state, x.body), []).append((x.start, x.until, x.tier))
    for (state, body), spans in sorted(seen.items()):
        spans.sort(key=lambda s: s[0])
        for (_, u1, t1), (s2, _, t2) in pairwise(spans):
            if u1 is None or s2 < u1:
                bad.append(f"`{state}` holds `{t1}` and `{t2}` of `{body}` at once from {s2}")
    return bad


def tier_order(rules: CompiledRules, sc: Scenario) -> list[str]:
    bad = []
    for b, body in sorted(rules.spec.bodies.items()):
        for t, tier in sorted(body.tiers.items()):
            for inc in tier.includes:
                if body.tiers[inc].rank >= tier.rank:
                    bad.append(f"tier `{b}.{t}` (rank {tier.rank}) includes `{inc}` of rank "
                               f"{body.tiers[inc].rank}: rights must follow the tier order")
    return bad


def obligation_backed(rules: CompiledRules, sc: Scenario) -> list[str]:
    out, world = conclusions(rules, sc)
    commitments: dict[str, pg.Commitment] = {c.id: c for c in world.commitments}
    dates = {e.incident.id: e.incident.start for e in sc.spec.events if e.incident}
    bad = []
    for o in out.obligations:
        d = dates[o.incident]
        c = commitments.get(o.commitment)
        if c is None:
            bad.append(f"`{o.id}` rests on no commitment")
            continue
        if not c.in_force(d):
            bad.append(f"`{o.id}` rests on `{c.id}`, not in force on {d}")
        if o.debtor == o.creditor or (o.type == "defence" and o.against == o.debtor):
            bad.append(f"`{o.id}`: a state owes defence to or against itself")
        if not _bound(world, c, o.debtor, d):
            bad.append(f"`{o.id}`: `{o.debtor}` is not bound by `{c.id}` on {d} "
                       f"(not a party, or its tier was not in force)")
    return bad


def _bound(world: World, c: pg.Commitment, state: str, d: dt.date) -> bool:
    p = c.parties
    if p.states is not None:
        return state in p.states
    assert p.body is not None and p.tier is not None
    x = world.holding(state, p.body, d)
    return (x is not None and x.tier == p.tier and x.status in ("active", "frozen")
            and world.tier_in_force(p.body, p.tier, d))


def veto_blocks(rules: CompiledRules, sc: Scenario) -> list[str]:
    out, _ = conclusions(rules, sc)
    bad = []
    for a in out.admissions:
        if a.decision_rule != "consensus" or a.procedure is None:
            continue
        proc = rules.program.procedures[a.procedure]
        for i, s in enumerate(a.stances):
            if s.stance == "object":
                continue
            stances = list(a.stances)
            stances[i] = Stance(s.decider, "object", None, "added objection")
            with_veto = decide(proc, stances)[0]
            if with_veto == "adopted":
                bad.append(f"`{a.id}`: an objection by `{s.decider}` does not block consensus "
                           f"under `{a.procedure}`")
                break
    return bad


def gate_blocks(rules: CompiledRules, sc: Scenario) -> list[str]:
    out, _ = conclusions(rules, sc)
    return [f"`{a.id}` is admitted although gates {list(a.gates_failed)} failed"
            for a in out.admissions if a.admitted and a.gates_failed]


def time(rules: CompiledRules, sc: Scenario) -> list[str]:
    if sc.spec.as_of == dt.date.max:  # no later day to date a request on
        return []
    later = sc.spec.as_of + dt.timedelta(days=1)
    events = [m.Event(incident=e.incident.model_copy(update={"requests": [
        *e.incident.requests, m.Request(article="art2", date=later),
        m.Request(article="art4", date=later)]})) if e.incident else e for e in sc.spec.events]
    a = _fingerprint(conclusions(rules, sc)[0])
    b = _fingerprint(conclusions(rules, _with(sc, sc.spec.model_copy(update={"events": events})))[0])
    return [] if a == b else ["requests dated after `as_of` change the conclusions"]


def what_if_neutrality(rules: CompiledRules, sc: Scenario) -> list[str]:
    # Evaluate both passes explicitly: `evaluate` itself skips the baseline pass when the
    # inputs are the same, which is only right while this property holds.
    plain = sc.spec.model_copy(update={"changes": [], "params": {}})
    names = tuple(plain.interpretations or tuple(rules.spec.interpretations))
    params = dict(rules.params)
    case = case_of(plain, sc.file, ())
    whatif, _ = run(rules.program, case, params, with_changes=True, explain="off",
                    interpretations=names)
    baseline, _ = run(rules.program, case, params, with_changes=False, explain="off",
                      interpretations=names)
    return [] if _fingerprint(whatif) == _fingerprint(baseline) else [
        "a scenario with no changes and no parameter overrides differs from the baseline"]


def round_trip(rules: CompiledRules, sc: Scenario) -> list[str]:
    text = dump_scenario(sc.spec)
    try:
        again = scenario_from_text(text, rules, "<round trip>").spec
    except CstosimError as exc:  # a violation to shrink and report, not a crash of the check
        return [f"the dumped scenario does not load back: {exc.diagnostics[0].format()}"]
    return [] if again == sc.spec else ["the scenario does not survive dump and reload unchanged"]


def dump_scenario(spec: m.ScenarioFile) -> str:
    """YAML text that loads back to ``spec`` (dates stay dates, ``NO`` stays a string)."""
    data = spec.model_dump(mode="python", by_alias=True, exclude_defaults=True)
    data = {"cstosim": spec.cstosim, **data}
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)


class _Dumper(yaml.SafeDumper):
    """Safe dumper that writes repeated values out instead of as anchors and aliases."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # cstosim's loader reads `1e3`, `2e-3` or `.5` as numbers where YAML 1.1 (and so the
    # dumper's resolver) sees strings: quote anything that could start a number, date or null
    if value[:1].isdigit() or value[:1] in "-+.~" or value.lower() in ("null", "true", "false"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_str(value)


_Dumper.add_representer(str, _represent_str)


PROPERTIES: tuple[Property, ...] = (
    Property("determinism", "The same scenario gives the same report, byte for byte.", determinism),
    Property("order_independence", "Reordering events and changes does not change conclusions.",
             order_independence),
    Property("classification_total", "Every incident gets a label under every interpretation.",
             classification_total),
    Property("classification_unambiguous",
             "No incident gets two different labels unless the rules say the most severe wins.",
             classification_unambiguous),
    Property("monotonicity", "A strictly more severe incident never gets a weaker label or loses "
                             "an obligation.", monotonicity),
    Property("tier_exclusivity", "A state holds at most one tier of a body at a time.",
             tier_exclusivity),
    Property("tier_order", "A tier includes only the rights of lower-ranked tiers.", tier_order),
    Property("obligation_backed", "Every obligation rests on a commitment in force, owed by a party "
                                  "bound on that date, never to or against itself.",
             obligation_backed),
    Property("veto_blocks", "Under consensus an added objection never lets an admission through.",
             veto_blocks),
    Property("gate_blocks", "Failing a gate always blocks admission.", gate_blocks),
    Property("time", "Nothing dated after `as_of` affects the conclusions.", time),
    Property("what_if_neutrality", "Without changes or overrides a scenario equals its baseline.",
             what_if_neutrality),
    Property("round_trip", "A scenario survives dump and reload unchanged.", round_trip),
)
BY_ID = {p.id: p for p in PROPERTIES}
# INVARIANT: the registry and the ids the scenario model accepts are the same.
assert tuple(BY_ID) == m.PROPERTY_IDS


def check_scenario_properties(rules: CompiledRules, sc: Scenario,
                              ids: list[str] | tuple[str, ...]) -> dict[str, list[str]]:
    """Run the named properties on one scenario: id -> violations."""
    return {pid: BY_ID[pid].check(rules, sc) for pid in ids}
