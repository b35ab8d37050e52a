"""Writing files without losing anything: atomic create or replace, never a silent overwrite.

Used by the CLI for ``--output``, counterexamples and templates; evaluation itself
never writes.

The rules, for every file cstosim writes:

- the text goes to a temporary file in the target's folder first, so a reader never
  sees a half-written file and an interrupted write leaves nothing behind;
- without ``force`` the temporary file is *linked* into place (``os.link``), which the
  operating system refuses atomically when any entry of that name exists, so two
  concurrent writers cannot both succeed and nothing is ever replaced;
- with ``force`` it is renamed over the target (``os.replace``); a symlink is replaced
  itself, never followed;
- never, even with ``force``: a folder, a device, a FIFO or socket (or a symlink to one),
  or a file the same command reads (``inputs``).
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cstosim.errors import CstosimError, Diagnostic, Location


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _shown(target: Path) -> str:
    return os.fsdecode(target).encode("utf-8", "backslashreplace").decode("utf-8")[:200]


def _refuse(code: str, target: Path, message: str, hint: str) -> CstosimError:
    return CstosimError([Diagnostic(code, Location(_shown(target)), message, hint)])


def _cannot(target: Path, exc: OSError, hint: str) -> CstosimError:
    name = _shown(Path(target.name))[:80]
    return _refuse("cannot_write", target, f"cannot write `{name}`: {exc.strerror}", hint)


def _exists(target: Path) -> CstosimError:
    return _refuse("file_exists", target, f"`{_shown(target)}` already exists and would be "
                   "overwritten", "choose another name, or pass `--force` to replace it")


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def _check_target(target: Path, force: bool, inputs: Iterable[str | os.PathLike[str]]) -> None:
    try:
        link = os.lstat(target)
    except FileNotFoundError:
        link = None
    except OSError as exc:  # e.g. ELOOP, ENAMETOOLONG, EACCES on a parent
        raise _cannot(target, exc, "choose another file name or folder") from None
    try:
        seen: os.stat_result | None = os.stat(target)
    except OSError:
        seen = None  # absent, or a dangling or looping symlink
    if seen is not None and stat.S_ISDIR(seen.st_mode):
        raise _refuse("not_a_file", target, f"`{_shown(target)}` is a directory",
                      "name a file to write")
    if seen is not None and not stat.S_ISREG(seen.st_mode):
        raise _refuse("not_a_file", target, f"`{_shown(target)}` is a device, FIFO or socket, "
                      "not a regular file", "name a regular file to write; cstosim never "
                      "writes onto a device, even with `--force`")
    for path in inputs:
        try:
            if seen is not None and _same_file(seen, os.stat(path)):
                raise _refuse("output_is_input", target, f"`{_shown(target)}` is also an input "
                              "of this command", "write to another file; cstosim never replaces "
                              "a file it reads, even with `--force`")
        except OSError:
            continue
    if link is not None and not force:
        raise _exists(target)
    if not target.parent.is_dir():
        raise _refuse("file_not_found", target, f"the folder `{_shown(target.parent)}` does not "
                      "exist", "create the folder first")


def write_atomic(path: str | os.PathLike[str], text: str, *, force: bool = False,
                 inputs: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Write ``text`` to ``path``: created atomically, replaced only with ``force``.

    See the module docstring for the rules. The new file gets the mode a plain
    ``open`` would give it, or the mode of the regular file it replaces.
    """
    target = Path(path)
    _check_target(target, force, list(inputs))
    try:
        old = os.lstat(target) if force else None
    except OSError:
        old = None
    mode = old.st_mode & 0o7777 if old is not None and stat.S_ISREG(old.st_mode) \
        else 0o666 & ~_umask()
    try:
        fd, tmp = tempfile.mkstemp(prefix=".cstosim-", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # e.g. a name too long for the file system, or no permission
        raise _cannot(target, exc, "choose another file name or folder") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        if force:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # fails if anything of that name appeared meanwhile
            except FileExistsError:
                raise _exists(target) from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP):
                    raise
                # a file system without hard links: exclusive create, then copy
                with open(target, "x", encoding="utf-8", newline="\n") as fh:
                    fh.write(text)
            Path(tmp).unlink(missing_ok=True)
    except FileExistsError:
        Path(tmp).unlink(missing_ok=True)
        raise _exists(target) from None
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot(target, exc, "check the folder's permissions and free space") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
