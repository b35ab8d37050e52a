"""cstosim: a membership-rules simulation engine for the CSTO.

The pipeline, one module per step: :mod:`~cstosim.load` (safe YAML with
locations) -> :mod:`~cstosim.model` (pydantic, strict) -> :mod:`~cstosim.compile`
(resolve ids, compile conditions) -> :mod:`~cstosim.program` (the frozen types
evaluation runs on) -> :mod:`~cstosim.world` and :mod:`~cstosim.evaluate` (pure)
-> :mod:`~cstosim.difference` -> :mod:`~cstosim.explain` ->
:mod:`~cstosim.render`. :mod:`cstosim.cli` sits on top; nothing imports it.

Typical use::

    import cstosim
    rules, scenario = cstosim.load_scenario("scenarios/syunik_gegharkunik_2021.yaml")
    report = cstosim.evaluate(rules, scenario)
    print(cstosim.render(report, "table"))

In a notebook, a Report displays itself (``_repr_html_``, ``_repr_markdown_``), and
``cstosim.load_scenario_text(yaml_text)`` loads a scenario written in a cell.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from cstosim.compiled import DEFAULT_RULES, CompiledRules, Scenario, evaluate
from cstosim.errors import CstosimError, Diagnostic, Location
from cstosim.render import render
from cstosim.report import REPORT_VERSION, Report

if TYPE_CHECKING:
    from cstosim import model as m
    from cstosim.expect import ExpectationResult

# The loaders need pydantic and YAML; they are imported when first called, so that
# `import cstosim` (and `cstosim --help`) stays light. Their docs are in cstosim.api.


def load_rules(path: str | os.PathLike[str] | None = None) -> CompiledRules:
    """Load and compile a rules file (the bundled rules by default)."""
    from cstosim.api import load_rules as load

    return load(path)


def load_scenario(path: str | os.PathLike[str], rules: CompiledRules | None = None,
                  ) -> tuple[CompiledRules, Scenario]:
    """Load a scenario and the rules it runs on (``rules`` overrides the file's own)."""
    from cstosim.api import load_scenario as load

    return load(path, rules)


def rules_from_text(text: str, name: str = "<rules>") -> CompiledRules:
    """Compile rules given as YAML text."""
    from cstosim.api import rules_from_text as load

    return load(text, name)


def scenario_from_text(text: str, rules: CompiledRules, name: str = "<scenario>") -> Scenario:
    """Check a scenario given as YAML text against ``rules``."""
    from cstosim.api import scenario_from_text as load

    return load(text, rules, name)


def load_scenario_text(text: str, rules: CompiledRules | None = None, name: str = "<scenario>",
                       ) -> tuple[CompiledRules, Scenario]:
    """A scenario given as YAML text (a notebook cell) and the rules it runs on: ``rules``, else
    the file its `rules:` names, else the bundled rules; like :func:`load_scenario`."""
    from cstosim.api import load_scenario_text as load

    return load(text, rules, name)


def render_html(report: Report, rules: CompiledRules | None = None,
                scenario: Scenario | None = None) -> str:
    """``report`` as one self-contained HTML page; with its ``rules`` and ``scenario`` the page
    also draws the timeline of the memberships the scenario touches."""
    from cstosim.render.html import to_html
    from cstosim.timeline import timeline

    touched = timeline(rules.program, scenario.case) if rules and scenario else None
    return to_html(report, touched)


def check_expectations(report: Report, expect: m.Expect) -> list[ExpectationResult]:
    """Compare a scenario's ``expect`` block with its report."""
    from cstosim.expect import check

    return check(report, expect)


__all__ = [
    "DEFAULT_RULES",
    "REPORT_VERSION",
    "CompiledRules",
    "CstosimError",
    "Diagnostic",
    "Location",
    "Report",
    "Scenario",
    "check_expectations",
    "evaluate",
    "load_rules",
    "load_scenario",
    "load_scenario_text",
    "render",
    "render_html",
    "rules_from_text",
    "scenario_from_text",
]
