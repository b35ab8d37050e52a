"""Every input the fuzzer once crashed on now ends in a result or a clear error (exit 0 or 2)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

CRASHES = sorted((Path(__file__).parent / "fuzz_crashes").glob("*.yaml"))


def test_the_crash_folder_is_not_empty() -> None:
    assert CRASHES


@pytest.mark.parametrize("path", CRASHES, ids=lambda p: p.stem)
@pytest.mark.parametrize("command", ["validate", "run"])
def test_former_crash_is_handled(path: Path, command: str, tmp_path: Path) -> None:
    target = tmp_path / "input.yaml"
    target.write_bytes(path.read_bytes())
    done = subprocess.run(["cstosim", command, str(target)], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path, check=False)
    assert done.returncode in (0, 1, 2), done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    if done.returncode == 2:
        assert "error[" in done.stderr and "hint:" in done.stderr
        # every line named is one the user's editor shows (the end-of-file mark may be one past)
        lines = target.read_bytes().count(b"\n") + 1
        for named in re.findall(r"input\.yaml:(\d+):", done.stderr):
            assert int(named) <= lines + 1, done.stderr[-2000:]
