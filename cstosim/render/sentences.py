"""Sentences for the structured reasons, notes and causes of a Report.

Evaluation records *what* happened as a :class:`~cstosim.report.Reason` (a code
and its fields); this module is the one place that says it in English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cstosim import program as pg
from cstosim.render.values import value
from cstosim.report import Reason


def sentence(r: Reason) -> str:
    """The sentence for one reason, note or cause."""
    f = dict(r.fields)
    return _SENTENCES[r.code](f)


def texts(reasons: Iterable[Reason]) -> list[str]:
    """The sentences of several reasons, in order."""
    return [sentence(r) for r in reasons]


def describe_change(c: pg.ChangeKind) -> str:
    """A scenario change in words."""
    if isinstance(c, pg.AdoptTier):
        return f"`{c.body}` adopts its `{c.tier}` tier on {c.on}"
    if isinstance(c, pg.Join):
        return f"`{c.state}` joins `{c.body}` as `{c.tier}` on {c.on}"
    if isinstance(c, pg.Leave):
        return f"`{c.state}` leaves `{c.body}` on {c.on}"
    if isinstance(c, pg.RelationStart):
        return f"`{c.kind}` between {c.a} and {c.b} starts on {c.on}"
    if isinstance(c, pg.RelationEnd):
        return f"`{c.kind}` between {c.a} and {c.b} ends on {c.on}"
    return f"commitment `{c.commitment.id}` added from {c.commitment.start}"


def _blocking(f: dict[str, Any]) -> str:
    blocking = f["blocking"]
    return (", ".join(f"{s} ({st})" for s, st in blocking) if blocking else "no deciders")


_SENTENCES: dict[str, Callable[[dict[str, Any]], str]] = {
    # notes
    "leave_inert": lambda f: (f"`{f['state']}` held no tier of `{f['body']}` on {f['on']}; "
                              "the `leave` change did nothing"),
    "relation_end_inert": lambda f: (f"no `{f['kind']}` relation between {f['a']} and {f['b']} "
                                     f"was in force on {f['on']}; the `relation_end` change did nothing"),
    "no_cascade_depth": lambda f: ("the rules define no `cascade_depth` parameter, so obligations "
                                   "are not followed to the commitments they set off"),
    "chain_search_capped": lambda f: (f"the pact-chain search stopped after {f['limit']:,} steps "
                                      "(a dense web of pacts with a large `chain_depth`); chains "
                                      "past that point are not reported"),
    "parameter_inert": lambda f: (f"parameter `{f['name']}` = {value(f['value'])} has no effect: "
                                  "every evaluated interpretation sets its own value"),
    # admission reasons
    "tier_not_in_force": lambda f: (f"tier `{f['tier']}` of `{f['body']}` is not in force on "
                                    f"{f['date']} (status: {f['status']})"),
    "tier_not_raised": lambda f: (f"`{f['state']}` already actively holds `{f['held']}` of "
                                  f"`{f['body']}` on {f['date']}, which `{f['tier']}` would not "
                                  "raise (to step down, record a `leave` change, then a `join`)"),
    "gate_failed": lambda f: (f"gate `{f['gate']}` failed"
                              + (f" for {', '.join(f['failing'])}" if f["failing"] is not None else "")),
    "no_procedure": lambda f: (f"tier `{f['tier']}` of `{f['body']}` has no admission procedure "
                               "(it needs both `procedure` and `decided_by`), so no one can admit to it"),
    "decision_not_reached": lambda f: f"{f['rule']} not reached: {_blocking(f)}",
    # causes of a difference from the baseline
    "change": lambda f: f"change: {describe_change(f['change'])}",
    "parameter": lambda f: (f"parameter `{f['name']}` = {value(f['value'])} "
                            f"(default {value(f['default'])})"),
    # causes of a difference between two sides of `cstosim diff`
    "rules_differ": lambda f: f"rules: `{f['a']}` vs `{f['b']}`",
    "scenario_differs": lambda f: f"scenario: `{f['a']}` vs `{f['b']}`",
    "as_of_differs": lambda f: f"as_of: {f['a']} vs {f['b']}",
    "change_only_in": lambda f: f"change only in {f['side']}: {f['change']}",
    "event_only_in": lambda f: f"event only in {f['side']} or different: {f['event']}",
    "parameter_differs": lambda f: f"parameter `{f['name']}`: {f['a']!r} vs {f['b']!r}",
    "interpretations_differ": lambda f: (f"interpretations: {', '.join(f['a'])} vs "
                                         f"{', '.join(f['b'])}"),
    # why-not
    "classified_as": lambda f: (f"`{f['incident']}` is `{f['label']}` under {f['interpretation']} "
                                f"by rule `{f['rule']}`"),
    "commitment_not_in_force": lambda f: (
        f"`{f['commitment']}` is not in force on {f['date']} (from {f['start']}"
        + (f" until {f['until']})" if f["until"] else ")")),
    "victim_not_bound": lambda f: (f"`{f['victim']}` is not bound by `{f['commitment']}` on "
                                   f"{f['date']}, so it is owed nothing"),
    "owed_by_actor_only": lambda f: (f"`{f['commitment']}` is owed only by the actor "
                                     f"(`{f['actor']}`), not `{f['debtor']}`"),
    "debtor_not_bound": lambda f: f"`{f['debtor']}` is not bound by `{f['commitment']}` on {f['date']}",
    "no_self_assistance": lambda f: f"`{f['debtor']}` cannot owe assistance to itself or against itself",
    "it_arises": lambda f: "it does arise; use --why",
}
CODES = frozenset(_SENTENCES)
"""Every reason code a Report can carry."""
