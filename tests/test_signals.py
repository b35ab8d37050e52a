"""Ctrl-C and SIGTERM against long commands and their real worker processes (issue 16).

Each test starts the installed `cstosim` as a user would, waits until it is working (a
progress line, and for a pool its worker processes), sends a real signal and checks what a
user would: the documented exit code (130 for SIGINT, 143 for SIGTERM), a one-line note and
no traceback, no worker process left alive, and no output or temporary file left behind.
How fast it stops is measured in the report and benchmarks, not asserted here.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYUNIK = ROOT / "scenarios" / "syunik_gegharkunik_2021.yaml"
CSTOSIM = shutil.which("cstosim")
# about 300,000 variants: minutes of work, far more than any test waits for
LONG_SWEEP = ("--vary", "incident.killed=0..1000", "--vary", "incident.days_on_territory=1..300")
EXITS = {signal.SIGINT: 130, signal.SIGTERM: 143}


@pytest.fixture(autouse=True)
def interruptible() -> Iterator[None]:
    """Ctrl-C as in a terminal: a test run started in the background (``pytest &``) has
    SIGINT ignored, which its children inherit, and cstosim, like Python itself, keeps an
    ignored SIGINT ignored. A handler here is reset to the default in the child."""
    old = signal.getsignal(signal.SIGINT)
    if old is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        if old is signal.SIG_IGN:
            signal.signal(signal.SIGINT, old)


def children(pid: int) -> set[int]:
    """The live child processes of ``pid``, from /proc (zombies count as gone)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rpartition(")")[2].split()[:2]
        if int(ppid) == pid and state != "Z":
            found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


class Running:
    """A `cstosim` command in the background, its stderr collected as it comes."""

    def __init__(self, *args: str | Path, cwd: Path, group: bool = False) -> None:
        assert CSTOSIM is not None, "the `cstosim` console script is not on PATH"
        self.group = group
        self.proc = subprocess.Popen([CSTOSIM, *map(str, args)], cwd=cwd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, start_new_session=group)
        self.err = b""
        self.out = b""
        self._readers = [threading.Thread(target=self._read, args=(name,), daemon=True)
                         for name in ("err", "out")]
        for t in self._readers:
            t.start()

    def _read(self, name: str) -> None:
        stream = self.proc.stderr if name == "err" else self.proc.stdout
        assert stream is not None
        for chunk in iter(lambda: stream.read1(4096), b""):
            setattr(self, name, getattr(self, name) + chunk)

    def wait_for(self, text: bytes, workers: int = 0, timeout: float = 120) -> set[int]:
        """Wait until stderr shows ``text`` and ``workers`` child processes run; their pids."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.err.decode(errors="replace")
            kids = children(self.proc.pid)
            if text in self.err and len(kids) >= workers:
                return kids
            time.sleep(0.05)
        self.proc.kill()
        raise AssertionError(f"never saw {text!r}: {self.err.decode(errors='replace')}")

    def stop(self, sig: int) -> int:
        if self.group:  # what Ctrl-C in a terminal does: the whole foreground group
            os.killpg(self.proc.pid, sig)
        else:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=60)
        finally:
            self.proc.kill()
        for t in self._readers:
            t.join(timeout=5)
        return code


def assert_clean_stop(run: Running, code: int, sig: int, workers: set[int], folder: Path) -> None:
    stderr = run.err.decode(errors="replace")
    assert code == EXITS[sig], stderr
    assert "Traceback" not in stderr + run.out.decode(errors="replace"), stderr
    assert ("interrupted" if sig == signal.SIGINT else "terminated") in stderr
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if alive(w)], "a worker outlived the command"
    assert sorted(p.name for p in folder.iterdir()) == [], "an output or temporary file was left"


@pytest.mark.parametrize("group", [False, True], ids=["parent", "process-group"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_sweep_with_two_workers_stops_and_kills_them(tmp_path: Path, sig: int,
                                                       group: bool) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run = Running("sweep", SYUNIK, *LONG_SWEEP, "--workers", "2", "-f", "json",
                  "-o", out / "sweep.json", cwd=tmp_path, group=group)
    workers = run.wait_for(b"variants", workers=2)
    assert len(workers) >= 2
    assert_clean_stop(run, run.stop(sig), sig, workers, out)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_sweep_without_workers_stops(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run = Running("sweep", SYUNIK, *LONG_SWEEP, "--workers", "1", "-o", out / "sweep.txt",
                  cwd=tmp_path)
    run.wait_for(b"variants")
    assert_clean_stop(run, run.stop(sig), sig, set(), out)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_check_stops_and_writes_no_counterexample(tmp_path: Path, sig: int) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run = Running("check", "--examples", "100000", "--out", out, cwd=tmp_path)
    # check prints no progress line off a terminal; it is working once its two workers run
    workers = run.wait_for(b"checking ", workers=2)
    assert_clean_stop(run, run.stop(sig), sig, workers, out)
    assert not (tmp_path / ".hypothesis").exists()


def kill_a_worker(run: Running, workers: set[int], out: Path) -> str:
    """SIGKILL one worker, as the out-of-memory killer would; the command must end with exit 2,
    no traceback, no worker left and nothing written to ``out``. Returns its stderr."""
    os.kill(min(workers), signal.SIGKILL)
    code = run.proc.wait(timeout=60)
    for t in run._readers:
        t.join(timeout=5)
    stderr = run.err.decode(errors="replace")
    assert code == 2, stderr
    assert "Traceback" not in stderr
    deadline = time.monotonic() + 10
    while any(alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [w for w in workers if alive(w)]
    assert list(out.iterdir()) == []
    return stderr


def test_a_worker_that_dies_is_a_clean_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    run = Running("sweep", SYUNIK, *LONG_SWEEP, "--workers", "2", "-o", out / "sweep.txt",
                  cwd=tmp_path)
    workers = run.wait_for(b"variants", workers=2)
    stderr = kill_a_worker(run, workers, out)
    assert "error[worker_died]" in stderr and "hint:" in stderr


def test_a_scenario_deleted_while_the_sweep_runs_changes_nothing(tmp_path: Path) -> None:
    """The sweep evaluates the file it validated, read once: deleting it mid-run neither
    breaks the workers nor changes the result."""
    scenario = tmp_path / "syunik.yaml"
    shutil.copy(SYUNIK, scenario)
    vary = ("--vary", "incident.killed=0..3000", "--vary", "incident.days_on_territory=1,30")
    run = Running("sweep", scenario, *vary, "--workers", "2", "-f", "json",
                  "-o", tmp_path / "deleted.json", cwd=tmp_path)
    run.wait_for(b"variants", workers=2)
    scenario.unlink()
    code = run.proc.wait(timeout=120)
    for t in run._readers:
        t.join(timeout=5)
    stderr = run.err.decode(errors="replace")
    assert code == 0, stderr
    assert "Traceback" not in stderr
    assert CSTOSIM is not None
    whole = subprocess.run([CSTOSIM, "sweep", SYUNIK, *vary, "--workers", "2", "-f", "json"],
                           capture_output=True, check=True, timeout=120)
    assert (tmp_path / "deleted.json").read_bytes() == whole.stdout


def test_a_worker_that_finds_its_file_gone_reports_it(tmp_path: Path) -> None:
    """A worker that reads the files itself (started afresh, as Dask's are) reports a
    missing scenario as the located error the CLI shows, not a broken pool."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    from cstosim import sweep as sw
    from cstosim.api import load_scenario
    from cstosim.errors import CstosimError

    scenario = tmp_path / "syunik.yaml"
    shutil.copy(SYUNIK, scenario)
    compiled, sc = load_scenario(scenario)
    axes = (sw.parse_axis("incident.killed=0..20", compiled, sc),)
    scenario.unlink()
    job = sw.Job(None, str(scenario), (), axes)
    with (ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool,
          pytest.raises(CstosimError) as caught):
        sw.sweep(job, pool, chunk=8)
    assert caught.value.diagnostics[0].code == "file_not_found"


def test_an_interrupt_a_library_swallowed_is_raised_at_the_next_checkpoint(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """hypothesis, or a ``__del__``, can swallow the exception the signal handler raises;
    the signal is remembered, raised again from the progress callback, and a command that
    finishes anyway still exits 143, not 0."""
    import typer

    from cstosim import cli

    monkeypatch.setattr(cli, "_RECEIVED", [])
    cli._checkpoint()  # nothing received: nothing raised
    with contextlib.suppress(BaseException):  # what the swallowing library does
        cli._on_stop_signal(signal.SIGTERM, None)
    with pytest.raises(cli.Terminated):
        cli._checkpoint()
    with pytest.raises(typer.Exit) as done:
        cli._guard(lambda: 0)
    assert done.value.exit_code == 143
    seen: list[Any] = []
    quiet = cli._quiet_unraisable(seen.append)

    class Unraisable:
        def __init__(self, exc: BaseException) -> None:
            self.exc_value = exc

    quiet(Unraisable(cli.Terminated()))
    quiet(Unraisable(ValueError("kept")))
    assert [type(u.exc_value) for u in seen] == [ValueError]


def test_a_diagnostic_raised_in_a_worker_crosses_to_the_parent_whole() -> None:
    import pickle

    from cstosim.errors import CstosimError, Diagnostic, Location

    exc = CstosimError([Diagnostic("bad_sweep", Location("a.yaml", 3, 4), "m", "h")], omitted=5)
    back = pickle.loads(pickle.dumps(exc))
    assert back.diagnostics == exc.diagnostics and back.omitted == 5 and str(back) == str(exc)


def test_a_check_worker_that_dies_is_a_clean_error(tmp_path: Path) -> None:
    """`check` runs on the same pool as `sweep`: a killed worker ends the run with the same
    located error instead of leaving its shard waiting for ever."""
    out = tmp_path / "out"
    out.mkdir()
    run = Running("check", "--examples", "100000", "--jobs", "2", "--out", out, cwd=tmp_path)
    workers = run.wait_for(b"checking ", workers=2)
    stderr = kill_a_worker(run, workers, out)
    assert "error[worker_died]" in stderr and "check worker" in stderr and "hint:" in stderr
