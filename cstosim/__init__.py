"""cstosim: a membership-rules simulation engine for the CSTO.

The pipeline, one module per step: :mod:`~cstosim.load` (safe YAML with
locations) -> :mod:`~cstosim.model` (pydantic, strict) -> :mod:`~cstosim.compile`
(resolve ids, compile conditions) -> :mod:`~cstosim.engine` (pure) ->
:mod:`~cstosim.rendering`. :mod:`cstosim.cli` sits on top; nothing imports it.

Typical use::

    import cstosim
    rules, scenario = cstosim.load_scenario("scenarios/syunik_gegharkunik_2021.yaml")
    report = cstosim.evaluate(rules, scenario)
    print(cstosim.render(report, "table"))

The names below are imported on first use (PEP 562), so that the command line,
which imports this package first, starts without loading pydantic models it may
not need (``cstosim --help``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "DEFAULT_RULES": "cstosim.api",
    "Scenario": "cstosim.api",
    "load_rules": "cstosim.api",
    "load_scenario": "cstosim.api",
    "rules_from_text": "cstosim.api",
    "scenario_from_text": "cstosim.api",
    "CompiledRules": "cstosim.compile",
    "CstosimError": "cstosim.errors",
    "Diagnostic": "cstosim.errors",
    "Location": "cstosim.errors",
    "evaluate": "cstosim.engine",
    "check_expectations": "cstosim.expect",
    "render": "cstosim.rendering",
    "REPORT_VERSION": "cstosim.report",
    "Report": "cstosim.report",
}
_RENAMED = {"check_expectations": "check"}

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
# INVARIANT: every public name is lazily importable, and only those.
assert sorted(__all__) == sorted(_PUBLIC)

if TYPE_CHECKING:
    from cstosim.api import (
        DEFAULT_RULES,
        Scenario,
        load_rules,
        load_scenario,
        rules_from_text,
        scenario_from_text,
    )
    from cstosim.compile import CompiledRules
    from cstosim.engine import evaluate
    from cstosim.errors import CstosimError, Diagnostic, Location
    from cstosim.expect import check as check_expectations
    from cstosim.rendering import render
    from cstosim.report import REPORT_VERSION, Report


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'cstosim' has no attribute {name!r}")
    value = getattr(import_module(module), _RENAMED.get(name, name))
    globals()[name] = value  # cache: later lookups skip this function
    return value
