"""A short, repeatable run of the fuzzer's mutation strategy (see tests/fuzz.py), in-process.

Each example is a shipped scenario or rules.yaml with one to four mutations. Loading,
validating, compiling, evaluating and rendering it must either succeed or raise CstosimError
with sound diagnostics (a hint, a location inside the file); never another exception, never
slower than the fuzzer's hang bound, and a YAML tag must never run code.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from fuzz import MARKER, Mutated, mutated_inputs, run_library
from hypothesis import HealthCheck, Phase, given, settings


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_smoke")


@settings(max_examples=100, deadline=None, derandomize=True, database=None,
          phases=[Phase.generate], suppress_health_check=list(HealthCheck))
@given(m=mutated_inputs())
def test_mutated_input_succeeds_or_fails_cleanly(m: Mutated, workdir: Path) -> None:
    with contextlib.chdir(workdir):  # where a code-executing tag would drop its marker
        verdict = run_library(m, workdir)
    assert not (workdir / MARKER).exists()
    finding = verdict.finding
    assert finding is None, (f"{finding.signature} on {m.seed.name} mutated by "
                             f"{'; '.join(m.ops)}\n{finding.detail}")
