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
"""

from __future__ import annotations

from cstosim.api import (
    DEFAULT_RULES,
    Scenario,
    evaluate,
    load_rules,
    load_scenario,
    rules_from_text,
    scenario_from_text,
)
from cstosim.compile import CompiledRules
from cstosim.errors import CstosimError, Diagnostic, Location
from cstosim.expect import check as check_expectations
from cstosim.render import render
from cstosim.report import REPORT_VERSION, Report

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
    "render",
    "rules_from_text",
    "scenario_from_text",
]
