"""Shared fixtures and hypothesis profiles.

Profiles: ``dev`` (default, fast) and ``ci`` (thorough, derandomized), chosen
with the HYPOTHESIS_PROFILE environment variable; ``.ci/run`` sets ``ci``.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

import cstosim
from cstosim.compile import CompiledRules

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

# The suite never reads or fills the user's own cache (cstosim.cache): its entries go to a
# folder of this run, inherited by the commands the tests start, and removed at the end.
_CACHE = tempfile.mkdtemp(prefix="cstosim-test-cache-")
os.environ["CSTOSIM_CACHE_DIR"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, True)

settings.register_profile("dev", max_examples=50, deadline=None)
settings.register_profile("ci", max_examples=300, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(scope="session")
def rules() -> CompiledRules:
    """The bundled default rules, compiled once."""
    return cstosim.load_rules()


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def python() -> str:
    return sys.executable


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", default=False,
                     help="rewrite tests/golden/*.out from the current output instead of comparing")
