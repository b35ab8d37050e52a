"""JSON Schema of the rules and scenario files, generated from the pydantic models.

Editors with a YAML language server use it for completion and checks; the
shipped YAML files reference ``docs/schema/*.schema.json``. Also the template
written by ``cstosim new scenario``.
"""

from __future__ import annotations

import json
from typing import Any

from cstosim import model as m

KINDS: dict[str, type[m.Strict]] = {"rules": m.RulesFile, "scenario": m.ScenarioFile}


def json_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema of ``rules`` or ``scenario`` files."""
    schema: dict[str, Any] = KINDS[kind].model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = f"cstosim {kind} file (format {m.FORMAT_VERSION})"
    return schema


def json_schema_text(kind: str) -> str:
    return json.dumps(json_schema(kind), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


SCENARIO_TEMPLATE = """\
# A cstosim what-if scenario. For completion in your editor, save the schema with
# `cstosim schema scenario > scenario.schema.json` and point the next line at it:
# yaml-language-server: $schema=scenario.schema.json
# Run it with `cstosim run {file}`, check it with
# `cstosim validate {file}`, and its `expect` block with `cstosim test {file}`.
# Only `true` and `false` are booleans; quote text that YAML could read otherwise.
cstosim: 1
name: {name}
description: >
  What question does this scenario answer?
as_of: 2021-07-07          # the date the world is evaluated at

# Which readings to compare (all of the rules' interpretations when omitted).
# interpretations: [treaty_text, secretariat, victim]

# Parameter overrides for this what-if (see `params.*` in rules.yaml).
# params:
#   occupation_min_days: 30

# Changes to the baseline world, each dated on or before `as_of`.
changes:
  - adopt_tier: {{body: PA_CSTO, tier: partner, on: 2021-07-01}}
  # - join: {{state: AZE, body: CSTO, tier: member, on: 2021-07-08}}
  # - relation_start: {{kind: conflict, states: [ARM, AZE], on: 2021-05-12}}

# Events, evaluated in date order.
events:
  - application: {{id: my_application, state: PAK, body: PA_CSTO, tier: partner, date: 2021-07-07}}
  # - incident:
  #     id: my_incident
  #     actor: AZE            # null when no foreign state is identified
  #     target: ARM
  #     locations: [AM-SU]    # ISO 3166-2 codes in the target state
  #     start: 2021-05-12
  #     state_forces: true
  #     crossed_border: true
  #     days_on_territory: 52
  #     depth_km: 3.5
  #     killed: 1
  #     wounded: 0
  #     captured: 6
  #     shots_fired: true
  #     border_delimited: false
  #     requests: [{{article: art2, date: 2021-05-14}}]

# What the scenario must produce (checked by `cstosim test`).
expect:
  admissions:
    - {{application: my_application, admitted: false}}
"""
