"""Each evaluation stage on the default rules: world as of a date, admissions,
classification, obligations, cascades, tensions and the baseline difference."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from helpers import incident_yaml, labels, run, scenario_text

from cstosim.admissions import decide
from cstosim.api import DEFAULT_RULES, conclusions, load_rules, scenario_from_text
from cstosim.compile import CompiledRules
from cstosim.program import Procedure
from cstosim.render.sentences import texts
from cstosim.report import Stance
from cstosim.world import World


def application(state: str, body: str, tier: str, date: str, aid: str = "app") -> str:
    return f"  - application: {{id: {aid}, state: {state}, body: {body}, tier: {tier}, date: {date}}}\n"


# ---- world as of a date ---------------------------------------------------------------


def test_membership_history_answers_as_of_any_date(rules: CompiledRules) -> None:
    w = World(rules.program)
    members = lambda d: [x.state for x in w.body_members("CSTO", dt.date.fromisoformat(d))]  # noqa: E731 - local shorthand
    assert members("1995-01-01") == ["ARM", "AZE", "BLR", "GEO", "KAZ", "KGZ", "RUS", "TJK", "UZB"]
    assert members("2000-01-01") == ["ARM", "BLR", "KAZ", "KGZ", "RUS", "TJK"]
    assert "UZB" in members("2008-01-01")
    assert "UZB" not in members("2013-01-01")  # suspended 19 Dec 2012
    arm = w.holding("ARM", "CSTO", dt.date(2024, 6, 1))
    assert arm is not None and arm.status == "frozen"


def test_leave_ends_the_records_that_continue_a_membership(rules: CompiledRules) -> None:
    # Armenia's recorded freeze (2024) continues its membership; leaving in 2023 ends both.
    sc = scenario_text("2025-01-01", changes="  - leave: {state: ARM, body: CSTO, on: 2023-01-01}\n")
    assert not run(rules, sc).outcome.notes
    w = World(rules.program, scenario_from_text(sc, rules).case.changes)
    assert w.holding("ARM", "CSTO", dt.date(2023, 6, 1)) is None
    assert w.holding("ARM", "CSTO", dt.date(2024, 6, 1)) is None
    # A return after a gap is a separate accession and stays: Uzbekistan, out 1999, back 2006.
    w = World(rules.program, scenario_from_text(scenario_text(
        "2025-01-01", changes="  - leave: {state: UZB, body: CSTO, on: 1998-01-01}\n"), rules).case.changes)
    assert w.holding("UZB", "CSTO", dt.date(1998, 6, 1)) is None
    assert w.holding("UZB", "CSTO", dt.date(2008, 1, 1)) is not None


def _world(rules: CompiledRules, changes: str) -> World:
    return World(rules.program,
                 scenario_from_text(scenario_text("2025-01-01", changes=changes), rules).case.changes)


def test_leave_keeps_a_later_change_of_tier(rules: CompiledRules) -> None:
    # India, an SCO observer, became a member in 2017; leaving as an observer in 2010 ends the
    # observership, not the later membership, which is a separate decision.
    w = _world(rules, "  - leave: {state: IND, body: SCO, on: 2010-01-01}\n")
    assert w.holding("IND", "SCO", dt.date(2012, 1, 1)) is None
    held = w.holding("IND", "SCO", dt.date(2018, 1, 1))
    assert held is not None and held.tier == "member"


def test_join_keeps_the_recorded_history_after_it(rules: CompiledRules) -> None:
    # A join ends the current record only; Armenia's recorded 2024 freeze still follows.
    w = _world(rules, "  - join: {state: ARM, body: CSTO, tier: member, on: 2015-01-01, status: suspended}\n")
    held = w.holding("ARM", "CSTO", dt.date(2020, 1, 1))
    assert held is not None and held.status == "suspended"
    held = w.holding("ARM", "CSTO", dt.date(2024, 6, 1))
    assert held is not None and held.status == "frozen"


def test_the_first_adoption_of_a_tier_counts(rules: CompiledRules) -> None:
    w = _world(rules, "  - adopt_tier: {body: PA_CSTO, tier: partner, on: 2021-07-10}\n"
                      "  - adopt_tier: {body: PA_CSTO, tier: partner, on: 2021-07-01}\n")
    assert w.tier_in_force("PA_CSTO", "partner", dt.date(2021, 7, 5))


def test_relations_are_dated(rules: CompiledRules) -> None:
    w = World(rules.program)
    assert not w.pair("ARM", "PAK", dt.date(2021, 7, 1)).diplomatic_relations
    assert w.pair("ARM", "PAK", dt.date(2025, 9, 1)).diplomatic_relations
    past = w.pair("PAK", "RUS", dt.date(2021, 7, 1))
    assert past.hostility_past and not past.hostility_now


# ---- admissions -----------------------------------------------------------------------


def test_proposed_tier_is_not_in_force_until_adopted(rules: CompiledRules) -> None:
    events = application("SRB", "PA_CSTO", "partner", "2021-07-07")
    base = run(rules, scenario_text("2021-07-07", events))
    assert not base.admissions[0].tier_in_force and not base.admissions[0].admitted
    adopted = run(rules, scenario_text(
        "2021-07-07", events, "  - adopt_tier: {body: PA_CSTO, tier: partner, on: 2021-07-01}\n"))
    a = adopted.admissions[0]
    assert a.tier_in_force and a.admitted and a.decision == "adopted"
    assert a.rights == ("collective_decisions", "consultative_vote", "draft_documents",
                        "study_legal_framework")
    assert "decisive_vote" not in a.rights
    assert [d.id for d in adopted.difference.of("admission", "both")] == ["app"]


def test_gates_name_the_members_they_fail_for(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2021-07-07", application("PAK", "CSTO", "partner", "2021-07-07")))
    gates = {g.gate: g for g in r.admissions[0].gates}
    assert gates["relations_with_all_members"].failing == ("ARM",)
    assert gates["un_member"].passed
    # After Armenia and Pakistan established relations (31 Aug 2025) the gate passes.
    later = run(rules, scenario_text("2025-09-05", application("PAK", "CSTO", "partner", "2025-09-05")))
    assert later.admissions[0].gates_failed == ()


def test_frozen_member_stays_out_without_blocking(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2025-09-05", application("PAK", "CSTO", "partner", "2025-09-05")))
    a = r.admissions[0]
    stances = {s.decider: s.stance for s in a.stances}
    assert stances["ARM"] == "absent"
    assert a.decision == "adopted" and a.admitted


def test_suspended_member_does_not_decide(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2021-07-07", application("SRB", "CSTO", "observer", "2021-07-07")))
    assert "UZB" not in {s.decider for s in r.admissions[0].stances}


def test_consensus_semantics_for_abstention_and_absence() -> None:
    def proc(abst: str, absent: str) -> Procedure:
        return Procedure("p", "consensus", "blocks", abst, absent)

    stances = [Stance("A", "support", "r", ""), Stance("B", "abstain", "r", ""),
               Stance("C", "absent", "r", "")]
    assert decide(proc("does_not_block", "does_not_block"), stances)[0] == "adopted"
    assert decide(proc("blocks", "does_not_block"), stances) == ("blocked", [("B", "abstain")])
    assert decide(proc("does_not_block", "blocks"), stances) == ("blocked", [("C", "absent")])
    assert decide(proc("does_not_block", "does_not_block"),
                  [*stances, Stance("D", "object", "r", "")])[0] == "blocked"
    assert decide(proc("does_not_block", "does_not_block"),
                  [Stance("A", "unknown", None, "")])[0] == "undetermined"


def test_admitted_state_holds_the_tier_for_later_events(rules: CompiledRules) -> None:
    events = (application("SRB", "PA_CSTO", "partner", "2021-07-02")
              + application("SRB", "PA_CSTO", "partner", "2021-07-05", aid="again"))
    r = run(rules, scenario_text(
        "2021-07-07", events, "  - adopt_tier: {body: PA_CSTO, tier: partner, on: 2021-07-01}\n"))
    assert [a.admitted for a in r.admissions] == [True, False]
    assert "already actively holds `partner`" in texts(r.admissions[1].reasons)[0]


def test_applying_for_a_lower_tier_never_demotes_a_member(rules: CompiledRules) -> None:
    sc = scenario_text("2021-07-07", application("KAZ", "CSTO", "observer", "2021-07-05"))
    (a,) = run(rules, sc).admissions
    assert not a.admitted and any("would not raise" in x for x in texts(a.reasons))
    _, world = conclusions(rules, scenario_from_text(sc, rules))
    held = world.holding("KAZ", "CSTO", dt.date(2021, 7, 6))
    assert held is not None and held.tier == "member"


def test_a_suspended_member_may_apply_for_readmission(rules: CompiledRules) -> None:
    # Uzbekistan's CSTO membership has been suspended since 2012; applying again is not a demotion.
    sc = scenario_text("2021-07-07", application("UZB", "CSTO", "member", "2021-07-05"))
    (a,) = run(rules, sc).admissions
    assert not any("already actively holds" in x for x in texts(a.reasons))
    assert a.decision != "not_applicable" and a.stances


def test_tier_without_procedure_says_why_no_one_can_admit(tmp_path: Path) -> None:
    text = Path(DEFAULT_RULES).read_text(encoding="utf-8")
    assert "        procedure: csc_consensus\n        decided_by: member\n" in text
    edited = text.replace("        procedure: csc_consensus\n        decided_by: member\n", "", 1)
    f = tmp_path / "rules.yaml"
    f.write_text(edited, encoding="utf-8")
    rules = load_rules(f)
    first = next(t for t, spec in rules.spec.bodies["CSTO"].tiers.items() if spec.procedure is None)
    r = run(rules, scenario_text("2021-07-07", application("SRB", "CSTO", first, "2021-07-05")))
    assert any("no admission procedure" in x for x in texts(r.admissions[0].reasons))


def test_candidacy_tensions_compare_equal_across_join_and_application(rules: CompiledRules) -> None:
    # The baseline applies; the what-if also records the join: the tensions are the same ones.
    r = run(rules, scenario_text(
        "2021-07-10", application("AZE", "CSTO", "member", "2021-07-09"),
        "  - join: {state: AZE, body: CSTO, tier: member, on: 2021-07-09}\n"))
    assert not r.difference.of("tension")


# ---- classification -------------------------------------------------------------------


def test_interpretations_disagree_on_the_2021_incursion(rules: CompiledRules) -> None:
    r = run(rules, scenario_text(events=incident_yaml()))
    got = labels(r)
    assert got["secretariat"] == "border_incident"
    assert got["victim"] == "aggression"
    kinds = {t.kind for t in r.tensions}
    assert "disputed_classification" in kinds


def test_no_crossing_and_no_shots_is_no_violation(rules: CompiledRules) -> None:
    r = run(rules, scenario_text(events=incident_yaml(crossed_border=False, shots_fired=False,
                                                      days_on_territory=0, depth_km=0.0)))
    assert set(labels(r).values()) == {"no_violation"}


def test_secretariat_reading_flips_with_casualties(rules: CompiledRules) -> None:
    r = run(rules, scenario_text(events=incident_yaml(killed=11)))
    assert labels(r)["secretariat"] == "aggression"


def test_parameter_override_changes_the_treaty_reading(rules: CompiledRules) -> None:
    text = scenario_text(events=incident_yaml(days_on_territory=5))
    assert labels(run(rules, text))["treaty_text"] == "aggression"
    changed = run(rules, text, params={"occupation_min_days": 30})
    assert labels(changed)["treaty_text"] == "border_incident"
    diff = changed.difference
    assert any("occupation_min_days" in c for c in texts(diff.causes))
    assert diff.of("classification", "both")


def test_internal_unrest_framed_as_external(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2022-01-10", events=incident_yaml(
        actor=None, target="KAZ", locations=["KZ-75"], start="2022-01-02", state_forces=False,
        crossed_border=False, days_on_territory=0, depth_km=0.0, killed=0, captured=0,
        internal_unrest=True, framed_as_external=True,
        requests=[{"article": "art4", "date": "2022-01-05"}])))
    got = labels(r)
    assert got == {"treaty_text": "internal_unrest", "secretariat": "aggression",
                   "victim": "aggression"}
    art4 = {(o.debtor, o.interpretation) for o in r.obligations if o.commitment == "cst_art4_2010"}
    assert ("RUS", "secretariat") in art4 and not any(i == "treaty_text" for _, i in art4)


# ---- obligations ----------------------------------------------------------------------


def test_art4_needs_a_request(rules: CompiledRules) -> None:
    no_request = run(rules, scenario_text(events=incident_yaml(
        requests=[{"article": "art2", "date": "2021-05-14"}])))
    assert not [o for o in no_request.obligations if o.commitment == "cst_art4_2010"]
    requested = run(rules, scenario_text(events=incident_yaml(
        requests=[{"article": "art4", "date": "2021-05-14"}])))
    debtors = {o.debtor for o in requested.obligations
               if o.commitment == "cst_art4_2010" and o.interpretation == "victim"}
    assert debtors == {"BLR", "KAZ", "KGZ", "RUS", "TJK"}


def test_requests_after_as_of_do_not_count(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2021-05-13", events=incident_yaml(
        days_on_territory=1, requests=[{"article": "art4", "date": "2021-05-14"}])))
    assert not [o for o in r.obligations if o.commitment == "cst_art4_2010"]


def test_original_art4_has_no_request_clause(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2005-06-01", events=incident_yaml(start="2005-05-12")))
    assert {o.commitment for o in r.obligations if o.type == "defence"} == {"cst_art4_1992"}


def test_no_state_owes_defence_to_itself_or_against_itself(rules: CompiledRules) -> None:
    r = run(rules, scenario_text(
        "2022-09-20",
        events=incident_yaml(start="2022-09-13", requests=[{"article": "art4", "date": "2022-09-13"}]),
        changes="  - join: {state: AZE, body: CSTO, tier: member, on: 2021-07-08}\n"))
    for o in r.obligations:
        assert o.debtor != o.creditor
        if o.type == "defence":
            assert o.against != o.debtor
    assert any(o.commitment == "cst_art1" and o.debtor == "AZE" for o in r.obligations)
    assert "assistance_to_both_sides" in {t.kind for t in r.tensions}


def test_cascade_reaches_nato_through_turkey_and_is_bounded(rules: CompiledRules) -> None:
    text = scenario_text("2022-09-20", events=incident_yaml(
        start="2022-09-13", requests=[{"article": "art4", "date": "2022-09-13"}]))
    r = run(rules, text)
    chain = {(o.commitment, o.debtor, o.creditor, o.depth) for o in r.obligations
             if o.interpretation == "victim" and o.depth}
    assert ("shusha_2021", "TUR", "AZE", 1) in chain
    assert ("nato_art4", "USA", "TUR", 2) in chain
    shallow = run(rules, text, params={"cascade_depth": 1})
    assert max(o.depth for o in shallow.obligations) == 1
    none = run(rules, text, params={"cascade_depth": 0})
    assert max(o.depth for o in none.obligations) == 0


def test_cascade_keeps_one_obligation_per_side_it_is_against(rules: CompiledRules) -> None:
    # With AZE a member, an incursion draws CSTO members in on both sides; a NATO member then
    # owes Turkey consultation against each of them, and none of those may overwrite another.
    r = run(rules, scenario_text("2022-09-20", events=incident_yaml(
        start="2022-09-13", requests=[{"article": "art4", "date": "2022-09-13"}]),
        changes="  - join: {state: AZE, body: CSTO, tier: member, on: 2021-07-08}\n"))
    keys = [(o.commitment, o.debtor, o.creditor, o.against, o.incident, o.interpretation, o.depth)
            for o in r.obligations]
    assert len(keys) == len(set(keys)) == len({o.id for o in r.obligations})
    usa_to_tur = ("nato_art4", "USA", "TUR", "victim")
    against = {o.against for o in r.obligations
               if (o.commitment, o.debtor, o.creditor, o.interpretation) == usa_to_tur}
    assert len(against) >= 2, against


def test_shusha_is_not_in_force_before_signature(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2021-06-01", events=incident_yaml(
        start="2021-05-12", days_on_territory=10, requests=[{"article": "art4", "date": "2021-05-14"}])))
    assert not [o for o in r.obligations if o.commitment == "shusha_2021"]


# ---- tensions and difference ----------------------------------------------------------


def test_pakistan_tensions_involve_india_and_russia(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2021-07-07", application("PAK", "CSTO", "partner", "2021-07-07")))
    by_kind = {t.kind: t for t in r.tensions}
    assert by_kind["affront_to_partner"].parties == ("PAK", "RUS", "IND")
    assert by_kind["character_break"].parties == ("PAK", "CSTO")
    assert by_kind["affront_to_partner"].source


def test_pact_chain_to_nato(rules: CompiledRules) -> None:
    r = run(rules, scenario_text("2021-07-07", application("AZE", "CSTO", "partner", "2021-07-07")))
    chains = [dict(t.facts)["chain"] for t in r.tensions if t.kind == "rival_bloc_chain"]
    assert chains == ["AZE -> shusha_2021 -> TUR -> NATO"]
    before = run(rules, scenario_text("2021-06-01", application("AZE", "CSTO", "partner", "2021-06-01")))
    assert "rival_bloc_chain" not in {t.kind for t in before.tensions}


def test_join_change_appears_in_the_difference(rules: CompiledRules) -> None:
    r = run(rules, scenario_text(
        "2021-07-10", changes="  - join: {state: AZE, body: CSTO, tier: member, on: 2021-07-08}\n"))
    assert any(d.id.startswith("candidate_in_conflict_with_member")
               for d in r.difference.of("tension", "b"))
    assert texts(r.difference.causes) == ["change: `AZE` joins `CSTO` as `member` on 2021-07-08"]


def test_empty_what_if_matches_the_baseline(rules: CompiledRules) -> None:
    r = run(rules, scenario_text(events=incident_yaml()))
    assert r.difference.empty


def test_ineffective_change_is_noted(rules: CompiledRules) -> None:
    r = run(rules, scenario_text(
        changes="  - leave: {state: PAK, body: CSTO, on: 2021-07-01}\n"))
    assert r.outcome.notes and "did nothing" in texts(r.outcome.notes)[0]


def test_explain_levels_record_leaves(rules: CompiledRules) -> None:
    text = scenario_text(events=incident_yaml())
    off, fails, full = (run(rules, text, explain=e) for e in ("off", "fails", "full"))
    assert all(not c.leaves for c in off.classifications)
    full_leaves = [leaf for c in full.classifications for leaf in c.leaves]
    assert full_leaves and any(leaf.result for leaf in full_leaves)
    assert all(not leaf.result for c in fails.classifications for leaf in c.leaves)
    assert [c.label for c in off.classifications] == [c.label for c in full.classifications]
