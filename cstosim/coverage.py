"""``cstosim test --coverage``: which rules and which condition branches the scenarios exercised.

:func:`instrument` returns a copy of compiled rules whose conditions record, each time they
are evaluated, every leaf comparison's result (both sides of each leaf count as a branch)
and whether the whole condition held. The engine runs the copy unchanged: the recording
condition gives the same answers as the one it wraps. :class:`Coverage` sums the records;
:meth:`Coverage.summary` is the table and JSON the CLI prints. Pure: no I/O.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cstosim.compile import CompiledRules, Rule
from cstosim.conditions import Condition, Context, LeafResult


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

    def record(self, leaves: list[LeafResult], result: bool) -> None:
        self.evaluated += 1
        self.matched += result
        for i, leaf in enumerate(leaves):
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


class _Recording(Condition):
    """A condition that answers as ``inner`` does and records every evaluation."""

    __slots__ = ("_inner", "_sink")

    def __init__(self, inner: Condition, sink: RuleCoverage) -> None:
        def test(ctx: Context) -> bool:
            out: list[LeafResult] = []
            return self.trace(ctx, out)

        super().__init__(inner.kind, inner.children, inner.text, test)
        self._inner, self._sink = inner, sink

    def trace(self, ctx: Context, out: list[LeafResult]) -> bool:
        start = len(out)
        result = self._inner.trace(ctx, out)
        self._sink.record(out[start:], result)
        return result

    def params_read(self) -> set[str]:
        return self._inner.params_read()


def _leaf_texts(cond: Condition) -> tuple[str, ...]:
    """The leaves in the order :meth:`Condition.trace` visits them."""
    if cond.kind == "leaf":
        return (cond.text,)
    return tuple(t for c in cond.children for t in _leaf_texts(c))


SECTIONS = ("classification", "commitments", "gates", "stances", "tensions")


class Coverage:
    """Coverage of one rules file, summed over every scenario run on its instrumented copy."""

    def __init__(self, rules: CompiledRules) -> None:
        self.file = rules.file
        self.rules: dict[tuple[str, str], RuleCoverage] = {}
        wrapped: dict[str, Rule] = {}

        def wrap(section: str, rule: Rule) -> Rule:
            if rule.id not in wrapped:
                sink = RuleCoverage(section, rule.id, _leaf_texts(rule.when))
                self.rules[(section, rule.id)] = sink
                wrapped[rule.id] = Rule(rule.spec, _Recording(rule.when, sink))
            return wrapped[rule.id]

        def each(section: str, items: tuple[Rule, ...]) -> tuple[Rule, ...]:
            return tuple(wrap(section, r) for r in items)

        self.instrumented = dataclasses.replace(
            rules,
            classification=each("classification", rules.classification),
            commitments=each("commitments", rules.commitments),
            gates={k: wrap("gates", g) for k, g in rules.gates.items()},
            stances=each("stances", rules.stances),
            tensions=each("tensions", rules.tensions),
            tensions_for={k: each("tensions", v) for k, v in rules.tensions_for.items()})

    def summary(self) -> dict[str, Any]:
        """Totals, per section and per rule, as JSON-ready data."""
        rows = [self.rules[k] for k in sorted(self.rules, key=lambda k: (SECTIONS.index(k[0]), k[1]))]
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
