"""Compile checks: each broken variant of the default rules (or of a seed scenario) is refused
with one stable code, at the line and column of the mistake, with a hint. Several independent
mistakes are reported together, sorted by location."""

from __future__ import annotations

from pathlib import Path

import pytest

import cstosim
from cstosim.compile import CompiledRules
from cstosim.errors import CstosimError, Diagnostic
from cstosim.properties import BY_ID
from cstosim.render.sentences import texts

ROOT = Path(__file__).resolve().parent.parent
RULES_TEXT = (ROOT / "rules.yaml").read_text(encoding="utf-8")
SCENARIO_TEXT = {p.stem: p.read_text(encoding="utf-8") for p in (ROOT / "scenarios").glob("*.yaml")}


def edit(text: str, *edits: tuple[str, str]) -> str:
    """Apply exact, unique text replacements, checking each one changed the text."""
    for old, new in edits:
        assert text.count(old) == 1, f"edit no longer applies (found {text.count(old)}x): {old!r}"
        changed = text.replace(old, new)
        assert changed != text
        text = changed
    return text


def where(text: str, anchor: str, target: str | None = None) -> tuple[int, int]:
    """1-based line and column of ``target`` inside the unique ``anchor`` in ``text``."""
    assert text.count(anchor) == 1, f"anchor not unique ({text.count(anchor)}x): {anchor!r}"
    i = text.index(anchor) + (anchor.index(target) if target else 0)
    return text.count("\n", 0, i) + 1, i - (text.rfind("\n", 0, i) + 1) + 1


def rule_errors(text: str) -> list[Diagnostic]:
    with pytest.raises(CstosimError) as info:
        cstosim.rules_from_text(text, "r.yaml")
    diags = info.value.diagnostics
    assert diags
    for d in diags:
        assert d.location.file == "r.yaml"
        assert d.location.line >= 1 and d.location.column >= 1, d
        assert d.hint, f"{d.code} has no hint"
    return diags


def one_rule_error(text: str) -> Diagnostic:
    diags = rule_errors(text)
    assert len(diags) == 1, [d.format() for d in diags]
    return diags[0]


def at(d: Diagnostic) -> tuple[int, int]:
    return d.location.line, d.location.column


def test_default_rules_compile() -> None:
    rules = cstosim.rules_from_text(RULES_TEXT, "r.yaml")
    assert rules.file == "r.yaml"
    assert "aggression" in rules.labels


# ---- conditions -------------------------------------------------------------------------------


def test_unknown_path_in_a_condition() -> None:
    anchor = "        - incident.days_on_teritory >= params.occupation_min_days"
    text = edit(RULES_TEXT, ("        - incident.days_on_territory >= params.occupation_min_days",
                             anchor))
    d = one_rule_error(text)
    assert d.code == "unknown_path"
    assert at(d) == where(text, anchor, "incident.")
    assert "`incident.days_on_teritory`" in d.message
    assert "did you mean" in d.hint
    assert "`incident.days_on_territory`" in d.hint


def test_unknown_root_in_a_condition() -> None:
    anchor = "when: candidat.un_member == true"
    text = edit(RULES_TEXT, ("when: candidate.un_member == true", anchor))
    d = one_rule_error(text)
    assert d.code == "unknown_path"
    assert at(d) == where(text, anchor, "candidat.")
    assert "did you mean" in d.hint and "`candidate.un_member`" in d.hint


def test_path_that_exists_elsewhere_but_not_in_this_scope() -> None:
    # Gates see candidates and tiers, not incidents.
    anchor = "when: incident.killed > 0"
    text = edit(RULES_TEXT, ("when: candidate.un_member == true", anchor))
    d = one_rule_error(text)
    assert d.code == "unknown_path"
    assert at(d) == where(text, anchor, "incident")
    assert "`incident.killed`" in d.message


@pytest.mark.parametrize("written", ["agression", "'agression'", '"agression"'])
def test_unknown_enum_value(written: str) -> None:
    # Quoting a word once let it skip the check and compare false forever.
    old = "    when: classification.label == aggression\n  - id: shusha_2021"
    new = f"    when: classification.label == {written}\n  - id: shusha_2021"
    text = edit(RULES_TEXT, (old, new))
    d = one_rule_error(text)
    assert d.code == "unknown_value"
    assert at(d) == where(text, new, "classification")
    assert "`agression`" in d.message
    assert d.hint == "did you mean `aggression`?"


@pytest.mark.parametrize(("old", "new", "target"), [
    ("incident.killed >= params.gravity_min_killed]", "incident.killed >= true]", "incident.killed"),
    ("    when: classification.rank >= 3\n  - id: nato_art5",
     "    when: classification.label < 3\n  - id: nato_art5", "classification.label"),
    ("when: candidate.un_member == true", "when: candidate.un_member == 1", "candidate"),
    ("when: candidate.un_member == true", "when: candidate.un_member > false", "candidate"),
], ids=["number_vs_bool", "label_ordered_against_number", "bool_vs_number", "bool_ordered"])
def test_type_mismatch_in_a_comparison(old: str, new: str, target: str) -> None:
    text = edit(RULES_TEXT, (old, new))
    d = one_rule_error(text)
    assert d.code == "type_mismatch"
    assert at(d) == where(text, new, target)


@pytest.mark.parametrize("leaf", [
    "candidate.un_member is true",
    "candidate.un_member ==",
    "candidate.un_member = true",
    "candidate.un_member => true",
    "== true",
])
def test_bad_comparison_syntax(leaf: str) -> None:
    anchor = f"when: '{leaf}'"
    text = edit(RULES_TEXT, ("when: candidate.un_member == true", anchor))
    d = one_rule_error(text)
    assert d.code == "bad_comparison"
    assert at(d) == where(text, anchor, "'")
    assert "OP" in d.hint or "value" in d.hint


def test_unknown_condition_operator() -> None:
    anchor = "      every: [incident.has_actor == false, incident.internal_unrest == true]"
    text = edit(RULES_TEXT, ("      all: [incident.has_actor == false, incident.internal_unrest == true]",
                             anchor))
    d = one_rule_error(text)
    assert d.code == "bad_condition"
    assert at(d) == where(text, anchor, "every")
    assert "`every`" in d.message
    assert "`all`" in d.hint and "`any`" in d.hint


def test_all_needs_a_list() -> None:
    anchor = "      all: incident.has_actor == false\n"
    text = edit(RULES_TEXT, ("      all: [incident.has_actor == false, incident.internal_unrest == true]\n",
                             anchor))
    d = one_rule_error(text)
    assert d.code == "bad_condition"
    assert at(d) == where(text, anchor, "incident")
    assert "`all`" in d.message


def test_condition_that_is_a_number_is_refused() -> None:
    anchor = "when: 42"
    text = edit(RULES_TEXT, ("when: candidate.un_member == true", anchor))
    d = one_rule_error(text)
    assert d.code == "bad_condition"
    assert at(d) == where(text, anchor, "42")


# ---- ids and references ---------------------------------------------------------------------------


def test_duplicate_rule_id_across_sections() -> None:
    anchor = "  - id: no_crossing\n    kind: practice_departs_from_text"
    text = edit(RULES_TEXT, ("  - id: practice_departs_from_text\n    kind: practice_departs_from_text",
                             anchor))
    d = one_rule_error(text)
    assert d.code == "duplicate_id"
    assert at(d) == where(text, anchor, "no_crossing")
    first_line, _ = where(text, "  - id: no_crossing\n    label: no_violation")
    assert f"first at line {first_line}" in d.message


def test_duplicate_rule_id_within_a_section() -> None:
    anchor = ("  - id: cst_art1\n    type: consultation\n    treaty: North Atlantic Treaty\n"
              "    article: Art. 4")
    text = edit(RULES_TEXT, ("  - id: nato_art4\n    type: consultation\n    treaty: North Atlantic Treaty\n"
                             "    article: Art. 4", anchor))
    d = one_rule_error(text)
    assert d.code == "duplicate_id"
    assert at(d) == where(text, anchor, "cst_art1")
    first_line, _ = where(text, "  - id: cst_art1\n    type: non_aggression")
    assert f"first at line {first_line}" in d.message


def test_unknown_label_on_a_classification_rule() -> None:
    anchor = "  - id: frontier_encounter\n    label: border_incidnt\n"
    text = edit(RULES_TEXT, ("  - id: frontier_encounter\n    label: border_incident\n", anchor))
    d = one_rule_error(text)
    assert d.code == "unknown_label"
    assert at(d) == where(text, anchor, "border_incidnt")
    assert d.hint == "did you mean `border_incident`?"


@pytest.mark.parametrize(("code", "old", "new", "target", "suggestion"), [
    ("unknown_gate", "gates: [un_member, peaceful_with_members]",
     "gates: [un_membr, peaceful_with_members]", "un_membr", "un_member"),
    ("unknown_right", "rights: [decisive_vote, collective_defence, consultations]",
     "rights: [decisive_vote, collective_defense, consultations]", "collective_defense",
     "collective_defence"),
    ("unknown_procedure",
     "        procedure: csc_consensus\n        decided_by: member\n        meaning: Party",
     "        procedure: csc_consensu\n        decided_by: member\n        meaning: Party", "csc_consensu",
     "csc_consensus"),
    ("unknown_tier", "includes: [partner]\n", "includes: [partnr]\n", "partnr", "partner"),
    ("unknown_tier", "        decided_by: member\n        meaning: Party",
     "        decided_by: membr\n        meaning: Party", "membr", "member"),
    ("unknown_body", "    parent: CSTO\n", "    parent: CST0\n", "CST0", "CSTO"),
    ("unknown_body", "{state: KAZ, body: CSTO, tier: member, from: 1992-05-15",
     "{state: KAZ, body: CSTX, tier: member, from: 1992-05-15", "CSTX", "CSTO"),
    ("unknown_body", "    rivals: [NATO]\n    meaning: The Organization",
     "    rivals: [NAT0]\n    meaning: The Organization", "NAT0", "NATO"),
    ("unknown_tier",
     "    parties: {body: NATO, tier: member}\n    from: 1949-08-24\n    owed_by: other_parties\n"
     "    strength: consult",
     "    parties: {body: NATO, tier: membr}\n    from: 1949-08-24\n    owed_by: other_parties\n"
     "    strength: consult", "membr", "member"),
], ids=["gate", "right", "procedure", "tier_includes", "tier_decided_by", "body_parent",
        "body_membership", "body_rival", "tier_parties"])
def test_unknown_reference(code: str, old: str, new: str, target: str, suggestion: str) -> None:
    text = edit(RULES_TEXT, (old, new))
    d = one_rule_error(text)
    assert d.code == code
    assert at(d) == where(text, new, target)
    assert f"`{target}`" in d.message
    assert "did you mean" in d.hint and f"`{suggestion}`" in d.hint


def test_unknown_state_in_commitment_parties() -> None:
    new = "parties: {states: [AZE, TRK]}"
    text = edit(RULES_TEXT, ("parties: {states: [AZE, TUR]}", new))
    d = one_rule_error(text)
    assert d.code == "unknown_state"
    assert at(d) == where(text, new, "TRK")


def test_tier_including_a_higher_ranked_tier_loads_and_fails_tier_order() -> None:
    # Documented (CHANGELOG): this is a consistency property of `cstosim check`, not a load error.
    text = edit(RULES_TEXT, (
        "        rights: [consultative_vote, draft_documents, collective_decisions]\n"
        "        includes: [observer]",
        "        rights: [consultative_vote, draft_documents, collective_decisions]\n"
        "        includes: [member]"))
    broken = cstosim.rules_from_text(text, "r.yaml")
    scenario = cstosim.scenario_from_text("cstosim: 1\nname: t\nas_of: 2021-07-03\n", broken)
    violations = BY_ID["tier_order"].check(broken, scenario)
    assert len(violations) == 1
    assert "PA_CSTO.partner" in violations[0] and "`member`" in violations[0]
    good = cstosim.rules_from_text(RULES_TEXT, "r.yaml")
    assert BY_ID["tier_order"].check(good, cstosim.scenario_from_text(
        "cstosim: 1\nname: t\nas_of: 2021-07-03\n", good)) == []


def test_overlapping_memberships_of_one_state_in_one_body() -> None:
    line = "  - {state: KAZ, body: CSTO, tier: member, from: 1992-05-15, source: \"FACTS §3\"}\n"
    extra = "  - {state: KAZ, body: CSTO, tier: partner, from: 2021-05-15, source: \"x\"}\n"
    text = edit(RULES_TEXT, (line, line + extra))
    d = one_rule_error(text)
    assert d.code == "overlapping_membership"
    assert at(d) == where(text, extra, "2021-05-15")
    assert "`KAZ`" in d.message and "`CSTO`" in d.message


def test_back_to_back_memberships_do_not_overlap() -> None:
    line = "  - {state: KAZ, body: CSTO, tier: member, from: 1992-05-15, source: \"FACTS §3\"}\n"
    text = edit(RULES_TEXT, (line, line.replace("from: 1992-05-15", "from: 1992-05-15, until: 2000-01-01")
                             + "  - {state: KAZ, body: CSTO, tier: partner, from: 2000-01-01, source: x}\n"))
    cstosim.rules_from_text(text, "r.yaml")


# ---- interpretations ----------------------------------------------------------------------------

SECRETARIAT_PARAMS = "params: {undelimited_border_excuses: true, accept_host_framing: true}"


def test_interpretation_with_unknown_parameter() -> None:
    new = "params: {undelimited_border_excuse: true, accept_host_framing: true}"
    text = edit(RULES_TEXT, (SECRETARIAT_PARAMS, new))
    d = one_rule_error(text)
    assert d.code == "unknown_parameter"
    assert d.location.line == where(text, new)[0]
    assert "`undelimited_border_excuse`" in d.message
    assert d.hint == "did you mean `undelimited_border_excuses`?"


def test_interpretation_unknown_parameter_points_at_the_name() -> None:
    new = "params: {undelimited_border_excuse: true, accept_host_framing: true}"
    text = edit(RULES_TEXT, (SECRETARIAT_PARAMS, new))
    d = one_rule_error(text)
    assert at(d) == where(text, new, "undelimited_border_excuse")


def test_interpretation_with_wrongly_typed_parameter() -> None:
    new = "params: {undelimited_border_excuses: 3, accept_host_framing: true}"
    text = edit(RULES_TEXT, (SECRETARIAT_PARAMS, new))
    d = one_rule_error(text)
    assert d.code == "type_mismatch"
    assert at(d) == where(text, new, "3")
    assert "`undelimited_border_excuses`" in d.message and "true/false" in d.message


def test_type_mismatch_hint_spells_the_default_as_yaml() -> None:
    # The loader reads only `true`/`false` as booleans, so the hint must not suggest `False`.
    text = edit(RULES_TEXT, (SECRETARIAT_PARAMS,
                             "params: {undelimited_border_excuses: 3, accept_host_framing: true}"))
    d = one_rule_error(text)
    assert "`false`" in d.hint
    assert "`False`" not in d.hint


@pytest.mark.parametrize("key", ["enable", "disable"])
def test_interpretation_switching_an_unknown_rule(key: str) -> None:
    new = f"    source: LEGAL §1, §2, §4, §7\n    {key}: [temporary_ocupation]\n"
    text = edit(RULES_TEXT, ("    source: LEGAL §1, §2, §4, §7\n", new))
    d = one_rule_error(text)
    assert d.code == "unknown_rule"
    assert at(d) == where(text, new, "temporary_ocupation")
    assert "did you mean" in d.hint and "`temporary_occupation`" in d.hint


# ---- the model: fields, types, codes, dates --------------------------------------------------------


def test_unknown_field_in_a_rule() -> None:
    old = "  - id: un_member\n    for_each: none\n    meaning:"
    new = "  - id: un_member\n    for_each: none\n    meening:"
    text = edit(RULES_TEXT, (old, new))
    diags = rule_errors(text)
    unknown = [d for d in diags if d.code == "unknown_field"]
    assert len(unknown) == 1
    d = unknown[0]
    assert at(d) == where(text, new, "meening")
    assert "`meening`" in d.message
    assert d.hint == "did you mean `meaning`?"
    # the field it should have been is reported missing, on the same rule
    assert [x.code for x in diags if x is not d] == ["missing_field"]


def test_unknown_field_at_top_level() -> None:
    new = "name: CSTO default rules\nautor: me\n"
    text = edit(RULES_TEXT, ("name: CSTO default rules\n", new))
    d = one_rule_error(text)
    assert d.code == "unknown_field"
    assert at(d) == where(text, new, "autor")


def test_unknown_field_in_a_tier() -> None:
    old = "        rank: 3\n        status: in_force\n        in_force_from: 1994-04-20\n"
    new = "        rank: 3\n        stauts: x\n        status: in_force\n        in_force_from: 1994-04-20\n"
    text = edit(RULES_TEXT, (old, new))
    d = one_rule_error(text)
    assert d.code == "unknown_field"
    assert at(d) == where(text, new, "stauts")
    assert d.hint == "did you mean `status`?"


def test_wrong_type() -> None:
    old = "        rank: 3\n        status: in_force\n        in_force_from: 1994-04-20\n"
    new = "        rank: \"three\"\n        status: in_force\n        in_force_from: 1994-04-20\n"
    text = edit(RULES_TEXT, (old, new))
    d = one_rule_error(text)
    assert d.code == "wrong_value"
    assert at(d) == where(text, new, '"three"')
    assert "rank" in d.message and "`three`" in d.message
    assert "whole number" in d.hint


def test_wrong_literal_value() -> None:
    new = "  - id: un_member\n    for_each: everyone\n"
    text = edit(RULES_TEXT, ("  - id: un_member\n    for_each: none\n", new))
    d = one_rule_error(text)
    assert d.code == "unknown_value"
    assert at(d) == where(text, new, "everyone")
    assert "'none'" in d.hint and "'member'" in d.hint


def test_boolean_written_as_yes_is_a_wrong_value() -> None:
    new = "  ARM: {former_soviet: yes,"
    text = edit(RULES_TEXT, ("  ARM: {former_soviet: true,", new))
    d = one_rule_error(text)
    assert d.code == "wrong_value"
    assert at(d) == where(text, new, "yes")
    assert "`true` or `false`" in d.hint


@pytest.mark.parametrize(("code", "hint_part"), [
    ("XYZ", "alpha-3 code"),
    ("NO", "`NOR`"),
    ("arm", "`ARM`"),
])
def test_unknown_state_code_in_a_membership(code: str, hint_part: str) -> None:
    new = f"  - {{state: {code}, body: CSTO, tier: member, from: 1992-05-15, source: \"FACTS §3\"}}\n"
    text = edit(RULES_TEXT, (
        "  - {state: KAZ, body: CSTO, tier: member, from: 1992-05-15, source: \"FACTS §3\"}\n", new))
    d = one_rule_error(text)
    assert d.code == "unknown_state"
    assert at(d) == where(text, new, code + ",")
    assert f"`{code}`" in d.message
    assert hint_part in d.hint


def test_norway_hint_names_the_alpha3_code() -> None:
    text = edit(RULES_TEXT, ("{state: KAZ, body: CSTO, tier: member, from: 1992-05-15",
                             "{state: NO, body: CSTO, tier: member, from: 1992-05-15"))
    d = one_rule_error(text)
    assert d.hint == "`NO` is an alpha-2 code; use the alpha-3 code `NOR`"


@pytest.mark.parametrize("code", ["XYZ", "NO"])
def test_unknown_state_code_as_a_states_key_points_at_the_key(code: str) -> None:
    old = "  MNG: {former_soviet: false"
    new = f"  {code}: {{former_soviet: false"
    text = edit(RULES_TEXT, (old, new))
    d = one_rule_error(text)
    assert d.code == "unknown_state"
    assert at(d) == where(text, new, code)


def test_dates_out_of_order() -> None:
    old = "{state: AZE, body: CSTO, tier: member, from: 1993-09-24, until: 1999-04-20"
    new = "{state: AZE, body: CSTO, tier: member, from: 1999-04-20, until: 1993-09-24"
    text = edit(RULES_TEXT, (old, new))
    d = one_rule_error(text)
    assert d.code == "dates_out_of_order"
    assert d.location.line == where(text, new)[0]
    assert "1993-09-24" in d.message and "1999-04-20" in d.message
    assert "swap" in d.hint


def test_relation_dates_out_of_order() -> None:
    old = "{kind: hostility, states: [PAK, RUS], from: 1960-05-01, until: 1989-02-15"
    new = "{kind: hostility, states: [PAK, RUS], from: 1989-02-15, until: 1960-05-01"
    text = edit(RULES_TEXT, (old, new))
    d = one_rule_error(text)
    assert d.code == "dates_out_of_order"
    assert d.location.line == where(text, new)[0]


def test_a_scenario_passed_as_rules() -> None:
    text = SCENARIO_TEXT["kazakhstan_2022"]
    d = one_rule_error(text)
    assert d.code == "wrong_file_kind"
    assert at(d) == where(text, "as_of: 2022-01-10", "as_of")


def test_several_compile_problems_are_reported_at_once_sorted_by_location() -> None:
    text = edit(
        RULES_TEXT,
        ("        - incident.days_on_territory >= params.occupation_min_days",
         "        - incident.days_on_teritory >= params.occupation_min_days"),
        ("  - id: frontier_encounter\n    label: border_incident\n",
         "  - id: frontier_encounter\n    label: border_incidnt\n"),
        ("gates: [un_member, peaceful_with_members]", "gates: [un_membr, peaceful_with_members]"),
    )
    diags = rule_errors(text)
    assert [d.code for d in diags] == ["unknown_gate", "unknown_label", "unknown_path"]
    assert [at(d) for d in diags] == sorted(at(d) for d in diags)
    assert at(diags[0]) == where(text, "gates: [un_membr,", "un_membr")
    assert at(diags[1]) == where(text, "label: border_incidnt", "border_incidnt")
    assert at(diags[2]) == where(text, "incident.days_on_teritory")


def test_several_model_problems_are_reported_at_once_sorted_by_location() -> None:
    text = edit(
        RULES_TEXT,
        ("        rank: 3\n        status: in_force\n        in_force_from: 1994-04-20\n",
         "        rank: \"three\"\n        status: in_force\n        in_force_from: 1994-04-20\n"),
        ("  MNG: {former_soviet: false", "  MNG: {former_soviet: maybe"),
        ("name: CSTO default rules\n", "name: CSTO default rules\nautor: me\n"),
    )
    diags = rule_errors(text)
    assert [d.code for d in diags] == ["unknown_field", "wrong_value", "wrong_value"]
    assert [at(d) for d in diags] == sorted(at(d) for d in diags)
    assert diags[0].location.line < diags[1].location.line < diags[2].location.line


def test_message_shows_a_quoted_string_as_a_string() -> None:
    # `cstosim: '1'` is the text "1", not the number 1; saying "`1` is not valid (input should
    # be 1)" is baffling. The message or hint must make the quoting visible.
    text = edit(RULES_TEXT, ("cstosim: 1\n", "cstosim: '1'\n"))
    d = one_rule_error(text)
    assert d.code == "unknown_value"
    assert at(d) == where(text, "cstosim: '1'", "'1'")
    shown = d.message + " " + d.hint
    assert "'1'" in shown or '"1"' in shown or "quot" in shown or "text" in shown, d.format()


# ---- scenarios ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def default_rules() -> CompiledRules:
    return cstosim.load_rules()


def scenario_errors(text: str, rules: CompiledRules) -> list[Diagnostic]:
    with pytest.raises(CstosimError) as info:
        cstosim.scenario_from_text(text, rules, "s.yaml")
    diags = info.value.diagnostics
    for d in diags:
        assert d.location.file == "s.yaml"
        assert d.location.line >= 1 and d.location.column >= 1, d
        assert d.hint, f"{d.code} has no hint"
    return diags


def one_scenario_error(text: str, rules: CompiledRules) -> Diagnostic:
    diags = scenario_errors(text, rules)
    assert len(diags) == 1, [d.format() for d in diags]
    return diags[0]


@pytest.mark.parametrize("name", sorted(SCENARIO_TEXT))
def test_seed_scenarios_pass_the_checks(name: str, default_rules: CompiledRules) -> None:
    cstosim.scenario_from_text(SCENARIO_TEXT[name], default_rules, "s.yaml")


KAZ = "as_of: 2022-01-10\n"


def test_scenario_unknown_parameter(default_rules: CompiledRules) -> None:
    new = KAZ + "params:\n  occupation_min_day: 3\n"
    text = edit(SCENARIO_TEXT["kazakhstan_2022"], (KAZ, new))
    d = one_scenario_error(text, default_rules)
    assert d.code == "unknown_parameter"
    assert d.location.line == where(text, "  occupation_min_day: 3")[0]
    assert "did you mean" in d.hint and "`occupation_min_days`" in d.hint


def test_scenario_unknown_parameter_points_at_the_name(default_rules: CompiledRules) -> None:
    new = KAZ + "params:\n  occupation_min_day: 3\n"
    text = edit(SCENARIO_TEXT["kazakhstan_2022"], (KAZ, new))
    d = one_scenario_error(text, default_rules)
    assert at(d) == where(text, "  occupation_min_day: 3", "occupation_min_day")


@pytest.mark.parametrize(("param", "value", "kind"), [
    ("occupation_min_days", "yes", "a number"),
    ("occupation_min_days", "'3'", "a number"),
    ("accept_host_framing", "1", "true/false"),
    ("cascade_label", "true", "text"),
])
def test_scenario_wrong_parameter_type(param: str, value: str, kind: str,
                                       default_rules: CompiledRules) -> None:
    line = f"  {param}: {value}"
    text = edit(SCENARIO_TEXT["kazakhstan_2022"], (KAZ, KAZ + "params:\n" + line + "\n"))
    d = one_scenario_error(text, default_rules)
    assert d.code == "type_mismatch"
    assert at(d) == where(text, line, value)
    assert f"`{param}`" in d.message and kind in d.message


def test_scenario_bool_parameter_hint_spells_the_default_as_yaml(default_rules: CompiledRules) -> None:
    text = edit(SCENARIO_TEXT["kazakhstan_2022"], (KAZ, KAZ + "params:\n  accept_host_framing: 1\n"))
    d = one_scenario_error(text, default_rules)
    assert "`false`" in d.hint and "`False`" not in d.hint


def test_scenario_label_parameter_must_name_a_label(default_rules: CompiledRules) -> None:
    # `cascade_label` is read as a label; an unknown one silently drops every cascade.
    text = edit(SCENARIO_TEXT["azerbaijan_csto_member"],
                ("as_of: 2022-09-20\n", "as_of: 2022-09-20\nparams:\n  cascade_label: theat\n"))
    diags = scenario_errors(text, default_rules)
    assert len(diags) == 1
    assert diags[0].location.line == where(text, "  cascade_label: theat")[0]
    assert "`threat`" in diags[0].hint


def test_scenario_unknown_interpretation(default_rules: CompiledRules) -> None:
    new = KAZ + "interpretations: [treaty_text, secretariatt]\n"
    text = edit(SCENARIO_TEXT["kazakhstan_2022"], (KAZ, new))
    d = one_scenario_error(text, default_rules)
    assert d.code == "unknown_interpretation"
    assert at(d) == where(text, new, "secretariatt")
    assert d.hint == "did you mean `secretariat`?"


PAK_APP = "  - application: {id: pak_pa_partner, state: PAK, body: PA_CSTO, tier: partner, date: 2021-07-07}"
PAK_ADOPT = "  - adopt_tier: {body: PA_CSTO, tier: partner, on: 2021-07-01}"
AZE_JOIN = "  - join: {state: AZE, body: CSTO, tier: member, on: 2021-07-08}"


@pytest.mark.parametrize(("scenario", "old", "wrong", "code"), [
    ("pakistan_pa_partner_2021", PAK_APP, "PA_CST", "unknown_body"),
    ("pakistan_pa_partner_2021", PAK_APP, "partnr", "unknown_tier"),
    ("pakistan_pa_partner_2021", PAK_APP, "PAQ", "unknown_state"),
    ("pakistan_pa_partner_2021", PAK_ADOPT, "PA_CSTX", "unknown_body"),
    ("pakistan_pa_partner_2021", PAK_ADOPT, "partnr", "unknown_tier"),
    ("azerbaijan_csto_member", AZE_JOIN, "AZZ", "unknown_state"),
    ("azerbaijan_csto_member", AZE_JOIN, "NATO_", "unknown_body"),
    ("azerbaijan_csto_member", AZE_JOIN, "membr", "unknown_tier"),
    ("syunik_gegharkunik_2021", "      actor: AZE\n", "AZF", "unknown_state"),
    ("syunik_gegharkunik_2021", "      target: ARM\n", "AMR", "unknown_state"),
], ids=["app_body", "app_tier", "app_state", "adopt_body", "adopt_tier",
        "join_state", "join_body", "join_tier", "incident_actor", "incident_target"])
def test_scenario_unknown_reference_in_events_and_changes(scenario: str, old: str, wrong: str,
                                                          code: str, default_rules: CompiledRules) -> None:
    originals = {"unknown_body": ("PA_CSTO" if "PA_CSTO" in old else "CSTO"),
                 "unknown_tier": ("partner" if "partner" in old else "member")}
    if code == "unknown_state":
        original = next(s for s in ("PAK", "AZE", "ARM") if f": {s}" in old)
    else:
        original = originals[code]
    new = old.replace(f": {original}", f": {wrong}", 1)
    text = edit(SCENARIO_TEXT[scenario], (old, new))
    diags = scenario_errors(text, default_rules)
    assert diags[0].code == code, [d.format() for d in diags]
    assert at(diags[0]) == where(text, new, wrong)
    assert f"`{wrong}`" in diags[0].message


def test_scenario_event_after_as_of(default_rules: CompiledRules) -> None:
    text = edit(SCENARIO_TEXT["kazakhstan_2022"], ("start: 2022-01-02", "start: 2022-01-12"),
                ("{article: art4, date: 2022-01-05}", "{article: art4, date: 2022-01-12}"))
    d = one_scenario_error(text, default_rules)
    assert d.code == "after_as_of"
    assert d.location.line == where(text, "start: 2022-01-12")[0]  # at the date itself
    assert "2022-01-12" in d.message and "2022-01-10" in d.message


def test_scenario_application_after_as_of(default_rules: CompiledRules) -> None:
    new = PAK_APP.replace("date: 2021-07-07", "date: 2021-07-08")
    text = edit(SCENARIO_TEXT["pakistan_pa_partner_2021"], (PAK_APP, new))
    d = one_scenario_error(text, default_rules)
    assert d.code == "after_as_of"
    assert d.location.line == where(text, new)[0]


def test_scenario_change_after_as_of(default_rules: CompiledRules) -> None:
    new = PAK_ADOPT.replace("on: 2021-07-01", "on: 2021-07-09")
    text = edit(SCENARIO_TEXT["pakistan_pa_partner_2021"], (PAK_ADOPT, new))
    d = one_scenario_error(text, default_rules)
    assert d.code == "after_as_of"
    assert d.location.line == where(text, new)[0]


def test_scenario_duplicate_event_id(default_rules: CompiledRules) -> None:
    text = edit(SCENARIO_TEXT["azerbaijan_csto_member"],
                ("      id: hypothetical_incursion_2022\n", "      id: aze_csto_member\n"),
                ("    - {incident: hypothetical_incursion_2022,", "    - {incident: aze_csto_member,"))
    diags = scenario_errors(text, default_rules)
    dup = [d for d in diags if d.code == "duplicate_id"]
    assert len(dup) == 1
    assert at(dup[0]) == where(text, "      id: aze_csto_member\n", "aze_csto_member")
    assert "`aze_csto_member`" in dup[0].message


def test_scenario_location_outside_target(default_rules: CompiledRules) -> None:
    new = "locations: [AM-SU, AZ-NX]"
    text = edit(SCENARIO_TEXT["syunik_gegharkunik_2021"], ("locations: [AM-SU, AM-GR]", new))
    d = one_scenario_error(text, default_rules)
    assert d.code == "location_outside_target"
    assert at(d) == where(text, new, "AZ-NX")
    assert "`AM-`" in d.hint


def test_scenario_unknown_location_code(default_rules: CompiledRules) -> None:
    new = "locations: [AM-SU, AM-XX]"
    text = edit(SCENARIO_TEXT["syunik_gegharkunik_2021"], ("locations: [AM-SU, AM-GR]", new))
    d = one_scenario_error(text, default_rules)
    assert d.code == "unknown_location"
    assert at(d) == where(text, new, "AM-XX")


def test_scenario_relation_change_needs_two_different_states(default_rules: CompiledRules) -> None:
    # The rules file refuses `states: [ARM, ARM]` (self_relation); a scenario change must too.
    new = ("as_of: 2021-07-03\nchanges:\n"
           "  - relation_start: {kind: conflict, states: [ARM, ARM], on: 2021-01-01}\n")
    text = edit(SCENARIO_TEXT["syunik_gegharkunik_2021"], ("as_of: 2021-07-03\n", new))
    diags = scenario_errors(text, default_rules)
    assert [d.code for d in diags] == ["self_relation"]
    assert diags[0].location.line == where(text, "  - relation_start:")[0]


@pytest.mark.parametrize(("scenario", "old", "new", "wrong", "code", "suggestion"), [
    ("syunik_gegharkunik_2021", "{incident: syunik_2021, interpretation: victim",
     "{incident: syunik_2022, interpretation: victim", "syunik_2022", "unknown_incident", "syunik_2021"),
    ("pakistan_pa_partner_2021", "gates_failed: [relations_with_all_members]",
     "gates_failed: [relations_with_all_member]", "relations_with_all_member", "unknown_gate",
     "relations_with_all_members"),
    ("syunik_gegharkunik_2021", "{commitment: cst_art2_2010", "{commitment: cst_art2_2011",
     "cst_art2_2011", "unknown_commitment", "cst_art2_2010"),
    ("syunik_gegharkunik_2021", "interpretation: secretariat, label: border_incident",
     "interpretation: secretariat, label: border_incidnt", "border_incidnt", "unknown_label",
     "border_incident"),
], ids=["incident", "gate", "commitment", "label"])
def test_scenario_expect_references_unknown(scenario: str, old: str, new: str, wrong: str, code: str,
                                            suggestion: str, default_rules: CompiledRules) -> None:
    text = edit(SCENARIO_TEXT[scenario], (old, new))
    d = one_scenario_error(text, default_rules)
    assert d.code == code
    assert at(d) == where(text, new, wrong)
    assert "did you mean" in d.hint and f"`{suggestion}`" in d.hint


def test_scenario_several_problems_at_once(default_rules: CompiledRules) -> None:
    text = edit(SCENARIO_TEXT["pakistan_pa_partner_2021"],
                (PAK_ADOPT, PAK_ADOPT.replace("PA_CSTO", "PA_CSTX")),
                (PAK_APP, PAK_APP.replace("tier: partner", "tier: partnr")),
                ("gates_failed: [relations_with_all_members]", "gates_failed: [relations_with_all_member]"))
    diags = scenario_errors(text, default_rules)
    assert [d.code for d in diags] == ["unknown_body", "unknown_tier", "unknown_gate"]
    assert [at(d) for d in diags] == sorted(at(d) for d in diags)


def _without_parameter(text: str, name: str) -> str:
    """The rules text with one parameter's block (its key line and indented body) removed."""
    lines = text.splitlines(keepends=True)
    start = lines.index(f"  {name}:\n")
    end = start + 1
    while lines[end].startswith("    "):
        end += 1
    return "".join(lines[:start] + lines[end:])


def test_pact_chains_need_the_chain_depth_parameter() -> None:
    text = _without_parameter(RULES_TEXT, "chain_depth")
    diags = rule_errors(text)
    assert {d.code for d in diags} == {"missing_parameter"}
    assert all("chain_depth" in d.message for d in diags)
    lines = [n for n, line in enumerate(text.splitlines(), 1) if line.strip() == "for_each: pact_chain"]
    assert lines and [d.location.line for d in diags] == lines


@pytest.mark.parametrize("depth", ["3", "0"])
def test_cascades_need_the_cascade_label_parameter(depth: str) -> None:
    # Even at depth 0: --set, a scenario or a reading may raise it later.
    text = _without_parameter(RULES_TEXT, "cascade_label")
    text = text.replace("  cascade_depth:\n    value: 3\n", f"  cascade_depth:\n    value: {depth}\n")
    assert f"  cascade_depth:\n    value: {depth}\n" in text
    d = one_rule_error(text)
    assert d.code == "missing_parameter" and "cascade_label" in d.message


def test_a_parameter_read_outside_the_readings_stays_a_cause(tmp_path: Path) -> None:
    # accept_host_framing is fixed by the secretariat and victim readings, but a dispute rule
    # (evaluated with no reading's values) that reads it makes a --set of it matter.
    old = ("      all: [dispute.victim_rank >= 0, dispute.organization_rank >= 0, "
           "dispute.victim_rank != dispute.organization_rank]")
    assert RULES_TEXT.count(old) == 1
    text = edit(RULES_TEXT, (old, old.replace("all: [", "all: [params.accept_host_framing == false, ")))
    rules = cstosim.rules_from_text(text, "r.yaml")
    assert "accept_host_framing" in rules.shared_params
    scenario = cstosim.load_scenario(ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml", rules)[1]
    report = cstosim.evaluate(rules, scenario, params={"accept_host_framing": True},
                              interpretations=("secretariat", "victim"))
    assert texts(report.difference.causes) == ["parameter `accept_host_framing` = true (default false)"]
    assert report.difference.of("tension", "a")
    assert not report.outcome.notes


def test_rules_without_cascade_depth_say_so_in_the_report(rules: CompiledRules) -> None:
    text = _without_parameter(_without_parameter(RULES_TEXT, "cascade_depth"), "cascade_label")
    compiled = cstosim.rules_from_text(text, "r.yaml")
    scenario = cstosim.load_scenario(ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml", compiled)[1]
    report = cstosim.evaluate(compiled, scenario)
    assert any("no `cascade_depth`" in n for n in texts(report.outcome.notes))
    assert not any(o.depth for o in report.obligations)


def test_two_victim_readings_are_refused() -> None:
    # Obligations judged "in the opinion of" the victim silently used the first one.
    old = "  secretariat:\n    holder: organization\n"
    text = edit(RULES_TEXT, (old, old.replace("organization", "victim")))
    d = one_rule_error(text)
    assert d.code == "duplicate_victim_reading" and "second victim's reading" in d.message


def test_joining_a_tier_not_in_force_is_refused(default_rules: CompiledRules) -> None:
    # A proposed tier is not in force until a scenario adopts it; a join once bypassed that.
    text = SCENARIO_TEXT["pakistan_pa_partner_2021"]
    join = "  - join: {state: SRB, body: PA_CSTO, tier: partner, on: 2021-07-02}\n"
    early = edit(text, (PAK_ADOPT + "\n", PAK_ADOPT.replace("2021-07-01", "2021-07-05") + "\n" + join))
    d = one_scenario_error(early, default_rules)
    assert d.code == "tier_not_in_force" and "not adopted by 2021-07-02" in d.message
    assert at(d) == where(early, join.strip(), "partner")
    in_time = edit(text, (PAK_ADOPT + "\n", PAK_ADOPT + "\n" + join))
    cstosim.scenario_from_text(in_time, default_rules, "s.yaml")


@pytest.mark.parametrize(("bodies", "fires"), [("[CSTO]", True), ("[NATO]", False), ("[NATO, CSTO]", True)])
def test_incident_and_dispute_tensions_apply_to_the_victims_bodies(bodies: str, fires: bool) -> None:
    # `bodies` on an incident or dispute tension was once ignored in silence; it now scopes the
    # rule to victims holding a tier of one of the bodies (Armenia is a CSTO member).
    heads = ("  - id: member_attacks_member\n    kind: assistance_to_both_sides\n",
             "  - id: victim_disputes_classification\n    kind: disputed_classification\n")
    text = edit(RULES_TEXT, *((head, f"{head}    bodies: {bodies}\n") for head in heads))
    rules = cstosim.rules_from_text(text, "r.yaml")
    found = set()
    for name in ("azerbaijan_csto_member", "syunik_gegharkunik_2021"):
        scenario = cstosim.load_scenario(ROOT / "scenarios" / f"{name}.yaml", rules)[1]
        found |= {t.rule for t in cstosim.evaluate(rules, scenario).tensions}
    assert ("member_attacks_member" in found) is fires
    assert ("victim_disputes_classification" in found) is fires
