"""Check a scenario's ``expect`` block against its report (``cstosim test``).

Each expectation becomes an :class:`ExpectationResult` saying what was
expected, what was found, and whether they agree.
"""

from __future__ import annotations

from dataclasses import dataclass

from cstosim import model as m
from cstosim.report import Report


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation, checked."""

    expected: str
    actual: str
    passed: bool


def check(report: Report, expect: m.Expect) -> list[ExpectationResult]:
    """Compare every expectation with the report."""
    out: list[ExpectationResult] = []
    admissions = {a.id: a for a in report.admissions}
    for ea in expect.admissions:
        a = admissions.get(ea.application)
        if a is None:
            out.append(ExpectationResult(f"admission `{ea.application}` evaluated", "absent", False))
            continue
        if ea.admitted is not None:
            out.append(ExpectationResult(f"`{a.id}` admitted = {ea.admitted}",
                                         f"admitted = {a.admitted}", a.admitted == ea.admitted))
        if ea.gates_failed is not None:
            want, got = sorted(ea.gates_failed), sorted(a.gates_failed)
            out.append(ExpectationResult(f"`{a.id}` gates failed = {want}", f"{got}", want == got))
        if ea.objectors is not None:
            want_o = sorted(ea.objectors)
            got_o = sorted(s.decider for s in a.stances if s.stance == "object")
            out.append(ExpectationResult(f"`{a.id}` objectors = {want_o}", f"{got_o}",
                                         want_o == got_o))
    classes = {(c.incident, c.interpretation): c for c in report.classifications}
    for ec in expect.classifications:
        c = classes.get((ec.incident, ec.interpretation))
        label = "not evaluated" if c is None else str(c.label)
        out.append(ExpectationResult(
            f"`{ec.incident}` under `{ec.interpretation}` is `{ec.label}`", label,
            c is not None and c.label == ec.label))
    for eo in expect.obligations:
        hits = [o for o in report.obligations
                if o.commitment == eo.commitment
                and (eo.debtor is None or o.debtor == eo.debtor)
                and (eo.creditor is None or o.creditor == eo.creditor)
                and (eo.interpretation is None or o.interpretation == eo.interpretation)]
        desc = (f"obligation `{eo.commitment}`"
                + (f" owed by {eo.debtor}" if eo.debtor else "")
                + (f" to {eo.creditor}" if eo.creditor else "")
                + (f" under `{eo.interpretation}`" if eo.interpretation else "")
                + (" is present" if eo.present else " is absent"))
        out.append(ExpectationResult(desc, str(len(hits)), bool(hits) == eo.present))
    for et in expect.tensions:
        found = [t for t in report.tensions
                if t.kind == et.kind and set(et.parties) <= set(t.parties)
                and (et.rule is None or t.rule == et.rule)]
        desc = (f"tension `{et.kind}`" + (f" involving {', '.join(et.parties)}" if et.parties else "")
                + (" is present" if et.present else " is absent"))
        out.append(ExpectationResult(desc, str(len(found)), bool(found) == et.present))
    for eg in expect.response_gaps:
        gaps = [g for g in report.gaps
                if g.incident == eg.incident
                and (eg.commitment is None or g.commitment == eg.commitment)
                and (eg.creditor is None or g.creditor == eg.creditor)
                and (eg.interpretation is None or g.interpretation == eg.interpretation)
                and (eg.done is None or g.done == eg.done)]
        desc = (f"response gap in `{eg.incident}`"
                + (f" under `{eg.commitment}`" if eg.commitment else "")
                + (f" to {eg.creditor}" if eg.creditor else "")
                + (f" under reading `{eg.interpretation}`" if eg.interpretation else "")
                + (f" with `{eg.done}` done" if eg.done else "")
                + (" is present" if eg.present else " is absent"))
        out.append(ExpectationResult(desc, str(len(gaps)), bool(gaps) == eg.present))
    return out
