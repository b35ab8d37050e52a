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

import datetime as dt

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


def dates(rules: CompiledRules, lo: dt.date = FIRST_DAY,
          hi: dt.date = LAST_DAY) -> st.SearchStrategy[dt.date]:
    """A date in ``[lo, hi]``, often one of the model's key dates."""
    keys = [d for d in key_dates(rules) if lo <= d <= hi]
    anywhere = st.dates(lo, hi)
    return st.one_of(st.sampled_from(keys), anywhere) if keys else anywhere


def states(rules: CompiledRules) -> st.SearchStrategy[str]:
    """A state code the model defines."""
    return st.sampled_from(sorted(rules.spec.states))


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


def incidents(rules: CompiledRules, as_of: dt.date,
              ident: str = "inc") -> st.SearchStrategy[m.Incident]:
    """An incident dated on or before ``as_of``, with every fact field drawn, edge values included:
    zero days, no casualties, undelimited borders, members on both sides, internal unrest with no
    actor, and requests before and after ``as_of``."""

    @st.composite
    def build(draw: st.DrawFn) -> m.Incident:
        target = draw(states(rules))
        # Biased towards the facts that engage the treaty (a state actor whose forces crossed),
        # so that thresholds behind them are reached often; every value still occurs.
        other = states(rules).filter(lambda s: s != target)
        actor = draw(st.one_of(other, other, st.none()))
        start = draw(dates(rules, FIRST_DAY, as_of))
        edges = _edges(rules)
        bodies = sorted(rules.spec.bodies)
        addressees = st.one_of(st.none(), st.builds(m.Addressee, body=st.sampled_from(bodies)),
                               st.builds(m.Addressee, state=other))
        requests = draw(st.lists(st.builds(
            m.Request, article=st.sampled_from(["art2", "art4"]), to=addressees,
            date=st.dates(start, as_of + dt.timedelta(days=30))), max_size=2))
        responses = draw(st.lists(st.builds(
            m.Response, by=addressees.filter(lambda a: a is not None),
            kind=st.sampled_from(m.RESPONSE_KINDS), date=st.dates(start, as_of)), max_size=2))
        sender = draw(st.one_of(st.none(), st.just(actor))) if actor else None
        end = draw(st.one_of(st.none(), st.dates(start, start + dt.timedelta(days=10))))
        return m.Incident(
            id=ident, actor=actor, target=target, start=start, end=end,
            shelling=draw(st.booleans()), strikes=draw(_likely(False)),
            attack_on_forces=draw(st.booleans()), irregulars_sent_by=sender,
            armed_group=draw(_likely(False)), responses=responses,
            state_forces=draw(_likely()), crossed_border=draw(_likely()),
            days_on_territory=draw(_count(edges, 400)),
            depth_km=draw(st.one_of(st.sampled_from([0.0, 0.5, 1.0, 3.5]),
                                    st.floats(0, 100, allow_nan=False))),
            killed=draw(_count(edges, 500)), wounded=draw(_count(edges, 500)),
            captured=draw(_count(edges, 50)), shots_fired=draw(st.booleans()),
            border_delimited=draw(_likely(False)), internal_unrest=draw(st.booleans()),
            framed_as_external=draw(st.booleans()), requests=requests)

    return build()


def applications(rules: CompiledRules, as_of: dt.date,
                 ident: str = "app") -> st.SearchStrategy[m.Application]:
    """An application by a model state for any tier of any body, dated on or before ``as_of``."""
    pairs = sorted((b, t) for b, body in rules.spec.bodies.items() for t in body.tiers)

    @st.composite
    def build(draw: st.DrawFn) -> m.Application:
        body, tier = draw(st.sampled_from(pairs))
        return m.Application(id=ident, state=draw(states(rules)), body=body, tier=tier,
                             date=draw(dates(rules, FIRST_DAY, as_of)))

    return build()


def changes(rules: CompiledRules, as_of: dt.date) -> st.SearchStrategy[m.Change]:
    """A what-if change: a proposed tier adopted, a state joining or leaving, a relation
    starting or ending, all dated on or before ``as_of``."""
    s = rules.spec
    proposed = sorted((b, t) for b, body in s.bodies.items() for t, tier in body.tiers.items()
                      if tier.status == "proposed")
    pairs = sorted((b, t) for b, body in s.bodies.items() for t in body.tiers)
    when = dates(rules, FIRST_DAY, as_of)
    options = [
        st.builds(lambda bt, d, code: m.Change(join=m.Join(state=code, body=bt[0], tier=bt[1], on=d)),
                  st.sampled_from(pairs), when, states(rules)),
        st.builds(lambda b, d, code: m.Change(leave=m.Leave(state=code, body=b, on=d)),
                  st.sampled_from(sorted(s.bodies)), when, states(rules)),
        st.builds(lambda kind, two, d: m.Change(relation_start=m.RelationChange(
            kind=kind, states=list(two), on=d)),
            st.sampled_from(m.RELATION_KINDS), st.lists(states(rules), min_size=2, max_size=2,
                                                        unique=True), when),
    ]
    if proposed:
        options.append(st.builds(lambda bt, d: m.Change(adopt_tier=m.AdoptTier(
            body=bt[0], tier=bt[1], on=d)), st.sampled_from(proposed), when))
    return st.one_of(*options)


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

    @st.composite
    def build(draw: st.DrawFn) -> m.ScenarioFile:
        as_of = draw(dates(rules))
        n_inc = draw(st.integers(0, max_events))
        n_app = draw(st.integers(0, max(0, max_events - n_inc)))
        events = [m.Event(incident=draw(incidents(rules, as_of, f"inc{i}"))) for i in range(n_inc)]
        events += [m.Event(application=draw(applications(rules, as_of, f"app{i}")))
                   for i in range(n_app)]
        return m.ScenarioFile(cstosim=1, name="generated", as_of=as_of,
                              changes=_adopting(rules, draw(st.lists(changes(rules, as_of),
                                                                     max_size=max_changes))),
                              events=events)

    return build()


def scenarios(rules: CompiledRules, max_events: int = 3, max_changes: int = 2,
              ) -> st.SearchStrategy[Scenario]:
    """A scenario ready to evaluate on ``rules``."""
    return scenario_specs(rules, max_events, max_changes).map(
        lambda spec: Scenario(spec, "<generated>", ()))
