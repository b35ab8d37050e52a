"""The default rules' conditions written by hand as plain Python: the floor for compiled conditions.

Each function mirrors one ``when:`` block of ``rules.yaml`` (classification rules and
commitments) and reads the same context the engine builds: a dict from root name to
an object whose attributes are the fields (``IncidentView``, ``SimpleNamespace``).
Booleans are tested by truth value, as a person would write them.

:func:`missing` reports rule ids without a hand-written twin, so that a change to
``rules.yaml`` stops the benchmark rather than comparing different logic. The
benchmark also checks that both versions agree on every generated incident.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

Ctx = dict[str, Any]


# ---- classification (scope: params, incident) ------------------------------------------


def unrest_without_state(c: Ctx) -> bool:
    i = c["incident"]
    return not i.has_actor and i.internal_unrest


def host_framing_accepted(c: Ctx) -> bool:
    i = c["incident"]
    return i.internal_unrest and i.framed_as_external and c["params"].accept_host_framing


def no_crossing(c: Ctx) -> bool:
    i = c["incident"]
    return (i.has_actor and not i.crossed_border and not i.shots_fired and not i.weapons_used
            and not i.attack_on_forces)


def frontier_encounter(c: Ctx) -> bool:
    i = c["incident"]
    return i.has_actor and (i.crossed_border or i.shots_fired or i.weapons_used
                            or i.attack_on_forces)


def _grave(i: Any, p: Any) -> bool:
    """The acts-of-force gravity filter: deaths, casualties, depth or days."""
    return (i.killed >= p.force_min_killed or i.casualties >= p.force_min_casualties
            or i.depth_km >= p.force_min_depth_km or i.duration_days >= p.force_min_days)


def _not_excused(i: Any, p: Any) -> bool:
    """The undelimited-border exception does not apply."""
    return i.border_delimited or not p.undelimited_border_excuses or i.killed > p.frontier_max_killed


def bombardment(c: Ctx) -> bool:
    i, p = c["incident"], c["params"]
    return (i.has_actor and i.state_forces and i.weapons_used and _grave(i, p)
            and _not_excused(i, p))


def attack_on_armed_forces(c: Ctx) -> bool:
    i, p = c["incident"], c["params"]
    return (i.has_actor and i.state_forces and i.attack_on_forces and _grave(i, p)
            and _not_excused(i, p))


def armed_bands_sent(c: Ctx) -> bool:
    i = c["incident"]
    return i.irregulars_sent and _grave(i, c["params"])


def armed_group_threat(c: Ctx) -> bool:
    i = c["incident"]
    return not i.has_actor and i.armed_group


def temporary_occupation(c: Ctx) -> bool:
    i, p = c["incident"], c["params"]
    return (i.state_forces and i.crossed_border and i.days_on_territory >= p.occupation_min_days
            and (i.depth_km >= p.gravity_min_depth_km or i.killed >= p.gravity_min_killed)
            and _not_excused(i, p))


def any_presence_is_occupation(c: Ctx) -> bool:
    i = c["incident"]
    return (i.state_forces and i.crossed_border and i.days_on_territory >= 1
            and c["params"].occupation_is_aggression)


def unattributed_event(c: Ctx) -> bool:
    i = c["incident"]
    return not i.has_actor and not i.internal_unrest


CLASSIFICATION: dict[str, Callable[[Ctx], Any]] = {
    f.__name__: f for f in (unrest_without_state, host_framing_accepted, no_crossing,
                            frontier_encounter, bombardment, attack_on_armed_forces,
                            armed_bands_sent, armed_group_threat, temporary_occupation,
                            any_presence_is_occupation, unattributed_event)
}


# ---- commitments (scope: params, incident, classification, victim, actor, debtor, bond) --


def cst_art2_1992(c: Ctx) -> bool:
    i, p = c["incident"], c["params"]
    return (c["classification"].rank >= p.art2_min_rank
            and (i.requested_art2 or i.requested_art4 or not p.art2_requires_request))


def cst_art2_2010(c: Ctx) -> bool:
    i, p = c["incident"], c["params"]
    return (c["classification"].rank >= p.art2_min_rank
            and (i.requested_art2 or i.requested_art4 or not p.art2_requires_request)
            and (not c["bond"].actor_bound or not p.between_members_is_bilateral))


def cst_art4_1992(c: Ctx) -> bool:
    return c["classification"].label == "aggression"


def cst_art4_2010(c: Ctx) -> bool:
    p = c["params"]
    return (c["classification"].label == "aggression"
            and (c["incident"].requested_art4 or not p.art4_requires_request)
            and (not c["bond"].actor_bound or not p.between_members_is_bilateral))


def cst_art1(c: Ctx) -> bool:
    return c["classification"].rank >= c["params"].art1_min_rank


def _rank_3(c: Ctx) -> bool:
    return c["classification"].rank >= 3


COMMITMENTS: dict[str, Callable[[Ctx], Any]] = {
    "cst_art2_1992": cst_art2_1992, "cst_art2_2010": cst_art2_2010, "cst_art4_1992": cst_art4_1992,
    "cst_art4_2010": cst_art4_2010, "cst_art1": cst_art1, "nato_art4": _rank_3,
    "nato_art5": cst_art4_1992, "shusha_2021": _rank_3, "indo_soviet_1971": _rank_3,
}


def missing(ids: Iterable[str], table: dict[str, Callable[[Ctx], Any]]) -> list[str]:
    """Rule ids that have no hand-written function in ``table``."""
    return [i for i in ids if i not in table]
