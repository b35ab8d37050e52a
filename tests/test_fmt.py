"""`cstosim fmt`: the canonical layout keeps comments and meaning, is idempotent, writes atomically.

The property tests take a file, scramble its layout (key order, flow or block, indentation) and
scatter comments through it, then check that formatting gives back a file that loads to the same
data and model, keeps every comment, and is a fixed point."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import cstosim
from cstosim import model as m
from cstosim import testing
from cstosim.api import file_kind, validate_model
from cstosim.fmt import comments, field_order, format_text
from cstosim.load import load_file, load_text
from cstosim.properties import dump_scenario

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = [ROOT / "rules.yaml", *sorted((ROOT / "scenarios").glob("*.yaml"))]
THOROUGH = os.environ.get("HYPOTHESIS_PROFILE") == "ci"
RULES = cstosim.load_rules()


def _model(text: str) -> Any:
    doc = load_text(text, "<test>")
    return validate_model(m.ScenarioFile if file_kind(doc) == "scenario" else m.RulesFile, doc)


def _comments(text: str) -> list[str]:
    return comments(text)  # a `# note` line inserted inside a multi-line string is text, not one


def _same(original: str, formatted: str) -> None:
    assert load_text(formatted, "<f>").data == load_text(original, "<o>").data
    assert _model(formatted) == _model(original)
    assert _comments(formatted) == _comments(original)
    assert format_text(formatted) == formatted  # idempotent


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_bundled_file_formats_to_the_same_model(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    _same(text, format_text(text, str(path)))


def _shuffled(data: Any, rnd: random.Random) -> Any:
    if isinstance(data, dict):
        items = list(data.items())
        rnd.shuffle(items)
        return {k: _shuffled(v, rnd) for k, v in items}
    if isinstance(data, list):
        return [_shuffled(v, rnd) for v in data]
    return data


def _with_comments(text: str, rnd: random.Random, n: int) -> str:
    """``text`` with ``n`` full-line comments between lines, indented like the line after."""
    lines = text.splitlines()
    for i in range(n):
        at = rnd.randrange(len(lines) + 1)
        nxt = lines[at] if at < len(lines) else ""
        indent = len(nxt) - len(nxt.lstrip(" "))
        lines.insert(at, " " * indent + f"# note {i}: keep me")
    return "\n".join(lines) + "\n"


def _scrambled(text: str, rnd: random.Random, comments: int) -> str:
    data = _shuffled(load_text(text, "<original>").data, rnd)
    flow = rnd.choice([False, None])  # block, or PyYAML's flow for collections of scalars
    indent = rnd.choice([2, 4])
    out = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096,
                    default_flow_style=flow, indent=indent)
    if out.startswith("{"):  # a whole file on one line: ruamel.yaml drops a comment after it,
        # which fmt refuses (tested below); scramble the rest, not that
        out = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096,
                        default_flow_style=False, indent=indent)
    return _with_comments(out, rnd, comments)


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "'" if value[:1].isdigit() or value[:1] in "-+.~" or value.lower() in (
        "null", "true", "false", "no", "yes", "on", "off", "y", "n") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


@settings(max_examples=200 if THOROUGH else 10)
@given(testing.scenario_specs(RULES), st.randoms(use_true_random=False), st.integers(0, 8))
def test_formatting_a_scrambled_scenario_keeps_its_meaning(spec: m.ScenarioFile, rnd: random.Random,
                                                           comments: int) -> None:
    text = _scrambled(dump_scenario(spec), rnd, comments)
    formatted = format_text(text)
    _same(text, formatted)
    assert cstosim.scenario_from_text(formatted, RULES).spec == \
        cstosim.scenario_from_text(text, RULES).spec


@settings(max_examples=20 if THOROUGH else 3)
@given(st.randoms(use_true_random=False), st.integers(0, 30))
def test_formatting_scrambled_rules_keeps_their_meaning(rnd: random.Random, comments: int) -> None:
    text = _scrambled((ROOT / "rules.yaml").read_text(encoding="utf-8"), rnd, comments)
    formatted = format_text(text)
    _same(text, formatted)
    # (a `# note` line that fell inside a multi-line string is text: compare with the input)
    assert cstosim.rules_from_text(formatted).spec == cstosim.rules_from_text(text).spec


def test_canonical_layout() -> None:
    text = (
        "# head\n"
        "name: x\n"
        "# the date\n"
        "as_of: 2021-07-03\n"
        "cstosim: 1\n"
        "events:\n"
        "- incident:\n"
        "    requests: [{article: art2, date: 2021-05-14}]\n"
        "    target: ARM\n"
        "    id: i\n"
        "    actor: null\n"
        "    start: 2021-05-12\n"
        "    source: somewhere   # why\n"
        "    note: short\n"
        "    killed: 0\n    wounded: 0\n    captured: 0\n    depth_km: 0.5\n    days_on_territory: 3\n"
        "    shots_fired: false\n    border_delimited: false\n    crossed_border: true\n"
        "    state_forces: true\n"
        "expect:\n"
        "  tensions:\n"
        "  - kind: disputed_classification\n"
        "    parties:\n"
        "    - ARM\n"
        "    - AZE\n")
    assert format_text(text) == (
        "# head\n"
        "cstosim: 1\n"
        "name: x\n"
        "# the date\n"
        "as_of: 2021-07-03\n"
        "events:\n"
        "  - incident:\n"
        "      id: i\n"
        "      actor: null\n"
        "      target: ARM\n"
        "      start: 2021-05-12\n"
        "      state_forces: true\n      crossed_border: true\n      days_on_territory: 3\n"
        "      depth_km: 0.5\n      killed: 0\n      wounded: 0\n      captured: 0\n"
        "      shots_fired: false\n      border_delimited: false\n"
        "      note: short\n"
        "      source: somewhere # why\n"
        "      requests:\n"
        "        - {article: art2, date: 2021-05-14}\n"
        "expect:\n"
        "  tensions:\n"
        "    - {kind: disputed_classification, parties: [ARM, AZE]}\n")


def test_long_flow_lists_go_one_item_a_line() -> None:
    text = (ROOT / "rules.yaml").read_text(encoding="utf-8")
    for line in format_text(text).splitlines():
        if "[" in line or "{" in line:
            assert len(line) <= 100 or line.lstrip().startswith(("meaning:", "source:", "#")) \
                or ": " not in line.split("[")[0].split("{")[0], line


def test_floats_keep_their_exact_value() -> None:
    text = "cstosim: 1\nname: x\nas_of: 2021-07-03\nparams: {a: 3.79e-176, b: 1e3, c: .5, d: 2.50}\n"
    formatted = format_text(text)
    assert load_text(formatted, "<f>").data == load_text(text, "<o>").data
    assert "a: 3.79e-176" in formatted and "c: 0.5" in formatted


def test_a_comment_the_yaml_library_would_drop_is_refused_not_lost() -> None:
    text = "{name: x, as_of: 2021-07-03, cstosim: 1}\n# keep me\n"
    with pytest.raises(cstosim.CstosimError) as caught:
        format_text(text)
    assert caught.value.diagnostics[0].code == "format_changes_meaning"


def test_field_order_puts_declared_fields_before_inherited_ones() -> None:
    assert field_order(m.Label)[:1] == ["id"] and field_order(m.Label)[-2:] == ["meaning", "source"]
    assert field_order(m.Parameter)[:2] == ["value", "label"]


def cli(*args: str | Path, cwd: Path | None = None, python: list[str] | None = None,
        ) -> subprocess.CompletedProcess[str]:
    cmd = python or ["cstosim"]
    return subprocess.run([*cmd, *map(str, args)], capture_output=True, text=True, cwd=cwd,
                          timeout=300, check=False)


def test_cli_check_then_format(tmp_path: Path) -> None:
    messy = tmp_path / "messy.yaml"
    messy.write_text("name: x  # a name\nas_of: 2021-07-03\ncstosim: 1\n", encoding="utf-8")
    tidy = tmp_path / "tidy.yaml"
    tidy.write_text("cstosim: 1\nname: x\nas_of: 2021-07-03\n", encoding="utf-8")
    before = messy.read_text(encoding="utf-8")
    done = cli("fmt", "--check", messy, tidy)
    assert done.returncode == 1
    assert done.stdout == f"would reformat {messy}\n"
    assert messy.read_text(encoding="utf-8") == before  # --check changes nothing
    done = cli("fmt", messy, tidy)
    assert done.returncode == 0 and done.stdout == f"reformatted {messy}\n"
    assert messy.read_text(encoding="utf-8") == "cstosim: 1\nname: x  # a name\nas_of: 2021-07-03\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.yaml", "tidy.yaml"]  # no temp left
    assert cli("fmt", "--check", messy, tidy).returncode == 0


def test_cli_bad_yaml_exits_2_and_writes_nothing(tmp_path: Path) -> None:
    messy = tmp_path / "messy.yaml"
    messy.write_text("name: x\ncstosim: 1\nas_of: 2021-07-03\n", encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("cstosim: 1\nname: x\nas_of: 2021-07-03\nas_of: 2021-07-04\n", encoding="utf-8")
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("cstosim: 1\nname: x\nas_of: 2021-07-03\nevnts: []\n", encoding="utf-8")
    done = cli("fmt", messy, bad, wrong)
    assert done.returncode == 2
    assert f"{bad}:4:1: error[duplicate_key]" in done.stderr
    assert f"{wrong}:4:1: error[unknown_field]" in done.stderr and "events" in done.stderr
    assert "Traceback" not in done.stderr
    assert messy.read_text(encoding="utf-8") == "name: x\ncstosim: 1\nas_of: 2021-07-03\n"


def test_cli_keeps_a_symlink_and_the_file_mode(tmp_path: Path) -> None:
    real = tmp_path / "real.yaml"
    real.write_text("name: x\ncstosim: 1\nas_of: 2021-07-03\n", encoding="utf-8")
    real.chmod(0o640)
    link = tmp_path / "link.yaml"
    link.symlink_to(real)
    assert cli("fmt", link).returncode == 0
    assert link.is_symlink() and real.read_text(encoding="utf-8").startswith("cstosim: 1\n")
    assert real.stat().st_mode & 0o777 == 0o640


def test_cli_without_ruamel_says_how_to_get_it(tmp_path: Path) -> None:
    f = tmp_path / "s.yaml"
    f.write_text("cstosim: 1\nname: x\nas_of: 2021-07-03\n", encoding="utf-8")
    blocked = ("import sys; sys.modules['ruamel'] = None; sys.modules['ruamel.yaml'] = None; "
               "from cstosim.cli import entry; sys.argv = ['cstosim'] + sys.argv[1:]; entry()")
    done = cli("fmt", f, python=[sys.executable, "-c", blocked])
    assert done.returncode == 2, done.stderr
    assert "error[missing_dependency]" in done.stderr and "cstosim[fmt]" in done.stderr


def test_load_file_of_formatted_bundled_rules_compiles(tmp_path: Path) -> None:
    out = tmp_path / "rules.yaml"
    out.write_text(format_text((ROOT / "rules.yaml").read_text(encoding="utf-8")), encoding="utf-8")
    assert load_file(out).data == load_file(ROOT / "rules.yaml").data
    assert cstosim.load_rules(out).spec == RULES.spec
