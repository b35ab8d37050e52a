"""The compiled-rules cache (cstosim.cache): a hit is the same as compiling, and nothing but
an entry this user's cache wrote for exactly this input is ever unpickled."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, SCENARIOS

from cstosim import cache
from cstosim.api import evaluate, load_rules, load_scenario
from cstosim.compiled import DEFAULT_RULES, CompiledRules
from cstosim.render.json import dumps, report_json

SEED = ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml"


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("CSTOSIM_CACHE_DIR", str(folder))
    monkeypatch.delenv("CSTOSIM_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "_disabled", False)
    return folder


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("rules-*.bin")) if folder.is_dir() else []


def _unpickled(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the payloads the cache unpickles."""
    calls: list[int] = []
    real = cache._OwnTypes.load

    def counting(self: Any) -> Any:
        calls.append(1)
        return real(self)

    monkeypatch.setattr(cache._OwnTypes, "load", counting)
    return calls


def _report(rules: CompiledRules, path: Path) -> str:
    return dumps(report_json(evaluate(*load_scenario(path, rules), explain="full")))


def test_a_hit_gives_the_same_reports_as_compiling(cache_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_rules()
    assert len(_entries(cache_dir)) == 1
    calls = _unpickled(monkeypatch)
    second = load_rules()
    assert calls == [1], "the second load did not come from the cache"
    assert second is not first
    monkeypatch.setenv("CSTOSIM_NO_CACHE", "1")
    fresh = load_rules()
    assert len(calls) == 1
    for path in SCENARIOS:
        assert _report(second, path) == _report(fresh, path), path.name


def test_a_corrupted_entry_is_ignored_and_rebuilt(cache_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    load_rules()
    (entry,) = _entries(cache_dir)
    blob = bytearray(entry.read_bytes())
    blob[len(blob) // 2] ^= 0xFF  # one flipped byte in the pickle
    entry.write_bytes(bytes(blob))
    calls = _unpickled(monkeypatch)
    rules = load_rules()
    assert calls == [], "a corrupted entry was unpickled"
    assert _report(rules, SEED) == _report(load_rules(), SEED)
    assert entry.read_bytes() != bytes(blob), "the corrupted entry was not replaced"
    assert len(calls) == 1  # the replacement is trusted again


def test_a_truncated_entry_is_ignored(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_rules()
    (entry,) = _entries(cache_dir)
    entry.write_bytes(entry.read_bytes()[:40])
    calls = _unpickled(monkeypatch)
    assert isinstance(load_rules(), CompiledRules)
    assert calls == []


class _Planted:
    """What a foreign pickle would run on load: it creates a marker file."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def _write_entry(entry: Path, key: bytes, payload: bytes, secret: bytes) -> None:
    import hashlib
    import hmac

    mac = hmac.new(secret, key + payload, hashlib.sha256).digest()
    entry.write_bytes(cache.FORMAT + mac + payload)


def test_a_foreign_entry_is_never_unpickled(cache_dir: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    load_rules()
    (entry,) = _entries(cache_dir)
    marker = tmp_path / "pwned"
    payload = pickle.dumps(_Planted(marker))
    key = _key_of(entry)
    # Written by someone without this cache's secret (another user, another machine).
    _write_entry(entry, key, payload, os.urandom(32))
    calls = _unpickled(monkeypatch)
    rules = load_rules()
    assert calls == [] and not marker.exists()
    assert isinstance(rules, CompiledRules)
    # Even a payload under the right secret may name only cstosim's own types.
    _write_entry(entry, key, payload, (cache_dir / "secret").read_bytes())
    rules = load_rules()
    assert calls == [1], "the forged entry should have reached the restricted unpickler"
    assert not marker.exists(), "a foreign class was loaded from the cache"
    assert isinstance(rules, CompiledRules)


def _key_of(entry: Path) -> bytes:
    """The full key of the bundled rules' entry (as cstosim.cache computes it)."""
    import hashlib

    from cstosim.api import _near

    p = _near(DEFAULT_RULES)
    content = str(p).encode() + b"\0" + p.read_bytes()
    key = hashlib.sha256(cache._fingerprint() + hashlib.sha256(content).digest()).digest()
    assert entry.name == f"rules-{key.hex()[:40]}.bin"
    return key


def test_an_entry_of_the_wrong_type_is_rebuilt(cache_dir: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    load_rules()
    (entry,) = _entries(cache_dir)
    _write_entry(entry, _key_of(entry), pickle.dumps(("not", "rules")),
                 (cache_dir / "secret").read_bytes())
    assert isinstance(load_rules(), CompiledRules)


def test_an_edited_rules_file_is_compiled_again(cache_dir: Path, tmp_path: Path) -> None:
    copy = tmp_path / "rules.yaml"
    text = DEFAULT_RULES.read_text(encoding="utf-8")
    copy.write_text(text, encoding="utf-8")
    before = load_rules(copy)
    assert "occupation_min_days" in before.params
    edited = text.replace("name:", "name: edited", 1) if "\nname:" not in text else text.replace(
        "\nname:", "\nname: Edited", 1)
    copy.write_text(edited, encoding="utf-8")
    after = load_rules(copy)
    assert after.program.name != before.program.name
    assert len(_entries(cache_dir)) == 2


def test_an_unwritable_cache_directory_still_works(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("CSTOSIM_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("CSTOSIM_NO_CACHE", raising=False)
    assert isinstance(load_rules(), CompiledRules)
    env = {**os.environ, "CSTOSIM_CACHE_DIR": str(blocker / "cache")}
    proc = subprocess.run([sys.executable, "cli.py", "run", str(SEED)], capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "syunik" in proc.stdout.lower()


@pytest.mark.parametrize("how", ["--no-cache", "CSTOSIM_NO_CACHE=1"])
def test_no_cache_writes_nothing(tmp_path: Path, how: str) -> None:
    folder = tmp_path / "cache"
    env = {**os.environ, "CSTOSIM_CACHE_DIR": str(folder)}
    env.pop("CSTOSIM_NO_CACHE", None)
    args = [sys.executable, "cli.py"]
    if how == "--no-cache":
        args.append("--no-cache")
    else:
        env["CSTOSIM_NO_CACHE"] = "1"
    proc = subprocess.run([*args, "run", str(SEED)], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    assert not folder.exists(), sorted(folder.rglob("*"))
    # The same command with the cache on fills it, and prints the same report.
    env.pop("CSTOSIM_NO_CACHE", None)
    again = subprocess.run([sys.executable, "cli.py", "run", str(SEED)], capture_output=True,
                           text=True, env=env, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL)
    assert again.returncode == 0, again.stderr
    assert _entries(folder)
    assert again.stdout == proc.stdout


def test_the_secret_is_private(cache_dir: Path) -> None:
    load_rules()
    mode = (cache_dir / "secret").stat().st_mode & 0o777
    assert mode == 0o600
