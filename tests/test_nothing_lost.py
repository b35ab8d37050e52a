"""Nothing the user wrote is lost: `--output` writes atomically and never overwrites silently.

``cstosim run ... --output FILE`` goes through :func:`cstosim.output.write_atomic`: a temporary
file in the same folder, then one ``os.replace``. An existing file is replaced only with
``--force``; a failed or interrupted run leaves the old file byte for byte and no temporary
file behind.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from cstosim import output
from cstosim.errors import CstosimError
from cstosim.output import write_atomic

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "kazakhstan_2022.yaml"
BAD_SCENARIO = ROOT / "tests" / "catalogue" / "negative_days.yaml"
ORIGINAL = b"my own notes, not a report\n" + bytes(range(256))
CLI = shutil.which("cstosim")
TIMEOUT = 60


def cstosim(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert CLI is not None, "the `cstosim` command is not on PATH; install the package"
    return subprocess.run([CLI, *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=TIMEOUT, stdin=subprocess.DEVNULL)


def listing(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def assert_refused(proc: subprocess.CompletedProcess[str], code: str) -> None:
    detail = f"exit {proc.returncode}\nstdout: {proc.stdout}\nstderr: {proc.stderr}"
    assert proc.returncode == 2, detail
    assert f"error[{code}]" in proc.stderr and "\n  hint: " in proc.stderr, detail
    assert "Traceback" not in proc.stderr and proc.stdout == "", detail


# ---- through the CLI ----------------------------------------------------------------------------


def test_output_file_holds_exactly_what_stdout_would(tmp_path: Path) -> None:
    plain = cstosim("run", SCENARIO, "--format", "json", cwd=tmp_path)
    assert plain.returncode == 0, plain.stderr
    written = cstosim("run", SCENARIO, "--format", "json", "--output", "report.json", cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert written.stdout == ""
    assert (tmp_path / "report.json").read_text(encoding="utf-8") == plain.stdout
    assert listing(tmp_path) == ["report.json"]


def test_existing_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(ORIGINAL)
    proc = cstosim("run", SCENARIO, "--output", "report.json", cwd=tmp_path)
    assert_refused(proc, "file_exists")
    assert "report.json" in proc.stderr and "--force" in proc.stderr
    assert target.read_bytes() == ORIGINAL
    assert listing(tmp_path) == ["report.json"]


def test_force_replaces_the_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_bytes(ORIGINAL)
    proc = cstosim("run", SCENARIO, "--format", "markdown", "--output", target, "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    plain = cstosim("run", SCENARIO, "--format", "markdown", cwd=tmp_path)
    assert target.read_text(encoding="utf-8") == plain.stdout
    assert listing(tmp_path) == ["report.md"]


@pytest.mark.parametrize("force", [False, True], ids=["new-file", "forced-over-old-file"])
def test_failed_run_writes_nothing(tmp_path: Path, force: bool) -> None:
    target = tmp_path / "report.json"
    if force:
        target.write_bytes(ORIGINAL)
    proc = cstosim("run", BAD_SCENARIO, "--output", target, *(["--force"] if force else []), cwd=tmp_path)
    assert_refused(proc, "wrong_value")
    if force:
        assert target.read_bytes() == ORIGINAL
        assert listing(tmp_path) == ["report.json"]
    else:
        assert listing(tmp_path) == []


def test_output_to_a_missing_folder_or_a_directory_is_refused(tmp_path: Path) -> None:
    assert_refused(cstosim("run", SCENARIO, "--output", "no/such/folder/r.json", cwd=tmp_path),
                   "file_not_found")
    (tmp_path / "reports").mkdir()
    assert_refused(cstosim("run", SCENARIO, "--output", "reports", cwd=tmp_path), "not_a_file")
    assert listing(tmp_path) == ["reports"] and listing(tmp_path / "reports") == []


def test_output_that_cannot_be_created_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    # Longer than any file name the file system allows (255 bytes).
    name = "r" * 295 + ".json"
    proc = cstosim("run", SCENARIO, "--output", name, cwd=tmp_path)
    detail = f"exit {proc.returncode}\nstderr: {proc.stderr[-2000:]}"
    assert "Traceback" not in proc.stderr, detail
    assert proc.returncode == 2 and "error[" in proc.stderr and "\n  hint: " in proc.stderr, detail
    assert listing(tmp_path) == []


# A real `cstosim run --output report.json --force` process that is interrupted by a real signal
# half-way through writing its output: the file object writes half the text, then the process
# signals itself.
HARNESS = textwrap.dedent("""\
    import os, signal, sys

    SIGNAL, SCENARIO = getattr(signal, sys.argv[1]), sys.argv[2]
    real_fdopen = os.fdopen

    class HalfThenSignal:
        def __init__(self, fh):
            self.fh = fh
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            self.fh.close()
            return False
        def __getattr__(self, name):
            return getattr(self.fh, name)
        def write(self, text):
            self.fh.write(text[: len(text) // 2])
            self.fh.flush()
            os.kill(os.getpid(), SIGNAL)
            return self.fh.write(text[len(text) // 2:])

    os.fdopen = lambda *a, **k: HalfThenSignal(real_fdopen(*a, **k))
    sys.argv = ["cstosim", "run", SCENARIO, "--output", "report.json", "--force"]
    from cstosim.cli import entry
    entry()
""")


def _interrupted_run(tmp_path: Path, signame: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "report.json").write_bytes(ORIGINAL)
    (tmp_path.parent / f"harness_{signame}.py").write_text(HARNESS, encoding="utf-8")
    return subprocess.run([sys.executable, str(tmp_path.parent / f"harness_{signame}.py"), signame,
                           str(SCENARIO)], cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)


def test_ctrl_c_during_the_write_keeps_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    proc = _interrupted_run(tmp_path, "SIGINT")
    assert proc.returncode == 130, proc.stderr
    assert "interrupted" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert (tmp_path / "report.json").read_bytes() == ORIGINAL
    assert listing(tmp_path) == ["report.json"]


def test_sigterm_during_the_write_keeps_the_old_file_and_no_temp_file(tmp_path: Path) -> None:
    proc = _interrupted_run(tmp_path, "SIGTERM")
    assert proc.returncode != 0
    assert (tmp_path / "report.json").read_bytes() == ORIGINAL
    assert listing(tmp_path) == ["report.json"], "a `kill` (SIGTERM) left a temporary file behind"


# ---- write_atomic in-process ----------------------------------------------------------------------


def test_write_goes_through_one_temp_file_and_one_rename(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.txt"
    target.write_bytes(ORIGINAL)
    renames: list[tuple[Path, Path]] = []
    real_replace = os.replace

    def spy(src: Any, dst: Any) -> None:
        # Until the rename, a reader sees the old file; the new text is complete beforehand.
        assert target.read_bytes() == ORIGINAL
        assert Path(src).read_text(encoding="utf-8") == "the new report\n"
        renames.append((Path(src), Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(output.os, "replace", spy)
    write_atomic(target, "the new report\n", force=True)
    assert len(renames) == 1
    src, dst = renames[0]
    assert dst == target
    assert src.parent == tmp_path and src.name.startswith(".cstosim-") and src.suffix == ".tmp"
    assert target.read_text(encoding="utf-8") == "the new report\n"
    assert listing(tmp_path) == ["report.txt"]


class _Failing:
    """A file object that writes part of the text and then fails the way ``error`` says."""

    def __init__(self, fh: Any, error: BaseException) -> None:
        self.fh, self.error = fh, error

    def __enter__(self) -> _Failing:
        return self

    def __exit__(self, *exc: object) -> bool:
        self.fh.close()
        return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.fh, name)

    def write(self, text: str) -> int:
        self.fh.write(text[: len(text) // 2])
        self.fh.flush()
        raise self.error


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError(28, "No space left on device")],
                         ids=["ctrl-c", "disk-full"])
@pytest.mark.parametrize("existing", [True, False], ids=["replacing", "new"])
def test_interrupted_write_leaves_the_old_file_and_no_temp_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: BaseException, existing: bool) -> None:
    target = tmp_path / "report.json"
    if existing:
        target.write_bytes(ORIGINAL)
    real_fdopen = os.fdopen
    monkeypatch.setattr(output.os, "fdopen", lambda *a, **k: _Failing(real_fdopen(*a, **k), error))
    # A disk error becomes a located user error (exit 2); an interrupt goes on up.
    with pytest.raises(CstosimError if isinstance(error, OSError) else type(error)):
        write_atomic(target, "x" * 100_000, force=True)
    monkeypatch.undo()
    assert listing(tmp_path) == (["report.json"] if existing else [])
    if existing:
        assert target.read_bytes() == ORIGINAL


def test_interrupt_after_the_temp_file_is_written_still_cleans_up(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    target.write_bytes(ORIGINAL)

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(output.os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, "complete text\n", force=True)
    monkeypatch.undo()
    assert target.read_bytes() == ORIGINAL
    assert listing(tmp_path) == ["report.json"]



# ---- putting a new file in place without replacing anything, on every kind of file system -----

def _no_renameat2(src: Any, dst: Any) -> None:
    raise OSError(errno.ENOSYS, "Function not implemented")


def _no_links(src: Any, dst: Any) -> None:
    raise OSError(errno.EPERM, "Operation not permitted")  # what FAT answers


STRATEGIES = ["renameat2", "link", "reserve"]


def _use(strategy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make write_atomic take the given way, as on a file system that lacks the others."""
    if strategy == "renameat2" and output._RENAMEAT2 is None:
        pytest.fail("renameat2 is not available here; the CI machine is Linux with glibc 2.28+")
    if strategy in ("link", "reserve"):
        monkeypatch.setattr(output, "rename_noreplace", _no_renameat2)
    if strategy == "reserve":
        monkeypatch.setattr(output.os, "link", _no_links)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_new_file_is_whole_and_leaves_no_temporary_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str) -> None:
    _use(strategy, monkeypatch)
    target = tmp_path / "report.json"
    write_atomic(target, "the whole report\n" * 1000)
    assert target.read_text(encoding="utf-8") == "the whole report\n" * 1000
    assert listing(tmp_path) == ["report.json"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~output._umask()


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("existing", ["file", "dangling-symlink"])
def test_nothing_that_exists_is_replaced_without_force(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str, existing: str) -> None:
    _use(strategy, monkeypatch)
    target = tmp_path / "report.json"
    if existing == "file":
        target.write_bytes(ORIGINAL)
    else:
        target.symlink_to(tmp_path / "nowhere")
    # the check before writing sees it; so does the step that puts the file in place, which
    # is what matters when another process creates the name in between
    monkeypatch.setattr(output, "_check_target", lambda *a: None)
    with pytest.raises(CstosimError) as caught:
        write_atomic(target, "new\n")
    assert caught.value.diagnostics[0].code == "file_exists"
    assert listing(tmp_path) == ["report.json"]
    if existing == "file":
        assert target.read_bytes() == ORIGINAL
    else:
        assert target.is_symlink() and os.readlink(target) == str(tmp_path / "nowhere")


def _race(target: str, text: str, barrier: Any, results: Any) -> None:
    barrier.wait()
    try:
        write_atomic(target, text)
        results.put(text)
    except CstosimError as exc:
        results.put(exc.diagnostics[0].code)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_concurrent_writers_never_both_succeed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, strategy: str) -> None:
    """Real processes, started together, writing the same new name: exactly one wins, the
    file holds its whole text, the others get `file_exists`, and no temporary file is left."""
    import multiprocessing

    _use(strategy, monkeypatch)
    ctx = multiprocessing.get_context("fork")  # the children keep the strategy patched in
    for round_ in range(6):
        target = tmp_path / f"same{round_}.json"
        writers = 6
        barrier, results = ctx.Barrier(writers), ctx.Queue()
        texts = [f"writer {i}\n" * 20_000 for i in range(writers)]
        procs = [ctx.Process(target=_race, args=(str(target), t, barrier, results)) for t in texts]
        for p in procs:
            p.start()
        outcomes = [results.get(timeout=60) for _ in procs]
        for p in procs:
            p.join(timeout=60)
            assert p.exitcode == 0
        won = [o for o in outcomes if o != "file_exists"]
        assert len(won) == 1, outcomes
        assert target.read_text(encoding="utf-8") == won[0]
    assert listing(tmp_path) == sorted(f"same{r}.json" for r in range(6))


def test_the_reserved_name_is_removed_when_the_rename_fails(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _use("reserve", monkeypatch)
    target = tmp_path / "report.json"

    def failing(src: Any, dst: Any) -> None:
        assert target.exists() and target.stat().st_size == 0  # the placeholder, empty
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(output.os, "replace", failing)
    with pytest.raises(CstosimError) as caught:
        write_atomic(target, "new\n")
    assert caught.value.diagnostics[0].code == "cannot_write"
    assert listing(tmp_path) == []


def test_a_placeholder_someone_replaced_is_left_to_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The weak spot of the last way, checked: if another process puts its own file over the
    reserved name before the rename, cstosim leaves it and reports the name taken."""
    _use("reserve", monkeypatch)
    target = tmp_path / "report.json"
    real_lstat = os.lstat

    def meanwhile(path: Any, *a: Any, **k: Any) -> os.stat_result:
        if Path(path) == target and target.exists() and target.stat().st_size == 0:
            other = tmp_path / "other"
            other.write_bytes(ORIGINAL)
            os.rename(other, target)  # someone else's --force write
        return real_lstat(path, *a, **k)

    monkeypatch.setattr(output.os, "lstat", meanwhile)
    with pytest.raises(CstosimError) as caught:
        write_atomic(target, "new\n")
    monkeypatch.undo()
    assert caught.value.diagnostics[0].code == "file_exists"
    assert target.read_bytes() == ORIGINAL
    assert listing(tmp_path) == ["report.json"]
