"""The full blocs in the bundled rules: a cascade through NATO reaches every member in force."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import cstosim

ROOT = Path(__file__).resolve().parent.parent
AZE_MEMBER = ROOT / "scenarios" / "azerbaijan_csto_member.yaml"


def nato_on(day: dt.date) -> set[str]:
    spec = cstosim.load_rules().spec
    return {x.state for x in spec.memberships if x.body == "NATO" and x.from_ <= day
            and (x.until is None or day < x.until)}


def test_nato_has_its_32_members_by_2024_with_dates_and_marks() -> None:
    spec = cstosim.load_rules().spec
    rows = [x for x in spec.memberships if x.body == "NATO"]
    assert len(nato_on(dt.date(2024, 3, 7))) == 32
    assert "SWE" not in nato_on(dt.date(2024, 3, 6)) and "FIN" in nato_on(dt.date(2024, 3, 6))
    assert len(nato_on(dt.date(1949, 8, 24))) == 12
    assert all(any(mark in x.source for mark in ("[V]", "[P]", "[U]", "FACTS")) for x in rows)


def test_the_azerbaijan_member_seed_cascade_names_every_nato_member_in_force() -> None:
    rules, scenario = cstosim.load_scenario(AZE_MEMBER)
    report = cstosim.evaluate(rules, scenario)
    members = nato_on(scenario.spec.as_of)
    assert len(members) == 30  # 20 Sep 2022: before Finland (2023) and Sweden (2024)
    art4 = [o for o in report.obligations if o.commitment == "nato_art4"]
    assert art4, "the seed's cascade reaches NATO Art. 4"
    for creditor in {o.creditor for o in art4}:
        for against in {o.against for o in art4 if o.creditor == creditor}:
            debtors = {o.debtor for o in art4 if o.creditor == creditor and o.against == against}
            assert debtors == members - {creditor}, (creditor, against)


def held_in(body: str, tier: str, day: dt.date) -> set[str]:
    spec = cstosim.load_rules().spec
    return {x.state for x in spec.memberships if x.body == body and x.tier == tier
            and x.from_ <= day and (x.until is None or day < x.until)}


def test_sco_accessions_2017_2023_2024() -> None:
    founders = {"CHN", "KAZ", "KGZ", "RUS", "TJK", "UZB"}
    assert held_in("SCO", "member", dt.date(2017, 6, 8)) == founders
    assert held_in("SCO", "member", dt.date(2017, 6, 9)) == founders | {"IND", "PAK"}
    assert "IRN" in held_in("SCO", "observer", dt.date(2023, 7, 3))
    assert held_in("SCO", "member", dt.date(2023, 7, 4)) == founders | {"IND", "PAK", "IRN"}
    assert held_in("SCO", "member", dt.date(2024, 7, 4)) == founders | {"IND", "PAK", "IRN", "BLR"}
    assert "BLR" not in held_in("SCO", "observer", dt.date(2024, 7, 4))


def test_pa_csto_observers_are_serbia_and_afghanistan_from_2013() -> None:
    assert held_in("PA_CSTO", "observer", dt.date(2012, 12, 31)) == set()
    assert held_in("PA_CSTO", "observer", dt.date(2014, 6, 1)) == {"SRB", "AFG"}


def test_every_membership_row_has_a_source_and_a_mark_or_facts_citation() -> None:
    spec = cstosim.load_rules().spec
    for x in spec.memberships:
        assert any(mark in x.source for mark in ("[V]", "[P]", "[U]", "[C]", "FACTS")), x
    # Never drop members: every NATO and SCO member of record keeps its row.
    assert len([x for x in spec.memberships if x.body == "NATO"]) == 32
    assert held_in("SCO", "observer", dt.date(2024, 7, 4)) == {"MNG", "AFG"}
