"""Condition evaluation: the default rules' compiled conditions against hand-written Python.

The subject is ``rule.when.test(ctx)`` for the classification rules and the commitments
of ``cstosim.load_rules()``; the floor is :mod:`benchmarks.handwritten`, the same logic
written as plain functions. Both run the same loop over the same contexts, built the way
``cstosim.evaluate`` builds them: ``{"incident": IncidentView, "params": SimpleNamespace}``
for classification, plus ``classification``, ``victim``, ``actor`` and ``debtor`` for
commitments. Parameters cycle through the interpretations' namespaces.

Before timing, both versions are run on every incident and must agree on every rule,
so the comparison is between equal logic.

Ratio = compiled time / hand-written time (lower is better). The goal, "at least 0.8x
the speed of hand-written code", is hand-written/compiled >= 0.8, i.e. ratio <= 1.25.
"""

from __future__ import annotations

import random
import statistics
from collections.abc import Callable, Sequence
from types import SimpleNamespace
from typing import Any

import cstosim
from benchmarks import handwritten
from benchmarks.generate import incidents
from benchmarks.harness import Figure, Goal, Settings, paired

GOAL = Goal("<=", 1.25, text="<=1.25x (speed >=0.8x)")

Ctx = dict[str, Any]
Test = Callable[[Ctx], Any]


def contexts(rules: cstosim.CompiledRules, n: int, seed: int) -> tuple[list[Ctx], list[Ctx]]:
    """Classification and commitment contexts for ``n`` generated incidents.

    The acts-of-force facts (shelling, strikes, an attack on forces, irregulars sent, an
    armed group, the duration) and the commitment's ``bond`` are drawn here from their own
    random stream, so the incidents :mod:`benchmarks.generate` makes (and the loading
    benchmark reads) stay as they were. Besides the interpretations' parameters, one more
    namespace turns ``between_members_is_bilateral`` on, so the bond clauses are exercised.
    """
    from cstosim.program import NO_PAIR, BondView, IncidentView, StateView

    states = sorted(rules.spec.states)
    params = [SimpleNamespace(**{**rules.params, **spec.params})
              for spec in rules.spec.interpretations.values()]
    params.append(SimpleNamespace(**{**rules.params, "between_members_is_bilateral": True}))
    views = {code: StateView(code, rules.spec.states[code].former_soviet, True) for code in states}
    rng = random.Random(seed + 2)
    force = random.Random(seed + 3)
    labels = [*rules.labels, ""]
    cls_ctx: list[Ctx] = []
    com_ctx: list[Ctx] = []
    for facts in incidents(n, seed, states):
        reqs = {r["article"] for r in facts["requests"]}
        has_actor = facts["actor"] is not None
        shelling = has_actor and force.random() < 0.15
        strikes = has_actor and force.random() < 0.1
        view = IncidentView(
            state_forces=facts["state_forces"], crossed_border=facts["crossed_border"],
            shots_fired=facts["shots_fired"], border_delimited=facts["border_delimited"],
            internal_unrest=facts["internal_unrest"], framed_as_external=facts["framed_as_external"],
            has_actor=has_actor, derived=False, requested_art2="art2" in reqs,
            requested_art4="art4" in reqs, days_on_territory=facts["days_on_territory"],
            depth_km=facts["depth_km"], killed=facts["killed"], wounded=facts["wounded"],
            captured=facts["captured"], casualties=facts["killed"] + facts["wounded"],
            start=facts["start"], shelling=shelling, strikes=strikes,
            weapons_used=shelling or strikes,
            attack_on_forces=has_actor and force.random() < 0.15,
            irregulars_sent=has_actor and force.random() < 0.1,
            armed_group=not has_actor and force.random() < 0.2,
            duration_days=force.choice((1, 1, 2, 3, 5, 10, 30)))
        p = params[rng.randrange(len(params))]
        label = rng.choice(labels)
        cls_ctx.append({"incident": view, "params": p, "pair": NO_PAIR})
        debtor = rng.choice(states)
        com_ctx.append({
            "incident": view, "params": p,
            "classification": SimpleNamespace(label=label, rank=rules.rank.get(label, -1)),
            "victim": views[facts["target"]],
            "actor": views[facts["actor"]] if facts["actor"] else views[states[0]],
            "debtor": views[debtor], "pair": NO_PAIR,
            "bond": BondView(force.random() < 0.5, force.random() < 0.5)})
    return cls_ctx, com_ctx


def count_true(tests: Sequence[Test], ctxs: Sequence[Ctx]) -> int:
    """The timed loop, the same for both sides."""
    n = 0
    for c in ctxs:
        for t in tests:
            if t(c):
                n += 1
    return n


def check_agreement(name: str, ids: Sequence[str], compiled: Sequence[Test], hand: Sequence[Test],
                    ctxs: Sequence[Ctx]) -> dict[str, int]:
    """Raise if the two versions differ on any rule for any context; return true counts per rule."""
    counts = dict.fromkeys(ids, 0)
    for k, c in enumerate(ctxs):
        for rid, a, b in zip(ids, compiled, hand, strict=True):
            ra, rb = bool(a(c)), bool(b(c))
            if ra != rb:
                raise AssertionError(f"{name}: rule `{rid}` gives {ra} compiled but {rb} hand-written "
                                     f"on generated incident #{k}: {c['incident']}")
            counts[rid] += ra
    return counts


def run(settings: Settings) -> list[Figure]:
    rules = cstosim.load_rules()
    cls_ctx, com_ctx = contexts(rules, settings.incidents, settings.seed)
    figures = []
    for kind, rule_list, table, ctxs in (
            ("classification", rules.classification, handwritten.CLASSIFICATION, cls_ctx),
            ("commitment", rules.commitments, handwritten.COMMITMENTS, com_ctx)):
        ids = [r.id for r in rule_list]
        absent = handwritten.missing(ids, table)
        if absent:
            raise AssertionError(f"no hand-written twin for {kind} rules {absent}: "
                                 "update benchmarks/handwritten.py to mirror rules.yaml")
        compiled = [r.when.test for r in rule_list]
        hand = [table[i] for i in ids]
        counts = check_agreement(kind, ids, compiled, hand, ctxs)
        a, b = paired(lambda t=compiled, c=ctxs: count_true(t, c),
                      lambda t=hand, c=ctxs: count_true(t, c),
                      repeat=settings.repeat, seconds=0.0)
        per_test = 1e9 / (len(ctxs) * len(ids))
        figures.append(Figure(
            "conditions", f"conditions: {len(ids)} {kind} rules x {len(ctxs):,} incidents", "ms",
            [x * 1e3 for x in a], [x * 1e3 for x in b], "the same logic hand-written (benchmarks/"
            "handwritten.py)", GOAL,
            note="ratio = compiled / hand-written time; both agree on every incident",
            extra={"ns_per_condition": statistics.median(a) * per_test,
                   "floor_ns_per_condition": statistics.median(b) * per_test,
                   "speed_vs_floor": statistics.median(b) / statistics.median(a),
                   "true_per_rule": counts}))
    return figures


def profile(settings: Settings) -> str:
    """cProfile of the compiled classification loop over a slice of the incidents."""
    import cProfile
    import io
    import pstats

    rules = cstosim.load_rules()
    cls_ctx, _ = contexts(rules, min(settings.incidents, 20_000), settings.seed)
    tests = [r.when.test for r in rules.classification]
    prof = cProfile.Profile()
    prof.runcall(count_true, tests, cls_ctx)
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(20)
    return f"compiled classification conditions over {len(cls_ctx):,} incidents\n" + out.getvalue()
