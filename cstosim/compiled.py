"""What loading hands out, and evaluation on it: :class:`CompiledRules` and
:class:`Scenario`, each the validated file (the edge model, for the tools that read or edit
the source) with the frozen program built from it, plus :func:`evaluate` and
:func:`conclusions`, which hand the program to :mod:`cstosim.evaluate`.

Light on purpose: it imports neither pydantic nor YAML, so ``import cstosim`` (and
``cstosim --help``) stays fast; the models appear here only as type annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cstosim import program as pg
from cstosim.conditions import Schema, Type
from cstosim.evaluate import conclusions as _conclusions
from cstosim.evaluate import evaluate as _evaluate
from cstosim.report import Outcome, Report
from cstosim.world import World

if TYPE_CHECKING:
    from cstosim import model as m

_PACKAGED = Path(__file__).resolve().parent / "data" / "rules.yaml"
DEFAULT_RULES = _PACKAGED if _PACKAGED.is_file() else _PACKAGED.parents[2] / "rules.yaml"
"""The bundled rules: the repository's top-level ``rules.yaml``, which a wheel
carries as ``cstosim/data/rules.yaml``."""



@dataclass(frozen=True)
class CompiledRules:
    """A checked rules model: the validated file (``spec``, for the tools that read the
    source: schema, testing, show) and the :class:`~cstosim.program.Program` that
    evaluation runs on."""

    spec: m.RulesFile
    program: pg.Program
    param_types: Mapping[str, Type]
    schemas: Mapping[str, Schema]
    rule_ids: frozenset[str]

    @property
    def file(self) -> str:
        return self.program.file

    @property
    def labels(self) -> tuple[str, ...]:
        return self.program.labels

    @property
    def rank(self) -> Mapping[str, int]:
        return self.program.rank

    @property
    def params(self) -> Mapping[str, Any]:
        return self.program.params

    @property
    def commitments(self) -> tuple[pg.Commitment, ...]:
        return self.program.commitments

    @property
    def gates(self) -> Mapping[str, pg.Gate]:
        return self.program.gates

    @property
    def stances(self) -> tuple[pg.StanceRule, ...]:
        return self.program.stances

    @property
    def classification(self) -> tuple[pg.ClassificationRule, ...]:
        return self.program.classification

    @property
    def tensions(self) -> tuple[pg.TensionRule, ...]:
        return self.program.tensions

    @property
    def shared_params(self) -> frozenset[str]:
        return self.program.shared_params

    @property
    def victim_interpretation(self) -> str | None:
        return self.program.victim_interpretation

    def tier(self, body: str, tier: str) -> m.Tier:
        return self.spec.bodies[body].tiers[tier]

    def member_tier(self, body: str) -> str:
        return self.program.member_tier(body)

    def overlap_forbidden(self) -> bool:
        return self.spec.classification_overlap == "forbidden"

    def rights_of(self, body: str, tier: str) -> tuple[str, ...]:
        return self.program.rights_of(body, tier)


@dataclass(frozen=True)
class Scenario:
    """A validated scenario checked against its rules: the file's model (``spec``, which
    tools edit to make variants) and, built from it, the case evaluation runs on."""

    spec: m.ScenarioFile
    file: str
    added_commitments: tuple[pg.Commitment, ...]
    overrides: tuple[tuple[str, Any], ...] = ()
    """Parameter values from the command line: ``NAME`` or ``READING.NAME``, winning over
    the scenario's and every reading's own values."""

    @cached_property
    def case(self) -> pg.Case:
        from cstosim.compile import case_of  # the models' side; loaded whenever a spec exists

        return case_of(self.spec, self.file, self.added_commitments, dict(self.overrides))

    def with_spec(self, spec: m.ScenarioFile) -> Scenario:
        """The same scenario with an edited model (its added commitments unchanged)."""
        return Scenario(spec, self.file, self.added_commitments, self.overrides)

    def with_overrides(self, values: Mapping[str, Any]) -> Scenario:
        """The same scenario with command-line parameter values added (later ones win)."""
        merged = {**dict(self.overrides), **values}
        return Scenario(self.spec, self.file, self.added_commitments, tuple(sorted(merged.items())))


def evaluate(rules: CompiledRules, scenario: Scenario, *, explain: str = "full",
             params: dict[str, Any] | None = None,
             interpretations: tuple[str, ...] | None = None) -> Report:
    """Evaluate a scenario: the what-if and its baseline, and their difference.

    ``params`` and ``interpretations`` (from the command line) override the
    scenario's own."""
    return _evaluate(rules.program, scenario.case, explain=explain, params=params,
                     interpretations=interpretations)


def conclusions(rules: CompiledRules, scenario: Scenario, *, explain: str = "off"
                ) -> tuple[Outcome, World]:
    """The what-if's conclusions and the world they left (no baseline, no difference)."""
    return _conclusions(rules.program, scenario.case, explain=explain)
