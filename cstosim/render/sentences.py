"""Sentences for the structured reasons, notes and causes of a Report.

Evaluation records *what* happened as a :class:`~cstosim.report.Reason` (a code
and its fields); this module is the one place that says it in English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from cstosim.render.values import value
from cstosim.report import Reason


def sentence(r: Reason) -> str:
    """The sentence for one reason, note or cause."""
    f = dict(r.fields)
    return _SENTENCES[r.code](f)


def texts(reasons: Iterable[Reason]) -> list[str]:
    """The sentences of several reasons, in order."""
    return [sentence(r) for r in reasons]


def describe_change(f: dict[str, Any]) -> str:
    """A scenario change (as :func:`cstosim.evaluate.change_fields` gives it) in words."""
    kind = f["change"]
    if kind == "set_state":
        said = []
        if "former_soviet" in f:
            said.append("a former Soviet republic" if f["former_soviet"]
                        else "not a former Soviet republic")
        if "un_member_from" in f:
            said.append(f"a UN member from {f['un_member_from']}" if f["un_member_from"]
                        else "not a UN member")
        return f"`{f['state']}` is taken to be " + " and ".join(said)
    if kind == "adopt_tier":
        return f"`{f['body']}` adopts its `{f['tier']}` tier on {f['on']}"
    if kind == "join":
        return f"`{f['state']}` joins `{f['body']}` as `{f['tier']}` on {f['on']}"
    if kind == "leave":
        return f"`{f['state']}` leaves `{f['body']}` on {f['on']}"
    if kind in ("relation_start", "relation_end"):
        verb = "starts" if kind == "relation_start" else "ends"
        return f"`{f['relation']}` between {f['a']} and {f['b']} {verb} on {f['on']}"
    return f"commitment `{f['commitment']}` added from {f['on']}"


def _param(v: Any) -> str:
    return "the default" if v is None else value(v)


def _article(f: dict[str, Any]) -> str:
    article = f["article"]
    if article is None:
        return "no article"
    return {"art2": "CST Art. 2", "art4": "CST Art. 4"}.get(str(article), str(article))


def _short(f: dict[str, Any]) -> str:
    got = (f"the most recorded from those who owed it was `{f['done']}` by {f['by']} on {f['date']}"
           if f["by"] else "nothing was recorded from those who owed it")
    return (f"`{f['commitment']}` owed {f['creditor']} {f['owed']}, which takes at least "
            f"`{f['needed']}`; {got}")


def _unmet(f: dict[str, Any]) -> str:
    to = f"to {f['to']}" if f["to"] else "to the parties"
    return (f"the request of {f['date']} {to} for {f['asks']} got less than `{f['needed']}` "
            "from its addressee")


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
    "parameter_shadowed": lambda f: (
        f"parameter `{f['name']}` = {value(f['value'])} from the scenario "
        + ("has no effect: every evaluated interpretation sets its own value"
           if f["every"] else f"does not apply under {', '.join(f['readings'])}, which set their own value")
        + f"; `--set {f['name']}=...` wins over them"),
    "parameter_matches_readings": lambda f: (
        f"parameter `{f['name']}` = {value(f['value'])} has no effect: every evaluated "
        "interpretation already sets this value"),
    "parameter_unread": lambda f: (f"parameter `{f['name']}` = {value(f['value'])} has no effect: "
                                   "no rule that applies to this scenario's events reads it"),
    "parameter_reading_not_evaluated": lambda f: (
        f"parameter `{f['reading']}.{f['name']}` = {value(f['value'])} has no effect: "
        f"`{f['reading']}` is not among the evaluated interpretations"),
    "adopt_tier_inert": lambda f: (f"tier `{f['tier']}` of `{f['body']}` is already in force on "
                                   f"{f['on']}; the `adopt_tier` change did nothing"),
    "join_inert": lambda f: (f"`{f['state']}` already holds `{f['tier']}` of `{f['body']}` "
                             f"({f['status']}) on {f['on']}; the `join` change did nothing"),
    "relation_start_inert": lambda f: (f"a `{f['kind']}` relation between {f['a']} and {f['b']} "
                                       f"is already in force on {f['on']}; the `relation_start` "
                                       "change did nothing"),
    "request_after_as_of": lambda f: (f"the request under {_article(f)} in `{f['incident']}` is "
                                      f"dated {f['date']}, after `as_of` ({f['as_of']}); it is "
                                      "not counted"),
    "request_unheard": lambda f: (f"`{f['state']}` is bound by no commitment on {f['date']}, so "
                                  f"its request under {_article(f)} in `{f['incident']}` asks no one"),
    # response-gap reasons
    "response_short": _short,
    "request_unmet": _unmet,
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
    "change": lambda f: f"change: {describe_change(f)}",
    "parameter": lambda f: (f"parameter `{f['name']}` = {value(f['value'])} "
                            + (f"(default {value(f['default'])})" if "." not in f["name"]
                               else f"(instead of {value(f['default'])})")
                            + "".join(f"; replaces {n}'s own {value(v)}"
                                      for n, v in f.get("replaces", ()))),
    # causes of a difference between two sides of `cstosim diff`
    "rules_differ": lambda f: f"rules: `{f['a']}` vs `{f['b']}`",
    "scenario_differs": lambda f: f"scenario: `{f['a']}` vs `{f['b']}`",
    "as_of_differs": lambda f: f"as_of: {f['a']} vs {f['b']}",
    "change_only_in": lambda f: f"change only in {f['side']}: {describe_change(f)}",
    "event_only_in": lambda f: f"{f['event']} `{f['id']}` only in {f['side']}",
    "event_differs": lambda f: (f"{f['event']} `{f['id']}` differs: " + "; ".join(
        f"{name} {value(a)} in A, {value(b)} in B" for name, a, b in f["changes"])),
    "parameter_differs": lambda f: (f"parameter `{f['name']}`: {_param(f['a'])} in A, "
                                    f"{_param(f['b'])} in B"),
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
