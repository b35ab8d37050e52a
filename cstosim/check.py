"""``cstosim check``: search generated scenarios for violations of the consistency properties.

For each property, hypothesis draws scenarios from :mod:`cstosim.testing` and
shrinks the first violating one to a minimal counterexample, which is returned
as runnable scenario YAML with an ``expect`` block naming the property. Pure
apart from hypothesis; the CLI writes the files.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from hypothesis import HealthCheck, Phase, Verbosity, find, settings
from hypothesis.errors import NoSuchExample, Unsatisfiable

from cstosim import model as m
from cstosim.api import Scenario
from cstosim.compile import CompiledRules
from cstosim.properties import PROPERTIES, Property, dump_scenario
from cstosim.testing import scenarios


@dataclass(frozen=True)
class PropertyResult:
    """The outcome of checking one property."""

    id: str
    meaning: str
    passed: bool
    examples: int
    violations: tuple[str, ...] = ()
    counterexample: str | None = None


def check_rules(rules: CompiledRules, *, examples: int = 500, seed: int = 0,
                only: tuple[str, ...] = (), rules_ref: str | None = None,
                progress: Callable[[str, int], None] | None = None) -> list[PropertyResult]:
    """Check every property (or those in ``only``) with ``examples`` generated scenarios each.

    ``progress(property_id, n)`` is called before each scenario is tried (n counts them); it
    may raise to stop the check."""
    results = []
    for prop in PROPERTIES:
        if only and prop.id not in only:
            continue
        results.append(_check_one(rules, prop, examples, seed, rules_ref, progress))
    return results


def _check_one(rules: CompiledRules, prop: Property, examples: int, seed: int,
               rules_ref: str | None, progress: Callable[[str, int], None] | None) -> PropertyResult:
    tried = 0

    def violated(sc: Scenario) -> bool:
        nonlocal tried
        tried += 1
        if progress is not None:
            progress(prop.id, tried)
        return bool(prop.check(rules, sc))

    conf = settings(max_examples=examples, database=None, deadline=None,
                    verbosity=Verbosity.quiet, phases=[Phase.generate, Phase.shrink],
                    suppress_health_check=list(HealthCheck))
    try:
        found = find(scenarios(rules), violated, settings=conf, random=random.Random(seed))
    except (NoSuchExample, Unsatisfiable):
        return PropertyResult(prop.id, prop.meaning, True, min(tried, examples))
    violations = tuple(prop.check(rules, found))
    return PropertyResult(prop.id, prop.meaning, False, tried, violations,
                          counterexample_yaml(found, prop, violations, rules_ref))


def counterexample_yaml(sc: Scenario, prop: Property, violations: tuple[str, ...],
                        rules_ref: str | None = None) -> str:
    """A runnable scenario file reproducing a violation; its expect block names the property.

    ``rules_ref`` is the rules file as the scenario should name it (relative to where
    the file will be written); None for the bundled rules."""
    spec = sc.spec.model_copy(update={
        "rules": rules_ref,
        "name": f"counterexample: {prop.id}",
        "description": f"Shrunk by `cstosim check`. {prop.meaning} Violated: {violations[0]}",
        "expect": m.Expect(properties=[prop.id])})
    header = (f"# Counterexample for property `{prop.id}`: {prop.meaning}\n"
              + "".join(f"# - {v}\n" for v in violations[:5])
              + "# `cstosim run` or `cstosim test` on this file fails while the rules violate it.\n")
    return header + dump_scenario(spec)
