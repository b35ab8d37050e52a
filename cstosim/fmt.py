"""``cstosim fmt``: the canonical layout of a rules or scenario file, comments kept.

A tool beside the pipeline: it reads the file with cstosim's own loader and model
(so bad input gets the usual located diagnostics), then rewrites its layout with
a ruamel.yaml round trip, which keeps comments, quoting and scalar styles. The
layout (docs/guide.md, "Canonical layout"):

- keys of every schema object in the schema's order: ``id`` first, then the
  object's own fields as the model declares them, then the shared ``meaning`` and
  ``source``; maps keyed by the user's ids (parameters, bodies, states, ...) and
  every list keep the author's order; keys the schema does not know keep theirs;
- two spaces per level; a list's dash indented two spaces under its key;
- a map or list whose values are all plain scalars, with no comment inside, is
  written on one line (``{state: ARM, body: CSTO}``, ``[a, b]``) when that line fits
  in :data:`WIDTH` columns, and in block form otherwise; everything else in block form;
- strings are never re-wrapped; a float is written in its shortest exact form
  (``1.0``, ``0.5``, ``1e-07``); a comment on its own line moves with the key it precedes.

The result must load to exactly the data the original loads to (checked on every
call: a mismatch is an error and nothing is returned), and formatting is
idempotent. ruamel.yaml is the ``fmt`` extra, imported only here. Nothing here
writes files; the CLI does, atomically.
"""

from __future__ import annotations

import inspect
import io
import itertools
import types
import typing
from typing import Any

from pydantic import BaseModel

from cstosim import model as m
from cstosim.api import file_kind, validate_model
from cstosim.errors import CstosimError, Diagnostic, Location
from cstosim.load import load_text

WIDTH = 100
INSTALL_HINT = "pip install 'cstosim[fmt]'"


def _ruamel() -> Any:
    try:
        from ruamel.yaml import YAML
    except ImportError as exc:  # an optional extra; say how to get it
        raise CstosimError([Diagnostic(
            "missing_dependency", Location("<environment>"),
            "`cstosim fmt` needs `ruamel.yaml`, which is not installed",
            f"install it with `{INSTALL_HINT}`")]) from exc
    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 1_000_000  # never re-wrap a string; line length is the author's
    y.preserve_quotes = True
    y.representer.add_representer(type(None), _null)
    _exact_floats(y)
    return y


def _null(representer: Any, data: None) -> Any:
    return representer.represent_scalar("tag:yaml.org,2002:null", "null")


def _float(representer: Any, data: float) -> Any:
    # ruamel.yaml rewrites some floats it read (tiny exponents) to other values; Python's
    # repr is the shortest text that reads back to the same float
    value = float(data)
    text = (".nan" if value != value else ".inf" if value == float("inf")
            else "-.inf" if value == float("-inf") else repr(value))
    return representer.represent_scalar("tag:yaml.org,2002:float", text)


def _exact_floats(y: Any) -> None:
    from ruamel.yaml.scalarfloat import ScalarFloat

    y.representer.add_representer(ScalarFloat, _float)
    y.representer.add_representer(float, _float)


def format_text(text: str, name: str = "<string>") -> str:
    """``text`` in the canonical layout; raises CstosimError for input cstosim cannot load."""
    doc = load_text(text, name)
    kind = file_kind(doc)
    root: type[BaseModel] = m.ScenarioFile if kind == "scenario" else m.RulesFile
    validate_model(root, doc)  # only valid files are formatted: their meaning is what is kept
    yaml = _ruamel()
    tree = yaml.load(text)
    _arrange(tree, root)
    _lay_out(tree, yaml, 0, top=True)
    out = io.StringIO()
    yaml.dump(tree, out)
    result = out.getvalue()
    again = load_text(result, name)
    if again.data != doc.data:  # INVARIANT: formatting never changes what the file says
        raise CstosimError([Diagnostic(
            "format_changes_meaning", Location(name),
            "the canonical layout of this file would load differently from the file itself, "
            "so it was not formatted", "please report this file; meanwhile format it by hand")])
    if comments(result) != comments(text):  # INVARIANT: and never loses or adds a comment
        raise CstosimError([Diagnostic(
            "format_changes_meaning", Location(name),
            "the canonical layout of this file would lose or move a comment out of place "
            "(a limit of the YAML library), so it was not formatted",
            "move the comment to its own line before a key, or format this file by hand")])
    return result


def comments(text: str) -> list[str]:
    """Every comment in YAML text (sorted, stripped): the text between tokens after a ``#``."""
    import yaml

    found: list[str] = []
    last = 0
    for token in yaml.scan(text, Loader=yaml.SafeLoader):
        _comments_in(text[last:token.start_mark.index], found)
        last = max(last, token.end_mark.index)
    _comments_in(text[last:], found)
    return sorted(found)


def _comments_in(gap: str, found: list[str]) -> None:
    for line in gap.splitlines():
        at = line.find("#")
        if at >= 0:
            found.append(line[at:].strip())


# ---- key order --------------------------------------------------------------------


_PROSE = ("meaning", "source")
_LAST = ("when",)  # conditions read best after what the rule means


def field_order(cls: type[BaseModel]) -> list[str]:
    """The keys of a schema object in the schema's order (as written in YAML: aliases), with
    the fields a subclass declares before those it inherits."""
    names: list[str] = []
    for klass in cls.__mro__:
        for name in inspect.get_annotations(klass):
            if name in cls.model_fields and name not in names:
                names.append(name)
    return [cls.model_fields[n].alias or n for n in names]


def canonical_keys(node: Any, cls: type[BaseModel]) -> list[Any]:
    """The keys of ``node`` (a map validated as ``cls``) in canonical order: ``id``; the fields
    holding a scalar or a list of scalars; ``meaning`` and ``source``; then ``when`` and the
    fields holding nested objects, each group in the schema's order; unknown keys last."""
    order = field_order(cls)
    rank = {k: i for i, k in enumerate(order)}
    keys = list(node)

    def group(k: Any) -> int:
        if k == "id":
            return 0
        if k in _PROSE:
            return 2
        if k in _LAST or not _flat(node[k]):
            return 3
        return 1

    return sorted(keys, key=lambda k: (k not in rank, group(k), rank.get(k, 0), keys.index(k)))


def _flat(value: Any) -> bool:
    """A scalar (a string of several lines too), or a list of plain scalars."""
    if isinstance(value, list):
        return all(_scalar(v) for v in value)
    return not isinstance(value, dict)


def _field_types(cls: type[BaseModel]) -> dict[str, Any]:
    return {(f.alias or n): f.annotation for n, f in cls.model_fields.items()}


def _unwrap(tp: Any) -> list[Any]:
    """The alternatives of a type, without Annotated, Optional and None."""
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(tp)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [x for a in typing.get_args(tp) for x in _unwrap(a)]
    return [] if tp is type(None) else [tp]


def _arrange(node: Any, tp: Any, *, item: bool = False) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    for alt in _unwrap(tp):
        origin = typing.get_origin(alt)
        if isinstance(alt, type) and issubclass(alt, BaseModel) and isinstance(node, CommentedMap):
            types_ = _field_types(alt)
            if not set(node) <= set(types_):
                continue  # another alternative of a union
            _reorder(node, canonical_keys(node, alt), item=item)
            for key, value in node.items():
                _arrange(value, types_[key])
            return
        if origin is list and isinstance(node, CommentedSeq):
            (of,) = typing.get_args(alt)
            for value in node:
                _arrange(value, of, item=True)
            return
        if origin is dict and isinstance(node, CommentedMap):
            _, of = typing.get_args(alt)
            for value in node.values():
                _arrange(value, of)
            return


def _reorder(node: Any, wanted: list[Any], *, item: bool) -> None:
    keys = list(node)
    if wanted == keys:
        return
    _detach_leading_comments(node)
    after = _take_tail(node, keys[-1])  # what follows the map stays after it
    for k in wanted:
        node.move_to_end(k)
    if after is not None:
        _give_tail(node, wanted[-1], *after)
    first = node.ca.items.get(wanted[0])
    if item and first and first[1]:
        # a comment before the first key of a list item would be written after its dash
        moved = first[1]
        first[1] = None
        if len(wanted) > 1:
            entry = node.ca.items.setdefault(wanted[1], [None, None, None, None])
            entry[1] = [*moved, *(entry[1] or [])]
        else:
            for t in moved:
                _give_tail(node, wanted[0], t.value, t.start_mark)


def _take_tail(node: Any, key: Any) -> tuple[str, Any] | None:
    """Cut the comment lines after the entry ``node[key]`` off it (keeping its end-of-line one)."""
    from ruamel.yaml.tokens import CommentToken

    holder = _last_comment(node, key)
    if holder is None:
        return None
    items, slot, index = holder
    token = items[slot][index]
    text: str = token.value
    cut = text.find("\n") + 1
    eol, lines = text[:cut], text[cut:]
    if not lines.strip():
        return None
    items[slot][index] = CommentToken(eol, token.start_mark, None) if eol.strip("\n") else None
    return lines, token.start_mark


def _give_tail(node: Any, key: Any, lines: str, mark: Any) -> None:
    """Write comment ``lines`` after the entry ``node[key]``, at the end of its last line."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.tokens import CommentToken

    container, k, slot = node, key, 2
    while True:
        value = container[k]
        if isinstance(value, CommentedMap) and value:
            container, k, slot = value, list(value)[-1], 2
        elif isinstance(value, CommentedSeq) and value:
            container, k, slot = value, len(value) - 1, 0
        else:
            break
    entry = container.ca.items.setdefault(k, [None, None, None, None])
    old = entry[slot]
    if old is not None and not isinstance(old, list):
        old.value = old.value + lines if old.value.endswith("\n") else old.value + "\n" + lines
    else:
        entry[slot] = CommentToken("\n" + lines, mark, None)


def _detach_leading_comments(node: Any) -> None:
    """ruamel keeps a comment on its own line as the tail of whatever came before it; give
    each such comment to the key it precedes, so that it moves with that key."""
    from ruamel.yaml.tokens import CommentToken


    keys = list(node)
    for before, key in itertools.pairwise(keys):
        cut = _take_tail(node, before)
        if cut is None:
            continue
        lines, mark = cut
        while "\n\n\n" in lines:  # at most one blank line in a row
            lines = lines.replace("\n\n\n", "\n\n")
        entry = node.ca.items.setdefault(key, [None, None, None, None])
        entry[1] = [*(entry[1] or []), CommentToken(lines, mark, None)]


def _last_comment(node: Any, key: Any) -> tuple[dict[Any, Any], Any, int] | None:
    """Where the comment after the entry ``node[key]`` lives, the last one written in it."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    found: list[tuple[int, dict[Any, Any], Any, int]] = []

    def visit(container: Any, k: Any) -> None:
        entry = container.ca.items.get(k)
        if entry:
            for i, t in enumerate(entry):
                if t is not None and not isinstance(t, list):
                    found.append((t.start_mark.line, container.ca.items, k, i))
        value = container[k]
        if isinstance(value, CommentedMap):
            for kk in value:
                visit(value, kk)
        elif isinstance(value, CommentedSeq):
            for ii in range(len(value)):
                visit(value, ii)

    visit(node, key)
    if not found:
        return None
    _, items, k, i = max(found, key=lambda f: f[0])
    return items, k, i


# ---- flow or block -----------------------------------------------------------------


def _scalar(value: Any) -> bool:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import FoldedScalarString, LiteralScalarString

    if isinstance(value, (CommentedMap, CommentedSeq, dict, list)):
        return False
    if isinstance(value, (LiteralScalarString, FoldedScalarString)):
        return False
    return not (isinstance(value, str) and "\n" in value)


def _flowable(node: Any) -> bool:
    """May be written on one line: a list of plain scalars, or a map of plain scalars and such
    lists; no comment inside, and no prose (an object with a ``meaning`` stays in block form)."""
    from ruamel.yaml.comments import CommentedSeq

    if _has_comments(node):
        return False
    if isinstance(node, CommentedSeq):  # a list of scalars; a list of maps has one per line
        return all(_scalar(v) for v in node)
    if "meaning" in node:
        return False
    return all(_scalar(v) or (isinstance(v, CommentedSeq) and not _has_comments(v)
                              and all(_scalar(x) for x in v)) for v in node.values())


def _has_comments(node: Any) -> bool:
    ca = node.ca
    return bool(any(x for e in ca.items.values() for x in e) or (ca.comment and any(ca.comment)))


_FLOW: Any = None  # one dumper for measuring one-line forms (building one costs more than using it)


def _flow_text(node: Any, yaml: Any) -> str:
    global _FLOW
    if _FLOW is None:
        from ruamel.yaml import YAML

        _FLOW = YAML(typ="rt")
        _FLOW.width = 1_000_000
        _FLOW.preserve_quotes = True
        _FLOW.default_flow_style = True
        _FLOW.representer.add_representer(type(None), _null)
        _exact_floats(_FLOW)
    out = io.StringIO()
    _FLOW.dump({"x": node}, out)
    return out.getvalue().strip()[len("{x: "):-1]


def _lay_out(node: Any, yaml: Any, indent: int, *, top: bool = False, lead: int = 0) -> None:
    """Choose flow or block for ``node`` and below; ``lead`` is what precedes it on its line."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if not isinstance(node, (CommentedMap, CommentedSeq)):
        return
    values = list(node.values()) if isinstance(node, CommentedMap) else list(node)
    if not values:
        node.fa.set_flow_style()
        return
    if not top and _flowable(node):
        node.fa.set_flow_style()
        if lead + len(_flow_text(node, yaml)) <= WIDTH:
            return
    node.fa.set_block_style()
    # `indent` is the column of a map's keys, or, for a list, of the key it belongs to (its
    # dashes sit two columns further in, an item's content four)
    if isinstance(node, CommentedMap):
        for k, v in node.items():
            lead = indent + len(str(k)) + 2
            _lay_out(v, yaml, indent if isinstance(v, CommentedSeq) else indent + 2, lead=lead)
    else:
        for v in node:
            _lay_out(v, yaml, indent + 4 if isinstance(v, CommentedMap) else indent + 2,
                     lead=indent + 4)
