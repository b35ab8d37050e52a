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


def _type_name(t: Any) -> str:
    """A readable name for a field's type: `list[StateCode]`, `date or null`, `one of a, b`."""
    from types import UnionType
    from typing import Annotated, Literal, Union, get_args, get_origin

    origin, args = get_origin(t), get_args(t)
    if origin is Annotated:
        base = _type_name(args[0])
        if any(getattr(a, "func", None) is m.check_state_code for a in args[1:]):
            return "state code (ISO 3166-1 alpha-3)"
        if any(getattr(a, "func", None) is m.check_location_code for a in args[1:]):
            return "location code (ISO 3166-2)"
        if any("pattern" in repr(a) for a in args[1:]):
            return "id"
        return base
    if origin in (Union, UnionType):
        return " or ".join(_type_name(a) for a in args)
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args) if len(args) > 1 else f"`{args[0]}`"
    if origin is list:
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"mapping of {_type_name(args[0])} to {_type_name(args[1])}"
    if t is type(None):
        return "null"
    if t is Any:
        return "condition"
    names = {"str": "text", "date": "date (YYYY-MM-DD)", "int": "whole number",
             "float": "number", "bool": "`true` or `false`"}
    name = getattr(t, "__name__", str(t))
    return names.get(name, name)


def field_reference() -> str:
    """Markdown reference of every field of the rules and scenario files, from the models."""
    import inspect

    from pydantic import BaseModel

    seen: list[type[BaseModel]] = []

    def collect(cls: type[BaseModel]) -> None:
        if cls in seen:
            return
        seen.append(cls)
        for f in cls.model_fields.values():
            for candidate in _models_in(f.annotation):
                collect(candidate)

    collect(m.RulesFile)
    collect(m.ScenarioFile)
    lines = ["# Field reference", "",
             "Generated from the pydantic models (`cstosim.model`); a test keeps it current.",
             "Every mapping rejects unknown fields. Only `true` and `false` are booleans.", ""]
    for cls in seen:
        doc = inspect.getdoc(cls) or ""
        lines += [f"## {cls.__name__}", "", doc.splitlines()[0] if doc else "", "",
                  "| field | type | required | meaning |", "|---|---|---|---|"]
        for name, f in cls.model_fields.items():
            key = f.alias or name
            default = f.get_default(call_default_factory=True)
            required = "yes" if f.is_required() else f"no (default `{default!r}`)"
            desc = (f.description or "").replace("|", "\\|").replace("\n", " ")
            kind = _field_kind(f)
            lines.append(f"| `{key}` | {kind} | {required} | {desc} |")
        lines.append("")
    return "\n".join(lines + _data_reference() + _paths_reference())


def _data_reference() -> list[str]:
    """Where the facts of states the rules do not list come from."""
    from cstosim import reference

    rows = reference.un_members()
    marks = sorted({r.mark for r in rows.values()})
    soviet = sorted(code for code, r in rows.items() if r.former_soviet)
    return [
        "## Bundled reference data", "",
        f"`cstosim/data/{reference.DATA_FILE}` (package data) lists every UN member state "
        f"({len(rows)} rows): its ISO 3166-1 alpha-3 `code`, `name`, `un_member_from` (date of "
        "admission to the UN), `former_soviet` (one of the 15 union republics of the USSR: "
        f"{', '.join(soviet)}), a FACTS-style `mark` and its `source`. Source of every date: "
        f"the UN's member-states list, {reference.SOURCE}. FACTS.md establishes none of these "
        f"dates, so the rows are marked {', '.join(f'[{x}]' for x in marks)}.", "",
        "Precedence, for a state named anywhere in a rules or scenario file: (1) the scenario's "
        "own `set_state` changes, for the whole scenario; (2) the rules file's `states:` entry; "
        "(3) the bundled row; (4) a valid ISO code with no row (a territory, or an observer "
        "state such as `PSE` or `VAT`) is neither a UN member nor a former Soviet republic, "
        "since the file lists every one of both. A code that is not ISO 3166-1 alpha-3 is a "
        "load error (`unknown_state`, with a \"did you mean\"). The file is read at load "
        "time, once, when the rules or a scenario name a state the rules do not list (the "
        "default rules do: NATO's members) or `cstosim show states` runs; never at import, "
        "and never during evaluation, which reads only what loading resolved.",
        ""]


def _paths_reference() -> list[str]:
    """The typed paths each kind of rule may read in its `when` condition."""
    from cstosim.compile import schemas_for
    from cstosim.conditions import NUM, Type

    schemas = schemas_for(("LABEL",), {"NAME": NUM})
    out = ["## Condition paths", "",
           "What a `when` condition may read, by kind of rule. `params.NAME` is any parameter of",
           "the rules (typed by its value); `classification.label` takes the rules' own labels.", ""]
    titles = {"classification": "classification rules", "commitment": "commitments",
              "gate:none": "gates (`for_each: none`)", "gate:member": "gates (`for_each: member`)",
              "gate:pact_chain": "gates (`for_each: pact_chain`)", "stance": "stance rules",
              "tension:admission:none": "admission tensions", "tension:admission:member":
              "admission tensions (`for_each: member`)", "tension:admission:member_partner":
              "admission tensions (`for_each: member_partner`)", "tension:admission:pact_chain":
              "admission tensions (`for_each: pact_chain`)", "tension:incident:none":
              "incident tensions", "tension:dispute:none": "dispute tensions"}

    def show(t: Type) -> str:
        return "label" if t.name == "enum" and "LABEL" in t.values else (
            "one of " + ", ".join(t.values) if t.name == "enum" else t.name)

    for key, schema in schemas.items():
        roots = sorted({p.split(".")[0] for p in schema})
        out += [f"### {titles.get(key, key)}", ""]
        for root in roots:
            fields = ", ".join(f"`{p.split('.')[1]}` ({show(t)})" for p, t in sorted(schema.items())
                               if p.startswith(root + ".") and root != "params")
            out.append(f"- `{root}`: " + (fields if root != "params" else "`NAME` (the parameter's type)"))
        out.append("")
    out += ["### What the newer roots and fields mean", ""]
    out += [f"- `{name}`: {text}" for name, text in _PATH_NOTES]
    out.append("")
    return out


_PATH_NOTES = (
    ("incident.weapons_used", "`shelling` or `strikes` (UNGA Res. 3314 Art. 3(b))."),
    ("incident.irregulars_sent", "the incident names the state that sent the irregulars "
                                 "(`irregulars_sent_by`, Art. 3(g)); that state is the actor."),
    ("incident.duration_days", "days from `start` to `end`, both counted (1 without `end`)."),
    ("pair", "in classification, commitment and incident-tension rules: the relations between "
             "the incident's actor and its target on its start date; every field is false "
             "when the incident has no actor. `allied`: both are bound by one defence "
             "commitment in force; `same_body`: both hold a tier (active or frozen) of one body."),
    ("bond", "in commitments: `actor_bound`, the actor is a party of this commitment; "
             "`same_body`, the actor holds a tier of the commitment's body and the victim is "
             "bound by it."),
    ("request", "in commitments, the victim's requests up to `as_of`: `to_debtor`, one is "
                "addressed to the debtor state itself; `to_body`, one is addressed to the "
                "commitment's body or any organ of its organization, or has no addressee; "
                "`assistance` / `consultations`, what some request asks."),
    ("partners", "in stance rules: the decider's strategic partners on the date and what any "
                 "of them has with the candidate (`rivalry`, `conflict`, `hostility_now`, "
                 "`territorial_dispute`); `count` is how many partners it has."),
    ("conflict.unmet_requests", "requests (up to `as_of`) whose addressee did less than "
                                "asked, by the incident's recorded `responses` and the "
                                "parameters `consultation_met_by` / `assistance_met_by`; 0 "
                                "when the incident records no responses."),
    ("conflict.response_gaps", "commitments answered below what they owed under this reading "
                               "(each is a response gap in the report)."),
)


def _field_kind(f: Any) -> str:
    """The type of a field, using the constraints pydantic moved into its metadata."""
    for meta in f.metadata:
        if getattr(meta, "func", None) is m.check_state_code:
            return "state code (ISO 3166-1 alpha-3)"
        if getattr(meta, "func", None) is m.check_location_code:
            return "location code (ISO 3166-2)"
        if "pattern" in repr(meta):
            return "id"
    text = _type_name(f.annotation)
    bounds = [f"{op} {getattr(meta, attr)}" for meta in f.metadata
              for attr, op in (("ge", ">="), ("le", "<=")) if getattr(meta, attr, None) is not None]
    return text + (f" ({', '.join(bounds)})" if bounds else "")


def _models_in(annotation: Any) -> list[Any]:
    from typing import get_args

    from pydantic import BaseModel

    out = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        out.append(annotation)
    for arg in get_args(annotation):
        out += _models_in(arg)
    return out
