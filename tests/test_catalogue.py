"""The bad-input catalogue, run through the installed CLI exactly as a user would.

Every case in ``tests/catalogue/cases.yaml`` is one file (or one file the test builds in tmp:
a 16 MiB file, a FIFO, ...). Each runs as ``cstosim validate FILE`` or ``cstosim run FILE`` in
a subprocess whose cwd is a temporary folder holding a copy of the case. An error case must
exit 2 with ``FILE:LINE:COLUMN: error[CODE]`` (or ``FILE: error[CODE]``) and a ``hint:`` line
on stderr, no traceback and nothing on stdout, within ``TIMEOUT`` seconds. A hang is a
subprocess timeout (a failure), not a timed assertion; memory is capped so that a blow-up
fails the case instead of the machine.

The CLI takes about half a second to start, so the selected cases run a few at a time in
a module fixture and each test checks its own outcome.
"""

from __future__ import annotations

import contextlib
import os
import resource
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

CATALOGUE = Path(__file__).resolve().parent / "catalogue"
CASES: dict[str, Any] = yaml.safe_load((CATALOGUE / "cases.yaml").read_text(encoding="utf-8"))
ERRORS: list[dict[str, Any]] = CASES["errors"]
OK: list[dict[str, Any]] = CASES["ok"]
TIMEOUT = 20.0
MEMORY_CAP = 2 << 30  # bytes of address space per CLI process; cstosim needs well under 1 GiB
WORKERS = 4
MAX_BYTES = 16 * 1024 * 1024  # cstosim.load.Limits.max_bytes

CLI = shutil.which("cstosim")


@dataclass(frozen=True)
class Outcome:
    args: tuple[str, ...]
    cwd: Path
    returncode: int | None  # None: timed out
    stdout: str
    stderr: str


def _case_id(case: dict[str, Any]) -> str:
    return str(case["file"]).removesuffix(".yaml")


def run_capped(cmd: list[str], cwd: Path, timeout: float) -> tuple[int | None, bytes, bytes]:
    """Run ``cmd`` with its address space capped; return (exit code or None on timeout, out, err).

    The cap is set on the child right after it starts (``preexec_fn`` is unsafe with threads);
    a Python process needs well over a millisecond before it could allocate that much.
    """
    with subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        with contextlib.suppress(ProcessLookupError):
            resource.prlimit(proc.pid, resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))
        try:
            out, err = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            return None, out, err
        return proc.returncode, out, err


def _generate(kind: str, path: Path) -> None:
    """Build the inputs that are not committed (too big, or not regular files)."""
    if kind == "huge":
        head = b"cstosim: 1\nname: huge\nas_of: 2021-07-03\n"
        pad = b"# padding line to push the file over the size limit\n"
        body = head + pad * ((MAX_BYTES - len(head)) // len(pad) + 1)
        path.write_bytes(body[: MAX_BYTES + 1])
        assert path.stat().st_size == MAX_BYTES + 1
    elif kind == "directory":
        path.mkdir()
        (path / "inside.yaml").write_text("cstosim: 1\n", encoding="utf-8")
    elif kind == "absent":
        assert not path.exists()
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "dev_zero":
        path.symlink_to("/dev/zero")
    elif kind == "backtrack":
        text = (CATALOGUE / "minimal_rules.yaml").read_text(encoding="utf-8")
        old = "when: classification.label == aggression\n"
        assert text.count(old) == 1
        path.write_text(text.replace(old, "when: 'classification.label == aggression"
                                          + " " * 200_000 + "x'\n"), encoding="utf-8")
    elif kind == "unknown_states":  # 5,000 applications, each from a state that does not exist
        import itertools
        import string

        from cstosim.model import _sorted_alpha3

        known = set(_sorted_alpha3())
        codes = ("".join(c) for c in itertools.product(string.ascii_uppercase, repeat=3))
        unknown = itertools.islice((c for c in codes if c not in known), 5_000)
        lines = ["cstosim: 1", "name: many unknown applicants", "as_of: 2021-07-03", "events:"]
        lines += [f"  - application: {{id: a{i}, state: {c}, body: PA_CSTO, tier: partner, "
                  "date: 2021-07-01}" for i, c in enumerate(unknown)]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        raise AssertionError(f"unknown generator {kind!r}")


def _prepare(case: dict[str, Any], folder: Path) -> list[str]:
    """Copy (or build) the case into ``folder`` and return the CLI arguments."""
    name = case["file"]
    if "generate" in case:
        _generate(case["generate"], folder / name)
    else:
        shutil.copyfile(CATALOGUE / name, folder / name)
    # Scenarios may name `rules: minimal_rules.yaml`; `--rules` names another catalogue file.
    shutil.copyfile(CATALOGUE / "minimal_rules.yaml", folder / "minimal_rules.yaml")
    args = [case["command"], name]
    if case.get("twice"):
        args.append(f"./{name}")
    if "rules" in case:
        if not (folder / case["rules"]).exists():
            shutil.copyfile(CATALOGUE / case["rules"], folder / case["rules"])
        args += ["--rules", case["rules"]]
    return args


def _run(case: dict[str, Any], folder: Path) -> Outcome:
    assert CLI is not None
    args = _prepare(case, folder)
    code, out, err = run_capped([CLI, *args], folder, TIMEOUT)
    return Outcome(tuple(args), folder, code, _text(out), _text(err))


def _text(data: bytes | str | None) -> str:
    if data is None:
        return ""
    return data if isinstance(data, str) else data.decode("utf-8", "replace")


@pytest.fixture(scope="module")
def outcomes(request: pytest.FixtureRequest,
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Run every selected case (a few at a time) once; tests look up their own outcome."""
    assert CLI is not None, "the `cstosim` command is not on PATH; install the package"
    wanted: dict[str, dict[str, Any]] = {}
    for item in request.session.items:
        callspec = getattr(item, "callspec", None)
        if item.module is request.module and callspec is not None and "case" in callspec.params:
            case = callspec.params["case"]
            wanted[_case_id(case)] = case
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        futures = {key: pool.submit(_run, case, tmp_path_factory.mktemp(key))
                   for key, case in wanted.items()}
        yield {key: f.result() for key, f in futures.items()}


def _describe(out: Outcome) -> str:
    return (f"`cstosim {' '.join(out.args)}` in {out.cwd}: exit {out.returncode}\n"
            f"--- stdout ---\n{out.stdout[-2000:]}\n--- stderr ---\n{out.stderr[-3000:]}")


@pytest.mark.parametrize("case", ERRORS, ids=_case_id)
def test_bad_input_is_reported(case: dict[str, Any], outcomes: dict[str, Outcome]) -> None:
    out = outcomes[_case_id(case)]
    if out.returncode is None:
        pytest.fail(f"timed out after {TIMEOUT:.0f} s (hang or runaway work)\n{_describe(out)}")
    where = case.get("location_file", case["file"])
    expected = (f"{where}:{case['line']}:{case['column']}: error[{case['code']}]" if case["line"]
                else f"{where}: error[{case['code']}]")
    assert "Traceback" not in out.stderr, _describe(out)
    assert out.returncode == 2, _describe(out)
    assert expected in out.stderr, f"expected `{expected}`\n{_describe(out)}"
    assert "\n  hint: " in out.stderr, _describe(out)
    if "hint" in case:
        hints = [line for line in out.stderr.splitlines() if line.startswith("  hint: ")]
        assert any(case["hint"] in h for h in hints), f"no hint mentions `{case['hint']}`\n{_describe(out)}"
    assert out.stdout == "", _describe(out)
    if "marker" in case:
        assert not (out.cwd / case["marker"]).exists(), "a YAML tag executed a command"


@pytest.mark.parametrize("case", OK, ids=_case_id)
def test_good_input_succeeds(case: dict[str, Any], outcomes: dict[str, Outcome]) -> None:
    out = outcomes[_case_id(case)]
    assert out.returncode == 0, _describe(out)
    assert "Traceback" not in out.stderr and "error[" not in out.stderr, _describe(out)
    assert out.stdout.strip(), _describe(out)


def test_catalogue_is_complete() -> None:
    """Every committed file is a listed case (or a file cases refer to), and vice versa."""
    listed = {c["file"] for c in ERRORS + OK if "generate" not in c}
    listed |= {c["rules"] for c in ERRORS + OK if "rules" in c}
    on_disk = {p.name for p in CATALOGUE.iterdir()} - {"cases.yaml"}
    assert listed == on_disk, (sorted(listed - on_disk), sorted(on_disk - listed))
    assert len(ERRORS) >= 45
    assert len({_case_id(c) for c in ERRORS + OK}) == len(ERRORS + OK), "case file names repeat"
    for case in ERRORS:
        assert case["command"] in ("run", "validate"), case
        assert isinstance(case["line"], int) and isinstance(case["column"], int), case
        assert (case["line"] == 0) == (case["column"] == 0), case
        assert case["code"].replace("_", "").isalnum() and case["code"].islower(), case
