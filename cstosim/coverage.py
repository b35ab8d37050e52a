"""``cstosim test --coverage``: which rules and which condition branches the scenarios exercised.

A report evaluated with explain on carries the record of every rule tested, with its
condition's trace (:class:`~cstosim.report.Tested`). :class:`Coverage` sums those records
over many reports: how often each rule was tested and matched, and which leaves were seen
true and which false (both sides of each comparison count as a branch). Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cstosim.compile import CompiledRules
from cstosim.conditions import Condition
from cstosim.report import Report, Tested


@dataclass
class RuleCoverage:
    """What was seen of one rule: evaluations, matches, and each leaf's true and false."""

    section: str
    id: str
    leaves: tuple[str, ...]
    evaluated: int = 0
    matched: int = 0
    seen_true: set[int] = field(default_factory=set)
    seen_false: set[int] = field(default_factory=set)

    def add(self, tested: Tested) -> None:
        self.evaluated += 1
        self.matched += tested.trace.result
        for i, leaf in enumerate(tested.trace.leaves()):
            (self.seen_true if leaf.result else self.seen_false).add(i)

    def branches(self) -> tuple[int, int]:
        """(branches covered, branches in all): two per leaf."""
        return len(self.seen_true) + len(self.seen_false), 2 * len(self.leaves)

    def missing(self) -> list[str]:
        out = []
        for i, text in enumerate(self.leaves):
            sides = [s for s, seen in (("true", self.seen_true), ("false", self.seen_false))
                     if i not in seen]
            if sides:
                out.append(f"`{text}` never {' nor '.join(sides)}")
        return out


def _leaf_texts(cond: Condition) -> tuple[str, ...]:
    """The leaves in the order a trace lists them."""
    if cond.kind == "leaf":
        return (cond.text,)
    return tuple(t for c in cond.children for t in _leaf_texts(c))


SECTIONS = ("classification", "commitments", "gates", "stances", "tensions")
_KIND = {"classification": "classification", "commitment": "commitments", "gate": "gates",
         "stance": "stances", "tension": "tensions"}


class Coverage:
    """Coverage of one rules file, summed over the reports added to it."""

    def __init__(self, rules: CompiledRules) -> None:
        self.file = rules.file
        self.rules: dict[str, RuleCoverage] = {}
        for section in SECTIONS:
            items = getattr(rules, section)
            for rule in (items.values() if isinstance(items, Mapping) else items):
                self.rules[rule.id] = RuleCoverage(section, rule.id, _leaf_texts(rule.when))

    def add(self, report: Report) -> None:
        """Count what one report (evaluated with explain on) tested; rules a scenario adds
        itself (``add_commitment``) are not the rules file's and are left out."""
        for entry in report.outcome.record:
            if isinstance(entry, Tested) and entry.rule in self.rules:
                self.rules[entry.rule].add(entry)

    def summary(self) -> dict[str, Any]:
        """Totals, per section and per rule, as JSON-ready data."""
        rows = sorted(self.rules.values(), key=lambda r: (SECTIONS.index(r.section), r.id))
        sections = {}
        for s in SECTIONS:
            mine = [r for r in rows if r.section == s]
            if mine:
                sections[s] = {"rules": len(mine), "matched": sum(r.matched > 0 for r in mine),
                               "branches": sum(r.branches()[1] for r in mine),
                               "branches_covered": sum(r.branches()[0] for r in mine)}
        rules_total = len(rows)
        matched = sum(r.matched > 0 for r in rows)
        covered = sum(r.branches()[0] for r in rows)
        branches = sum(r.branches()[1] for r in rows)
        return {
            "rules_file": self.file,
            "rules": rules_total, "rules_matched": matched,
            "branches": branches, "branches_covered": covered,
            "rule_percent": _pct(matched, rules_total), "branch_percent": _pct(covered, branches),
            "percent": _pct(matched + covered, rules_total + branches),
            "sections": sections,
            "per_rule": [{"section": r.section, "id": r.id, "evaluated": r.evaluated,
                          "matched": r.matched, "branches": r.branches()[1],
                          "branches_covered": r.branches()[0], "missing": r.missing()}
                         for r in rows],
        }


def _pct(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 1) if whole else 100.0


def table(summary: dict[str, Any], show: Callable[[dict[str, Any]], bool] = lambda r: True) -> str:
    """The coverage summary as text: per section, then the rules with something not covered."""
    lines = [f"coverage of {summary['rules_file']}:",
             f"  {'section':<16}{'rules matched':>16}{'branches covered':>20}"]
    for name, s in summary["sections"].items():
        lines.append(f"  {name:<16}{s['matched']:>8}/{s['rules']:<7}{s['branches_covered']:>11}"
                     f"/{s['branches']:<8}")
    lines.append(f"  {'total':<16}{summary['rules_matched']:>8}/{summary['rules']:<7}"
                 f"{summary['branches_covered']:>11}/{summary['branches']:<8}"
                 f" rules {summary['rule_percent']}%, branches {summary['branch_percent']}%, "
                 f"overall {summary['percent']}%")
    gaps = [r for r in summary["per_rule"] if show(r) and (not r["matched"] or r["missing"])]
    if gaps:
        lines.append("  not covered:")
    for r in gaps:
        what = [] if r["matched"] else ["never matched" if r["evaluated"] else "never evaluated"]
        lines.append(f"    {r['section']} `{r['id']}`: " + "; ".join(what + r["missing"]))
    return "\n".join(lines)
