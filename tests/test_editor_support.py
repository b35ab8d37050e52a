"""Editor support: the shipped JSON Schemas match the models; `new scenario` writes a template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cstosim.cli import app
from cstosim.schema import json_schema_text

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.mark.parametrize("kind", ["rules", "scenario"])
def test_shipped_schema_is_current(kind: str) -> None:
    shipped = (ROOT / "docs" / "schema" / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert shipped == json_schema_text(kind), f"run `cstosim schema {kind} > docs/schema/{kind}.schema.json`"


def test_schema_command_prints_json_with_descriptions() -> None:
    done = runner.invoke(app, ["schema", "rules"])
    assert done.exit_code == 0
    schema = json.loads(done.stdout)
    assert "interpretations" in schema["properties"]
    assert "description" in schema["$defs"]["Commitment"]["properties"]["judged_by"]
    assert runner.invoke(app, ["schema", "rulez"]).exit_code == 2


def test_shipped_files_reference_the_schema() -> None:
    assert "$schema=docs/schema/rules.schema.json" in (ROOT / "rules.yaml").read_text(encoding="utf-8")
    for path in (ROOT / "scenarios").glob("*.yaml"):
        assert "$schema=../docs/schema/scenario.schema.json" in path.read_text(encoding="utf-8")


def test_new_scenario_writes_a_runnable_template_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "what_if"
    done = runner.invoke(app, ["new", "scenario", str(target)])
    assert done.exit_code == 0, done.output
    written = tmp_path / "what_if.yaml"
    text = written.read_text(encoding="utf-8")
    assert runner.invoke(app, ["validate", str(written)]).exit_code == 0
    assert runner.invoke(app, ["test", str(written)]).exit_code == 0
    again = runner.invoke(app, ["new", "scenario", str(written)])
    assert again.exit_code == 2 and "already exists" in again.output
    assert written.read_text(encoding="utf-8") == text


def test_field_reference_is_current() -> None:
    from cstosim.schema import field_reference

    shipped = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert shipped == field_reference(), "regenerate docs/reference.md from cstosim.schema.field_reference()"
