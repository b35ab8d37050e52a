"""Writing files without losing anything: atomic create or replace, never a silent overwrite.

Used by the CLI for ``--output``, counterexamples and templates; evaluation itself
never writes.

The rules, for every file cstosim writes:

- the text goes to a temporary file in the target's folder first, so a reader never
  sees a half-written file and an interrupted write leaves nothing behind;
- without ``force`` the temporary file is moved into place by an operation the operating
  system refuses atomically when any entry of that name exists (below), so two concurrent
  writers cannot both succeed and nothing is ever replaced;
- with ``force`` it is renamed over the target (``os.replace``); a symlink is replaced
  itself, never followed;
- never, even with ``force``: a folder, a device, a FIFO or socket (or a symlink to one),
  or a file the same command reads (``inputs``).

Without ``force``, the first of these the file system supports puts the file in place:

1. ``renameat2(..., RENAME_NOREPLACE)`` (Linux 3.15+, glibc 2.28+; ext4, xfs, btrfs, tmpfs):
   one atomic step; the name holds nothing or the whole text;
2. ``os.link`` then removing the temporary name (POSIX): the same guarantee;
3. where neither exists (FAT, exFAT, some FUSE and network file systems): the name is
   *reserved* by an exclusive create (``O_CREAT | O_EXCL``), which fails if anything of that
   name exists, and the complete temporary file is renamed over that empty placeholder, after
   checking that the name still holds the placeholder. Two concurrent writers still cannot
   both succeed, and no file that existed before is replaced. Weaker than 1 and 2 in two ways:
   a reader may see the name empty for the moment between the two steps (never part of the
   text), and a process that deletes or force-replaces the placeholder between the check and
   the rename (microseconds) would have its file replaced.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

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


_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
_NO_SUPPORT = (errno.ENOSYS, errno.EINVAL, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP)
"""What a file system without the call (or a kernel or libc without it) answers."""


def _libc_renameat2() -> Any:
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):  # not Linux, or glibc older than 2.28
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return fn


_RENAMEAT2 = _libc_renameat2()


def rename_noreplace(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Rename ``src`` to ``dst`` in one atomic step that fails (``FileExistsError``) if any
    entry named ``dst`` exists. ``OSError`` with ``errno.ENOSYS`` where the system has no
    such call; ``EINVAL`` (or ``ENOTSUP``) where the file system does not support it."""
    if _RENAMEAT2 is None:
        raise OSError(errno.ENOSYS, os.strerror(errno.ENOSYS))
    if _RENAMEAT2(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), _RENAME_NOREPLACE):
        code = ctypes.get_errno()
        raise (FileExistsError if code == errno.EEXIST else OSError)(code, os.strerror(code))


def _link_noreplace(src: str, dst: Path) -> None:
    os.link(src, dst)  # fails if anything of that name appeared meanwhile
    Path(src).unlink(missing_ok=True)


def _reserve_then_replace(src: str, dst: Path) -> None:
    """For file systems with neither call: reserve the name with an exclusive create, then
    rename the complete file over the placeholder (the module docstring says what this
    guarantees)."""
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        mine = os.fstat(fd)
    finally:
        os.close(fd)
    try:
        now = os.lstat(dst)
        if not _same_file(now, mine) or now.st_size:
            raise FileExistsError(errno.EEXIST, "the placeholder was replaced")
        os.replace(src, dst)
    except BaseException:
        try:  # remove the placeholder, but only if it is still ours
            if _same_file(os.lstat(dst), mine):
                os.unlink(dst)
        except OSError:
            pass
        raise


def _put_new(src: str, dst: Path) -> None:
    """Move the complete temporary file ``src`` to ``dst``, which must not exist."""
    for step in (rename_noreplace, _link_noreplace):
        try:
            step(src, dst)
            return
        except FileExistsError:
            raise
        except OSError as exc:
            if exc.errno not in _NO_SUPPORT:
                raise
    _reserve_then_replace(src, dst)


def _sync_folder(folder: Path) -> None:
    """Make the new name itself durable (best effort: not every system opens folders)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


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
            _put_new(tmp, target)
        _sync_folder(target.parent)
    except FileExistsError:
        Path(tmp).unlink(missing_ok=True)
        raise _exists(target) from None
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot(target, exc, "check the folder's permissions and free space") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
