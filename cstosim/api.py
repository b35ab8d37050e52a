"""Entry points: file -> safe YAML -> pydantic model -> compiled objects -> Report.

These are the functions the CLI and notebooks call. Pydantic's validation
errors are translated into :class:`~cstosim.errors.Diagnostic` at the YAML
location of the offending value. :func:`evaluate` and :func:`conclusions`
hand the compiled program and case to :mod:`cstosim.evaluate`.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
from functools import partial
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from cstosim import model as m
from cstosim.compile import check_scenario, compile_rules
from cstosim.compiled import DEFAULT_RULES as DEFAULT_RULES
from cstosim.compiled import CompiledRules as CompiledRules
from cstosim.compiled import Scenario as Scenario
from cstosim.compiled import conclusions as conclusions
from cstosim.compiled import evaluate as evaluate
from cstosim.errors import CstosimError, Diagnostic, LazyHint, Location, Pending, did_you_mean
from cstosim.load import DEFAULT_LIMITS, Document, decode_text, load_file, load_text, read_bytes

ModelT = TypeVar("ModelT", bound=BaseModel)

_LAZY_HINTS = {"state_hint": m.state_hint, "location_hint": m.location_hint}
"""Hints the models leave to be worked out only for the problems shown (by ``hint_by``)."""

_HINTS = {
    "missing": "add this field",
    "bool_type": "write `true` or `false`",
    "int_type": "write a whole number without quotes or leading zeros",
    "float_type": "write a number without quotes",
    "string_type": "write text (quote it if it looks like a number, date or boolean)",
    "date_type": "write a date as YYYY-MM-DD",
    "dict_type": "write a mapping of `key: value` lines",
    "list_type": "write a list, e.g. `[a, b]` or lines starting with `- `",
    "model_type": "write a mapping of `key: value` lines",
    "greater_than_equal": "the value cannot be negative here",
    "less_than_equal": "the value is larger than anything plausible",
    "string_pattern_mismatch": "ids start with a letter and use letters, digits and `_`",
    "string_too_short": "write some text here",
    "string_too_long": "shorten it",
    "too_short": "add more items",
    "too_long": "remove items",
    "literal_error": "",
}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if not (isinstance(p, str) and p[:1].isupper() and "[" in p)]
    return ".".join(parts).replace("from_", "from")


def fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names (YAML spelling) of the model found at ``loc`` under ``root``."""
    current: Any = root
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            fields = {(f.alias or name): f for name, f in current.model_fields.items()}
            if part not in fields:
                return []
            current = fields[part].annotation
        elif get_origin(current) in (list, dict):
            current = get_args(current)[-1]
        else:
            return []
    current = _unwrap(current)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unwrap(t: Any) -> Any:
    """Strip Optional, Annotated and unions down to a model or container type."""
    while True:
        origin = get_origin(t)
        if origin is Annotated:
            t = get_args(t)[0]
        elif origin in (Union, UnionType):
            models = [a for a in get_args(t) if a is not type(None)]
            t = next((a for a in models if (isinstance(a, type) and issubclass(a, BaseModel))
                      or get_origin(a) in (list, dict)), models[0])
        else:
            return t


def diagnostics_from(exc: ValidationError, doc: Document, root: type[BaseModel]
                     ) -> list[Pending]:
    """Translate pydantic errors into located problems, one per problem (made diagnostics,
    hints and all, only if shown: see :class:`~cstosim.errors.Pending`)."""
    out: list[Pending] = []
    seen: set[tuple[Any, ...]] = set()
    errors = exc.errors(include_url=False)
    for err in errors:
        loc = tuple("from" if p == "from_" else p for p in err["loc"])
        kind = err["type"]
        ctx = err.get("ctx") or {}
        if "at" in ctx:  # a check across fields names the field at fault
            loc = (*loc, *(int(p) if p.isdigit() else p for p in str(ctx["at"]).split(".")))
        if kind == "extra_forbidden":
            where = doc.locate(loc, key=True)
            allowed = fields_at(root, loc[:-1])
            out.append(Pending("unknown_field", where, f"unknown field `{loc[-1]}`",
                               LazyHint(partial(did_you_mean, str(loc[-1]), allowed)) if allowed
                               else "remove it"))
            continue
        # A union reports one error per member; keep the first per location.
        key = tuple(p for p in loc if not (isinstance(p, str) and not p.isidentifier()))
        if key in seen:
            continue
        seen.add(key)
        # A mapping key that fails validation (an unknown state code as a `states:` key) is
        # reported at the key, not at its value.
        if "[key]" in loc:
            loc = tuple(p for p in loc if p != "[key]")
            where = doc.locate(loc, key=True)
        else:
            where = doc.locate(loc)
        name = _field_name(loc) or "the file"
        value = err.get("input")
        shown = f" `{_show(value)}`" if kind not in ("missing",) and not isinstance(
            value, (dict, list)) else ""
        if kind in ("missing",):
            where = doc.locate(loc[:-1])
            out.append(Pending("missing_field", where, f"`{name}` is required",
                               f"add `{loc[-1]}:` here"))
            continue
        hint: str | LazyHint = str(ctx.get("hint", "")) or _HINTS.get(kind, "")
        if ctx.get("hint_by") in _LAZY_HINTS and isinstance(value, str):
            hint = LazyHint(partial(_LAZY_HINTS[ctx["hint_by"]], value))
        if kind == "literal_error":
            hint = f"expected {ctx.get('expected', '')}"
        code = kind if kind in ("unknown_state", "unknown_location", "dates_out_of_order",
                                "one_key", "self_incident", "self_relation", "bad_parties",
                                "bad_addressee", "irregulars_sender_not_actor",
                                "missing_field") \
            else "wrong_value" if kind != "literal_error" else "unknown_value"
        msg = err["msg"]
        if code == "wrong_value" or code == "unknown_value":
            msg = (f"`{name}`:{shown} is not valid" if shown else f"`{name}` is not valid") + (
                f" ({msg[0].lower() + msg[1:]})")
        hint = hint or "see the field reference in docs/reference.md, or `cstosim schema`"
        out.append(Pending(code, where, msg, hint))
    return out


def _show(value: Any) -> str:
    """A value as the user wrote it (shortened); text YAML would read otherwise keeps quotes."""
    if isinstance(value, str) and len(value) > 60:
        return value[:57] + "..."
    if isinstance(value, str) and value and (value[0].isdigit() or value in ("true", "false", "null")):
        return f"'{value}'"
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


MAX_ITEMS = DEFAULT_LIMITS.max_items
"""Items in any one list (keys in one mapping) of a file: checked by :mod:`cstosim.load` as
the file is read, so that a flood of bad items fails at once instead of building an error each."""


def validate_model(cls: type[ModelT], doc: Document) -> ModelT:
    """Validate a document's data against a file model, with located errors."""
    model, found = _validated(cls, doc)
    if model is None:
        raise CstosimError(merged(found))
    return model


def _validated(cls: type[ModelT], doc: Document) -> tuple[ModelT | None, list[Diagnostic | Pending]]:
    """The model, or None and every problem found (as the read's own, then pydantic's)."""
    enabled = gc.isenabled()
    gc.disable()  # validation allocates many objects and frees none; collecting only costs time
    try:
        found: list[Diagnostic | Pending] = list(doc.problems)
        try:
            model = cls.model_validate(doc.data)
        except ValidationError as exc:
            found += diagnostics_from(exc, doc, cls)
        return (None, found) if found else (model, [])
    finally:
        if enabled:
            gc.enable()


def merged(problems: list[Diagnostic | Pending]) -> list[Diagnostic | Pending]:
    """Problems from several stages, one per place (the first found there), in file order."""
    seen: dict[tuple[str, int, int], Diagnostic | Pending] = {}
    for d in problems:
        seen.setdefault((d.location.file, d.location.line, d.location.column), d)
    return sorted(seen.values(), key=lambda d: (d.location.file, d.location.line, d.location.column))


def load_rules(path: str | os.PathLike[str] | None = None) -> CompiledRules:
    """Load, validate and compile a rules file (the bundled rules when ``path`` is None)."""
    p = Path(path) if path is not None else _near(DEFAULT_RULES)
    from cstosim import cache

    if not cache.enabled():
        return rules_from_document(load_file(p, defer=True))
    content = read_bytes(p)
    # The name reports show is part of the key: the same text elsewhere is another entry.
    return cache.cached_object(
        "rules", str(p).encode() + b"\0" + content,
        lambda: rules_from_document(load_text(decode_text(content, p), str(p), defer=True)),
        CompiledRules)


def _near(p: Path) -> Path:
    """``p`` relative to the working directory when it lies below it, so that reports and
    errors name the bundled rules the way the user would (``rules.yaml``), whatever the
    checkout's location."""
    try:
        return p.relative_to(Path.cwd())
    except (ValueError, OSError):  # elsewhere, or the working directory is gone
        return p


def rules_from_text(text: str, name: str = "<rules>") -> CompiledRules:
    """Compile rules given as YAML text (for tests and notebooks)."""
    return rules_from_document(load_text(text, name, defer=True))


def rules_from_document(doc: Document) -> CompiledRules:
    kind = file_kind(doc)
    if kind == "scenario":
        key = next(k for k in ("as_of", "events", "changes", "expect") if k in doc.data)
        raise CstosimError([Diagnostic("wrong_file_kind", doc.locate((key,), key=True),
                                       "this is a scenario file, not a rules file",
                                       "pass it as the scenario, or give a rules file")])
    spec = validate_model(m.RulesFile, doc)
    return compile_rules(spec, doc.locate, doc.file)


# Top-level keys only a scenario has: a scenario that lacks `as_of` is still told apart from
# rules, so that the user hears "`as_of` is missing", not a list of unknown rules fields.
_SCENARIO_KEYS = frozenset({"as_of", "events", "changes", "expect"})


def file_kind(doc: Document) -> str:
    """``scenario`` or ``rules``, from the document's top-level keys."""
    data = doc.data
    if isinstance(data, dict) and _SCENARIO_KEYS & set(data):
        return "scenario"
    return "rules"


def _require_scenario(doc: Document) -> None:
    if file_kind(doc) != "scenario":
        raise CstosimError([Diagnostic("wrong_file_kind", Location(doc.file, 1, 1),
                                       "this is not a scenario file (it has no `as_of`)",
                                       "a scenario needs `as_of: YYYY-MM-DD`; rules go in `--rules`")])


def read_scenario_document(path: str | os.PathLike[str]) -> tuple[Document, m.ScenarioFile]:
    doc = load_file(Path(path), defer=True)
    _require_scenario(doc)
    return doc, validate_model(m.ScenarioFile, doc)


def _raw_references(doc: Document, rules: CompiledRules | None) -> list[Pending]:
    """References to states, bodies and tiers in a scenario that did not validate, checked
    on the raw data of its changes and events, so that their problems show in the same run
    as the schema's. Empty when the rules themselves cannot be loaded."""
    if rules is None:
        raw = doc.data.get("rules") if isinstance(doc.data, dict) else None
        try:
            rules = load_rules(Path(doc.file).parent / raw if isinstance(raw, str) else None)
        except (CstosimError, OSError, ValueError):
            return []
    s = rules.spec
    out: list[Pending] = []

    def ref(path: tuple[Any, ...], code: str, kind: str, value: Any, known: Any) -> None:
        if isinstance(value, str) and value not in known:
            out.append(Pending(code, doc.locate(path), f"unknown {kind} `{value[:80]}`",
                               LazyHint(partial(did_you_mean, value, known))))

    data = doc.data if isinstance(doc.data, dict) else {}
    for section in ("changes", "events"):
        items = data.get(section)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if not (isinstance(item, dict) and len(item) == 1):
                continue
            ((kind, fields),) = item.items()
            if not isinstance(fields, dict):
                continue
            at = (section, i, kind)
            for name in ("state", "actor", "target"):
                ref((*at, name), "unknown_state", "state", fields.get(name), m.iso_states())
            pair = fields.get("states")
            for j, code in enumerate(pair if isinstance(pair, list) else []):
                ref((*at, "states", j), "unknown_state", "state", code, m.iso_states())
            body = fields.get("body")
            ref((*at, "body"), "unknown_body", "body", body, s.bodies)
            if isinstance(body, str) and body in s.bodies:
                ref((*at, "tier"), "unknown_tier", "tier", fields.get("tier"), s.bodies[body].tiers)
    return out


def scenario_rules_path(doc: Document, spec: m.ScenarioFile) -> Path | None:
    """The rules file a scenario names, resolved next to the scenario; None for the default."""
    if spec.rules is None:
        return None
    p = (Path(doc.file).parent / spec.rules)
    try:
        is_dir, is_file = p.is_dir(), p.is_file()
    except OSError as exc:  # e.g. a name too long for the file system
        raise CstosimError([Diagnostic("file_not_found", doc.locate(("rules",)),
                                       f"cannot use the rules file `{spec.rules[:80]}`: {exc.strerror}",
                                       "give a shorter path relative to the scenario file")]) from None
    if is_dir:
        raise CstosimError([Diagnostic("not_a_file", doc.locate(("rules",)),
                                       f"the rules file `{spec.rules}` is a directory (`{p}`)",
                                       "name a rules YAML file inside it")])
    if not is_file:
        raise CstosimError([Diagnostic("file_not_found", doc.locate(("rules",)),
                                       f"the rules file `{spec.rules}` does not exist "
                                       f"(looked for `{p}`)",
                                       "give a path relative to the scenario file, or drop "
                                       "`rules:` to use the bundled rules")])
    return p


def load_scenario(path: str | os.PathLike[str], rules: CompiledRules | None = None,
                  ) -> tuple[CompiledRules, Scenario]:
    """Load a scenario and the rules it runs on (``rules`` overrides the file's own)."""
    return scenario_from_document(load_file(Path(path), defer=True), rules)


def scenario_from_document(doc: Document, rules: CompiledRules | None = None,
                           ) -> tuple[CompiledRules, Scenario]:
    """:func:`load_scenario` for a document already read (``cstosim validate`` reads each
    file once to tell scenarios from rules)."""
    _require_scenario(doc)
    spec, found = _validated(m.ScenarioFile, doc)
    if spec is None:
        # The parts that parsed can still be checked against the rules: one run shows all.
        raise CstosimError(merged([*found, *_raw_references(doc, rules)]))
    if rules is None:
        rules = load_rules(scenario_rules_path(doc, spec))
    added = check_scenario(rules, spec, doc.locate)
    return rules, Scenario(spec, doc.file, added)


def load_scenario_text(text: str, rules: CompiledRules | None = None, name: str = "<scenario>",
                       ) -> tuple[CompiledRules, Scenario]:
    """A scenario given as YAML text and the rules it runs on: ``rules``, else the file its
    `rules:` names (relative to the working directory), else the bundled rules."""
    doc = load_text(text, name, defer=True)
    _require_scenario(doc)
    spec = validate_model(m.ScenarioFile, doc)
    if rules is None:
        rules = load_rules(scenario_rules_path(doc, spec))
    return rules, Scenario(spec, doc.file, check_scenario(rules, spec, doc.locate))


def scenario_from_text(text: str, rules: CompiledRules, name: str = "<scenario>") -> Scenario:
    doc = load_text(text, name, defer=True)
    spec = validate_model(m.ScenarioFile, doc)
    return Scenario(spec, doc.file, check_scenario(rules, spec, doc.locate))
