"""Hypothesis strategies generated from a rules model, for property-testing rules.

Use them in your own pytest suite to test an edited rules file::

    from hypothesis import given
    import cstosim
    from cstosim import testing

    RULES = cstosim.load_rules("my_rules.yaml")

    @given(testing.scenarios(RULES))
    def test_art4_needs_aggression(scenario):
        report = cstosim.evaluate(RULES, scenario, explain="off")
        labels = {c.id: c.label for c in report.classifications}
        for o in report.obligations:
            if o.commitment == "cst_art4_2010":
                assert labels[f"{o.incident}@{o.interpretation}"] == "aggression"

Every strategy draws only ids the model defines, and dates from the model's own
key dates (each ``from``/``until``/``in_force_from`` and the day before it) as
often as from the whole range, so that boundaries are hit.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from hypothesis import strategies as st

from cstosim import model as m
from cstosim.api import Scenario
from cstosim.compile import CompiledRules

FIRST_DAY = dt.date(1992, 5, 15)
LAST_DAY = dt.date(2026, 12, 31)


def key_dates(rules: CompiledRules) -> list[dt.date]:
    """Dates where something in the model starts or ends, and the day before each."""
    s = rules.spec
    found: set[dt.date] = set()
    for ms in s.memberships:
        found.update(d for d in (ms.from_, ms.until) if d)
    for rel in s.relations:
        found.update(d for d in (rel.from_, rel.until) if d)
    for c in s.commitments:
        found.update(d for d in (c.from_, c.until) if d)
    for body in s.bodies.values():
        found.update(d for t in body.tiers.values() for d in (t.in_force_from, t.proposed_on) if d)
    found.update(d - dt.timedelta(days=1) for d in list(found) if d > dt.date.min)
    return sorted(d for d in found if FIRST_DAY <= d <= LAST_DAY)


@dataclass(frozen=True)
class _Facts:
    """What the strategies need from one rules model, worked out once: building hypothesis
    strategies anew inside every draw (and validating them) cost more than most checks."""

    keys: tuple[dt.date, ...]
    codes: tuple[str, ...]
    edges: tuple[int, ...]
    pairs: tuple[tuple[str, str], ...]
    bodies: tuple[str, ...]
    proposed: tuple[tuple[str, str], ...]
    state: st.SearchStrategy[str]
    other: dict[str, st.SearchStrategy[str | None]]  # a state other than the key, or none
    days: st.SearchStrategy[int]
    casualties: st.SearchStrategy[int]
    captured: st.SearchStrategy[int]


_FACTS: dict[int, tuple[CompiledRules, _Facts]] = {}  # by id(rules), holding rules so the id stays its own


def _facts(rules: CompiledRules) -> _Facts:
    hit = _FACTS.get(id(rules))
    if hit is not None and hit[0] is rules:
        return hit[1]
    s = rules.spec
    codes = tuple(sorted(s.states))
    edges = _edges(rules)
    others: dict[str, st.SearchStrategy[str | None]] = {}
    for c in codes:
        other = st.sampled_from([x for x in codes if x != c])
        # Biased towards the facts that engage the treaty (a state actor whose forces crossed),
        # so that thresholds behind them are reached often; every value still occurs.
        others[c] = st.one_of(other, other, st.none())
    facts = _Facts(
        keys=tuple(key_dates(rules)), codes=codes, edges=edges,
        pairs=tuple(sorted((b, t) for b, body in s.bodies.items() for t in body.tiers)),
        bodies=tuple(sorted(s.bodies)),
        proposed=tuple(sorted((b, t) for b, body in s.bodies.items()
                              for t, tier in body.tiers.items() if tier.status == "proposed")),
        state=st.sampled_from(codes), other=others, days=_count(edges, 400),
        casualties=_count(edges, 500), captured=_count(edges, 50))
    if len(_FACTS) > 16:
        _FACTS.clear()
    _FACTS[id(rules)] = (rules, facts)
    return facts


@lru_cache(maxsize=4096)
def _dates_between(keys: tuple[dt.date, ...], lo: dt.date, hi: dt.date) -> st.SearchStrategy[dt.date]:
    inside = keys[bisect.bisect_left(keys, lo):bisect.bisect_right(keys, hi)]
    anywhere = st.dates(lo, hi)
    return st.one_of(st.sampled_from(inside), anywhere) if inside else anywhere


def dates(rules: CompiledRules, lo: dt.date = FIRST_DAY,
          hi: dt.date = LAST_DAY) -> st.SearchStrategy[dt.date]:
    """A date in ``[lo, hi]``, often one of the model's key dates."""
    return _dates_between(_facts(rules).keys, lo, hi)


def states(rules: CompiledRules) -> st.SearchStrategy[str]:
    """A state code the model defines."""
    return _facts(rules).state


def _edges(rules: CompiledRules) -> tuple[int, ...]:
    """0, 1, 2 and every whole-number parameter value (in the rules or an interpretation) and
    its neighbours: where thresholds flip."""
    values = {0, 1, 2}
    numbers = [*rules.params.values()] + [v for i in rules.spec.interpretations.values()
                                          for v in i.params.values()]
    for v in numbers:
        if isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < 10_000:
            values.update({int(v) - 1, int(v), int(v) + 1})
    return tuple(sorted(x for x in values if x >= 0))


def _likely(value: bool = True) -> st.SearchStrategy[bool]:
    """A boolean that is ``value`` two times in three."""
    return st.sampled_from([value, not value, value])


def _count(edges: tuple[int, ...], hi: int) -> st.SearchStrategy[int]:
    return st.one_of(st.sampled_from(edges), st.integers(0, hi))


_LIKELY_TRUE, _LIKELY_FALSE = _likely(True), _likely(False)
_DEPTH = st.one_of(st.sampled_from([0.0, 0.5, 1.0, 3.5]), st.floats(0, 100, allow_nan=False))


@lru_cache(maxsize=4096)
def _addressees(bodies: tuple[str, ...], others: tuple[str, ...]
                ) -> st.SearchStrategy[m.Addressee | None]:
    """No addressee, a body, or one state other than the victim (a bilateral request)."""
    return st.one_of(st.none(), st.builds(m.Addressee, body=st.sampled_from(bodies)),
                     st.builds(m.Addressee, state=st.sampled_from(others)))


@lru_cache(maxsize=4096)
def _requests(lo: dt.date, hi: dt.date, to: st.SearchStrategy[m.Addressee | None]
              ) -> st.SearchStrategy[list[m.Request]]:
    return st.lists(st.builds(m.Request, article=st.sampled_from(["art2", "art4"]), to=to,
                              date=st.dates(lo, hi)), max_size=2)


@lru_cache(maxsize=4096)
def _responses(lo: dt.date, hi: dt.date, to: st.SearchStrategy[m.Addressee | None]
               ) -> st.SearchStrategy[list[m.Response]]:
    return st.lists(st.builds(m.Response, by=to.filter(lambda a: a is not None),
                              kind=st.sampled_from(m.RESPONSE_KINDS), date=st.dates(lo, hi)),
                    max_size=2)


def incidents(rules: CompiledRules, as_of: dt.date,
              ident: str = "inc") -> st.SearchStrategy[m.Incident]:
    """An incident dated on or before ``as_of``, with every fact field drawn, edge values included:
    zero days, no casualties, undelimited borders, members on both sides, internal unrest with no
    actor, and requests before and after ``as_of``."""
    return _incident(rules, as_of, ident)


# The composites are defined once at module level: defining one inside the function that
# returns it made hypothesis re-read its source on every draw.
@st.composite
def _incident(draw: st.DrawFn, rules: CompiledRules, as_of: dt.date, ident: str) -> m.Incident:
    facts = _facts(rules)
    target = draw(facts.state)
    actor = draw(facts.other[target])
    start = draw(dates(rules, FIRST_DAY, as_of))
    to = _addressees(facts.bodies, tuple(c for c in facts.codes if c != target))
    requests = draw(_requests(start, as_of + dt.timedelta(days=30), to))
    responses = draw(_responses(start, as_of, to))
    sender = draw(st.one_of(st.none(), st.just(actor))) if actor else None
    end = draw(st.one_of(st.none(), st.dates(start, start + dt.timedelta(days=10))))
    return m.Incident(
        id=ident, actor=actor, target=target, start=start, end=end,
        shelling=draw(st.booleans()), strikes=draw(_LIKELY_FALSE),
        attack_on_forces=draw(st.booleans()), irregulars_sent_by=sender,
        armed_group=draw(_LIKELY_FALSE), responses=responses,
        state_forces=draw(_LIKELY_TRUE), crossed_border=draw(_LIKELY_TRUE),
        days_on_territory=draw(facts.days), depth_km=draw(_DEPTH),
        killed=draw(facts.casualties), wounded=draw(facts.casualties),
        captured=draw(facts.captured), shots_fired=draw(st.booleans()),
        border_delimited=draw(_LIKELY_FALSE), internal_unrest=draw(st.booleans()),
        framed_as_external=draw(st.booleans()), requests=requests)


def applications(rules: CompiledRules, as_of: dt.date,
                 ident: str = "app") -> st.SearchStrategy[m.Application]:
    """An application by a model state for any tier of any body, dated on or before ``as_of``."""
    return _application(rules, as_of, ident)


@st.composite
def _application(draw: st.DrawFn, rules: CompiledRules, as_of: dt.date, ident: str) -> m.Application:
    facts = _facts(rules)
    body, tier = draw(_sampled(facts.pairs))
    return m.Application(id=ident, state=draw(facts.state), body=body, tier=tier,
                         date=draw(dates(rules, FIRST_DAY, as_of)))


def changes(rules: CompiledRules, as_of: dt.date) -> st.SearchStrategy[m.Change]:
    """A what-if change: a proposed tier adopted, a state joining or leaving, a relation
    starting or ending, all dated on or before ``as_of``."""
    return _changes(_facts(rules), dates(rules, FIRST_DAY, as_of))


@lru_cache(maxsize=64)
def _sampled(items: tuple[Any, ...]) -> st.SearchStrategy[Any]:
    return st.sampled_from(items)


def _join(bt: tuple[str, str], d: dt.date, code: str) -> m.Change:
    return m.Change(join=m.Join(state=code, body=bt[0], tier=bt[1], on=d))


def _leave(b: str, d: dt.date, code: str) -> m.Change:
    return m.Change(leave=m.Leave(state=code, body=b, on=d))


def _relation(kind: Any, two: list[str], d: dt.date) -> m.Change:
    return m.Change(relation_start=m.RelationChange(kind=kind, states=list(two), on=d))


def _adopt(bt: tuple[str, str], d: dt.date) -> m.Change:
    return m.Change(adopt_tier=m.AdoptTier(body=bt[0], tier=bt[1], on=d))


_CHANGES: dict[tuple[int, int], st.SearchStrategy[m.Change]] = {}


def _changes(facts: _Facts, when: st.SearchStrategy[dt.date]) -> st.SearchStrategy[m.Change]:
    key = (id(facts), id(when))  # both live in caches that keep them (and so their ids) alive
    hit = _CHANGES.get(key)
    if hit is not None:
        return hit
    options = [
        st.builds(_join, _sampled(facts.pairs), when, facts.state),
        st.builds(_leave, _sampled(facts.bodies), when, facts.state),
        st.builds(_relation, _sampled(tuple(m.RELATION_KINDS)),
                  st.lists(facts.state, min_size=2, max_size=2, unique=True), when),
    ]
    if facts.proposed:
        options.append(st.builds(_adopt, _sampled(facts.proposed), when))
    if len(_CHANGES) > 4096:
        _CHANGES.clear()
    _CHANGES[key] = found = st.one_of(*options)
    return found


def _adopting(rules: CompiledRules, drawn: list[m.Change]) -> list[m.Change]:
    """``drawn`` with an `adopt_tier` added on the day of any join to a proposed tier that no
    earlier change adopts (a scenario may only join a proposed tier once adopted)."""
    out = list(drawn)
    for ch in drawn:
        j = ch.join
        if j is None or rules.tier(j.body, j.tier).status != "proposed":
            continue
        if not m.adopted_by(out, j.body, j.tier, j.on):
            out.append(m.Change(adopt_tier=m.AdoptTier(body=j.body, tier=j.tier, on=j.on)))
    return out


def scenario_specs(rules: CompiledRules, max_events: int = 3, max_changes: int = 2,
                   ) -> st.SearchStrategy[m.ScenarioFile]:
    """A whole scenario file: a date, changes, incidents and applications."""
    return _scenario_spec(rules, max_events, max_changes)


@st.composite
def _scenario_spec(draw: st.DrawFn, rules: CompiledRules, max_events: int,
                   max_changes: int) -> m.ScenarioFile:
    as_of = draw(dates(rules))
    n_inc = draw(_upto(max_events))
    n_app = draw(_upto(max(0, max_events - n_inc)))
    events = [m.Event(incident=draw(_incident(rules, as_of, f"inc{i}"))) for i in range(n_inc)]
    events += [m.Event(application=draw(_application(rules, as_of, f"app{i}"))) for i in range(n_app)]
    drawn = draw(st.lists(changes(rules, as_of), max_size=max_changes))
    return m.ScenarioFile(cstosim=1, name="generated", as_of=as_of,
                          changes=_adopting(rules, drawn), events=events)


@lru_cache(maxsize=64)
def _upto(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n)


def scenarios(rules: CompiledRules, max_events: int = 3, max_changes: int = 2,
              ) -> st.SearchStrategy[Scenario]:
    """A scenario ready to evaluate on ``rules``."""
    return scenario_specs(rules, max_events, max_changes).map(
        lambda spec: Scenario(spec, "<generated>", ()))
